package main

// End-to-end tests of the HTTP contract in docs/http.md: the whole program
// (NewMain → Run) on 127.0.0.1:0, once on SQLite and once on PostgreSQL,
// driven like a browser. Helpers are in e2e_helpers_test.go; the product,
// shop and order flows in e2e_shop_test.go; isolation, concurrency and the
// demo store in e2e_isolation_test.go.

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
)

// TestE2E runs every flow against one app per dialect. Flows use their own
// stores, so they run in parallel on the same app.
func TestE2E(t *testing.T) {
	for _, dialect := range dialects {
		t.Run(dialect, func(t *testing.T) {
			t.Parallel()
			a := startApp(t, dialect, nil)
			flows := []struct {
				name string
				fn   func(*testing.T, *testApp)
			}{
				{"Hosts", testHosts},
				{"Signup", testSignup},
				{"Login", testLogin},
				{"CSRF", testCSRF},
				{"Products", testProducts},
				{"ShopOrder", testShopOrder},
				{"OrdersConsole", testOrdersConsole},
				{"Isolation", testIsolation},
				{"Concurrency", testConcurrency},
			}
			for _, f := range flows {
				t.Run(f.name, func(t *testing.T) {
					t.Parallel()
					f.fn(t, a)
				})
			}
		})
	}
}

// cspDirective returns the sources of one directive of a CSP header.
func cspDirective(csp, name string) ([]string, bool) {
	for _, d := range strings.Split(csp, ";") {
		f := strings.Fields(d)
		if len(f) > 0 && strings.EqualFold(f[0], name) {
			return f[1:], true
		}
	}
	return nil, false
}

// wantSecurityHeaders checks the headers every response carries.
func wantSecurityHeaders(t *testing.T, r *response) {
	t.Helper()
	wantHeader(t, r, "X-Content-Type-Options", "nosniff")
	wantHeader(t, r, "Referrer-Policy", "strict-origin-when-cross-origin")
	wantHeader(t, r, "X-Frame-Options", "DENY")
	csp := r.header.Get("Content-Security-Policy")
	if src, ok := cspDirective(csp, "script-src"); !ok || !slices.Contains(src, "'self'") || slices.Contains(src, "'unsafe-inline'") {
		t.Errorf("%s: CSP %q: want script-src 'self' without 'unsafe-inline'", r, csp)
	}
	if src, ok := cspDirective(csp, "frame-ancestors"); !ok || !slices.Equal(src, []string{"'none'"}) {
		t.Errorf("%s: CSP %q: want frame-ancestors 'none'", r, csp)
	}
	// script-src 'self' only works if the page has no inline script. A
	// product page's JSON-LD is a data block, never run, which CSP does
	// not govern.
	if r.doc != nil {
		if n := r.doc.Find(`script:not([src]):not([type="application/ld+json"])`).Length(); n > 0 {
			t.Errorf("%s: %d inline <script> elements, CSP forbids them", r, n)
		}
		r.doc.Find("[onclick], [onload], [onsubmit], [onchange], [oninput]").Each(func(_ int, s *goquery.Selection) {
			t.Errorf("%s: inline event handler on <%s>", r, goquery.NodeName(s))
		})
	}
}

// testHosts: the host decides everything; health checks answer on every
// host; every response carries the security headers; static files are
// fingerprinted.
func testHosts(t *testing.T, a *testApp) {
	v := a.signup(t, "hosts")
	pid := v.addProduct(t, "Host Tea", "50", "45", 3, true)
	c := a.newClient()

	hosts := []struct {
		name, host string
	}{
		{"landing", baseDomain},
		{"www", "www." + baseDomain},
		{"admin", adminHost},
		{"shop", v.shop()},
		{"unknown store", shopHost("nosuchstore")},
		{"reserved name", "api." + baseDomain},
		{"other domain", "example.com"},
		{"nested subdomain", "a.hosts." + baseDomain},
		{"IP", "127.0.0.1"},
	}
	t.Run("health", func(t *testing.T) {
		for _, h := range hosts {
			t.Run(h.name, func(t *testing.T) {
				for path, want := range map[string]string{"/healthz": "ok", "/readyz": "ready"} {
					r := c.get(t, h.host, path)
					if r.status != http.StatusOK || strings.TrimSpace(string(r.body)) != want {
						t.Errorf("%s: %d %q, want 200 %q", r, r.status, r.body, want)
					}
					wantSecurityHeaders(t, r)
				}
			})
		}
	})

	t.Run("landing", func(t *testing.T) {
		for _, host := range []string{baseDomain, "www." + baseDomain} {
			r := c.get(t, host, "/")
			wantStatus(t, r, http.StatusOK)
			wantSecurityHeaders(t, r)
			signup := r.doc.Find("a[href]").FilterFunction(func(_ int, s *goquery.Selection) bool {
				u, err := url.Parse(s.AttrOr("href", ""))
				return err == nil && u.Path == "/signup" && (u.Host == "" || u.Hostname() == adminHost)
			})
			if signup.Length() == 0 {
				t.Errorf("%s: no link to the console's /signup", r)
			}
		}
	})

	t.Run("not found", func(t *testing.T) {
		for _, h := range hosts[4:] {
			r := c.get(t, h.host, "/")
			if r.status != http.StatusNotFound {
				t.Errorf("%s (%s): status %d, want 404", r, h.name, r.status)
			}
			wantSecurityHeaders(t, r)
			if cc := r.header.Get("Cache-Control"); !strings.Contains(cc, "no-store") {
				t.Errorf("%s: error page Cache-Control %q, want no-store", r, cc)
			}
		}
		// Other error pages: an unknown console page, an unknown shop product.
		for _, r := range []*response{c.get(t, adminHost, "/no-such-page"), c.get(t, v.shop(), "/p/999999")} {
			if r.status != http.StatusNotFound {
				t.Errorf("%s: status %d, want 404", r, r.status)
			}
			wantSecurityHeaders(t, r)
			if cc := r.header.Get("Cache-Control"); !strings.Contains(cc, "no-store") {
				t.Errorf("%s: error page Cache-Control %q, want no-store", r, cc)
			}
		}
	})

	t.Run("host normalised", func(t *testing.T) {
		// Upper case, a port (the client always sends one) and one trailing dot.
		r := c.get(t, "HOSTS.Dukaan.TEST.", "/")
		wantStatus(t, r, http.StatusOK)
		if got := shopProductIDs(r.doc); !slices.Equal(got, []int64{pid}) {
			t.Errorf("%s: products %v, want [%d]", r, got, pid)
		}
	})

	t.Run("X-Forwarded-Host from an untrusted peer is ignored", func(t *testing.T) {
		r := c.send(t, http.MethodGet, "example.com", "/", nil, http.Header{"X-Forwarded-Host": {v.shop()}})
		if r.status != http.StatusNotFound {
			t.Errorf("%s with X-Forwarded-Host %s: status %d, want 404", r, v.shop(), r.status)
		}
	})

	t.Run("security headers", func(t *testing.T) {
		token := order(t, c, v.store, map[int64]int{pid: 1})
		pages := []*response{
			c.get(t, baseDomain, "/"),
			c.get(t, v.shop(), "/"),
			c.get(t, v.shop(), fmt.Sprintf("/p/%d", pid)),
			c.get(t, v.shop(), "/orders/"+token),
			c.get(t, adminHost, "/login"),
			c.get(t, adminHost, "/signup"),
			v.c.get(t, adminHost, "/products"),
			v.c.get(t, adminHost, "/products/new"),
			v.c.get(t, adminHost, fmt.Sprintf("/products/%d/edit", pid)),
			v.c.get(t, adminHost, "/orders"),
		}
		for _, r := range pages {
			wantStatus(t, r, http.StatusOK)
			wantSecurityHeaders(t, r)
		}
	})

	t.Run("static", func(t *testing.T) {
		for _, page := range []*response{c.get(t, v.shop(), "/"), c.get(t, adminHost, "/login")} {
			var assets []string
			page.doc.Find("link[href], script[src]").Each(func(_ int, s *goquery.Selection) {
				ref := s.AttrOr("href", s.AttrOr("src", ""))
				if strings.HasPrefix(ref, "/static/") {
					assets = append(assets, ref)
				}
			})
			if len(assets) == 0 {
				t.Errorf("%s: links no /static/ files", page)
			}
			for _, ref := range assets {
				if !strings.Contains(ref, "?v=") {
					t.Errorf("%s: asset %q has no ?v= fingerprint", page, ref)
					continue
				}
				r := c.get(t, page.host, ref)
				wantStatus(t, r, http.StatusOK)
				wantHeader(t, r, "Cache-Control", "public, max-age=31536000, immutable")
				wantSecurityHeaders(t, r)
			}
		}
	})
}

// testSignup: signup, its validation, and what the new store's
// host serves.
func testSignup(t *testing.T, a *testApp) {
	t.Run("form", func(t *testing.T) {
		r := a.newClient().get(t, adminHost, "/signup")
		wantStatus(t, r, http.StatusOK)
		wantHeader(t, r, "Cache-Control", "private, no-store")
		for _, name := range []string{"store", "name", "email", "password", "csrf_token"} {
			if r.doc.Find(fmt.Sprintf(`form[action="/signup"] [name=%q]`, name)).Length() != 1 {
				t.Errorf("%s: form has no field %q", r, name)
			}
		}
	})

	t.Run("invalid", func(t *testing.T) {
		tests := []struct {
			name                   string
			store, email, password string
			field                  string // the one field with a message
		}{
			{"store too short", "ab", "short@example.com", password, "store"},
			{"store too long", strings.Repeat("a", 31), "long@example.com", password, "store"},
			{"store with underscore", "bad_name", "under@example.com", password, "store"},
			{"store with dot", "bad.name", "dot@example.com", password, "store"},
			{"leading hyphen", "-chai", "lead@example.com", password, "store"},
			{"trailing hyphen", "chai-", "trail@example.com", password, "store"},
			{"not ascii", "चायवाला", "hindi@example.com", password, "store"},
			{"empty store", "", "empty@example.com", password, "store"},
			{"reserved admin", "admin", "admin@example.com", password, "store"},
			{"reserved www", "www", "www@example.com", password, "store"},
			{"reserved api", "api", "api@example.com", password, "store"},
			{"reserved static", "static", "static@example.com", password, "store"},
			{"reserved status", "status", "status@example.com", password, "store"},
			{"short password", "shortpw", "shortpw@example.com", "seven77", "password"},
			{"long password", "longpw", "longpw@example.com", strings.Repeat("p", 73), "password"},
			{"bad email", "bademail", "not-an-email", password, "email"},
			{"email without dot", "nodot", "a@b", password, "email"},
			{"empty email", "noemail", "", password, "email"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				c := a.newClient()
				r := c.submit(t, "/signup", "/signup", url.Values{"store": {tt.store}, "email": {tt.email}, "password": {tt.password}})
				wantStatus(t, r, http.StatusUnprocessableEntity)
				wantHeader(t, r, "Cache-Control", "private, no-store")
				if r.doc.Find(`form[action="/signup"]`).Length() != 1 {
					t.Fatalf("%s: the signup form is not re-rendered", r)
				}
				if msg := fieldError(r.doc, tt.field); msg == "" {
					t.Errorf("%s: no message for %q; field messages on %v (%s)", r, tt.field, fieldErrors(r.doc), r.summary())
				}
				if got := fieldErrors(r.doc); !slices.Equal(got, []string{tt.field}) {
					t.Errorf("%s: messages for %v, want only %q", r, got, tt.field)
				}
				if got, _ := inputValue(r.doc, "email"); got != tt.email {
					t.Errorf("%s: email re-shown as %q, want %q", r, got, tt.email)
				}
				if got, _ := inputValue(r.doc, "password"); got != "" {
					t.Errorf("%s: password re-shown as %q, want it empty", r, got)
				}
				wantRedirect(t, c.get(t, adminHost, "/products"), "/login")
			})
		}
	})

	v := a.signup(t, "chai")
	t.Run("logged in", func(t *testing.T) {
		wantStatus(t, v.c.get(t, adminHost, "/products"), http.StatusOK)
		wantRedirect(t, v.c.get(t, adminHost, "/signup"), "/products")
		wantRedirect(t, v.c.get(t, adminHost, "/"), "/products")
	})

	t.Run("session cookie", func(t *testing.T) {
		ck := v.c.cookie(adminHost, "dukaan_session")
		if ck == nil {
			t.Fatal("no dukaan_session cookie after signup")
		}
		if !ck.HttpOnly {
			t.Error("dukaan_session is not HttpOnly")
		}
		if ck.SameSite != http.SameSiteLaxMode {
			t.Errorf("dukaan_session SameSite = %v, want Lax", ck.SameSite)
		}
		if ck.Secure {
			t.Error("dukaan_session is Secure without DUKAAN_HTTPS")
		}
		if ck.Domain != "" {
			t.Errorf("dukaan_session Domain = %q, want a host-only cookie", ck.Domain)
		}
		if len(ck.Value) < 20 {
			t.Errorf("dukaan_session = %q, want a long random token", ck.Value)
		}
		var life time.Duration
		switch {
		case ck.MaxAge > 0:
			life = time.Duration(ck.MaxAge) * time.Second
		case !ck.Expires.IsZero():
			life = time.Until(ck.Expires)
		}
		if life < 7*24*time.Hour-time.Hour || life > 7*24*time.Hour+time.Hour {
			t.Errorf("dukaan_session lives %v, want 7 days", life)
		}
	})

	t.Run("taken", func(t *testing.T) {
		tests := []struct {
			name, store, email, field string
		}{
			{"store", "chai", "other@example.com", "store"},
			{"email", "chai-two", "chai@example.com", "email"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				c := a.newClient()
				r := c.submit(t, "/signup", "/signup", url.Values{"store": {tt.store}, "email": {tt.email}, "password": {password}})
				wantStatus(t, r, http.StatusUnprocessableEntity)
				if fieldError(r.doc, tt.field) == "" {
					t.Errorf("%s: no message for %q (%s)", r, tt.field, r.summary())
				}
				wantRedirect(t, c.get(t, adminHost, "/products"), "/login")
				if tt.store != "chai" {
					if r := c.get(t, shopHost(tt.store), "/"); r.status != http.StatusNotFound {
						t.Errorf("%s: status %d, want 404: the refused signup opened a shop", r, r.status)
					}
				}
			})
		}
	})

	t.Run("display name", func(t *testing.T) {
		c := a.newClient()
		r := c.submit(t, "/signup", "/signup", url.Values{"store": {"masala-mart"}, "name": {"Masala Mart, Pune"},
			"email": {"masala@example.com"}, "password": {password}})
		wantRedirect(t, r, "/products")
		shop := c.get(t, shopHost("masala-mart"), "/")
		wantStatus(t, shop, http.StatusOK)
		if h := text(shop.doc.Find("title")); !strings.Contains(h, "Masala Mart, Pune") {
			t.Errorf("%s: title %q, want the display name", shop, h)
		}
		// Without a name, the shop is called by its store name.
		shop = c.get(t, v.shop(), "/")
		if h := text(shop.doc.Find("title")); !strings.Contains(h, "chai") {
			t.Errorf("%s: title %q, want the store name", shop, h)
		}
	})

	t.Run("shop host", func(t *testing.T) {
		c := a.newClient()
		r := c.get(t, v.shop(), "/")
		wantStatus(t, r, http.StatusOK)
		if got := shopProductIDs(r.doc); len(got) != 0 {
			t.Errorf("%s: a new shop offers products %v, want none", r, got)
		}
		if r.doc.Find(`form[action="/order"]`).Length() != 0 {
			t.Errorf("%s: an empty shop shows an order form", r)
		}
		r = c.get(t, shopHost("nosuchstore"), "/")
		if r.status != http.StatusNotFound {
			t.Errorf("%s: status %d, want 404", r, r.status)
		}
		for _, host := range []string{baseDomain, "www." + baseDomain} {
			wantStatus(t, c.get(t, host, "/"), http.StatusOK)
		}
		for _, host := range []string{"example.com", "chai.example.com", "chai." + baseDomain + ".evil.example"} {
			if r := c.get(t, host, "/"); r.status != http.StatusNotFound {
				t.Errorf("%s: status %d, want 404", r, r.status)
			}
		}
	})
}

// testLogin: login, logout, and the session cookie's life.
func testLogin(t *testing.T, a *testApp) {
	v := a.signup(t, "login-shop")
	c := v.c
	signupSession := c.cookie(adminHost, "dukaan_session").Value

	t.Run("logout", func(t *testing.T) {
		r := c.submit(t, "/products", "/logout", nil)
		wantRedirect(t, r, "/login")
		var cleared bool
		for _, ck := range r.cookies {
			if ck.Name == "dukaan_session" && (ck.MaxAge < 0 || (!ck.Expires.IsZero() && ck.Expires.Before(time.Now()))) {
				cleared = true
			}
		}
		if !cleared {
			t.Errorf("%s: the session cookie is not cleared", r)
		}
		wantRedirect(t, c.get(t, adminHost, "/products"), "/login")
		// Someone who kept a copy of the cookie gets nowhere.
		thief := a.newClient()
		thief.setCookie(adminHost, "dukaan_session", signupSession)
		wantRedirect(t, thief.get(t, adminHost, "/products"), "/login")
	})

	t.Run("form", func(t *testing.T) {
		r := c.get(t, adminHost, "/login")
		wantStatus(t, r, http.StatusOK)
		wantHeader(t, r, "Cache-Control", "private, no-store")
		for _, name := range []string{"email", "password", "csrf_token"} {
			if r.doc.Find(fmt.Sprintf(`form[action="/login"] [name=%q]`, name)).Length() != 1 {
				t.Errorf("%s: form has no field %q", r, name)
			}
		}
	})

	t.Run("wrong password", func(t *testing.T) {
		for _, creds := range []url.Values{
			{"email": {v.email}, "password": {"wrong password"}},
			{"email": {"nobody@example.com"}, "password": {password}},
		} {
			r := c.submit(t, "/login", "/login", creds)
			wantStatus(t, r, http.StatusUnauthorized)
			if r.doc.Find(`form[action="/login"]`).Length() != 1 {
				t.Errorf("%s: the login form is not re-rendered", r)
			}
			if got, _ := inputValue(r.doc, "email"); got != creds.Get("email") {
				t.Errorf("%s: email re-shown as %q, want %q", r, got, creds.Get("email"))
			}
			if formMessage(r.doc) == "" {
				t.Errorf("%s: no message", r)
			}
			if ck := c.cookie(adminHost, "dukaan_session"); ck != nil {
				t.Errorf("%s: set a session cookie", r)
			}
			wantRedirect(t, c.get(t, adminHost, "/products"), "/login")
		}
	})

	var loginSession string
	t.Run("login renews a planted token", func(t *testing.T) {
		planted := "planted-by-an-attacker-0123456789abcdef"
		c.setCookie(adminHost, "dukaan_session", planted)
		r := c.submit(t, "/login", "/login", url.Values{"email": {v.email}, "password": {password}})
		wantRedirect(t, r, "/products")
		ck := c.cookie(adminHost, "dukaan_session")
		if ck == nil || ck.Value == planted || ck.Value == signupSession {
			t.Fatalf("session cookie after login = %v, want a new token (planted %q, old %q)", ck, planted, signupSession)
		}
		if !ck.HttpOnly || ck.SameSite != http.SameSiteLaxMode {
			t.Errorf("session cookie after login: HttpOnly=%v SameSite=%v, want HttpOnly and Lax", ck.HttpOnly, ck.SameSite)
		}
		loginSession = ck.Value
		wantStatus(t, c.get(t, adminHost, "/products"), http.StatusOK)
	})

	t.Run("database keeps no token", func(t *testing.T) {
		if loginSession == "" {
			t.Skip("not logged in")
		}
		var stored []string
		if err := a.main.DB.Bun().NewRaw("SELECT token FROM sessions").Scan(t.Context(), &stored); err != nil {
			t.Fatalf("reading sessions: %v", err)
		}
		if len(stored) == 0 {
			t.Fatal("no sessions stored server-side")
		}
		for _, s := range stored {
			if s == loginSession || strings.Contains(s, loginSession) {
				t.Errorf("the sessions table holds the cookie's token %q", loginSession)
			}
		}
	})

	t.Run("login again renews the token", func(t *testing.T) {
		if loginSession == "" {
			t.Skip("not logged in")
		}
		r := c.submit(t, "/products", "/login", url.Values{"email": {v.email}, "password": {password}})
		wantRedirect(t, r, "/products")
		ck := c.cookie(adminHost, "dukaan_session")
		if ck == nil || ck.Value == loginSession {
			t.Fatalf("session cookie after a second login = %v, want a token other than %q", ck, loginSession)
		}
		wantStatus(t, c.get(t, adminHost, "/products"), http.StatusOK)
		old := a.newClient()
		old.setCookie(adminHost, "dukaan_session", loginSession)
		wantRedirect(t, old.get(t, adminHost, "/products"), "/login")
	})
}

// testCSRF: every console POST without a valid token, or from
// another site, is 403 and changes nothing.
func testCSRF(t *testing.T, a *testApp) {
	v := a.signup(t, "csrf-shop")
	pid := v.addProduct(t, "Guarded Tea", "100", "90", 10, true)
	order(t, a.newClient(), v.store, map[int64]int{pid: 1})
	oid := v.orderIDs(t, "")[0]
	anon := a.newClient()
	anonPage := "/login"

	productBefore := v.productForm(t, pid)
	listBefore := v.productList(t)
	type route struct {
		name   string
		c      *client
		page   string // where the form comes from
		path   string
		form   url.Values
		intact func(t *testing.T) // nothing changed
	}
	routes := []route{
		{"signup", anon, anonPage, "/signup",
			url.Values{"store": {"csrf-new"}, "email": {"csrf-new@example.com"}, "password": {password}},
			func(t *testing.T) {
				if r := anon.get(t, shopHost("csrf-new"), "/"); r.status != http.StatusNotFound {
					t.Errorf("%s: %d, want 404: the refused signup opened a shop", r, r.status)
				}
				wantRedirect(t, anon.get(t, adminHost, "/products"), "/login")
			}},
		{"login", anon, anonPage, "/login", url.Values{"email": {v.email}, "password": {password}},
			func(t *testing.T) { wantRedirect(t, anon.get(t, adminHost, "/products"), "/login") }},
		{"logout", v.c, "/products", "/logout", url.Values{},
			func(t *testing.T) { wantStatus(t, v.c.get(t, adminHost, "/products"), http.StatusOK) }},
		{"new product", v.c, "/products/new", "/products/new", productFields("Forged Product", "10", "10", "1", true),
			func(t *testing.T) {
				if got := v.productList(t); !slices.Equal(got, listBefore) {
					t.Errorf("products %v, want %v", got, listBefore)
				}
			}},
		{"edit product", v.c, fmt.Sprintf("/products/%d/edit", pid), fmt.Sprintf("/products/%d/edit", pid),
			productFields("Forged Name", "100", "1", "999", true),
			func(t *testing.T) {
				if got := v.productForm(t, pid); !equalValues(got, productBefore) {
					t.Errorf("product form %v, want %v", got, productBefore)
				}
			}},
		{"availability", v.c, "/products", fmt.Sprintf("/products/%d/availability", pid), url.Values{"available": {"false"}},
			func(t *testing.T) {
				if got := v.productForm(t, pid).Get("available"); got != "on" {
					t.Errorf("available = %q, want on", got)
				}
			}},
		{"delete product", v.c, "/products", fmt.Sprintf("/products/%d/delete", pid), url.Values{},
			func(t *testing.T) {
				if got := v.productList(t); !slices.Equal(got, listBefore) {
					t.Errorf("products %v, want %v", got, listBefore)
				}
			}},
		{"order status", v.c, fmt.Sprintf("/orders/%d", oid), fmt.Sprintf("/orders/%d/status", oid), url.Values{"status": {"confirmed"}},
			func(t *testing.T) {
				if got := v.orderStatus(t, oid); got != "pending" {
					t.Errorf("order status %q, want pending", got)
				}
			}},
	}

	// otherToken is a real token, but of another browser's cookie.
	other := a.newClient()
	otherToken := csrfToken(t, other.get(t, adminHost, "/login"))
	evil := "http://evil.example"
	modes := []struct {
		name string
		// token is what goes in csrf_token ("" leaves it out); hdr is sent.
		token func(page string) string
		hdr   func(c *client) http.Header
	}{
		{"no token", func(string) string { return "" }, nil},
		{"token of another browser", func(string) string { return otherToken }, nil},
		{"garbage token", func(string) string { return "not-a-token" }, nil},
		{"valid token, foreign Origin", func(p string) string { return p }, func(*client) http.Header {
			return http.Header{"Origin": {evil}}
		}},
		{"valid token, foreign Origin, no Sec-Fetch-Site", func(p string) string { return p }, func(*client) http.Header {
			return http.Header{"Origin": {"http://" + shopHost("csrf-shop")}}
		}},
		{"valid token, Sec-Fetch-Site cross-site", func(p string) string { return p }, func(*client) http.Header {
			return http.Header{"Origin": {""}, "Sec-Fetch-Site": {"cross-site"}}
		}},
		{"valid token, no csrf cookie", func(p string) string { return p }, func(c *client) http.Header {
			var cookies []string
			if ck := c.cookie(adminHost, "dukaan_session"); ck != nil {
				cookies = append(cookies, "dukaan_session="+ck.Value)
			}
			return http.Header{"Cookie": {strings.Join(cookies, "; ")}}
		}},
	}
	for _, rt := range routes {
		t.Run(rt.name, func(t *testing.T) {
			for _, m := range modes {
				t.Run(m.name, func(t *testing.T) {
					page := rt.c.get(t, adminHost, rt.page)
					wantStatus(t, page, http.StatusOK)
					form := cloneValues(rt.form)
					if tok := m.token(csrfToken(t, page)); tok != "" {
						form.Set("csrf_token", tok)
					}
					var hdr http.Header
					if m.hdr != nil {
						hdr = m.hdr(rt.c)
					}
					r := rt.c.send(t, http.MethodPost, adminHost, rt.path, form, hdr)
					if r.status != http.StatusForbidden {
						t.Errorf("%s: status %d Location %q, want 403", r, r.status, r.header.Get("Location"))
					}
					rt.intact(t)
				})
			}
		})
	}

	t.Run("valid token without Origin is accepted", func(t *testing.T) {
		page := v.c.get(t, adminHost, "/products")
		r := v.c.send(t, http.MethodPost, adminHost, fmt.Sprintf("/products/%d/availability", pid),
			url.Values{"available": {"false"}, "csrf_token": {csrfToken(t, page)}}, http.Header{"Origin": {""}})
		wantRedirect(t, r, "/products")
		if got := v.productForm(t, pid).Get("available"); got != "" {
			t.Errorf("available = %q after hiding, want unchecked", got)
		}
	})
}

// equalValues compares two forms' values.
func equalValues(a, b url.Values) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if !slices.Equal(v, b[k]) {
			return false
		}
	}
	return true
}
