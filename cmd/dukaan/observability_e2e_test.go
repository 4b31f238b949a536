package main

// TestObservability runs the whole observed stack for real: the app (Main,
// SQLite, a private Redis), an nginx edge in front of it, mtail on the
// edge's access log with monitoring/mtail/edge.mtail, Debian's
// prometheus-nginx-exporter on the edge's stub_status, and Debian's
// Prometheus with the shipped rule files scraping all three every second.
// It drives shop traffic through the edge, then evaluates every PromQL
// expression of the dashboards and rule files through the HTTP API, and
// checks the hit ratios Prometheus computes against what the client saw
// in X-Cache-Status and X-App-Cache.

import (
	"fmt"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"dukaan/internal/testsvc"
	"dukaan/monitoring/monitoringtest"
	"dukaan/nginx/nginxtest"
	"dukaan/web"
)

// obsTally counts the edge lookups the client saw, by what answered.
type obsTally struct {
	lookups  int // X-Cache-Status HIT, STALE, UPDATING, MISS, EXPIRED, REVALIDATED
	edgeHits int // HIT, STALE, UPDATING
	appHits  int // forwarded by the edge, answered by HIT-LOCAL or HIT-REDIS
	seen     map[string]int
}

func (c *obsTally) add(edge, app string) {
	if c.seen == nil {
		c.seen = map[string]int{}
	}
	c.seen[edge+"/"+app]++
	switch edge {
	case "HIT", "STALE", "UPDATING":
		c.lookups++
		c.edgeHits++
	case "MISS", "EXPIRED", "REVALIDATED":
		c.lookups++
		if app == "HIT-LOCAL" || app == "HIT-REDIS" {
			c.appHits++
		}
	}
}

func (c *obsTally) edgeRatio() float64 { return float64(c.edgeHits) / float64(c.lookups) }
func (c *obsTally) e2eRatio() float64 {
	return float64(c.edgeHits+c.appHits) / float64(c.lookups)
}

func TestObservability(t *testing.T) {
	began := time.Now()
	// Every program first: skip (or, under CI, fail) before starting any.
	nginxtest.Require(t)
	for _, bin := range []string{"prometheus", "mtail", "prometheus-nginx-exporter"} {
		monitoringtest.Require(t, bin)
	}

	// The app knows its edge (DUKAAN_EDGES) before the edge knows the app.
	// A private Redis (testsvc.StartRedis says why).
	redis := testsvc.StartRedis(t)
	edgeAddr := nginxtest.FreeAddr(t)
	_, edgePort, _ := strings.Cut(edgeAddr, ":")
	app := startApp(t, "sqlite", map[string]string{
		"REDIS_URL":          redis.URL(),
		"DUKAAN_EDGES":       "http://" + edgeAddr,
		"DUKAAN_PUBLIC_PORT": ":" + edgePort,
		"DUKAAN_LOCAL_TTL":   "1s",
	})
	edge := nginxtest.StartWith(t, nginxtest.Options{Listen: edgeAddr, Upstreams: []string{app.addr}, Static: web.StaticFiles()})
	accessLog := filepath.Join(edge.Dir(), "logs", "access.log")
	mtail := monitoringtest.StartMtail(t, "", accessLog)
	exporter := monitoringtest.StartNginxExporter(t, edge.URL()+"/.edge-status")
	via := cacheVia(t, app, edge)

	// ---- Set-up and warm-up, before Prometheus's first scrape ----------
	// rate() extrapolates each series on its own, and caps the
	// extrapolation of a counter by where it would reach zero. The ratios
	// below match the client's count exactly only when every series they
	// sum already exists, well above zero, when Prometheus first scrapes
	// it: so the warm-up produces each kind of answer the measured traffic
	// produces (edge MISS and HIT, app MISS, HIT-LOCAL and HIT-REDIS)
	// several times, as long-running counters would have.
	v := via.signup(t, "chai-obs")
	shop := v.shop()
	a := v.addProduct(t, "Masala chai", "150", "120", 50, true)
	b := v.addProduct(t, "Kulhad", "40", "30", 50, true)
	c := v.addProduct(t, "Samosa", "25", "20", 50, true)
	pages := []string{"/", fmt.Sprintf("/p/%d", a), fmt.Sprintf("/p/%d", b), fmt.Sprintf("/p/%d", c)}
	// Each purge runs again a second later and would drop what the
	// warm-up caches meanwhile.
	time.Sleep(repurgeWait)
	settlePurgeJobs(t, app) // and the purge jobs of what came before
	get := func(path string) (int, string, string) {
		t.Helper()
		status, h, _, err := cacheRaw(via, shop, path)
		if err != nil {
			t.Fatal(err)
		}
		return status, h.Get("X-Cache-Status"), h.Get("X-App-Cache")
	}
	// edgePurge drops pages from the edge alone: the app keeps its copies,
	// so the edge's next MISS is answered by the app's memory or Redis.
	edgePurge := func(paths ...string) {
		t.Helper()
		for _, p := range paths {
			req, _ := http.NewRequest("PURGE", edge.URL()+p, nil)
			req.Host = shop
			resp, err := edge.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusNotFound {
				t.Errorf("PURGE %s at the edge: %d", p, resp.StatusCode)
			}
		}
	}
	for range 4 {
		for _, p := range pages {
			get(p)
		}
	}
	for i, want := range []string{"HIT-LOCAL", "HIT-REDIS"} {
		if i > 0 {
			time.Sleep(1100 * time.Millisecond) // DUKAAN_LOCAL_TTL: memory forgets, Redis keeps
		}
		edgePurge(pages...)
		for _, p := range pages {
			// On a slow machine the memory may already have let a page go:
			// any app hit will do, a render would be a bug.
			if _, edgeStatus, appStatus := get(p); edgeStatus != "MISS" || !strings.HasPrefix(appStatus, "HIT-") {
				t.Errorf("warm-up GET %s after an edge PURGE: %s/%s, want MISS/%s", p, edgeStatus, appStatus, want)
			} else if appStatus != want {
				t.Logf("warm-up GET %s after an edge PURGE: %s/%s (expected %s)", p, edgeStatus, appStatus, want)
			}
		}
	}
	get("/p/999999") // 404
	if status, edgeStatus, _ := get("/static/app.css"); status != http.StatusOK || edgeStatus != "STATIC" {
		t.Errorf("GET /static/app.css through the edge: %d %q, want 200 STATIC", status, edgeStatus)
	}
	customer := via.newClient()
	token := order(t, customer, v.store, map[int64]int{b: 1})
	customer.get(t, shop, "/orders/"+token)
	// Never public: the edge hides the app's metrics.
	if status, _, _ := get("/metrics"); status != http.StatusNotFound {
		t.Errorf("GET /metrics through the edge: %d, want 404", status)
	}
	obsWaitLogged(t, mtail, accessLog)

	// ---- Prometheus -----------------------------------------------------
	prom := monitoringtest.StartPrometheus(t, monitoringtest.PrometheusOptions{
		Jobs: []monitoringtest.Job{
			{Name: monitoringtest.JobApp, Targets: []string{app.addr}},
			{Name: monitoringtest.JobEdgeLog, Targets: []string{mtail.Addr}},
			{Name: monitoringtest.JobEdgeNginx, Targets: []string{exporter.Addr}},
		},
	})
	prom.WaitTargetsUp(t, 3, 30*time.Second)
	warm := obsLines(t, accessLog)
	obsWaitValue(t, prom, "sum(dukaan_edge_requests_total)", float64(warm), 10*time.Second)
	t.Logf("targets up %s after start; %d edge requests in the warm-up", time.Since(began).Round(100*time.Millisecond), warm)

	// ---- The measured traffic ------------------------------------------
	var tally obsTally
	round := func() {
		for _, p := range pages {
			status, edgeStatus, appStatus := get(p)
			if status != http.StatusOK {
				t.Fatalf("GET %s through the edge: %d", p, status)
			}
			tally.add(edgeStatus, appStatus)
		}
	}
	for range 4 {
		round()
	}
	// A price edit purges every tier of the pages showing the product.
	form := v.productForm(t, a)
	form.Set("price", "110")
	wantRedirect(t, v.c.submit(t, fmt.Sprintf("/products/%d/edit", a), fmt.Sprintf("/products/%d/edit", a), form), "/products")
	edited := time.Now()
	for range 3 {
		round()
	}
	edgePurge(pages[2:]...)
	order(t, customer, v.store, map[int64]int{c: 2})
	for range 3 {
		round()
	}
	if tally.appHits == 0 || tally.edgeHits == 0 || tally.lookups == tally.edgeHits {
		t.Fatalf("traffic without hits and misses in every tier: %v", tally.seen)
	}

	// Everything counted by mtail, then scraped: every line of the real
	// access log must match the program.
	// The edit's purge PURGEs the edges again 1 s later (RepurgeAfter) and
	// its job once more: those requests are edge traffic too, so they must
	// be in the log before it is counted.
	time.Sleep(time.Until(edited.Add(repurgeWait)))
	settlePurgeJobs(t, app)
	obsWaitLogged(t, mtail, accessLog)
	total := obsLines(t, accessLog)
	if b, _ := os.ReadFile(accessLog); strings.Contains(string(b), "/.edge-status") {
		t.Error("the exporter's stub_status scrapes are in the access log: they would count as edge traffic")
	}
	obsWaitValue(t, prom, "sum(dukaan_edge_requests_total)", float64(total), 10*time.Second)
	s := app.main.Pages.Stats()
	obsWaitValue(t, prom, "sum(dukaan_pagecache_requests_total)", float64(s.HitsLocal+s.HitsRedis+s.Misses), 10*time.Second)

	// ---- Every query of the dashboards and rules returns data ----------
	queries := monitoringtest.Queries(t)
	var empty []string
	for _, q := range queries {
		expr, err := monitoringtest.Evaluable(q)
		if err != nil {
			t.Error(err)
			continue
		}
		if q.Alert {
			// The condition as written must parse and run too.
			if _, err := prom.Query(q.Expr); err != nil {
				t.Errorf("%s: %v", q.Source, err)
			}
		}
		// Recording rules run every second: a query built on them may need
		// one more evaluation after the last scrape.
		var res []monitoringtest.Sample
		deadline := time.Now().Add(5 * time.Second)
		for {
			res, err = prom.Query(expr)
			if err != nil || len(res) > 0 || time.Now().After(deadline) {
				break
			}
			time.Sleep(200 * time.Millisecond)
		}
		switch {
		case err != nil:
			t.Errorf("%s: %v", q.Source, err)
		case len(res) == 0:
			empty = append(empty, fmt.Sprintf("%s: %s", q.Source, expr))
		}
	}
	if len(empty) > 0 {
		t.Errorf("%d of %d queries returned no data:\n%s", len(empty), len(queries), strings.Join(empty, "\n"))
	}

	// ---- The hit ratios match the client's count ------------------------
	// rate() extrapolates a counter towards the start of its window by
	// half a scrape interval, unless its first sample is so close to zero
	// (first value / increase < 1.1 / (samples - 1)) that it extrapolates
	// to zero instead: series extrapolated differently make a ratio drift
	// by several percent. With a dozen samples since the first scrape,
	// every series the ratios sum (warm-up counts of at least 4, increases
	// of at most ~40) extrapolates alike, and the ratios are the client's.
	obsWaitValue(t, prom, `min(count_over_time(up{job=~"dukaan|dukaan-edge-log"}[5m])) >= bool 12`, 1, 20*time.Second)
	const tolerance = 0.01
	for _, r := range []struct {
		name, expr string
		want       float64
	}{
		{"edge", "dukaan:edge_hit_ratio:rate5m", tally.edgeRatio()},
		{"end to end", "dukaan:e2e_hit_ratio:rate5m", tally.e2eRatio()},
	} {
		got := obsWaitNear(t, prom, r.expr, r.want, tolerance, 5*time.Second)
		t.Logf("%s hit ratio: Prometheus %.4f, client %.4f (%d/%d lookups)", r.name, got, r.want,
			map[string]int{"edge": tally.edgeHits, "end to end": tally.edgeHits + tally.appHits}[r.name], tally.lookups)
	}
	t.Logf("client saw (X-Cache-Status/X-App-Cache): %v", tally.seen)
	t.Logf("TestObservability took %s", time.Since(began).Round(100*time.Millisecond))
}

// obsLines counts the requests in an access log.
func obsLines(t *testing.T, path string) int {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return strings.Count(string(b), "\n")
}

// obsWaitLogged waits until mtail has counted every line of the access log.
func obsWaitLogged(t *testing.T, m *monitoringtest.Mtail, accessLog string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		want := obsLines(t, accessLog)
		got := monitoringtest.ScrapeSum(t, "http://"+m.Addr+"/metrics", "dukaan_edge_requests_total", nil)
		if int(got) == want {
			return
		}
		if time.Now().After(deadline) {
			b, _ := os.ReadFile(accessLog)
			t.Fatalf("mtail counted %v of the %d access log lines (does every line match edge.mtail?):\n%s\nmtail:\n%s", got, want, b, m.Output())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// obsWaitValue polls expr until it equals want.
func obsWaitValue(t *testing.T, p *monitoringtest.Prometheus, expr string, want float64, timeout time.Duration) {
	t.Helper()
	obsWaitNear(t, p, expr, want, 0, timeout)
}

// obsWaitNear polls expr until it is within tolerance of want, and returns
// its value.
func obsWaitNear(t *testing.T, p *monitoringtest.Prometheus, expr string, want, tolerance float64, timeout time.Duration) float64 {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		got, err := p.Value(expr)
		if err == nil && math.Abs(got-want) <= tolerance {
			return got
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s = %v (err %v), want %v ± %v", expr, got, err, want, tolerance)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
