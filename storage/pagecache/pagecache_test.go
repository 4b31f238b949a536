package pagecache

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"dukaan/app"
	"dukaan/internal/testsvc"
)

// testRedis connects to the Redis the tests use (TEST_REDIS_URL, default
// 127.0.0.1:6379). Missing Redis fails under CI and skips elsewhere.
func testRedis(tb testing.TB) *redis.Client {
	tb.Helper()
	url := os.Getenv("TEST_REDIS_URL")
	if url == "" {
		url = "redis://127.0.0.1:6379/0"
	}
	opt, err := redis.ParseURL(url)
	if err != nil {
		tb.Fatal(err)
	}
	rdb := redis.NewClient(opt)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := rdb.Ping(ctx).Err(); err != nil {
		testsvc.Unavailable(tb, "Redis at %s unreachable: %v", url, err)
	}
	tb.Cleanup(func() { rdb.Close() })
	return rdb
}

func prefix(tb testing.TB) string {
	b := make([]byte, 6)
	rand.Read(b)
	p := "dukaantest:" + hex.EncodeToString(b) + ":"
	return p
}

func newCache(tb testing.TB, cfg Config) *Cache {
	tb.Helper()
	if cfg.Prefix == "" {
		cfg.Prefix = prefix(tb)
	}
	if cfg.RepurgeAfter == 0 {
		cfg.RepurgeAfter = 50 * time.Millisecond
	}
	c, err := New(cfg)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		c.Close()
		if cfg.Redis != nil {
			ctx := context.Background()
			keys, _ := cfg.Redis.Keys(ctx, cfg.Prefix+"*").Result()
			if len(keys) > 0 {
				cfg.Redis.Del(ctx, keys...)
			}
		}
	})
	return c
}

// counter renders a page whose body says how many renders happened.
type counter struct{ n atomic.Int64 }

func (r *counter) render(tags ...string) Render {
	return func(ctx context.Context) ([]byte, []string, error) {
		n := r.n.Add(1)
		return []byte(fmt.Sprintf("render %d", n)), tags, nil
	}
}

func get(tb testing.TB, c *Cache, store int64, key string, r Render) (string, Result, bool) {
	tb.Helper()
	p, res, cacheable, err := c.Get(context.Background(), store, key, r)
	if err != nil {
		tb.Fatalf("Get(%s): %v", key, err)
	}
	return string(pageBody(tb, p)), res, cacheable
}

// pageBody is a page's uncompressed body.
func pageBody(tb testing.TB, p *Page) []byte {
	tb.Helper()
	b, err := p.Body()
	if err != nil {
		tb.Errorf("page body: %v", err)
	}
	return b
}

func TestTiers(t *testing.T) {
	rdb := testRedis(t)
	pfx := prefix(t)
	a := newCache(t, Config{Redis: rdb, Prefix: pfx})
	b := newCache(t, Config{Redis: rdb, Prefix: pfx})
	var r counter
	key := a.Key(1, "chai.dukaan.test", "/")

	steps := []struct {
		name     string
		c        *Cache
		wantBody string
		wantRes  Result
	}{
		{"first request renders", a, "render 1", Miss},
		{"same replica answers from memory", a, "render 1", HitLocal},
		{"other replica answers from Redis", b, "render 1", HitRedis},
		{"then from its own memory", b, "render 1", HitLocal},
	}
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			body, res, cacheable := get(t, s.c, 1, key, r.render(ProductTag(7)))
			if body != s.wantBody || res != s.wantRes || !cacheable {
				t.Errorf("got %q %s cacheable=%v, want %q %s", body, res, cacheable, s.wantBody, s.wantRes)
			}
		})
	}
	if got := a.Stats(); got.Misses != 1 || got.HitsLocal != 1 || got.Renders != 1 {
		t.Errorf("replica A stats = %+v", got)
	}
	if got := b.Stats(); got.HitsRedis != 1 || got.HitsLocal != 1 || got.Renders != 0 {
		t.Errorf("replica B stats = %+v", got)
	}
}

func TestKeysSeparateStoresAndHosts(t *testing.T) {
	c := newCache(t, Config{})
	keys := map[string]bool{
		c.Key(1, "chai.dukaan.test", "/"):        true,
		c.Key(2, "chai.dukaan.test", "/"):        true,
		c.Key(1, "masala.dukaan.test", "/"):      true,
		c.Key(1, "chai.dukaan.test", "/?page=2"): true,
	}
	if len(keys) != 4 {
		t.Fatalf("keys collide: %v", keys)
	}
	host, uri, ok := c.keyHost(c.Key(12, "chai.dukaan.test", "/p/3?x=1:2"))
	if !ok || host != "chai.dukaan.test" || uri != "/p/3?x=1:2" {
		t.Errorf("keyHost = %q %q %v", host, uri, ok)
	}
}

// TestPurgeByTag: a product event drops exactly the pages showing the
// product, in every replica; a store event drops all of the store's pages.
func TestPurgeByTag(t *testing.T) {
	for _, withRedis := range []bool{true, false} {
		t.Run(fmt.Sprintf("redis=%v", withRedis), func(t *testing.T) {
			var rdb *redis.Client
			if withRedis {
				rdb = testRedis(t)
			}
			pfx := prefix(t)
			a := newCache(t, Config{Redis: rdb, Prefix: pfx})
			var r counter
			home := a.Key(1, "chai.dukaan.test", "/")
			p7 := a.Key(1, "chai.dukaan.test", "/p/7")
			p8 := a.Key(1, "chai.dukaan.test", "/p/8")
			other := a.Key(2, "masala.dukaan.test", "/")
			get(t, a, 1, home, r.render(ProductTag(7), ProductTag(8)))
			get(t, a, 1, p7, r.render(ProductTag(7)))
			get(t, a, 1, p8, r.render(ProductTag(8)))
			get(t, a, 2, other, r.render(ProductTag(9)))

			if err := a.Publish(context.Background(), app.ProductEvent{Kind: app.ProductUpdated, VendorID: 1, ProductID: 7}); err != nil {
				t.Fatal(err)
			}
			for key, want := range map[string]Result{home: Miss, p7: Miss, p8: HitLocal, other: HitLocal} {
				if _, got, _ := get(t, a, 1, key, r.render(ProductTag(7), ProductTag(8))); got != want {
					t.Errorf("after product 7 event, %s = %s, want %s", key, got, want)
				}
			}
			if err := a.Publish(context.Background(), app.ProductEvent{Kind: app.ProductCreated, VendorID: 1, ProductID: 10}); err != nil {
				t.Fatal(err)
			}
			for key, want := range map[string]Result{home: Miss, p7: Miss, p8: Miss, other: HitLocal} {
				if _, got, _ := get(t, a, 1, key, r.render(ProductTag(7))); got != want {
					t.Errorf("after store event, %s = %s, want %s", key, got, want)
				}
			}
		})
	}
}

// TestBroadcastPurgesOtherReplicas: a purge on replica A empties replica
// B's memory, not only Redis.
func TestBroadcastPurgesOtherReplicas(t *testing.T) {
	rdb := testRedis(t)
	pfx := prefix(t)
	a := newCache(t, Config{Redis: rdb, Prefix: pfx, LocalTTL: time.Minute})
	b := newCache(t, Config{Redis: rdb, Prefix: pfx, LocalTTL: time.Minute})
	time.Sleep(100 * time.Millisecond) // subscriptions established
	var r counter
	key := a.Key(1, "chai.dukaan.test", "/")
	get(t, a, 1, key, r.render(ProductTag(7)))
	get(t, b, 1, key, r.render(ProductTag(7)))
	if _, res, _ := get(t, b, 1, key, r.render()); res != HitLocal {
		t.Fatalf("replica B = %s, want HIT-LOCAL before the purge", res)
	}
	if err := a.Purge(context.Background(), 1, ProductTag(7)); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(2 * time.Second)
	for {
		body, res, _ := get(t, b, 1, key, r.render(ProductTag(7)))
		if res == Miss {
			if body != "render 2" {
				t.Errorf("fresh body = %q, want render 2", body)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("replica B still answers %s %q 2s after the purge", res, body)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestRenderOverlappingPurgeIsNotStored is the stale-read guard: a render
// that read the database before a change committed finishes after the
// change's purge. Its page is served to its own request but stored in no
// tier, and marked uncacheable for the edge.
func TestRenderOverlappingPurgeIsNotStored(t *testing.T) {
	for _, withRedis := range []bool{true, false} {
		t.Run(fmt.Sprintf("redis=%v", withRedis), func(t *testing.T) {
			var rdb *redis.Client
			if withRedis {
				rdb = testRedis(t)
			}
			c := newCache(t, Config{Redis: rdb})
			key := c.Key(1, "chai.dukaan.test", "/")
			started, release := make(chan struct{}), make(chan struct{})
			slow := func(ctx context.Context) ([]byte, []string, error) {
				close(started)
				<-release // the change commits and purges meanwhile
				return []byte("old price"), []string{ProductTag(7)}, nil
			}
			done := make(chan struct{})
			var body string
			var cacheable bool
			go func() {
				defer close(done)
				p, _, ok, err := c.Get(context.Background(), 1, key, slow)
				if err != nil {
					t.Error(err)
					return
				}
				body, cacheable = string(pageBody(t, p)), ok
			}()
			<-started
			if err := c.Purge(context.Background(), 1, ProductTag(7)); err != nil {
				t.Fatal(err)
			}
			close(release)
			<-done
			if body != "old price" || cacheable {
				t.Errorf("overlapping render = %q cacheable=%v, want served once and not cacheable", body, cacheable)
			}
			var r counter
			if got, res, _ := get(t, c, 1, key, r.render()); res != Miss || got != "render 1" {
				t.Errorf("next request = %q %s, want a fresh render", got, res)
			}
		})
	}
}

// TestStampedeRendersOnce: concurrent misses of one key render once per
// replica.
func TestStampedeRendersOnce(t *testing.T) {
	rdb := testRedis(t)
	c := newCache(t, Config{Redis: rdb})
	key := c.Key(1, "chai.dukaan.test", "/")
	var renders atomic.Int64
	gate := make(chan struct{})
	render := func(ctx context.Context) ([]byte, []string, error) {
		renders.Add(1)
		time.Sleep(50 * time.Millisecond) // a slow database
		return []byte("page"), nil, nil
	}
	var wg sync.WaitGroup
	for i := 0; i < 100; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-gate
			if _, _, _, err := c.Get(context.Background(), 1, key, render); err != nil {
				t.Error(err)
			}
		}()
	}
	close(gate)
	wg.Wait()
	if got := renders.Load(); got != 1 {
		t.Errorf("renders = %d, want 1", got)
	}
}

// TestRedisDownRendersFromDatabase: with Redis unreachable every request
// still gets its page, counted as a Redis error, and the local tier keeps
// working.
func TestRedisDownRendersFromDatabase(t *testing.T) {
	dead := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", DialTimeout: 50 * time.Millisecond, MaxRetries: -1})
	t.Cleanup(func() { dead.Close() })
	c := newCache(t, Config{Redis: dead})
	var r counter
	key := c.Key(1, "chai.dukaan.test", "/")
	start := time.Now()
	if body, res, _ := get(t, c, 1, key, r.render()); body != "render 1" || res != Miss {
		t.Errorf("first = %q %s", body, res)
	}
	if _, res, _ := get(t, c, 1, key, r.render()); res != HitLocal {
		t.Errorf("second = %s, want HIT-LOCAL", res)
	}
	if c.Stats().RedisErrors == 0 {
		t.Error("Redis errors were not counted")
	}
	if err := c.Purge(context.Background(), 1, StoreTag(1)); err == nil {
		t.Error("purge with Redis down reported success")
	}
	if _, res, _ := get(t, c, 1, key, r.render()); res != Miss {
		t.Errorf("after purge = %s, want MISS", res)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("took %s with Redis down: requests are waiting on Redis", d)
	}
}

// TestEdgePurge: every tagged page is PURGEd on every edge with its own
// Host; a failing edge is retried until it answers.
func TestEdgePurge(t *testing.T) {
	type hit struct{ host, uri string }
	var mu sync.Mutex
	var got []hit
	var failures atomic.Int64
	failures.Store(2)
	edge := func(flaky bool) *httptest.Server {
		return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method != "PURGE" {
				t.Errorf("edge got %s", r.Method)
			}
			if flaky && failures.Add(-1) >= 0 {
				w.WriteHeader(http.StatusBadGateway)
				return
			}
			mu.Lock()
			got = append(got, hit{r.Host, r.URL.RequestURI()})
			mu.Unlock()
			w.WriteHeader(http.StatusNotFound) // not cached: still success
		}))
	}
	e1, e2 := edge(false), edge(true)
	defer e1.Close()
	defer e2.Close()
	c := newCache(t, Config{Edges: []string{e1.URL, e2.URL + "/"}, RepurgeAfter: time.Hour, SettleDelay: -1})
	var r counter
	get(t, c, 1, c.Key(1, "chai.dukaan.test", "/?page=2"), r.render(ProductTag(7)))
	err := c.Purge(context.Background(), 1, ProductTag(7))
	if err == nil {
		t.Error("purge with a failing edge reported success")
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		mu.Lock()
		n := len(got)
		mu.Unlock()
		if n == 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("edges purged %d times, want 2 (one each, the flaky one after retries); stats %+v", n, c.Stats())
		}
		time.Sleep(20 * time.Millisecond)
	}
	for _, h := range got {
		if h.host != "chai.dukaan.test" || h.uri != "/?page=2" {
			t.Errorf("PURGE %s%s, want chai.dukaan.test/?page=2", h.host, h.uri)
		}
	}
	if s := c.Stats(); s.Retries < 2 || s.EdgeFailures < 2 {
		t.Errorf("stats %+v: want the failures and retries counted", s)
	}
}

func TestConfigRefusesSubSecondTTL(t *testing.T) {
	for _, cfg := range []Config{{TTL: 500 * time.Millisecond}, {LocalTTL: 10 * time.Millisecond}} {
		if _, err := New(cfg); err == nil {
			t.Errorf("New(%+v) accepted a TTL under 1s", cfg)
		}
	}
}

// TestRequestAfterPurgeDoesNotJoinOldRender: a render that began before a
// change committed is still running when the change's purge returns; a
// request that comes after the purge gets a render of its own, never the
// old one (singleflight would otherwise hand it the old page).
func TestRequestAfterPurgeDoesNotJoinOldRender(t *testing.T) {
	rdb := testRedis(t)
	c := newCache(t, Config{Redis: rdb})
	key := c.Key(1, "chai.dukaan.test", "/p/7")
	started, release := make(chan struct{}), make(chan struct{})
	old := func(ctx context.Context) ([]byte, []string, error) {
		close(started)
		<-release
		return []byte("₹100"), []string{ProductTag(7)}, nil
	}
	done := make(chan string)
	go func() {
		p, _, _, err := c.Get(context.Background(), 1, key, old)
		if err != nil {
			t.Error(err)
		}
		done <- string(pageBody(t, p))
	}()
	<-started
	if err := c.Purge(context.Background(), 1, ProductTag(7)); err != nil {
		t.Fatal(err)
	}
	fresh := func(ctx context.Context) ([]byte, []string, error) {
		return []byte("₹90"), []string{ProductTag(7)}, nil
	}
	got := make(chan string)
	go func() {
		p, _, _, err := c.Get(context.Background(), 1, key, fresh)
		if err != nil {
			t.Error(err)
		}
		got <- string(pageBody(t, p))
	}()
	select {
	case body := <-got:
		if body != "₹90" {
			t.Errorf("request after the purge got %q, want ₹90", body)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("request after the purge waited for the render that began before it")
	}
	close(release)
	if body := <-done; body != "₹100" {
		t.Errorf("the old request got %q", body)
	}
	if body, res, _ := get(t, c, 1, key, fresh); body != "₹90" {
		t.Errorf("afterwards %q %s, want ₹90", body, res)
	}
}
