package pagecache

import (
	"context"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"
)

// TestEdgePurgeEveryName: the edge keys by host, so a purge of a page
// rendered under the store subdomain PURGEs it under each custom domain of
// the store too, and one rendered under a custom domain under the others.
func TestEdgePurgeEveryName(t *testing.T) {
	var mu sync.Mutex
	var got []string
	edge := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		got = append(got, r.Host+r.URL.RequestURI())
		mu.Unlock()
		w.WriteHeader(http.StatusOK)
	}))
	defer edge.Close()
	names := map[int64][]string{1: {"chai.dukaan.test", "shop.example.test", "example.test"}}
	c := newCache(t, Config{Edges: []string{edge.URL}, RepurgeAfter: time.Hour, SettleDelay: -1,
		StoreHosts: func(id int64) []string { return names[id] }})
	var r counter
	get(t, c, 1, c.Key(1, "chai.dukaan.test", "/p/7"), r.render(ProductTag(7)))
	get(t, c, 1, c.Key(1, "shop.example.test", "/"), r.render(ProductTag(7)))
	get(t, c, 2, c.Key(2, "other.dukaan.test", "/p/8"), r.render(ProductTag(8)))
	if err := c.Purge(context.Background(), 1, ProductTag(7)); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	slices.Sort(got)
	want := []string{"chai.dukaan.test/", "chai.dukaan.test/p/7", "example.test/", "example.test/p/7", "shop.example.test/", "shop.example.test/p/7"}
	if !slices.Equal(got, want) {
		t.Errorf("PURGEd %v, want %v", got, want)
	}
}
