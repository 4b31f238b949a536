package jobs_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"dukaan/storage"
	"dukaan/storage/jobs"
	"dukaan/storage/storagetest"
)

// TestPeriodic: with two replicas running, each periodic job runs once
// (on the leader) soon after start, as a job of its kind, and does its
// work: the expired session is pruned, the live one kept.
func TestPeriodic(t *testing.T) {
	storagetest.ForEachDialect(t, func(t *testing.T, db *storage.DB) {
		ctx := t.Context()
		sessions := storage.NewSessionStore(db)
		if err := sessions.CommitCtx(ctx, "gone", []byte("x"), time.Now().Add(-time.Minute)); err != nil {
			t.Fatal(err)
		}
		if err := sessions.CommitCtx(ctx, "live", []byte("y"), time.Now().Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		var photoRuns, sessionRuns atomic.Int64
		start := func() {
			startConfig(t, db, jobs.Config{Purger: &recorder{},
				SweepPhotos: jobs.Sweep{Every: time.Hour, Run: func(context.Context) (int64, error) {
					photoRuns.Add(1)
					return 0, nil
				}},
				PruneSessions: jobs.Sweep{Every: time.Hour, Run: func(ctx context.Context) (int64, error) {
					sessionRuns.Add(1)
					return sessions.DeleteExpired(ctx)
				}},
			})
		}
		start()
		start()
		deadline := time.Now().Add(20 * time.Second)
		for photoRuns.Load() == 0 || sessionRuns.Load() == 0 {
			if time.Now().After(deadline) {
				t.Fatalf("periodic jobs not run within 20 s: photos %d, sessions %d", photoRuns.Load(), sessionRuns.Load())
			}
			time.Sleep(50 * time.Millisecond)
		}
		time.Sleep(time.Second)
		if p, s := photoRuns.Load(), sessionRuns.Load(); p != 1 || s != 1 {
			t.Errorf("two replicas ran the photo sweep %d times and the session prune %d times, want once each", p, s)
		}
		if _, ok, _ := sessions.FindCtx(ctx, "live"); !ok {
			t.Error("the live session was pruned")
		}
		var n int
		if err := db.Bun().DB.QueryRowContext(ctx, "SELECT count(*) FROM sessions WHERE token = 'gone'").Scan(&n); err != nil || n != 0 {
			t.Errorf("expired session rows: %d, %v; want 0", n, err)
		}
		for _, kind := range []string{jobs.KindSweepPhotos, jobs.KindPruneSessions} {
			q := "SELECT count(*) FROM river_job WHERE kind = $1"
			if db.Dialect() == storage.DialectSQLite {
				q = "SELECT count(*) FROM river_job WHERE kind = ?"
			}
			if err := db.Bun().DB.QueryRowContext(ctx, q, kind).Scan(&n); err != nil || n != 1 {
				t.Errorf("%s jobs: %d, %v; want 1", kind, n, err)
			}
		}
	})
}
