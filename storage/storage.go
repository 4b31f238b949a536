// Package storage keeps Dukaan's data in PostgreSQL (production) or SQLite
// (the embedded default) through bun, and implements app's vendor, product,
// order and session services on top of it. Every query is scoped by vendor:
// an id that belongs to another vendor is indistinguishable from a missing
// one.
package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"
	"github.com/uptrace/bun/dialect/sqlitedialect"
	"github.com/uptrace/bun/driver/sqliteshim"
	"golang.org/x/crypto/bcrypt"

	"dukaan/app"
	"dukaan/storage/jobs"
)

// Dialect names returned by (*DB).Dialect.
const (
	DialectPostgres = "postgres"
	DialectSQLite   = "sqlite"
)

// sqliteBusyTimeout is how long a SQLite connection waits for the write
// lock. Write transactions are short (an order touches a handful of rows),
// so a waiter that still has no lock after this long is stuck behind
// something pathological and should fail rather than hang the request.
const sqliteBusyTimeout = 15 * time.Second

// defaultSQLiteConns bounds the SQLite pool. SQLite admits one writer at a
// time, so connections beyond a few only spin in SQLite's sleep-and-retry
// busy handler; waiting in database/sql's pool queue instead is cheaper
// and first come, first served, which keeps 100 concurrent orders from
// starving one another. WAL readers never wait for the writer, so a small
// pool still serves pages while orders commit.
const defaultSQLiteConns = 8

// defaultPostgresConns is the pool size when Config.MaxOpenConns is zero.
const defaultPostgresConns = 20

// Config says which database to open and where committed changes go.
type Config struct {
	// DSN is a postgres:// or postgresql:// URL, or else a SQLite file
	// path (its directory is created). A PostgreSQL DSN may carry session
	// parameters such as search_path=myschema as query parameters.
	DSN string
	// Events receives a ProductEvent after each commit that changes a
	// shop page; nil discards them.
	Events app.EventSink
	// Logger receives errors that must not fail a committed request,
	// such as an event sink that could not purge a cache; nil discards.
	Logger *slog.Logger
	// MaxOpenConns caps the connection pool; zero picks a size suited to
	// the database (small for SQLite's single writer).
	MaxOpenConns int
	// BcryptCost is the cost of new password hashes; zero means
	// bcrypt.DefaultCost. Tests lower it because under the race detector
	// one hash at the default cost takes most of a second.
	BcryptCost int
}

// DB is an open database with Dukaan's services on it.
type DB struct {
	db         *bun.DB
	dialect    string
	events     app.EventSink
	noFastPath bool // no Events: nothing purges before the job, which must not be settled
	jobs       *jobs.Inserter
	log        *slog.Logger
	bcryptCost int
	// dummyHash is compared against when a login names no account, so a
	// failed login costs the same whether or not the email exists.
	dummyHash []byte
}

var (
	_ app.VendorService  = (*DB)(nil)
	_ app.ProductService = (*DB)(nil)
	_ app.OrderService   = (*DB)(nil)
)

// dummyHashDefaultCost is a bcrypt hash at bcrypt.DefaultCost of a random
// password nobody knows; it spares every process start a deliberate
// 50–100 ms hash just to have something to compare against.
const dummyHashDefaultCost = "$2a$10$dYw4StdcyzcQYjUMlM146OEwz6g6qHRFgQzfESpxAB.biV4dEpsOe"

// Open connects to the database named by cfg.DSN and pings it. It does not
// migrate: call Migrate.
func Open(ctx context.Context, cfg Config) (*DB, error) {
	if strings.TrimSpace(cfg.DSN) == "" {
		return nil, errors.New("storage.Open: empty DSN")
	}
	d := &DB{
		events:     cfg.Events,
		log:        cfg.Logger,
		bcryptCost: cfg.BcryptCost,
	}
	if d.events == nil {
		// No fast path: the purge jobs are the only purge, never settled.
		d.noFastPath = true
		d.events = app.EventSinkFunc(func(context.Context, app.ProductEvent) error { return nil })
	}
	if d.log == nil {
		d.log = slog.New(slog.DiscardHandler)
	}
	if d.bcryptCost == 0 {
		d.bcryptCost = bcrypt.DefaultCost
	}
	if d.bcryptCost < bcrypt.MinCost || d.bcryptCost > bcrypt.MaxCost {
		return nil, fmt.Errorf("storage.Open: bcrypt cost %d out of range", d.bcryptCost)
	}
	if d.bcryptCost == bcrypt.DefaultCost {
		d.dummyHash = []byte(dummyHashDefaultCost)
	} else {
		h, err := bcrypt.GenerateFromPassword([]byte("dummy password for timing"), d.bcryptCost)
		if err != nil {
			return nil, fmt.Errorf("storage.Open: dummy hash: %w", err)
		}
		d.dummyHash = h
	}

	var err error
	if isPostgresDSN(cfg.DSN) {
		err = d.openPostgres(cfg)
	} else {
		err = d.openSQLite(cfg)
	}
	if err != nil {
		return nil, fmt.Errorf("storage.Open: %w", err)
	}
	if err := d.db.PingContext(ctx); err != nil {
		_ = d.db.Close()
		return nil, fmt.Errorf("storage.Open: ping %s: %w", d.dialect, err)
	}
	if d.jobs, err = jobs.NewInserter(d.db.DB, d.dialect); err != nil {
		_ = d.db.Close()
		return nil, fmt.Errorf("storage.Open: %w", err)
	}
	return d, nil
}

func isPostgresDSN(dsn string) bool {
	return strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://")
}

// openPostgres opens the pool through pgx's database/sql driver, with bun's
// PostgreSQL dialect on top. pgx sends arguments as protocol parameters; bun's
// own pgdriver fills them into the SQL text on the client, and its parser
// mistakes an apostrophe in a SQL comment for a string literal, which breaks
// the job queue's queries (see docs/architecture.md, Jobs). Query parameters
// pgx does not know, such as search_path, are session parameters.
func (d *DB) openPostgres(cfg Config) error {
	pgcfg, err := pgx.ParseConfig(cfg.DSN)
	if err != nil {
		// pgx's message hides the password.
		return fmt.Errorf("postgres DSN: %w", err)
	}
	sqldb := stdlib.OpenDB(*pgcfg)
	n := cfg.MaxOpenConns
	if n <= 0 {
		n = defaultPostgresConns
	}
	sqldb.SetMaxOpenConns(n)
	sqldb.SetMaxIdleConns(n)
	sqldb.SetConnMaxIdleTime(5 * time.Minute)
	d.db = bun.NewDB(sqldb, pgdialect.New())
	d.dialect = DialectPostgres
	return nil
}

func (d *DB) openSQLite(cfg Config) error {
	dsn, err := sqliteDSN(cfg.DSN)
	if err != nil {
		return err
	}
	sqldb, err := sql.Open(sqliteshim.ShimName, dsn)
	if err != nil {
		return fmt.Errorf("sqlite: %w", err)
	}
	n := cfg.MaxOpenConns
	if n <= 0 {
		n = min(defaultSQLiteConns, max(4, 2*runtime.GOMAXPROCS(0)))
	}
	sqldb.SetMaxOpenConns(n)
	sqldb.SetMaxIdleConns(n)
	// Closing idle SQLite connections would only throw away their page
	// cache; the file is local.
	sqldb.SetConnMaxIdleTime(0)
	d.db = bun.NewDB(sqldb, sqlitedialect.New())
	d.dialect = DialectSQLite
	return nil
}

// sqliteDSN turns a file path (optionally "file:"-prefixed, optionally with
// its own query parameters) into a modernc.org/sqlite DSN with the settings
// Dukaan relies on:
//   - WAL, so readers never wait for the writer;
//   - busy_timeout, so a writer waits for the lock instead of failing;
//   - foreign_keys, which SQLite leaves off by default;
//   - _txlock=immediate, so a write transaction takes the write lock at
//     BEGIN: two deferred transactions that both read and then try to write
//     deadlock, and SQLite resolves that with SQLITE_BUSY no timeout helps.
//
// modernc.org/sqlite runs each _pragma value as "PRAGMA <value>" on every
// new connection, busy_timeout first.
func sqliteDSN(dsn string) (string, error) {
	path, extra, _ := strings.Cut(dsn, "?")
	file := strings.TrimPrefix(path, "file:")
	if file == "" || strings.HasPrefix(file, ":memory:") {
		// Every pooled connection would get its own empty database.
		return "", fmt.Errorf("sqlite: DSN %q is not a file path", dsn)
	}
	if dir := filepath.Dir(file); dir != "." {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return "", fmt.Errorf("sqlite: create directory: %w", err)
		}
	}
	q := url.Values{}
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", sqliteBusyTimeout.Milliseconds()))
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "foreign_keys(1)")
	q.Set("_txlock", "immediate")
	if extra != "" {
		user, err := url.ParseQuery(extra)
		if err != nil {
			return "", fmt.Errorf("sqlite: DSN query: %w", err)
		}
		for k, vs := range user {
			if k == "_pragma" {
				q[k] = append(q[k], vs...)
			} else {
				q[k] = vs
			}
		}
	}
	return path + "?" + q.Encode(), nil
}

// Close closes the pool.
func (d *DB) Close() error {
	if err := d.db.Close(); err != nil {
		return fmt.Errorf("storage.Close: %w", err)
	}
	return nil
}

// Ping checks that the database answers: the readiness probe.
func (d *DB) Ping(ctx context.Context) error {
	if err := d.db.PingContext(ctx); err != nil {
		return fmt.Errorf("storage.Ping: %w", err)
	}
	return nil
}

// Dialect is "postgres" or "sqlite".
func (d *DB) Dialect() string { return d.dialect }

// Bun exposes the bun handle for tools (seeding, benchmarks, tests). Code
// that serves requests should go through the service methods, which keep
// queries scoped by vendor.
func (d *DB) Bun() *bun.DB { return d.db }

// Stats reports the pool's state for metrics.
func (d *DB) Stats() sql.DBStats { return d.db.Stats() }

// owe writes, in tx, the durable purge job of each event (storage/jobs):
// committed with the change or not at all, so a replica that dies right after
// the commit leaves the purge to another. publish after the commit is the fast
// path the console's redirect waits for; the job is the backstop.
//
// When ctx came through owing, the job each event went into is remembered,
// so that publish can settle it once the fast path succeeded (the job then
// repeats only the edge step; jobs.PurgeArgs.Settled).
func (d *DB) owe(ctx context.Context, tx bun.Tx, events ...app.ProductEvent) error {
	o, _ := ctx.Value(owedKey{}).(*owedJobs)
	for _, ev := range events {
		id, err := d.jobs.InsertPurgeTx(ctx, tx.Tx, ev.VendorID, ev.StoreWide(), ev.ProductID)
		if err != nil {
			return err
		}
		if o != nil {
			o.add(ev, id)
		}
	}
	return nil
}

// owedJobs are the purge jobs one change's transaction wrote, by event.
type owedJobs struct {
	mu   sync.Mutex
	jobs map[app.ProductEvent][]int64
}

type owedKey struct{}

// owing is ctx for a change's transaction and its publish: the jobs owe
// writes are remembered for publish to settle. A transaction that rolls
// back leaves them unsettled in a context nobody publishes with.
func owing(ctx context.Context) context.Context {
	return context.WithValue(ctx, owedKey{}, &owedJobs{jobs: map[app.ProductEvent][]int64{}})
}

func (o *owedJobs) add(ev app.ProductEvent, id int64) {
	o.mu.Lock()
	o.jobs[ev] = append(o.jobs[ev], id)
	o.mu.Unlock()
}

// take returns (and forgets) the jobs written for ev.
func (o *owedJobs) take(ev app.ProductEvent) []int64 {
	o.mu.Lock()
	defer o.mu.Unlock()
	ids := o.jobs[ev]
	delete(o.jobs, ev)
	return ids
}

// publish hands committed changes to the event sink. The change is already
// durable, so a sink error must not turn a successful request into a
// failed one: it is logged and the purge job retries what failed. A
// purge that succeeded settles the event's job (owe).
func (d *DB) publish(ctx context.Context, events ...app.ProductEvent) {
	faultAfterCommit(events)
	o, _ := ctx.Value(owedKey{}).(*owedJobs)
	for _, ev := range events {
		err := d.events.Publish(ctx, ev)
		if err != nil {
			d.log.LogAttrs(ctx, slog.LevelError, "storage: publish product event",
				slog.String("kind", string(ev.Kind)),
				slog.Int64("vendor_id", ev.VendorID),
				slog.Int64("product_id", ev.ProductID),
				slog.Any("error", err))
		}
		if o == nil || d.noFastPath {
			continue
		}
		for _, id := range o.take(ev) {
			if err != nil {
				continue
			}
			if serr := d.jobs.SettleFast(context.WithoutCancel(ctx), id); serr != nil {
				// The job purges in full: a second render, nothing stale.
				d.log.Warn("storage: settle purge job", "job", id, "err", serr)
			}
		}
	}
}

// now is the time stamped on rows, truncated to what PostgreSQL stores so
// that a value returned by a write equals the value read back later.
func now() time.Time { return time.Now().UTC().Truncate(time.Microsecond) }

// wrap prefixes err with the exported method's name unless it is a domain
// error, whose message is meant for the user as is.
func wrap(op string, err error) error {
	if err == nil {
		return nil
	}
	var ae *app.Error
	if errors.As(err, &ae) {
		return err
	}
	if isUnavailable(err) {
		// The database is down or unreachable: a retryable condition the
		// web layer answers with 503 and Retry-After, not a bug.
		return fmt.Errorf("storage.%s: %w: %w", op, errUnavailable, err)
	}
	return fmt.Errorf("storage.%s: %w", op, err)
}

var errUnavailable = app.Errorf(app.EUNAVAILABLE, "The shop is busy or briefly offline. Please try again in a few seconds.")
