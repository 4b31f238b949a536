package monitoring

import (
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"dukaan/storage"
	"dukaan/storage/storagetest"
)

// gathered is the value of the series name{labels}; ok is false when the
// scrape has no such series.
func gathered(t *testing.T, m *Metrics, name string, labels map[string]string) (float64, bool) {
	t.Helper()
	fams, err := m.Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range fams {
		if f.GetName() != name {
			continue
		}
	next:
		for _, s := range f.GetMetric() {
			got := map[string]string{}
			for _, l := range s.GetLabel() {
				got[l.GetName()] = l.GetValue()
			}
			for k, v := range labels {
				if got[k] != v {
					continue next
				}
			}
			if len(got) != len(labels) {
				continue
			}
			return s.GetGauge().GetValue(), true
		}
	}
	return 0, false
}

// TestJobsCollector: jobs put in known states are exported by kind, on
// both databases; an idle kind reads 0, not nothing.
func TestJobsCollector(t *testing.T) {
	storagetest.ForEachDialect(t, func(t *testing.T, db *storage.DB) {
		m := newMetrics(t)
		if err := m.WatchJobs(db.Bun().DB, db.Dialect()); err != nil {
			t.Fatal(err)
		}
		// Each new product owes its store a purge: one job per store.
		var ids []int64
		for _, slug := range []string{"a1", "b2", "c3", "d4", "e5", "f6"} {
			v := storagetest.Vendor(t, db, slug)
			storagetest.Product(t, db, v.ID, "Pickle", 20000, 5)
			ids = append(ids, storagetest.PurgeJob(t, db, v.ID))
		}
		storagetest.SetJob(t, db, ids[0], storagetest.Job{State: "available", Attempt: 0, Age: 90 * time.Second})
		storagetest.SetJob(t, db, ids[1], storagetest.Job{State: "available", Attempt: 1, Error: "redis: connection refused", Age: 10 * time.Second})
		storagetest.SetJob(t, db, ids[2], storagetest.Job{State: "retryable", Attempt: 3, Error: "edge: timeout", Age: -5 * time.Second})
		storagetest.SetJob(t, db, ids[3], storagetest.Job{State: "running", Attempt: 2, Error: "edge: timeout", Age: time.Second})
		storagetest.SetJob(t, db, ids[4], storagetest.Job{State: "discarded", Attempt: 5, Error: "edge: 502", Age: time.Hour})
		storagetest.SetJob(t, db, ids[5], storagetest.Job{Kind: "sweep_photos", State: "scheduled", Age: -time.Hour})

		for _, tt := range []struct {
			name   string
			labels map[string]string
			want   float64
		}{
			{"dukaan_jobs_query_up", nil, 1},
			{"dukaan_jobs_queue_depth", map[string]string{"kind": "purge"}, 3},
			{"dukaan_jobs_queue_depth", map[string]string{"kind": "sweep_photos"}, 1},
			{"dukaan_jobs_queue_depth", map[string]string{"kind": "prune_sessions"}, 0},
			{"dukaan_jobs", map[string]string{"kind": "purge", "state": "available"}, 2},
			{"dukaan_jobs", map[string]string{"kind": "purge", "state": "retryable"}, 1},
			{"dukaan_jobs", map[string]string{"kind": "purge", "state": "running"}, 1},
			{"dukaan_jobs", map[string]string{"kind": "purge", "state": "discarded"}, 1},
			{"dukaan_jobs", map[string]string{"kind": "purge", "state": "scheduled"}, 0},
			{"dukaan_jobs", map[string]string{"kind": "sweep_photos", "state": "scheduled"}, 1},
			// Failing: the available job after a failure, the retryable
			// and the running one; the discarded one is dead, not failing.
			{"dukaan_jobs_failing", map[string]string{"kind": "purge"}, 3},
			// Attempts beyond the first: 0 + 0 + 2 + 1 + 4.
			{"dukaan_jobs_retries", map[string]string{"kind": "purge"}, 7},
			{"dukaan_jobs_oldest_available_age_seconds", map[string]string{"kind": "sweep_photos"}, 0},
		} {
			got, ok := gathered(t, m, tt.name, tt.labels)
			if !ok || got != tt.want {
				t.Errorf("%s%v = %v (present %v), want %v", tt.name, tt.labels, got, ok, tt.want)
			}
		}
		age, ok := gathered(t, m, "dukaan_jobs_oldest_available_age_seconds", map[string]string{"kind": "purge"})
		if !ok || age < 89 || age > 120 {
			t.Errorf("oldest available purge: %v s (present %v), want about 90", age, ok)
		}
		problems, err := testutil.GatherAndLint(m.Registry())
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range problems {
			t.Errorf("lint: %s: %s", p.Metric, p.Text)
		}

		// A database that does not answer: query_up 0, no stale figures.
		if err := db.Close(); err != nil {
			t.Fatal(err)
		}
		if up, _ := gathered(t, m, "dukaan_jobs_query_up", nil); up != 0 {
			t.Errorf("query_up with the database closed: %v", up)
		}
		if _, ok := gathered(t, m, "dukaan_jobs_queue_depth", map[string]string{"kind": "purge"}); ok {
			t.Error("queue depth exported with the database closed")
		}
	})
}
