package storagetest

import (
	"fmt"
	"testing"
	"time"

	"dukaan/storage"
)

// Job is a state to put a queued job in, for tests of what reads the queue
// (metrics, `dukaan jobs`).
type Job struct {
	Kind    string // "" keeps the job's kind
	State   string // available, scheduled, retryable, running or discarded
	Attempt int
	Error   string // the last attempt's error ("" records none)
	// Age is how long ago the state's clock started: scheduled_at for
	// available and retryable (negative: in the future), attempted_at
	// for running, finalized_at for discarded. created_at is set Age ago
	// too.
	Age time.Duration
}

// PurgeJob is the id of the store's newest purge job.
func PurgeJob(tb testing.TB, db *storage.DB, storeID int64) int64 {
	tb.Helper()
	q := "SELECT max(id) FROM river_job WHERE kind = 'purge' AND (args->>'store_id')::bigint = $1"
	if db.Dialect() == storage.DialectSQLite {
		q = "SELECT max(id) FROM river_job WHERE kind = 'purge' AND json_extract(args, '$.store_id') = ?"
	}
	var id int64
	if err := db.Bun().DB.QueryRowContext(tb.Context(), q, storeID).Scan(&id); err != nil {
		tb.Fatalf("purge job of store %d: %v", storeID, err)
	}
	return id
}

// SetJob puts job id in the state j describes.
func SetJob(tb testing.TB, db *storage.DB, id int64, j Job) {
	tb.Helper()
	at := time.Now().UTC().Add(-j.Age)
	var attempted, finalized any
	switch j.State {
	case "running", "retryable", "discarded":
		attempted = at
	}
	if j.State == "discarded" {
		finalized = at
	}
	sqlite := db.Dialect() == storage.DialectSQLite
	ts := func(v any) any {
		t, ok := v.(time.Time)
		if !ok || !sqlite {
			return v
		}
		return t.Format("2006-01-02 15:04:05.000") // riversqlite's UTC text
	}
	var errs any
	q := `UPDATE river_job SET kind = COALESCE(NULLIF($1, ''), kind), state = $2::river_job_state, attempt = $3,
  scheduled_at = $4, created_at = $4, attempted_at = $5, finalized_at = $6,
  errors = CASE WHEN $7::text IS NULL THEN NULL ELSE ARRAY[$7::jsonb] END WHERE id = $8`
	if sqlite {
		q = `UPDATE river_job SET kind = COALESCE(NULLIF(?1, ''), kind), state = ?2, attempt = ?3,
  scheduled_at = ?4, created_at = ?4, attempted_at = ?5, finalized_at = ?6,
  errors = CASE WHEN ?7 IS NULL THEN NULL ELSE jsonb('[' || ?7 || ']') END WHERE id = ?8`
	}
	if j.Error != "" {
		errs = fmt.Sprintf(`{"at":%q,"attempt":%d,"error":%q,"trace":""}`, at.Format(time.RFC3339Nano), j.Attempt, j.Error)
	}
	if _, err := db.Bun().DB.ExecContext(tb.Context(), q, j.Kind, j.State, j.Attempt,
		ts(at), ts(attempted), ts(finalized), errs, id); err != nil {
		tb.Fatalf("setting job %d to %+v: %v", id, j, err)
	}
}
