package storage_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"dukaan/storage"
	"dukaan/storage/storagetest"
)

func TestOpen(t *testing.T) {
	for _, dialect := range storagetest.Dialects() {
		t.Run(dialect, func(t *testing.T) {
			ctx := t.Context()
			db := storagetest.Open(t, dialect, nil)
			if got := db.Dialect(); got != dialect {
				t.Errorf("Dialect() = %q, want %q", got, dialect)
			}
			if err := db.Ping(ctx); err != nil {
				t.Errorf("Ping: %v", err)
			}
			if err := db.Migrate(ctx); err != nil {
				t.Errorf("second Migrate: %v", err)
			}
			if db.Stats().MaxOpenConnections <= 0 {
				t.Errorf("pool is unbounded: %+v", db.Stats())
			}
		})
	}
}

// TestSQLiteSettings checks the settings the SQLite DSN promises on a live
// connection: WAL, a busy timeout, foreign keys.
func TestSQLiteSettings(t *testing.T) {
	ctx := t.Context()
	db, err := storage.Open(ctx, storage.Config{DSN: filepath.Join(t.TempDir(), "nested", "dir", "s.db")})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	tests := []struct {
		pragma string
		want   string
	}{
		{"journal_mode", "wal"},
		{"busy_timeout", "15000"},
		{"foreign_keys", "1"},
	}
	for _, tt := range tests {
		t.Run(tt.pragma, func(t *testing.T) {
			var got string
			if err := db.Bun().NewRaw("PRAGMA "+tt.pragma).Scan(ctx, &got); err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("PRAGMA %s = %q, want %q", tt.pragma, got, tt.want)
			}
		})
	}
}

func TestOpenErrors(t *testing.T) {
	tests := []struct {
		name string
		dsn  string
	}{
		{"empty", ""},
		{"bad postgres DSN", "postgres://u@127.0.0.1:5432/db?sslmode=bogus"},
		{"postgres not listening", "postgres://postgres@127.0.0.1:1/test?sslmode=disable&dial_timeout=2s"},
		{"sqlite in memory", ":memory:"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
			defer cancel()
			db, err := storage.Open(ctx, storage.Config{DSN: tt.dsn})
			if err == nil {
				db.Close()
				t.Fatalf("Open(%q) succeeded, want an error", tt.dsn)
			}
			t.Logf("Open(%q): %v", tt.dsn, err)
		})
	}
}
