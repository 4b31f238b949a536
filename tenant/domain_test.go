package tenant

import (
	"strings"
	"testing"

	"golang.org/x/net/idna"
)

func TestNormalizeDomain(t *testing.T) {
	r, err := NewResolver("dukaan.test", nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ in, want string }{
		{"shop.example.com", "shop.example.com"},
		{"  Shop.Example.COM. ", "shop.example.com"},
		{"https://shop.example.com:8443/path?q=1", "shop.example.com"},
		{"example.com", "example.com"},
		{"दुकान.भारत", "xn--11b7ah1gn.xn--h2brj9c"},
		{"Bücher.example", "xn--bcher-kva.example"},
		{"BÜCHER.example", "xn--bcher-kva.example"},
	} {
		got, msg := r.NormalizeDomain(c.in)
		if got != c.want || msg != "" {
			t.Errorf("NormalizeDomain(%q) = %q, %q; want %q", c.in, got, msg, c.want)
		}
		// The punycode decodes back to what was typed (lower case).
		if u, err := idna.ToUnicode(got); err != nil || u != strings.ToLower(strings.TrimSuffix(strings.TrimSpace(c.in), ".")) && !strings.Contains(c.in, "/") {
			t.Errorf("ToUnicode(%q) = %q, %v", got, u, err)
		}
	}
	for _, in := range []string{"", "localhost", "dukaan.test", "joes.dukaan.test", "a.b.DUKAAN.test", "127.0.0.1", "[::1]",
		"exa mple.com", "-bad.example.com", "under_score.example.com", "xn--zz.example.com"} {
		if got, msg := r.NormalizeDomain(in); msg == "" {
			t.Errorf("NormalizeDomain(%q) = %q, accepted", in, got)
		}
	}
}

func TestIsApex(t *testing.T) {
	for name, want := range map[string]bool{"example.com": true, "example.co.in": true, "shop.example.com": false, "shop.example.co.in": false} {
		if IsApex(name) != want {
			t.Errorf("IsApex(%q) = %v", name, !want)
		}
	}
}
