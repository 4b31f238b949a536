package nginxtest_test

// The edge's caching rules, checked on a real nginx in front of a stub
// upstream whose every answer is chosen by the test: what is stored, what
// never is, that the host is in the key, PURGE and its allow-list, reload.

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"dukaan/nginx/nginxtest"
)

// stub answers like the app would, per path, and counts what reached it.
type stub struct {
	srv  *httptest.Server
	hits atomic.Int64
}

func newStub(t *testing.T) *stub {
	t.Helper()
	s := &stub{}
	s.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.hits.Add(1)
		h := w.Header()
		h.Set("Content-Type", "text/html; charset=utf-8")
		switch r.URL.Path {
		case "/cookie":
			h.Set("Cache-Control", "public, max-age=0, s-maxage=60")
			h.Set("Set-Cookie", "dukaan_session=abc; Path=/; HttpOnly")
		case "/nostore":
			h.Set("Cache-Control", "no-store")
		case "/private":
			h.Set("Cache-Control", "private, no-store")
		default:
			h.Set("Cache-Control", "public, max-age=0, s-maxage=60")
		}
		fmt.Fprintf(w, "page %s for %s #%d", r.URL.RequestURI(), r.Host, s.hits.Load())
	}))
	t.Cleanup(s.srv.Close)
	return s
}

func (s *stub) addr() string { return strings.TrimPrefix(s.srv.URL, "http://") }

type result struct {
	status int
	cache  string // X-Cache-Status
	body   string
	header http.Header
}

func send(t *testing.T, c *http.Client, method, url, host string) result {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Host = host
	return do(t, c, req)
}

// do sends req and reads the whole answer.
func do(t *testing.T, c *http.Client, req *http.Request) result {
	t.Helper()
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s%s: %v", req.Method, req.Host, req.URL, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return result{status: resp.StatusCode, cache: resp.Header.Get("X-Cache-Status"), body: string(b), header: resp.Header}
}

func TestEdge(t *testing.T) {
	t.Parallel()
	up := newStub(t)
	e := nginxtest.Start(t, up.addr())
	c := e.Client()
	get := func(host, path string) result {
		t.Helper()
		return send(t, c, http.MethodGet, e.URL()+path, host)
	}

	t.Run("MissThenHit", func(t *testing.T) {
		first, second := get("one.dukaan.test", "/"), get("one.dukaan.test", "/")
		if first.status != 200 || first.cache != "MISS" || second.status != 200 || second.cache != "HIT" {
			t.Fatalf("GET / twice: %d %s, %d %s; want 200 MISS, 200 HIT", first.status, first.cache, second.status, second.cache)
		}
		if first.body != second.body {
			t.Errorf("HIT body %q differs from the MISS body %q", second.body, first.body)
		}
		log := e.AccessLog(t)
		for _, want := range []string{`host=one.dukaan.test method=GET uri="/" status=200`, "cache=MISS", "cache=HIT"} {
			if !strings.Contains(log, want) {
				t.Errorf("access log lacks %q:\n%s", want, log)
			}
		}
		if n := e.CacheFiles(t); n != 1 {
			t.Errorf("CacheFiles = %d, want 1", n)
		}
	})

	t.Run("HostInKey", func(t *testing.T) {
		for range 2 {
			for _, host := range []string{"two.dukaan.test", "three.dukaan.test"} {
				if r := get(host, "/same"); !strings.Contains(r.body, "for "+host) {
					t.Errorf("GET %s/same (%s) = %q, want that host's page", host, r.cache, r.body)
				}
			}
		}
	})

	t.Run("NeverStored", func(t *testing.T) {
		before := e.CacheFiles(t)
		for _, tc := range []struct{ host, path, why string }{
			{"admin.dukaan.test", "/", "the console host"},
			{"shop.dukaan.test", "/cookie", "a response setting a cookie"},
			{"shop.dukaan.test", "/nostore", "Cache-Control: no-store"},
			{"shop.dukaan.test", "/private", "Cache-Control: private"},
		} {
			for i := range 3 {
				r := get(tc.host, tc.path)
				if r.cache == "HIT" || r.cache == "STALE" {
					t.Errorf("%s (%s%s) request %d: X-Cache-Status %s, want it never served from cache", tc.why, tc.host, tc.path, i+1, r.cache)
				}
			}
		}
		if r := get("admin.dukaan.test", "/x"); r.cache != "BYPASS" {
			t.Errorf("admin host: X-Cache-Status %q, want BYPASS", r.cache)
		}
		if got := e.CacheFiles(t); got != before {
			t.Errorf("CacheFiles went from %d to %d: something above was stored", before, got)
		}
	})

	t.Run("Purge", func(t *testing.T) {
		const host = "purge.dukaan.test"
		get(host, "/p/1")
		if r := get(host, "/p/1"); r.cache != "HIT" {
			t.Fatalf("warm-up: %s, want HIT", r.cache)
		}
		if r := send(t, c, "PURGE", e.URL()+"/p/1", host); r.status != 200 {
			t.Errorf("PURGE of a cached page from loopback = %d, want 200", r.status)
		}
		if r := send(t, c, "PURGE", e.URL()+"/p/1", host); r.status != 404 {
			t.Errorf("second PURGE = %d, want 404 (nothing cached)", r.status)
		}
		if r := get(host, "/p/1"); r.cache != "MISS" {
			t.Errorf("GET after PURGE: %s, want MISS", r.cache)
		}
		// The key is exact: another store's copy of the path stays.
		get("other.dukaan.test", "/p/1")
		send(t, c, "PURGE", e.URL()+"/p/1", host)
		if r := get("other.dukaan.test", "/p/1"); r.cache != "HIT" {
			t.Errorf("PURGE of %s/p/1 touched other.dukaan.test/p/1: %s, want HIT", host, r.cache)
		}
	})

	t.Run("Reload", func(t *testing.T) {
		get("reload.dukaan.test", "/")
		e.Reload(t)
		if r := get("reload.dukaan.test", "/"); r.status != 200 || r.cache != "HIT" {
			t.Errorf("after reload: %d %s, want 200 HIT (the cache survives a reload)", r.status, r.cache)
		}
	})

	t.Run("Stop", func(t *testing.T) {
		e.Stop(t)
		e.Stop(t) // twice is fine
		if conn, err := net.DialTimeout("tcp", e.Addr(), time.Second); err == nil {
			conn.Close()
			t.Errorf("%s still accepts connections after Stop", e.Addr())
		}
	})
}

// TestStaleWhenOriginDown: an expired page is still served while the
// origin is unreachable; a page never cached is a gateway error.
func TestStaleWhenOriginDown(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=0, s-maxage=1")
		io.WriteString(w, "fresh")
	}))
	e := nginxtest.Start(t, strings.TrimPrefix(srv.URL, "http://"))
	c := e.Client()
	send(t, c, "GET", e.URL()+"/", "s.dukaan.test")
	stored := time.Now()
	srv.Close()
	// nginx counts whole seconds: s-maxage=1 lasts until the end of the
	// second after the one it was stored in.
	time.Sleep(time.Until(stored.Truncate(time.Second).Add(2100 * time.Millisecond)))
	r := send(t, c, "GET", e.URL()+"/", "s.dukaan.test")
	if r.status != 200 || r.cache != "STALE" || r.body != "fresh" {
		t.Errorf("expired page, origin down: %d %s %q, want 200 STALE \"fresh\"", r.status, r.cache, r.body)
	}
	if r := send(t, c, "GET", e.URL()+"/never", "s.dukaan.test"); r.status != 502 && r.status != 504 {
		t.Errorf("uncached page, origin down: %d, want 502 or 504", r.status)
	}
}

// TestPurgeAllowList sends PURGE from an address that is not loopback. The
// template always allows 127.0.0.0/8 and ::1, so this needs an interface
// address of this machine: the edge listens there and the client binds
// there, and the traffic still never leaves the host.
func TestPurgeAllowList(t *testing.T) {
	t.Parallel()
	ip := localNonLoopback(t)
	up := newStub(t)
	port := func() string { return fmt.Sprint(nginxtest.FreePort(t)) }
	closed := nginxtest.StartWith(t, nginxtest.Options{Listen: net.JoinHostPort(ip, port()), Upstreams: []string{up.addr()}})
	open := nginxtest.StartWith(t, nginxtest.Options{Listen: net.JoinHostPort(ip, port()), Upstreams: []string{up.addr()}, PurgeAllow: []string{ip}})

	from := &http.Client{Transport: &http.Transport{
		DialContext: (&net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}}).DialContext,
	}}
	if conf := closed.Config(t); !strings.Contains(conf, "deny all;") {
		t.Fatalf("nginx.conf has no deny all")
	}
	for _, tc := range []struct {
		name string
		e    *nginxtest.Edge
		want int
	}{
		{"not allowed", closed, http.StatusForbidden},
		{"allowed by PurgeAllow", open, http.StatusOK},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if r := send(t, from, "GET", tc.e.URL()+"/", "a.dukaan.test"); r.status != 200 {
				t.Fatalf("GET from %s: %d, want 200 (only PURGE is restricted)", ip, r.status)
			}
			r := send(t, from, "PURGE", tc.e.URL()+"/", "a.dukaan.test")
			if r.status != tc.want {
				t.Errorf("PURGE from %s: %d, want %d", ip, r.status, tc.want)
			}
			hit := send(t, from, "GET", tc.e.URL()+"/", "a.dukaan.test")
			if purged := hit.cache != "HIT"; purged != (tc.want == http.StatusOK) {
				t.Errorf("after PURGE (%d) the page is %s", r.status, hit.cache)
			}
			if tc.want == http.StatusForbidden && !strings.Contains(tc.e.AccessLog(t), "method=PURGE uri=\"/\" status=403") {
				t.Errorf("the refused PURGE is not in the access log:\n%s", tc.e.AccessLog(t))
			}
		})
	}
}

// localNonLoopback is an IPv4 address of an interface that is up and not
// loopback, or skips the test.
func localNonLoopback(t *testing.T) string {
	t.Helper()
	ifs, _ := net.Interfaces()
	for _, ifc := range ifs {
		if ifc.Flags&net.FlagUp == 0 || ifc.Flags&net.FlagLoopback != 0 {
			continue
		}
		addrs, _ := ifc.Addrs()
		for _, a := range addrs {
			if n, ok := a.(*net.IPNet); ok && n.IP.To4() != nil && !n.IP.IsLoopback() {
				// Check we can bind it (containers sometimes list addresses
				// they cannot use).
				ln, err := net.Listen("tcp", net.JoinHostPort(n.IP.String(), "0"))
				if err != nil {
					continue
				}
				ln.Close()
				return n.IP.String()
			}
		}
	}
	t.Skip("no non-loopback IPv4 address to send a PURGE from")
	return ""
}

// TestFreePort is trivial but the cmd tests depend on it.
func TestFreePort(t *testing.T) {
	p := nginxtest.FreePort(t)
	ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", p))
	if err != nil {
		t.Fatalf("FreePort %d cannot be bound: %v", p, err)
	}
	ln.Close()
}

// TestPurgeToken: an edge started with a purge token refuses a PURGE
// without it, even from loopback, and obeys one with it.
func TestPurgeToken(t *testing.T) {
	t.Parallel()
	up := newStub(t)
	const token = "0123456789abcdef-edge_token"
	e := nginxtest.StartWith(t, nginxtest.Options{Upstreams: []string{up.addr()}, PurgeToken: token})
	c := e.Client()
	const host = "token.dukaan.test"
	purge := func(tok string) int {
		t.Helper()
		req, err := http.NewRequest("PURGE", e.URL()+"/p/1", nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Host = host
		if tok != "" {
			req.Header.Set("X-Dukaan-Purge-Token", tok)
		}
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	send(t, c, http.MethodGet, e.URL()+"/p/1", host)
	if r := send(t, c, http.MethodGet, e.URL()+"/p/1", host); r.cache != "HIT" {
		t.Fatalf("warm-up: %s, want HIT", r.cache)
	}
	for _, tok := range []string{"", "wrong-token-0000000000", token + "x"} {
		if got := purge(tok); got != http.StatusForbidden {
			t.Errorf("PURGE with token %q = %d, want 403", tok, got)
		}
	}
	if r := send(t, c, http.MethodGet, e.URL()+"/p/1", host); r.cache != "HIT" {
		t.Errorf("a refused PURGE removed the page: %s", r.cache)
	}
	if got := purge(token); got != http.StatusOK {
		t.Errorf("PURGE with the token = %d, want 200", got)
	}
	if r := send(t, c, http.MethodGet, e.URL()+"/p/1", host); r.cache != "MISS" {
		t.Errorf("after the PURGE: %s, want MISS", r.cache)
	}
}
