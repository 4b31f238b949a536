package pagecache

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"dukaan/nginx/nginxtest"
)

// fakeDNS answers lookups of one name from a list the test changes.
type fakeDNS struct {
	name string
	mu   sync.Mutex
	ips  []string
	err  error
	n    int
}

func (f *fakeDNS) set(err error, ips ...string) {
	f.mu.Lock()
	f.ips, f.err = ips, err
	f.mu.Unlock()
}

func (f *fakeDNS) lookups() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.n
}

func (f *fakeDNS) lookup(_ context.Context, host string) ([]net.IPAddr, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.n++
	if host != f.name {
		return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
	}
	if f.err != nil {
		return nil, f.err
	}
	var out []net.IPAddr
	for _, ip := range f.ips {
		out = append(out, net.IPAddr{IP: net.ParseIP(ip)})
	}
	return out, nil
}

// purgeReceiver counts the PURGEs one address receives.
type purgeReceiver struct {
	srv  *httptest.Server
	mu   sync.Mutex
	hits []string
}

func (r *purgeReceiver) got() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.hits)
}

// startReceiver listens on ip:port (port "0": any).
func startReceiver(t *testing.T, ip, port string) *purgeReceiver {
	t.Helper()
	ln, err := net.Listen("tcp", net.JoinHostPort(ip, port))
	if err != nil {
		t.Skipf("cannot listen on %s:%s (Linux routes 127.0.0.0/8 to lo): %v", ip, port, err)
	}
	r := &purgeReceiver{}
	r.srv = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if req.Method == "PURGE" {
			r.mu.Lock()
			r.hits = append(r.hits, req.Host+req.URL.RequestURI())
			r.mu.Unlock()
		}
		w.WriteHeader(http.StatusOK)
	}))
	r.srv.Listener.Close()
	r.srv.Listener = ln
	r.srv.Start()
	t.Cleanup(r.srv.Close)
	return r
}

func quietLog() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestParseEdgeEntries(t *testing.T) {
	for _, ok := range []string{
		"http://127.0.0.1:8000", "https://edge.example.in",
		"dns+http://edge-headless.dukaan.svc.cluster.local:8080", "dns+https://edges.internal", "dns+http://edges:8080/",
	} {
		if err := ParseEdge(ok); err != nil {
			t.Errorf("ParseEdge(%q) = %v, want ok", ok, err)
		}
	}
	for _, bad := range []string{
		"127.0.0.1:8000", "ftp://x", "dns+ftp://edges:8080", "dns+http://", "dns+http://edges:8080/purge",
		"dns+http://user@edges:8080", "dns+http://10.0.0.1:8080", "dns+http://edges:8080?x=1",
	} {
		if err := ParseEdge(bad); err == nil {
			t.Errorf("ParseEdge(%q) = nil, want an error", bad)
		}
	}
	d, err := parseDNSEdge("dns+https://edges.internal")
	if err != nil || d.port != "443" || d.scheme != "https" || d.host != "edges.internal" {
		t.Errorf("parseDNSEdge default port: %+v %v", d, err)
	}
}

// TestDiscoveredEdgesFollowTheAnswer: the PURGE fan-out goes to the
// addresses the name resolves to now, follows changes, keeps the last good
// set through a failed lookup, and leaves a static entry alone.
func TestDiscoveredEdgesFollowTheAnswer(t *testing.T) {
	a := startReceiver(t, "127.0.0.1", "0")
	port := a.srv.Listener.Addr().(*net.TCPAddr).Port
	p := strconv.Itoa(port)
	b := startReceiver(t, "127.0.0.2", p)
	c := startReceiver(t, "127.0.0.3", p)
	static := startReceiver(t, "127.0.0.1", "0")

	dns := &fakeDNS{name: "edges.dukaan.test"}
	dns.set(nil, "127.0.0.1", "127.0.0.2")
	cache, err := New(Config{
		Edges:       []string{static.srv.URL, "dns+http://edges.dukaan.test:" + p},
		EdgeLookup:  dns.lookup,
		EdgeRefresh: 20 * time.Millisecond,
		Logger:      quietLog(),
	})
	if err != nil {
		t.Fatal(err)
	}
	defer cache.Close()
	url := func(ip string) string { return "http://" + net.JoinHostPort(ip, p) }

	// The first answer is there as soon as New returns.
	if got, want := cache.edges.edges.list(), []string{static.srv.URL, url("127.0.0.1"), url("127.0.0.2")}; !slices.Equal(got, want) {
		t.Fatalf("edges after New = %v, want %v", got, want)
	}
	purge := func(uri string) {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := cache.edges.purge(ctx, []target{{host: "shop.dukaan.test", uri: uri}}); err != nil {
			t.Fatalf("purge %s: %v", uri, err)
		}
	}
	purge("/one")
	for name, r := range map[string]*purgeReceiver{"static": static, "a": a, "b": b} {
		if got := r.got(); !slices.Equal(got, []string{"shop.dukaan.test/one"}) {
			t.Errorf("edge %s got %v after the first purge, want [/one]", name, got)
		}
	}
	if got := c.got(); len(got) != 0 {
		t.Errorf("edge c is not in the answer yet but got %v", got)
	}

	// a leaves, c arrives.
	dns.set(nil, "127.0.0.3", "127.0.0.2")
	want := []string{static.srv.URL, url("127.0.0.2"), url("127.0.0.3")}
	waitFor(t, "the refreshed set", func() bool { return slices.Equal(cache.edges.edges.list(), want) })
	purge("/two")
	if got := a.got(); !slices.Equal(got, []string{"shop.dukaan.test/one"}) {
		t.Errorf("removed edge a got %v, want only the first purge", got)
	}
	for name, r := range map[string]*purgeReceiver{"static": static, "b": b} {
		if got := r.got(); !slices.Equal(got, []string{"shop.dukaan.test/one", "shop.dukaan.test/two"}) {
			t.Errorf("edge %s got %v, want both purges", name, got)
		}
	}
	if got := c.got(); !slices.Equal(got, []string{"shop.dukaan.test/two"}) {
		t.Errorf("added edge c got %v, want the second purge", got)
	}

	// A failed lookup keeps the last good set.
	dns.set(errors.New("server misbehaving"))
	n := dns.lookups()
	waitFor(t, "two failed lookups", func() bool { return dns.lookups() >= n+2 })
	if got := cache.edges.edges.list(); !slices.Equal(got, want) {
		t.Fatalf("after failed lookups edges = %v, want the last good %v", got, want)
	}
	purge("/three")
	if got := c.got(); !slices.Equal(got, []string{"shop.dukaan.test/two", "shop.dukaan.test/three"}) {
		t.Errorf("edge c got %v through the failed lookups, want /two and /three", got)
	}

	// An empty answer empties the discovered part only.
	dns.set(nil)
	waitFor(t, "the static edge alone", func() bool { return slices.Equal(cache.edges.edges.list(), []string{static.srv.URL}) })
	if !cache.edges.active() {
		t.Error("active() = false with a static edge left")
	}
}

// TestDiscoveredRetryDropsGoneEdge: a retry scheduled for a discovered
// edge that has since left the answer is not sent.
func TestDiscoveredRetryDropsGoneEdge(t *testing.T) {
	dns := &fakeDNS{name: "edges.dukaan.test"}
	dns.set(nil, "127.0.0.2")
	ep := newEdgePurger([]string{"dns+http://edges.dukaan.test:1"}, dns.lookup, time.Hour, quietLog())
	var wg sync.WaitGroup
	ctx, cancel := context.WithCancel(context.Background())
	defer func() { cancel(); wg.Wait() }()
	ep.start(ctx, &wg)
	if !ep.active() {
		t.Fatal("no edge after start")
	}
	k := retryKey{edge: "http://127.0.0.2:1", t: target{host: "h", uri: "/"}}
	dns.set(nil)
	ep.edges.update(ctx)
	ep.retry(k, 1)
	if s := ep.stats(); s.retries != 0 || s.failed != 0 {
		t.Errorf("a retry to a gone edge was sent: %+v", s)
	}
	if ep.active() {
		t.Error("active() with an empty answer and no static edge")
	}
}

// TestDiscoveredNginxEdges: two real nginx edges on 127.0.0.1 and
// 127.0.0.2 behind one name; a PURGE through the discovered set removes
// the page from both caches.
func TestDiscoveredNginxEdges(t *testing.T) {
	nginxtest.Require(t)
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=0, s-maxage=60")
		io.WriteString(w, "page "+r.Host+r.URL.Path)
	}))
	defer up.Close()
	port := strconv.Itoa(nginxtest.FreePort(t))
	if ln, err := net.Listen("tcp", "127.0.0.2:"+port); err != nil {
		t.Skipf("cannot listen on 127.0.0.2: %v", err)
	} else {
		ln.Close()
	}
	upstream := strings.TrimPrefix(up.URL, "http://")
	edges := []*nginxtest.Edge{
		nginxtest.StartWith(t, nginxtest.Options{Listen: "127.0.0.1:" + port, Upstreams: []string{upstream}}),
		nginxtest.StartWith(t, nginxtest.Options{Listen: "127.0.0.2:" + port, Upstreams: []string{upstream}}),
	}
	status := func(e *nginxtest.Edge) string {
		t.Helper()
		req, _ := http.NewRequest("GET", e.URL()+"/p/1", nil)
		req.Host = "shop.dukaan.test"
		resp, err := e.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.Header.Get("X-Cache-Status")
	}
	for _, e := range edges {
		status(e)
		if s := status(e); s != "HIT" {
			t.Fatalf("edge %s: second GET is %q, want HIT", e.Addr(), s)
		}
	}
	dns := &fakeDNS{name: "edge-headless.dukaan.test"}
	dns.set(nil, "127.0.0.1", "127.0.0.2")
	cache, err := New(Config{
		Edges: []string{"dns+http://edge-headless.dukaan.test:" + port}, EdgeLookup: dns.lookup, Logger: quietLog(),
	})
	if err != nil {
		t.Fatal(err)
	}
	defer cache.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := cache.edges.purge(ctx, []target{{host: "shop.dukaan.test", uri: "/p/1"}}); err != nil {
		t.Fatalf("purge: %v", err)
	}
	if s := cache.Stats(); s.EdgePurges != 2 {
		t.Errorf("EdgePurges = %d, want 2 (one per discovered edge)", s.EdgePurges)
	}
	for _, e := range edges {
		if s := status(e); s != "MISS" {
			t.Errorf("edge %s after the PURGE: %q, want MISS", e.Addr(), s)
		}
	}
}
