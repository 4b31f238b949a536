// Package storagetest opens throwaway databases for tests in any package:
// a SQLite file in the test's temporary directory, or a fresh schema in
// the PostgreSQL named by TEST_DATABASE_URL, migrated and removed when the
// test ends. The same test body runs against both through ForEachDialect.
package storagetest

import (
	"context"
	"log/slog"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"dukaan/app"
	"dukaan/internal/testsvc"
	"dukaan/storage"
)

// Dialects lists every database the storage tests must pass on.
func Dialects() []string { return []string{storage.DialectSQLite, storage.DialectPostgres} }

// Open returns a migrated, empty database of the given dialect that lives
// as long as tb. Without a reachable PostgreSQL the test is skipped, unless
// CI=true, where a missing database must fail the build rather than
// quietly test half the code.
func Open(tb testing.TB, dialect string, events app.EventSink) *storage.DB {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cfg := storage.Config{
		Events: events,
		Logger: slog.New(slog.NewTextHandler(tb.Output(), &slog.HandlerOptions{Level: slog.LevelWarn})),
		// Minimum cost: under -race one default-cost hash takes ~0.7 s.
		BcryptCost: bcrypt.MinCost,
	}
	switch dialect {
	case storage.DialectSQLite:
		cfg.DSN = filepath.Join(tb.TempDir(), "dukaan.db")
	case storage.DialectPostgres:
		cfg.DSN = testsvc.PostgresSchema(tb, "t_")
	default:
		tb.Fatalf("storagetest.Open: unknown dialect %q", dialect)
	}
	db, err := storage.Open(ctx, cfg)
	if err != nil {
		tb.Fatalf("storagetest.Open(%s): %v", dialect, err)
	}
	tb.Cleanup(func() {
		if err := db.Close(); err != nil {
			tb.Errorf("close %s: %v", dialect, err)
		}
	})
	if err := db.Migrate(ctx); err != nil {
		tb.Fatalf("storagetest.Open(%s): %v", dialect, err)
	}
	return db
}

// ForEachDialect runs fn as a subtest per dialect, each on its own fresh
// database whose events are discarded.
func ForEachDialect(t *testing.T, fn func(t *testing.T, db *storage.DB)) {
	t.Helper()
	for _, d := range Dialects() {
		t.Run(d, func(t *testing.T) { fn(t, Open(t, d, nil)) })
	}
}

// ForEachDialectEvents is ForEachDialect with a Recorder receiving the
// database's events.
func ForEachDialectEvents(t *testing.T, fn func(t *testing.T, db *storage.DB, rec *Recorder)) {
	t.Helper()
	for _, d := range Dialects() {
		t.Run(d, func(t *testing.T) {
			rec := &Recorder{}
			fn(t, Open(t, d, rec), rec)
		})
	}
}

// Recorder is an app.EventSink that remembers what was published. Publish
// can be made to fail, to test that a sink error never fails a write.
type Recorder struct {
	mu     sync.Mutex
	events []app.ProductEvent
	err    error
}

// Publish records ev and returns the error set by FailWith.
func (r *Recorder) Publish(_ context.Context, ev app.ProductEvent) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, ev)
	return r.err
}

// FailWith makes later Publish calls return err (nil restores success).
func (r *Recorder) FailWith(err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.err = err
}

// Events returns what was published so far, in order.
func (r *Recorder) Events() []app.ProductEvent {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.events)
}

// Take returns what was published so far and forgets it, so a test can
// check the events of one step at a time.
func (r *Recorder) Take() []app.ProductEvent {
	r.mu.Lock()
	defer r.mu.Unlock()
	evs := r.events
	r.events = nil
	return evs
}

// Vendor creates a vendor named after slug, with password "password123".
func Vendor(tb testing.TB, db *storage.DB, slug string) *app.Vendor {
	tb.Helper()
	v := &app.Vendor{Slug: slug, Name: "Shop " + slug, Email: slug + "@example.com"}
	if err := db.CreateVendor(context.Background(), v, "password123"); err != nil {
		tb.Fatalf("create vendor %q: %v", slug, err)
	}
	return v
}

// Product creates an available product with the given price and stock
// (MRP equals price).
func Product(tb testing.TB, db *storage.DB, vendorID int64, name string, price app.Paise, stock int64) *app.Product {
	tb.Helper()
	p, err := db.CreateProduct(context.Background(), vendorID, app.ProductInput{
		Name: name, Description: "About " + name + ".", MRP: price, Price: price, Stock: stock, Available: true,
	})
	if err != nil {
		tb.Fatalf("create product %q: %v", name, err)
	}
	return p
}

// Customer is a valid customer for orders.
func Customer() app.Customer {
	return app.Customer{Name: "Asha Rao", Phone: "+919845012345", Address: "14, 2nd Main, Jayanagar 4th Block, Bengaluru 560011"}
}
