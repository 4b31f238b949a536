package main

// End-to-end tests of the two-tier page cache with event purge: real nginx
// edges (proxy_cache, PURGE) in front of whole programs (Main) that share a
// PostgreSQL schema and a private redis-server. Each test builds its own
// deployment with cacheStart (cache_helpers_test.go), so they run in
// parallel without sharing any cache.
//
// Timing: every purge runs a second pass RepurgeAfter (1 s) later, which
// removes whatever was cached meanwhile. A test that needs a page to stay
// cached across steps waits repurgeWait after the last purge first.

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"dukaan/app"
)

const purgeToken = "ops-purge-token-0123456789abcdef"

// TestCacheTiers: each tier answers in turn, and a stampede on a purged
// page renders it once per replica.
func TestCacheTiers(t *testing.T) {
	t.Parallel()
	s := cacheStart(t, cacheOpts{replicas: 2, edges: 1, env: map[string]string{"DUKAAN_PURGE_TOKEN": purgeToken}})
	a, b := s.apps[0], s.apps[1]
	v := cacheVendor(t, a, "tiers-shop")
	p := cacheProduct(t, a, v.ID, "Masala Chai", 24900, 50)
	host := shopHost(v.Slug)
	detail := fmt.Sprintf("/p/%d", p.ID)
	time.Sleep(repurgeWait) // the product's creation purged the store
	settlePurgeJobs(t, a)   // and the purge jobs of what came before

	t.Run("Edge", func(t *testing.T) {
		c := s.via[0].newClient()
		first := c.get(t, host, "/")
		wantTiers(t, first, http.StatusOK, "MISS", "MISS")
		second := c.get(t, host, "/")
		wantTiers(t, second, http.StatusOK, "HIT", "")
		if !bytes.Equal(first.body, second.body) {
			t.Errorf("the edge's HIT differs from the page it stored")
		}
		if got := text(second.doc.Find("h1").First()); got != v.Name {
			t.Errorf("h1 = %q, want the store's name %q", got, v.Name)
		}
		if got := cachePrice(second, p.ID); got != "₹249" {
			t.Errorf("price = %q, want ₹249", got)
		}
		if cc := second.header.Get("Cache-Control"); !strings.Contains(cc, "s-maxage=60") || !strings.Contains(cc, "public") {
			t.Errorf("Cache-Control %q, want public with s-maxage=60 (DUKAAN_EDGE_TTL)", cc)
		}
		log := s.edges[0].AccessLog(t)
		if !strings.Contains(log, "host="+host+` method=GET uri="/" status=200`) || !strings.Contains(log, "cache=HIT") {
			t.Errorf("access log lacks the HIT:\n%s", log)
		}
	})

	t.Run("App", func(t *testing.T) {
		ca, cb := a.newClient(), b.newClient()
		r1 := ca.get(t, host, detail)
		wantTiers(t, r1, http.StatusOK, "", "MISS")
		r2 := ca.get(t, host, detail)
		wantTiers(t, r2, http.StatusOK, "", "HIT-LOCAL")
		// Replica B has never seen the page: Redis has it.
		r3 := cb.get(t, host, detail)
		wantTiers(t, r3, http.StatusOK, "", "HIT-REDIS")
		r4 := cb.get(t, host, detail)
		wantTiers(t, r4, http.StatusOK, "", "HIT-LOCAL")
		for _, r := range []*response{r2, r3, r4} {
			if !bytes.Equal(r.body, r1.body) {
				t.Errorf("%s (%s) differs from the rendered page", r, appCache(r))
			}
			if r.header.Get("ETag") != r1.header.Get("ETag") {
				t.Errorf("%s: ETag %q, want %q", r, r.header.Get("ETag"), r1.header.Get("ETag"))
			}
		}
		if got := text(r1.doc.Find(".product-title")); got != p.Name {
			t.Errorf("product page title %q, want %q", got, p.Name)
		}
	})

	t.Run("ETag", func(t *testing.T) {
		for _, via := range []*testApp{a, s.via[0]} {
			c := via.newClient()
			r := c.get(t, host, "/")
			etag := r.header.Get("ETag")
			// This client takes no gzip: through the edge, which keeps the
			// app's gzip variant and gunzips it, nginx weakens the tag.
			if strong := strings.HasPrefix(etag, `"`); !strong && (via == a || !strings.HasPrefix(etag, `W/"`)) {
				t.Fatalf("%s: ETag %q, want a strong validator (weak only from the edge's gunzip)", r, etag)
			}
			nm := c.send(t, http.MethodGet, host, "/", nil, http.Header{"If-None-Match": {etag}})
			if nm.status != http.StatusNotModified || len(nm.body) != 0 {
				t.Errorf("%s on %s with If-None-Match %s: %d with %d bytes, want 304 and no body", nm, via.addr, etag, nm.status, len(nm.body))
			}
			other := c.send(t, http.MethodGet, host, "/", nil, http.Header{"If-None-Match": {`"not-this-one"`}})
			wantStatus(t, other, http.StatusOK)
		}
	})

	// A purged page asked for by many at once is rendered once per replica:
	// the rest wait for that render (singleflight) or find its result.
	storm := func(t *testing.T, apps []*testApp, n int) {
		t.Helper()
		var (
			wg     sync.WaitGroup
			mu     sync.Mutex
			bodies = map[string]int{}
			start  = make(chan struct{})
		)
		for i := range n {
			wg.Go(func() {
				<-start
				status, _, body, err := cacheRaw(apps[i%len(apps)], host, "/")
				mu.Lock()
				defer mu.Unlock()
				switch {
				case err != nil:
					bodies["error: "+err.Error()]++
				case status != http.StatusOK:
					bodies[fmt.Sprintf("status %d", status)]++
				default:
					bodies[string(body)]++
				}
			})
		}
		close(start)
		wg.Wait()
		if len(bodies) != 1 {
			for k, c := range bodies {
				t.Errorf("%d answers: %.80q", c, k)
			}
			t.Fatalf("%d concurrent GETs got %d different answers, want one page", n, len(bodies))
		}
	}
	purge := func(t *testing.T) {
		t.Helper()
		wantStatus(t, cachePurge(t, a, host, "/", purgeToken), http.StatusOK)
		time.Sleep(repurgeWait) // let the second pass go by too
	}

	t.Run("StampedeOneReplica", func(t *testing.T) {
		purge(t)
		before := a.main.Pages.Stats().Renders
		storm(t, []*testApp{a}, 100)
		if d := a.main.Pages.Stats().Renders - before; d != 1 {
			t.Errorf("100 concurrent GETs of a purged page: %d renders, want 1", d)
		}
	})

	t.Run("StampedeTwoReplicas", func(t *testing.T) {
		purge(t)
		ba, bb := a.main.Pages.Stats().Renders, b.main.Pages.Stats().Renders
		storm(t, []*testApp{a, b}, 100)
		da, db := a.main.Pages.Stats().Renders-ba, b.main.Pages.Stats().Renders-bb
		t.Logf("renders: replica A %d, replica B %d", da, db)
		// Each replica renders at most once; B renders nothing when A's
		// page reached Redis before B looked.
		if da > 1 || db > 1 || da+db < 1 {
			t.Errorf("100 concurrent GETs over two replicas: %d + %d renders, want at most one per replica", da, db)
		}
	})
}

// TestCacheProductEvents: after each product event the very next GET
// through the edge shows the change, and the page is cached again.
func TestCacheProductEvents(t *testing.T) {
	t.Parallel()
	s := cacheStart(t, cacheOpts{edges: 1})
	via := s.via[0]
	// The vendor works through the edge too: the admin host passes it.
	v := via.signup(t, "events-shop")
	tea := v.addProduct(t, "Assam Tea", "300", "250", 10, true)
	kettle := v.addProduct(t, "Brass Kettle", "1,200", "999", 1, true)
	shop := via.newClient()
	teaPage, kettlePage := fmt.Sprintf("/p/%d", tea), fmt.Sprintf("/p/%d", kettle)

	lastEvent := time.Now() // the products' creation
	// warm caches path at the edge, after the last event's second purge.
	warm := func(t *testing.T, paths ...string) {
		t.Helper()
		if d := time.Until(lastEvent.Add(repurgeWait)); d > 0 {
			time.Sleep(d)
		}
		settlePurgeJobs(t, s.apps[0])
		for _, path := range paths {
			shop.get(t, v.shop(), path)
			wantTiers(t, shop.get(t, v.shop(), path), http.StatusOK, "HIT", "")
		}
	}
	event := func(t *testing.T, r *response, location string) {
		t.Helper()
		wantRedirect(t, r, location)
		lastEvent = time.Now()
	}
	// after checks a page twice right after an event: first from the
	// origin (no tier may answer with the old page), then from the edge.
	after := func(t *testing.T, path string, status int, check func(t *testing.T, r *response)) {
		t.Helper()
		r := shop.get(t, v.shop(), path)
		if edgeCache(r) == "HIT" || edgeCache(r) == "STALE" {
			t.Errorf("%s right after the event: X-Cache-Status %s (the edge was not purged)", r, edgeCache(r))
		}
		if status == http.StatusOK && appCache(r) != "MISS" {
			t.Errorf("%s right after the event: X-App-Cache %q, want MISS (the app tier was not purged)", r, appCache(r))
		}
		wantStatus(t, r, status)
		check(t, r)
		// The change's purge job may drop the page once more: after it,
		// the page is cached again and the second read is the edge's.
		settlePurgeJobs(t, s.apps[0])
		shop.get(t, v.shop(), path)
		again := shop.get(t, v.shop(), path)
		wantStatus(t, again, status)
		switch {
		case status == http.StatusOK && edgeCache(again) != "HIT":
			t.Errorf("%s second time: X-Cache-Status %q, want HIT", again, edgeCache(again))
		case status != http.StatusOK && edgeCache(again) == "HIT":
			t.Errorf("%s: a %d was stored at the edge", again, status)
		}
		check(t, again)
	}
	price := func(id int64, want string) func(*testing.T, *response) {
		return func(t *testing.T, r *response) {
			t.Helper()
			if got := cachePrice(r, id); got != want {
				t.Errorf("%s (%s): price of %d = %q, want %q", r, edgeCache(r), id, got, want)
			}
		}
	}
	listed := func(id int64, want bool) func(*testing.T, *response) {
		return func(t *testing.T, r *response) {
			t.Helper()
			if got := slices.Contains(shopProductIDs(r.doc), id); got != want {
				t.Errorf("%s (%s): product %d listed = %v, want %v (listed: %v)", r, edgeCache(r), id, got, want, shopProductIDs(r.doc))
			}
		}
	}
	soldOut := func(id int64, want bool) func(*testing.T, *response) {
		return func(t *testing.T, r *response) {
			t.Helper()
			if got := cacheSoldOut(r, id); got != want {
				t.Errorf("%s (%s): product %d sold out = %v, want %v", r, edgeCache(r), id, got, want)
			}
		}
	}
	none := func(*testing.T, *response) {}
	edit := fmt.Sprintf("/products/%d/edit", tea)

	t.Run("PriceEdit", func(t *testing.T) {
		warm(t, "/", teaPage)
		f := v.productForm(t, tea)
		f.Set("price", "199")
		event(t, v.c.submit(t, edit, edit, f), "/products")
		after(t, "/", http.StatusOK, price(tea, "₹199"))
		after(t, teaPage, http.StatusOK, price(tea, "₹199"))
	})

	t.Run("Hide", func(t *testing.T) {
		warm(t, "/", teaPage)
		event(t, v.c.submit(t, "/products", fmt.Sprintf("/products/%d/availability", tea), url.Values{"available": {"false"}}), "/products")
		after(t, "/", http.StatusOK, listed(tea, false))
		after(t, teaPage, http.StatusNotFound, none)
	})

	t.Run("Show", func(t *testing.T) {
		warm(t, "/")
		event(t, v.c.submit(t, "/products", fmt.Sprintf("/products/%d/availability", tea), url.Values{"available": {"true"}}), "/products")
		after(t, "/", http.StatusOK, listed(tea, true))
		after(t, teaPage, http.StatusOK, price(tea, "₹199"))
	})

	var orderToken string
	t.Run("SellOut", func(t *testing.T) {
		warm(t, "/", kettlePage)
		soldOut(kettle, false)(t, shop.get(t, v.shop(), kettlePage))
		// The last kettle: the order sells it out.
		orderToken = order(t, shop, v.store, map[int64]int{kettle: 1})
		lastEvent = time.Now()
		after(t, "/", http.StatusOK, soldOut(kettle, true))
		after(t, kettlePage, http.StatusOK, soldOut(kettle, true))
	})

	t.Run("CancelRestocks", func(t *testing.T) {
		if orderToken == "" {
			t.Skip("no order")
		}
		warm(t, "/", kettlePage)
		ids := v.orderIDs(t, "?status=pending")
		if len(ids) != 1 {
			t.Fatalf("pending orders %v, want the one placed", ids)
		}
		event(t, v.setStatus(t, ids[0], "cancelled"), fmt.Sprintf("/orders/%d", ids[0]))
		after(t, "/", http.StatusOK, soldOut(kettle, false))
		after(t, kettlePage, http.StatusOK, soldOut(kettle, false))
	})

	t.Run("Delete", func(t *testing.T) {
		warm(t, "/", teaPage)
		event(t, v.c.submit(t, "/products", fmt.Sprintf("/products/%d/delete", tea), url.Values{}), "/products")
		after(t, "/", http.StatusOK, listed(tea, false))
		after(t, teaPage, http.StatusNotFound, none)
	})
}

// TestCacheReplicas: an edit on one replica reaches the other replica's
// memory and every edge before the vendor's redirect.
func TestCacheReplicas(t *testing.T) {
	t.Parallel()
	s := cacheStart(t, cacheOpts{replicas: 2, edges: 2})
	a, b := s.apps[0], s.apps[1]
	v := a.signup(t, "replica-shop") // the console of replica A, directly
	ghee := v.addProduct(t, "Desi Ghee", "600", "550", 20, true)
	host, detail := v.shop(), fmt.Sprintf("/p/%d", ghee)
	edges := []*client{s.via[0].newClient(), s.via[1].newClient()}
	direct := []*client{a.newClient(), b.newClient()}
	time.Sleep(repurgeWait) // the products' creation purged the store
	settlePurgeJobs(t, a)   // and the purge jobs of what came before

	// Warm all four tiers: each edge, each replica's memory (and Redis).
	for _, path := range []string{"/", detail} {
		for i, c := range edges {
			c.get(t, host, path)
			r := c.get(t, host, path)
			wantTiers(t, r, http.StatusOK, "HIT", "")
			if got := cachePrice(r, ghee); got != "₹550" {
				t.Fatalf("edge %d %s: price %q, want ₹550", i, path, got)
			}
		}
		for _, c := range direct {
			c.get(t, host, path)
			wantTiers(t, c.get(t, host, path), http.StatusOK, "", "HIT-LOCAL")
		}
	}

	f := v.productForm(t, ghee)
	f.Set("price", "499")
	edit := fmt.Sprintf("/products/%d/edit", ghee)
	wantRedirect(t, v.c.submit(t, edit, edit, f), "/products")

	for _, path := range []string{"/", detail} {
		// Replica B held the page in memory; only A's broadcast can tell it.
		r := direct[1].get(t, host, path)
		if got := cachePrice(r, ghee); got != "₹499" || appCache(r) != "MISS" {
			t.Errorf("replica B %s after the edit on A: price %q (%s), want ₹499 (MISS); %s",
				path, got, appCache(r), cacheWhenFresh(t, direct[1], host, path, ghee, "₹499"))
		}
		r = direct[0].get(t, host, path)
		if got := cachePrice(r, ghee); got != "₹499" {
			t.Errorf("replica A %s after its own edit: price %q (%s), want ₹499", path, got, appCache(r))
		}
		for i, c := range edges {
			r := c.get(t, host, path)
			if edgeCache(r) == "HIT" || cachePrice(r, ghee) != "₹499" {
				t.Errorf("edge %d %s after the edit: %s with price %q, want a fresh ₹499", i, path, edgeCache(r), cachePrice(r, ghee))
			}
			r = c.get(t, host, path)
			wantTiers(t, r, http.StatusOK, "HIT", "")
			if got := cachePrice(r, ghee); got != "₹499" {
				t.Errorf("edge %d %s HIT: price %q, want ₹499", i, path, got)
			}
		}
	}
}

// TestCacheIsolation: the edge keys pages by host, and never stores the
// console or a response that sets a cookie.
func TestCacheIsolation(t *testing.T) {
	t.Parallel()
	s := cacheStart(t, cacheOpts{edges: 1}) // no DUKAAN_PURGE_TOKEN
	a, e := s.apps[0], s.edges[0]
	stores := []*app.Vendor{cacheVendor(t, a, "iso-one"), cacheVendor(t, a, "iso-two")}
	names := []string{"Mango Pickle", "Lime Pickle"}
	for i, st := range stores {
		cacheProduct(t, a, st.ID, names[i], 19900, 5)
	}
	time.Sleep(repurgeWait)
	settlePurgeJobs(t, a) // and the purge jobs of what came before
	c := s.via[0].newClient()

	t.Run("HostInKey", func(t *testing.T) {
		for round, want := range []string{"MISS", "HIT"} {
			for i, st := range stores {
				r := c.get(t, shopHost(st.Slug), "/")
				wantTiers(t, r, http.StatusOK, want, "")
				if got := text(r.doc.Find("h1").First()); got != st.Name {
					t.Errorf("round %d %s: h1 %q, want %q", round+1, r, got, st.Name)
				}
				if got := text(r.doc.Find(".product-name")); got != names[i] {
					t.Errorf("round %d %s: products %q, want only %q", round+1, r, got, names[i])
				}
			}
		}
	})

	t.Run("AdminNeverCached", func(t *testing.T) {
		before := e.CacheFiles(t)
		for i := range 2 {
			// A new browser each time: GET /login sets the CSRF cookie, and
			// a successful login sets the session cookie.
			b := s.via[0].newClient()
			login := b.get(t, adminHost, "/login")
			wantTiers(t, login, http.StatusOK, "BYPASS", "")
			if b.cookie(adminHost, "dukaan_csrf") == nil {
				t.Errorf("GET /login set no dukaan_csrf cookie: %q", login.header.Values("Set-Cookie"))
			}
			r := b.postForm(t, adminHost, "/login", url.Values{
				"email": {stores[0].Email}, "password": {"password123"}, "csrf_token": {csrfToken(t, login)},
			})
			wantRedirect(t, r, "/products")
			if edgeCache(r) == "HIT" || r.header.Get("Set-Cookie") == "" {
				t.Errorf("login %d: X-Cache-Status %q, Set-Cookie %q; want a fresh response setting the session", i+1, edgeCache(r), r.header.Get("Set-Cookie"))
			}
			products := b.get(t, adminHost, "/products")
			wantTiers(t, products, http.StatusOK, "BYPASS", "")
			if cc := products.header.Get("Cache-Control"); !strings.Contains(cc, "no-store") {
				t.Errorf("%s: Cache-Control %q, want private, no-store", products, cc)
			}
		}
		time.Sleep(100 * time.Millisecond) // a stored response would be on disk by now
		if after := e.CacheFiles(t); after != before {
			t.Errorf("cache files: %d before the console requests, %d after", before, after)
		}
		// GETs bypass the cache; POSTs are not cacheable at all (cache=-).
		for _, line := range strings.Split(e.AccessLog(t), "\n") {
			if !strings.Contains(line, "host="+adminHost) {
				continue
			}
			if strings.Contains(line, "method=GET") && !strings.Contains(line, "cache=BYPASS") ||
				strings.Contains(line, "cache=HIT") || strings.Contains(line, "cache=STALE") {
				t.Errorf("console request answered or kept by the cache: %s", line)
			}
		}
	})

	t.Run("OpsPurgeDisabled", func(t *testing.T) {
		for _, token := range []string{"", purgeToken} {
			r := cachePurge(t, a, shopHost(stores[0].Slug), "/", token)
			wantStatus(t, r, http.StatusMethodNotAllowed)
			if r.header.Get("Allow") == "" {
				t.Errorf("%s: 405 without Allow", r)
			}
		}
		wantTiers(t, c.get(t, shopHost(stores[0].Slug), "/"), http.StatusOK, "HIT", "")
	})
}

// TestCachePurge: ops PURGE on the app (token), PURGE at the edge.
func TestCachePurge(t *testing.T) {
	t.Parallel()
	s := cacheStart(t, cacheOpts{edges: 1, env: map[string]string{"DUKAAN_PURGE_TOKEN": purgeToken}})
	a := s.apps[0]
	v := cacheVendor(t, a, "purge-shop")
	p := cacheProduct(t, a, v.ID, "Kashmiri Saffron", 49900, 8)
	host, detail := shopHost(v.Slug), fmt.Sprintf("/p/%d", p.ID)
	edge, direct := s.via[0].newClient(), a.newClient()
	lastPurge := time.Now()

	warm := func(t *testing.T) {
		t.Helper()
		if d := time.Until(lastPurge.Add(repurgeWait)); d > 0 {
			time.Sleep(d)
		}
		for _, path := range []string{"/", detail} {
			edge.get(t, host, path)
			wantTiers(t, edge.get(t, host, path), http.StatusOK, "HIT", "")
			direct.get(t, host, path)
			wantTiers(t, direct.get(t, host, path), http.StatusOK, "", "HIT-LOCAL")
		}
	}
	purge := func(t *testing.T, path string) {
		t.Helper()
		r := cachePurge(t, a, host, path, purgeToken)
		wantStatus(t, r, http.StatusOK)
		lastPurge = time.Now()
		if cc := r.header.Get("Cache-Control"); cc != "no-store" {
			t.Errorf("%s: Cache-Control %q, want no-store", r, cc)
		}
	}

	t.Run("Unauthorized", func(t *testing.T) {
		warm(t)
		for _, token := range []string{"", "not-the-token-0123456789"} {
			r := cachePurge(t, a, host, detail, token)
			wantStatus(t, r, http.StatusUnauthorized)
			if !strings.HasPrefix(r.header.Get("WWW-Authenticate"), "Bearer") {
				t.Errorf("%s: WWW-Authenticate %q, want Bearer", r, r.header.Get("WWW-Authenticate"))
			}
		}
		// Nothing was purged.
		wantTiers(t, direct.get(t, host, detail), http.StatusOK, "", "HIT-LOCAL")
		wantTiers(t, edge.get(t, host, detail), http.StatusOK, "HIT", "")
	})

	t.Run("OnePage", func(t *testing.T) {
		warm(t)
		purge(t, detail)
		wantTiers(t, direct.get(t, host, detail), http.StatusOK, "", "MISS")
		wantTiers(t, edge.get(t, host, detail), http.StatusOK, "MISS", "")
		// The other page is untouched.
		wantTiers(t, direct.get(t, host, "/"), http.StatusOK, "", "HIT-LOCAL")
		wantTiers(t, edge.get(t, host, "/"), http.StatusOK, "HIT", "")
	})

	t.Run("WholeStore", func(t *testing.T) {
		warm(t)
		purge(t, "/*")
		for _, path := range []string{"/", detail} {
			wantTiers(t, direct.get(t, host, path), http.StatusOK, "", "MISS")
			// The direct GET refilled the app; the edge's copy is gone too.
			wantTiers(t, edge.get(t, host, path), http.StatusOK, "MISS", "HIT-LOCAL")
		}
	})

	t.Run("AtTheEdge", func(t *testing.T) {
		warm(t)
		for _, want := range []int{http.StatusOK, http.StatusNotFound} {
			r := edge.send(t, "PURGE", host, detail, nil, nil)
			if r.status != want {
				t.Errorf("PURGE %s%s at the edge from loopback: %d, want %d", host, detail, r.status, want)
			}
		}
		wantTiers(t, edge.get(t, host, detail), http.StatusOK, "MISS", "HIT-LOCAL")
	})

	t.Run("EdgeConfig", func(t *testing.T) {
		// Loopback may always PURGE the edge (the template allows
		// 127.0.0.0/8 and ::1); anything else is denied unless listed.
		conf := s.edges[0].Config(t)
		m := regexp.MustCompile(`(?s)location = /\.edge-purge \{(.*?)\}`).FindStringSubmatch(conf)
		if m == nil {
			t.Fatalf("no purge location in nginx.conf:\n%s", conf)
		}
		loc := m[1]
		i, j := strings.Index(loc, "allow 127.0.0.0/8;"), strings.Index(loc, "deny all;")
		if i < 0 || j < i || strings.Contains(loc[j:], "allow ") {
			t.Errorf("purge location: want the allow lines, then deny all, and no allow after it:\n%s", loc)
		}
	})
}

// TestCacheRedisDown: without Redis the shop still serves and takes
// orders; when Redis is back, caching and the purge broadcast resume.
func TestCacheRedisDown(t *testing.T) {
	t.Parallel()
	s := cacheStart(t, cacheOpts{replicas: 2})
	a, b := s.apps[0], s.apps[1]
	v := cacheVendor(t, a, "redis-down")
	dal := cacheProduct(t, a, v.ID, "Toor Dal", 16000, 50)
	rice := cacheProduct(t, a, v.ID, "Sona Masoori", 7500, 50)
	host := shopHost(v.Slug)
	ca, cb := a.newClient(), b.newClient()
	dalPage, ricePage := fmt.Sprintf("/p/%d", dal.ID), fmt.Sprintf("/p/%d", rice.ID)
	time.Sleep(repurgeWait)
	settlePurgeJobs(t, a) // and the purge jobs of what came before

	wantTiers(t, ca.get(t, host, dalPage), http.StatusOK, "", "MISS")
	wantTiers(t, cb.get(t, host, dalPage), http.StatusOK, "", "HIT-REDIS")

	// Purges fail while Redis is away, and storage logs that at ERROR.
	cacheAllowErrors(a)
	cacheAllowErrors(b)
	s.redis.Kill(t)

	t.Run("Down", func(t *testing.T) {
		r := ca.get(t, host, ricePage)
		wantTiers(t, r, http.StatusOK, "", "MISS")
		if got := cachePrice(r, rice.ID); got != "₹75" {
			t.Errorf("%s: price %q, want ₹75 from the database", r, got)
		}
		wantStatus(t, cb.get(t, host, "/"), http.StatusOK)
		wantStatus(t, ca.get(t, host, "/?redis=down"), http.StatusOK)
		tok := order(t, ca, v.Slug, map[int64]int{rice.ID: 2})
		conf := ca.get(t, host, "/orders/"+tok)
		wantStatus(t, conf, http.StatusOK)
	})

	s.redis.Start(t)

	t.Run("Back", func(t *testing.T) {
		// Caching resumes: a page rendered on A is found in Redis by B.
		// Each try uses a product page neither replica has seen (pages are
		// cached under canonical URIs, so query strings would not do).
		deadline := time.Now().Add(5 * time.Second)
		for i := 0; ; i++ {
			fresh := cacheProduct(t, a, v.ID, fmt.Sprintf("Back %d", i), 1000, 5)
			path := fmt.Sprintf("/p/%d", fresh.ID)
			ca.get(t, host, path)
			if r := cb.get(t, host, path); appCache(r) == "HIT-REDIS" {
				t.Logf("Redis used again after %d tries", i+1)
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("5 s after Redis came back, B still does not find A's pages there")
			}
			time.Sleep(200 * time.Millisecond)
		}
		wantTiers(t, cb.get(t, host, ricePage), http.StatusOK, "", "")
		wantTiers(t, cb.get(t, host, ricePage), http.StatusOK, "", "HIT-LOCAL")

		// And so does the broadcast: B drops its copy when A changes the
		// product (the pub/sub subscription was re-established).
		if _, err := a.main.DB.UpdateProduct(context.Background(), v.ID, rice.ID, app.ProductInput{
			Name: rice.Name, Description: rice.Description, MRP: 8000, Price: 6900, Stock: 48, Available: true,
		}); err != nil {
			t.Fatal(err)
		}
		// The broadcast is applied asynchronously (see TestCacheReplicas);
		// without it B would keep its copy for DUKAAN_LOCAL_TTL (5 s).
		start := time.Now()
		for {
			r := cb.get(t, host, ricePage)
			if cachePrice(r, rice.ID) == "₹69" {
				t.Logf("replica B fresh %s after the edit on A", time.Since(start).Round(time.Millisecond))
				break
			}
			if time.Since(start) > time.Second {
				t.Fatalf("replica B still shows %q (%s) 1 s after an edit on A: the purge broadcast is lost since Redis restarted",
					cachePrice(r, rice.ID), appCache(r))
			}
			time.Sleep(5 * time.Millisecond)
		}
	})
}

// TestCacheRedisPartition: a product event while the replicas cannot reach
// Redis, which keeps its data, must not leave the old page in any tier.
// The event's purge cannot read the tag index then, so it purges nothing.
func TestCacheRedisPartition(t *testing.T) {
	t.Parallel()
	s := cacheStart(t, cacheOpts{edges: 1, redisProxy: true, env: map[string]string{"DUKAAN_LOCAL_TTL": "1s"}})
	a := s.apps[0]
	v := cacheVendor(t, a, "partition-shop")
	kettle := cacheProduct(t, a, v.ID, "Copper Kettle", 149900, 1)
	host, detail := shopHost(v.Slug), fmt.Sprintf("/p/%d", kettle.ID)
	edge, direct := s.via[0].newClient(), a.newClient()
	time.Sleep(repurgeWait)
	settlePurgeJobs(t, a) // and the purge jobs of what came before

	edge.get(t, host, detail)
	wantTiers(t, edge.get(t, host, detail), http.StatusOK, "HIT", "")
	wantTiers(t, direct.get(t, host, detail), http.StatusOK, "", "HIT-LOCAL")

	cacheAllowErrors(a)
	s.proxy.setDown(true)
	order(t, direct, v.Slug, map[int64]int{kettle.ID: 1}) // the last one: sold out

	check := func(t *testing.T, c *client, where string) {
		t.Helper()
		r := c.get(t, host, detail)
		if !cacheSoldOut(r, kettle.ID) {
			t.Errorf("%s %s after the sell-out: not sold out (X-Cache-Status %q, X-App-Cache %q)", where, r, edgeCache(r), appCache(r))
		}
	}
	t.Run("DuringOutage", func(t *testing.T) {
		check(t, direct, "replica")
		check(t, edge, "edge")
	})

	// An outage longer than the purge's second pass (1 s later): the
	// second pass fails as well.
	time.Sleep(repurgeWait)
	s.proxy.setDown(false)
	time.Sleep(2500 * time.Millisecond) // past DUKAAN_LOCAL_TTL and the 1 s Redis back-off

	t.Run("AfterOutage", func(t *testing.T) {
		check(t, direct, "replica")
		check(t, edge, "edge")
	})
}

// TestCacheOriginDown: with every replica gone the edge still answers the
// pages it has, expired or not, and a gateway error for the others.
func TestCacheOriginDown(t *testing.T) {
	t.Parallel()
	s := cacheStart(t, cacheOpts{edges: 1, env: map[string]string{"DUKAAN_EDGE_TTL": "1s"}})
	a := s.apps[0]
	v := cacheVendor(t, a, "origin-down")
	p := cacheProduct(t, a, v.ID, "Darjeeling Tea", 35000, 10)
	host := shopHost(v.Slug)
	c := s.via[0].newClient()
	time.Sleep(repurgeWait)
	settlePurgeJobs(t, a) // and the purge jobs of what came before

	wantTiers(t, c.get(t, host, "/"), http.StatusOK, "MISS", "")
	stored := time.Now()
	warm := c.get(t, host, "/")
	wantTiers(t, warm, http.StatusOK, "HIT", "")
	if cc := warm.header.Get("Cache-Control"); !strings.Contains(cc, "s-maxage=1") {
		t.Fatalf("Cache-Control %q, want s-maxage=1 (DUKAAN_EDGE_TTL=1s)", cc)
	}

	if err := a.main.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	cachePastEdgeTTL(stored, time.Second)

	r := c.get(t, host, "/")
	wantTiers(t, r, http.StatusOK, "STALE", "")
	if got := cachePrice(r, p.ID); got != "₹350" || !bytes.Equal(r.body, warm.body) {
		t.Errorf("%s with the origin down: price %q, want the cached page (₹350)", r, got)
	}
	never := c.get(t, host, "/p/424242")
	if never.status != http.StatusBadGateway && never.status != http.StatusGatewayTimeout {
		t.Errorf("%s (never cached) with the origin down: %d, want 502 or 504", never, never.status)
	}
}

// TestCachePurgeJobSettled: after a console edit whose fast purge
// succeeded, the edit's purge job only repeats the edge step. The page the
// customer reads right after the redirect is rendered once and then stays
// cached in the app's tiers through the job: no second render, and no
// answer made no-store because the job's purge overtook its render.
func TestCachePurgeJobSettled(t *testing.T) {
	t.Parallel()
	s := cacheStart(t, cacheOpts{edges: 1})
	via, a := s.via[0], s.apps[0]
	v := via.signup(t, "settled-shop")
	tea := v.addProduct(t, "Assam Tea", "300", "250", 10, true)
	settlePurgeJobs(t, a)
	shop := via.newClient()
	page := fmt.Sprintf("/p/%d", tea)
	shop.get(t, v.shop(), page)

	edit := fmt.Sprintf("/products/%d/edit", tea)
	f := v.productForm(t, tea)
	f.Set("price", "199")
	wantRedirect(t, v.c.submit(t, edit, edit, f), "/products")
	before := a.main.Pages.Stats().Renders
	r := shop.get(t, v.shop(), page)
	wantStatus(t, r, http.StatusOK)
	if got := cachePrice(r, tea); got != "₹199" {
		t.Fatalf("%s right after the edit: price %q, want ₹199", r, got)
	}
	// Read the page straight from the app (past the edge) until the job is
	// done: every answer comes from an app tier after the one render.
	deadline := time.Now().Add(10 * time.Second)
	for reads := 0; ; reads++ {
		_, h, _, err := cacheRaw(a, v.shop(), page)
		if err != nil {
			t.Fatal(err)
		}
		if cc := h.Get("Cache-Control"); strings.Contains(cc, "no-store") {
			t.Fatalf("read %d while the purge job ran: Cache-Control %q (a purge overtook the render)", reads, cc)
		}
		var n int
		if err := a.main.DB.Bun().DB.QueryRowContext(t.Context(),
			"SELECT count(*) FROM river_job WHERE kind = 'purge' AND state NOT IN ('completed', 'discarded', 'cancelled')").Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n == 0 && reads > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d purge jobs still to run after 10 s", n)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if d := a.main.Pages.Stats().Renders - before; d != 1 {
		t.Errorf("the edited page was rendered %d times from the edit to its purge job's end, want 1", d)
	}
	again := shop.get(t, v.shop(), page)
	shop.get(t, v.shop(), page)
	if got := cachePrice(again, tea); got != "₹199" {
		t.Errorf("%s after the job: price %q, want ₹199", again, got)
	}
}
