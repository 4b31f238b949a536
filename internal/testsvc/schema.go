package testsvc

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"

	"dukaan/internal/proc"
)

// DefaultPostgresURL is the shared server of the tests when
// TEST_DATABASE_URL is unset.
const DefaultPostgresURL = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

// PostgresURL is the shared server the PostgreSQL runs of the tests use:
// TEST_DATABASE_URL, else DefaultPostgresURL.
func PostgresURL() string {
	if u := os.Getenv("TEST_DATABASE_URL"); u != "" {
		return u
	}
	return DefaultPostgresURL
}

// PostgresSchema creates an empty schema named prefix plus random hex on
// the shared server, and returns a DSN whose connections use it (pgx, and
// so storage.Open, sends unknown DSN parameters such as search_path as
// session parameters on connect): tests run in parallel on one database without seeing each
// other's rows. The schema is dropped when tb ends, after whatever the
// caller registers later (a storage.DB, an app) has closed: cleanups run
// last-registered first. An unreachable server skips the test, or fails
// it under CI=true (Unavailable).
func PostgresSchema(tb testing.TB, prefix string) string {
	tb.Helper()
	base := PostgresURL()
	u, err := url.Parse(base)
	if err != nil {
		tb.Fatalf("TEST_DATABASE_URL: %v", err)
	}
	admin, err := OpenPostgres(base)
	if err != nil {
		tb.Fatalf("TEST_DATABASE_URL: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := admin.PingContext(ctx); err != nil {
		admin.Close()
		Unavailable(tb, "PostgreSQL at %s is unreachable (%v); set TEST_DATABASE_URL or start it", u.Redacted(), err)
	}
	schema := prefix + proc.RandomHex(8)
	if _, err := admin.ExecContext(ctx, "CREATE SCHEMA "+schema); err != nil {
		admin.Close()
		tb.Fatalf("create schema: %v", err)
	}
	tb.Cleanup(func() {
		defer admin.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if _, err := admin.ExecContext(ctx, "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			tb.Errorf("drop schema %s: %v", schema, err)
		}
	})
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// OpenPostgres opens dsn through pgx's database/sql driver, the driver the
// app uses; a malformed DSN is an error (pgx hides its password).
func OpenPostgres(dsn string) (*sql.DB, error) {
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("bad DSN: %w", err)
	}
	return stdlib.OpenDB(*cfg), nil
}
