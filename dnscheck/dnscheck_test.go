package dnscheck_test

import (
	"net/netip"
	"strings"
	"testing"
	"time"

	"dukaan/app"
	"dukaan/dnscheck"
	"dukaan/internal/testsvc"
	"dukaan/tenant"
)

func TestCheck(t *testing.T) {
	dns := testsvc.StartDNS(t)
	c := dnscheck.New(dnscheck.Config{
		PublicIPs:   []netip.Addr{netip.MustParseAddr("192.0.2.10"), netip.MustParseAddr("2001:db8::10")},
		CNAMETarget: "edge.dukaan.test", Resolver: dns.Addr, Timeout: 2 * time.Second, IsApex: tenant.IsApex,
	})
	d := &app.Domain{Name: "shop.example.test", Token: "dukaan-verify=abc"}
	problems := func() string { return strings.Join(c.Check(t.Context(), d).Problems, " | ") }

	got := problems()
	if !strings.Contains(got, "TXT record _dukaan.shop.example.test is missing") || !strings.Contains(got, "no A, AAAA or CNAME record") {
		t.Errorf("nothing set: %s", got)
	}
	dns.Set("_dukaan.shop.example.test", "TXT", "something-else")
	dns.Set("shop.example.test", "A", "198.51.100.7")
	got = problems()
	if !strings.Contains(got, `holds "something-else", not dukaan-verify=abc`) || !strings.Contains(got, "points at 198.51.100.7, which is not ours") {
		t.Errorf("wrong records: %s", got)
	}
	dns.Set("_dukaan.shop.example.test", "TXT", "dukaan-verify=abc")
	dns.Set("shop.example.test", "A", "192.0.2.10")
	dns.Set("shop.example.test", "AAAA", "2001:db8::10")
	if got := problems(); got != "" {
		t.Errorf("right records: %s", got)
	}
	// One address of ours and one not: wrong (half the visitors would
	// land elsewhere).
	dns.Set("shop.example.test", "AAAA", "2001:db8::99")
	if got := problems(); !strings.Contains(got, "2001:db8::99, which is not ours") {
		t.Errorf("mixed addresses: %s", got)
	}
	// A CNAME to the target instead.
	dns.Set("shop.example.test", "A")
	dns.Set("shop.example.test", "AAAA")
	dns.Set("edge.dukaan.test", "A", "192.0.2.10")
	dns.Set("shop.example.test", "CNAME", "edge.dukaan.test")
	if got := problems(); got != "" {
		t.Errorf("CNAME to the target: %s", got)
	}
	// An apex cannot use the CNAME: it is pointed by address.
	apex := &app.Domain{Name: "example.test", Token: "t"}
	if r := c.Records(apex); r.CNAME != "" || len(r.A) != 1 || len(r.AAAA) != 1 || r.TXTName != "_dukaan.example.test" {
		t.Errorf("apex records = %+v", r)
	}
	if r := c.Records(d); r.CNAME != "edge.dukaan.test" {
		t.Errorf("subdomain records = %+v", r)
	}
}

// TestCheckUnreachable: a resolver that does not answer is a problem that
// says so, not a pass.
func TestCheckUnreachable(t *testing.T) {
	c := dnscheck.New(dnscheck.Config{PublicIPs: []netip.Addr{netip.MustParseAddr("192.0.2.10")},
		Resolver: "127.0.0.1:1", Timeout: time.Second})
	ch := c.Check(t.Context(), &app.Domain{Name: "shop.example.test", Token: "x"})
	if ch.OK() || !strings.Contains(strings.Join(ch.Problems, " "), "could not look up") {
		t.Errorf("unreachable resolver: %+v", ch)
	}
}
