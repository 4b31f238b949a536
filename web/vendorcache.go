package web

import (
	"context"
	"sync"
	"time"

	"dukaan/app"
)

// vendorCache remembers store lookups for a few seconds, so that a shop
// page served from the page cache costs no database query at all. Unknown
// stores are remembered briefly too, so a flood of random subdomains
// cannot turn into a flood of queries. It is bounded: when full it starts
// over, which costs one query per store.
type vendorCache struct {
	lookup  func(ctx context.Context, slug string) (*app.Vendor, error)
	ttl     time.Duration // found stores
	negTTL  time.Duration // unknown stores
	maxSize int

	mu      sync.Mutex
	entries map[string]vendorEntry
}

type vendorEntry struct {
	v       *app.Vendor // nil: no such store
	expires time.Time
}

func newVendorCache(lookup func(ctx context.Context, slug string) (*app.Vendor, error)) *vendorCache {
	return &vendorCache{lookup: lookup, ttl: 10 * time.Second, negTTL: time.Second, maxSize: 10000, entries: map[string]vendorEntry{}}
}

// get returns the store for slug, or ENOTFOUND. Errors other than not
// found are not remembered.
func (c *vendorCache) get(ctx context.Context, slug string) (*app.Vendor, error) {
	now := time.Now()
	c.mu.Lock()
	e, ok := c.entries[slug]
	c.mu.Unlock()
	if ok && now.Before(e.expires) {
		if e.v == nil {
			return nil, app.Errorf(app.ENOTFOUND, "There is no shop at this address.")
		}
		return e.v, nil
	}
	v, err := c.lookup(ctx, slug)
	switch {
	case err == nil:
		c.put(slug, vendorEntry{v: v, expires: now.Add(c.ttl)})
	case app.ErrorCode(err) == app.ENOTFOUND:
		c.put(slug, vendorEntry{expires: now.Add(c.negTTL)})
	}
	return v, err
}

func (c *vendorCache) put(slug string, e vendorEntry) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.entries) >= c.maxSize {
		c.entries = make(map[string]vendorEntry, c.maxSize)
	}
	c.entries[slug] = e
}

// forget drops a store, after a change to it (store settings).
func (c *vendorCache) forget(slug string) {
	c.mu.Lock()
	delete(c.entries, slug)
	c.mu.Unlock()
}
