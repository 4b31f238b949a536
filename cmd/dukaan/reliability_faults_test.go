package main

// Faults under load: real processes — a private PostgreSQL
// cluster, private redis-servers, nginx edges, app replicas — broken while
// a bounded loop of customers browses and orders, then checked against
// what the database holds. Each test logs a "figures:" line for
// docs/reliability.md.

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"dukaan/app"
	"dukaan/internal/testsvc"
	"dukaan/nginx/nginxtest"
	"dukaan/storage/storagetest"
)

// loadWorkers and loadTime bound every load loop: 8 customers for a
// couple of seconds on loopback.
const loadWorkers = 8

// TestReliabilityPostgresDown stops a private PostgreSQL cluster (as a
// crash would) under load behind an edge, and starts it again. Cached shop
// pages keep coming from the edge; orders get a 503 page with Retry-After
// and are not half-written; every confirmed order is stored with its
// lines; the customers who got 503 post again with the same order key and
// get exactly one order each; stock adds up.
func TestReliabilityPostgresDown(t *testing.T) {
	t.Parallel()
	nginxtest.Require(t)
	pg := testsvc.StartPostgres(t)
	a := startApp(t, "postgres", map[string]string{"DATABASE_URL": pg.DSN(), "DUKAAN_EDGE_TTL": "1s"})
	const initial = 100_000
	v := storagetest.Vendor(t, a.main.DB, "pg-down")
	p := storagetest.Product(t, a.main.DB, v.ID, "Basmati Rice 5kg", 64900, initial)
	host := shopHost(v.Slug)
	e := nginxtest.Start(t, a.addr)
	edge := loadClient(t, e.Addr())
	pages := []string{"/", fmt.Sprintf("/p/%d", p.ID)}
	time.Sleep(repurgeWait) // the product's creation purges once more after 1 s
	settlePurgeJobs(t, a)   // and the purge jobs of what came before
	for _, path := range pages {
		for range 2 {
			if r, err := fetch(edge, http.MethodGet, host, path, nil, nil); err != nil || r.status != http.StatusOK {
				t.Fatalf("warming %s: %v %d", path, err, r.status)
			}
		}
	}
	// The outage is logged at WARN; an ERROR (a 500) fails the test.
	run := newLoadRun()
	var (
		mu       sync.Mutex
		downGets = map[string]int{}
	)
	var down sync.WaitGroup
	var downFor time.Duration
	down.Go(func() {
		time.Sleep(700 * time.Millisecond)
		start := time.Now()
		pg.Stop(t, "immediate")
		time.Sleep(1200 * time.Millisecond)
		pg.Start(t)
		downFor = time.Since(start)
	})
	runLoad(loadWorkers, 3*time.Second, func(ctx context.Context, w int) {
		if w < loadWorkers/2 {
			r := run.shopGet(edge, host, pages[w%2])
			mu.Lock()
			downGets[r.header.Get("X-Cache-Status")]++
			mu.Unlock()
			return
		}
		run.shopOrder(edge, host, p.ID, 1+w%3, true)
	})
	down.Wait()
	waitReady(t, a, 10*time.Second)

	if n := run.failed.Load(); n > 0 {
		t.Errorf("%d of %d requests failed (%s):\n%s", n, run.sent.Load(), run.summary(), run.failuresText())
	}
	if len(run.refused) > 0 {
		doc, err := goquery.NewDocumentFromReader(bytes.NewReader(run.page503))
		if err != nil || text(doc.Find("h1")) == "" || text(doc.Find(".lead")) == "" {
			t.Errorf("the 503 page says nothing useful: %.300s", run.page503)
		}
	} else {
		t.Errorf("no order was refused while PostgreSQL was down for %s (%s)", downFor, run.summary())
	}
	if run.count("GET 200 STALE")+run.count("GET 200 HIT")+run.count("GET 200 UPDATING") == 0 {
		t.Errorf("the edge answered nothing from its cache (%s)", run.summary())
	}

	// The customers who were told to try again do, with the same form.
	retried := 0
	for _, f := range run.refused {
		r, err := fetch(edge, http.MethodPost, host, "/order", f, nil)
		m := orderLocation.FindStringSubmatch(r.header.Get("Location"))
		if err != nil || r.status != http.StatusSeeOther || m == nil {
			t.Errorf("posting a refused order again: %v %d %q", err, r.status, r.header.Get("Location"))
			continue
		}
		retried++
		run.confirmed(placedOrder{token: m[1], key: f.Get("order_key"), qty: qtyOf(f, p.ID)})
	}
	confirmed := dedupeOrders(run.orders)
	sold, unconfirmed := ledger(t, a.main.DB, v.ID, p.ID, initial, confirmed)
	stored := len(storedOrders(t, a.main.DB, v.ID))
	if unconfirmed != 0 || stored != len(confirmed) {
		t.Errorf("%d orders stored, %d confirmed to customers (%d never confirmed)", stored, len(confirmed), unconfirmed)
	}
	t.Logf("figures: fault=postgres-stopped down=%s sent=%d failed=%d [%s] orders: confirmed=%d refused503=%d retried-with-same-key=%d stored=%d units-sold=%d stock=%d-%d=%d",
		downFor.Round(100*time.Millisecond), run.sent.Load(), run.failed.Load(), run.summary(),
		len(run.orders)-retried, len(run.refused), retried, stored, sold, initial, sold, initial-sold)
}

// qtyOf is the quantity an order form asks of product.
func qtyOf(f map[string][]string, product int64) int64 {
	var n int64
	fmt.Sscan(first(f[fmt.Sprintf("qty_%d", product)]), &n)
	return n
}

func first(s []string) string {
	if len(s) == 0 {
		return ""
	}
	return s[0]
}

// dedupeOrders keeps one entry per token: a form posted twice with one
// order key is one order.
func dedupeOrders(os []placedOrder) []placedOrder {
	seen := map[string]bool{}
	var out []placedOrder
	for _, o := range os {
		if !seen[o.token] {
			seen[o.token] = true
			out = append(out, o)
		}
	}
	return out
}

// TestReliabilityRedisKilled kills the private Redis two replicas share
// while customers browse and order on both, and starts it again (empty,
// as after a crash without persistence). Pages keep answering 200 from
// the database, orders keep being taken; a price edit made during the
// outage cannot reach the other replica's memory (the broadcast is lost)
// and is bounded there by DUKAAN_LOCAL_TTL; caching resumes afterwards.
func TestReliabilityRedisKilled(t *testing.T) {
	t.Parallel()
	const localTTL = time.Second
	s := cacheStart(t, cacheOpts{replicas: 2, env: map[string]string{"DUKAAN_LOCAL_TTL": localTTL.String()}})
	a, b := s.apps[0], s.apps[1]
	const initial = 100_000
	v := storagetest.Vendor(t, a.main.DB, "redis-killed")
	p := storagetest.Product(t, a.main.DB, v.ID, "Filter Coffee 500g", 12345, initial)
	host, detail := shopHost(v.Slug), fmt.Sprintf("/p/%d", p.ID)
	hcs := []*http.Client{loadClient(t, a.addr), loadClient(t, b.addr)}
	time.Sleep(repurgeWait)
	settlePurgeJobs(t, a) // and the purge jobs of what came before
	for _, hc := range hcs {
		for range 2 {
			fetch(hc, http.MethodGet, host, detail, nil, nil)
		}
	}
	// The failed purge of the edit is logged at ERROR by storage (the
	// event could not be acted on); the load loop checks for 500s itself.
	cacheAllowErrors(a)
	cacheAllowErrors(b)

	newPrice := []byte("₹111.11") // the MRP stays ₹123.45, struck through
	var (
		mu        sync.Mutex
		editedAt  time.Time
		editTook  time.Duration
		lastStale time.Time // the last response on B showing the old price after the edit
	)
	run := newLoadRun()
	var fault sync.WaitGroup
	var downFor time.Duration
	fault.Go(func() {
		time.Sleep(600 * time.Millisecond)
		start := time.Now()
		s.redis.Kill(t)
		time.Sleep(300 * time.Millisecond)
		// The vendor's form: the same stock as shown, so orders in flight
		// are not undone.
		stock := stockOf(t, a.main.DB, p.ID)
		in := app.ProductInput{Name: p.Name, Description: p.Description, MRP: p.MRP, Price: 11111,
			Stock: stock, StockWas: &stock, Available: true}
		mu.Lock()
		editedAt = time.Now()
		mu.Unlock()
		if _, err := a.main.DB.UpdateProduct(context.Background(), v.ID, p.ID, in); err != nil {
			t.Errorf("editing the price with Redis down: %v", err)
		}
		editTook = time.Since(editedAt)
		time.Sleep(1200 * time.Millisecond)
		s.redis.Start(t)
		downFor = time.Since(start)
	})
	runLoad(loadWorkers, 3*time.Second, func(ctx context.Context, w int) {
		hc := hcs[w%2]
		switch {
		case w < 4:
			r := run.shopGet(hc, host, detail)
			if w%2 == 1 && r.status == http.StatusOK && !bytes.Contains(r.body, newPrice) {
				mu.Lock()
				if !editedAt.IsZero() && time.Now().After(editedAt) {
					lastStale = time.Now()
				}
				mu.Unlock()
			}
		case w < 6:
			run.shopGet(hc, host, "/")
		default:
			run.shopOrder(hc, host, p.ID, 1+w%3, false)
		}
	})
	fault.Wait()

	if n := run.failed.Load(); n > 0 {
		t.Errorf("%d of %d requests failed (%s):\n%s", n, run.sent.Load(), run.summary(), run.failuresText())
	}
	stale := time.Duration(0)
	if !lastStale.IsZero() {
		stale = lastStale.Sub(editedAt)
	}
	if stale > localTTL+500*time.Millisecond {
		t.Errorf("replica B showed the old price %s after the edit, want at most DUKAAN_LOCAL_TTL (%s)", stale, localTTL)
	}
	for _, hc := range hcs {
		if r, _ := fetch(hc, http.MethodGet, host, detail, nil, nil); !bytes.Contains(r.body, newPrice) {
			t.Errorf("after the outage a replica shows %q, not the new price", priceIn(r.body))
		}
	}
	statsA, statsB := a.main.Pages.Stats(), b.main.Pages.Stats()
	if statsA.RedisErrors == 0 {
		t.Error("replica A counted no Redis error")
	}

	// Caching resumes: a page A renders is found in Redis by B.
	deadline := time.Now().Add(5 * time.Second)
	var resumed time.Duration
	for i := 0; ; i++ {
		path := fmt.Sprintf("/?after=%d", i)
		fetch(hcs[0], http.MethodGet, host, path, nil, nil)
		if r, _ := fetch(hcs[1], http.MethodGet, host, path, nil, nil); r.header.Get("X-App-Cache") == "HIT-REDIS" {
			resumed = time.Since(deadline.Add(-5 * time.Second))
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("5 s after Redis came back, B does not find A's pages there")
		}
		time.Sleep(100 * time.Millisecond)
	}
	sold, unconfirmed := ledger(t, a.main.DB, v.ID, p.ID, initial, run.orders)
	if unconfirmed != 0 {
		t.Errorf("%d stored orders were never confirmed", unconfirmed)
	}
	t.Logf("figures: fault=redis-killed down=%s sent=%d failed=%d [%s] slowest=%s edit-with-redis-down-took=%s redis-errors A=%d B=%d purges-with-redis-down-stale-for=%s (local TTL %s) caching-resumed-after=%s orders: confirmed=%d stored=%d units-sold=%d stock=%d-%d=%d",
		downFor.Round(100*time.Millisecond), run.sent.Load(), run.failed.Load(), run.summary(),
		run.slowest.Round(time.Millisecond), editTook.Round(time.Millisecond), statsA.RedisErrors, statsB.RedisErrors, stale.Round(10*time.Millisecond), localTTL, resumed.Round(10*time.Millisecond),
		len(run.orders), len(storedOrders(t, a.main.DB, v.ID)), sold, initial, sold, initial-sold)
}

// priceIn is the first rupee amount on a page, for messages.
func priceIn(body []byte) string {
	i := bytes.Index(body, []byte("₹"))
	if i < 0 {
		return ""
	}
	return string(body[i:min(len(body), i+12)])
}

// TestReliabilityReplicaShutdown closes one of two replicas behind an edge
// while customers browse and order through the edge: the replica stops
// accepting, finishes what it has, and returns from Close without error
// (the exit status of SIGTERM); the edge moves the traffic to the other
// replica, no request fails and no confirmed order is lost.
func TestReliabilityReplicaShutdown(t *testing.T) {
	t.Parallel()
	s := cacheStart(t, cacheOpts{replicas: 2, edges: 1})
	a := s.apps[0]
	const initial = 100_000
	v := storagetest.Vendor(t, a.main.DB, "replica-stop")
	p := storagetest.Product(t, a.main.DB, v.ID, "Alphonso Mangoes 1 dozen", 89900, initial)
	host := shopHost(v.Slug)
	edge := loadClient(t, s.edges[0].Addr())
	time.Sleep(repurgeWait)
	settlePurgeJobs(t, a) // and the purge jobs of what came before

	run := newLoadRun()
	var (
		stop     sync.WaitGroup
		closeErr error
		drained  time.Duration
	)
	stop.Go(func() {
		time.Sleep(time.Second)
		start := time.Now()
		closeErr = a.main.Close()
		drained = time.Since(start)
	})
	// Every request is a miss at the edge (a fresh query string) so that
	// both replicas carry load until one goes.
	var n atomic64
	runLoad(loadWorkers, 3*time.Second, func(ctx context.Context, w int) {
		if w < loadWorkers/2 {
			run.shopGet(edge, host, fmt.Sprintf("/p/%d?n=%d", p.ID, n.add()))
			return
		}
		run.shopOrder(edge, host, p.ID, 1+w%3, false)
	})
	stop.Wait()
	if closeErr != nil {
		t.Errorf("Close of the stopped replica: %v (a SIGTERM would exit 1)", closeErr)
	}
	if n := run.failed.Load(); n > 0 {
		t.Errorf("%d of %d requests failed (%s):\n%s\nedge errors other than refused connects:\n%s", n, run.sent.Load(), run.summary(), run.failuresText(), edgeErrors(t, s.edges[0]))
	}
	sold, unconfirmed := ledger(t, s.apps[1].main.DB, v.ID, p.ID, initial, run.orders)
	if unconfirmed != 0 {
		t.Errorf("%d stored orders were never confirmed", unconfirmed)
	}
	// Requests the stopping replica reset under nginx, which then sent
	// them to the other replica.
	resets := strings.Count(s.edges[0].ErrorLog(t), "reset by peer") + strings.Count(s.edges[0].ErrorLog(t), "prematurely closed")
	t.Logf("figures: fault=replica-shutdown drain=%s sent=%d failed=%d [%s] reset-and-retried-by-edge=%d orders: confirmed=%d stored=%d units-sold=%d stock=%d-%d=%d",
		drained.Round(time.Millisecond), run.sent.Load(), run.failed.Load(), run.summary(), resets,
		len(run.orders), len(storedOrders(t, s.apps[1].main.DB, v.ID)), sold, initial, sold, initial-sold)
}

// atomic64 hands out distinct numbers to workers.
type atomic64 struct {
	mu sync.Mutex
	n  int64
}

func (a *atomic64) add() int64 {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.n++
	return a.n
}

// TestReliabilityEdgeReload reloads nginx (-s reload) twice under load:
// no request fails, and the page cached before is still a HIT after.
func TestReliabilityEdgeReload(t *testing.T) {
	t.Parallel()
	s := cacheStart(t, cacheOpts{edges: 1})
	a, e := s.apps[0], s.edges[0]
	const initial = 100_000
	v := storagetest.Vendor(t, a.main.DB, "edge-reload")
	p := storagetest.Product(t, a.main.DB, v.ID, "Kashmiri Saffron 1g", 49900, initial)
	host := shopHost(v.Slug)
	edge := loadClient(t, e.Addr())
	time.Sleep(repurgeWait)
	settlePurgeJobs(t, a) // and the purge jobs of what came before
	for range 2 {
		fetch(edge, http.MethodGet, host, "/", nil, nil)
	}
	if r, _ := fetch(edge, http.MethodGet, host, "/", nil, nil); r.header.Get("X-Cache-Status") != "HIT" {
		t.Fatalf("warm page: X-Cache-Status %q, want HIT", r.header.Get("X-Cache-Status"))
	}

	run := newLoadRun()
	var reload sync.WaitGroup
	reload.Go(func() {
		for range 2 {
			time.Sleep(700 * time.Millisecond)
			e.Reload(t)
		}
	})
	var n atomic64
	runLoad(loadWorkers, 2500*time.Millisecond, func(ctx context.Context, w int) {
		switch {
		case w < 4:
			run.shopGet(edge, host, "/")
		case w < 6:
			run.shopGet(edge, host, fmt.Sprintf("/p/%d?n=%d", p.ID, n.add()))
		default:
			run.shopOrder(edge, host, p.ID, 1, false)
		}
	})
	reload.Wait()
	if n := run.failed.Load(); n > 0 {
		t.Errorf("%d of %d requests failed across the reloads (%s):\n%s", n, run.sent.Load(), run.summary(), run.failuresText())
	}
	after, _ := fetch(edge, http.MethodGet, host, "/", nil, nil)
	if after.header.Get("X-Cache-Status") != "HIT" {
		t.Errorf("after the reloads: X-Cache-Status %q, want HIT (the cache kept)", after.header.Get("X-Cache-Status"))
	}
	sold, unconfirmed := ledger(t, a.main.DB, v.ID, p.ID, initial, run.orders)
	if unconfirmed != 0 {
		t.Errorf("%d stored orders were never confirmed (a resent order counted twice?)", unconfirmed)
	}
	t.Logf("figures: fault=nginx-reload×2 sent=%d failed=%d [%s] resent-by-client=%d after=%s orders: confirmed=%d units-sold=%d stock=%d-%d=%d",
		run.sent.Load(), run.failed.Load(), run.summary(), run.resent.Load(), after.header.Get("X-Cache-Status"),
		len(run.orders), sold, initial, sold, initial-sold)
}

// TestReliabilityEdgeUnreachable cuts the app off from its edge (a TCP
// proxy in front of nginx, set down) while a vendor edits prices. The
// console's redirect still comes at once; the failed PURGE is counted and
// retried, so the page is fresh soon after the edge is reachable again,
// and when it never is, the edge's TTL ends the old page.
func TestReliabilityEdgeUnreachable(t *testing.T) {
	t.Parallel()
	nginxtest.Require(t)
	const edgeTTL = 4 * time.Second
	edgeAddr := nginxtest.FreeAddr(t)
	link := startProxy(t, edgeAddr)
	_, port, _ := net.SplitHostPort(edgeAddr)
	a := startApp(t, "sqlite", map[string]string{
		"DUKAAN_EDGES": "http://" + link.addr(), "DUKAAN_PUBLIC_PORT": ":" + port,
		"DUKAAN_EDGE_TTL": edgeTTL.String(), "DUKAAN_PURGE_TIMEOUT": "500ms",
	})
	// Giving up on an edge after the retries is logged at ERROR.
	cacheAllowErrors(a)
	e := nginxtest.StartWith(t, nginxtest.Options{Listen: edgeAddr, Upstreams: []string{a.addr}})
	vd := a.signup(t, "edge-away")
	x := vd.addProduct(t, "Brass Diya", "500", "450", 10, true)
	y := vd.addProduct(t, "Clay Pot", "300", "250", 10, true)
	time.Sleep(repurgeWait)
	settlePurgeJobs(t, a) // and the purge jobs of what came before
	edge := loadClient(t, e.Addr())
	host := vd.shop()
	warm := func(path string) {
		t.Helper()
		for range 2 {
			fetch(edge, http.MethodGet, host, path, nil, nil)
		}
		if r, _ := fetch(edge, http.MethodGet, host, path, nil, nil); r.header.Get("X-Cache-Status") != "HIT" {
			t.Fatalf("%s: X-Cache-Status %q, want HIT", path, r.header.Get("X-Cache-Status"))
		}
	}
	edit := func(id int64, price string) (time.Time, time.Duration) {
		t.Helper()
		f := vd.productForm(t, id)
		f.Set("price", price)
		path := fmt.Sprintf("/products/%d/edit", id)
		page := vd.c.get(t, adminHost, path)
		f.Set("csrf_token", csrfToken(t, page))
		start := time.Now()
		r := vd.c.postForm(t, adminHost, path, f)
		took := time.Since(start)
		wantRedirect(t, r, "/products")
		return start, took
	}
	// freshAfter polls the edge until the page shows want.
	freshAfter := func(path, want string, since time.Time, limit time.Duration) time.Duration {
		t.Helper()
		for {
			r, _ := fetch(edge, http.MethodGet, host, path, nil, nil)
			if bytes.Contains(r.body, []byte(want)) {
				return time.Since(since)
			}
			if time.Since(since) > limit {
				t.Fatalf("%s still shows %q %s after the edit (X-Cache-Status %s)", path, priceIn(r.body), limit, r.header.Get("X-Cache-Status"))
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	before := a.main.Pages.Stats()

	// Back soon: the retry purges it.
	px := fmt.Sprintf("/p/%d", x)
	warm(px)
	link.setDown(true)
	editedX, tookX := edit(x, "399")
	if r, _ := fetch(edge, http.MethodGet, host, px, nil, nil); !bytes.Contains(r.body, []byte("₹450")) {
		t.Logf("the edge dropped the page although it was unreachable? %s", priceIn(r.body))
	}
	time.Sleep(300 * time.Millisecond)
	link.setDown(false)
	freshX := freshAfter(px, "₹399", editedX, edgeTTL)
	mid := a.main.Pages.Stats()
	if mid.EdgeFailures == before.EdgeFailures {
		t.Error("no edge failure counted")
	}
	if mid.Retries == before.Retries && mid.EdgePurges == before.EdgePurges {
		t.Error("the failed purge was not retried")
	}

	// Never back within the TTL: the TTL ends the old page.
	py := fmt.Sprintf("/p/%d", y)
	warm(py)
	warmedY := time.Now()
	link.setDown(true)
	_, tookY := edit(y, "199")
	freshY := freshAfter(py, "₹199", warmedY, edgeTTL+2*time.Second)
	link.setDown(false)
	after := a.main.Pages.Stats()
	if tookX > 2*time.Second || tookY > 2*time.Second {
		t.Errorf("the edits took %s and %s with the edge unreachable, want the purge timeout (500ms) to bound them", tookX, tookY)
	}
	t.Logf("figures: fault=edge-unreachable edit-303-in=%s,%s edge-failures=%d retries=%d edge-purges-ok=%d fresh-after-edge-back=%s fresh-by-ttl=%s (edge TTL %s, from caching)",
		tookX.Round(time.Millisecond), tookY.Round(time.Millisecond), after.EdgeFailures-before.EdgeFailures,
		after.Retries-before.Retries, after.EdgePurges-before.EdgePurges,
		freshX.Round(10*time.Millisecond), freshY.Round(10*time.Millisecond), edgeTTL)
}

// edgeErrors is the edge's error log without the refused connects to a
// stopped replica (nginx then tries the next one), for failure messages.
func edgeErrors(t *testing.T, e *nginxtest.Edge) string {
	var out []string
	for _, l := range strings.Split(e.ErrorLog(t), "\n") {
		if l != "" && !strings.Contains(l, "(111: Connection refused)") && len(out) < 20 {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// TestReliabilitySIGTERM sends the test process a real SIGTERM while the
// program runs as main runs it (run under signal.NotifyContext) and a
// customer's order is half sent: the listener closes at once, the order
// in flight is finished (303), and run returns nil — exit status 0.
func TestReliabilitySIGTERM(t *testing.T) {
	// Not parallel: the signal goes to the whole test process, and only
	// this test may be listening for it.
	addr := nginxtest.FreeAddr(t)
	env := map[string]string{
		"DUKAAN_ENV": "test", "DUKAAN_ADDR": addr, "DUKAAN_BASE_DOMAIN": baseDomain,
		"DATABASE_URL": t.TempDir() + "/dukaan.db", "DUKAAN_SECRET": testSecret,
		"DUKAAN_SEED_DEMO": "true", "DUKAAN_BCRYPT_COST": "4", "DUKAAN_LOG_LEVEL": "error",
		"DUKAAN_SHUTDOWN_TIMEOUT": "10s",
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	exited := make(chan error, 1)
	go func() { exited <- run(ctx, []string{"serve"}, env, io.Discard) }()
	hc := loadClient(t, addr)
	var front answer
	deadline := time.Now().Add(30 * time.Second)
	for {
		var err error
		front, err = fetch(hc, http.MethodGet, shopHost("demo"), "/", nil, nil)
		if err == nil && front.status == http.StatusOK {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the program did not serve within 30 s: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	doc, err := goquery.NewDocumentFromReader(bytes.NewReader(front.body))
	if err != nil {
		t.Fatal(err)
	}
	var product int64
	for _, id := range ids(doc, "[name]", "name", qtyName) {
		product = id
		break
	}
	if product == 0 {
		t.Fatal("no product to order in the demo shop")
	}

	// Half an order: headers and part of the body.
	body := orderForm(map[int64]int{product: 1}).Encode()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	fmt.Fprintf(c, "POST /order HTTP/1.1\r\nHost: %s\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: %d\r\n\r\n%s",
		shopHost("demo"), len(body), body[:len(body)/2])
	time.Sleep(200 * time.Millisecond)

	start := time.Now()
	if err := syscall.Kill(os.Getpid(), syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	// It stops accepting.
	refused := false
	for range 100 {
		if nc, err := net.DialTimeout("tcp", addr, 100*time.Millisecond); err != nil {
			refused = true
			break
		} else {
			nc.Close()
		}
		time.Sleep(10 * time.Millisecond)
	}
	if !refused {
		t.Error("still accepting connections 1 s after SIGTERM")
	}
	// The order in flight is finished.
	time.Sleep(100 * time.Millisecond)
	if _, err := io.WriteString(c, body[len(body)/2:]); err != nil {
		t.Fatalf("finishing the order after SIGTERM: %v", err)
	}
	_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatalf("no answer to the order in flight: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther || !orderLocation.MatchString(resp.Header.Get("Location")) {
		t.Errorf("order in flight: %d Location %q, want 303 /orders/{token}", resp.StatusCode, resp.Header.Get("Location"))
	}
	select {
	case err := <-exited:
		if err != nil {
			t.Errorf("run returned %v after SIGTERM: the process would exit 1", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("run did not return within 15 s of SIGTERM")
	}
	t.Logf("figures: fault=sigterm in-flight-order=%d listener-closed=%v exited-in=%s exit-status=0",
		resp.StatusCode, refused, time.Since(start).Round(time.Millisecond))
}
