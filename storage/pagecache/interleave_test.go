package pagecache

import (
	"context"
	"testing"
)

// TestPurgeRedropsWhatAReaderTookFromRedis pins the interleaving f98d046
// fixed: a request that reads the already-bumped epoch, then finds the old
// page in Redis just before the purge deletes it there, stores that page
// in this replica's memory. The purge must drop it again after the Redis
// step, or the old price is served from memory for the local TTL. Two
// things do that today: purgeOnce's second bump-and-drop, and this
// replica's own copy of the purge broadcast (it waits for that ack); the
// test fails when neither does (checked by removing both).
func TestPurgeRedropsWhatAReaderTookFromRedis(t *testing.T) {
	shared := testRedis(t)
	c := newCache(t, Config{Redis: shared, LocalSize: 100})
	key := c.Key(1, "chai.dukaan.test", "/")
	price := "₹100"
	render := func(context.Context) ([]byte, []string, error) {
		return []byte(price), []string{ProductTag(7)}, nil
	}
	if body, res, _ := get(t, c, 1, key, render); body != "₹100" || res != Miss {
		t.Fatalf("setup: %q %s, want a render of ₹100", body, res)
	}

	price = "₹90" // the edit commits; its purge runs
	var inWindow string
	var inWindowRes Result
	c.beforeRedisDel = func() {
		// Local copies are gone and the epoch is bumped, but Redis still
		// holds the old page: this read finds it there and keeps it.
		inWindow, inWindowRes, _ = get(t, c, 1, key, render)
	}
	if err := c.Purge(context.Background(), 1, ProductTag(7)); err != nil {
		t.Fatal(err)
	}
	c.beforeRedisDel = nil
	if inWindow != "₹100" || inWindowRes != HitRedis {
		t.Fatalf("the read inside the window got %q %s, want the old page from Redis (the interleaving did not happen)", inWindow, inWindowRes)
	}
	for i := 0; i < 3; i++ {
		if body, res, _ := get(t, c, 1, key, render); body != "₹90" {
			t.Fatalf("read %d after the purge: %q (%s), want ₹90", i, body, res)
		}
	}
}
