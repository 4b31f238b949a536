// Package dnscheck verifies a custom domain: it looks its records up
// (through a chosen resolver, DUKAAN_DNS_RESOLVER, or the system's) and
// says exactly which record is missing or wrong.
package dnscheck

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"strings"
	"time"

	"dukaan/app"
)

// Config is what the platform answers for.
type Config struct {
	// PublicIPs are the addresses A/AAAA records must point at.
	PublicIPs []netip.Addr
	// CNAMETarget is the name a subdomain may CNAME to instead ("" if
	// none is offered).
	CNAMETarget string
	// Resolver is "host:port" of the DNS server to ask; "" asks the
	// system's.
	Resolver string
	// Timeout bounds one check (default 5 s).
	Timeout time.Duration
	// IsApex says whether a name is a registrable domain, where a CNAME
	// cannot sit (tenant.IsApex).
	IsApex func(name string) bool
}

// Checker looks records up. It satisfies the web layer's DomainChecker.
type Checker struct {
	cfg Config
	r   *net.Resolver
}

// New returns a checker.
func New(cfg Config) *Checker {
	if cfg.Timeout == 0 {
		cfg.Timeout = 5 * time.Second
	}
	if cfg.IsApex == nil {
		cfg.IsApex = func(string) bool { return false }
	}
	cfg.CNAMETarget = strings.TrimSuffix(strings.ToLower(cfg.CNAMETarget), ".")
	r := net.DefaultResolver
	if cfg.Resolver != "" {
		addr := cfg.Resolver
		var d net.Dialer
		// The Go resolver, every query sent to addr whatever
		// /etc/resolv.conf says.
		r = &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, network, _ string) (net.Conn, error) {
			return d.DialContext(ctx, network, addr)
		}}
	}
	return &Checker{cfg: cfg, r: r}
}

// Records lists what d needs.
func (c *Checker) Records(d *app.Domain) app.DomainRecords {
	r := app.DomainRecords{TXTName: app.DomainTXTPrefix + d.Name, TXT: d.Token}
	for _, ip := range c.cfg.PublicIPs {
		if ip.Is4() {
			r.A = append(r.A, ip.String())
		} else {
			r.AAAA = append(r.AAAA, ip.String())
		}
	}
	if c.cfg.CNAMETarget != "" && !c.cfg.IsApex(d.Name) {
		r.CNAME = c.cfg.CNAMETarget
	}
	return r
}

// Check looks d's records up. A lookup that fails for another reason than
// "no such record" (timeout, SERVFAIL) is a problem too, worded as such:
// the daily re-check then flags the domain rather than trusting it.
func (c *Checker) Check(ctx context.Context, d *app.Domain) app.DomainCheck {
	ctx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()
	var out app.DomainCheck
	if p := c.checkTXT(ctx, d); p != "" {
		out.Problems = append(out.Problems, p)
	}
	if p := c.checkPointer(ctx, d); p != "" {
		out.Problems = append(out.Problems, p)
	}
	return out
}

func (c *Checker) checkTXT(ctx context.Context, d *app.Domain) string {
	name := app.DomainTXTPrefix + d.Name
	txts, err := c.r.LookupTXT(ctx, name)
	if err != nil && !notFound(err) {
		return fmt.Sprintf("We could not look up the TXT record %s (%s); please try again.", name, lookupErr(err))
	}
	if slices.Contains(txts, d.Token) {
		return ""
	}
	if len(txts) == 0 {
		return fmt.Sprintf("The TXT record %s is missing: create it with the value %s.", name, d.Token)
	}
	return fmt.Sprintf("The TXT record %s holds %q, not %s.", name, strings.Join(txts, `", "`), d.Token)
}

func (c *Checker) checkPointer(ctx context.Context, d *app.Domain) string {
	if c.cfg.CNAMETarget != "" && !c.cfg.IsApex(d.Name) {
		cname, err := c.r.LookupCNAME(ctx, d.Name)
		if err == nil && strings.TrimSuffix(strings.ToLower(cname), ".") == c.cfg.CNAMETarget {
			return ""
		}
	}
	ips, err := c.r.LookupNetIP(ctx, "ip", d.Name)
	if err != nil && !notFound(err) {
		return fmt.Sprintf("We could not look up %s (%s); please try again.", d.Name, lookupErr(err))
	}
	want := c.want()
	if len(ips) == 0 {
		if c.cfg.CNAMETarget != "" && !c.cfg.IsApex(d.Name) {
			return fmt.Sprintf("%s has no A, AAAA or CNAME record: point it at %s (CNAME) or %s.", d.Name, c.cfg.CNAMETarget, want)
		}
		return fmt.Sprintf("%s has no A or AAAA record: point it at %s.", d.Name, want)
	}
	var wrong []string
	for _, ip := range ips {
		if !slices.Contains(c.cfg.PublicIPs, ip.Unmap()) {
			wrong = append(wrong, ip.Unmap().String())
		}
	}
	if len(wrong) > 0 {
		return fmt.Sprintf("%s points at %s, which is not ours: its A/AAAA records must be %s only.", d.Name, strings.Join(wrong, ", "), want)
	}
	return ""
}

func (c *Checker) want() string {
	if len(c.cfg.PublicIPs) == 0 {
		return "(no address: the platform has none set)"
	}
	s := make([]string, len(c.cfg.PublicIPs))
	for i, ip := range c.cfg.PublicIPs {
		s[i] = ip.String()
	}
	return strings.Join(s, ", ")
}

func notFound(err error) bool {
	var de *net.DNSError
	return errors.As(err, &de) && de.IsNotFound
}

func lookupErr(err error) string {
	var de *net.DNSError
	if errors.As(err, &de) {
		if de.IsTimeout {
			return "the lookup timed out"
		}
		return de.Err
	}
	return err.Error()
}
