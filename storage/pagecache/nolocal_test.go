package pagecache

import (
	"context"
	"testing"
)

// TestLocalTierOff: a negative LocalSize keeps nothing in memory, so with
// no Redis every Get renders (DUKAAN_LOCAL_SIZE=0; the bench relies on it
// to measure the Redis tier and cold renders alone).
func TestLocalTierOff(t *testing.T) {
	c, err := New(Config{LocalSize: -1, Prefix: "dukaantest:nolocal:"})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	renders := 0
	render := func(context.Context) ([]byte, []string, error) {
		renders++
		return []byte("<p>page</p>"), nil, nil
	}
	key := c.Key(1, "shop.example", "/")
	for i := 0; i < 3; i++ {
		_, res, cacheable, err := c.Get(context.Background(), 1, key, render)
		if err != nil {
			t.Fatal(err)
		}
		if res != Miss || !cacheable {
			t.Errorf("Get #%d = %s (cacheable %v), want MISS, cacheable", i+1, res, cacheable)
		}
	}
	if renders != 3 {
		t.Errorf("%d renders for 3 Gets, want 3", renders)
	}
}
