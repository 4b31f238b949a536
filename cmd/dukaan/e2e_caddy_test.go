package main

// Custom domains with automatic HTTPS through a real Caddy (Debian's 2.6,
// caddy/caddytest) in front of a real nginx edge in front of the app:
// Caddy's internal CA issues the base domain's wildcard at start and a
// verified custom domain's certificate on its first handshake, after
// asking the app's /internal/tls-ask; a name the app does not vouch for
// gets no certificate. The client verifies against the test's root and
// sends SNI and Host as a browser does.

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"dukaan/caddy"
	"dukaan/caddy/caddytest"
	"dukaan/internal/testsvc"
)

func TestE2ECaddyCustomDomain(t *testing.T) {
	caddytest.Require(t)
	dns := testsvc.StartDNS(t)
	s := cacheStart(t, cacheOpts{edges: 1, env: map[string]string{
		"DUKAAN_DNS_RESOLVER": dns.Addr, "DUKAAN_PUBLIC_IPS": "192.0.2.10",
	}})
	a := s.apps[0]
	v := a.signup(t, "chai-tls")
	ghee := v.addProduct(t, "Ghee", "600", "550", 5, true)
	addVerified := func(name string) string {
		t.Helper()
		wantRedirect(t, v.c.submit(t, "/domain", "/domain", url.Values{"name": {name}}), "/domain")
		page := v.c.get(t, adminHost, "/domain")
		card := page.doc.Find(fmt.Sprintf(`.domain-card[data-domain=%q]`, name))
		dns.Set("_dukaan."+name, "TXT", text(card.Find(".domain-token")))
		dns.Set(name, "A", "192.0.2.10")
		id := domainID(t, page.doc, name)
		wantRedirect(t, v.c.submit(t, "/domain", "/domain/"+id+"/verify", nil), "/domain")
		return id
	}
	const name = "shop.example.test"
	id := addVerified(name)
	// Verified, then removed before anyone visited it.
	gone := addVerified("gone.example.test")
	wantRedirect(t, v.c.submit(t, "/domain", "/domain/"+gone+"/delete", nil), "/domain")
	// Added, never verified.
	wantRedirect(t, v.c.submit(t, "/domain", "/domain", url.Values{"name": {"unverified.example.test"}}), "/domain")

	cd := caddytest.Start(t, baseDomain, "http://"+a.addr+"/internal/tls-ask", s.edges[0].Addr())

	// First handshake of the custom domain: issued on demand.
	names, took, err := cd.Handshake(t, name)
	if err != nil || !slices.Contains(names, name) {
		t.Fatalf("first handshake for %s: %v, names %v\n%s", name, err, names, cd.Log())
	}
	t.Logf("first handshake for %s (ask + issue from the internal CA): %v", name, took)
	_, again, _ := cd.Handshake(t, name)
	t.Logf("second handshake: %v", again)
	// The wildcard covers the store subdomain and the console.
	for _, h := range []string{v.shop(), adminHost} {
		if ns, _, err := cd.Handshake(t, h); err != nil || !slices.Contains(ns, "*."+baseDomain) {
			t.Errorf("handshake for %s: %v, names %v", h, err, ns)
		}
	}
	// No certificate for what the app does not vouch for.
	for _, h := range []string{"gone.example.test", "unverified.example.test", "random.example.test"} {
		if _, _, err := cd.Handshake(t, h); err == nil {
			t.Errorf("handshake for %s succeeded, want no certificate", h)
		}
	}

	hc := cd.Client(t)
	get := func(rawURL string) (*http.Response, string) {
		t.Helper()
		resp, err := hc.Get(rawURL)
		if err != nil {
			t.Fatalf("GET %s: %v", rawURL, err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, string(b)
	}
	price := func(body string) string {
		doc, err := goquery.NewDocumentFromReader(strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		return cachePrice(&response{doc: doc}, ghee)
	}
	resp, body := get("https://" + name + "/")
	if resp.StatusCode != http.StatusOK || resp.ProtoMajor != 2 || price(body) != "₹550" {
		t.Fatalf("https://%s/: %d over %s, price %q", name, resp.StatusCode, resp.Proto, price(body))
	}
	if hsts := resp.Header.Get("Strict-Transport-Security"); strings.Contains(hsts, "includeSubDomains") {
		t.Errorf("custom domain HSTS %q pins the vendor's other names", hsts)
	}
	if resp, _ := get("https://" + v.shop() + "/"); resp.StatusCode != http.StatusOK {
		t.Errorf("store subdomain through Caddy: %d", resp.StatusCode)
	}
	// HTTP redirects to HTTPS.
	if resp, _ := get("http://" + name + ":80/"); resp.StatusCode != http.StatusPermanentRedirect ||
		!strings.HasPrefix(resp.Header.Get("Location"), "https://"+name) {
		t.Errorf("http://%s/: %d, Location %q", name, resp.StatusCode, resp.Header.Get("Location"))
	}
	// The ask endpoint is not public through Caddy, under any name.
	for _, h := range []string{name, v.shop(), adminHost, baseDomain} {
		if resp, _ := get("https://" + h + "/internal/tls-ask?domain=" + name); resp.StatusCode != http.StatusNotFound {
			t.Errorf("ask through Caddy on %s: %d", h, resp.StatusCode)
		}
	}

	// A price edit is visible through the custom domain right after the
	// console's redirect.
	f := v.productForm(t, ghee)
	f.Set("price", "499")
	edit := fmt.Sprintf("/products/%d/edit", ghee)
	wantRedirect(t, v.c.submit(t, edit, edit, f), "/products")
	if _, body := get("https://" + name + "/"); price(body) != "₹499" {
		t.Errorf("after the edit, through Caddy: price %q", price(body))
	}

	// Once primary, the subdomain's 301 through Caddy.
	wantRedirect(t, v.c.submit(t, "/domain", "/domain/primary", url.Values{"id": {id}}), "/domain")
	detail := fmt.Sprintf("/p/%d", ghee)
	resp, _ = get("https://" + v.shop() + detail)
	if loc, _ := url.Parse(resp.Header.Get("Location")); resp.StatusCode != http.StatusMovedPermanently || loc == nil || loc.Hostname() != name || loc.Path != detail {
		t.Errorf("subdomain once %s is primary, through Caddy: %d to %q", name, resp.StatusCode, resp.Header.Get("Location"))
	}
}

// internalCAFindings are what testssl reports of every certificate of
// Caddy's internal CA, whatever the TLS configuration: its leaves live
// 12 hours (so "expires < 30 days") and carry no OCSP or CRL URI. In
// production the certificates come from ACME. They are logged, not
// judged; everything else of MEDIUM or above fails the test.
var internalCAFindings = map[string]bool{"cert_expirationStatus": true, "cert_notAfter": true, "cert_revocation": true}

// TestE2ECaddyTestSSL runs Debian's testssl.sh against Caddy in front of
// the edge and the app (the landing page, under the base domain's
// certificate): no
// finding of severity MEDIUM or above.
func TestE2ECaddyTestSSL(t *testing.T) {
	bin, err := exec.LookPath("testssl")
	if err != nil {
		testsvc.Unavailable(t, "testssl is not installed (apt-get install testssl.sh)")
	}
	caddytest.Require(t)
	s := cacheStart(t, cacheOpts{edges: 1, env: map[string]string{"DUKAAN_HTTPS": "true"}})
	// The app as in production behind Caddy (DUKAAN_HTTPS: HSTS, Secure
	// cookies); the landing page is the scanned one.
	a := s.apps[0]
	cd := caddytest.Start(t, baseDomain, "http://"+a.addr+"/internal/tls-ask", s.edges[0].Addr())
	_, port, _ := net.SplitHostPort(cd.HTTPSAddr)
	out := filepath.Join(t.TempDir(), "testssl.json")
	ctx, cancel := context.WithTimeout(t.Context(), 4*time.Minute)
	defer cancel()
	start := time.Now()
	cmd := exec.CommandContext(ctx, bin, "--quiet", "--color", "0", "--warnings", "off", "--fast", "--ip", "127.0.0.1",
		"--add-ca", caddy.RootCert(cd.Storage), "--severity", "LOW", "--jsonfile", out,
		"--protocols", "--server-defaults", "--server-preference", "--vulnerable", "--headers",
		"https://"+baseDomain+":"+port+"/")
	cmd.Env = append(os.Environ(), "TERM=dumb")
	text, err := cmd.CombinedOutput()
	took := time.Since(start)
	// testssl's exit status counts findings; the JSON is what is judged.
	b, rerr := os.ReadFile(out)
	if rerr != nil {
		t.Fatalf("testssl wrote no JSON (%v, %v):\n%s", err, rerr, text)
	}
	var findings []struct{ ID, Severity, Finding string }
	if err := json.Unmarshal(b, &findings); err != nil {
		t.Fatalf("testssl JSON: %v", err)
	}
	count := map[string]int{}
	for _, f := range findings {
		count[f.Severity]++
		switch {
		case f.ID == "scanProblem" || f.Severity == "FATAL":
			t.Errorf("testssl could not scan: %s", f.Finding)
		case internalCAFindings[f.ID]:
		case f.Severity == "MEDIUM" || f.Severity == "HIGH" || f.Severity == "CRITICAL":
			t.Errorf("testssl %s %s: %s", f.Severity, f.ID, f.Finding)
		}
	}
	t.Logf("testssl on Caddy in %v: findings at LOW or above by severity %v", took.Round(time.Second), count)
	for _, f := range findings {
		t.Logf("  %s %s: %s", f.Severity, f.ID, f.Finding)
	}
}
