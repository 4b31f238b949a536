package bench

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/redis/go-redis/v9"

	"dukaan/storage"
)

// FlashResult is scenario 3.
type FlashResult struct {
	Stores        int        `json:"stores"`
	ZipfS         float64    `json:"zipf_s"`
	HotShare      float64    `json:"hot_store_share"` // of the load's requests
	EditEveryMs   float64    `json:"edit_every_ms"`
	PagesPerPurge int        `json:"pages_per_purge"`
	Runs          []FlashRun `json:"runs"`
	// Medians over the runs, and totals where one is too many.
	HitRatio        float64 `json:"hit_ratio"`
	EdgeHitRatio    float64 `json:"edge_hit_ratio"`
	RPS             float64 `json:"rps"`
	P50Ms           float64 `json:"p50_ms"`
	P99Ms           float64 `json:"p99_ms"`
	RendersPerPurge float64 `json:"renders_per_purge"`
	StoresPerPurge  float64 `json:"stored_renders_per_purge"`
	// AppRendersPerPurge is the replica's own count (GET /metrics), 0 when
	// the app has no metrics endpoint.
	AppRendersPerPurge float64 `json:"app_renders_per_purge"`
	AckP99Ms           float64 `json:"edit_ack_p99_ms"`
	Edits              int     `json:"edits"`
	StaleReads         int     `json:"stale_reads"`
	StaleApp           int     `json:"stale_app_reads"`
	Errors5xx          int64   `json:"errors_5xx"`
	OtherErrors        int64   `json:"other_errors"`
}

// FlashRun is one run of the flash sale.
type FlashRun struct {
	Load         Stat    `json:"load"` // wrk, with tier counters
	Edits        int     `json:"edits"`
	EditFailures int     `json:"edit_failures"`
	AckP50Ms     float64 `json:"edit_ack_p50_ms"` // POST → 303, purge included
	AckP99Ms     float64 `json:"edit_ack_p99_ms"`
	Checks       int     `json:"checks"`
	StaleReads   int     `json:"stale_reads"`
	// StaleApp counts stale reads of the product page straight from the
	// app (edge bypassed): they tell a stale app tier (Redis, memory) from
	// a stale edge.
	AppChecks    int   `json:"app_checks"`
	StaleApp     int   `json:"stale_app_reads"`
	CheckErrors  int   `json:"check_errors"`
	Check5xx     int   `json:"check_5xx"`
	CheckRenders int   `json:"check_renders"`
	CheckEdge    int   `json:"check_edge_hits"`
	Requests     int64 `json:"requests"` // shop page reads: load + checker
	Renders      int64 `json:"renders"`  // answered by a render (edge and app missed)
	// StoredRenders counts page writes to Redis (SET), a render the app
	// kept; renders overtaken by a purge are served once and not kept.
	StoredRenders   int64   `json:"stored_renders"`
	HitRatio        float64 `json:"hit_ratio"`
	EdgeHitRatio    float64 `json:"edge_hit_ratio"`
	RendersPerPurge float64 `json:"renders_per_purge"`
	StoresPerPurge  float64 `json:"stored_renders_per_purge"`
	// From the app's GET /metrics (dukaan_pagecache_*), when it has one:
	// what the replica itself counted during the run.
	AppRenders         float64 `json:"app_renders,omitempty"`
	AppPurges          float64 `json:"app_purges,omitempty"`
	AppUncacheable     float64 `json:"app_uncacheable,omitempty"`
	AppRendersPerPurge float64 `json:"app_renders_per_purge,omitempty"`
	Seconds            float64 `json:"seconds"`
}

// browser is one HTTP client with a cookie jar that sends every request to
// addr whatever host the URL names, and does not follow redirects.
type browser struct {
	hc   *http.Client
	addr string
}

func newBrowser(addr string) *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{addr: addr, hc: &http.Client{
		Jar:     jar,
		Timeout: 30 * time.Second,
		Transport: &http.Transport{
			DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
				var d net.Dialer
				return d.DialContext(ctx, "tcp", addr)
			},
			MaxIdleConnsPerHost: 4,
			DisableCompression:  true,
		},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

type page struct {
	status int
	header http.Header
	body   []byte
	took   time.Duration
}

func (br *browser) do(ctx context.Context, method, host, path string, form url.Values) (*page, error) {
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequestWithContext(ctx, method, "http://"+host+path, body)
	if err != nil {
		return nil, err
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	start := time.Now()
	resp, err := br.hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	return &page{status: resp.StatusCode, header: resp.Header, body: b, took: time.Since(start)}, nil
}

func (p *page) doc() (*goquery.Document, error) {
	return goquery.NewDocumentFromReader(bytes.NewReader(p.body))
}

// csrfToken reads the form's hidden token; goquery undoes html/template's
// escaping of it (a '+' arrives as &#43;).
func csrfToken(p *page) (string, error) {
	d, err := p.doc()
	if err != nil {
		return "", err
	}
	tok, ok := d.Find("input[name=csrf_token]").First().Attr("value")
	if !ok || tok == "" {
		return "", fmt.Errorf("no csrf_token on the page (status %d)", p.status)
	}
	return tok, nil
}

// vendor is the hot store's owner in the console.
type vendor struct {
	br        *browser
	admin     string
	productID int64
}

func (b *runner) login(ctx context.Context, addr, email string) (*vendor, error) {
	v := &vendor{br: newBrowser(addr), admin: b.adminHost()}
	p, err := v.br.do(ctx, http.MethodGet, v.admin, "/login", nil)
	if err != nil {
		return nil, err
	}
	tok, err := csrfToken(p)
	if err != nil {
		return nil, fmt.Errorf("login form: %w", err)
	}
	p, err = v.br.do(ctx, http.MethodPost, v.admin, "/login", url.Values{
		"email": {email}, "password": {storage.BenchPassword}, "csrf_token": {tok}})
	if err != nil {
		return nil, err
	}
	if p.status != http.StatusSeeOther {
		return nil, fmt.Errorf("login as %s: status %d, want 303", email, p.status)
	}
	return v, nil
}

// setPrice edits the product's price through the console's form, as a
// vendor does: open the edit page, change the price, save. It returns when
// the console answered 303, which is after every tier was purged.
func (v *vendor) setPrice(ctx context.Context, paise int64) (time.Duration, error) {
	path := fmt.Sprintf("/products/%d/edit", v.productID)
	p, err := v.br.do(ctx, http.MethodGet, v.admin, path, nil)
	if err != nil {
		return 0, err
	}
	if p.status != http.StatusOK {
		return 0, fmt.Errorf("GET %s: status %d", path, p.status)
	}
	d, err := p.doc()
	if err != nil {
		return 0, err
	}
	form := url.Values{}
	d.Find(fmt.Sprintf(`form[action="%s"]`, path)).Find("input, textarea").Each(func(_ int, s *goquery.Selection) {
		name, ok := s.Attr("name")
		if !ok {
			return
		}
		switch {
		case goquery.NodeName(s) == "textarea":
			form.Set(name, s.Text())
		case s.AttrOr("type", "") == "checkbox":
			if _, checked := s.Attr("checked"); checked {
				form.Set(name, s.AttrOr("value", "on"))
			}
		default:
			form.Set(name, s.AttrOr("value", ""))
		}
	})
	if form.Get("csrf_token") == "" || form.Get("name") == "" {
		return 0, fmt.Errorf("the edit form of product %d is not as expected", v.productID)
	}
	form.Set("price", fmt.Sprintf("%d.%02d", paise/100, paise%100))
	p, err = v.br.do(ctx, http.MethodPost, v.admin, path, form)
	if err != nil {
		return 0, err
	}
	if p.status != http.StatusSeeOther {
		return p.took, fmt.Errorf("POST %s: status %d, want 303", path, p.status)
	}
	return p.took, nil
}

// shownPrice is the price in paise a shop page shows for product id (the
// quantity input carries it for the order summary).
func shownPrice(p *page, id int64) (int64, error) {
	d, err := p.doc()
	if err != nil {
		return 0, err
	}
	s := d.Find(fmt.Sprintf("input#f-qty_%d", id))
	if s.Length() == 0 {
		return 0, fmt.Errorf("product %d is not on the page (status %d)", id, p.status)
	}
	return strconv.ParseInt(s.AttrOr("data-price", ""), 10, 64)
}

// zipfTargets spreads load over stores 1..n with weight 1/i^s, and gives
// the hot product's own page half the hot store's weight.
func (b *runner) zipfTargets(n int, s float64, productID int64) (lua string, hotShare float64) {
	type t struct {
		host, path string
		w          float64
	}
	var ts []t
	for i := 1; i <= n; i++ {
		ts = append(ts, t{b.host(i), "/", 1 / math.Pow(float64(i), s)})
	}
	ts = append(ts, t{b.host(1), fmt.Sprintf("/p/%d", productID), ts[0].w / 2})
	sum := 0.0
	for _, x := range ts {
		sum += x.w
	}
	var sb strings.Builder
	sb.WriteString("TARGETS = {\n")
	cum := 0.0
	for i, x := range ts {
		cum += x.w / sum
		if i == len(ts)-1 {
			cum = 1
		}
		fmt.Fprintf(&sb, "  {%q, %q, %.9f},\n", x.host, x.path, cum)
	}
	sb.WriteString("}\n")
	return sb.String(), (ts[0].w + ts[len(ts)-1].w) / sum
}

// flash is scenario 3.
func (b *runner) flash(ctx context.Context, st *stack) error {
	vendorID, productID, price, mrp, err := b.hotProduct(ctx, st.main, "store-00001", true)
	if err != nil {
		return err
	}
	_ = vendorID
	n := b.opts.FlashStores
	prelude, hotShare := b.zipfTargets(n, b.opts.ZipfS, productID)
	res := &FlashResult{Stores: n, ZipfS: b.opts.ZipfS, HotShare: hotShare,
		EditEveryMs: float64(b.opts.EditEvery) / float64(time.Millisecond), PagesPerPurge: 2}
	b.logf("flash: %d stores, Zipf s=%.2f (hot store %.0f%% of reads), product %d edited every %s, %d × %s",
		n, b.opts.ZipfS, 100*hotShare, productID, b.opts.EditEvery, b.opts.Runs, b.opts.FlashDuration)

	v, err := b.login(ctx, st.edge.addr, "owner@store-00001.bench.example")
	if err != nil {
		return err
	}
	v.productID = productID
	rdb := redis.NewClient(&redis.Options{Addr: st.redis.addr})
	defer rdb.Close()

	// Every page the load reads is cached before it starts.
	for i := 1; i <= n; i++ {
		if _, _, err := fetch(ctx, st.edge.addr, b.host(i), "/"); err != nil {
			return err
		}
	}
	if _, _, err := fetch(ctx, st.edge.addr, b.host(1), fmt.Sprintf("/p/%d", productID)); err != nil {
		return err
	}
	job := wrkJob{name: "flash", url: st.edge.URL() + "/", mode: "zipf", prelude: prelude, count: true,
		conns: b.opts.Conns, threads: b.opts.Threads}
	if b.opts.Warmup > 0 {
		w := job
		w.name, w.duration = "flash-warmup", b.opts.Warmup
		if _, err := b.wrk(ctx, w); err != nil {
			return err
		}
	}
	// Prices cycle below MRP, distinct within a run (a run has far fewer
	// edits than MRP/2 paise), so a shown price names the edit that set it.
	next := price
	nextPrice := func() int64 {
		lo := max(mrp/2, 100)
		next++
		if next >= mrp || next < lo {
			next = lo
		}
		return next
	}
	for run := 1; run <= b.opts.Runs; run++ {
		r, err := b.flashRun(ctx, st, v, rdb, job, run, nextPrice)
		if err != nil {
			return err
		}
		res.Runs = append(res.Runs, r)
		b.logf("flash: run %d: %.0f req/s, hit ratio %.3f%% (edge %.2f%%), p99 %.1f ms, %d edits (ack p99 %.1f ms), renders/purge: seen %.2f, kept %.2f, app metrics %.2f (%.0f renders, %.0f purges, %.0f uncacheable); stale reads %d through the edge, %d of %d from the app; 5xx %d",
			run, r.Load.RPS, 100*r.HitRatio, 100*r.EdgeHitRatio, r.Load.P99Ms, r.Edits, r.AckP99Ms, r.RendersPerPurge, r.StoresPerPurge, r.AppRendersPerPurge, r.AppRenders, r.AppPurges, r.AppUncacheable, r.StaleReads, r.StaleApp, r.AppChecks, r.Load.Counters["s5xx"]+int64(r.Check5xx))
	}
	pick := func(f func(FlashRun) float64) float64 {
		v := make([]float64, len(res.Runs))
		for i, r := range res.Runs {
			v[i] = f(r)
		}
		return median(v)
	}
	res.HitRatio = pick(func(r FlashRun) float64 { return r.HitRatio })
	res.EdgeHitRatio = pick(func(r FlashRun) float64 { return r.EdgeHitRatio })
	res.RPS = pick(func(r FlashRun) float64 { return r.Load.RPS })
	res.P50Ms = pick(func(r FlashRun) float64 { return r.Load.P50Ms })
	res.P99Ms = pick(func(r FlashRun) float64 { return r.Load.P99Ms })
	res.RendersPerPurge = pick(func(r FlashRun) float64 { return r.RendersPerPurge })
	res.StoresPerPurge = pick(func(r FlashRun) float64 { return r.StoresPerPurge })
	res.AckP99Ms = pick(func(r FlashRun) float64 { return r.AckP99Ms })
	res.AppRendersPerPurge = pick(func(r FlashRun) float64 { return r.AppRendersPerPurge })
	for _, r := range res.Runs {
		res.Edits += r.Edits
		res.StaleReads += r.StaleReads
		res.StaleApp += r.StaleApp
		res.Errors5xx += r.Load.Counters["s5xx"] + int64(r.Check5xx)
		res.OtherErrors += r.Load.Errors + int64(r.CheckErrors+r.EditFailures) + r.Load.Counters["s4xx"]
	}
	b.res.Flash = res
	return nil
}

// appMetrics reads the app's GET /metrics (Prometheus text) into a map of
// series (name, or name{labels}) to value.
func appMetrics(ctx context.Context, addr string) (map[string]float64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addr+"/metrics", nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET /metrics: %s", resp.Status)
	}
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	out := map[string]float64{}
	for _, line := range strings.Split(string(body), "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		if i < 0 {
			continue
		}
		if v, err := strconv.ParseFloat(line[i+1:], 64); err == nil {
			out[line[:i]] = v
		}
	}
	return out, nil
}

func redisSets(ctx context.Context, rdb *redis.Client) (int64, error) {
	info, err := rdb.Info(ctx, "commandstats").Result()
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(info, "\n") {
		if rest, ok := strings.CutPrefix(strings.TrimSpace(line), "cmdstat_set:calls="); ok {
			n, _ := strconv.ParseInt(strings.SplitN(rest, ",", 2)[0], 10, 64)
			return n, nil
		}
	}
	return 0, nil
}

func (b *runner) flashRun(ctx context.Context, st *stack, v *vendor, rdb *redis.Client, job wrkJob, run int, nextPrice func() int64) (FlashRun, error) {
	var r FlashRun
	job.name = fmt.Sprintf("flash-run%d", run)
	job.duration = b.opts.FlashDuration
	setsBefore, err := redisSets(ctx, rdb)
	if err != nil {
		return r, err
	}
	metricsBefore, metricsErr := appMetrics(ctx, st.app.addr)
	start := time.Now()
	var (
		wg      sync.WaitGroup
		load    Stat
		loadErr error
	)
	wg.Add(1)
	go func() {
		defer wg.Done()
		load, loadErr = b.wrk(ctx, job)
	}()
	// The vendor edits on a ticker for the length of the load; after each
	// acknowledged edit the checker reads both pages that show the product
	// through the edge.
	shop := newBrowser(st.edge.addr)
	deadline := start.Add(b.opts.FlashDuration)
	maxEdits := int(b.opts.FlashDuration/b.opts.EditEvery) + 1
	tick := time.NewTicker(b.opts.EditEvery)
	var (
		acks   []time.Duration
		mu     sync.Mutex        // guards r's check counters
		seq    = map[int64]int{} // price → the edit that set it
		checks sync.WaitGroup
		slots  = make(chan struct{}, 32)
	)
	// check reads path through the edge after edit k was acknowledged: it
	// must show edit k's price or a later edit's, never an earlier one.
	direct := newBrowser(st.app.addr)
	check := func(k int, path string, viaEdge bool) {
		br := shop
		if !viaEdge {
			br = direct
		}
		p, err := br.do(ctx, http.MethodGet, b.host(1), path, nil)
		mu.Lock()
		defer mu.Unlock()
		if viaEdge {
			r.Checks++
		} else {
			r.AppChecks++
		}
		if err != nil {
			r.CheckErrors++
			return
		}
		switch {
		case p.status >= 500:
			r.Check5xx++
			return
		case !viaEdge:
		case p.header.Get("X-Cache-Status") == "HIT":
			r.CheckEdge++
		case p.header.Get("X-App-Cache") == "MISS":
			r.CheckRenders++
		}
		shown, err := shownPrice(p, v.productID)
		if err != nil {
			r.CheckErrors++
			return
		}
		if j, ok := seq[shown]; !ok || j < k {
			where := "through the edge"
			if viaEdge {
				r.StaleReads++
			} else {
				r.StaleApp++
				where = "from the app directly"
			}
			b.logf("flash: STALE read of %s%s %s after edit %d: shows %d paise (edit %d) (X-Cache-Status %q, X-App-Cache %s)",
				b.host(1), path, where, k, shown, j, p.header.Get("X-Cache-Status"), p.header.Get("X-App-Cache"))
		}
	}
	for k := 1; k <= maxEdits && time.Now().Before(deadline) && ctx.Err() == nil; k++ {
		paise := nextPrice()
		mu.Lock()
		seq[paise] = k
		mu.Unlock()
		took, err := v.setPrice(ctx, paise)
		if err != nil {
			r.EditFailures++
			b.logf("flash: edit failed: %v", err)
		} else {
			r.Edits++
			acks = append(acks, took)
			// The checkers run beside the vendor, who keeps editing on the
			// ticker: a read that waits on the edge does not slow the sale.
			product := fmt.Sprintf("/p/%d", v.productID)
			for _, c := range []struct {
				path    string
				viaEdge bool
			}{{product, true}, {"/", true}, {product, false}} {
				slots <- struct{}{}
				checks.Add(1)
				go func() {
					defer checks.Done()
					defer func() { <-slots }()
					check(k, c.path, c.viaEdge)
				}()
			}
		}
		select {
		case <-tick.C:
		case <-ctx.Done():
		}
	}
	checks.Wait()
	tick.Stop()
	wg.Wait()
	if loadErr != nil {
		return r, loadErr
	}
	setsAfter, err := redisSets(ctx, rdb)
	if err != nil {
		return r, err
	}
	r.Seconds = time.Since(start).Seconds()
	if metricsErr == nil {
		if after, err := appMetrics(ctx, st.app.addr); err == nil {
			r.AppRenders = after["dukaan_pagecache_renders_total"] - metricsBefore["dukaan_pagecache_renders_total"]
			r.AppPurges = after["dukaan_pagecache_purges_total"] - metricsBefore["dukaan_pagecache_purges_total"]
			r.AppUncacheable = after["dukaan_pagecache_uncacheable_total"] - metricsBefore["dukaan_pagecache_uncacheable_total"]
			if r.AppPurges > 0 {
				r.AppRendersPerPurge = r.AppRenders / r.AppPurges
			}
		}
	}
	r.Load = load
	c := load.Counters
	// Shop reads through the edge: the load and the checker's edge reads.
	r.Requests = c["s2xx"] + c["s3xx"] + c["s4xx"] + c["s5xx"] + int64(r.Checks)
	r.Renders = c["app_miss"] + int64(r.CheckRenders)
	r.StoredRenders = setsAfter - setsBefore
	if r.Requests > 0 {
		r.HitRatio = 1 - float64(r.Renders)/float64(r.Requests)
		r.EdgeHitRatio = float64(c["edge"]+int64(r.CheckEdge)) / float64(r.Requests)
	}
	if r.Edits > 0 {
		r.RendersPerPurge = float64(r.Renders) / float64(r.Edits)
		r.StoresPerPurge = float64(r.StoredRenders) / float64(r.Edits)
	}
	sort.Slice(acks, func(i, j int) bool { return acks[i] < acks[j] })
	r.AckP50Ms = percentileMs(acks, 50)
	r.AckP99Ms = percentileMs(acks, 99)
	return r, nil
}
