package main

// Cache poisoning and leaks: hostile requests sent through a real
// nginx edge and straight to the app must never leave an entry, in the
// edge or in the app's page cache, that another store's customers then
// receive. Each case warms a URL with the hostile request, then fetches the
// legitimate URL of both stores and checks whose shop comes back.

import (
	"bytes"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"dukaan/nginx/nginxtest"
	"dukaan/storage/storagetest"
)

// storeOf names the store whose shop page b is ("" if none): the shop's
// heading, checked against the products listed.
func storeOf(b []byte) string {
	doc, err := goquery.NewDocumentFromReader(bytes.NewReader(b))
	if err != nil {
		return ""
	}
	return text(doc.Find(".store-brand-name").First())
}

func TestReliabilityCachePoisoning(t *testing.T) {
	t.Parallel()
	nginxtest.Require(t)
	// The app trusts its edge (as it must, to see client addresses for the
	// rate limits): the case where a forwarded header could be believed.
	a := startApp(t, "sqlite", map[string]string{"DUKAAN_TRUSTED_PROXIES": "127.0.0.1"})
	e := nginxtest.Start(t, a.addr)
	victim := storagetest.Vendor(t, a.main.DB, "victim-store")
	evil := storagetest.Vendor(t, a.main.DB, "evil-store")
	vp := storagetest.Product(t, a.main.DB, victim.ID, "Victim Vegetables", 5000, 10)
	ep := storagetest.Product(t, a.main.DB, evil.ID, "Evil Eggs", 6000, 10)
	vHost, eHost := shopHost(victim.Slug), shopHost(evil.Slug)
	names := map[string]string{vHost: victim.Name, eHost: evil.Name}
	tok := order(t, a.newClient(), victim.Slug, map[int64]int{vp.ID: 1})

	type hostile struct {
		name string
		// raw builds the request for a path; it is sent as is.
		raw func(path string) string
		// want is the store the hostile request itself may show ("" when
		// it must be refused with a 4xx).
		want string
	}
	// appSees is what the app shows for some requests when they come
	// straight from a trusted proxy's address (127.0.0.1 here): it
	// believes their X-Forwarded-Host, and keys its cache by that host.
	appSees := map[string]string{
		"X-Forwarded-Host of another store":  eHost,
		"X-Forwarded-Host naming the victim": vHost,
		"X-Forwarded-Host list":              eHost,
	}
	req := func(method, target string, headers ...string) string {
		return method + " " + target + " HTTP/1.1\r\n" + strings.Join(headers, "\r\n") + "\r\nConnection: close\r\n\r\n"
	}
	cases := []hostile{
		{"X-Forwarded-Host of another store", func(p string) string {
			return req("GET", p, "Host: "+vHost, "X-Forwarded-Host: "+eHost)
		}, vHost},
		{"X-Forwarded-Host naming the victim", func(p string) string {
			return req("GET", p, "Host: "+eHost, "X-Forwarded-Host: "+vHost)
		}, eHost},
		{"X-Forwarded-Host list", func(p string) string {
			return req("GET", p, "Host: "+vHost, "X-Forwarded-Host: "+eHost+", "+vHost)
		}, vHost},
		{"X-Original-URL and X-Rewrite-URL", func(p string) string {
			return req("GET", p, "Host: "+vHost, fmt.Sprintf("X-Original-URL: /p/%d", ep.ID), "X-Rewrite-URL: /orders/"+tok)
		}, vHost},
		{"X-Host and X-Forwarded-Server", func(p string) string {
			return req("GET", p, "Host: "+vHost, "X-Host: "+eHost, "X-Forwarded-Server: "+eHost)
		}, vHost},
		{"absolute URI naming another host", func(p string) string {
			return req("GET", "http://"+vHost+p, "Host: "+eHost)
		}, vHost},
		{"absolute URI with a port", func(p string) string {
			return req("GET", "http://"+eHost+":9"+p, "Host: "+vHost)
		}, eHost},
		{"upper-case host", func(p string) string { return req("GET", p, "Host: "+strings.ToUpper(vHost)) }, vHost},
		{"trailing-dot host", func(p string) string { return req("GET", p, "Host: "+vHost+".") }, vHost},
		{"unusual port", func(p string) string { return req("GET", p, "Host: "+vHost+":31337") }, vHost},
		{"empty port", func(p string) string { return req("GET", p, "Host: "+vHost+":") }, vHost},
		{"duplicate Host headers", func(p string) string { return req("GET", p, "Host: "+vHost, "Host: "+eHost) }, ""},
		{"userinfo in Host", func(p string) string { return req("GET", p, "Host: "+eHost+"@"+vHost) }, ""},
		{"junk query string", func(p string) string {
			return req("GET", p+"&page=2&page=1&%3Cscript%3Ealert(1)%3C/script%3E=%00%ff&utm_source=x", "Host: "+vHost)
		}, vHost},
		{"HEAD first", func(p string) string { return req("HEAD", p, "Host: "+vHost) }, vHost},
		{"If-None-Match *", func(p string) string { return req("GET", p, "Host: "+vHost, "If-None-Match: *") }, vHost},
		{"Range", func(p string) string { return req("GET", p, "Host: "+vHost, "Range: bytes=0-20") }, vHost},
		{"X-Forwarded-Proto https", func(p string) string {
			return req("GET", p, "Host: "+vHost, "X-Forwarded-Proto: https", "X-Forwarded-Scheme: https")
		}, vHost},
		{"a session cookie", func(p string) string {
			return req("GET", p, "Host: "+vHost, "Cookie: dukaan_session=abc; dukaan_csrf=def")
		}, vHost},
	}

	tiers := []struct {
		name string
		addr string
		hc   *http.Client
	}{
		{"edge", e.Addr(), loadClient(t, e.Addr())},
		{"app", a.addr, loadClient(t, a.addr)},
	}
	// legit fetches the normal URL of host and checks it is host's shop,
	// complete.
	legit := func(t *testing.T, hc *http.Client, host, path string) {
		t.Helper()
		r, err := fetch(hc, http.MethodGet, host, path, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		if r.status != http.StatusOK {
			t.Errorf("GET %s%s: status %d", host, path, r.status)
			return
		}
		if got := storeOf(r.body); got != names[host] {
			t.Errorf("GET %s%s shows the shop of %q, want %q (X-Cache-Status %q, X-App-Cache %q)",
				host, path, got, names[host], r.header.Get("X-Cache-Status"), r.header.Get("X-App-Cache"))
		}
		other := ep.Name
		if host == eHost {
			other = vp.Name
		}
		if bytes.Contains(r.body, []byte(other)) {
			t.Errorf("GET %s%s lists the other store's %q", host, path, other)
		}
	}

	outcomes := map[string]string{}
	for _, tier := range tiers {
		t.Run(tier.name, func(t *testing.T) {
			for i, tc := range cases {
				t.Run(tc.name, func(t *testing.T) {
					path := fmt.Sprintf("/?case=%s-%d", tier.name, i)
					got := rawRequest(t, tier.addr, tc.raw(path))
					want := tc.want
					if h, ok := appSees[tc.name]; ok && tier.name == "app" {
						want = h
					}
					shown := ""
					if got.status == http.StatusOK && len(got.body) > 0 {
						shown = storeOf(got.body)
					}
					switch {
					case want == "" && (got.status < 400 || got.status >= 500):
						t.Errorf("answered %d, want it refused with a 4xx", got.status)
					case want != "" && got.status == http.StatusOK && len(got.body) > 0 && shown != names[want]:
						t.Errorf("answered with the shop of %q, want %q", shown, names[want])
					case want != "" && got.status >= 500:
						t.Errorf("answered %d", got.status)
					}
					if bytes.Contains(got.body, []byte("<script>alert(1)")) {
						t.Error("the junk query is reflected unescaped")
					}
					if sc := got.header.Values("Set-Cookie"); len(sc) > 0 {
						t.Errorf("Set-Cookie %q on a shop host", sc)
					}
					outcomes[tier.name+": "+tc.name] = fmt.Sprintf("%d %s %s", got.status, shown, got.header.Get("X-Cache-Status"))
					// Whoever asks next for either store's page at that URL
					// gets that store's, whole.
					for range 2 {
						legit(t, tier.hc, vHost, path)
						legit(t, tier.hc, eHost, path)
					}
				})
			}
			legit(t, tier.hc, vHost, "/")
			legit(t, tier.hc, eHost, "/")
		})
	}
	for _, k := range keysOf(outcomes) {
		t.Logf("outcome: %s → %s", k, outcomes[k])
	}
	t.Logf("figures: case=cache-poisoning hostile-requests=%d (%d kinds × edge and app) legit-checks=%d poisoned=%v",
		2*len(cases), len(cases), 2*len(cases)*4+4, t.Failed())
}

// TestReliabilityNoLeaks: nothing personal is stored by a shared cache.
// Set-Cookie never comes from a shop host, whatever the request; console
// pages (errors included) are private, no-store and never answered from
// the edge; a customer's refused order form and confirmation never reach
// another customer.
func TestReliabilityNoLeaks(t *testing.T) {
	t.Parallel()
	nginxtest.Require(t)
	edgeAddr := nginxtest.FreeAddr(t)
	_, edgePort, _ := net.SplitHostPort(edgeAddr)
	a := startApp(t, "sqlite", map[string]string{
		"DUKAAN_PURGE_TOKEN": "purge-token-0123456789", "DUKAAN_LOGIN_LIMIT_ACCOUNT": "1/m",
		"DUKAAN_PUBLIC_PORT": ":" + edgePort,
	})
	e := nginxtest.StartWith(t, nginxtest.Options{Listen: edgeAddr, Upstreams: []string{a.addr}})
	ve := cacheVia(t, a, e) // the deployment as seen through the edge
	v := ve.signup(t, "leak-shop")
	pid := v.addProduct(t, "Leakproof Flask", "900", "800", 50, true)
	cust := ve.newClient()
	tok := order(t, cust, v.store, map[int64]int{pid: 1})

	swept := 0
	t.Run("no Set-Cookie from a shop host", func(t *testing.T) {
		big := orderForm(map[int64]int{pid: 1})
		big.Set("address", strings.Repeat("a", 70<<10))
		refused := orderForm(map[int64]int{pid: 1})
		refused.Set("phone", "12")
		for _, via := range []*testApp{a, ve} {
			c := via.newClient()
			// A browser that is logged in to the console sends its
			// cookies nowhere else, but a hostile one might.
			c.setCookie(v.shop(), "dukaan_session", v.c.cookie(adminHost, "dukaan_session").Value)
			c.setCookie(v.shop(), "dukaan_csrf", "x")
			for _, rq := range []struct {
				method, host, path string
				form               url.Values
				hdr                http.Header
			}{
				{"GET", v.shop(), "/", nil, nil},
				{"HEAD", v.shop(), "/", nil, nil},
				{"GET", v.shop(), fmt.Sprintf("/p/%d", pid), nil, nil},
				{"GET", v.shop(), "/p/999999", nil, nil},
				{"GET", v.shop(), "/orders/" + tok, nil, nil},
				{"GET", v.shop(), "/orders/nope", nil, nil},
				{"GET", v.shop(), "/login", nil, nil},
				{"GET", v.shop(), "/static/app.css", nil, nil},
				{"GET", v.shop(), "/healthz", nil, nil},
				{"POST", v.shop(), "/order", orderForm(map[int64]int{pid: 1}), nil},
				{"POST", v.shop(), "/order", refused, nil},
				{"POST", v.shop(), "/order", orderForm(map[int64]int{pid: 1}), http.Header{"Origin": {"https://evil.example"}}},
				{"POST", v.shop(), "/order", big, nil},
				{"PURGE", v.shop(), "/", nil, nil},
				{"GET", shopHost("no-such-store"), "/", nil, nil},
				{"GET", baseDomain, "/", nil, nil},
				{"GET", "example.com", "/", nil, nil},
			} {
				// send fails the test on any Set-Cookie outside the admin host.
				r := c.send(t, rq.method, rq.host, rq.path, rq.form, rq.hdr)
				swept++
				if r.status >= 500 && r.status != http.StatusBadGateway {
					t.Errorf("%s: status %d", r, r.status)
				}
			}
		}
	})

	t.Run("console is private", func(t *testing.T) {
		anon := ve.newClient()
		for _, path := range []string{"/products", fmt.Sprintf("/products/%d/edit", pid), "/orders"} {
			for range 2 {
				r := v.c.get(t, adminHost, path)
				wantStatus(t, r, http.StatusOK)
				wantHeader(t, r, "Cache-Control", "private, no-store")
				if edgeCache(r) == "HIT" {
					t.Errorf("%s: answered from the edge's cache", r)
				}
			}
			// Someone else asking for the same URL gets no copy.
			wantRedirect(t, anon.get(t, adminHost, path), "/login")
		}
		// Error pages of the console are console pages too.
		bad := v.c.send(t, http.MethodPost, adminHost, "/logout", url.Values{"csrf_token": {"forged"}}, nil)
		for _, r := range []*response{
			v.c.get(t, adminHost, "/no-such-page"),
			v.c.get(t, adminHost, "/products/999999/edit"),
			bad,
			anon.send(t, http.MethodPost, adminHost, "/login", url.Values{"email": {"x@example.com"}}, nil),
		} {
			if r.status < 400 {
				t.Errorf("%s: status %d, want an error", r, r.status)
			}
			wantHeader(t, r, "Cache-Control", "private, no-store")
		}
		// A rate-limited sign-in (429) likewise.
		for range 2 {
			page := anon.get(t, adminHost, "/login")
			r := anon.postForm(t, adminHost, "/login", url.Values{"email": {v.email}, "password": {"nope"}, "csrf_token": {csrfToken(t, page)}})
			if r.status == http.StatusTooManyRequests {
				wantHeader(t, r, "Cache-Control", "private, no-store")
			}
		}
	})

	t.Run("a customer's data stays theirs", func(t *testing.T) {
		f := orderForm(map[int64]int{pid: 1})
		f.Set("name", "Leaky McLeak")
		f.Set("phone", "12345") // refused: the form comes back with the typed values
		r := cust.postForm(t, v.shop(), "/order", f)
		wantStatus(t, r, http.StatusUnprocessableEntity)
		if got, _ := inputValue(r.doc, "name"); got != "Leaky McLeak" {
			t.Fatalf("%s: name re-shown as %q", r, got)
		}
		other := ve.newClient()
		for _, path := range []string{"/", fmt.Sprintf("/p/%d", pid)} {
			for range 2 {
				if r := other.get(t, v.shop(), path); bytes.Contains(r.body, []byte("Leaky McLeak")) {
					t.Errorf("%s (X-Cache-Status %s) shows another customer's name", r, edgeCache(r))
				}
			}
		}
		for range 2 {
			r := cust.get(t, v.shop(), "/orders/"+tok)
			wantStatus(t, r, http.StatusOK)
			wantHeader(t, r, "Cache-Control", "private, no-store")
			if c := edgeCache(r); c == "HIT" || c == "STALE" {
				t.Errorf("%s: confirmation answered from the edge (%s)", r, c)
			}
		}
		if n := strings.Count(e.AccessLog(t), "/orders/"+tok); n < 2 {
			t.Errorf("the edge logged %d confirmation requests", n)
		}
	})
	t.Logf("figures: case=no-leaks shop-host-requests=%d (edge and app; GET/HEAD/POST/PURGE, 200/303/403/404/405/413/422) set-cookie=%v console-pages-private=%v personal-data-in-shared-pages=%v",
		swept, t.Failed(), !t.Failed(), t.Failed())
}
