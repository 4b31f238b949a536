package tenant

import (
	"context"
	"strings"
	"sync"
	"time"

	"dukaan/app"
)

// DomainLookup returns the slug of the store a verified custom domain
// belongs to, or ENOTFOUND (app.DomainService.VerifiedDomain: one probe of
// the unique index on the name).
type DomainLookup func(ctx context.Context, name string) (slug string, err error)

// DefaultDomainTTL bounds how long a replica keeps what it learnt about a
// custom domain. The replica that makes a change forgets the name at once
// (Forget); every other replica follows within this time, so a removed or
// unverified domain stops reaching its store within DefaultDomainTTL
// everywhere (and the change's purge drops the pages served under it).
const DefaultDomainTTL = 5 * time.Second

// domainCache remembers custom domain lookups, found and not found alike
// (a flood of random names costs one query per name per TTL), bounded:
// when full it starts over.
type domainCache struct {
	lookup  DomainLookup
	ttl     time.Duration
	maxSize int
	timeout time.Duration

	mu      sync.Mutex
	entries map[string]domainEntry
}

type domainEntry struct {
	slug    string // "" when not a verified domain
	expires time.Time
}

// SetDomains turns on custom domains: hosts outside the base domain are
// looked up with lookup and remembered for ttl (0: DefaultDomainTTL).
func (r *Resolver) SetDomains(lookup DomainLookup, ttl time.Duration) {
	if ttl <= 0 {
		ttl = DefaultDomainTTL
	}
	r.domains = &domainCache{lookup: lookup, ttl: ttl, maxSize: 10000, timeout: 2 * time.Second, entries: map[string]domainEntry{}}
}

// Forget drops what this replica remembers of a custom domain, after a
// change to it.
func (r *Resolver) Forget(name string) {
	if r.domains == nil {
		return
	}
	if n, ok := normalizeHost(name); ok {
		r.domains.mu.Lock()
		delete(r.domains.entries, n)
		r.domains.mu.Unlock()
	}
}

// ResolveRequest is Resolve, plus verified custom domains: a host outside
// the base domain is a Shop (Custom set) when it is one. A lookup that
// fails (the database down) is not remembered and leaves the host Unknown.
func (r *Resolver) ResolveRequest(ctx context.Context, rawHost string) Host {
	h := r.Resolve(rawHost)
	if h.Kind != Unknown || r.domains == nil {
		return h
	}
	n, ok := normalizeHost(rawHost)
	if !ok || n == r.base || strings.HasSuffix(n, "."+r.base) {
		// Names under the base domain are never custom domains.
		return h
	}
	if slug := r.domains.get(ctx, n); slug != "" {
		return Host{Kind: Shop, Name: n, Slug: slug, Custom: true}
	}
	return h
}

// Verified reports whether name is a verified custom domain: the TLS ask
// endpoint's answer, from the same cache as the resolution.
func (r *Resolver) Verified(ctx context.Context, name string) bool {
	return r.ResolveRequest(ctx, name).Custom
}

func (c *domainCache) get(ctx context.Context, name string) string {
	now := time.Now()
	c.mu.Lock()
	e, ok := c.entries[name]
	c.mu.Unlock()
	if ok && now.Before(e.expires) {
		return e.slug
	}
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	slug, err := c.lookup(ctx, name)
	if err != nil && app.ErrorCode(err) != app.ENOTFOUND {
		return ""
	}
	if err != nil {
		slug = ""
	}
	c.mu.Lock()
	if len(c.entries) >= c.maxSize {
		c.entries = make(map[string]domainEntry, c.maxSize)
	}
	c.entries[name] = domainEntry{slug: slug, expires: now.Add(c.ttl)}
	c.mu.Unlock()
	return slug
}
