package main

// Helpers for the page-cache end-to-end tests (cache_e2e_test.go): whole
// programs (Main) sharing a PostgreSQL schema and a private redis-server
// (testsvc.StartRedis, which says why not the shared one with a prefix),
// behind real nginx edges (nginx/nginxtest), driven with the browser of
// e2e_helpers_test.go.

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"dukaan/app"
	"dukaan/internal/testsvc"
	"dukaan/nginx/nginxtest"
	"dukaan/storage/storagetest"
)

// ---------------------------------------------------------------------------
// Replicas and edges.

type cacheOpts struct {
	replicas int // app replicas sharing the database and Redis (default 1)
	edges    int // nginx edges, each in front of every replica
	env      map[string]string
	// redisProxy puts a TCP proxy (e2e_ops_test.go) between the replicas
	// and Redis, so a test can cut them apart while Redis keeps its data.
	redisProxy bool
	// edgeToken is given to every edge (and nothing else: tests set the
	// app's DUKAAN_EDGE_PURGE_TOKEN in env, or leave it out on purpose).
	edgeToken string
}

// cacheStack is one deployment: replicas (Mains) on one PostgreSQL schema
// and one private Redis, and edges in front of all of them. Every replica
// purges every edge (DUKAAN_EDGES), and the console's CSRF check trusts
// edge 0's port (DUKAAN_PUBLIC_PORT).
type cacheStack struct {
	redis *testsvc.Redis
	proxy *tcpProxy         // with redisProxy
	apps  []*testApp        // each replica, reached directly
	edges []*nginxtest.Edge // each edge
	via   []*testApp        // the deployment as reached through edge i
}

func cacheStart(t *testing.T, o cacheOpts) *cacheStack {
	t.Helper()
	if o.edges > 0 {
		nginxtest.Require(t) // skip before creating anything when nginx is missing
	}
	if o.replicas == 0 {
		o.replicas = 1
	}
	s := &cacheStack{redis: testsvc.StartRedis(t)}
	env := map[string]string{
		"DATABASE_URL": testsvc.PostgresSchema(t, "e2e_"),
		"REDIS_URL":    s.redis.URL(),
		// One photo directory for every replica, as a shared volume.
		"DUKAAN_IMAGE_DIR": t.TempDir(),
	}
	if o.redisProxy {
		s.proxy = startProxy(t, s.redis.Addr())
		env["REDIS_URL"] = "redis://" + s.proxy.addr() + "/0"
	}
	// The app must know its edges before they can know it: the edges'
	// ports are chosen first and the edges started once the replicas run.
	edgeAddrs := make([]string, o.edges)
	var edgeURLs []string
	for i := range edgeAddrs {
		edgeAddrs[i] = nginxtest.FreeAddr(t)
		edgeURLs = append(edgeURLs, "http://"+edgeAddrs[i])
	}
	if o.edges > 0 {
		env["DUKAAN_EDGES"] = strings.Join(edgeURLs, ",")
		_, port, _ := net.SplitHostPort(edgeAddrs[0])
		env["DUKAAN_PUBLIC_PORT"] = ":" + port
	}
	for k, v := range o.env {
		env[k] = v
	}
	var ups []string
	for range o.replicas {
		// One at a time: each runs the migrations at start.
		a := startApp(t, "postgres", env)
		s.apps = append(s.apps, a)
		ups = append(ups, a.addr)
	}
	for _, addr := range edgeAddrs {
		e := nginxtest.StartWith(t, nginxtest.Options{Listen: addr, Upstreams: ups, PurgeToken: o.edgeToken})
		s.edges = append(s.edges, e)
		s.via = append(s.via, cacheVia(t, s.apps[0], e))
	}
	return s
}

// cacheVia is a as reached through edge e: a browser from newClient sends
// every request to the edge, with the edge's port in Host and Origin.
func cacheVia(t *testing.T, a *testApp, e *nginxtest.Edge) *testApp {
	t.Helper()
	v := &testApp{dialect: a.dialect, main: a.main, addr: e.Addr(), port: e.Port(), logs: a.logs}
	tr := &http.Transport{
		DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "tcp", e.Addr())
		},
		MaxIdleConnsPerHost: 64,
		DisableCompression:  true,
	}
	v.hc = &http.Client{
		Transport:     tr,
		Timeout:       30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	t.Cleanup(tr.CloseIdleConnections)
	return v
}

// cacheBrowser is c's cookies in a browser that talks to a instead: the
// same vendor, logged in, on another replica or edge.
func cacheBrowser(c *client, a *testApp) *client {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := a.newClient()
	for host, cs := range c.jar {
		n.jar[host] = map[string]*http.Cookie{}
		for name, ck := range cs {
			n.jar[host][name] = ck
		}
	}
	return n
}

// cacheAllowErrors stops a's log from failing the test: for tests that
// break Redis on purpose, where the storage layer logs the failed purge of
// a product event at ERROR.
func cacheAllowErrors(a *testApp) {
	a.logs.mu.Lock()
	a.logs.allowErrors = true
	a.logs.mu.Unlock()
}

// ---------------------------------------------------------------------------
// Data, seeded through the storage API of the first replica (its events go
// through its page cache like the console's).

func cacheVendor(t *testing.T, a *testApp, slug string) *app.Vendor {
	t.Helper()
	return storagetest.Vendor(t, a.main.DB, slug)
}

func cacheProduct(t *testing.T, a *testApp, vendorID int64, name string, price app.Paise, stock int64) *app.Product {
	t.Helper()
	return storagetest.Product(t, a.main.DB, vendorID, name, price, stock)
}

// ---------------------------------------------------------------------------
// Reading the tiers.

// edgeCache is what the edge did (X-Cache-Status: MISS, HIT, BYPASS, STALE…).
func edgeCache(r *response) string { return r.header.Get("X-Cache-Status") }

// appCache is what the app's page cache did (MISS, HIT-LOCAL, HIT-REDIS).
func appCache(r *response) string { return r.header.Get("X-App-Cache") }

// wantTiers checks a page's status and which tier answered; "" skips a tier.
func wantTiers(t *testing.T, r *response, status int, edge, appTier string) {
	t.Helper()
	if r.status != status {
		t.Errorf("%s: status %d, want %d (%s)", r, r.status, status, r.summary())
	}
	if edge != "" && edgeCache(r) != edge {
		t.Errorf("%s: X-Cache-Status %q, want %q", r, edgeCache(r), edge)
	}
	if appTier != "" && appCache(r) != appTier {
		t.Errorf("%s: X-App-Cache %q, want %q", r, appCache(r), appTier)
	}
}

// cacheCard is the product's part of a shop page: its card on a listing,
// the detail on /p/{id}.
func cacheCard(r *response, id int64) *goquery.Selection {
	if strings.HasPrefix(r.path, "/p/") {
		return r.doc.Find(".product-detail")
	}
	return productCard(r.doc, id)
}

// cachePrice is the price the page shows for the product ("" if absent).
func cachePrice(r *response, id int64) string {
	return text(cacheCard(r, id).Find(".price").First())
}

// cacheSoldOut reports whether the page shows the product as sold out:
// the "Sold out" mark instead of a quantity field.
func cacheSoldOut(r *response, id int64) bool {
	card := cacheCard(r, id)
	return hasText(card.Find(".qty-soldout"), "Sold out") && r.doc.Find(fmt.Sprintf(`[name="qty_%d"]`, id)).Length() == 0
}

// cacheRaw sends one GET with a's HTTP client and returns status, headers
// and body, for the concurrent storms where goquery would only add noise.
func cacheRaw(a *testApp, host, path string) (int, http.Header, []byte, error) {
	req, err := http.NewRequest(http.MethodGet, "http://"+a.addr+path, nil)
	if err != nil {
		return 0, nil, nil, err
	}
	req.Host = host
	resp, err := a.hc.Do(req)
	if err != nil {
		return 0, nil, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, b, err
}

// cachePurge sends an ops PURGE to a replica, with token as the bearer
// token when it is not empty.
func cachePurge(t *testing.T, a *testApp, host, path, token string) *response {
	t.Helper()
	hdr := http.Header{}
	if token != "" {
		hdr.Set("Authorization", "Bearer "+token)
	}
	return a.newClient().send(t, "PURGE", host, path, nil, hdr)
}

// repurgeWait is how long a purge's second pass takes to come (pagecache's
// RepurgeAfter, 1 s, which cmd/dukaan does not expose) plus a margin. A
// test that wants a page to stay cached after an event waits this long
// first: the second pass removes what was cached in between.
const repurgeWait = 1300 * time.Millisecond

// cachePastEdgeTTL sleeps until an edge entry stored at stored with
// s-maxage ttl has expired. nginx keeps time in whole seconds and an entry
// is valid while valid_sec >= now, so it lives until the end of the second
// after floor(stored)+ttl: up to ttl+1 s.
func cachePastEdgeTTL(stored time.Time, ttl time.Duration) {
	time.Sleep(time.Until(stored.Truncate(time.Second).Add(ttl + time.Second + 100*time.Millisecond)))
}

// cacheWhenFresh is a diagnosis for a stale page: it polls path for up to
// 6 s (past DUKAAN_LOCAL_TTL) and says when the product showed price.
func cacheWhenFresh(t *testing.T, c *client, host, path string, id int64, price string) string {
	t.Helper()
	start := time.Now()
	for time.Since(start) < 6*time.Second {
		r := c.get(t, host, path)
		if cachePrice(r, id) == price {
			return fmt.Sprintf("it showed %s %s later (%s)", price, time.Since(start).Round(time.Millisecond), appCache(r))
		}
		time.Sleep(5 * time.Millisecond)
	}
	return "still stale 6 s later"
}

// settlePurgeJobs waits (bounded) until no purge job is left to run. The
// job written with each change repeats the edge PURGE after the console's
// own purge (and purges the store's pages in full when the fast path did
// not settle it, storage/jobs), so a page cached at the edge before the
// job ran may be dropped there again. Tests that check a page is served
// from the edge a second time wait for the job first.
func settlePurgeJobs(t *testing.T, a *testApp) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		var n int
		err := a.main.DB.Bun().DB.QueryRowContext(t.Context(),
			"SELECT count(*) FROM river_job WHERE kind = 'purge' AND state NOT IN ('completed', 'discarded', 'cancelled')").Scan(&n)
		if err != nil {
			t.Fatalf("reading the purge jobs: %v", err)
		}
		if n == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d purge jobs still to run after 10 s", n)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
