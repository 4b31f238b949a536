// Package jobs is Dukaan's transactional outbox: the work a committed change
// owes (today: purging the page caches) is written as a River job in the same
// database transaction as the change, on PostgreSQL and on SQLite, and every
// replica runs workers that carry it out. A job left by a replica that died is
// rescued by a live one (or by the same one after its restart).
//
// storage inserts (InsertPurgeTx, inside its transactions) and migrates
// (Migrate, with the app's migrations); cmd/dukaan starts the workers
// (Start) with the page cache as their Purger.
package jobs

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/riverdriver/riverdatabasesql"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivermigrate"
	"github.com/riverqueue/river/rivertype"
)

// Dialects, as storage names them.
const (
	Postgres = "postgres"
	SQLite   = "sqlite"
)

// PurgeArgs is one store's owed purge. Jobs for one store coalesce: while a
// purge of the store waits (available, scheduled or retryable), a later edit
// adds its products (or the whole store) to that job instead of inserting
// another one.
type PurgeArgs struct {
	StoreID int64 `json:"store_id" river:"unique"`
	// Store purges every page of the store (a product added, removed,
	// shown or hidden, shop settings).
	Store bool `json:"store,omitempty"`
	// Products purges the pages showing these products.
	Products []int64 `json:"products,omitempty"`
	// Keys are the page keys an earlier attempt found, saved before it
	// removed anything from the tag indexes, so a retry after a crash or
	// an edge outage still knows which edge entries to PURGE.
	Keys []string `json:"keys,omitempty"`
	// Edits counts the edits this job covers, Settled those whose fast path
	// (the purge right after the commit) reported success (SettleFast). A
	// job whose every edit was settled only repeats the edge step (see
	// purgeWorker.Work): the app's tiers were purged already, and purging
	// them again cost each page a second render and answered the renders
	// it overtook with no-store. A job without Edits (written before they
	// were counted) always purges in full.
	Edits   int `json:"edits,omitempty"`
	Settled int `json:"settled,omitempty"`
}

// settled: every edit the job covers was purged by its fast path.
func (a PurgeArgs) settled() bool { return a.Edits > 0 && a.Settled >= a.Edits }

// KindPurge is PurgeArgs' job kind.
const KindPurge = "purge"

// Kind is the River job kind.
func (PurgeArgs) Kind() string { return KindPurge }

// InsertOpts: a purge is unique per store among jobs not yet finished; River
// requires available, pending, running and scheduled in ByState. A coalesced
// purge must never start before the edit it covers committed, so InsertPurgeTx
// never merges into a running job (it inserts a fresh one) and locks the job
// it merges into (see InsertPurgeTx).
func (PurgeArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{
		MaxAttempts: purgeMaxAttempts,
		UniqueOpts: river.UniqueOpts{
			ByArgs: true,
			ByState: []rivertype.JobState{
				rivertype.JobStateAvailable, rivertype.JobStatePending, rivertype.JobStateRunning,
				rivertype.JobStateScheduled, rivertype.JobStateRetryable,
			},
		},
	}
}

// purgeMaxAttempts with purgeBackoff's cap keeps a purge retrying for about
// an hour and a half: an edge or Redis that is away longer than that is an
// outage an operator sees (the job stays in the queue's metrics), and the
// page TTLs have long expired what it would have purged.
const purgeMaxAttempts = 600

// purgeBackoff is the wait before attempt n+1: 100 ms doubling, at most 10 s,
// so an edge or Redis that returns is purged within seconds.
func purgeBackoff(attempt int) time.Duration {
	d := 100 * time.Millisecond
	for i := 1; i < attempt && d < 10*time.Second; i++ {
		d *= 2
	}
	return min(d, 10*time.Second)
}

// driver is River's driver for a pool bun opened.
func driver(db *sql.DB, dialect string) (riverdriver.Driver[*sql.Tx], error) {
	switch dialect {
	case Postgres:
		// db must be a pgx stdlib pool: bun's pgdriver breaks River's SQL.
		return riverdatabasesql.New(db), nil
	case SQLite:
		return riversqlite.New(db), nil
	}
	return nil, fmt.Errorf("jobs: unknown dialect %q", dialect)
}

// Migrate brings River's tables up to date. storage calls it with its own
// migrations, under the same advisory lock on PostgreSQL.
func Migrate(ctx context.Context, db *sql.DB, dialect string) error {
	drv, err := driver(db, dialect)
	if err != nil {
		return err
	}
	m, err := rivermigrate.New(drv, nil)
	if err != nil {
		return fmt.Errorf("jobs: migrator: %w", err)
	}
	if _, err := m.Migrate(ctx, rivermigrate.DirectionUp, nil); err != nil {
		return fmt.Errorf("jobs: migrate: %w", err)
	}
	return nil
}

// Inserter writes jobs inside the caller's transactions. It runs nothing.
type Inserter struct {
	client  *river.Client[*sql.Tx]
	db      *sql.DB
	dialect string
}

// NewInserter is an insert-only River client over db.
func NewInserter(db *sql.DB, dialect string) (*Inserter, error) {
	drv, err := driver(db, dialect)
	if err != nil {
		return nil, err
	}
	c, err := river.NewClient(drv, &river.Config{})
	if err != nil {
		return nil, fmt.Errorf("jobs: client: %w", err)
	}
	return &Inserter{client: c, db: db, dialect: dialect}, nil
}

// InsertPurgeTx owes a purge of the store's pages in tx: every page of the
// store when store is set, else the pages showing product. It is committed
// with tx or not at all.
//
// Coalescing: River's unique insert finds a waiting purge of the same store.
// If that job is available, scheduled or retryable, the edit's scope is
// merged into its args by an UPDATE in tx, which also row-locks it until tx
// commits; River's fetch skips locked rows (FOR UPDATE SKIP LOCKED on
// PostgreSQL; on SQLite the write lock tx holds keeps every fetch out), so the
// job cannot start before this edit committed. If it is already running it
// may have begun before this edit committed, so a second job is inserted
// without uniqueness.
//
// It returns the id of the job that now covers the edit, for SettleFast.
func (in *Inserter) InsertPurgeTx(ctx context.Context, tx *sql.Tx, storeID int64, store bool, product int64) (int64, error) {
	args := PurgeArgs{StoreID: storeID, Store: store, Edits: 1}
	if !store && product != 0 {
		args.Products = []int64{product}
	}
	res, err := in.client.InsertTx(ctx, tx, args, nil)
	if err != nil {
		return 0, fmt.Errorf("jobs: insert purge: %w", err)
	}
	if !res.UniqueSkippedAsDuplicate {
		return res.Job.ID, nil
	}
	merged, err := in.mergeTx(ctx, tx, res.Job.ID, args)
	if err != nil || merged {
		return res.Job.ID, err
	}
	// The unique job is running: merge into a second job of the store that
	// waits, if an earlier edit made one, else make it.
	if id, ok, err := in.waitingTx(ctx, tx, storeID); err != nil {
		return 0, err
	} else if ok {
		if merged, err := in.mergeTx(ctx, tx, id, args); err != nil || merged {
			return id, err
		}
	}
	// purgeAgain, not PurgeArgs with empty UniqueOpts: River falls back on
	// the args' own InsertOpts when the UniqueOpts given are empty, so that
	// insert was skipped as a duplicate of the running job and the edit
	// owed no purge at all (TestOutboxWhileRunning).
	again, err := in.client.InsertTx(ctx, tx, purgeAgain(args), nil)
	if err != nil {
		return 0, fmt.Errorf("jobs: insert purge: %w", err)
	}
	return again.Job.ID, nil
}

// SettleFast records that one edit covered by purge job id was purged by
// its fast path (every tier answered). A job whose edits were all settled
// only repeats the edge step when it runs. It is a conditional UPDATE on a
// job not yet finished, so settling a job that already ran, or settling
// twice, changes nothing; a failure only leaves the job doing its full
// purge.
func (in *Inserter) SettleFast(ctx context.Context, id int64) error {
	q := `UPDATE river_job SET args = jsonb_set(args, '{settled}', to_jsonb(COALESCE((args->>'settled')::int, 0) + 1))
WHERE id = $1 AND kind = 'purge' AND state IN ('available','scheduled','retryable','running')
AND COALESCE((args->>'settled')::int, 0) < COALESCE((args->>'edits')::int, 0)`
	if in.dialect == SQLite {
		q = `UPDATE river_job SET args = jsonb_set(args, '$.settled', COALESCE(json_extract(args, '$.settled'), 0) + 1)
WHERE id = ? AND kind = 'purge' AND state IN ('available','scheduled','retryable','running')
AND COALESCE(json_extract(args, '$.settled'), 0) < COALESCE(json_extract(args, '$.edits'), 0)`
	}
	if _, err := in.db.ExecContext(ctx, q, id); err != nil {
		return fmt.Errorf("jobs: settle purge %d: %w", id, err)
	}
	return nil
}

// purgeAgain is a purge job inserted without uniqueness (same kind, same
// args, so the purge worker runs it).
type purgeAgain PurgeArgs

func (purgeAgain) Kind() string { return KindPurge }

func (purgeAgain) InsertOpts() river.InsertOpts {
	return river.InsertOpts{MaxAttempts: purgeMaxAttempts}
}

// waitingTx finds a waiting (available, scheduled or retryable) purge job of
// the store, the oldest first.
func (in *Inserter) waitingTx(ctx context.Context, tx *sql.Tx, storeID int64) (int64, bool, error) {
	q := `SELECT id FROM river_job WHERE kind = 'purge' AND state IN ('available','scheduled','retryable')
AND (args->>'store_id')::bigint = $1 ORDER BY id LIMIT 1`
	if in.dialect == SQLite {
		q = `SELECT id FROM river_job WHERE kind = 'purge' AND state IN ('available','scheduled','retryable')
AND json_extract(args, '$.store_id') = ? ORDER BY id LIMIT 1`
	}
	var id int64
	switch err := tx.QueryRowContext(ctx, q, storeID).Scan(&id); {
	case errors.Is(err, sql.ErrNoRows):
		return 0, false, nil
	case err != nil:
		return 0, false, fmt.Errorf("jobs: find waiting purge: %w", err)
	}
	return id, true, nil
}

// mergeTx adds args' scope to a waiting job; false when the job is no longer
// waiting (it started, or finished, meanwhile).
func (in *Inserter) mergeTx(ctx context.Context, tx *sql.Tx, id int64, args PurgeArgs) (bool, error) {
	lock, set := "SELECT args FROM river_job WHERE id = $1 AND state IN ('available','scheduled','retryable') FOR UPDATE",
		"UPDATE river_job SET args = $1::jsonb WHERE id = $2"
	if in.dialect == SQLite {
		lock, set = "SELECT json(args) FROM river_job WHERE id = ? AND state IN ('available','scheduled','retryable')",
			"UPDATE river_job SET args = jsonb(?) WHERE id = ?"
	}
	var raw []byte
	if err := tx.QueryRowContext(ctx, lock, id).Scan(&raw); errors.Is(err, sql.ErrNoRows) {
		return false, nil
	} else if err != nil {
		return false, fmt.Errorf("jobs: lock purge %d: %w", id, err)
	}
	var cur PurgeArgs
	if err := json.Unmarshal(raw, &cur); err != nil {
		return false, fmt.Errorf("jobs: purge %d args: %w", id, err)
	}
	next := cur.merge(args)
	b, err := json.Marshal(next)
	if err != nil {
		return false, err
	}
	if _, err := tx.ExecContext(ctx, set, string(b), id); err != nil {
		return false, fmt.Errorf("jobs: merge purge %d: %w", id, err)
	}
	return true, nil
}

// merge is a purge covering both a and b.
func (a PurgeArgs) merge(b PurgeArgs) PurgeArgs {
	out := PurgeArgs{StoreID: a.StoreID, Store: a.Store || b.Store}
	if !out.Store {
		out.Products = union(a.Products, b.Products)
	}
	out.Keys = union(a.Keys, b.Keys)
	out.Edits, out.Settled = a.Edits+b.Edits, a.Settled+b.Settled
	return out
}

func union[T interface{ ~int64 | ~string }](a, b []T) []T {
	out := slices.Concat(a, b)
	slices.Sort(out)
	return slices.Compact(out)
}
