package jobs

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/riverqueue/river"
)

// Sweep is a periodic job: River inserts it every Every on the elected
// leader only, so it runs once across all replicas, and any replica's
// worker may run it. A nil Run disables it.
type Sweep struct {
	Every time.Duration
	// Run does the work and reports how many things it removed.
	Run func(ctx context.Context) (int64, error)
}

// Periodic job kinds.
const (
	KindSweepPhotos   = "sweep_photos"
	KindPruneSessions = "prune_sessions"
	// KindRecheckDomains looks every verified custom domain's records up
	// again (daily) and flags the ones that stopped pointing at us.
	KindRecheckDomains = "recheck_domains"
)

// RecheckDomainsArgs is the daily re-check of verified custom domains.
type RecheckDomainsArgs struct{}

// Kind is the River job kind.
func (RecheckDomainsArgs) Kind() string { return KindRecheckDomains }

// SweepPhotosArgs is the orphan photo sweep (images.SweepOrphans).
type SweepPhotosArgs struct{}

// Kind is the River job kind.
func (SweepPhotosArgs) Kind() string { return KindSweepPhotos }

// PruneSessionsArgs deletes expired sessions.
type PruneSessionsArgs struct{}

// Kind is the River job kind.
func (PruneSessionsArgs) Kind() string { return KindPruneSessions }

// Retention of finished jobs, which River's cleaner (on the leader, every
// 30 s) deletes: completed jobs are only history (an hour is enough to
// read what just ran); cancelled jobs a day; discarded ones (a purge that
// gave up after purgeMaxAttempts, a sweep that kept failing) a week, so
// an operator back from a weekend still sees them in `dukaan jobs` and in
// dukaan_jobs{state="discarded"}.
const (
	CompletedRetention = time.Hour
	CancelledRetention = 24 * time.Hour
	DiscardedRetention = 7 * 24 * time.Hour
)

// sweepMaxAttempts: a failed sweep retries a few times (River's backoff,
// seconds to minutes), then waits for the next period.
const sweepMaxAttempts = 5

// periodic registers the sweeps' workers and returns their schedules.
func periodic(cfg Config, workers *river.Workers) []*river.PeriodicJob {
	var out []*river.PeriodicJob
	add := func(kind string, s Sweep, args river.JobArgs) {
		if s.Run == nil {
			return
		}
		every := s.Every
		if every <= 0 {
			every = time.Hour
		}
		out = append(out, river.NewPeriodicJob(river.PeriodicInterval(every),
			func() (river.JobArgs, *river.InsertOpts) {
				return args, &river.InsertOpts{MaxAttempts: sweepMaxAttempts}
			},
			// RunOnStart: a fleet restarted more often than Every still
			// sweeps; the ID keeps one schedule per kind across leaders.
			&river.PeriodicJobOpts{ID: kind, RunOnStart: true}))
	}
	if cfg.SweepPhotos.Run != nil {
		river.AddWorker(workers, &sweepWorker[SweepPhotosArgs]{run: cfg.SweepPhotos.Run, log: cfg.Logger, timeout: 10 * time.Minute})
		add(KindSweepPhotos, cfg.SweepPhotos, SweepPhotosArgs{})
	}
	if cfg.PruneSessions.Run != nil {
		river.AddWorker(workers, &sweepWorker[PruneSessionsArgs]{run: cfg.PruneSessions.Run, log: cfg.Logger, timeout: time.Minute})
		add(KindPruneSessions, cfg.PruneSessions, PruneSessionsArgs{})
	}
	if cfg.RecheckDomains.Run != nil {
		// One DNS check per domain, each bounded by the checker's timeout.
		river.AddWorker(workers, &sweepWorker[RecheckDomainsArgs]{run: cfg.RecheckDomains.Run, log: cfg.Logger, timeout: 30 * time.Minute})
		add(KindRecheckDomains, cfg.RecheckDomains, RecheckDomainsArgs{})
	}
	return out
}

type sweepWorker[T river.JobArgs] struct {
	river.WorkerDefaults[T]
	run     func(ctx context.Context) (int64, error)
	log     *slog.Logger
	timeout time.Duration
}

func (w *sweepWorker[T]) Work(ctx context.Context, job *river.Job[T]) error {
	n, err := w.run(ctx)
	if err != nil {
		return fmt.Errorf("%s: %w", job.Kind, err)
	}
	if n > 0 {
		w.log.Info("periodic job", "kind", job.Kind, "removed", n)
	}
	return nil
}

// Timeout is finite: River never rescues a job without one.
func (w *sweepWorker[T]) Timeout(*river.Job[T]) time.Duration { return w.timeout }
