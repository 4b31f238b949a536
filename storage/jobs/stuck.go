package jobs

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// StuckJob is a job an operator should look at (`dukaan jobs`).
type StuckJob struct {
	ID          int64
	Kind, State string
	StoreID     int64 // 0 for jobs of no store (the periodic ones)
	Attempt     int
	MaxAttempts int
	// Age is how long the job has been in its trouble: waiting since it
	// was due (available), failing since it was written (retryable),
	// running since its attempt began, discarded since it gave up.
	Age       time.Duration
	LastError string
}

// StuckOpts says what counts as stuck.
type StuckOpts struct {
	Waiting   time.Duration // available past due, or retryable since written, longer than this
	Running   time.Duration // an attempt running longer than this (the job timeout)
	Discarded time.Duration // discarded within this
	Limit     int           // at most this many, oldest id first (default 200)
}

// Stuck lists the jobs that match opts, in one query on either dialect.
func Stuck(ctx context.Context, db *sql.DB, dialect string, o StuckOpts) ([]StuckJob, error) {
	if o.Limit <= 0 {
		o.Limit = 200
	}
	q := `SELECT id, kind, state, COALESCE((args->>'store_id')::bigint, (args->>'vendor_id')::bigint, 0), attempt, max_attempts,
  EXTRACT(EPOCH FROM now() - CASE state WHEN 'available' THEN scheduled_at WHEN 'retryable' THEN created_at
    WHEN 'running' THEN attempted_at ELSE finalized_at END)::float8,
  COALESCE(errors[array_length(errors, 1)]->>'error', '')
FROM river_job
WHERE (state = 'available' AND scheduled_at < now() - make_interval(secs => $1))
   OR (state = 'retryable' AND created_at < now() - make_interval(secs => $1))
   OR (state = 'running' AND attempted_at < now() - make_interval(secs => $2))
   OR (state = 'discarded' AND finalized_at > now() - make_interval(secs => $3))
ORDER BY id LIMIT $4`
	if dialect == SQLite {
		q = `SELECT id, kind, state, COALESCE(json_extract(args, '$.store_id'), json_extract(args, '$.vendor_id'), 0), attempt, max_attempts,
  (julianday('now') - julianday(CASE state WHEN 'available' THEN scheduled_at WHEN 'retryable' THEN created_at
    WHEN 'running' THEN attempted_at ELSE finalized_at END)) * 86400.0,
  COALESCE(json_extract(errors, '$[#-1].error'), '')
FROM river_job
WHERE (state = 'available' AND julianday(scheduled_at) < julianday('now') - ?1 / 86400.0)
   OR (state = 'retryable' AND julianday(created_at) < julianday('now') - ?1 / 86400.0)
   OR (state = 'running' AND julianday(attempted_at) < julianday('now') - ?2 / 86400.0)
   OR (state = 'discarded' AND julianday(finalized_at) > julianday('now') - ?3 / 86400.0)
ORDER BY id LIMIT ?4`
	}
	rows, err := db.QueryContext(ctx, q, o.Waiting.Seconds(), o.Running.Seconds(), o.Discarded.Seconds(), o.Limit)
	if err != nil {
		return nil, fmt.Errorf("jobs: stuck jobs: %w", err)
	}
	defer rows.Close()
	var out []StuckJob
	for rows.Next() {
		var j StuckJob
		var age float64
		if err := rows.Scan(&j.ID, &j.Kind, &j.State, &j.StoreID, &j.Attempt, &j.MaxAttempts, &age, &j.LastError); err != nil {
			return nil, fmt.Errorf("jobs: stuck jobs: %w", err)
		}
		j.Age = time.Duration(max(age, 0) * float64(time.Second)).Round(time.Second)
		out = append(out, j)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("jobs: stuck jobs: %w", err)
	}
	return out, nil
}
