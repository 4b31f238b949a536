package main

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"dukaan/internal/testsvc"
	"dukaan/storage"
	"dukaan/storage/storagetest"
)

// TestJobsCommand: `dukaan jobs` lists the stuck jobs of the queue (an
// available purge waiting too long, a retryable one failing too long, a
// running attempt past the timeout, a purge discarded today) with kind,
// store, attempts and last error, and leaves out the healthy and the old
// ones; on both databases.
func TestJobsCommand(t *testing.T) {
	for _, dialect := range storagetest.Dialects() {
		t.Run(dialect, func(t *testing.T) {
			ctx := t.Context()
			dsn := filepath.Join(t.TempDir(), "dukaan.db")
			if dialect == storage.DialectPostgres {
				dsn = testsvc.PostgresSchema(t, "jobs_")
			}
			env := map[string]string{"DUKAAN_ENV": "test", "DATABASE_URL": dsn, "DUKAAN_SEED_DEMO": "false",
				"DUKAAN_JOB_TIMEOUT": "10s"}
			var out strings.Builder
			if err := run(ctx, []string{"jobs"}, env, &out); err == nil {
				t.Errorf("jobs before any migration: nil error, output %q", out.String())
			}
			if err := run(ctx, []string{"migrate"}, env, &strings.Builder{}); err != nil {
				t.Fatal(err)
			}
			out.Reset()
			if err := run(ctx, []string{"jobs"}, env, &out); err != nil || !strings.HasPrefix(out.String(), "no stuck jobs") {
				t.Fatalf("jobs on an empty queue: %v, %q", err, out.String())
			}

			db, err := storage.Open(ctx, storage.Config{DSN: dsn})
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			ids := map[string]int64{}
			for _, slug := range []string{"waits", "fails", "runs", "died", "fresh", "oldie", "healthy"} {
				v := storagetest.Vendor(t, db, slug)
				storagetest.Product(t, db, v.ID, "Pickle", 20000, 5)
				ids[slug] = storagetest.PurgeJob(t, db, v.ID)
			}
			storagetest.SetJob(t, db, ids["waits"], storagetest.Job{State: "available", Age: 5 * time.Minute})
			storagetest.SetJob(t, db, ids["fails"], storagetest.Job{State: "retryable", Attempt: 7, Error: "redis: connection\nrefused", Age: 2 * time.Minute})
			storagetest.SetJob(t, db, ids["runs"], storagetest.Job{State: "running", Attempt: 1, Age: 30 * time.Second})
			storagetest.SetJob(t, db, ids["died"], storagetest.Job{State: "discarded", Attempt: 600, Error: "edge 10.0.0.9: 502", Age: 3 * time.Hour})
			storagetest.SetJob(t, db, ids["fresh"], storagetest.Job{State: "available", Age: 5 * time.Second})
			storagetest.SetJob(t, db, ids["oldie"], storagetest.Job{State: "discarded", Attempt: 600, Error: "old", Age: 48 * time.Hour})
			storagetest.SetJob(t, db, ids["healthy"], storagetest.Job{State: "running", Attempt: 1, Age: 2 * time.Second})

			out.Reset()
			if err := run(ctx, []string{"jobs"}, env, &out); err != nil {
				t.Fatal(err)
			}
			got := out.String()
			for _, want := range []*regexp.Regexp{
				regexp.MustCompile(`(?m)^ID +KIND +STATE +STORE +ATTEMPTS +FOR +LAST ERROR$`),
				regexp.MustCompile(`(?m)^\d+ +purge +available +waits \(\d+\) +0/600 +5m0s +-$`),
				regexp.MustCompile(`(?m)^\d+ +purge +retryable +fails \(\d+\) +7/600 +2m0s +redis: connection refused$`),
				regexp.MustCompile(`(?m)^\d+ +purge +running +runs \(\d+\) +1/600 +30s +-$`),
				regexp.MustCompile(`(?m)^\d+ +purge +discarded +died \(\d+\) +600/600 +3h0m0s +edge 10.0.0.9: 502$`),
				regexp.MustCompile(`(?m)^4 stuck job\(s\) \(available or retryable for over 1m0s, running over 10s, discarded in the last 24h0m0s\)$`),
			} {
				if !want.MatchString(got) {
					t.Errorf("output lacks %s:\n%s", want, got)
				}
			}
			for _, slug := range []string{"fresh", "oldie", "healthy"} {
				if strings.Contains(got, slug) {
					t.Errorf("%s listed as stuck:\n%s", slug, got)
				}
			}

			// The thresholds are flags.
			out.Reset()
			if err := run(ctx, []string{"jobs", "--waiting", "1s", "--running", "1s", "--discarded", "72h"}, env, &out); err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(out.String(), "7 stuck job(s)") {
				t.Errorf("with every threshold widened: %s", out.String())
			}
		})
	}
}

// TestJobsUsage: -h prints the usage and succeeds whatever the
// environment; a stray argument or a negative duration is refused.
func TestJobsUsage(t *testing.T) {
	ctx := context.Background()
	var out strings.Builder
	if err := run(ctx, []string{"jobs", "-h"}, nil, &out); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"usage: dukaan jobs", "-waiting", "-running", "-discarded", "DUKAAN_JOB_TIMEOUT"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("jobs -h lacks %q:\n%s", want, out.String())
		}
	}
	out.Reset()
	if err := run(ctx, []string{"help"}, nil, &out); err != nil || !strings.Contains(out.String(), "jobs [--waiting D]") {
		t.Errorf("help: %v, %q", err, out.String())
	}
	env := map[string]string{"DUKAAN_ENV": "test", "DATABASE_URL": filepath.Join(t.TempDir(), "d.db")}
	if err := run(ctx, []string{"jobs", "extra"}, env, &out); err == nil {
		t.Error("jobs extra: nil error")
	}
	if err := run(ctx, []string{"jobs", "--waiting", "-1s"}, env, &out); err == nil {
		t.Error("jobs --waiting -1s: nil error")
	}
}

// TestJobsPeriodicServe: `serve` runs the periodic jobs soon after start:
// an old orphan photo file is deleted and a fresh one kept, an expired
// session is pruned and a live one kept.
func TestJobsPeriodicServe(t *testing.T) {
	for _, dialect := range storagetest.Dialects() {
		t.Run(dialect, func(t *testing.T) {
			ctx := t.Context()
			dsn := filepath.Join(t.TempDir(), "dukaan.db")
			if dialect == storage.DialectPostgres {
				dsn = testsvc.PostgresSchema(t, "jobs_")
			}
			env := map[string]string{"DUKAAN_ENV": "test", "DATABASE_URL": dsn, "DUKAAN_SEED_DEMO": "false",
				"DUKAAN_IMAGE_DIR": t.TempDir()}
			if err := run(ctx, []string{"migrate"}, env, &strings.Builder{}); err != nil {
				t.Fatal(err)
			}
			db, err := storage.Open(ctx, storage.Config{DSN: dsn})
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			sessions := storage.NewSessionStore(db)
			if err := sessions.CommitCtx(ctx, "expired", []byte("x"), time.Now().Add(-time.Minute)); err != nil {
				t.Fatal(err)
			}
			if err := sessions.CommitCtx(ctx, "live", []byte("y"), time.Now().Add(time.Hour)); err != nil {
				t.Fatal(err)
			}
			orphan := filepath.Join(env["DUKAAN_IMAGE_DIR"], "v1", "0123456789abcdef0123-320.jpg")
			fresh := filepath.Join(env["DUKAAN_IMAGE_DIR"], "v1", "fedcba98765432100123-320.jpg")
			for _, f := range []string{orphan, fresh} {
				if err := os.MkdirAll(filepath.Dir(f), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(f, []byte("jpeg"), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			old := time.Now().Add(-25 * time.Hour)
			if err := os.Chtimes(orphan, old, old); err != nil {
				t.Fatal(err)
			}

			startApp(t, dialect, env)
			deadline := time.Now().Add(30 * time.Second)
			for {
				_, orphanErr := os.Stat(orphan)
				var n int
				if err := db.Bun().DB.QueryRowContext(ctx, "SELECT count(*) FROM sessions WHERE token = 'expired'").Scan(&n); err != nil {
					t.Fatal(err)
				}
				if os.IsNotExist(orphanErr) && n == 0 {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("30 s after start: orphan photo stat %v, expired sessions %d", orphanErr, n)
				}
				time.Sleep(100 * time.Millisecond)
			}
			if _, err := os.Stat(fresh); err != nil {
				t.Errorf("the fresh photo file: %v", err)
			}
			if _, ok, err := sessions.FindCtx(ctx, "live"); !ok || err != nil {
				t.Errorf("the live session: %v, %v", ok, err)
			}
		})
	}
}
