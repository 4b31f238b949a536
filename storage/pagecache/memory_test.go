package pagecache

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"
)

// shopLikeBody is a 24 KB page of 24 product cards whose names and prices
// vary with seed, so that it compresses about as well as a real shop page.
func shopLikeBody(seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, 17))
	words := strings.Fields("toor dal moong chana basmati atta ghee masala chai haldi jeera rajma poha besan sooji jaggery kaju badam pista")
	var b bytes.Buffer
	fmt.Fprintf(&b, "<!doctype html><html><head><title>Store %d</title></head><body><ul class=\"product-grid\">\n", seed)
	for i := 0; b.Len() < 23_000; i++ {
		id := r.IntN(1_000_000)
		name := words[r.IntN(len(words))] + " " + words[r.IntN(len(words))] + ", " + strconv.Itoa(50*(1+r.IntN(20))) + " g"
		fmt.Fprintf(&b, `<li class="product-card"><a class="product-media" href="/p/%d" tabindex="-1" aria-hidden="true"><span class="thumb tone-%d">%c</span></a>
<div class="product-body"><h3 class="product-name"><a href="/p/%d">%s</a></h3><p class="product-desc clamp-2">About %s.</p>
<p class="product-price"><span class="price">₹%d</span></p></div><div class="product-buy"><div class="qty"><label for="f-qty_%d">Qty<span class="visually-hidden"> of %s</span></label>
<input class="qty-input" id="f-qty_%d" name="qty_%d" type="number" min="0" max="100" step="1" inputmode="numeric" value="" placeholder="0" data-price="%d" data-name="%s"></div></div></li>
`, id, id%6, name[0]-32, id, name, name, 100+r.IntN(900), id, name, id, id, r.IntN(90000), name)
	}
	b.WriteString("</ul></body></html>\n")
	return b.Bytes()
}

func vmRSS() int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(b), "\n") {
		if f := strings.Fields(l); len(f) >= 2 && f[0] == "VmRSS:" {
			kb, _ := strconv.ParseInt(f[1], 10, 64)
			return kb << 10
		}
	}
	return 0
}

// TestLocalTierMemory fills the local tier with 10,000 different pages (1,000
// under -race):
// each costs the heap close to its compressed size (the goal), not the
// ~24 KB of its body.
func TestLocalTierMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("fills 10,000 pages")
	}
	n := 10_000
	if raceBuild {
		n = 1_000 // the same bound, at race speed
	}
	// A TTL no run reaches: this measures memory, not expiry.
	c := newCache(t, Config{LocalSize: n, LocalTTL: time.Hour})
	bodies := make([][]byte, 0, 16)
	for i := range 16 {
		bodies = append(bodies, shopLikeBody(uint64(i)))
	}
	var gz, size int64
	ctx := context.Background()
	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	rssBefore := vmRSS()
	for i := range n {
		key := c.Key(int64(i), "store-"+strconv.Itoa(i)+".dukaan.test", "/")
		// Each page its own bytes (the bodies differ by store), as 10,000
		// stores' front pages would.
		body := append(bytes.Clone(bodies[i%len(bodies)]), fmt.Sprintf("<!-- %d -->", i)...)
		p, _, _, err := c.Get(ctx, int64(i), key, func(context.Context) ([]byte, []string, error) { return body, nil, nil })
		if err != nil {
			t.Fatal(err)
		}
		gz += int64(len(p.Gzip))
		size += int64(p.Size)
	}
	runtime.GC()
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	held := 0
	for i := range n {
		if _, ok := c.local.get(c.Key(int64(i), "store-"+strconv.Itoa(i)+".dukaan.test", "/")); ok {
			held++
		}
	}
	perPage := float64(int64(after.HeapAlloc)-int64(before.HeapAlloc)) / float64(held)
	t.Logf("%d pages held: %.0f bytes of heap per page (gzip %d, body %d bytes on average); RSS +%.1f MiB",
		held, perPage, gz/int64(n), size/int64(n), float64(vmRSS()-rssBefore)/(1<<20))
	if held < n*9/10 {
		t.Errorf("only %d of %d pages held", held, n)
	}
	if limit := 1.5*float64(gz/int64(n)) + 1024; perPage > limit {
		t.Errorf("a cached page costs %.0f bytes of heap, want at most %.0f (1.5× its %d compressed bytes + 1 KB)", perPage, limit, gz/int64(n))
	}
}
