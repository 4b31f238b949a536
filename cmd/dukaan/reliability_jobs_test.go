package main

// The outbox under a database restart and under a storm of edits: real
// processes (a private PostgreSQL cluster, redis-server, nginx), two app
// replicas, checks against river_job and against every cache tier.

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"dukaan/internal/testsvc"
	"dukaan/nginx/nginxtest"
	"dukaan/storage/jobs"
)

// restartPrice is the k-th price a product is given in
// TestReliabilityPostgresRestartJobs: "₹(100+k).25" on the page, so a page
// says which edit it shows.
func restartPrice(k int) string { return fmt.Sprintf("%d.25", 100+k) }

var restartPriceRe = regexp.MustCompile(`₹(\d+)\.25\b`)

// shownEdit is the index of the edit whose price body shows, -1 for the
// price the product was created with.
func shownEdit(body []byte) int {
	m := restartPriceRe.FindSubmatch(body)
	if m == nil {
		return -1
	}
	n, _ := strconv.Atoi(string(m[1]))
	return n - 100
}

// committedEdit is one price edit the console confirmed (303).
type committedEdit struct {
	product    int64
	k          int
	sent, done time.Time // the first POST of it was sent; the 303 came
}

// jobRow is a purge job as river_job holds it.
type jobRow struct {
	id                    int64
	state                 string
	attempt, errors       int
	created, attempted    time.Time
	args                  jobs.PurgeArgs
	attemptedBy           []string
	finalized             time.Time
	hasAttempt, finalSeen bool
}

// purgeJobs reads every purge job of a store (PostgreSQL).
func purgeJobs(t *testing.T, a *testApp, store int64) []jobRow {
	t.Helper()
	rows, err := a.main.DB.Bun().DB.QueryContext(t.Context(), `SELECT id, state, attempt, COALESCE(array_length(errors, 1), 0),
		created_at, attempted_at, finalized_at, args, COALESCE(array_to_string(attempted_by, ','), '')
		FROM river_job WHERE kind = 'purge' AND (args->>'store_id')::bigint = $1 ORDER BY id`, store)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []jobRow
	for rows.Next() {
		var j jobRow
		var attempted, finalized *time.Time
		var raw []byte
		var by string
		if err := rows.Scan(&j.id, &j.state, &j.attempt, &j.errors, &j.created, &attempted, &finalized, &raw, &by); err != nil {
			t.Fatal(err)
		}
		if attempted != nil {
			j.attempted, j.hasAttempt = *attempted, true
		}
		if finalized != nil {
			j.finalized, j.finalSeen = *finalized, true
		}
		if by != "" {
			j.attemptedBy = strings.Split(by, ",")
		}
		if err := json.Unmarshal(raw, &j.args); err != nil {
			t.Fatalf("job %d args %s: %v", j.id, raw, err)
		}
		out = append(out, j)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestReliabilityPostgresRestartJobs restarts the private PostgreSQL
// cluster (pg_ctl stop -m immediate, a crash, then start) while customers
// order through an edge in front of two replicas and a vendor edits prices
// through the same edge. Afterwards no job is lost: every tier (edge,
// Redis, both replicas' memories) serves each product's last confirmed
// price, and every confirmed edit is covered by a completed purge job
// whose successful attempt began after the edit was sent; none ran twice:
// each completed job's attempts are its failed attempts plus one. No
// confirmed order is lost and nothing is oversold.
//
// PostgreSQL only: SQLite is a file inside the app's process, there is no
// database server to restart (a crash of the process is
// TestReliabilityCrashAfterCommit, which runs on both).
func TestReliabilityPostgresRestartJobs(t *testing.T) {
	t.Parallel()
	nginxtest.Require(t)
	pg := testsvc.StartPostgres(t)
	rs := testsvc.StartRedis(t)
	edgeAddr := nginxtest.FreeAddr(t)
	_, edgePort, _ := net.SplitHostPort(edgeAddr)
	env := map[string]string{
		"DATABASE_URL": pg.DSN(), "REDIS_URL": rs.URL(),
		"DUKAAN_EDGES": "http://" + edgeAddr, "DUKAAN_PUBLIC_PORT": ":" + edgePort,
		"DUKAAN_EDGE_TTL": "10m", "DUKAAN_JOB_POLL": "50ms",
	}
	a := startApp(t, "postgres", env)
	b := startApp(t, "postgres", env)
	e := nginxtest.StartWith(t, nginxtest.Options{Listen: edgeAddr, Upstreams: []string{a.addr, b.addr}})
	via := cacheVia(t, a, e)
	edge := loadClient(t, e.Addr())

	v := via.signup(t, "pg-restart-jobs")
	host := v.shop()
	const scarce = 1200 // units of the ordered product: sells out under the load, or nearly
	ordered := v.addProduct(t, "Darjeeling Tea 250g", "999", "99", scarce, true)
	products := []int64{ordered}
	for _, name := range []string{"Kolhapuri Chappal", "Pashmina Shawl", "Bidri Vase"} {
		products = append(products, v.addProduct(t, name, "999", "99", 50, true))
	}
	var storeID int64
	if err := a.main.DB.Bun().DB.QueryRowContext(t.Context(), "SELECT vendor_id FROM products WHERE id = $1", ordered).Scan(&storeID); err != nil {
		t.Fatal(err)
	}
	time.Sleep(repurgeWait)
	for _, id := range products {
		for range 2 {
			fetch(edge, http.MethodGet, host, fmt.Sprintf("/p/%d", id), nil, nil)
		}
	}

	var (
		mu        sync.Mutex
		commits   []committedEdit
		latest    = map[int64]int{} // product → last confirmed edit
		lastStale time.Time         // a read showing an edit older than one confirmed before it began
		stales    int
		edits503  int
		downAt    time.Time
		upAt      time.Time
	)
	for _, id := range products {
		latest[id] = -1
	}
	// edit gives product its k-th price through the edge's console, trying
	// again (a fresh form each time, as a vendor would) until it is
	// confirmed or the test's bound passes.
	edit := func(id int64, k int) {
		sent := time.Now()
		path := fmt.Sprintf("/products/%d/edit", id)
		for time.Since(sent) < 20*time.Second {
			page, err := v.c.do(http.MethodGet, adminHost, path, nil, nil)
			if err != nil || page.status != http.StatusOK {
				mu.Lock()
				edits503++
				mu.Unlock()
				time.Sleep(100 * time.Millisecond)
				continue
			}
			f := formValues(page.doc, path)
			f.Set("price", restartPrice(k))
			f.Set("csrf_token", csrfToken(t, page))
			r, err := v.c.do(http.MethodPost, adminHost, path, f, nil)
			if err == nil && r.status == http.StatusSeeOther {
				mu.Lock()
				commits = append(commits, committedEdit{product: id, k: k, sent: sent, done: time.Now()})
				latest[id] = k
				mu.Unlock()
				return
			}
			if err == nil && r.status != http.StatusServiceUnavailable {
				t.Errorf("edit of %d to %s: %d %s", id, restartPrice(k), r.status, r.summary())
				return
			}
			mu.Lock()
			edits503++
			mu.Unlock()
			time.Sleep(100 * time.Millisecond)
		}
		t.Errorf("edit of %d to %s not confirmed within 20 s", id, restartPrice(k))
	}

	run := newLoadRun()
	var soldOut sync.Mutex
	refusedSoldOut := 0
	var wg sync.WaitGroup
	wg.Go(func() {
		time.Sleep(900 * time.Millisecond)
		mu.Lock()
		downAt = time.Now()
		mu.Unlock()
		pg.Stop(t, "immediate")
		time.Sleep(1200 * time.Millisecond)
		pg.Start(t)
		mu.Lock()
		upAt = time.Now()
		mu.Unlock()
	})
	k := 0
	runLoad(loadWorkers, 3500*time.Millisecond, func(ctx context.Context, w int) {
		switch {
		case w == 0: // the vendor, one edit after the other over the products
			mu.Lock()
			k++
			n := k
			mu.Unlock()
			edit(products[n%len(products)], n)
		case w < 4: // customers reading product pages through the edge
			id := products[w%len(products)]
			mu.Lock()
			want := latest[id]
			begun := time.Now()
			mu.Unlock()
			r, err := fetch(edge, http.MethodGet, host, fmt.Sprintf("/p/%d", id), nil, nil)
			switch {
			case err != nil:
				run.note("GET error", false, err.Error())
			case r.status == http.StatusOK:
				run.note("GET 200 "+r.header.Get("X-Cache-Status"), true, "")
			case r.status == http.StatusServiceUnavailable:
				// A page purged just before the database went: it cannot be
				// rendered until it is back, and says so.
				run.note("GET 503", r.header.Get("Retry-After") != "", "GET 503 without Retry-After")
			default:
				run.note(fmt.Sprintf("GET %d", r.status), false, fmt.Sprintf("GET /p/%d: %d", id, r.status))
			}
			if err == nil && r.status == http.StatusOK && shownEdit(r.body) < want {
				mu.Lock()
				stales++
				lastStale = begun
				mu.Unlock()
			}
		default: // customers ordering
			f := orderForm(map[int64]int{ordered: 1 + w%3})
			a, err := fetch(edge, http.MethodPost, host, "/order", f, nil)
			switch m := orderLocation.FindStringSubmatch(a.header.Get("Location")); {
			case err != nil:
				run.note("POST error", false, err.Error())
			case a.status == http.StatusSeeOther && m != nil:
				run.note("POST 303", true, "")
				run.confirmed(placedOrder{token: m[1], key: f.Get("order_key"), qty: int64(1 + w%3)})
			case a.status == http.StatusServiceUnavailable:
				run.note("POST 503", a.header.Get("Retry-After") != "", "503 without Retry-After")
				run.refusedForm(f, a.body)
			case a.status == http.StatusUnprocessableEntity:
				// Sold out or fewer left than asked: refused, nothing stored.
				run.note("POST 422", true, "")
				soldOut.Lock()
				refusedSoldOut++
				soldOut.Unlock()
			default:
				run.note(fmt.Sprintf("POST %d", a.status), false, fmt.Sprintf("order: %d %.200s", a.status, a.body))
			}
		}
	})
	wg.Wait()
	lastEdit := time.Now()
	waitReady(t, a, 10*time.Second)
	waitReady(t, b, 10*time.Second)
	if n := run.failed.Load(); n > 0 {
		t.Errorf("%d of %d requests failed (%s):\n%s", n, run.sent.Load(), run.summary(), run.failuresText())
	}
	if len(run.refused) == 0 {
		t.Errorf("no order was refused with 503 while PostgreSQL was down: the restart did not happen under load (%s)", run.summary())
	}
	// The customers told to try again do, with the same form (same key).
	for _, f := range run.refused {
		r, err := fetch(edge, http.MethodPost, host, "/order", f, nil)
		m := orderLocation.FindStringSubmatch(r.header.Get("Location"))
		switch {
		case err == nil && r.status == http.StatusSeeOther && m != nil:
			run.confirmed(placedOrder{token: m[1], key: f.Get("order_key"), qty: qtyOf(f, ordered)})
		case err == nil && r.status == http.StatusUnprocessableEntity:
		default:
			t.Errorf("posting a refused order again: %v %d", err, r.status)
		}
	}

	// Every tier serves each product's last confirmed price.
	mu.Lock()
	for _, c := range commits {
		lastEdit = c.done
	}
	mu.Unlock()
	probe := redisProbe(t, rs)
	ha, hb := loadClient(t, a.addr), loadClient(t, b.addr)
	var freshAll time.Duration
	deadline := time.Now().Add(10 * time.Second)
	for {
		stale := ""
		for _, id := range products {
			path := fmt.Sprintf("/p/%d", id)
			mu.Lock()
			want := latest[id]
			mu.Unlock()
			for name, hc := range map[string]*http.Client{"edge": edge, "A": ha, "B": hb} {
				if r, err := fetch(hc, http.MethodGet, host, path, nil, nil); err != nil || shownEdit(r.body) != want {
					stale = fmt.Sprintf("%s %s shows edit %d, want %d (%v)", name, path, shownEdit(r.body), want, err)
				}
			}
			if p := probe(host, path); p != nil && shownEdit(p) != want {
				stale = fmt.Sprintf("Redis %s holds edit %d, want %d", path, shownEdit(p), want)
			}
		}
		if stale != "" && time.Since(lastEdit) > time.Second {
			t.Logf("still stale %s after the load: %s", time.Since(lastEdit).Round(time.Millisecond), stale)
		}
		if stale == "" {
			freshAll = time.Since(lastEdit)
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("10 s after the load: %s", stale)
		}
		time.Sleep(50 * time.Millisecond)
	}

	// The queue: every purge job of the store completed, each once.
	var js []jobRow
	deadline = time.Now().Add(10 * time.Second)
	for {
		js = purgeJobs(t, a, storeID)
		if !slices.ContainsFunc(js, func(j jobRow) bool { return j.state != "completed" }) || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	retried := 0
	for _, j := range js {
		if j.state != "completed" {
			t.Errorf("purge job %d is %s (attempt %d, %d errors) 10 s after the load", j.id, j.state, j.attempt, j.errors)
		}
		if j.attempt != j.errors+1 {
			t.Errorf("purge job %d: %d attempts, %d failed: it ran to the end more than once (by %v)", j.id, j.attempt, j.errors, j.attemptedBy)
		}
		if j.attempt > 1 {
			retried++
		}
	}
	mu.Lock()
	defer mu.Unlock()
	for _, c := range commits {
		covered := 0
		for _, j := range js {
			if (j.args.Store || slices.Contains(j.args.Products, c.product)) && j.state == "completed" &&
				!j.created.After(c.done.Add(time.Millisecond)) && j.hasAttempt && !j.attempted.Before(c.sent.Add(-time.Millisecond)) {
				covered++
			}
		}
		if covered == 0 {
			for _, j := range js {
				t.Logf("job %d %s attempt %d errors %d created %s attempted %s args %+v", j.id, j.state, j.attempt, j.errors,
					j.created.Format("15:04:05.000"), j.attempted.Format("15:04:05.000"), j.args)
			}
			t.Logf("edit sent %s done %s", c.sent.Format("15:04:05.000"), c.done.Format("15:04:05.000"))
			var price int64
			_ = a.main.DB.Bun().DB.QueryRowContext(t.Context(), "SELECT price FROM products WHERE id = $1", c.product).Scan(&price)
			var all string
			_ = a.main.DB.Bun().DB.QueryRowContext(t.Context(), "SELECT string_agg(id || ':' || kind || ':' || state || ':' || args::text || ':' || created_at::text, E'\\n' ORDER BY id) FROM river_job").Scan(&all)
			t.Logf("product %d price in the database: %d; river_job:\n%s", c.product, price, all)
			t.Errorf("edit of %d to %s (confirmed %s after the restart began) has no completed purge job that ran after it",
				c.product, restartPrice(c.k), c.done.Sub(downAt).Round(time.Millisecond))
		}
	}
	if len(commits) < 10 {
		t.Errorf("only %d edits confirmed: the vendor barely edited", len(commits))
	}
	editsDuring := 0
	for _, c := range commits {
		if c.sent.Before(upAt) && c.done.After(downAt) {
			editsDuring++
		}
	}
	if editsDuring == 0 {
		t.Errorf("no edit spanned the restart (%d confirmed)", len(commits))
	}

	confirmed := dedupeOrders(run.orders)
	sold, unconfirmed := ledger(t, a.main.DB, storeID, ordered, scarce, confirmed)
	stock := stockOf(t, a.main.DB, ordered)
	if stock < 0 {
		t.Errorf("stock %d: oversold", stock)
	}
	stored := len(storedOrders(t, a.main.DB, storeID))
	if unconfirmed != 0 || stored != len(confirmed) {
		t.Errorf("%d orders stored, %d confirmed to customers (%d never confirmed)", stored, len(confirmed), unconfirmed)
	}
	staleAfter := "none"
	if !lastStale.IsZero() {
		staleAfter = lastStale.Sub(upAt).Round(time.Millisecond).String() + " after the restart"
	}
	t.Logf("figures: fault=postgres-restarted-jobs down=%s sent=%d failed=%d [%s] edits confirmed=%d (%d spanning the restart, %d tries answered 503) jobs=%d (%d retried after a failed attempt, all completed once) all-tiers-fresh=%s after the last confirmed edit (orders re-posted in between); reads older than a confirmed edit=%d, last began %s; orders confirmed=%d stored=%d refused-sold-out=%d units-sold=%d stock=%d-%d=%d",
		upAt.Sub(downAt).Round(100*time.Millisecond), run.sent.Load(), run.failed.Load(), run.summary(),
		len(commits), editsDuring, edits503, len(js), retried, freshAll.Round(time.Millisecond), stales, staleAfter,
		len(confirmed), stored, refusedSoldOut, sold, scarce, sold, stock)
}
