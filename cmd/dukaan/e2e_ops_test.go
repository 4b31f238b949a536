package main

import (
	"io"
	"net"
	"net/http"
	"net/url"
	"sync"
	"testing"
	"time"

	"dukaan/internal/testsvc"
)

// TestE2ETrustedProxy runs behind a reverse proxy that sends its own Host
// and the browser's in X-Forwarded-Host: with the proxy's address in
// DUKAAN_TRUSTED_PROXIES, the forwarded host decides, and a browser can
// still sign up through it.
func TestE2ETrustedProxy(t *testing.T) {
	t.Parallel()
	a := startApp(t, "sqlite", map[string]string{"DUKAAN_TRUSTED_PROXIES": "127.0.0.1"})
	c := a.newClient()
	c.via = "dukaan-upstream:8080"

	r := c.get(t, adminHost, "/login")
	wantStatus(t, r, http.StatusOK)
	if r.doc.Find(`form[action="/login"]`).Length() != 1 {
		t.Errorf("%s through the proxy: no login form", r)
	}
	// The browser's Origin names the public host, not the upstream one.
	r = c.submit(t, "/signup", "/signup", url.Values{"store": {"proxied"}, "email": {"proxied@example.com"}, "password": {password}})
	wantRedirect(t, r, "/products")
	wantStatus(t, c.get(t, adminHost, "/products"), http.StatusOK)
	wantStatus(t, c.get(t, shopHost("proxied"), "/"), http.StatusOK)

	// Without X-Forwarded-Host the Host header still decides.
	direct := a.newClient()
	wantStatus(t, direct.get(t, shopHost("proxied"), "/"), http.StatusOK)
	if r := direct.send(t, http.MethodGet, "dukaan-upstream", "/", nil, nil); r.status != http.StatusNotFound {
		t.Errorf("%s: status %d, want 404", r, r.status)
	}
}

// TestE2EHTTPS runs with DUKAAN_HTTPS=true, as behind a TLS terminator:
// cookies are Secure, and a console POST without Origin needs a same-host
// Referer besides its token.
func TestE2EHTTPS(t *testing.T) {
	t.Parallel()
	a := startApp(t, "sqlite", map[string]string{"DUKAAN_HTTPS": "true"})
	c := a.newClient()
	c.scheme = "https"

	wantStatus(t, c.get(t, adminHost, "/signup"), http.StatusOK)
	if ck := c.cookie(adminHost, "dukaan_csrf"); ck == nil || !ck.Secure {
		t.Errorf("dukaan_csrf cookie %v, want Secure", ck)
	}
	r := c.submit(t, "/signup", "/signup", url.Values{"store": {"secure-shop"}, "email": {"secure@example.com"}, "password": {password}})
	wantRedirect(t, r, "/products")
	if ck := c.cookie(adminHost, "dukaan_session"); ck == nil || !ck.Secure || !ck.HttpOnly {
		t.Errorf("dukaan_session cookie %v, want Secure and HttpOnly", ck)
	}

	self := c.origin(adminHost)
	for _, tt := range []struct {
		name    string
		referer string
		want    int
	}{
		{"no Origin, no Referer", "", http.StatusForbidden},
		{"no Origin, foreign Referer", "https://evil.example/products", http.StatusForbidden},
		{"no Origin, plain-http Referer", "http://" + c.hostPort(adminHost) + "/products", http.StatusForbidden},
		{"no Origin, same-host Referer", self + "/products", http.StatusSeeOther},
	} {
		t.Run(tt.name, func(t *testing.T) {
			page := c.get(t, adminHost, "/products")
			wantStatus(t, page, http.StatusOK)
			r := c.send(t, http.MethodPost, adminHost, "/logout", url.Values{"csrf_token": {csrfToken(t, page)}},
				http.Header{"Origin": {""}, "Referer": {tt.referer}})
			if r.status != tt.want {
				t.Errorf("%s: status %d, want %d", r, r.status, tt.want)
			}
			if tt.want == http.StatusForbidden {
				wantStatus(t, c.get(t, adminHost, "/products"), http.StatusOK)
			} else {
				wantRedirect(t, c.get(t, adminHost, "/products"), "/login")
			}
		})
	}
}

// TestE2EDatabaseDown cuts the app off from PostgreSQL and back: /readyz
// and pages say 503 with Retry-After while /healthz stays 200, and the app
// recovers by itself.
func TestE2EDatabaseDown(t *testing.T) {
	t.Parallel()
	dsn := testsvc.PostgresSchema(t, "e2e_")
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	upstream := u.Host
	if u.Port() == "" {
		upstream = net.JoinHostPort(u.Hostname(), "5432")
	}
	p := startProxy(t, upstream)
	u.Host = p.addr()
	a := startApp(t, "postgres", map[string]string{"DATABASE_URL": u.String()})
	v := a.signup(t, "down-shop")
	shop := a.newClient()
	wantStatus(t, shop.get(t, v.shop(), "/"), http.StatusOK)

	a.logs.mu.Lock()
	a.logs.allowErrors = true
	a.logs.mu.Unlock()
	p.setDown(true)

	t.Run("down", func(t *testing.T) {
		r := shop.get(t, v.shop(), "/readyz")
		if r.status != http.StatusServiceUnavailable {
			t.Errorf("%s with the database down: status %d, want 503", r, r.status)
		}
		wantStatus(t, shop.get(t, v.shop(), "/healthz"), http.StatusOK)
		// A page already in the page cache is still true (nothing can
		// commit while the database is down) and is served; a page never
		// rendered cannot be.
		if r := shop.get(t, v.shop(), "/"); r.status != http.StatusOK || r.header.Get("X-App-Cache") == "MISS" {
			t.Errorf("%s (cached) with the database down: status %d X-App-Cache %q, want 200 from the cache",
				r, r.status, r.header.Get("X-App-Cache"))
		}
		for _, r := range []*response{
			shop.get(t, v.shop(), "/?page=2"),
			v.c.get(t, adminHost, "/products"),
			r,
		} {
			if r.status != http.StatusServiceUnavailable || r.header.Get("Retry-After") == "" {
				t.Errorf("%s with the database down: status %d Retry-After %q, want 503 with Retry-After",
					r, r.status, r.header.Get("Retry-After"))
			}
		}
	})

	p.setDown(false)
	t.Run("back", func(t *testing.T) {
		deadline := time.Now().Add(10 * time.Second)
		for {
			r := shop.get(t, v.shop(), "/readyz")
			if r.status == http.StatusOK {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: still %d 10 s after the database came back", r, r.status)
			}
			time.Sleep(100 * time.Millisecond)
		}
		wantStatus(t, shop.get(t, v.shop(), "/"), http.StatusOK)
		wantStatus(t, v.c.get(t, adminHost, "/products"), http.StatusOK)
	})
}

// tcpProxy forwards connections to upstream until it is set down, which
// drops every open connection and refuses new ones.
type tcpProxy struct {
	ln       net.Listener
	upstream string
	mu       sync.Mutex
	down     bool
	conns    map[net.Conn]bool
	wg       sync.WaitGroup
}

func startProxy(t *testing.T, upstream string) *tcpProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &tcpProxy{ln: ln, upstream: upstream, conns: map[net.Conn]bool{}}
	p.wg.Go(p.serve)
	t.Cleanup(func() {
		ln.Close()
		p.setDown(true)
		p.wg.Wait()
	})
	return p
}

func (p *tcpProxy) addr() string { return p.ln.Addr().String() }

func (p *tcpProxy) serve() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.wg.Go(func() { p.pipe(c) })
	}
}

func (p *tcpProxy) track(cs ...net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.down {
		return false
	}
	for _, c := range cs {
		p.conns[c] = true
	}
	return true
}

func (p *tcpProxy) pipe(c net.Conn) {
	defer c.Close()
	if !p.track(c) {
		return
	}
	up, err := net.DialTimeout("tcp", p.upstream, 3*time.Second)
	if err != nil {
		return
	}
	defer up.Close()
	if !p.track(up) {
		return
	}
	done := make(chan struct{})
	go func() {
		_, _ = io.Copy(up, c)
		up.Close()
		close(done)
	}()
	_, _ = io.Copy(c, up)
	c.Close()
	<-done
	p.mu.Lock()
	delete(p.conns, c)
	delete(p.conns, up)
	p.mu.Unlock()
}

func (p *tcpProxy) setDown(down bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.down = down
	if down {
		for c := range p.conns {
			c.Close()
		}
		clear(p.conns)
	}
}

// TestE2EHTTPSDefaultPort: behind a TLS terminator on 443
// (DUKAAN_PUBLIC_PORT=:443, as docker-compose and Kubernetes run it),
// links leave the port out, and the browser's Origin — which never
// carries the scheme's own port — counts as the console's own.
func TestE2EHTTPSDefaultPort(t *testing.T) {
	t.Parallel()
	a := startApp(t, "sqlite", map[string]string{"DUKAAN_HTTPS": "true", "DUKAAN_PUBLIC_PORT": ":443"})
	if got, want := a.main.Web.ShopURL("some-shop"), "https://some-shop."+baseDomain+"/"; got != want {
		t.Errorf("ShopURL = %q, want %q", got, want)
	}
	c := a.newClient()
	c.scheme = "https"
	page := c.get(t, adminHost, "/signup")
	wantStatus(t, page, http.StatusOK)
	origin := "https://" + adminHost
	form := url.Values{"store": {"tls-shop"}, "email": {"tls@example.com"}, "password": {password}, "csrf_token": {csrfToken(t, page)}}
	r := c.send(t, http.MethodPost, adminHost, "/signup", form, http.Header{"Origin": {origin}, "Referer": {origin + "/signup"}})
	wantRedirect(t, r, "/products")
}
