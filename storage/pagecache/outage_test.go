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
// still holds, and the purge job (PurgeDurable, retried as storage/jobs
// does) finishes the Redis purge once Redis answers; only then is the
// store read from Redis again.
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
	// The job's attempt during the outage fails too, and saves the key it
	// knows for the next attempt.
	var saved []string
	save := func(_ context.Context, keys []string) error { saved = keys; return nil }
	if err := c.PurgeDurable(context.Background(), 1, false, []int64{7}, nil, time.Time{}, save); err == nil {
		t.Fatal("purge job with Redis cut off reported success")
	}
	if len(saved) != 1 || saved[0] != key {
		t.Errorf("saved keys %q, want [%q]", saved, key)
	}

	// Redis is back, still holding the old page. Until the job went
	// through, the store must not be served from Redis, even after the
	// bridge time with the queue still owing the store a purge.
	proxy.setCut(false)
	c.SetPendingStores(map[int64]bool{1: true}, map[int64]bool{1: true})
	for i := 0; i < 5; i++ {
		if body, _, _ := get(t, c, 1, key, render); body != "₹90" {
			t.Fatalf("after Redis came back, before the job ran: %q", body)
		}
		time.Sleep(20 * time.Millisecond)
	}
	deadline := time.Now().Add(3 * time.Second)
	for c.PurgeDurable(context.Background(), 1, false, []int64{7}, saved, time.Time{}, save) != nil {
		if body, _, _ := get(t, c, 1, key, render); body != "₹90" {
			t.Fatalf("while the job retries: %q", body)
		}
		if time.Now().After(deadline) {
			t.Fatal("the purge job never went through")
		}
		time.Sleep(20 * time.Millisecond)
	}
	c.SetPendingStores(map[int64]bool{}, map[int64]bool{})
	if got := c.Stats().PendingPurges; got != 0 {
		t.Errorf("pending purges after the job = %d, want 0", got)
	}
	if p, err := c.getRedis(context.Background(), key); err == nil && string(pageBody(t, p)) != "₹90" {
		t.Errorf("Redis still holds %q after the purge job ran", pageBody(t, p))
	}
	for i := 0; i < 3; i++ {
		if body, _, _ := get(t, c, 1, key, render); body != "₹90" {
			t.Errorf("after recovery: %q, want ₹90", body)
		}
	}
}

// TestPendingFromQueue: a purge job that failed on another replica keeps
// this replica off Redis for the store while the queue says so.
func TestPendingFromQueue(t *testing.T) {
	shared := testRedis(t)
	c := newCache(t, Config{Redis: shared, LocalSize: -1})
	other := newCache(t, Config{Redis: shared, LocalSize: -1})
	key := c.Key(1, "chai.dukaan.test", "/")
	price := "₹100"
	render := func(ctx context.Context) ([]byte, []string, error) { return []byte(price), nil, nil }
	get(t, other, 1, key, render) // in Redis now
	price = "₹90"                 // committed; the other replica's purge failed on Redis
	if body, res, _ := get(t, c, 1, key, render); body != "₹100" || res != HitRedis {
		t.Fatalf("setup: %q %s, want the page Redis holds", body, res)
	}
	c.SetPendingStores(map[int64]bool{1: true}, map[int64]bool{1: true})
	if body, res, _ := get(t, c, 1, key, render); body != "₹90" || res == HitRedis {
		t.Errorf("with a failed purge owed: %q %s, want a render", body, res)
	}
	c.SetPendingStores(map[int64]bool{}, map[int64]bool{})
	if _, res, _ := get(t, c, 1, key, render); res != HitRedis {
		t.Errorf("with nothing owed: %s, want Redis read again", res)
	}
}
