package bench

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// RevalidateResult is the check that an expired edge page is revalidated:
// the app answers the edge's conditional request with 304 from its page
// cache, and renders nothing.
type RevalidateResult struct {
	EdgeTTLSeconds int `json:"edge_ttl_seconds"`
	// Statuses are X-Cache-Status of each GET: fill, hit, after expiry,
	// then until the edge has the refreshed copy.
	Statuses []string `json:"statuses"`
	// Renders is dukaan_pagecache_renders_total after the first GET and at
	// the end; App3xx the app's 3xx answers in between (the 304s).
	RendersBefore float64 `json:"renders_before"`
	RendersAfter  float64 `json:"renders_after"`
	App3xx        float64 `json:"app_3xx"`
	Met           bool    `json:"met"`
}

// revalidation runs an app with DUKAAN_EDGE_TTL=1s behind an edge of its
// own, lets the edge's copy of a page expire, and counts what the next
// requests cost the app.
func (b *runner) revalidation(ctx context.Context) error {
	const ttl = 1
	app, err := b.startApp(ctx, appSpec{name: "app-revalidate", database: b.schemaDSN(b.schema("main")),
		// The local tier outlives the edge's copy: the 304 comes from it.
		env: []string{fmt.Sprintf("DUKAAN_EDGE_TTL=%ds", ttl), "DUKAAN_LOCAL_TTL=60s"}})
	if err != nil {
		return err
	}
	defer app.stop()
	addr, err := freeAddr()
	if err != nil {
		return err
	}
	edge, err := b.startEdge(ctx, "edge-revalidate", addr, app.addr)
	if err != nil {
		return err
	}
	defer edge.proc.Stop(10 * time.Second)
	r := &RevalidateResult{EdgeTTLSeconds: ttl}
	host := b.host(1)
	get := func() error {
		a, err := fetchAs(ctx, edge.addr, host, "/", chromiumHeaders)
		if err != nil {
			return err
		}
		r.Statuses = append(r.Statuses, a.header.Get("X-Cache-Status"))
		return nil
	}
	if err := get(); err != nil {
		return err
	}
	stored := time.Now()
	if err := get(); err != nil {
		return err
	}
	m, err := appMetrics(ctx, app.addr)
	if err != nil {
		return err
	}
	r.RendersBefore = m["dukaan_pagecache_renders_total"]
	before3xx := sum3xx(m)
	// nginx counts whole seconds: s-maxage=1 lasts until the end of the
	// second after the one the page was stored in.
	time.Sleep(time.Until(stored.Truncate(time.Second).Add(time.Duration(ttl+1)*time.Second + 100*time.Millisecond)))
	if err := get(); err != nil {
		return err
	}
	// The background revalidation refreshes the copy: then a HIT.
	for deadline := time.Now().Add(5 * time.Second); r.Statuses[len(r.Statuses)-1] != "HIT" && time.Now().Before(deadline); {
		time.Sleep(50 * time.Millisecond)
		if err := get(); err != nil {
			return err
		}
	}
	if m, err = appMetrics(ctx, app.addr); err != nil {
		return err
	}
	r.RendersAfter = m["dukaan_pagecache_renders_total"]
	r.App3xx = sum3xx(m) - before3xx
	r.Met = r.RendersAfter == r.RendersBefore && r.App3xx >= 1 && r.Statuses[len(r.Statuses)-1] == "HIT"
	b.res.Revalidation = r
	b.logf("revalidation: X-Cache-Status %s; renders %.0f → %.0f, the app's 3xx answers +%.0f", strings.Join(r.Statuses, " → "), r.RendersBefore, r.RendersAfter, r.App3xx)
	return nil
}

// sum3xx adds the app's 3xx answers on shop hosts.
func sum3xx(m map[string]float64) float64 {
	var n float64
	for k, v := range m {
		if strings.HasPrefix(k, "dukaan_http_requests_total{") && strings.Contains(k, `status_class="3xx"`) && strings.Contains(k, `host_kind="shop"`) {
			n += v
		}
	}
	return n
}
