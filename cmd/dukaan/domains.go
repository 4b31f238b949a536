package main

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"dukaan/dnscheck"
	"dukaan/tenant"
)

// domainChecker is the DNS verification of custom domains.
func (m *Main) domainChecker() *dnscheck.Checker {
	return dnscheck.New(dnscheck.Config{
		PublicIPs: m.Config.publicIPs(), CNAMETarget: m.Config.CNAMETarget,
		Resolver: m.Config.DNSResolver, IsApex: tenant.IsApex,
	})
}

// storeHosts answers the page cache's StoreHosts: every name a store
// answers on, its subdomain and its verified custom domains, remembered
// for DUKAAN_DOMAIN_TTL (a purge asks once per store per pass; forget
// drops them after a domain change on this replica). A lookup that fails
// returns none: each key's own host is PURGEd anyway.
type storeHosts struct {
	m   *Main
	ttl time.Duration
	// res is set once Run made the resolver; purge jobs may run before.
	res atomic.Pointer[tenant.Resolver]

	mu      sync.Mutex
	entries map[int64]storeHostsEntry
}

type storeHostsEntry struct {
	names   []string
	expires time.Time
}

func (h *storeHosts) get(storeID int64) []string {
	now := time.Now()
	h.mu.Lock()
	e, ok := h.entries[storeID]
	h.mu.Unlock()
	if ok && now.Before(e.expires) {
		return e.names
	}
	res := h.res.Load()
	if res == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	v, err := h.m.DB.VendorByID(ctx, storeID)
	if err != nil {
		return nil
	}
	custom, err := h.m.DB.ShopDomains(ctx, storeID)
	if err != nil {
		return nil
	}
	names := append([]string{res.ShopHost(v.Slug)}, custom...)
	h.mu.Lock()
	if len(h.entries) >= 10000 {
		h.entries = map[int64]storeHostsEntry{}
	}
	h.entries[storeID] = storeHostsEntry{names: names, expires: now.Add(h.ttl)}
	h.mu.Unlock()
	return names
}

func (h *storeHosts) forget() {
	h.mu.Lock()
	h.entries = map[int64]storeHostsEntry{}
	h.mu.Unlock()
}
