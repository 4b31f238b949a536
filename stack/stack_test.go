package stack_test

// TestStack starts the whole local stack for real — the running PostgreSQL
// (a database of its own, dropped afterwards), a private Redis, two app
// replicas from a freshly built dukaan binary, two nginx edges, the entry,
// mtail and the nginx exporter per edge, Prometheus — on free loopback
// ports, and uses it like a vendor and a customer would, through the one
// entry port.

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"dukaan/internal/proc"
	"dukaan/internal/testsvc"
	"dukaan/monitoring/monitoringtest"
	"dukaan/stack"
)

// need skips t, or fails it when CI=true: CI installs every program.
func need(t *testing.T, err error) {
	t.Helper()
	if err == nil {
		return
	}
	testsvc.Unavailable(t, "stack test cannot run: %v", err)
}

// repoRoot is the module's root directory.
func repoRoot(t *testing.T) string {
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		t.Fatal("cannot locate the repository")
	}
	return filepath.Dir(filepath.Dir(file))
}

// testOptions are a stack on free ports with its files in dir.
func testOptions(t *testing.T, dir string) stack.Options {
	o := stack.Defaults()
	o.Binary = os.Args[0] // replaced by the built binary
	o.MonitoringDir = filepath.Join(repoRoot(t), "monitoring")
	o.DataDir = dir
	o.Entry, o.Prometheus, o.TLS, o.TLSHTTP = 0, 0, 0, 0
	o.Apps, o.Edges, o.Mtail, o.Exporters = []int{0, 0}, []int{0, 0}, []int{0, 0}, []int{0, 0}
	o.Log = testLog{t}
	if os.Geteuid() == 0 {
		// As root, nginx workers run as nobody (and a private PostgreSQL
		// as postgres): they must be able to enter the test's directory,
		// which testing creates with mode 0700.
		for _, d := range []string{dir, filepath.Dir(dir)} {
			if err := os.Chmod(d, 0o755); err != nil {
				t.Fatal(err)
			}
		}
	}
	return o
}

type testLog struct{ t *testing.T }

func (l testLog) Write(p []byte) (int, error) {
	l.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// The binaries the tests run, as bin/ holds them: the lab's stack runs
// the dukaan beside it.
var (
	dukaan    = &testsvc.Binary{Name: "dukaan"}
	dukaanLab = &testsvc.Binary{Name: "dukaan-lab"}
)

// TestMain removes the binaries the tests built.
func TestMain(m *testing.M) { testsvc.Main(m) }

// dukaanBinary builds cmd/dukaan once for the package's tests.
func dukaanBinary(t *testing.T) string { return dukaan.Path(t) }

func TestStack(t *testing.T) {
	dir := t.TempDir()
	o := testOptions(t, dir)
	need(t, stack.Check(o))
	o.Binary = dukaanBinary(t)
	o.Database = "stack_test_" + randomHex(4)
	o.DropDatabase = true
	if u := os.Getenv("TEST_DATABASE_URL"); u != "" {
		o.Postgres = u
	}
	// The machine's Redis is shared with other tests; the private one is
	// also the path a machine without Redis takes.
	o.Redis = "private"
	o.RedisPrefix = "dukaan_stack_test:"
	o.ScrapeInterval = time.Second

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	began := time.Now()
	s, err := stack.Start(ctx, o)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	closed := false
	defer func() {
		if !closed {
			_ = s.Close()
		}
	}()
	t.Logf("stack started in %s", time.Since(began).Round(100*time.Millisecond))
	var summary bytes.Buffer
	s.Summary(&summary)
	for _, want := range []string{"http://demo.localhost:" + port(t, s.Entry), "http://admin.localhost:" + port(t, s.Entry), "demo@example.com", s.Prometheus} {
		if !strings.Contains(summary.String(), want) {
			t.Errorf("the summary does not show %s:\n%s", want, summary.String())
		}
	}

	entry := port(t, s.Entry)
	shop := "demo.localhost"
	b := newBrowser()

	t.Run("the shop through the entry: MISS, then HIT", func(t *testing.T) {
		var seen []string
		for i := 0; i <= len(s.Edges); i++ {
			r := b.get(t, "http://"+shop+":"+entry+"/")
			if r.status != http.StatusOK {
				t.Fatalf("GET / on the shop: %d", r.status)
			}
			seen = append(seen, r.header.Get("X-Cache-Status"))
		}
		// Round robin: each edge misses once, then the first one hits.
		if seen[0] != "MISS" || seen[len(seen)-1] != "HIT" {
			t.Errorf("X-Cache-Status of %d requests = %q, want MISS first and HIT once every edge has the page", len(seen), seen)
		}
	})

	t.Run("the shop over HTTPS through Caddy, verified against its root", func(t *testing.T) {
		if !strings.Contains(summary.String(), "curl --cacert "+s.CARoot+" https://demo.localhost:"+port(t, s.TLS)+"/") {
			t.Errorf("the summary does not print the curl example:\n%s", summary.String())
		}
		pem, err := os.ReadFile(s.CARoot)
		if err != nil {
			t.Fatal(err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			t.Fatal("no certificate in the root file")
		}
		tlsAddr := strings.TrimPrefix(s.TLS, "https://")
		hc := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
			TLSClientConfig: &tls.Config{RootCAs: pool},
			DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
				var d net.Dialer
				return d.DialContext(ctx, network, tlsAddr)
			},
			ForceAttemptHTTP2: true,
		}}
		resp, err := hc.Get("https://" + shop + ":" + port(t, s.TLS) + "/")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || resp.ProtoMajor != 2 {
			t.Errorf("https://%s/: %d over %s", shop, resp.StatusCode, resp.Proto)
		}
	})

	// A product the shop offers (it has a quantity field).
	home := b.get(t, "http://"+shop+":"+entry+"/")
	product := 0
	home.doc.Find("[name^=qty_]").EachWithBreak(func(_ int, sel *goquery.Selection) bool {
		name, _ := sel.Attr("name")
		product, _ = strconv.Atoi(strings.TrimPrefix(name, "qty_"))
		return product == 0
	})
	if product == 0 {
		t.Fatalf("the demo shop offers no product with a quantity field")
	}
	productPath := fmt.Sprintf("/p/%d", product)

	console := "http://admin.localhost:" + entry
	t.Run("the demo vendor logs in to the console", func(t *testing.T) {
		page := b.get(t, console+"/login")
		r := b.post(t, console+"/login", console, page.form(t, "/login", url.Values{
			"email": {"demo@example.com"}, "password": {"demo-shop-123"},
		}), false)
		if r.status != http.StatusSeeOther || r.header.Get("Location") != "/products" {
			t.Fatalf("POST /login: %d Location %q, want 303 /products (%s)", r.status, r.header.Get("Location"), r.summary())
		}
	})

	const newPrice = "1.37"
	t.Run("a price edit reaches both edges", func(t *testing.T) {
		// Each edge holds the page with the old price first.
		for i, e := range s.Edges {
			u := "http://" + shop + ":" + port(t, e) + productPath
			var last string
			for range 2 {
				r := b.get(t, u)
				if r.status != http.StatusOK {
					t.Fatalf("GET %s on edge %d: %d", productPath, i+1, r.status)
				}
				if strings.Contains(r.text(), newPrice) {
					t.Fatalf("edge %d shows %s before the edit", i+1, newPrice)
				}
				last = r.header.Get("X-Cache-Status")
			}
			if last != "HIT" {
				t.Errorf("edge %d: second GET %s = %s, want HIT", i+1, productPath, last)
			}
		}
		edit := fmt.Sprintf("/products/%d/edit", product)
		page := b.get(t, console+edit)
		if page.status != http.StatusOK {
			t.Fatalf("GET %s: %d", edit, page.status)
		}
		form := page.form(t, edit, url.Values{"price": {newPrice}})
		r := b.post(t, console+edit, console, form, page.multipart(edit))
		if r.status != http.StatusSeeOther {
			t.Fatalf("POST %s: %d, want 303 (%s)", edit, r.status, r.summary())
		}
		for i, e := range s.Edges {
			r := b.get(t, "http://"+shop+":"+port(t, e)+productPath)
			if r.status != http.StatusOK || !strings.Contains(r.text(), "₹"+newPrice) {
				t.Errorf("edge %d after the edit: %d %s, X-Cache-Status %s: the page does not show ₹%s",
					i+1, r.status, r.summary(), r.header.Get("X-Cache-Status"), newPrice)
			}
		}
	})

	t.Run("an order through the entry is in the console", func(t *testing.T) {
		const customer = "Meera Stacktest"
		r := b.post(t, "http://"+shop+":"+entry+"/order", "http://"+shop+":"+entry, url.Values{
			fmt.Sprintf("qty_%d", product): {"1"},
			"name":                         {customer},
			"phone":                        {"+91 98450 12345"},
			"address":                      {"4 Church Street, Bengaluru 560001"},
			"order_key":                    {newOrderKey()},
			"from":                         {"/"},
		}, false)
		if r.status != http.StatusSeeOther || !strings.HasPrefix(r.header.Get("Location"), "/orders/") {
			t.Fatalf("POST /order: %d Location %q, want 303 /orders/{token} (%s)", r.status, r.header.Get("Location"), r.summary())
		}
		orders := b.get(t, console+"/orders")
		found := orders.doc.Find("tr").FilterFunction(func(_ int, sel *goquery.Selection) bool {
			return strings.Contains(sel.Text(), customer)
		}).Length()
		if found != 1 {
			t.Errorf("the console's orders list has %d rows for %q, want 1 (%s)", found, customer, orders.summary())
		}
	})

	t.Run("both replicas served the traffic", func(t *testing.T) {
		for i, a := range s.Apps {
			n := 0.0
			for _, kind := range []string{"shop", "admin"} {
				n += monitoringtest.ScrapeSum(t, a+"/metrics", "dukaan_http_requests_total", map[string]string{"host_kind": kind})
			}
			if n == 0 {
				t.Errorf("replica %d (%s) answered no shop or console request", i+1, a)
			}
			t.Logf("replica %d: %.0f shop and console requests", i+1, n)
		}
	})

	t.Run("Prometheus scrapes every target", func(t *testing.T) {
		want := len(s.Apps) + len(s.Mtail) + len(s.Exporters)
		deadline := time.Now().Add(30 * time.Second)
		for {
			up, all, err := targets(s.Prometheus)
			if err == nil && up == want && all == want {
				t.Logf("%d targets up %s after start", up, time.Since(began).Round(100*time.Millisecond))
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("Prometheus: %d of %d targets up (want %d): %v", up, all, want, err)
			}
			time.Sleep(200 * time.Millisecond)
		}
	})

	pids := s.PIDs()
	pidFiles, _ := filepath.Glob(filepath.Join(dir, "*", "nginx.pid"))
	for _, f := range pidFiles {
		b, _ := os.ReadFile(f)
		if pid, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil {
			pids = append(pids, pid) // nginx masters, children of `dukaan edge`
		}
	}
	stopped := time.Now()
	closed = true
	if err := s.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	t.Logf("stopped in %s", time.Since(stopped).Round(100*time.Millisecond))
	if left := survivors(t, pids); len(left) > 0 {
		t.Errorf("processes left after Close: %s", strings.Join(left, "; "))
	}
	if len(pids) < 11 {
		t.Errorf("the stack ran %d processes, want at least 11 (redis, 2 edges and their nginx, 2 apps, entry, 2 mtail, 2 exporters, prometheus)", len(pids))
	}
}

// TestStartRefuses checks the failures a user meets first: a port in use
// and a missing program, each named with what to do.
func TestStartRefuses(t *testing.T) {
	t.Run("a taken port", func(t *testing.T) {
		o := testOptions(t, t.TempDir())
		need(t, stack.Check(o))
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer ln.Close()
		o.Edges[1] = ln.Addr().(*net.TCPAddr).Port
		s, err := stack.Start(context.Background(), o)
		if err == nil {
			s.Close()
			t.Fatal("Start succeeded with a taken edge port")
		}
		for _, want := range []string{"edge2", ln.Addr().String(), "already in use", "-edge-ports"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("error %q does not say %q", err, want)
			}
		}
		if logs, _ := filepath.Glob(filepath.Join(o.DataDir, "logs", "*")); len(logs) > 0 {
			t.Errorf("processes were started before the port check: %v", logs)
		}
	})
	if os.Geteuid() == 0 {
		t.Run("as root, a data directory nobody can enter", func(t *testing.T) {
			o := testOptions(t, t.TempDir())
			locked := filepath.Join(o.DataDir, "locked")
			if err := os.Mkdir(locked, 0o700); err != nil {
				t.Fatal(err)
			}
			o.DataDir = filepath.Join(locked, "stack")
			err := stack.Check(o)
			if err == nil || !strings.Contains(err.Error(), locked+" (mode 0700) cannot be entered") {
				t.Errorf("Check with a data directory under a 0700 one: %v", err)
			}
		})
	}
	t.Run("a missing binary", func(t *testing.T) {
		o := testOptions(t, t.TempDir())
		o.Binary = filepath.Join(t.TempDir(), "no-such-dukaan")
		o.MonitoringDir = t.TempDir()
		_, err := stack.Start(context.Background(), o)
		var missing *stack.MissingError
		if !errors.As(err, &missing) {
			t.Fatalf("Start: %v, want a MissingError", err)
		}
		for _, want := range []string{"no-such-dukaan (make build)", "edge.mtail"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("error %q does not say %q", err, want)
			}
		}
	})
}

// TestCommandInterrupt runs `dukaan-lab stack` as a user does and presses
// Ctrl-C: it prints the URLs, then stops everything and exits 0.
func TestCommandInterrupt(t *testing.T) {
	dir := t.TempDir()
	o := testOptions(t, dir)
	need(t, stack.Check(o))
	dukaanBinary(t)
	bin := dukaanLab.Path(t)
	database := "stack_test_" + randomHex(4)
	args := []string{"stack", "-dir", dir, "-monitoring", o.MonitoringDir,
		"-database", database, "-redis", "private", "-redis-prefix", "dukaan_stack_test:",
		"-entry-port", "0", "-prometheus-port", "0", "-app-ports", "0,0", "-edge-ports", "0,0",
		"-mtail-ports", "0,0", "-exporter-ports", "0,0"}
	if u := os.Getenv("TEST_DATABASE_URL"); u != "" {
		args = append(args, "-postgres", u)
	}
	cmd := exec.Command(bin, args...)
	var out testsvc.LockedBuffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	t.Cleanup(func() {
		dropDatabase(t, database)
	})
	deadline := time.After(90 * time.Second)
	for !strings.Contains(out.String(), "Ctrl-C stops everything.") {
		select {
		case err := <-done:
			t.Fatalf("dukaan-lab stack exited at start (%v):\n%s", err, out.String())
		case <-deadline:
			_ = cmd.Process.Kill()
			t.Fatalf("dukaan-lab stack did not start within 90s:\n%s", out.String())
		case <-time.After(50 * time.Millisecond):
		}
	}
	for _, want := range []string{"Shop:        http://demo.localhost:", "Console:     http://admin.localhost:", "Demo login:  demo@example.com / demo-shop-123", "Prometheus:  http://127.0.0.1:"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("the output does not show %q:\n%s", want, out.String())
		}
	}
	running := processesUsing(t, dir)
	if len(running) < 11 {
		t.Errorf("%d processes use %s while the stack runs, want at least 11: %q", len(running), dir, running)
	}
	_ = cmd.Process.Signal(os.Interrupt)
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("dukaan-lab stack after Ctrl-C: %v, want exit 0\n%s", err, out.String())
		}
	case <-time.After(45 * time.Second):
		_ = cmd.Process.Kill()
		t.Fatalf("dukaan-lab stack did not stop within 45s of Ctrl-C:\n%s", out.String())
	}
	if !strings.Contains(out.String(), "stopped in") {
		t.Errorf("no \"stopped in\" after Ctrl-C:\n%s", out.String())
	}
	if left := processesUsing(t, dir); len(left) > 0 {
		t.Errorf("processes left after Ctrl-C: %q", left)
	}
}

// processesUsing lists the live processes whose command line or
// environment names dir: every child of a stack whose files are there.
func processesUsing(t *testing.T, dir string) []string {
	t.Helper()
	ps, err := proc.Processes()
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, p := range ps {
		cmd := strings.Join(p.Args, " ")
		if p.State != 'Z' && (strings.Contains(cmd, dir) || strings.Contains(strings.Join(p.Environ, "\x00"), dir)) {
			out = append(out, strconv.Itoa(p.Pid)+" "+cmd)
		}
	}
	return out
}

// dropDatabase removes a database a test's stack created, through the
// running server the stack used.
func dropDatabase(t *testing.T, name string) {
	admin := "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
	if u := os.Getenv("TEST_DATABASE_URL"); u != "" {
		admin = u
	}
	db, err := testsvc.OpenPostgres(admin)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if _, err := db.ExecContext(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
		t.Logf("drop database %s: %v", name, err)
	}
}

// survivors are the processes still alive among pids and in their process
// groups (what the children started), described for the failure message.
func survivors(t *testing.T, pids []int) []string {
	t.Helper()
	groups := map[int]bool{}
	for _, p := range pids {
		groups[p] = true
	}
	entries, err := os.ReadDir("/proc")
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		stat, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		// pid (comm) state ppid pgrp …
		i := bytes.LastIndexByte(stat, ')')
		if i < 0 {
			continue
		}
		f := strings.Fields(string(stat[i+1:]))
		if len(f) < 3 || f[0] == "Z" {
			continue
		}
		pgrp, _ := strconv.Atoi(f[2])
		if groups[pid] || groups[pgrp] {
			cmd, _ := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
			out = append(out, fmt.Sprintf("%d %s", pid, strings.ReplaceAll(string(cmd), "\x00", " ")))
		}
	}
	return out
}

// targets counts Prometheus's active targets and those up.
func targets(prom string) (up, all int, err error) {
	resp, err := http.Get(prom + "/api/v1/targets?state=active")
	if err != nil {
		return 0, 0, err
	}
	defer resp.Body.Close()
	var body struct {
		Data struct {
			ActiveTargets []struct {
				ScrapeURL string `json:"scrapeUrl"`
				Health    string `json:"health"`
				LastError string `json:"lastError"`
			} `json:"activeTargets"`
		} `json:"data"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		return 0, 0, err
	}
	var down []string
	for _, tg := range body.Data.ActiveTargets {
		if tg.Health == "up" {
			up++
		} else {
			down = append(down, fmt.Sprintf("%s %s %s", tg.ScrapeURL, tg.Health, tg.LastError))
		}
	}
	if len(down) > 0 {
		err = fmt.Errorf("not up: %s", strings.Join(down, "; "))
	}
	return up, len(body.Data.ActiveTargets), err
}

func port(t *testing.T, base string) string {
	t.Helper()
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	return u.Port()
}

var randomHex = proc.RandomHex

// newOrderKey is what the shop's script puts in order_key: a random UUID.
func newOrderKey() string {
	h := randomHex(16)
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// ---------------------------------------------------------------------------
// A minimal browser: a cookie jar, every *.localhost name dialled on
// 127.0.0.1 (Go's resolver does not do it), no redirects followed.

type browser struct{ hc *http.Client }

func newBrowser() *browser {
	jar, _ := cookiejar.New(nil)
	tr := &http.Transport{
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			_, p, err := net.SplitHostPort(addr)
			if err != nil {
				return nil, err
			}
			var d net.Dialer
			return d.DialContext(ctx, network, "127.0.0.1:"+p)
		},
		DisableCompression: true,
	}
	return &browser{hc: &http.Client{
		Transport: tr, Jar: jar, Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

type page struct {
	url    string
	status int
	header http.Header
	doc    *goquery.Document
}

func (b *browser) do(t *testing.T, req *http.Request) *page {
	t.Helper()
	resp, err := b.hc.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	doc, err := goquery.NewDocumentFromReader(bytes.NewReader(body))
	if err != nil {
		t.Fatalf("%s %s: parsing: %v", req.Method, req.URL, err)
	}
	return &page{url: req.URL.String(), status: resp.StatusCode, header: resp.Header, doc: doc}
}

func (b *browser) get(t *testing.T, u string) *page {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	return b.do(t, req)
}

// post sends form as a browser would, urlencoded or multipart, with the
// Origin of the page it came from.
func (b *browser) post(t *testing.T, u, origin string, form url.Values, asMultipart bool) *page {
	t.Helper()
	var body bytes.Buffer
	ctype := "application/x-www-form-urlencoded"
	if asMultipart {
		w := multipart.NewWriter(&body)
		for k, vs := range form {
			for _, v := range vs {
				_ = w.WriteField(k, v)
			}
		}
		_ = w.Close()
		ctype = w.FormDataContentType()
	} else {
		body.WriteString(form.Encode())
	}
	req, err := http.NewRequest(http.MethodPost, u, &body)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", ctype)
	req.Header.Set("Origin", origin)
	return b.do(t, req)
}

// form is what a browser submits from the page's form with action: every
// named control (checkboxes when checked, no files), with set applied.
func (p *page) form(t *testing.T, action string, set url.Values) url.Values {
	t.Helper()
	f := p.doc.Find(fmt.Sprintf(`form[action=%q]`, action))
	if f.Length() == 0 {
		t.Fatalf("%s: no form with action %s (%s)", p.url, action, p.summary())
	}
	out := testsvc.FormValues(f)
	if out.Get("csrf_token") == "" {
		t.Fatalf("%s: the form %s has no csrf_token", p.url, action)
	}
	for k, v := range set {
		out[k] = v
	}
	return out
}

// multipart tells whether the form with action uploads files.
func (p *page) multipart(action string) bool {
	enc, _ := p.doc.Find(fmt.Sprintf(`form[action=%q]`, action)).Attr("enctype")
	return enc == "multipart/form-data"
}

var spaces = regexp.MustCompile(`\s+`)

func (p *page) text() string { return spaces.ReplaceAllString(p.doc.Find("body").Text(), " ") }

// summary describes the page for failure messages.
func (p *page) summary() string {
	msg := strings.TrimSpace(spaces.ReplaceAllString(p.doc.Find("[role=alert], .field-error").Text(), " "))
	return fmt.Sprintf("%s: title %q h1 %q message %q", p.url,
		strings.TrimSpace(p.doc.Find("title").Text()), strings.TrimSpace(p.doc.Find("h1").First().Text()), msg)
}
