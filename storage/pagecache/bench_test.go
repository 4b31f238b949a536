package pagecache

import (
	"bytes"
	"context"
	"testing"
)

// benchBody is a shop-page-sized body (about 24 KB of varied HTML).
func benchBody() []byte {
	var b bytes.Buffer
	for i := 0; b.Len() < 24_000; i++ {
		b.WriteString(`<li class="product-card"><a class="product-media" href="/p/`)
		b.WriteString(string(rune('0' + i%10)))
		b.WriteString(`">Product `)
		b.WriteString(string(rune('a' + i%26)))
		b.WriteString("</a><p class=\"product-price\">₹449</p></li>\n")
	}
	return b.Bytes()
}

func benchGet(b *testing.B, c *Cache, want Result) {
	body := benchBody()
	render := func(context.Context) ([]byte, []string, error) { return body, []string{"p1"}, nil }
	key := c.Key(1, "shop.example", "/")
	ctx := context.Background()
	if _, _, _, err := c.Get(ctx, 1, key, render); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		_, res, _, err := c.Get(ctx, 1, key, render)
		if err != nil || res != want {
			b.Fatalf("Get = %s, %v; want %s", res, err, want)
		}
	}
}

// BenchmarkLocalTierGet is a hit of the in-process tier.
func BenchmarkLocalTierGet(b *testing.B) {
	benchGet(b, newCache(b, Config{}), HitLocal)
}

// BenchmarkRedisTierGet is a hit of Redis with the local tier off.
func BenchmarkRedisTierGet(b *testing.B) {
	benchGet(b, newCache(b, Config{Redis: testRedis(b), LocalSize: -1}), HitRedis)
}

func TestEntryRoundTrip(t *testing.T) {
	for _, status := range []int{200, 404} {
		p, err := newPage(status, benchBody())
		if err != nil {
			t.Fatal(err)
		}
		q, err := decodePage(p.encode())
		if err != nil {
			t.Fatal(err)
		}
		if q.Status != status || q.ETag != p.ETag || q.GzipETag != p.GzipETag || q.Size != p.Size || !bytes.Equal(q.Gzip, p.Gzip) || q.GzipLength != p.GzipLength {
			t.Fatalf("decoded %+v, want %+v", q, p)
		}
		b, err := q.Body()
		if err != nil || !bytes.Equal(b, benchBody()) {
			t.Fatalf("body after the round trip: %v", err)
		}
	}
	for _, bad := range [][]byte{nil, {0}, {entryVersion}, {entryVersion, 200, 1, 0xff}, {2, 200, 1}} {
		if _, err := decodePage(bad); err == nil {
			t.Errorf("decodePage(%v) accepted", bad)
		}
	}
}

// BenchmarkIdentityBody is what a client without gzip costs on a hit: the
// page decompressed.
func BenchmarkIdentityBody(b *testing.B) {
	p, err := NewPage(benchBody())
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, err := p.Body(); err != nil {
			b.Fatal(err)
		}
	}
}
