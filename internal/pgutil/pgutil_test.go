package pgutil

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"dukaan/internal/proc"
	"dukaan/internal/testsvc"
)

func TestValidIdent(t *testing.T) {
	for s, want := range map[string]bool{
		"dukaan_stack": true, "_x1": true, strings.Repeat("a", 63): true,
		"": false, "1abc": false, "Upper": false, "a-b": false, "a;drop": false, strings.Repeat("a", 64): false,
	} {
		if got := ValidIdent(s); got != want {
			t.Errorf("ValidIdent(%q) = %v, want %v", s, got, want)
		}
	}
}

func TestRedact(t *testing.T) {
	for in, want := range map[string]string{
		"postgres://u:secret@h:5432/db?sslmode=disable": "postgres://u:xxxxx@h:5432/db?sslmode=disable",
		"postgres://u@h/db":                             "postgres://u@h/db",
		"redis://:pw@127.0.0.1:6379/0":                  "redis://:xxxxx@127.0.0.1:6379/0",
		"not a url %zz":                                 "not a url %zz",
		"postgres://u:se@cret@h:99999x/db?a=b@c":        "postgres://u:xxxxx@h:99999x/db?a=b@c",
		"postgres://u@h:99999x/db":                      "postgres://u@h:99999x/db",
	} {
		if got := Redact(in); got != want {
			t.Errorf("Redact(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestWithDatabaseAndSearchPath(t *testing.T) {
	got, err := WithDatabase("postgres://postgres@127.0.0.1:5432/postgres?search_path=a", "shop")
	if err != nil || got != "postgres://postgres@127.0.0.1:5432/shop?search_path=a&sslmode=disable" {
		t.Errorf("WithDatabase = %q, %v", got, err)
	}
	got, err = WithDatabase("postgres://h/db?sslmode=require", "other")
	if err != nil || got != "postgres://h/other?sslmode=require" {
		t.Errorf("WithDatabase keeping sslmode = %q, %v", got, err)
	}
	got, err = WithSearchPath("postgres://h/db?sslmode=disable", "s1")
	if err != nil || got != "postgres://h/db?search_path=s1&sslmode=disable" {
		t.Errorf("WithSearchPath = %q, %v", got, err)
	}
	got, err = WithSearchPath("postgres://h/db?search_path=s1", "")
	if err != nil || got != "postgres://h/db" {
		t.Errorf("WithSearchPath empty = %q, %v", got, err)
	}
	_, err = WithDatabase("postgres://u:secret@h:99999x/db", "x")
	if err == nil || strings.Contains(err.Error(), "secret") || !strings.Contains(err.Error(), "PostgreSQL URL") {
		t.Errorf("WithDatabase of a bad URL: %v (want an error without the password)", err)
	}
}

func TestOpenBadURL(t *testing.T) {
	_, err := Open("postgres://u:secret@h:99999x/db", 2)
	if err == nil || !strings.HasPrefix(err.Error(), "bad PostgreSQL URL ") || strings.Contains(err.Error(), "secret") {
		t.Errorf("Open of a bad URL: %v (want an error without the password)", err)
	}
}

// admin is the shared test server; the test skips without it, or fails
// when CI=true.
func admin(t *testing.T) string {
	t.Helper()
	u := "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
	if v := os.Getenv("TEST_DATABASE_URL"); v != "" {
		u = v
	}
	if err := Ping(context.Background(), u, 3*time.Second); err != nil {
		testsvc.Unavailable(t, "PostgreSQL: %v", err)
	}
	return u
}

func TestEnsureDatabase(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	a := admin(t)
	name := "pgutil_test_" + proc.RandomHex(6)
	t.Cleanup(func() {
		db, err := Open(a, 1)
		if err != nil {
			t.Error(err)
			return
		}
		defer db.Close()
		if _, err := db.ExecContext(context.Background(), "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			t.Error(err)
		}
	})
	created, err := EnsureDatabase(ctx, a, name)
	if err != nil || !created {
		t.Fatalf("first EnsureDatabase = %v, %v; want created", created, err)
	}
	created, err = EnsureDatabase(ctx, a, name)
	if err != nil || created {
		t.Fatalf("second EnsureDatabase = %v, %v; want it kept", created, err)
	}
	dsn, err := WithDatabase(a, name)
	if err != nil {
		t.Fatal(err)
	}
	if err := Ping(ctx, dsn, 3*time.Second); err != nil {
		t.Errorf("the new database does not answer: %v", err)
	}
	if _, err := EnsureDatabase(ctx, a, "no; DROP"); err == nil {
		t.Error("EnsureDatabase accepted a name that is no identifier")
	}
	if err := Ping(ctx, "postgres://postgres@127.0.0.1:1/postgres?sslmode=disable", time.Second); err == nil {
		t.Error("Ping of a closed port succeeded")
	}
}
