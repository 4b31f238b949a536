package bench

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// TierResult is scenario 2's measurement of one tier.
type TierResult struct {
	Key       string `json:"key"`
	Name      string `json:"name"`
	Isolation string `json:"isolation"`
	// Client is the benchClient's key: "bare" (wrk) or "browser".
	Client string `json:"client"`
	Series
	// Ratio is the median requests/s over the nginx ceiling's, RatioGo
	// over the Go ceiling's, both for the same client in the same run.
	Ratio   float64 `json:"ratio_to_ceiling"`
	RatioGo float64 `json:"ratio_to_go_ceiling"`
}

// AppCount is the app's own page-cache counters over a measurement.
type AppCount struct {
	Requests  int64   `json:"wrk_requests"`
	Renders   float64 `json:"renders"`
	HitLocal  float64 `json:"hit_local"`
	HitRedis  float64 `json:"hit_redis"`
	Misses    float64 `json:"miss"`
	PerRender float64 `json:"requests_per_render,omitempty"`
}

// appCounters reads the page-cache counters of the app at addr.
func appCounters(ctx context.Context, addr string) (AppCount, error) {
	m, err := appMetrics(ctx, addr)
	if err != nil {
		return AppCount{}, err
	}
	return AppCount{
		Renders:  m["dukaan_pagecache_renders_total"],
		HitLocal: m[`dukaan_pagecache_requests_total{result="hit_local"}`],
		HitRedis: m[`dukaan_pagecache_requests_total{result="hit_redis"}`],
		Misses:   m[`dukaan_pagecache_requests_total{result="miss"}`],
	}, nil
}

// DemoResult is scenario 1: the original demo's burst.
type DemoResult struct {
	Requests int         `json:"requests"`
	Conc     int         `json:"concurrency"`
	Cases    []DemoBurst `json:"cases"`
}

// DemoBurst is one kind of burst, repeated.
type DemoBurst struct {
	Key       string    `json:"key"`
	Name      string    `json:"name"`
	Isolation string    `json:"isolation"`
	Seconds   []float64 `json:"seconds"` // wall time of each timed burst
	Median    float64   `json:"median_seconds"`
	P99Ms     float64   `json:"p99_ms"` // of the median burst
	Failed    int       `json:"failed"` // non-200 answers, all bursts
}

// fetch GETs path on addr with Host host and returns the body and headers.
func fetch(ctx context.Context, addr, host, path string) ([]byte, http.Header, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addr+path, nil)
	if err != nil {
		return nil, nil, err
	}
	req.Host = host
	resp, err := (&http.Client{Timeout: 30 * time.Second}).Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, nil, fmt.Errorf("GET %s%s via %s: %s", host, path, addr, resp.Status)
	}
	return body, resp.Header, nil
}

func (b *runner) job(name, url, host, mode string) wrkJob {
	return wrkJob{name: name, url: url, host: host, mode: mode,
		conns: b.opts.Conns, threads: b.opts.Threads, duration: b.opts.Duration}
}

// tierSpec is one tier of scenario 2, measured once per client.
type tierSpec struct {
	key, name, isolation string
	job                  func(c benchClient) wrkJob
}

// tiers is scenario 2 (and scenario 1, which needs the same processes).
// Every tier's process is up at once and the runs go round the tiers and
// clients, so a busy moment of the machine does not land on one only.
func (b *runner) tiers(ctx context.Context, st *stack) error {
	hot := b.host(1)
	// Twice: the first fills the edge, the second is what it keeps; then
	// once per client, for the bytes each receives.
	if _, err := fetchAs(ctx, st.edge.addr, hot, "/", nil); err != nil {
		return err
	}
	edgeAns := map[string]answer{}
	for _, c := range benchClients {
		a, err := fetchAs(ctx, st.edge.addr, hot, "/", c.Headers)
		if err != nil {
			return err
		}
		if a.header.Get("X-Cache-Status") != "HIT" {
			return fmt.Errorf("the edge does not keep %s/ for %s: X-Cache-Status %q, Cache-Control %q", hot, c.Name, a.header.Get("X-Cache-Status"), a.header.Get("Cache-Control"))
		}
		edgeAns[c.Key] = a
	}
	page := edgeAns["bare"].body
	var pageGz []byte
	if br := edgeAns["browser"]; br.header.Get("Content-Encoding") == "gzip" {
		pageGz = br.body
	}
	b.res.PageBytes, b.res.PageGzipBytes = len(page), len(pageGz)
	b.res.Clients = benchClients
	b.logf("tiers: the page is %s/ (%d bytes, %d products shown; %s to a browser)", hot, len(page), countProducts(page), encodingNote(edgeAns["browser"]))

	// Caches off: no Redis, no local tier (DUKAAN_LOCAL_SIZE=0), and each
	// request in flight names a different store, so none shares a render.
	cold, err := b.startApp(ctx, appSpec{name: "app-cold-pg", database: b.schemaDSN(st.main), localSize: localOff})
	if err != nil {
		return err
	}
	defer cold.stop()

	if b.wants("tiers") {
		ceiling, err := b.startStatic(ctx, page, pageGz)
		if err != nil {
			return err
		}
		defer ceiling.proc.Stop(10 * time.Second)
		// The Go ceiling: the local tier's answers, headers and bytes, for
		// each client.
		var variants []ceilingVariant
		for _, c := range benchClients {
			if _, err := fetchAs(ctx, st.app.addr, hot, "/", c.Headers); err != nil {
				return err
			}
			a, err := fetchAs(ctx, st.app.addr, hot, "/", c.Headers)
			if err != nil {
				return err
			}
			if got := a.header.Get("X-App-Cache"); got != "HIT-LOCAL" {
				return fmt.Errorf("the app's local tier does not keep %s/: X-App-Cache %q", hot, got)
			}
			variants = append(variants, ceilingVariant{Gzip: c.Key != "bare", Header: a.header, Body: a.body})
		}
		goCeil, err := b.startGoCeiling(ctx, variants)
		if err != nil {
			return err
		}
		defer goCeil.proc.Stop(10 * time.Second)
		// Redis alone: Redis, no local tier; the page comes from Redis on
		// every request.
		redisApp, err := b.startApp(ctx, appSpec{name: "app-redis-tier", database: b.schemaDSN(st.main), redis: st.redis.addr, localSize: localOff})
		if err != nil {
			return err
		}
		defer redisApp.stop()
		if _, _, err := fetch(ctx, redisApp.addr, hot, "/"); err != nil {
			return err
		}
		path, err := b.ensureSQLiteSeed(ctx, b.opts.Stores, b.opts.Products)
		if err != nil {
			return err
		}
		lite, err := b.startApp(ctx, appSpec{name: "app-cold-sqlite", database: path, localSize: localOff})
		if err != nil {
			return err
		}
		defer lite.stop()

		plain := func(name, url string) func(c benchClient) wrkJob {
			return func(c benchClient) wrkJob {
				j := b.job(name+"-"+c.Key, url, hot, "plain")
				j.headers = c.Headers
				return j
			}
		}
		appJob := func(name string, app *appProc) func(c benchClient) wrkJob {
			return func(c benchClient) wrkJob {
				j := plain(name, app.URL()+"/")(c)
				j.profile, j.metrics = app.pprof, app
				return j
			}
		}
		coldJob := func(name string, app *appProc) func(c benchClient) wrkJob {
			return func(c benchClient) wrkJob {
				j := b.storesJob(name+"-"+c.Key, app, b.opts.Stores)
				j.headers, j.metrics = c.Headers, app
				return j
			}
		}
		tiers := []tierSpec{
			{"ceiling", "static nginx (ceiling)", "nginx serving from disk the exact bytes this client gets from the edge (the pre-compressed page.html.gz with gzip_static when the edge sends gzip); the edge's worker, keep-alive and access-log settings",
				plain("ceiling", ceiling.URL()+"/")},
			{"goceiling", "bare Go handler (Go ceiling)", "a net/http handler in its own process (dukaan-lab goceiling) writing from memory the bytes and headers the app's local tier sends this client",
				plain("goceiling", goCeil.URL()+"/")},
			{"edge", "edge HIT", "wrk → the nginx edge; the page is in proxy_cache (X-Cache-Status: HIT)",
				plain("edge", st.edge.URL()+"/")},
			{"local", "app local-tier HIT", "wrk → the app directly (edge bypassed); the page is in the replica's memory (X-App-Cache: HIT-LOCAL)",
				appJob("local", st.app)},
			{"redis", "app Redis HIT", "wrk → an app with Redis and DUKAAN_LOCAL_SIZE=0 (no local tier): the page comes from Redis on every request (X-App-Cache: HIT-REDIS)",
				appJob("redis", redisApp)},
			{"cold-pg", "cold render, PostgreSQL", fmt.Sprintf("wrk → an app without Redis and with DUKAAN_LOCAL_SIZE=0 (no tier at all), the front pages of all %d stores in turn: every request renders (X-App-Cache: MISS)", b.opts.Stores),
				coldJob("cold-pg", cold)},
			{"cold-sqlite", "cold render, SQLite", "as above, on the embedded SQLite file with the same seed",
				coldJob("cold-sqlite", lite)},
		}
		type slot struct {
			t tierSpec
			c benchClient
		}
		var slots []slot
		var jobs []wrkJob
		for _, c := range benchClients {
			for _, t := range tiers {
				j := t.job(c)
				j.profileKey = t.key + "-" + c.Key
				slots = append(slots, slot{t, c})
				jobs = append(jobs, j)
			}
		}
		b.logf("tiers: %d tiers × %d clients, a %s warm-up each, then %d rounds of %s runs", len(tiers), len(benchClients), b.opts.Warmup, b.opts.Runs, b.opts.Duration)
		series, err := b.interleaved(ctx, "tiers", jobs)
		if err != nil {
			return err
		}
		ceil := map[string]float64{}
		for i, sl := range slots {
			ceil[sl.c.Key+"/"+sl.t.key] = series[i].Median.RPS
		}
		for i, sl := range slots {
			r := TierResult{Key: sl.t.key, Client: sl.c.Key, Name: sl.t.name, Isolation: sl.t.isolation, Series: series[i]}
			if c := ceil[sl.c.Key+"/ceiling"]; c > 0 {
				r.Ratio = r.Median.RPS / c
			}
			if g := ceil[sl.c.Key+"/goceiling"]; g > 0 {
				r.RatioGo = r.Median.RPS / g
			}
			b.res.Tiers = append(b.res.Tiers, r)
			ratio := ""
			if sl.t.key != "ceiling" {
				ratio = fmt.Sprintf(" = %.2f× the ceiling, %.2f× Go's", r.Ratio, r.RatioGo)
			}
			b.logf("tiers: %-7s %-28s %9.0f req/s  p50 %6.2f ms  p99 %6.2f ms%s%s%s", sl.c.Key, sl.t.name, r.Median.RPS, r.Median.P50Ms, r.Median.P99Ms, ratio, mixNote(r.Warmup), appNote(r.App))
		}
		if err := b.revalidation(ctx); err != nil {
			return err
		}
	}
	if b.wants("demo") {
		if err := b.demo(ctx, st, cold); err != nil {
			return err
		}
	}
	return nil
}

// encodingNote says how an answer was encoded.
func encodingNote(a answer) string {
	if ce := a.header.Get("Content-Encoding"); ce != "" {
		return fmt.Sprintf("%d bytes %s", len(a.body), ce)
	}
	return fmt.Sprintf("%d bytes uncompressed", len(a.body))
}

// storesJob cycles through the front pages of stores 1..n on app.
func (b *runner) storesJob(name string, app *appProc, n int) wrkJob {
	j := b.job(name, app.URL()+"/", "", "stores")
	j.prelude = fmt.Sprintf("STORES = %d\nDOMAIN = %q", n, b.opts.Domain)
	j.profile, j.profileKey = app.pprof, name
	return j
}

// appNote describes what the app counted.
func appNote(a *AppCount) string {
	if a == nil || a.Requests == 0 {
		return ""
	}
	return fmt.Sprintf("  [app: %.0f renders, %.0f local hits, %.0f Redis hits for %d requests]", a.Renders, a.HitLocal, a.HitRedis, a.Requests)
}

// demo is scenario 1: a burst of DemoRequests at DemoConc, cold and warm.
func (b *runner) demo(ctx context.Context, st *stack, cold *appProc) error {
	hot := b.host(1)
	d := &DemoResult{Requests: b.opts.DemoRequests, Conc: b.opts.DemoConc}
	burst := func(key, name, isolation, addr string, spread bool) error {
		c := DemoBurst{Key: key, Name: name, Isolation: isolation}
		var median loopResult
		runs := make([]loopResult, 0, b.opts.Runs)
		for i := -1; i < b.opts.Runs; i++ { // i = -1 is the warm-up
			r := runLoop(ctx, closedLoop{conc: b.opts.DemoConc, max: b.opts.DemoRequests, limit: time.Minute,
				next: func(n int) vegeta.Target {
					host := hot
					if spread {
						host = b.host(n%b.opts.Stores + 1)
					}
					return getTarget(addr, host, "/")
				}})
			if ctx.Err() != nil {
				return ctx.Err()
			}
			if i < 0 {
				continue
			}
			c.Failed += failed(r.Results, http.StatusOK)
			c.Seconds = append(c.Seconds, r.Wall.Seconds())
			runs = append(runs, r)
		}
		c.Median = median1(c.Seconds)
		for _, r := range runs {
			if r.Wall.Seconds() == c.Median || median.Results == nil {
				median = r
			}
		}
		c.P99Ms = percentileMs(latencies(median.Results, nil), 99)
		d.Cases = append(d.Cases, c)
		b.logf("demo: %-34s %d requests, %d concurrent: %.3f s (median of %d; p99 %.1f ms)", name, b.opts.DemoRequests, b.opts.DemoConc, c.Median, len(c.Seconds), c.P99Ms)
		return nil
	}
	if err := burst("cold", "all caches bypassed (PostgreSQL)", "app without Redis and without a local tier; each request a different store's front page (same shape), so each is its own render — ten at once on one page would share renders", cold.addr, true); err != nil {
		return err
	}
	if err := burst("warm-edge", "warm, through the edge", "the nginx edge answers from proxy_cache", st.edge.addr, false); err != nil {
		return err
	}
	if err := burst("warm-app", "warm, app local tier (no edge)", "the app answers from its memory", st.app.addr, false); err != nil {
		return err
	}
	b.res.Demo = d
	return nil
}

// median1 is the median of an odd count, the upper middle of an even one,
// so that it is always one of the runs.
func median1(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := append([]float64(nil), v...)
	for i := range s {
		for j := i + 1; j < len(s); j++ {
			if s[j] < s[i] {
				s[i], s[j] = s[j], s[i]
			}
		}
	}
	return s[len(s)/2]
}

// failed counts results without the wanted status.
func failed(rs []*vegeta.Result, want int) int {
	n := 0
	for _, r := range rs {
		if int(r.Code) != want {
			n++
		}
	}
	return n
}

// mixNote describes which tier answered the warm-up.
func mixNote(w *Stat) string {
	if w == nil || w.Requests == 0 {
		return ""
	}
	c := w.Counters
	total := float64(c["s2xx"] + c["s3xx"] + c["s4xx"] + c["s5xx"])
	if total == 0 {
		return ""
	}
	pct := func(k string) float64 { return 100 * float64(c[k]) / total }
	return fmt.Sprintf("  [warm-up: edge %.1f%%, local %.1f%%, redis %.1f%%, render %.1f%%, other %.1f%%, non-2xx %d]",
		pct("edge"), pct("app_local"), pct("app_redis"), pct("app_miss"), pct("app_other"), c["s3xx"]+c["s4xx"]+c["s5xx"])
}

// countProducts counts product cards in a shop page.
func countProducts(page []byte) int {
	return bytes.Count(page, []byte(`class="product-card`))
}
