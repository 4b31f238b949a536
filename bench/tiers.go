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
	Series
	// Ratio is the median requests/s over the ceiling's.
	Ratio float64 `json:"ratio_to_ceiling"`
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

// tiers is scenario 2 (and scenario 1, which needs the same processes).
func (b *runner) tiers(ctx context.Context, st *stack) error {
	hot := b.host(1)
	// Twice: the first fills the edge, the second is what it keeps.
	if _, _, err := fetch(ctx, st.edge.addr, hot, "/"); err != nil {
		return err
	}
	page, hdr, err := fetch(ctx, st.edge.addr, hot, "/")
	if err != nil {
		return err
	}
	if hdr.Get("X-Cache-Status") != "HIT" {
		return fmt.Errorf("the edge does not keep %s/: X-Cache-Status %q, Cache-Control %q", hot, hdr.Get("X-Cache-Status"), hdr.Get("Cache-Control"))
	}
	b.res.PageBytes = len(page)
	b.logf("tiers: the page is %s/ (%d bytes, %d products shown)", hot, len(page), countProducts(page))

	var ceiling *edgeProc
	if b.wants("tiers") {
		if ceiling, err = b.startStatic(ctx, page); err != nil {
			return err
		}
		defer ceiling.proc.stop(10 * time.Second)
	}

	measure := func(key, name, isolation string, j wrkJob) error {
		j.profileKey = key
		s, err := b.series(ctx, j)
		if err != nil {
			return err
		}
		t := TierResult{Key: key, Name: name, Isolation: isolation, Series: s}
		if len(b.res.Tiers) > 0 && b.res.Tiers[0].Median.RPS > 0 {
			t.Ratio = t.Median.RPS / b.res.Tiers[0].Median.RPS
		}
		b.res.Tiers = append(b.res.Tiers, t)
		ratio := ""
		if t.Ratio > 0 {
			ratio = fmt.Sprintf(" = %.2f× the ceiling", t.Ratio)
		}
		b.logf("tiers: %-28s %9.0f req/s  p50 %6.2f ms  p99 %6.2f ms%s%s", name, t.Median.RPS, t.Median.P50Ms, t.Median.P99Ms, ratio, mixNote(s.Warmup))
		return nil
	}

	if b.wants("tiers") {
		if err := measure("ceiling", "static nginx (ceiling)", "nginx serving a file with the page's exact bytes; edge's worker, keep-alive and log settings",
			b.job("ceiling", ceiling.URL()+"/", hot, "plain")); err != nil {
			return err
		}
		if err := measure("edge", "edge HIT", "wrk → nginx edge; the page is in proxy_cache (X-Cache-Status: HIT)",
			b.job("edge", st.edge.URL()+"/", hot, "plain")); err != nil {
			return err
		}
		j := b.job("local", st.app.URL()+"/", hot, "plain")
		j.profile = st.app.pprof
		if err := measure("local", "app local-tier HIT", "wrk → app directly (edge bypassed); the page is in the replica's memory (X-App-Cache: HIT-LOCAL)", j); err != nil {
			return err
		}
		if err := b.redisTier(ctx, st, hot, measure); err != nil {
			return err
		}
	}

	// Caches off: no Redis, a ten-page local tier, and a query string never
	// used before on every request.
	cold, err := b.startApp(ctx, appSpec{name: "app-cold-pg", database: b.schemaDSN(st.main), localSize: tinyLocal})
	if err != nil {
		return err
	}
	if b.wants("tiers") {
		j := b.job("cold-pg", cold.URL()+"/", hot, "unique")
		j.profile = cold.pprof
		if err := measure("cold-pg", "cold render, PostgreSQL", "wrk → app without Redis, DUKAAN_LOCAL_SIZE=10, a never-seen query string per request: every request renders (X-App-Cache: MISS)", j); err != nil {
			return err
		}
	}
	if b.wants("demo") {
		if err := b.demo(ctx, st, cold); err != nil {
			return err
		}
	}
	if err := cold.stop(); err != nil {
		return err
	}

	if b.wants("tiers") {
		path, err := b.ensureSQLiteSeed(ctx, b.opts.Stores, b.opts.Products)
		if err != nil {
			return err
		}
		lite, err := b.startApp(ctx, appSpec{name: "app-cold-sqlite", database: path, localSize: tinyLocal})
		if err != nil {
			return err
		}
		j := b.job("cold-sqlite", lite.URL()+"/", hot, "unique")
		j.profile = lite.pprof
		if err := measure("cold-sqlite", "cold render, SQLite", "as above, on the embedded SQLite file with the same seed", j); err != nil {
			return err
		}
		if err := lite.stop(); err != nil {
			return err
		}
	}
	return nil
}

// redisTier measures pages served from Redis: an app whose local tier holds
// one page cycles through RedisKeys variants of the page, all in Redis.
func (b *runner) redisTier(ctx context.Context, st *stack, hot string, measure func(key, name, isolation string, j wrkJob) error) error {
	app, err := b.startApp(ctx, appSpec{name: "app-redis-tier", database: b.schemaDSN(st.main), redis: st.redis.addr, localSize: tinyLocal})
	if err != nil {
		return err
	}
	defer app.stop()
	keys := b.opts.RedisKeys
	warm := runLoop(ctx, closedLoop{conc: 8, max: keys, limit: 5 * time.Minute,
		next: func(i int) vegeta.Target { return getTarget(app.addr, hot, fmt.Sprintf("/?k=%d", i)) }})
	if bad := failed(warm.Results, http.StatusOK); bad > 0 || len(warm.Results) != keys {
		return fmt.Errorf("storing %d page variants in Redis: %d answers, %d failed", keys, len(warm.Results), bad)
	}
	j := b.job("redis", app.URL()+"/", hot, "rotate")
	j.profile = app.pprof
	j.prelude = fmt.Sprintf("KEYS = %d", keys)
	return measure("redis", "app Redis HIT", fmt.Sprintf("wrk → an app with DUKAAN_LOCAL_SIZE=10 cycling through %d variants (/?k=N) of the page, all in Redis (X-App-Cache: HIT-REDIS)", keys), j)
}

// demo is scenario 1: a burst of DemoRequests at DemoConc, cold and warm.
func (b *runner) demo(ctx context.Context, st *stack, cold *appProc) error {
	hot := b.host(1)
	d := &DemoResult{Requests: b.opts.DemoRequests, Conc: b.opts.DemoConc}
	burst := func(key, name, isolation, addr string, unique bool) error {
		c := DemoBurst{Key: key, Name: name, Isolation: isolation}
		var median loopResult
		runs := make([]loopResult, 0, b.opts.Runs)
		for i := -1; i < b.opts.Runs; i++ { // i = -1 is the warm-up
			run := i
			r := runLoop(ctx, closedLoop{conc: b.opts.DemoConc, max: b.opts.DemoRequests, limit: time.Minute,
				next: func(n int) vegeta.Target {
					path := "/"
					if unique {
						path = fmt.Sprintf("/?nocache=demo-%d-%d-%d", time.Now().UnixNano(), run, n)
					}
					return getTarget(addr, hot, path)
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
	if err := burst("cold", "all caches bypassed (PostgreSQL)", "app without Redis, ten-page local tier, a new query string per request", cold.addr, true); err != nil {
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
