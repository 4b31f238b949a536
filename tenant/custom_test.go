package tenant

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"dukaan/app"
)

// domainTable is a shared "database" of verified domains for resolvers
// that stand for two replicas.
type domainTable struct {
	mu      sync.Mutex
	names   map[string]string
	queries atomic.Int64
	down    atomic.Bool
}

func (d *domainTable) lookup(_ context.Context, name string) (string, error) {
	d.queries.Add(1)
	if d.down.Load() {
		return "", errors.New("database down")
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if s, ok := d.names[name]; ok {
		return s, nil
	}
	return "", app.Errorf(app.ENOTFOUND, "no")
}

func (d *domainTable) set(name, slug string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if slug == "" {
		delete(d.names, name)
	} else {
		d.names[name] = slug
	}
}

func TestResolveCustomDomain(t *testing.T) {
	db := &domainTable{names: map[string]string{"shop.example.test": "chai"}}
	const ttl = 300 * time.Millisecond
	a, _ := NewResolver("dukaan.test", nil)
	b, _ := NewResolver("dukaan.test", nil)
	a.SetDomains(db.lookup, ttl)
	b.SetDomains(db.lookup, ttl)
	ctx := t.Context()

	h := a.ResolveRequest(ctx, "Shop.Example.test:443")
	if h.Kind != Shop || h.Slug != "chai" || !h.Custom || h.Name != "shop.example.test" {
		t.Fatalf("custom domain = %+v", h)
	}
	if h := a.ResolveRequest(ctx, "chai.dukaan.test"); h.Kind != Shop || h.Custom {
		t.Errorf("subdomain = %+v", h)
	}
	// Names under the base are never looked up.
	q := db.queries.Load()
	if h := a.ResolveRequest(ctx, "a.b.dukaan.test"); h.Kind != Unknown || db.queries.Load() != q {
		t.Errorf("nested subdomain = %+v, queries %d → %d", h, q, db.queries.Load())
	}
	// Cached: a second request costs no query; an unknown name is
	// remembered too.
	a.ResolveRequest(ctx, "shop.example.test")
	a.ResolveRequest(ctx, "nope.example.test")
	a.ResolveRequest(ctx, "nope.example.test")
	if n := db.queries.Load() - q; n != 1 {
		t.Errorf("queries for a cached name and an unknown one twice = %d, want 1", n)
	}
	if !a.Verified(ctx, "shop.example.test") || a.Verified(ctx, "nope.example.test") || a.Verified(ctx, "chai.dukaan.test") {
		t.Error("Verified answers wrong")
	}

	// Removed on replica a: a forgets at once, b within the TTL, never
	// later.
	b.ResolveRequest(ctx, "shop.example.test")
	db.set("shop.example.test", "")
	removed := time.Now()
	a.Forget("shop.example.test")
	if h := a.ResolveRequest(ctx, "shop.example.test"); h.Kind != Unknown {
		t.Errorf("after Forget on the replica that removed it: %+v", h)
	}
	for b.ResolveRequest(ctx, "shop.example.test").Kind == Shop {
		if time.Since(removed) > ttl+50*time.Millisecond {
			t.Fatalf("the other replica still resolves a removed domain after %v (TTL %v)", time.Since(removed), ttl)
		}
		time.Sleep(10 * time.Millisecond)
	}

	// A failing lookup is not remembered: it answers Unknown now and the
	// name is found once the database is back.
	db.set("new.example.test", "chai")
	db.down.Store(true)
	if h := a.ResolveRequest(ctx, "new.example.test"); h.Kind != Unknown {
		t.Errorf("while down: %+v", h)
	}
	db.down.Store(false)
	if h := a.ResolveRequest(ctx, "new.example.test"); h.Slug != "chai" {
		t.Errorf("after the outage: %+v", h)
	}
	// Without SetDomains nothing is looked up.
	c, _ := NewResolver("dukaan.test", nil)
	if h := c.ResolveRequest(ctx, "shop.example.test"); h.Kind != Unknown {
		t.Errorf("no domains: %+v", h)
	}
}
