package main

// End-to-end tests of categories, the shop's head tags, the sitemap and
// robots.txt (issue 15), through real HTTP on SQLite and PostgreSQL, and
// the category pages' caching with Redis and two replicas.

import (
	"encoding/json"
	"encoding/xml"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"dukaan/storage/storagetest"
)

// categoryIDs maps the console's category names to their ids, in order.
func (v *vendor) categories(tb testing.TB) (names []string, ids map[string]int64) {
	tb.Helper()
	r := v.c.get(tb, adminHost, "/categories")
	wantStatus(tb, r, http.StatusOK)
	wantHeader(tb, r, "Cache-Control", "private, no-store")
	ids = map[string]int64{}
	r.doc.Find("form.category-rename").Each(func(_ int, f *goquery.Selection) {
		action, _ := f.Attr("action")
		name, _ := f.Find("input[name=name]").Attr("value")
		var id int64
		fmt.Sscanf(action, "/categories/%d/rename", &id)
		names = append(names, name)
		ids[name] = id
	})
	return names, ids
}

func (v *vendor) addCategory(tb testing.TB, name string) int64 {
	tb.Helper()
	wantRedirect(tb, v.c.submit(tb, "/categories", "/categories/new", url.Values{"name": {name}}), "/categories")
	_, ids := v.categories(tb)
	if ids[name] == 0 {
		tb.Fatalf("category %q not listed after adding it", name)
	}
	return ids[name]
}

// setCategory saves the product's edit form with another category.
func (v *vendor) setCategory(tb testing.TB, product, category int64) *response {
	tb.Helper()
	f := v.productForm(tb, product)
	f.Set("category_id", fmt.Sprint(category))
	return v.c.submit(tb, "/products", fmt.Sprintf("/products/%d/edit", product), f)
}

type sitemapFile struct {
	URLs []struct {
		Loc     string `xml:"loc"`
		LastMod string `xml:"lastmod"`
	} `xml:"url"`
}

func sitemapLocs(tb testing.TB, r *response) []string {
	tb.Helper()
	wantStatus(tb, r, http.StatusOK)
	wantHeader(tb, r, "Content-Type", "application/xml; charset=utf-8")
	var sm sitemapFile
	if err := xml.Unmarshal(r.body, &sm); err != nil {
		tb.Fatalf("sitemap %q: %v", r.body, err)
	}
	var out []string
	for _, u := range sm.URLs {
		if u.Loc == "" {
			tb.Errorf("sitemap entry without loc: %+v", u)
		}
		out = append(out, u.Loc)
	}
	return out
}

// availability is the product page's JSON-LD offer availability.
func availability(tb testing.TB, r *response) string {
	tb.Helper()
	var ld struct {
		Offers struct {
			Availability string `json:"availability"`
		} `json:"offers"`
	}
	s := r.doc.Find(`script[type="application/ld+json"]`)
	if s.Length() != 1 {
		tb.Fatalf("%s: %d JSON-LD scripts", r, s.Length())
	}
	if err := json.Unmarshal([]byte(s.Text()), &ld); err != nil {
		tb.Fatalf("%s: JSON-LD: %v", r, err)
	}
	return ld.Offers.Availability
}

func TestCatalogue(t *testing.T) {
	t.Parallel()
	for _, dialect := range storagetest.Dialects() {
		t.Run(dialect, func(t *testing.T) {
			t.Parallel()
			a := startApp(t, dialect, nil)
			v := a.signup(t, "cat-"+dialect)
			other := a.signup(t, "other-"+dialect)
			shop := a.newClient()
			base := "http://" + v.shop() + ":" + a.port

			sweets := v.addCategory(t, "Sweets")
			namkeen := v.addCategory(t, "Namkeen")
			hindi := v.addCategory(t, "मिठाई")
			theirs := other.addCategory(t, "Theirs")

			// Bad input: the list again, with the message and the typed
			// value, and nothing added.
			r := v.c.submit(t, "/categories", "/categories/new", url.Values{"name": {strings.Repeat("x", 61)}})
			wantStatus(t, r, http.StatusUnprocessableEntity)
			if got, _ := r.doc.Find(`form[action="/categories/new"] input[name=name]`).Attr("value"); got != strings.Repeat("x", 61) {
				t.Errorf("typed name not kept: %q", got)
			}
			if fieldError(r.doc, "name") == "" {
				t.Errorf("no message on the name field")
			}
			r = v.c.submit(t, "/categories", fmt.Sprintf("/categories/%d/rename", namkeen), url.Values{"name": {"  "}})
			wantStatus(t, r, http.StatusUnprocessableEntity)
			if names, _ := v.categories(t); !slices.Equal(names, []string{"Sweets", "Namkeen", "मिठाई"}) {
				t.Fatalf("categories = %q", names)
			}
			// Another vendor's category is 404 for every action.
			for _, action := range []string{"rename", "move", "delete"} {
				r := v.c.submit(t, "/categories", fmt.Sprintf("/categories/%d/%s", theirs, action), url.Values{"name": {"Mine"}, "dir": {"up"}})
				wantStatus(t, r, http.StatusNotFound)
			}
			// No CSRF token: refused.
			wantStatus(t, v.c.postForm(t, adminHost, "/categories/new", url.Values{"name": {"Forged"}}), http.StatusForbidden)

			// Rename, move, and their effect on the shop's row.
			wantRedirect(t, v.c.submit(t, "/categories", fmt.Sprintf("/categories/%d/rename", namkeen), url.Values{"name": {"Namkeen & Snacks"}}), "/categories")
			wantRedirect(t, v.c.submit(t, "/categories", fmt.Sprintf("/categories/%d/move", hindi), url.Values{"dir": {"up"}}), "/categories")
			if names, _ := v.categories(t); !slices.Equal(names, []string{"Sweets", "मिठाई", "Namkeen & Snacks"}) {
				t.Fatalf("after rename and move: %q", names)
			}

			// Products with categories; a forged id keeps the typed form.
			laddoo := v.addProduct(t, "Laddoo", "200", "180", 5, true)
			mathri := v.addProduct(t, "Mathri", "100", "90", 1, true)
			hidden := v.addProduct(t, "Hidden barfi", "100", "90", 5, true)
			wantRedirect(t, v.setCategory(t, laddoo, sweets), "/products")
			wantRedirect(t, v.setCategory(t, mathri, namkeen), "/products")
			wantRedirect(t, v.setCategory(t, hidden, sweets), "/products")
			f := v.productForm(t, laddoo)
			if f.Get("category_id") != fmt.Sprint(sweets) {
				t.Fatalf("edit form's category = %q, want %d", f.Get("category_id"), sweets)
			}
			// A tool that does not know categories leaves the category.
			old := cloneValues(f)
			old.Del("category_id")
			old.Set("description", "Edited without a category field")
			wantRedirect(t, v.c.submit(t, "/products", fmt.Sprintf("/products/%d/edit", laddoo), old), "/products")
			if got := v.productForm(t, laddoo).Get("category_id"); got != fmt.Sprint(sweets) {
				t.Fatalf("an edit without category_id changed the category to %q", got)
			}
			f.Set("category_id", fmt.Sprint(theirs))
			f.Set("name", "Laddoo typed")
			r = v.c.submit(t, "/products", fmt.Sprintf("/products/%d/edit", laddoo), f)
			wantStatus(t, r, http.StatusUnprocessableEntity)
			if fieldError(r.doc, "category_id") == "" {
				t.Errorf("no message on category_id: %s", r.summary())
			}
			if got, _ := inputValue(r.doc, "name"); got != "Laddoo typed" {
				t.Errorf("typed name not kept: %q", got)
			}

			// The shop: the row of categories, a category's page.
			front := shop.get(t, v.shop(), "/")
			wantStatus(t, front, http.StatusOK)
			var row []string
			front.doc.Find("nav.category-nav a").Each(func(_ int, s *goquery.Selection) { row = append(row, text(s)) })
			if !slices.Equal(row, []string{"All products", "Sweets", "मिठाई", "Namkeen & Snacks"}) {
				t.Errorf("front page's row = %q", row)
			}
			if got, _ := front.doc.Find(`link[rel=canonical]`).Attr("href"); got != base+"/" {
				t.Errorf("canonical = %q, want %q", got, base+"/")
			}
			wantStatus(t, v.c.submit(t, "/products", fmt.Sprintf("/products/%d/availability", hidden), url.Values{"available": {"false"}}), http.StatusSeeOther)
			page := shop.get(t, v.shop(), "/c/sweets")
			wantStatus(t, page, http.StatusOK)
			if got := shopProductIDs(page.doc); !slices.Equal(got, []int64{laddoo}) {
				t.Errorf("/c/sweets lists %v, want [%d] (not the hidden one)", got, laddoo)
			}
			if got := text(page.doc.Find(`nav.category-nav a[aria-current=page]`)); got != "Sweets" {
				t.Errorf("current category = %q", got)
			}
			if got := text(page.doc.Find("title")); got != "Sweets — "+v.store {
				t.Errorf("title = %q", got)
			}
			enc := shop.get(t, v.shop(), "/c/"+url.PathEscape("मिठाई"))
			wantStatus(t, enc, http.StatusOK)
			wantTiers(t, shop.get(t, v.shop(), "/c/sweets?page=2"), http.StatusNotFound, "", "MISS")
			// An unknown slug: the shop's 404 with its header, not cached.
			for range 2 {
				nf := shop.get(t, v.shop(), "/c/no-such-thing")
				wantStatus(t, nf, http.StatusNotFound)
				if appCache(nf) != "" && appCache(nf) != "MISS" {
					t.Errorf("unknown slug answered from %s", appCache(nf))
				}
				if got := text(nf.doc.Find(".site-header .store-brand").First()); !strings.Contains(got, v.store) {
					t.Errorf("404's header = %q, want the shop's name", got)
				}
			}

			// Sitemap and robots.
			rb := shop.get(t, v.shop(), "/robots.txt")
			wantStatus(t, rb, http.StatusOK)
			wantHeader(t, rb, "Content-Type", "text/plain; charset=utf-8")
			if !strings.Contains(string(rb.body), "Sitemap: "+base+"/sitemap.xml\n") {
				t.Errorf("robots.txt = %q", rb.body)
			}
			crb := a.newClient().get(t, adminHost, "/robots.txt")
			if crb.status != http.StatusOK || string(crb.body) != "User-agent: *\nDisallow: /\n" {
				t.Errorf("console robots.txt = %d %q", crb.status, crb.body)
			}
			locs := sitemapLocs(t, shop.get(t, v.shop(), "/sitemap.xml"))
			want := []string{base + "/", base + "/c/sweets", base + "/c/" + url.PathEscape("मिठाई"), base + "/c/namkeen-snacks",
				fmt.Sprintf("%s/p/%d", base, mathri), fmt.Sprintf("%s/p/%d", base, laddoo)}
			if !slices.Equal(locs, want) {
				t.Errorf("sitemap = %q\nwant %q", locs, want)
			}
			// Hidden through the console: the next read no longer lists it.
			wantStatus(t, v.c.submit(t, "/products", fmt.Sprintf("/products/%d/availability", laddoo), url.Values{"available": {"false"}}), http.StatusSeeOther)
			if locs := sitemapLocs(t, shop.get(t, v.shop(), "/sitemap.xml")); slices.Contains(locs, fmt.Sprintf("%s/p/%d", base, laddoo)) {
				t.Errorf("sitemap still lists the hidden product: %q", locs)
			}

			// The last unit sells: the product page's offer says so.
			detail := fmt.Sprintf("/p/%d", mathri)
			if got := availability(t, shop.get(t, v.shop(), detail)); got != "https://schema.org/InStock" {
				t.Fatalf("availability = %q", got)
			}
			shop.get(t, v.shop(), detail) // cached now
			order(t, a.newClient(), v.store, map[int64]int{mathri: 1})
			if got := availability(t, shop.get(t, v.shop(), detail)); got != "https://schema.org/OutOfStock" {
				t.Errorf("after the last unit sold: availability = %q", got)
			}

			// Delete keeps the product, uncategorised.
			wantRedirect(t, v.c.submit(t, "/categories", fmt.Sprintf("/categories/%d/delete", namkeen), nil), "/categories")
			if f := v.productForm(t, mathri); f.Get("category_id") != "" || f.Get("name") != "Mathri" {
				t.Errorf("after deleting its category: %v", f)
			}
			wantStatus(t, shop.get(t, v.shop(), "/c/namkeen-snacks"), http.StatusNotFound)
		})
	}
}

// wantFresh checks a page read right after a purge was rendered after
// it: by this replica (MISS), or, when first is false, possibly by the
// replica that read it first, which stored it in Redis (HIT-REDIS) —
// never this replica's old copy (HIT-LOCAL).
func wantFresh(t *testing.T, r *response, first bool) {
	t.Helper()
	wantStatus(t, r, http.StatusOK)
	got := appCache(r)
	if got != "MISS" && (first || got != "HIT-REDIS") {
		t.Errorf("%s right after the change: X-App-Cache %q, want a new render", r, got)
	}
}

// TestCacheCategories: category pages are cached like the front page and
// purged exactly: an edit of a product purges the category page that
// shows it (read right after the console's redirect, on both replicas,
// it is the new one) and not another category's page; renaming a
// category purges every page of the store.
func TestCacheCategories(t *testing.T) {
	t.Parallel()
	s := cacheStart(t, cacheOpts{replicas: 2})
	a, b := s.apps[0], s.apps[1]
	v := a.signup(t, "cached-cats")
	sweets := v.addCategory(t, "Sweets")
	namkeen := v.addCategory(t, "Namkeen")
	laddoo := v.addProduct(t, "Laddoo", "200", "180", 5, true)
	mathri := v.addProduct(t, "Mathri", "100", "90", 5, true)
	wantRedirect(t, v.setCategory(t, laddoo, sweets), "/products")
	wantRedirect(t, v.setCategory(t, mathri, namkeen), "/products")
	ca, cb := a.newClient(), b.newClient()
	host := v.shop()
	pages := []string{"/", "/c/sweets", "/c/namkeen", fmt.Sprintf("/p/%d", mathri), "/sitemap.xml"}

	// warm caches every page on both replicas once the queued purge jobs
	// (which may drop pages again) are done.
	warm := func(t *testing.T) {
		t.Helper()
		settlePurgeJobs(t, a)
		for _, path := range pages {
			ca.get(t, host, path)
			wantTiers(t, ca.get(t, host, path), http.StatusOK, "", "HIT-LOCAL")
			r := cb.get(t, host, path)
			if got := appCache(r); got != "HIT-REDIS" && got != "HIT-LOCAL" {
				t.Errorf("%s on the second replica: X-App-Cache %q, want a hit", r, got)
			}
		}
	}

	t.Run("Cached", func(t *testing.T) {
		settlePurgeJobs(t, a)
		wantTiers(t, ca.get(t, host, "/c/sweets"), http.StatusOK, "", "MISS")
		wantTiers(t, ca.get(t, host, "/c/sweets"), http.StatusOK, "", "HIT-LOCAL")
		wantTiers(t, cb.get(t, host, "/c/sweets"), http.StatusOK, "", "HIT-REDIS")
		wantTiers(t, cb.get(t, host, "/c/sweets"), http.StatusOK, "", "HIT-LOCAL")
	})

	t.Run("ProductEdit", func(t *testing.T) {
		warm(t)
		f := v.productForm(t, laddoo)
		f.Set("price", "150")
		wantRedirect(t, v.c.submit(t, "/products", fmt.Sprintf("/products/%d/edit", laddoo), f), "/products")
		// Right after the redirect, on either replica: the new price (the
		// second replica may find the first one's new render in Redis).
		for _, c := range []*client{ca, cb} {
			r := c.get(t, host, "/c/sweets")
			wantFresh(t, r, c == ca)
			if got := cachePrice(r, laddoo); got != "₹150" {
				t.Errorf("%s right after the edit: price %q, want ₹150", r, got)
			}
		}
		// Another category's page, and the product page of the other
		// product, were not purged.
		wantTiers(t, ca.get(t, host, "/c/namkeen"), http.StatusOK, "", "HIT-LOCAL")
		wantTiers(t, ca.get(t, host, fmt.Sprintf("/p/%d", mathri)), http.StatusOK, "", "HIT-LOCAL")
		// The sitemap lists the product (its lastmod moved): purged too.
		wantTiers(t, ca.get(t, host, "/sitemap.xml"), http.StatusOK, "", "MISS")
	})

	t.Run("MoveProduct", func(t *testing.T) {
		warm(t)
		wantRedirect(t, v.setCategory(t, mathri, sweets), "/products")
		r := cb.get(t, host, "/c/sweets")
		wantFresh(t, r, true)
		if got := shopProductIDs(r.doc); !slices.Contains(got, mathri) {
			t.Errorf("/c/sweets right after the move lists %v, not %d", got, mathri)
		}
		r = cb.get(t, host, "/c/namkeen")
		wantFresh(t, r, true)
		if got := shopProductIDs(r.doc); slices.Contains(got, mathri) {
			t.Errorf("/c/namkeen right after the move still lists %d", mathri)
		}
	})

	t.Run("Rename", func(t *testing.T) {
		warm(t)
		wantRedirect(t, v.c.submit(t, "/categories", fmt.Sprintf("/categories/%d/rename", namkeen), url.Values{"name": {"Snacks"}}), "/categories")
		for _, path := range pages {
			want := http.StatusOK
			if path == "/c/namkeen" {
				want = http.StatusNotFound // its link moved with the name
			}
			for _, c := range []*client{ca, cb} {
				r := c.get(t, host, path)
				if want == http.StatusOK {
					wantFresh(t, r, c == ca)
				} else {
					wantStatus(t, r, want)
				}
				if want == http.StatusOK && path != "/sitemap.xml" && strings.Contains(text(r.doc.Find("nav.category-nav")), "Namkeen") {
					t.Errorf("%s still shows the old name", r)
				}
			}
		}
		wantStatus(t, ca.get(t, host, "/c/snacks"), http.StatusOK)
	})
}
