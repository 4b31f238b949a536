// Package pgutil holds the PostgreSQL helpers that `dukaan-lab stack` and the
// bench share: opening a server by URL, rewriting URLs, hiding passwords
// in messages, and creating a database of their own.
package pgutil

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
)

var identRE = regexp.MustCompile(`^[a-z_][a-z0-9_]{0,62}$`)

// ValidIdent tells whether s may name a database or schema: it goes into
// SQL as an identifier, so only lower-case letters, digits and _.
func ValidIdent(s string) bool { return identRE.MatchString(s) }

// Open opens the server at dsn (through pgx's database/sql driver, as the
// app does) with at most maxOpen connections. A malformed URL is an error,
// with any password hidden.
func Open(dsn string, maxOpen int) (*sql.DB, error) {
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("bad PostgreSQL URL %q: %v", Redact(dsn), parseError(err))
	}
	db := stdlib.OpenDB(*cfg)
	db.SetMaxOpenConns(maxOpen)
	return db, nil
}

// Ping checks that the server at dsn answers within timeout.
func Ping(ctx context.Context, dsn string, timeout time.Duration) error {
	db, err := Open(dsn, 1)
	if err != nil {
		return err
	}
	defer db.Close()
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	return db.PingContext(ctx)
}

// Redact hides the password of a URL, for messages; anything else comes
// back as it was. In a URL that does not parse, what stands between the
// first ':' after "//" and the last '@' before the path is hidden.
func Redact(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil {
		_, rest, ok := strings.Cut(dsn, "//")
		if !ok {
			return dsn
		}
		authority, _, _ := strings.Cut(rest, "/")
		at := strings.LastIndexByte(authority, '@')
		colon := strings.IndexByte(authority, ':')
		if at < 0 || colon < 0 || colon > at {
			return dsn
		}
		start := len(dsn) - len(rest) + colon + 1
		return dsn[:start] + "xxxxx" + dsn[start+at-colon-1:]
	}
	if u.User == nil {
		return dsn
	}
	if _, ok := u.User.Password(); ok {
		u.User = url.UserPassword(u.User.Username(), "xxxxx")
	}
	return u.String()
}

// WithDatabase is base with its database replaced, and sslmode=disable
// unless base chooses one. Other parameters are kept.
func WithDatabase(base, database string) (string, error) {
	return edit(base, func(u *url.URL, q url.Values) {
		u.Path = "/" + database
		if q.Get("sslmode") == "" {
			q.Set("sslmode", "disable")
		}
	})
}

// WithSearchPath is dsn with search_path set to schema, or removed when
// schema is empty.
func WithSearchPath(dsn, schema string) (string, error) {
	return edit(dsn, func(_ *url.URL, q url.Values) {
		if schema != "" {
			q.Set("search_path", schema)
		} else {
			q.Del("search_path")
		}
	})
}

func edit(dsn string, f func(*url.URL, url.Values)) (string, error) {
	u, err := url.Parse(dsn)
	if err != nil {
		return "", fmt.Errorf("PostgreSQL URL %q: %w", Redact(dsn), parseError(err))
	}
	q := u.Query()
	f(u, q)
	u.RawQuery = q.Encode()
	return u.String(), nil
}

// parseError is err without the URL that url.Parse quotes in it, which
// may hold a password.
func parseError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// EnsureDatabase creates database name on the server at admin unless it
// exists, and tells whether it did. Another process creating it at the
// same moment is not an error.
func EnsureDatabase(ctx context.Context, admin, name string) (created bool, err error) {
	if !ValidIdent(name) {
		return false, fmt.Errorf("database %q: want a lower-case identifier", name)
	}
	db, err := Open(admin, 1)
	if err != nil {
		return false, err
	}
	defer db.Close()
	var n int
	if err := db.QueryRowContext(ctx, "SELECT count(*) FROM pg_database WHERE datname = $1", name).Scan(&n); err != nil {
		return false, fmt.Errorf("PostgreSQL at %s: %w", Redact(admin), err)
	}
	if n > 0 {
		return false, nil
	}
	if _, err := db.ExecContext(ctx, "CREATE DATABASE "+name); err != nil && !strings.Contains(err.Error(), "already exists") {
		return false, fmt.Errorf("create database %s: %w", name, err)
	}
	return true, nil
}
