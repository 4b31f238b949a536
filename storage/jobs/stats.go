package jobs

import (
	"context"
	"database/sql"
	"fmt"
)

// Kinds are the job kinds this package runs, for metrics that report
// every kind (zero included).
func Kinds() []string {
	return []string{KindPurge, KindSweepPhotos, KindPruneSessions, KindMail, KindWebhook, KindRecheckDomains}
}

// StateCount is what the queue holds of one kind in one state. Completed
// and cancelled jobs are not counted: they are history.
type StateCount struct {
	Kind, State string
	Jobs        int64
	// Retries are the attempts beyond the first, summed over the jobs.
	Retries int64
	// Errored jobs have at least one failed attempt recorded.
	Errored int64
	// OldestSeconds is the time since the earliest scheduled_at: for
	// available jobs, how long the oldest has waited for a worker.
	OldestSeconds float64
}

// QueueStats reads the queue by kind and state in one query; the state
// indexes keep it cheap (finished jobs are not scanned).
func QueueStats(ctx context.Context, db *sql.DB, dialect string) ([]StateCount, error) {
	q := `SELECT kind, state, count(*),
  COALESCE(sum(GREATEST(attempt - 1, 0)), 0),
  count(*) FILTER (WHERE errors IS NOT NULL),
  COALESCE(EXTRACT(EPOCH FROM now() - min(scheduled_at)), 0)::float8
FROM river_job WHERE state IN ('available','scheduled','retryable','running','discarded')
GROUP BY kind, state`
	if dialect == SQLite {
		// Timestamps are UTC text here: ages come from julianday.
		q = `SELECT kind, state, count(*),
  COALESCE(sum(max(attempt - 1, 0)), 0),
  sum(CASE WHEN errors IS NULL THEN 0 ELSE 1 END),
  COALESCE((julianday('now') - min(julianday(scheduled_at))) * 86400.0, 0)
FROM river_job WHERE state IN ('available','scheduled','retryable','running','discarded')
GROUP BY kind, state`
	}
	rows, err := db.QueryContext(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("jobs: queue stats: %w", err)
	}
	defer rows.Close()
	var out []StateCount
	for rows.Next() {
		var s StateCount
		if err := rows.Scan(&s.Kind, &s.State, &s.Jobs, &s.Retries, &s.Errored, &s.OldestSeconds); err != nil {
			return nil, fmt.Errorf("jobs: queue stats: %w", err)
		}
		s.OldestSeconds = max(s.OldestSeconds, 0)
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("jobs: queue stats: %w", err)
	}
	return out, nil
}
