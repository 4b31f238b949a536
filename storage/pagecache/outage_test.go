package pagecache

import (
	"context"
	"io"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// cutProxy forwards TCP to target until cut, which drops every connection
// and refuses new ones until restored.
type cutProxy struct {
	ln     net.Listener
	target string
	mu     sync.Mutex
	cut    bool
	conns  []net.Conn
}

func newCutProxy(tb testing.TB, target string) *cutProxy {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	p := &cutProxy{ln: ln, target: target}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			p.mu.Lock()
			if p.cut {
				p.mu.Unlock()
				c.Close()
				continue
			}
			u, err := net.Dial("tcp", target)
			if err != nil {
				p.mu.Unlock()
				c.Close()
				continue
			}
			p.conns = append(p.conns, c, u)
			p.mu.Unlock()
			go func() { io.Copy(u, c); u.Close() }()
			go func() { io.Copy(c, u); c.Close() }()
		}
	}()
	tb.Cleanup(func() { ln.Close(); p.setCut(true) })
	return p
}

func (p *cutProxy) setCut(cut bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.cut = cut
	if cut {
		for _, c := range p.conns {
			c.Close()
		}
		p.conns = nil
	}
}

// TestPurgeDuringRedisOutage: a product event while Redis cannot be
// reached drops this replica's copy at once, never serves the page Redis
// still holds, and finishes the Redis purge as soon as Redis answers.
func TestPurgeDuringRedisOutage(t *testing.T) {
	shared := testRedis(t)
	proxy := newCutProxy(t, shared.Options().Addr)
	rdb := redis.NewClient(&redis.Options{Addr: proxy.ln.Addr().String(), DialTimeout: 100 * time.Millisecond,
		ReadTimeout: 100 * time.Millisecond, WriteTimeout: 100 * time.Millisecond, MaxRetries: -1})
	t.Cleanup(func() { rdb.Close() })
	c := newCache(t, Config{Redis: rdb, RepurgeAfter: 100 * time.Millisecond})
	key := c.Key(1, "chai.dukaan.test", "/p/7")
	price := "₹100"
	render := func(ctx context.Context) ([]byte, []string, error) {
		return []byte(price), []string{ProductTag(7)}, nil
	}

	get(t, c, 1, key, render)
	if body, res, _ := get(t, c, 1, key, render); res != HitLocal || body != "₹100" {
		t.Fatalf("warm: %q %s", body, res)
	}

	proxy.setCut(true)
	price = "₹90" // the change commits; its purge cannot reach Redis
	if err := c.Purge(context.Background(), 1, ProductTag(7)); err == nil {
		t.Fatal("purge with Redis cut off reported success")
	}
	if got := c.Stats().PendingPurges; got != 1 {
		t.Errorf("pending purges = %d, want 1", got)
	}
	if body, _, _ := get(t, c, 1, key, render); body != "₹90" {
		t.Errorf("during the outage: %q, want the new price", body)
	}

	// Redis is back, still holding the old page. Until the missed purge
	// went through, the store must not be served from Redis.
	proxy.setCut(false)
	deadline := time.Now().Add(3 * time.Second)
	for c.Stats().PendingPurges != 0 {
		if body, _, _ := get(t, c, 1, key, render); body != "₹90" {
			t.Fatalf("after Redis came back, before the missed purge ran: %q", body)
		}
		if time.Now().After(deadline) {
			t.Fatal("the missed purge never went through")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if n, err := shared.Exists(context.Background(), key).Result(); err != nil || n != 0 {
		// The render during recovery may have stored the new page; it
		// must not be the old one.
		if p, err := c.getRedis(context.Background(), key); err == nil && string(pageBody(t, p)) != "₹90" {
			t.Errorf("Redis still holds %q after the missed purge ran", pageBody(t, p))
		}
	}
	for i := 0; i < 3; i++ {
		if body, _, _ := get(t, c, 1, key, render); body != "₹90" {
			t.Errorf("after recovery: %q, want ₹90", body)
		}
	}
}
