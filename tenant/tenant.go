// Package tenant turns a request's Host into who it is for: the landing
// site, the vendor console, or one vendor's shop. It fails closed: a host
// it cannot place is Unknown, and a handler that needs a vendor and finds
// none in the context must refuse the request.
package tenant

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"

	"dukaan/app"
)

// Kind is what a host serves.
type Kind int

const (
	Unknown Kind = iota // outside the base domain, malformed, or nested subdomains
	Landing             // <base> and www.<base>
	Admin               // admin.<base>
	Shop                // <store>.<base>
)

func (k Kind) String() string {
	switch k {
	case Landing:
		return "landing"
	case Admin:
		return "admin"
	case Shop:
		return "shop"
	}
	return "unknown"
}

// Host is a resolved request host.
type Host struct {
	Kind Kind
	Name string // normalised host name without port
	Slug string // store name, for Kind == Shop
	// Custom: a shop reached through one of its verified custom domains
	// (Name is that domain), not <store>.<base>.
	Custom bool
}

// Reserved store names: hosts the platform uses or may use, and names a
// phisher would like. A vendor can never sign up with one of them.
var reserved = map[string]bool{}

func init() {
	for _, n := range strings.Fields(`admin administrator api app apps assets auth billing blog cdn
		checkout dashboard demo-admin dev docs edge ftp help imap img images internal login
		mail media metrics mx ns ns1 ns2 official payments pop pop3 portal purge root secure
		shop shops signup smtp ssl staff staging static stats status store stores support
		system test webmail www www1 www2 dukaan`) {
		reserved[n] = true
	}
}

// IsReserved reports whether name is kept for the platform.
func IsReserved(name string) bool { return reserved[name] }

// ValidateStoreName checks a store name a vendor asks for: 3–30 of a–z, 0–9
// and '-', no leading or trailing hyphen, not reserved. It returns the
// message to show, or "" when the name is fine.
func ValidateStoreName(name string) string {
	if len(name) < 3 || len(name) > 30 {
		return "Use 3 to 30 characters."
	}
	if !isLabel(name) {
		return "Use only lower-case letters, digits and hyphens, not starting or ending with a hyphen."
	}
	if reserved[name] {
		return "That name is reserved. Please choose another."
	}
	return ""
}

// isLabel reports whether s is a-z0-9 and inner hyphens.
func isLabel(s string) bool {
	if s == "" || s[0] == '-' || s[len(s)-1] == '-' {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

// Resolver maps hosts under one base domain.
type Resolver struct {
	base    string
	trusted []netip.Prefix
	domains *domainCache // custom domains (SetDomains); nil: none
}

// NewResolver returns a resolver for base (e.g. "localhost" or
// "dukaan.in"). X-Forwarded-Host is honoured only from peers inside one of
// trustedProxies (CIDRs or single addresses).
func NewResolver(base string, trustedProxies []string) (*Resolver, error) {
	b, ok := normalizeHost(base)
	if !ok || strings.Contains(b, ":") {
		return nil, fmt.Errorf("tenant: invalid base domain %q", base)
	}
	r := &Resolver{base: b}
	for _, s := range trustedProxies {
		s = strings.TrimSpace(s)
		if s == "" {
			continue
		}
		var p netip.Prefix
		var err error
		if strings.Contains(s, "/") {
			p, err = netip.ParsePrefix(s)
		} else {
			var a netip.Addr
			a, err = netip.ParseAddr(s)
			p = netip.PrefixFrom(a, a.BitLen())
		}
		if err != nil {
			return nil, fmt.Errorf("tenant: invalid trusted proxy %q: %w", s, err)
		}
		r.trusted = append(r.trusted, p.Masked())
	}
	return r, nil
}

// Base is the normalised base domain.
func (r *Resolver) Base() string { return r.base }

// AdminHost is the vendor console's host name.
func (r *Resolver) AdminHost() string { return "admin." + r.base }

// ShopHost is the host name of a store.
func (r *Resolver) ShopHost(slug string) string { return slug + "." + r.base }

// Resolve places a raw Host value (as sent, possibly with a port, upper
// case or a trailing dot).
func (r *Resolver) Resolve(rawHost string) Host {
	h, ok := normalizeHost(rawHost)
	if !ok {
		return Host{Kind: Unknown, Name: h}
	}
	switch {
	case h == r.base || h == "www."+r.base:
		return Host{Kind: Landing, Name: h}
	case h == "admin."+r.base:
		return Host{Kind: Admin, Name: h}
	}
	sub, found := strings.CutSuffix(h, "."+r.base)
	// Custom domains are ResolveRequest's: they need a lookup.
	if !found || !isLabel(sub) || reserved[sub] || len(sub) < 3 || len(sub) > 30 {
		return Host{Kind: Unknown, Name: h}
	}
	return Host{Kind: Shop, Name: h, Slug: sub}
}

// RequestHost returns the host a request is for: X-Forwarded-Host when the
// direct peer is a trusted proxy, the Host header otherwise.
func (r *Resolver) RequestHost(req *http.Request) string {
	if fwd := req.Header.Get("X-Forwarded-Host"); fwd != "" && r.fromTrusted(req.RemoteAddr) {
		// A proxy chain appends; the first value is what the client asked for.
		first, _, _ := strings.Cut(fwd, ",")
		return strings.TrimSpace(first)
	}
	return req.Host
}

// FromTrusted reports whether the request's direct peer is a trusted proxy.
func (r *Resolver) FromTrusted(req *http.Request) bool { return r.fromTrusted(req.RemoteAddr) }

// Trusted reports whether addr (an IP, with or without a port) is one of
// the trusted proxies: for walking an X-Forwarded-For chain.
func (r *Resolver) Trusted(addr string) bool { return r.fromTrusted(addr) }

func (r *Resolver) fromTrusted(remoteAddr string) bool {
	if len(r.trusted) == 0 {
		return false
	}
	host, _, err := net.SplitHostPort(remoteAddr)
	if err != nil {
		host = remoteAddr
	}
	a, err := netip.ParseAddr(host)
	if err != nil {
		return false
	}
	a = a.Unmap()
	for _, p := range r.trusted {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// normalizeHost lower-cases, strips a port and one trailing dot, and
// rejects anything that is not a plain DNS name.
func normalizeHost(s string) (string, bool) {
	s = strings.ToLower(strings.TrimSpace(s))
	if h, _, err := net.SplitHostPort(s); err == nil {
		s = h
	} else if i := strings.LastIndexByte(s, ':'); i >= 0 && !strings.Contains(s, "]") {
		// "host:" with an empty port.
		if i == len(s)-1 {
			s = s[:i]
		}
	}
	s = strings.TrimSuffix(s, ".")
	if s == "" || len(s) > 253 {
		return s, false
	}
	for _, label := range strings.Split(s, ".") {
		if len(label) == 0 || len(label) > 63 || !isLabel(label) {
			return s, false
		}
	}
	return s, true
}

type ctxKey struct{}

// NewContext returns ctx carrying the vendor whose shop a request is for.
func NewContext(ctx context.Context, v *app.Vendor) context.Context {
	return context.WithValue(ctx, ctxKey{}, v)
}

// ErrNoTenant is returned when a shop handler runs without a vendor.
var ErrNoTenant = errors.New("tenant: no vendor in context")

// FromContext returns the vendor a request is for, or ErrNoTenant.
func FromContext(ctx context.Context) (*app.Vendor, error) {
	if v, ok := ctx.Value(ctxKey{}).(*app.Vendor); ok && v != nil {
		return v, nil
	}
	return nil, ErrNoTenant
}
