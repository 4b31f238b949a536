package monitoring

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/redis/go-redis/v9"

	"dukaan/storage/pagecache"
)

func newMetrics(tb testing.TB) *Metrics {
	tb.Helper()
	m, err := New(prometheus.NewRegistry(), Options{Version: "v1.2.3"})
	if err != nil {
		tb.Fatal(err)
	}
	return m
}

// scrape is what GET /metrics answers.
func scrape(tb testing.TB, m *Metrics) string {
	tb.Helper()
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	if rec.Code != http.StatusOK {
		tb.Fatalf("GET /metrics: %d", rec.Code)
	}
	b, _ := io.ReadAll(rec.Body)
	return string(b)
}

func TestRegistriesAreIndependent(t *testing.T) {
	// Two programs in one test process must not collide: nothing global.
	a, b := newMetrics(t), newMetrics(t)
	a.OrderPlaced()
	if got := testutil.ToFloat64(b.ordersPlaced); got != 0 {
		t.Errorf("second registry counted %v orders, want 0", got)
	}
	if _, err := New(a.Registry(), Options{}); err == nil {
		t.Error("New registered twice on one registry without an error")
	}
}

func TestObserveRequest(t *testing.T) {
	tests := []struct {
		name                          string
		kind, route, method           string
		status                        int
		wantRoute, wantMethod, wantSC string
	}{
		{"shop page", KindShop, "/p/:id", "GET", 200, "/p/:id", "GET", "2xx"},
		{"no route", KindShop, "", "GET", 404, RouteUnmatched, "GET", "4xx"},
		{"odd method", KindAdmin, "", "BREW", 405, RouteUnmatched, "OTHER", "4xx"},
		{"purge", KindShop, "/*path", "PURGE", 200, "/*path", "PURGE", "2xx"},
		{"nothing written", KindOps, "/healthz", "GET", 0, "/healthz", "GET", "2xx"},
		{"failure", KindAdmin, "/products/:id/edit", "POST", 503, "/products/:id/edit", "POST", "5xx"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := newMetrics(t)
			m.ObserveRequest(tt.kind, tt.route, tt.method, tt.status, 3*time.Millisecond)
			if got := testutil.ToFloat64(m.requests.WithLabelValues(tt.kind, tt.wantRoute, tt.wantMethod, tt.wantSC)); got != 1 {
				t.Errorf("requests{%s %s %s %s} = %v, want 1", tt.kind, tt.wantRoute, tt.wantMethod, tt.wantSC, got)
			}
			if n := testutil.CollectAndCount(m.requests); n != 1 {
				t.Errorf("%d request series, want 1", n)
			}
			if n := testutil.CollectAndCount(m.duration); n != 1 {
				t.Errorf("%d latency series, want 1", n)
			}
		})
	}
}

func TestKnownLabelsStartAtZero(t *testing.T) {
	m := newMetrics(t)
	out := scrape(t, m)
	for _, want := range []string{
		`dukaan_orders_refused_total{reason="sold_out"} 0`,
		`dukaan_orders_refused_total{reason="duplicate"} 0`,
		`dukaan_pagecache_purge_failures_total{target="product",tier="edge"} 0`,
		`dukaan_orders_placed_total 0`,
		`dukaan_build_info{goversion="`,
		`version="v1.2.3"`,
		"go_goroutines ",
		"process_resident_memory_bytes ",
		"go_build_info{",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
}

func TestOrdersAndPurges(t *testing.T) {
	m := newMetrics(t)
	m.OrderPlaced()
	m.OrderRefused(RefusedSoldOut)
	m.OrderRefused(RefusedSoldOut)
	m.ObservePurge(pagecache.PurgeEdge, pagecache.TargetProduct, 20*time.Millisecond, nil)
	m.ObservePurge(pagecache.PurgeEdge, pagecache.TargetProduct, 2*time.Second, errors.New("edge down"))
	if got := testutil.ToFloat64(m.ordersPlaced); got != 1 {
		t.Errorf("placed = %v, want 1", got)
	}
	if got := testutil.ToFloat64(m.ordersRefused.WithLabelValues(RefusedSoldOut)); got != 2 {
		t.Errorf("refused sold_out = %v, want 2", got)
	}
	if got := testutil.ToFloat64(m.purgeFailures.WithLabelValues("edge", "product")); got != 1 {
		t.Errorf("edge purge failures = %v, want 1", got)
	}
	out := scrape(t, m)
	for _, want := range []string{
		`dukaan_pagecache_purge_duration_seconds_count{target="product",tier="edge"} 2`,
		`dukaan_pagecache_purge_duration_seconds_bucket{target="product",tier="edge",le="0.025"} 1`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
}

func TestPageCacheCollector(t *testing.T) {
	m := newMetrics(t)
	stats := pagecache.Stats{HitsLocal: 7, HitsRedis: 3, Misses: 2, Renders: 2, Uncacheable: 1, RedisErrors: 4,
		Purges: 5, PurgedKeys: 9, EdgePurges: 8, EdgeFailures: 1, Retries: 1}
	if err := m.WatchPageCache(func() pagecache.Stats { return stats }); err != nil {
		t.Fatal(err)
	}
	out := scrape(t, m)
	for _, want := range []string{
		`dukaan_pagecache_requests_total{result="hit_local"} 7`,
		`dukaan_pagecache_requests_total{result="hit_redis"} 3`,
		`dukaan_pagecache_requests_total{result="miss"} 2`,
		`dukaan_pagecache_renders_total 2`,
		`dukaan_pagecache_uncacheable_total 1`,
		`dukaan_pagecache_redis_errors_total 4`,
		`dukaan_pagecache_purges_total 5`,
		`dukaan_pagecache_purged_keys_total 9`,
		`dukaan_pagecache_edge_purge_requests_total{result="ok"} 8`,
		`dukaan_pagecache_edge_purge_requests_total{result="failed"} 1`,
		`dukaan_pagecache_edge_purge_retries_total 1`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	problems, err := testutil.GatherAndLint(m.Registry())
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("lint: %s: %s", p.Metric, p.Text)
	}
}

type fakePool struct{ s redis.PoolStats }

func (f fakePool) PoolStats() *redis.PoolStats { return &f.s }

func TestRedisPoolAndDependencies(t *testing.T) {
	m := newMetrics(t)
	if err := m.WatchRedis(fakePool{redis.PoolStats{Hits: 10, Misses: 2, Timeouts: 1, TotalConns: 5, IdleConns: 3, WaitDurationNs: 1.5e9}}); err != nil {
		t.Fatal(err)
	}
	m.WatchDependency("database", func(context.Context) error { return nil })
	m.WatchDependency("redis", func(context.Context) error { return errors.New("connection refused") })
	out := scrape(t, m)
	for _, want := range []string{
		`dukaan_redis_pool_hits_total 10`,
		`dukaan_redis_pool_misses_total 2`,
		`dukaan_redis_pool_timeouts_total 1`,
		`dukaan_redis_pool_wait_seconds_total 1.5`,
		`dukaan_redis_pool_connections{state="idle"} 3`,
		`dukaan_redis_pool_connections{state="in_use"} 2`,
		`dukaan_dependency_up{dependency="database"} 1`,
		`dukaan_dependency_up{dependency="redis"} 0`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
}

func TestStatusClass(t *testing.T) {
	for status, want := range map[int]string{0: "2xx", 200: "2xx", 204: "2xx", 303: "3xx", 304: "3xx", 404: "4xx", 422: "4xx", 500: "5xx", 503: "5xx", 99: "other", 600: "other"} {
		if got := StatusClass(status); got != want {
			t.Errorf("StatusClass(%d) = %q, want %q", status, got, want)
		}
	}
}
