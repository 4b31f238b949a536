package jobs_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"dukaan/app"
	"dukaan/storage"
	"dukaan/storage/jobs"
	"dukaan/storage/storagetest"
)

// purgeRow is one purge job as stored.
type purgeRow struct {
	id    int64
	state string
	args  jobs.PurgeArgs
}

func purgeJobs(t *testing.T, db *storage.DB) []purgeRow {
	t.Helper()
	q := "SELECT id, state, args::text FROM river_job WHERE kind = 'purge' ORDER BY id"
	if db.Dialect() == storage.DialectSQLite {
		q = "SELECT id, state, json(args) FROM river_job WHERE kind = 'purge' ORDER BY id"
	}
	rows, err := db.Bun().DB.QueryContext(t.Context(), q)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []purgeRow
	for rows.Next() {
		var r purgeRow
		var raw []byte
		if err := rows.Scan(&r.id, &r.state, &raw); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(raw, &r.args); err != nil {
			t.Fatal(err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func ptr[T any](v T) *T { return &v }

// TestOutbox: each change that owes a purge writes its job in its own
// transaction; a change that rolls back writes none; a burst of edits to one
// store coalesces into one job covering all of them.
func TestOutbox(t *testing.T) {
	storagetest.ForEachDialect(t, func(t *testing.T, db *storage.DB) {
		ctx := t.Context()
		v := storagetest.Vendor(t, db, "kirana")
		other := storagetest.Vendor(t, db, "mithai")
		p := storagetest.Product(t, db, v.ID, "Pickle", 20000, 5)
		got := purgeJobs(t, db)
		if len(got) != 1 || got[0].args.StoreID != v.ID || !got[0].args.Store {
			t.Fatalf("after a product was added: %+v, want one store-wide purge of %d", got, v.ID)
		}

		// A stock conflict rolls the edit back: no new job, no change.
		_, err := db.UpdateProduct(ctx, v.ID, p.ID, app.ProductInput{Name: "Pickle", MRP: 20000, Price: 19000,
			Stock: 9, StockWas: ptr[int64](4), Available: true})
		if app.ErrorCode(err) != app.ECONFLICT {
			t.Fatalf("conflicting edit: %v", err)
		}
		if n := len(purgeJobs(t, db)); n != 1 {
			t.Fatalf("a rolled-back edit left a job: %d jobs", n)
		}

		// 30 edits of two products and a shop setting while the first job
		// waits: still one job for the store, covering the whole store.
		q := storagetest.Product(t, db, v.ID, "Jam", 15000, 5)
		for i := range 30 {
			id := p.ID
			if i%2 == 1 {
				id = q.ID
			}
			if _, err := db.UpdateProduct(ctx, v.ID, id, app.ProductInput{Name: "Pickle", MRP: 20000,
				Price: app.Paise(10000 + i), Stock: 5, StockWas: ptr[int64](5), Available: true}); err != nil {
				t.Fatal(err)
			}
		}
		storagetest.Product(t, db, other.ID, "Barfi", 30000, 2)
		got = purgeJobs(t, db)
		if len(got) != 2 {
			t.Fatalf("after 30 edits of one store and one of another: %d jobs %+v, want 2", len(got), got)
		}
		if got[0].args.StoreID != v.ID || !got[0].args.Store || got[1].args.StoreID != other.ID {
			t.Errorf("jobs %+v", got)
		}
	})
}

// TestOutboxMergesProducts: product edits that coalesce keep every product.
func TestOutboxMergesProducts(t *testing.T) {
	storagetest.ForEachDialect(t, func(t *testing.T, db *storage.DB) {
		ctx := t.Context()
		v := storagetest.Vendor(t, db, "kirana")
		p := storagetest.Product(t, db, v.ID, "Pickle", 20000, 5)
		q := storagetest.Product(t, db, v.ID, "Jam", 15000, 5)
		// The creations' purge is done, and no worker runs while the
		// edits below coalesce.
		if err := runJobs(t, db, &recorder{}).Stop(ctx); err != nil {
			t.Fatal(err)
		}
		if _, err := db.Bun().DB.ExecContext(ctx, "DELETE FROM river_job"); err != nil {
			t.Fatal(err)
		}
		for _, id := range []int64{q.ID, p.ID, q.ID} {
			if _, err := db.UpdateProduct(ctx, v.ID, id, app.ProductInput{Name: "X", MRP: 20000, Price: 100,
				Stock: 5, StockWas: ptr[int64](5), Available: true}); err != nil {
				t.Fatal(err)
			}
		}
		got := purgeJobs(t, db)
		want := []int64{min(p.ID, q.ID), max(p.ID, q.ID)}
		if len(got) != 1 || got[0].args.Store || !slices.Equal(got[0].args.Products, want) {
			t.Fatalf("jobs %+v, want one purge of products %v", got, want)
		}
	})
}

// TestOutboxWhileRunning: an edit made while the store's purge job runs
// (it may have begun before the edit committed) owes a job of its own, and
// the edits after it merge into that one. Before the fix the second job was
// silently skipped as a duplicate of the running one: the edit owed nothing
// (found by TestReliabilityPostgresRestartJobs).
func TestOutboxWhileRunning(t *testing.T) {
	storagetest.ForEachDialect(t, func(t *testing.T, db *storage.DB) {
		ctx := t.Context()
		v := storagetest.Vendor(t, db, "kirana")
		p := storagetest.Product(t, db, v.ID, "Pickle", 20000, 5)
		q := storagetest.Product(t, db, v.ID, "Jam", 15000, 5)
		// The creations' job, as a worker holds it.
		if _, err := db.Bun().DB.ExecContext(ctx, "UPDATE river_job SET state = 'running', attempt = 1"); err != nil {
			t.Fatal(err)
		}
		running := purgeJobs(t, db)
		if len(running) != 1 {
			t.Fatalf("jobs before the edits %+v, want the creations' one", running)
		}
		for _, id := range []int64{p.ID, q.ID, p.ID} {
			if _, err := db.UpdateProduct(ctx, v.ID, id, app.ProductInput{Name: "X", MRP: 20000, Price: 100,
				Stock: 5, StockWas: ptr[int64](5), Available: true}); err != nil {
				t.Fatal(err)
			}
		}
		got := purgeJobs(t, db)
		want := []int64{min(p.ID, q.ID), max(p.ID, q.ID)}
		if len(got) != 2 || got[1].state != "available" || got[1].args.StoreID != v.ID || !slices.Equal(got[1].args.Products, want) {
			t.Fatalf("jobs %+v, want the running one and one waiting purge of products %v", got, want)
		}
	})
}

// recorder is a Purger that records the purges and fails while told to.
type recorder struct {
	mu      sync.Mutex
	calls   []jobs.PurgeArgs
	fail    int // attempts still to fail
	failed  map[int64]bool
	keySave []string
}

func (r *recorder) PurgeDurable(ctx context.Context, storeID int64, store bool, products []int64, known []string, _ time.Time, save func(context.Context, []string) error) error {
	if err := save(ctx, []string{"page-of-" + time.Now().Format("15")}); err != nil {
		return err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls = append(r.calls, jobs.PurgeArgs{StoreID: storeID, Store: store, Products: products, Keys: known})
	if r.fail > 0 {
		r.fail--
		return errors.New("redis is away")
	}
	return nil
}

// PurgeEdgesSince records a settled job's edge step as a call with Keys
// ["edges-only"].
func (r *recorder) PurgeEdgesSince(ctx context.Context, storeID int64, since time.Time) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls = append(r.calls, jobs.PurgeArgs{StoreID: storeID, Keys: []string{edgesOnly}})
	if r.fail > 0 {
		r.fail--
		return errors.New("the edge is away")
	}
	return nil
}

const edgesOnly = "edges-only"

func (r *recorder) SetPendingStores(failed, owed map[int64]bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(failed) > 0 {
		r.failed = failed
	}
}

func (r *recorder) snapshot() ([]jobs.PurgeArgs, map[int64]bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.calls), r.failed
}

// startRunner starts workers that poll every 20 ms, stopped when t ends.
func startRunner(t *testing.T, db *storage.DB, p jobs.Purger) *jobs.Runner {
	t.Helper()
	return startConfig(t, db, jobs.Config{Purger: p})
}

// startConfig starts workers with cfg on db (fast polling, a short job
// timeout), stopped when the test ends.
func startConfig(t *testing.T, db *storage.DB, cfg jobs.Config) *jobs.Runner {
	t.Helper()
	cfg.DB, cfg.Dialect, cfg.PollInterval, cfg.JobTimeout = db.Bun().DB, db.Dialect(), 20*time.Millisecond, 5*time.Second
	r, err := jobs.Start(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = r.Stop(ctx)
	})
	return r
}

// runJobs starts workers and waits until no purge job is left unfinished.
func runJobs(t *testing.T, db *storage.DB, p jobs.Purger) *jobs.Runner {
	t.Helper()
	r := startRunner(t, db, p)
	deadline := time.Now().Add(15 * time.Second)
	for {
		done := true
		for _, j := range purgeJobs(t, db) {
			if j.state != "completed" {
				done = false
			}
		}
		if done {
			return r
		}
		if time.Now().After(deadline) {
			t.Fatalf("purge jobs not done: %+v", purgeJobs(t, db))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestWorkerRetries: a purge that fails is retried until it succeeds; the
// keys an attempt found are in the next attempt's args; while it fails the
// store is reported pending, so Redis is not read for it.
func TestWorkerRetries(t *testing.T) {
	storagetest.ForEachDialect(t, func(t *testing.T, db *storage.DB) {
		v := storagetest.Vendor(t, db, "kirana")
		storagetest.Product(t, db, v.ID, "Pickle", 20000, 5)
		rec := &recorder{fail: 3}
		start := time.Now()
		runJobs(t, db, rec)
		calls, failed := rec.snapshot()
		if len(calls) != 4 {
			t.Fatalf("attempts %d, want 4 (3 failures, then success): %+v", len(calls), calls)
		}
		t.Logf("4 attempts done in %s", time.Since(start).Round(time.Millisecond))
		if calls[0].StoreID != v.ID || !calls[0].Store {
			t.Errorf("first attempt %+v", calls[0])
		}
		if len(calls[0].Keys) != 0 || len(calls[1].Keys) != 1 {
			t.Errorf("saved keys not handed to the retry: %+v", calls)
		}
		if !failed[v.ID] {
			t.Errorf("store %d never reported pending while its purge failed (%v)", v.ID, failed)
		}
	})
}

// TestCoalescedJobWaitsForCommit: a job that an open transaction merged an
// edit into is not started before that transaction commits.
func TestCoalescedJobWaitsForCommit(t *testing.T) {
	storagetest.ForEachDialect(t, func(t *testing.T, db *storage.DB) {
		ctx := t.Context()
		v := storagetest.Vendor(t, db, "kirana")
		in, err := jobs.NewInserter(db.Bun().DB, db.Dialect())
		if err != nil {
			t.Fatal(err)
		}
		rec := &recorder{}
		start := func() { startRunner(t, db, rec) }
		var tx *sql.Tx
		begin := func() {
			var err error
			if tx, err = db.Bun().DB.BeginTx(ctx, nil); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = tx.Rollback() })
		}
		if db.Dialect() == storage.DialectPostgres {
			// The job exists, committed, before the edit's transaction
			// merges into it (and row-locks it); then the workers start.
			if err := insertCommitted(ctx, db.Bun().DB, in, v.ID); err != nil {
				t.Fatal(err)
			}
			begin()
			if _, err := in.InsertPurgeTx(ctx, tx, v.ID, false, 42); err != nil {
				t.Fatal(err)
			}
			start()
		} else {
			// SQLite: the edit's transaction holds the write lock from
			// BEGIN, so no worker can take the job before it commits.
			start()
			begin()
			if _, err := in.InsertPurgeTx(ctx, tx, v.ID, false, 42); err != nil {
				t.Fatal(err)
			}
		}
		time.Sleep(700 * time.Millisecond)
		if calls, _ := rec.snapshot(); len(calls) != 0 {
			t.Fatalf("the job ran before the edit it covers committed: %+v", calls)
		}
		if err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(10 * time.Second)
		for {
			calls, _ := rec.snapshot()
			if len(calls) > 0 {
				if !slices.Contains(calls[0].Products, 42) {
					t.Errorf("the job ran without the merged edit: %+v", calls[0])
				}
				return
			}
			if time.Now().After(deadline) {
				t.Fatal("the job never ran after the commit")
			}
			time.Sleep(20 * time.Millisecond)
		}
	})
}

func insertCommitted(ctx context.Context, db *sql.DB, in *jobs.Inserter, store int64) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := in.InsertPurgeTx(ctx, tx, store, false, 7); err != nil {
		return err
	}
	return tx.Commit()
}

// TestSettledJobEdgesOnly: a purge job whose every edit was purged by its
// fast path (the event sink answered) only repeats the edge step; one whose
// fast path failed, or one of whose coalesced edits failed, purges in full.
func TestSettledJobEdgesOnly(t *testing.T) {
	storagetest.ForEachDialectEvents(t, func(t *testing.T, db *storage.DB, sink *storagetest.Recorder) {
		ctx := t.Context()
		v := storagetest.Vendor(t, db, "kirana")
		p := storagetest.Product(t, db, v.ID, "Pickle", 20000, 5)
		if got := purgeJobs(t, db); len(got) != 1 || got[0].args.Edits != 1 || got[0].args.Settled != 1 {
			t.Fatalf("after a creation whose purge succeeded: %+v, want one job with 1 edit, settled", got)
		}
		run := func() []jobs.PurgeArgs {
			rec := &recorder{}
			if err := runJobs(t, db, rec).Stop(ctx); err != nil {
				t.Fatal(err)
			}
			calls, _ := rec.snapshot()
			return calls
		}
		if calls := run(); len(calls) != 1 || !slices.Equal(calls[0].Keys, []string{edgesOnly}) {
			t.Fatalf("settled job ran %+v, want only the edge step", calls)
		}
		edit := func(price app.Paise) {
			t.Helper()
			if _, err := db.UpdateProduct(ctx, v.ID, p.ID, app.ProductInput{Name: "Pickle", MRP: 20000, Price: price,
				Stock: 5, StockWas: ptr[int64](5), Available: true}); err != nil {
				t.Fatal(err)
			}
		}
		sink.FailWith(errors.New("redis is away"))
		edit(19000)
		if calls := run(); len(calls) != 1 || !slices.Equal(calls[0].Products, []int64{p.ID}) || slices.Contains(calls[0].Keys, edgesOnly) {
			t.Fatalf("job of an edit whose fast path failed ran %+v, want a full purge of product %d", calls, p.ID)
		}
		// Two edits coalesced into one job, the first settled, the second not.
		sink.FailWith(nil)
		edit(18000)
		sink.FailWith(errors.New("redis is away"))
		edit(17000)
		got := purgeJobs(t, db)
		last := got[len(got)-1]
		if last.state != "available" || last.args.Edits != 2 || last.args.Settled != 1 {
			t.Fatalf("coalesced job %+v, want 2 edits, 1 settled", last)
		}
		if calls := run(); len(calls) != 1 || slices.Contains(calls[0].Keys, edgesOnly) {
			t.Fatalf("half-settled job ran %+v, want a full purge", calls)
		}
	})
}
