package tenant

import (
	"net/netip"
	"strings"

	"golang.org/x/net/idna"
	"golang.org/x/net/publicsuffix"
)

// domainProfile is IDNA 2008's registration profile: what a registrar
// accepts, so a name that could not be registered is refused here too.
var domainProfile = idna.Registration

// NormalizeDomain turns what a vendor typed into a custom domain's stored
// name: trimmed, a scheme, path or port dropped, lower case, no trailing
// dot, IDNs as punycode (IDNA 2008, registration profile). It returns the
// message to show when the name cannot be a shop's: not a DNS name, a
// single label, an IP address, or the base domain or a name under it.
func (r *Resolver) NormalizeDomain(raw string) (string, string) {
	s := strings.TrimSpace(raw)
	if i := strings.Index(s, "://"); i >= 0 {
		s = s[i+3:]
	}
	if i := strings.IndexAny(s, "/?#"); i >= 0 {
		s = s[:i]
	}
	if i := strings.LastIndexByte(s, ':'); i >= 0 && !strings.Contains(s, "]") {
		s = s[:i]
	}
	s = strings.TrimSuffix(s, ".")
	if s == "" {
		return "", "Enter your domain, like shop.example.com."
	}
	if _, err := netip.ParseAddr(strings.Trim(s, "[]")); err == nil {
		return "", "Enter a domain name, not an IP address."
	}
	// The registration profile refuses upper case rather than mapping
	// it; what a vendor types is lower-cased first (Unicode rules).
	a, err := domainProfile.ToASCII(strings.ToLower(s))
	if err != nil {
		return "", "That is not a valid domain name."
	}
	a = strings.ToLower(a)
	n, ok := normalizeHost(a)
	if !ok {
		return "", "That is not a valid domain name."
	}
	if !strings.Contains(n, ".") {
		return "", "Enter the full domain, like shop.example.com."
	}
	if n == r.base || strings.HasSuffix(n, "."+r.base) {
		return "", "That name is ours: enter a domain you own."
	}
	return n, ""
}

// IsApex reports whether name is a registrable domain itself (example.com,
// example.co.in: the public suffix list's eTLD+1), where a CNAME cannot
// sit, so the console offers only A/AAAA records there.
func IsApex(name string) bool {
	e, err := publicsuffix.EffectiveTLDPlusOne(name)
	return err != nil || e == name
}
