package pagecache

import (
	"context"
	"net/http"
	"testing"
	"time"
)

// TestNotFoundCached: a render that says the page does not exist is kept
// for NotFoundTTL in every tier, then rendered again, and a purge of its
// store removes it at once (a new product can make page 2 exist).
func TestNotFoundCached(t *testing.T) {
	for _, withRedis := range []bool{false, true} {
		name := "local"
		if withRedis {
			name = "redis"
		}
		t.Run(name, func(t *testing.T) {
			cfg := Config{NotFoundTTL: time.Second}
			if withRedis {
				cfg.Redis = testRedis(t)
			}
			c := newCache(t, cfg)
			key := c.Key(1, "chai.dukaan.test", "/?page=2")
			renders, exists := 0, false
			render := func(context.Context) ([]byte, []string, error) {
				renders++
				if exists {
					return []byte("page 2"), nil, nil
				}
				return nil, nil, &NotFound{Body: []byte("no page 2")}
			}
			getStatus := func() (int, string, Result) {
				t.Helper()
				p, res, cacheable, err := c.Get(context.Background(), 1, key, render)
				if err != nil || !cacheable {
					t.Fatalf("Get: %v, cacheable %v", err, cacheable)
				}
				return p.Status, string(pageBody(t, p)), res
			}
			if st, body, res := getStatus(); st != http.StatusNotFound || body != "no page 2" || res != Miss {
				t.Fatalf("first Get = %d %q %s, want 404 MISS", st, body, res)
			}
			if st, _, res := getStatus(); st != http.StatusNotFound || res != HitLocal || renders != 1 {
				t.Fatalf("second Get = %d %s after %d renders, want a 404 from memory", st, res, renders)
			}
			if withRedis {
				ttl, err := cfg.Redis.PTTL(context.Background(), key).Result()
				if err != nil || ttl <= 0 || ttl > time.Second {
					t.Errorf("the 404 lives %v in Redis (%v), want at most NotFoundTTL", ttl, err)
				}
			}
			// A product added: the store's purge drops the 404.
			exists = true
			if err := c.Purge(context.Background(), 1, StoreTag(1)); err != nil {
				t.Fatal(err)
			}
			if st, body, res := getStatus(); st != http.StatusOK || body != "page 2" || res != Miss {
				t.Fatalf("after the purge = %d %q %s, want the new page rendered", st, body, res)
			}
			// Gone again: the 404 expires by itself after NotFoundTTL.
			exists = false
			if err := c.PurgeKeys(context.Background(), 1, key); err != nil {
				t.Fatal(err)
			}
			getStatus()
			n := renders
			time.Sleep(1200 * time.Millisecond)
			if st, _, res := getStatus(); st != http.StatusNotFound || res != Miss || renders != n+1 {
				t.Errorf("after NotFoundTTL = %d %s (%d renders, want %d): want a fresh render", st, res, renders, n+1)
			}
		})
	}
}
