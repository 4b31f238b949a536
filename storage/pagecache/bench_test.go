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
