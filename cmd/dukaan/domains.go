package main

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"dukaan/app"
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

// recheckDomains is the periodic re-check: every verified domain is
// looked up again and the outcome stored; one that fails is flagged
// (unverified, not primary, kept with the reason), and this replica's
// resolution forgets it at once (the others within DUKAAN_DOMAIN_TTL).
// It reports how many it flagged. A domain whose shop changed it meanwhile
// (removed) is skipped.
func (m *Main) recheckDomains(ctx context.Context) (int64, error) {
	ds, err := m.DB.VerifiedDomains(ctx)
	if err != nil {
		return 0, err
	}
	checker := m.domainChecker()
	var flagged int64
	for _, d := range ds {
		if err := ctx.Err(); err != nil {
			return flagged, err
		}
		check := checker.Check(ctx, d)
		if _, err := m.DB.RecordDomainCheck(ctx, d.VendorID, d.ID, check); err != nil {
			if app.ErrorCode(err) == app.ENOTFOUND {
				continue
			}
			return flagged, err
		}
		if !check.OK() {
			flagged++
			m.Logger.Warn("custom domain flagged by the re-check", "domain", d.Name, "vendor_id", d.VendorID, "problems", check.Problems)
			if res := m.hosts.res.Load(); res != nil {
				res.Forget(d.Name)
			}
			m.hosts.forget()
		}
	}
	return flagged, nil
}
