package jobs

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
)

// Purger carries out a purge job; the page cache implements it.
type Purger interface {
	// PurgeDurable purges every tier for the store (all of its pages, or
	// the pages showing products, plus known keys). It calls save with the
	// keys it found before it removes anything, so that a retry knows
	// them; it returns an error while any tier (Redis, an edge) failed,
	// and the job is retried.
	// since is when the job was written: the keys purged from then on
	// (by the fast path after the commit) are PURGEd at the edges too.
	PurgeDurable(ctx context.Context, storeID int64, store bool, products []int64, known []string, since time.Time, save func(ctx context.Context, keys []string) error) error
	// PurgeEdgesSince PURGEs at the edges every page key of the store
	// purged since since (the job's fast path took them out of the app's
	// tiers already): the durable half of the fast path's repeated edge
	// PURGEs, for a job whose every edit was settled.
	PurgeEdgesSince(ctx context.Context, storeID int64, since time.Time) error
	// SetPendingStores says which stores have a purge job that failed
	// and is still owed (their pages must not be read from Redis until it
	// succeeds), and which have any purge job not yet done.
	SetPendingStores(failed, owed map[int64]bool)
}

// Config sets up a replica's workers.
type Config struct {
	DB      *sql.DB
	Dialect string
	Purger  Purger
	Logger  *slog.Logger
	// ID names this replica in the jobs' attempted_by (default: River's).
	ID string
	// PollInterval is how often idle workers look for jobs (default
	// 100 ms); it is the pickup delay of a job a dead replica left.
	PollInterval time.Duration
	// JobTimeout bounds one attempt (default 30 s). Never infinite: River
	// never rescues a job without a timeout.
	JobTimeout time.Duration
	// RescueAfter is when a running job whose replica died is handed to
	// another one (default 40 s; at least JobTimeout).
	RescueAfter time.Duration
	// Workers per replica (default 4).
	Workers int
	// PendingEvery is how often the failed purges are read back from the
	// queue for SetPendingStores (default 100 ms).
	PendingEvery time.Duration
	// SendMail sends mail jobs (mail.go). cmd/dukaan always sets it (a
	// mailer that writes to the log when SMTP is not configured): a
	// replica without the worker would fetch mail jobs and fail them.
	SendMail SendMail
	// DeliverWebhook makes webhook attempts (webhook.go); cmd/dukaan
	// always sets it, for the same reason as SendMail. WebhookBackoff is
	// the first retry's wait (default WebhookBackoff, 10 s; tests shorten
	// it), doubling to 30 min.
	DeliverWebhook DeliverWebhook
	WebhookBackoff time.Duration
	// SweepPhotos and PruneSessions are the periodic jobs (periodic.go);
	// River runs their schedule on the elected leader only.
	SweepPhotos   Sweep
	PruneSessions Sweep
	// RecheckDomains re-checks verified custom domains (cmd/dukaan/domains.go);
	// Run reports how many it flagged.
	RecheckDomains Sweep
}

func (c *Config) defaults() {
	if c.PollInterval <= 0 {
		c.PollInterval = 100 * time.Millisecond
	}
	if c.JobTimeout <= 0 {
		c.JobTimeout = 30 * time.Second
	}
	if c.RescueAfter < c.JobTimeout {
		c.RescueAfter = max(40*time.Second, c.JobTimeout)
	}
	if c.WebhookBackoff <= 0 {
		c.WebhookBackoff = WebhookBackoff
	}
	if c.DeliverWebhook != nil && c.RescueAfter <= webhookTimeout {
		// A slow endpoint's attempt must end before River hands the
		// job to another worker, or the same delivery goes out twice.
		c.RescueAfter = webhookTimeout + time.Second
	}
	if c.Workers <= 0 {
		c.Workers = 4
	}
	if c.PendingEvery <= 0 {
		c.PendingEvery = 100 * time.Millisecond
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
}

// Runner is a replica's River client with its workers.
type Runner struct {
	cfg    Config
	client *river.Client[*sql.Tx]
	stop   context.CancelFunc
	wg     sync.WaitGroup
}

// Start starts the workers; Stop stops them, letting running jobs finish.
func Start(ctx context.Context, cfg Config) (*Runner, error) {
	cfg.defaults()
	drv, err := driver(cfg.DB, cfg.Dialect)
	if err != nil {
		return nil, err
	}
	workers := river.NewWorkers()
	river.AddWorker(workers, &purgeWorker{db: cfg.DB, dialect: cfg.Dialect, purger: cfg.Purger, timeout: cfg.JobTimeout})
	if cfg.SendMail != nil {
		river.AddWorker(workers, &mailWorker{send: cfg.SendMail})
	}
	if cfg.DeliverWebhook != nil {
		river.AddWorker(workers, &webhookWorker{deliver: cfg.DeliverWebhook, base: cfg.WebhookBackoff})
	}
	periodicJobs := periodic(cfg, workers)
	client, err := river.NewClient(drv, &river.Config{
		ID:                          cfg.ID,
		Queues:                      map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: cfg.Workers}},
		Workers:                     workers,
		FetchPollInterval:           cfg.PollInterval,
		FetchCooldown:               min(cfg.PollInterval, 20*time.Millisecond),
		PollOnly:                    cfg.Dialect == Postgres, // no LISTEN over database/sql; SQLite polls its notification table
		JobTimeout:                  cfg.JobTimeout,
		RescueStuckJobsAfter:        cfg.RescueAfter,
		PeriodicJobs:                periodicJobs,
		CompletedJobRetentionPeriod: CompletedRetention,
		CancelledJobRetentionPeriod: CancelledRetention,
		DiscardedJobRetentionPeriod: DiscardedRetention,
		Logger:                      slog.New(atMostWarn{cfg.Logger.Handler()}),
	})
	if err != nil {
		return nil, fmt.Errorf("jobs: client: %w", err)
	}
	// River stops when the context given to Start ends; the workers live
	// until Stop, whatever ctx the caller started them under.
	if err := client.Start(context.WithoutCancel(ctx)); err != nil {
		return nil, fmt.Errorf("jobs: start: %w", err)
	}
	r := &Runner{cfg: cfg, client: client}
	pctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	r.stop = cancel
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		r.watchPending(pctx)
	}()
	return r, nil
}

// atMostWarn logs River's records at WARN at most. River logs a database
// that is away (a restart, a failover) at ERROR on every poll; the app
// reports that outage itself (/readyz, 503s), and its ERROR level means a
// bug. A job that keeps failing shows in the queue (its errors column) and
// in the purge metrics.
type atMostWarn struct{ h slog.Handler }

func (a atMostWarn) Enabled(ctx context.Context, l slog.Level) bool {
	return a.h.Enabled(ctx, min(l, slog.LevelWarn))
}

func (a atMostWarn) Handle(ctx context.Context, r slog.Record) error {
	if r.Level > slog.LevelWarn {
		r.Level = slog.LevelWarn
	}
	return a.h.Handle(ctx, r)
}

func (a atMostWarn) WithAttrs(as []slog.Attr) slog.Handler { return atMostWarn{a.h.WithAttrs(as)} }
func (a atMostWarn) WithGroup(g string) slog.Handler       { return atMostWarn{a.h.WithGroup(g)} }

// Stop stops fetching, waits for running jobs until ctx is done, and gives up
// leadership, so an ordinary restart leaves nothing for the rescuer.
func (r *Runner) Stop(ctx context.Context) error {
	r.stop()
	r.wg.Wait()
	if err := r.client.Stop(ctx); err != nil {
		return fmt.Errorf("jobs: stop: %w", err)
	}
	return nil
}

// watchPending feeds the Purger the stores owed a purge, and among them
// those whose purge failed: a job not finished whose earlier attempt
// recorded an error. river_job_state_and_finalized_at_index keeps this cheap:
// finished jobs are not scanned.
func (r *Runner) watchPending(ctx context.Context) {
	q := `SELECT (args->>'store_id')::bigint, max(CASE WHEN errors IS NULL THEN 0 ELSE 1 END) FROM river_job
WHERE kind = 'purge' AND state IN ('available','pending','running','scheduled','retryable') GROUP BY 1`
	if r.cfg.Dialect == SQLite {
		q = `SELECT json_extract(args, '$.store_id'), max(CASE WHEN errors IS NULL THEN 0 ELSE 1 END) FROM river_job
WHERE kind = 'purge' AND state IN ('available','pending','running','scheduled','retryable') GROUP BY 1`
	}
	t := time.NewTicker(r.cfg.PendingEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		failed, owed, err := pendingStores(ctx, r.cfg.DB, q)
		if err != nil {
			// Keep the last answer: forgetting a failed purge because the
			// database hiccuped would let Redis serve a stale page.
			r.cfg.Logger.Warn("jobs: read owed purges", "err", err)
			continue
		}
		r.cfg.Purger.SetPendingStores(failed, owed)
	}
}

func pendingStores(ctx context.Context, db *sql.DB, q string) (failed, owed map[int64]bool, err error) {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	rows, err := db.QueryContext(ctx, q)
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	failed, owed = map[int64]bool{}, map[int64]bool{}
	for rows.Next() {
		var id, bad int64
		if err := rows.Scan(&id, &bad); err != nil {
			return nil, nil, err
		}
		owed[id] = true
		if bad != 0 {
			failed[id] = true
		}
	}
	return failed, owed, rows.Err()
}

type purgeWorker struct {
	river.WorkerDefaults[PurgeArgs]
	db      *sql.DB
	dialect string
	purger  Purger
	timeout time.Duration
}

// Work purges; it is idempotent (a purged key purged again is a no-op), so a
// job rescued from a replica that died mid-purge simply runs again.
func (w *purgeWorker) Work(ctx context.Context, job *river.Job[PurgeArgs]) error {
	a := job.Args
	if a.Edits > 0 && !a.settled() {
		// The fast path normally settles within milliseconds of the
		// commit; a job fetched before that waits out the grace and looks
		// again. A crash before the fast path leaves it unsettled: a full
		// purge, as always.
		if cur, err := w.afterGrace(ctx, job); err == nil {
			a.Edits, a.Settled = cur.Edits, cur.Settled
		}
	}
	if a.settled() {
		return w.purger.PurgeEdgesSince(ctx, a.StoreID, job.CreatedAt)
	}
	save := func(ctx context.Context, keys []string) error {
		next := a
		next.Keys = union(a.Keys, keys)
		if len(next.Keys) == len(a.Keys) {
			return nil
		}
		return w.saveArgs(ctx, job.ID, next)
	}
	return w.purger.PurgeDurable(ctx, a.StoreID, a.Store, a.Products, a.Keys, job.CreatedAt, save)
}

// fastGrace is how long after its commit a purge job waits for the fast
// path to settle it before purging in full: far above a fast path's usual
// few milliseconds, and small beside the job's pickup after a crash.
const fastGrace = 300 * time.Millisecond

// afterGrace waits until fastGrace after the job was written (at most
// fastGrace, whatever the clocks say) and reads its args again.
func (w *purgeWorker) afterGrace(ctx context.Context, job *river.Job[PurgeArgs]) (PurgeArgs, error) {
	wait := min(max(time.Until(job.CreatedAt.Add(fastGrace)), 0), fastGrace)
	select {
	case <-time.After(wait):
	case <-ctx.Done():
		return PurgeArgs{}, ctx.Err()
	}
	q := "SELECT args FROM river_job WHERE id = $1"
	if w.dialect == SQLite {
		q = "SELECT json(args) FROM river_job WHERE id = ?"
	}
	var raw []byte
	if err := w.db.QueryRowContext(ctx, q, job.ID).Scan(&raw); err != nil {
		return PurgeArgs{}, err
	}
	var a PurgeArgs
	if err := json.Unmarshal(raw, &a); err != nil {
		return PurgeArgs{}, err
	}
	return a, nil
}

func (w *purgeWorker) saveArgs(ctx context.Context, id int64, a PurgeArgs) error {
	b, err := json.Marshal(a)
	if err != nil {
		return err
	}
	q := "UPDATE river_job SET args = $1::jsonb WHERE id = $2 AND state = 'running'"
	if w.dialect == SQLite {
		q = "UPDATE river_job SET args = jsonb(?) WHERE id = ? AND state = 'running'"
	}
	if _, err := w.db.ExecContext(ctx, q, string(b), id); err != nil {
		return fmt.Errorf("jobs: save purge keys: %w", err)
	}
	return nil
}

// Timeout is finite: River never rescues a job without one.
func (w *purgeWorker) Timeout(*river.Job[PurgeArgs]) time.Duration { return w.timeout }

// NextRetry retries soon: the purge is what keeps a stale page from being
// served, and it is cheap when the tier is still away.
func (w *purgeWorker) NextRetry(job *river.Job[PurgeArgs]) time.Time {
	return time.Now().Add(purgeBackoff(job.Attempt))
}

var _ rivertype.JobArgs = PurgeArgs{}
