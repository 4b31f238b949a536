package main

// A replica killed with SIGKILL at the instant after a product update
// commits and before any cache tier was purged (the faultinject build's
// DUKAAN_FAULT_KILL_AFTER_COMMIT point, storage/fault_on.go). The purge job
// written in the update's transaction is what brings every tier to the new
// price: worked by the surviving replica, or by the killed one once it is
// back. Real processes (two dukaan binaries, redis-server, nginx, PostgreSQL
// or one SQLite file shared by both), both databases.

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"dukaan/app"
	"dukaan/internal/proc"
	"dukaan/internal/testsvc"
	"dukaan/nginx/nginxtest"
	"dukaan/storage/pagecache"
)

// faultBinary is cmd/dukaan with the fault-injection points compiled in.
var faultBinary = &testsvc.Binary{Name: "dukaan", Flags: []string{"-tags", "faultinject"}}

// replica is one dukaan process.
type replica struct {
	name string
	addr string
	env  []string
	p    *proc.Proc
	app  *testApp // for the console client helpers
}

func startReplica(t *testing.T, bin, name, addr string, env map[string]string, log string) *replica {
	t.Helper()
	full := map[string]string{
		"DUKAAN_ENV": "test", "DUKAAN_ADDR": addr, "DUKAAN_BASE_DOMAIN": baseDomain,
		"DUKAAN_SECRET": testSecret, "DUKAAN_SEED_DEMO": "false", "DUKAAN_BCRYPT_COST": "4",
		"DUKAAN_LOGIN_LIMIT_ACCOUNT": "off", "DUKAAN_LOGIN_LIMIT_IP": "off", "DUKAAN_SIGNUP_LIMIT_IP": "off",
		"DUKAAN_LOG_LEVEL": "warn",
	}
	for k, v := range env {
		full[k] = v
	}
	var environ []string
	for k, v := range full {
		environ = append(environ, k+"="+v)
	}
	environ = append(environ, "PATH=/usr/bin:/bin")
	r := &replica{name: name, addr: addr, env: environ}
	r.start(t, bin, log)
	_, port, _ := net.SplitHostPort(addr)
	r.app = &testApp{addr: addr, port: port}
	tr := &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, "tcp", addr)
	}, DisableCompression: true}
	t.Cleanup(tr.CloseIdleConnections)
	r.app.hc = &http.Client{Transport: tr, Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	return r
}

func (r *replica) start(t *testing.T, bin, log string) {
	t.Helper()
	p, err := proc.Start(proc.Spec{Name: r.name, Bin: bin, Args: []string{"serve"}, Env: r.env, Log: log})
	if err != nil {
		t.Fatal(err)
	}
	r.p = p
	t.Cleanup(func() { _ = p.Stop(10 * time.Second) })
	hc := loadClient(t, r.addr)
	deadline := time.Now().Add(90 * time.Second)
	for {
		a, err := fetch(hc, http.MethodGet, baseDomain, "/readyz", nil, nil)
		if err == nil && a.status == http.StatusOK {
			return
		}
		if p.Exited() || time.Now().After(deadline) {
			t.Fatalf("%s not ready: %v\n%s", r.name, err, p.Tail(40))
		}
		time.Sleep(25 * time.Millisecond)
	}
}

// TestReliabilityCrashAfterCommit: see the top of this file. The checker
// reads the product page through the edge every 50 ms and reports the last
// stale read after the commit.
func TestReliabilityCrashAfterCommit(t *testing.T) {
	nginxtest.Require(t)
	for _, dialect := range []string{"sqlite", "postgres"} {
		for _, survivor := range []bool{true, false} {
			name := dialect + "/restart"
			if survivor {
				name = dialect + "/second-replica"
			}
			t.Run(name, func(t *testing.T) { crashAfterCommit(t, dialect, survivor) })
		}
	}
}

func crashAfterCommit(t *testing.T, dialect string, survivor bool) {
	bin := faultBinary.Path(t)
	rs := testsvc.StartRedis(t)
	dsn := filepath.Join(t.TempDir(), "dukaan.db")
	if dialect == "postgres" {
		dsn = testsvc.PostgresSchema(t, "crash_")
	}
	edgeAddr := nginxtest.FreeAddr(t)
	_, edgePort, _ := net.SplitHostPort(edgeAddr)
	env := map[string]string{
		"DATABASE_URL": dsn, "REDIS_URL": rs.URL(), "DUKAAN_IMAGE_DIR": t.TempDir(),
		"DUKAAN_EDGES": "http://" + edgeAddr, "DUKAAN_PUBLIC_PORT": ":" + edgePort,
		"DUKAAN_EDGE_TTL": "60s", "DUKAAN_PAGE_TTL": "15m", "DUKAAN_JOB_POLL": "50ms",
	}
	logs := t.TempDir()
	// A: the replica that commits and dies. B: the survivor, the edge's
	// upstream (one at a time: each migrates at start).
	aEnv := map[string]string{"DUKAAN_FAULT_KILL_AFTER_COMMIT": "updated"}
	for k, v := range env {
		aEnv[k] = v
	}
	a := startReplica(t, bin, "A", nginxtest.FreeAddr(t), aEnv, filepath.Join(logs, "a.log"))
	front := a
	if survivor {
		front = startReplica(t, bin, "B", nginxtest.FreeAddr(t), env, filepath.Join(logs, "b.log"))
	}
	e := nginxtest.StartWith(t, nginxtest.Options{Listen: edgeAddr, Upstreams: []string{front.addr}})
	edge := loadClient(t, e.Addr())

	// The vendor signs up and adds a product on the front replica; the
	// edit goes to A with the same session (sessions are in the database).
	v := front.app.signup(t, "crash"+proc.RandomHex(3))
	id := v.addProduct(t, "Basmati Rice 5kg", "700", "649", 50, true)
	host := shopHost(v.store)
	path := fmt.Sprintf("/p/%d", id)
	const newPrice = "123.45"
	fresh := func(body []byte) bool { return bytes.Contains(body, []byte(newPrice)) }

	// Warm every tier with the old price: the edge, Redis, the front's
	// memory, and A's memory.
	time.Sleep(1500 * time.Millisecond) // the creation's purge and its repurge are done
	for range 3 {
		if r, err := fetch(edge, http.MethodGet, host, path, nil, nil); err != nil || r.status != http.StatusOK || fresh(r.body) {
			t.Fatalf("warming through the edge: %v %d", err, r.status)
		}
	}
	aHC := loadClient(t, a.addr)
	for range 2 {
		if r, err := fetch(aHC, http.MethodGet, host, path, nil, nil); err != nil || r.status != http.StatusOK {
			t.Fatalf("warming A: %v %d", err, r.status)
		}
	}
	probe := redisProbe(t, rs)
	if page := probe(host, path); page == nil || fresh(page) {
		t.Fatalf("Redis does not hold the old page before the edit")
	}

	// The checker.
	var (
		mu        sync.Mutex
		lastStale time.Time
		reads     int
	)
	stop := make(chan struct{})
	checked := make(chan struct{})
	go func() {
		defer close(checked)
		tk := time.NewTicker(50 * time.Millisecond)
		defer tk.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tk.C:
			}
			r, err := fetch(edge, http.MethodGet, host, path, nil, nil)
			mu.Lock()
			reads++
			if err == nil && r.status == http.StatusOK && !fresh(r.body) {
				lastStale = time.Now()
			}
			mu.Unlock()
		}
	}()

	// The edit on A: it commits, then A kills itself before any purge.
	va := &vendor{c: &client{app: a.app, jar: v.c.jar}, store: v.store, email: v.email}
	form := va.productForm(t, id)
	page := va.c.get(t, adminHost, fmt.Sprintf("/products/%d/edit", id))
	form.Set("price", newPrice)
	form.Set("csrf_token", csrfToken(t, page))
	if _, err := va.c.do(http.MethodPost, adminHost, fmt.Sprintf("/products/%d/edit", id), form, nil); err == nil {
		t.Fatal("the edit was answered: the fault point did not kill A")
	}
	committed := time.Now()
	select {
	case <-a.p.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("A still running after the fault point")
	}
	if !strings.Contains(a.p.Tail(4000), "faultinject: SIGKILL after the commit") {
		t.Fatalf("A died, but not at the fault point:\n%s", a.p.Tail(4000))
	}
	from := committed
	if !survivor {
		// The only replica comes back (without the fault point).
		a.env = append(a.env, "DUKAAN_FAULT_KILL_AFTER_COMMIT=")
		a.start(t, bin, filepath.Join(logs, "a2.log"))
		from = time.Now()
		t.Logf("A restarted and ready %s after the commit", from.Sub(committed).Round(time.Millisecond))
	}

	// Every tier serves the new price within 2 s.
	frontHC := loadClient(t, front.addr)
	var edgeOK, redisOK, localOK time.Duration
	deadline := from.Add(10 * time.Second)
	for edgeOK == 0 || redisOK == 0 || localOK == 0 {
		if time.Now().After(deadline) {
			t.Fatalf("not fresh 10 s after %s: edge %s redis %s local %s", map[bool]string{true: "the commit", false: "the restart"}[survivor], edgeOK, redisOK, localOK)
		}
		if r, err := fetch(edge, http.MethodGet, host, path, nil, nil); edgeOK == 0 && err == nil && fresh(r.body) {
			edgeOK = time.Since(from)
		}
		if p := probe(host, path); redisOK == 0 && (p == nil || fresh(p)) {
			redisOK = time.Since(from)
		}
		if r, err := fetch(frontHC, http.MethodGet, host, path, nil, nil); localOK == 0 && err == nil && fresh(r.body) {
			localOK = time.Since(from)
		}
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(1500 * time.Millisecond) // the checker keeps reading past the repurge
	close(stop)
	<-checked
	mu.Lock()
	defer mu.Unlock()
	staleAfter := time.Duration(0)
	if !lastStale.IsZero() {
		staleAfter = lastStale.Sub(from)
	}
	for name, d := range map[string]time.Duration{"edge": edgeOK, "redis": redisOK, "local": localOK, "last stale read": staleAfter} {
		if d > 2*time.Second {
			t.Errorf("%s: new price %s after %s, want within 2 s", name, d.Round(time.Millisecond), map[bool]string{true: "the commit", false: "readiness"}[survivor])
		}
	}
	// Stays fresh everywhere.
	if r, err := fetch(edge, http.MethodGet, host, path, nil, nil); err != nil || !fresh(r.body) {
		t.Errorf("edge after the recovery: %v %q", err, priceIn(r.body))
	}
	t.Logf("figures: fault=sigkill-after-commit db=%s case=%s edge-fresh=%s redis-fresh=%s local-fresh=%s last-stale-read=%s (after %s; %d checker reads)",
		dialect, map[bool]string{true: "second-replica", false: "restart"}[survivor],
		edgeOK.Round(time.Millisecond), redisOK.Round(time.Millisecond), localOK.Round(time.Millisecond),
		staleAfter.Round(time.Millisecond), map[bool]string{true: "commit", false: "readiness"}[survivor], reads)
}

// redisProbe reads a page from Redis alone, through a page cache of its own
// with no local tier: nil when Redis has none.
func redisProbe(t *testing.T, rs *testsvc.Redis) func(host, path string) []byte {
	rdb := redis.NewClient(&redis.Options{Addr: rs.Addr()})
	c, err := pagecache.New(pagecache.Config{Redis: rdb, LocalSize: -1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close(); rdb.Close() })
	return func(host, path string) []byte {
		// The store id is in the key: find it from the pages Redis holds.
		keys, err := rdb.Keys(context.Background(), "dukaan:page:*:"+host+path).Result()
		if err != nil || len(keys) == 0 {
			return nil
		}
		var storeID int64
		fmt.Sscanf(strings.TrimPrefix(keys[0], "dukaan:page:"), "%d:", &storeID)
		p, res, _, err := c.Get(context.Background(), storeID, keys[0], func(context.Context) ([]byte, []string, error) {
			return nil, nil, fmt.Errorf("not in Redis")
		})
		if err != nil || res != pagecache.HitRedis {
			return nil
		}
		body, err := p.Body()
		if err != nil {
			return nil
		}
		return body
	}
}

// TestMain removes the binaries the tests built (faultBinary).
func TestMain(m *testing.M) { testsvc.Main(m) }

// TestReliabilityRedisDownDuringPurgeJob: two replicas and an edge lose
// Redis (which keeps its data) while a price edit commits. The edit's fast
// purge and its job's attempts fail on Redis; the job is retried until Redis
// answers again, and no replica serves the old page from Redis meanwhile or
// afterwards: the queue shows the failed job, and every replica skips Redis
// for that store until the job went through.
func TestReliabilityRedisDownDuringPurgeJob(t *testing.T) {
	s := cacheStart(t, cacheOpts{replicas: 2, edges: 1, redisProxy: true,
		env: map[string]string{"DUKAAN_LOCAL_TTL": "1s", "DUKAAN_JOB_POLL": "50ms"}})
	a, b := s.apps[0], s.apps[1]
	cacheAllowErrors(a)
	cacheAllowErrors(b)
	v := cacheVendor(t, a, "redis-job")
	p := cacheProduct(t, a, v.ID, "Copper Kettle", 149900, 10)
	host, detail := shopHost(v.Slug), fmt.Sprintf("/p/%d", p.ID)
	edge, da, db := s.via[0].newClient(), a.newClient(), b.newClient()
	time.Sleep(repurgeWait)
	for _, c := range []*client{edge, da, db, edge, da, db} {
		c.get(t, host, detail)
	}
	wantTiers(t, db.get(t, host, detail), http.StatusOK, "", "HIT-LOCAL")

	s.proxy.setDown(true)
	in := app.ProductInput{Name: p.Name, MRP: 149900, Price: 99900, Stock: 10, StockWas: ptr[int64](10), Available: true}
	if _, err := a.main.DB.UpdateProduct(t.Context(), v.ID, p.ID, in); err != nil {
		t.Fatal(err)
	}
	committed := time.Now()
	const newPrice = "₹999"
	// The job fails while Redis is away.
	deadline := time.Now().Add(10 * time.Second)
	for jobAttempts(t, a, v.ID) < 2 {
		if time.Now().After(deadline) {
			var state string
			var attempt int
			var errs []byte
			_ = a.main.DB.Bun().DB.QueryRowContext(t.Context(), "SELECT state, attempt, COALESCE(array_to_string(errors, ','), '') FROM river_job WHERE kind = 'purge' ORDER BY id DESC LIMIT 1").Scan(&state, &attempt, &errs)
			t.Fatalf("the purge job was not attempted twice during the outage: %s attempt %d errors %s", state, attempt, errs)
		}
		time.Sleep(20 * time.Millisecond)
	}
	// Long enough that the job's backoff has grown past a second: its next
	// attempt comes well after the replicas read Redis again (they leave it
	// alone for 1 s after an error), and past DUKAAN_LOCAL_TTL, so the
	// memories forgot the old page and Redis is what would serve it.
	time.Sleep(3500 * time.Millisecond)
	s.proxy.setDown(false)
	back := time.Now()

	var staleRedis, reads int
	var done time.Duration
	for time.Since(back) < 10*time.Second && (done == 0 || time.Since(back) < done+time.Second) {
		for _, c := range []*client{da, db, edge} {
			r := c.get(t, host, detail)
			reads++
			if got := cachePrice(r, p.ID); got != newPrice {
				if appCache(r) == "HIT-REDIS" {
					staleRedis++
					t.Errorf("%s served %q from Redis %s after Redis came back", r, got, time.Since(back).Round(time.Millisecond))
				}
			}
		}
		if done == 0 && jobDone(t, a, v.ID) {
			done = time.Since(back)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if done == 0 {
		t.Fatal("the purge job did not complete within 10 s of Redis coming back")
	}
	for _, c := range []*client{da, db, edge} {
		if r := c.get(t, host, detail); cachePrice(r, p.ID) != newPrice {
			t.Errorf("%s after the job: %q (%s), want %s", r, cachePrice(r, p.ID), appCache(r), newPrice)
		}
	}
	t.Logf("figures: fault=redis-down-during-purge-job attempts=%d job-done=%s after Redis returned (outage %s) reads=%d stale-from-redis=%d",
		jobAttempts(t, a, v.ID), done.Round(time.Millisecond), back.Sub(committed).Round(time.Millisecond), reads, staleRedis)
}

func ptr[T any](v T) *T { return &v }

// jobAttempts is the highest attempt count of the store's purge jobs.
func jobAttempts(t *testing.T, a *testApp, store int64) int {
	t.Helper()
	var n int
	err := a.main.DB.Bun().DB.QueryRowContext(t.Context(),
		"SELECT COALESCE(max(attempt), 0) FROM river_job WHERE kind = 'purge' AND (args->>'store_id')::bigint = $1", store).Scan(&n)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// jobDone reports whether every purge job of the store has completed.
func jobDone(t *testing.T, a *testApp, store int64) bool {
	t.Helper()
	var left int
	err := a.main.DB.Bun().DB.QueryRowContext(t.Context(),
		"SELECT count(*) FROM river_job WHERE kind = 'purge' AND state <> 'completed' AND (args->>'store_id')::bigint = $1", store).Scan(&left)
	if err != nil {
		t.Fatal(err)
	}
	return left == 0
}

// edgeOutage is how long TestReliabilityEdgeOutagePurgeJob keeps the edge
// away: a minute, as the issue asks; DUKAAN_TEST_EDGE_OUTAGE shortens it
// for a local run (at least 20 s, longer than the in-process PURGE retries
// last, so only the job can finish the purge).
func edgeOutage(t *testing.T) time.Duration {
	return envDuration(t, "DUKAAN_TEST_EDGE_OUTAGE", time.Minute, 20*time.Second)
}

// TestReliabilityEdgeOutagePurgeJob: the app cannot reach its edge for a
// minute while a price is edited. The in-process PURGE retries give up
// after about 16 s; the edit's purge job keeps retrying (backoff capped at
// 10 s) and purges the edge once it is back, long before the edge's TTL
// (10 minutes here) would.
func TestReliabilityEdgeOutagePurgeJob(t *testing.T) {
	t.Parallel()
	nginxtest.Require(t)
	outage := edgeOutage(t)
	for _, dialect := range []string{"sqlite", "postgres"} {
		t.Run(dialect, func(t *testing.T) {
			t.Parallel()
			edgeAddr := nginxtest.FreeAddr(t)
			link := startProxy(t, edgeAddr)
			_, port, _ := net.SplitHostPort(edgeAddr)
			a := startApp(t, dialect, map[string]string{
				"DUKAAN_EDGES": "http://" + link.addr(), "DUKAAN_PUBLIC_PORT": ":" + port,
				"DUKAAN_EDGE_TTL": "10m", "DUKAAN_PURGE_TIMEOUT": "500ms", "DUKAAN_JOB_POLL": "50ms",
			})
			cacheAllowErrors(a) // the in-process retries giving up is logged at ERROR
			e := nginxtest.StartWith(t, nginxtest.Options{Listen: edgeAddr, Upstreams: []string{a.addr}})
			vd := a.signup(t, "edge-job-"+dialect)
			id := vd.addProduct(t, "Brass Diya", "500", "450", 10, true)
			time.Sleep(repurgeWait)
			edge := loadClient(t, e.Addr())
			host, path := vd.shop(), fmt.Sprintf("/p/%d", id)
			for range 2 {
				fetch(edge, http.MethodGet, host, path, nil, nil)
			}
			if r, _ := fetch(edge, http.MethodGet, host, path, nil, nil); r.header.Get("X-Cache-Status") != "HIT" {
				t.Fatalf("warming: X-Cache-Status %q, want HIT", r.header.Get("X-Cache-Status"))
			}
			link.setDown(true)
			f := vd.productForm(t, id)
			f.Set("price", "399")
			edit := fmt.Sprintf("/products/%d/edit", id)
			f.Set("csrf_token", csrfToken(t, vd.c.get(t, adminHost, edit)))
			wantRedirect(t, vd.c.postForm(t, adminHost, edit, f), "/products")
			time.Sleep(outage)
			if r, _ := fetch(edge, http.MethodGet, host, path, nil, nil); !bytes.Contains(r.body, []byte("₹450")) {
				t.Fatalf("the edge dropped the page while unreachable (%s): the test proves nothing", priceIn(r.body))
			}
			link.setDown(false)
			back := time.Now()
			for {
				r, _ := fetch(edge, http.MethodGet, host, path, nil, nil)
				if bytes.Contains(r.body, []byte("₹399")) {
					break
				}
				if time.Since(back) > 15*time.Second {
					t.Fatalf("the edge still shows %s 15 s after it came back", priceIn(r.body))
				}
				time.Sleep(50 * time.Millisecond)
			}
			fresh := time.Since(back)
			var attempts int
			var state string
			q := "SELECT attempt, state FROM river_job WHERE kind = 'purge' ORDER BY id DESC LIMIT 1"
			if err := a.main.DB.Bun().DB.QueryRowContext(t.Context(), q).Scan(&attempts, &state); err != nil {
				t.Fatal(err)
			}
			if attempts < 2 {
				t.Errorf("the purge job ran %d time(s): it was not what retried", attempts)
			}
			t.Logf("figures: fault=edge-outage-purge-job db=%s outage=%s fresh-after-edge-back=%s job-attempts=%d job-state=%s",
				dialect, outage, fresh.Round(10*time.Millisecond), attempts, state)
		})
	}
}
