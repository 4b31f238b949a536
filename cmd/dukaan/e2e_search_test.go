package main

// End-to-end tests of shop search (issue 15): matching and ranking on both
// databases, and that arbitrary queries cannot fill any cache tier.

import (
	"fmt"
	"io/fs"
	"math/rand/v2"
	"net/http"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"dukaan/storage/storagetest"
)

func searchIDs(tb testing.TB, c *client, host, q string) ([]int64, *response) {
	tb.Helper()
	r := c.get(tb, host, "/search?q="+url.QueryEscape(q))
	wantStatus(tb, r, http.StatusOK)
	return shopProductIDs(r.doc), r
}

func TestShopSearch(t *testing.T) {
	t.Parallel()
	for _, dialect := range storagetest.Dialects() {
		t.Run(dialect, func(t *testing.T) {
			t.Parallel()
			a := startApp(t, dialect, nil)
			v := a.signup(t, "search-"+dialect)
			cafe := v.addProduct(t, "Café Mocha Beans", "500", "450", 5, true)
			f := productFields("Morning blend", "300", "250", "5", true)
			f.Set("description", "Smooth, like a CAFÉ au lait")
			wantRedirect(t, v.c.submit(t, "/products/new", "/products/new", f), "/products")
			blend := v.productIDs(t)["Morning blend"]
			mithai := v.addProduct(t, "मिठाई डिब्बा", "400", "350", 5, true)
			hidden := v.addProduct(t, "Hidden cafe", "100", "90", 5, false)
			shop := a.newClient()
			host := v.shop()

			got, r := searchIDs(t, shop, host, "  CAFE  ")
			if !slices.Equal(got, []int64{cafe, blend}) {
				t.Errorf("cafe = %v, want [%d %d] (name first; not the hidden %d)", got, cafe, blend, hidden)
			}
			if cc := r.header.Get("Cache-Control"); cc != "no-store" {
				t.Errorf("search Cache-Control = %q, want no-store", cc)
			}
			if x := appCache(r); x != "" {
				t.Errorf("search went through the page cache: X-App-Cache %q", x)
			}
			if got, _ := r.doc.Find("input[name=q]").Attr("value"); got != "cafe" {
				t.Errorf("search box shows %q, want the normalised query", got)
			}
			if r.doc.Find(`meta[name=robots][content=noindex]`).Length() != 1 || r.doc.Find(`link[rel=canonical]`).Length() != 1 {
				t.Errorf("search page head lacks noindex or canonical")
			}
			if got, _ := searchIDs(t, shop, host, "डिब्"); !slices.Equal(got, []int64{mithai}) {
				t.Errorf("Devanagari substring = %v", got)
			}
			if got, r := searchIDs(t, shop, host, "no such thing"); len(got) != 0 || !strings.Contains(text(r.doc.Find(".empty h2")), "Nothing matches") {
				t.Errorf("no match = %v", got)
			}
			// Pages: 30 matches are two pages; past the last → 404.
			for i := range 30 {
				wantRedirect(t, v.c.submit(t, "/products/new", "/products/new", productFields(fmt.Sprintf("Chai pack %d", i), "100", "90", "5", true)), "/products")
			}
			p1, _ := searchIDs(t, shop, host, "chai")
			p2 := shopProductIDs(shop.get(t, host, "/search?q=chai&page=2").doc)
			if len(p1) != 24 || len(p2) != 6 {
				t.Errorf("chai pages: %d + %d, want 24 + 6", len(p1), len(p2))
			}
			wantStatus(t, shop.get(t, host, "/search?q=chai&page=3"), http.StatusNotFound)
			// An empty query is the front page, from its cache entry.
			empty := shop.get(t, host, "/search?q=++")
			wantStatus(t, empty, http.StatusOK)
			front := shop.get(t, host, "/")
			if !slices.Equal(shopProductIDs(empty.doc), shopProductIDs(front.doc)) {
				t.Errorf("empty search shows %v, front page %v", shopProductIDs(empty.doc), shopProductIDs(front.doc))
			}
			if cc := empty.header.Get("Cache-Control"); strings.Contains(cc, "s-maxage") {
				t.Errorf("empty search may be stored at the edge under /search: %q", cc)
			}
		})
	}
}

// edgeFiles counts the files in an edge's proxy cache.
func edgeFiles(t *testing.T, dir string) int {
	t.Helper()
	n := 0
	_ = filepath.WalkDir(filepath.Join(dir, "cache"), func(_ string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			n++
		}
		return nil
	})
	return n
}

// TestSearchCacheBound: thousands of random queries, through an edge and
// straight to the app, leave every tier as it was: no edge file, no Redis
// key, no page-cache render or entry.
func TestSearchCacheBound(t *testing.T) {
	t.Parallel()
	s := cacheStart(t, cacheOpts{edges: 1})
	a := s.apps[0]
	v := a.signup(t, "bounded-search")
	v.addProduct(t, "Kaju Katli", "500", "450", 5, true)
	v.addProduct(t, "Besan Laddoo", "300", "250", 5, true)
	settlePurgeJobs(t, a)
	host := v.shop()
	direct, edge := a.newClient(), s.via[0].newClient()
	// The front page is cached once, through the edge and in the app.
	edge.get(t, host, "/")
	wantTiers(t, edge.get(t, host, "/"), http.StatusOK, "HIT", "")

	rdb := redis.NewClient(&redis.Options{Addr: s.redis.Addr()})
	t.Cleanup(func() { rdb.Close() })
	keysBefore, err := rdb.DBSize(t.Context()).Result()
	if err != nil {
		t.Fatal(err)
	}
	statsBefore := a.main.Pages.Stats()
	filesBefore := edgeFiles(t, s.edges[0].Dir())

	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 15))
	const letters = "abcdefghijklmnopqrstuvwxyz éकाजू0123456789%_"
	runes := []rune(letters)
	const n = 3000
	for i := range n {
		q := make([]rune, 1+rng.IntN(80))
		for j := range q {
			q[j] = runes[rng.IntN(len(runes))]
		}
		c, reps := direct, 1
		if i%3 == 0 {
			c, reps = edge, 2 // a third through the edge, twice each
		}
		path := "/search?q=" + url.QueryEscape(string(q)) + fmt.Sprintf("&page=%d", 1+rng.IntN(2))
		for range reps {
			r := c.get(t, host, path)
			if r.status != http.StatusOK && r.status != http.StatusNotFound {
				t.Fatalf("%s: %d", r, r.status)
			}
			if edgeCache(r) == "HIT" {
				t.Fatalf("%s: the edge stored a search", r)
			}
		}
	}
	keysAfter, err := rdb.DBSize(t.Context()).Result()
	if err != nil {
		t.Fatal(err)
	}
	statsAfter := a.main.Pages.Stats()
	filesAfter := edgeFiles(t, s.edges[0].Dir())
	t.Logf("after %d random queries: redis keys %d → %d, page cache renders %d → %d, misses %d → %d, edge files %d → %d",
		n, keysBefore, keysAfter, statsBefore.Renders, statsAfter.Renders, statsBefore.Misses, statsAfter.Misses, filesBefore, filesAfter)
	// River's job tables live in the database, not Redis: any new key
	// would be a page, a tag or an epoch written for a search.
	if keysAfter != keysBefore {
		t.Errorf("Redis keys %d → %d after random searches", keysBefore, keysAfter)
	}
	if statsAfter.Renders != statsBefore.Renders || statsAfter.Misses != statsBefore.Misses {
		t.Errorf("searches went through the page cache: %+v → %+v", statsBefore, statsAfter)
	}
	if filesAfter != filesBefore {
		t.Errorf("edge cache files %d → %d after random searches", filesBefore, filesAfter)
	}
	// And the front page is still the edge's and the app's.
	wantTiers(t, edge.get(t, host, "/"), http.StatusOK, "HIT", "")
	if r := direct.get(t, host, "/"); appCache(r) != "HIT-LOCAL" && appCache(r) != "HIT-REDIS" {
		t.Errorf("%s: X-App-Cache %q, want a hit (the searches evicted nothing)", r, appCache(r))
	}
}
