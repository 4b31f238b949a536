package bench

import (
	"context"
	"fmt"
	"net/http"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// ScaleResult is scenario 5: the same cold render and the app's memory
// with few and with many stores.
type ScaleResult struct {
	Products int         `json:"products_per_store"`
	Cases    []ScaleCase `json:"cases"`
	// P50Ratio is the large data set's median cold-render latency over the
	// small one's; RPSRatio the small one's throughput over the large's.
	P50Ratio float64 `json:"p50_ratio"`
	RPSRatio float64 `json:"rps_ratio"`
}

// ScaleCase is one data set.
type ScaleCase struct {
	Stores int    `json:"stores"`
	Schema string `json:"schema"`
	Series
	// The cache-off app: after start, and after the cold renders.
	RSSIdleMiB  float64 `json:"rss_idle_mib"`
	RSSAfterMiB float64 `json:"rss_after_mib"`
	RSSPeakMiB  float64 `json:"rss_peak_mib"`
	// An app with the default local tier (DUKAAN_LOCAL_SIZE 10,000, no
	// Redis) after every store's front page was served once.
	CachedPages      int     `json:"cached_pages"`
	RSSCachedMiB     float64 `json:"rss_cached_mib"`
	RSSCachedPeakMiB float64 `json:"rss_cached_peak_mib"`
	// RSSPerPageKiB is what one cached page costs: RSS with every page
	// cached over that of the same app just started, per page.
	RSSCachedIdleMiB float64 `json:"rss_cached_idle_mib"`
	RSSPerPageKiB    float64 `json:"rss_per_page_kib"`
}

// scale is scenario 5. Both data sets' apps run side by side and their
// timed runs alternate (see interleaved).
func (b *runner) scale(ctx context.Context, st *stack) error {
	res := &ScaleResult{Products: b.opts.Products}
	sizes := []int{b.opts.ScaleSmall, b.opts.ScaleLarge}
	cases := make([]ScaleCase, len(sizes))
	apps := make([]*appProc, len(sizes))
	jobs := make([]wrkJob, len(sizes))
	for i, n := range sizes {
		schema := b.schema(fmt.Sprintf("s%d", n))
		if n == b.opts.Stores {
			schema = st.main // the same data set: no need to seed it twice
		} else if err := b.ensurePGSeed(ctx, schema, n, b.opts.Products); err != nil {
			return err
		}
		cases[i] = ScaleCase{Stores: n, Schema: schema}
		app, err := b.startApp(ctx, appSpec{name: fmt.Sprintf("app-scale-%d", n), database: b.schemaDSN(schema), localSize: localOff})
		if err != nil {
			return err
		}
		defer app.stop()
		apps[i] = app
		time.Sleep(200 * time.Millisecond)
		if cases[i].RSSIdleMiB, _, err = rss(app.proc.Pid()); err != nil {
			return err
		}
		// Few connections, each on a different store: with ten stores, more
		// requests in flight would share renders.
		j := b.storesJob(fmt.Sprintf("scale-%d", n), app, n)
		// One thread: one rotation, so the requests in flight are on
		// consecutive stores.
		j.conns, j.threads = min(b.opts.ScaleConns, n), 1
		jobs[i] = j
	}
	for i := range jobs {
		jobs[i].metrics = apps[i]
	}
	series, err := b.interleaved(ctx, "scale", jobs)
	if err != nil {
		return err
	}
	for i := range cases {
		cases[i].Series = series[i]
		var err error
		if cases[i].RSSAfterMiB, cases[i].RSSPeakMiB, err = rss(apps[i].proc.Pid()); err != nil {
			return err
		}
		if err := apps[i].stop(); err != nil {
			return err
		}
	}

	// Memory with the default local tier full of front pages.
	for i, n := range sizes {
		cached, err := b.startApp(ctx, appSpec{name: fmt.Sprintf("app-scale-%d-cached", n), database: b.schemaDSN(cases[i].Schema)})
		if err != nil {
			return err
		}
		time.Sleep(200 * time.Millisecond)
		if cases[i].RSSCachedIdleMiB, _, err = rss(cached.proc.Pid()); err != nil {
			return err
		}
		l := runLoop(ctx, closedLoop{conc: b.opts.RushConns, max: n, limit: 10 * time.Minute,
			next: func(i int) vegeta.Target { return getTarget(cached.addr, b.host(i+1), "/") }})
		if bad := failed(l.Results, http.StatusOK); bad > 0 {
			return fmt.Errorf("scale: %d of %d front pages failed", bad, n)
		}
		cases[i].CachedPages = len(l.Results)
		if cases[i].RSSCachedMiB, cases[i].RSSCachedPeakMiB, err = rss(cached.proc.Pid()); err != nil {
			return err
		}
		if cases[i].CachedPages > 0 {
			cases[i].RSSPerPageKiB = (cases[i].RSSCachedMiB - cases[i].RSSCachedIdleMiB) * 1024 / float64(cases[i].CachedPages)
		}
		if err := cached.stop(); err != nil {
			return err
		}
		c := cases[i]
		b.logf("scale: %5d stores × %d: cold render %6.0f req/s  p50 %6.2f ms  p99 %6.2f ms; RSS %.0f MiB idle, %.0f MiB after (peak %.0f); %.0f MiB with %d pages in the local tier (%.1f KiB a page)%s%s",
			n, b.opts.Products, c.Median.RPS, c.Median.P50Ms, c.Median.P99Ms, c.RSSIdleMiB, c.RSSAfterMiB, c.RSSPeakMiB, c.RSSCachedMiB, c.CachedPages, c.RSSPerPageKiB, mixNote(c.Warmup), appNote(c.App))
	}
	res.Cases = cases
	small, large := res.Cases[0], res.Cases[1]
	if small.Median.P50Ms > 0 {
		res.P50Ratio = large.Median.P50Ms / small.Median.P50Ms
	}
	if large.Median.RPS > 0 {
		res.RPSRatio = small.Median.RPS / large.Median.RPS
	}
	b.logf("scale: %d vs %d stores: p50 %.2f×, throughput %.2f×", large.Stores, small.Stores, res.P50Ratio, res.RPSRatio)
	b.res.Scale = res
	return nil
}
