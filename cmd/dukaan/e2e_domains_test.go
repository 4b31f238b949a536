package main

// End-to-end tests of custom domains: a real DNS server (testsvc.StartDNS,
// miekg/dns) answers the verification lookups through DUKAAN_DNS_RESOLVER;
// the console adds, verifies, makes primary and removes a domain; the shop
// answers under the verified name through a real nginx edge, a price edit
// shows there right after the console's redirect, and the TLS ask endpoint
// answers on the app's own port only.

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"dukaan/internal/testsvc"
)

// domainID is the id in the verify form of the card for name.
func domainID(tb testing.TB, doc *goquery.Document, name string) string {
	tb.Helper()
	action, ok := doc.Find(fmt.Sprintf(`.domain-card[data-domain=%q] form[action$="/verify"]`, name)).Attr("action")
	if !ok {
		tb.Fatalf("no domain card for %s", name)
	}
	return strings.TrimSuffix(strings.TrimPrefix(action, "/domain/"), "/verify")
}

func TestE2ECustomDomain(t *testing.T) {
	dns := testsvc.StartDNS(t)
	s := cacheStart(t, cacheOpts{edges: 1, env: map[string]string{
		"DUKAAN_DNS_RESOLVER": dns.Addr, "DUKAAN_PUBLIC_IPS": "192.0.2.10,2001:db8::10",
		"DUKAAN_CNAME_TARGET": "edge." + baseDomain,
	}})
	a, edge := s.apps[0], s.via[0]
	v := a.signup(t, "chai-domain")
	other := a.signup(t, "other-domain")
	ghee := v.addProduct(t, "Ghee", "600", "550", 5, true)
	const name = "shop.example.test"

	// Refused names keep what was typed, with the reason.
	for _, bad := range []string{"chai-domain." + baseDomain, baseDomain, "not a domain", "localhost"} {
		r := v.c.submit(t, "/domain", "/domain", url.Values{"name": {bad}})
		wantStatus(t, r, http.StatusUnprocessableEntity)
		if got, _ := inputValue(r.doc, "name"); got != bad || fieldError(r.doc, "name") == "" {
			t.Errorf("%q: value %q, error %q", bad, got, fieldError(r.doc, "name"))
		}
	}
	// An IDN is stored as punycode.
	wantRedirect(t, v.c.submit(t, "/domain", "/domain", url.Values{"name": {"Bücher.example.test"}}), "/domain")
	wantRedirect(t, v.c.submit(t, "/domain", "/domain", url.Values{"name": {"https://Shop.Example.TEST/"}}), "/domain")
	page := v.c.get(t, adminHost, "/domain")
	wantStatus(t, page, http.StatusOK)
	wantHeader(t, page, "Cache-Control", "private, no-store")
	if page.doc.Find(`.domain-card[data-domain="xn--bcher-kva.example.test"]`).Length() != 1 {
		t.Errorf("IDN not stored as punycode: %s", text(page.doc.Find(".domain-card h2")))
	}
	// One shop per name.
	r := other.c.submit(t, "/domain", "/domain", url.Values{"name": {name}})
	wantStatus(t, r, http.StatusConflict)
	if fieldError(r.doc, "name") == "" {
		t.Error("taken name: no field error")
	}

	card := page.doc.Find(fmt.Sprintf(`.domain-card[data-domain=%q]`, name))
	token := text(card.Find(".domain-token"))
	if !strings.HasPrefix(token, "dukaan-verify=") || !strings.Contains(text(card.Find(".domain-records")), "192.0.2.10") ||
		!strings.Contains(text(card.Find(".domain-records")), "edge."+baseDomain) {
		t.Fatalf("records shown: %s", text(card.Find(".domain-records")))
	}
	id := domainID(t, page.doc, name)
	verify := "/domain/" + id + "/verify"

	// Not verified yet: no page, no certificate.
	wantStatus(t, edge.newClient().get(t, name, "/"), http.StatusNotFound)
	ask := a.newClient()
	wantStatus(t, ask.get(t, "127.0.0.1", "/internal/tls-ask?domain="+name), http.StatusNotFound)

	// Verify with nothing set: each missing record named.
	r = v.c.submit(t, "/domain", verify, nil)
	wantStatus(t, r, http.StatusUnprocessableEntity)
	problems := text(r.doc.Find(".domain-problems"))
	if !strings.Contains(problems, "_dukaan."+name+" is missing") || !strings.Contains(problems, "no A, AAAA or CNAME record") {
		t.Errorf("problems: %s", problems)
	}
	// A wrong address is named.
	dns.Set("_dukaan."+name, "TXT", token)
	dns.Set(name, "A", "198.51.100.1")
	r = v.c.submit(t, "/domain", verify, nil)
	wantStatus(t, r, http.StatusUnprocessableEntity)
	if p := text(r.doc.Find(".domain-problems")); !strings.Contains(p, "198.51.100.1, which is not ours") || strings.Contains(p, "TXT") {
		t.Errorf("problems with the TXT right and the A wrong: %s", p)
	}
	dns.Set(name, "A", "192.0.2.10")
	wantRedirect(t, v.c.submit(t, "/domain", verify, nil), "/domain")

	// Verified: the shop answers under the name, through the edge.
	browser := edge.newClient()
	r = browser.get(t, name, "/")
	wantStatus(t, r, http.StatusOK)
	if got := cachePrice(r, ghee); got != "₹550" {
		t.Fatalf("custom domain front page price %q", got)
	}
	detail := fmt.Sprintf("/p/%d", ghee)
	browser.get(t, name, detail)
	if r := browser.get(t, name, detail); edgeCache(r) != "HIT" {
		t.Errorf("custom domain page not kept by the edge: %s", edgeCache(r))
	}
	wantStatus(t, ask.get(t, "127.0.0.1", "/internal/tls-ask?domain="+name), http.StatusOK)
	wantStatus(t, ask.get(t, "127.0.0.1", "/internal/tls-ask?domain=Shop.Example.Test."), http.StatusOK)
	wantStatus(t, ask.get(t, "127.0.0.1", "/internal/tls-ask?domain=chai-domain."+baseDomain), http.StatusNotFound)
	wantStatus(t, ask.get(t, "127.0.0.1", "/internal/tls-ask?domain=nope.example.test"), http.StatusNotFound)
	// Never through the edge, whatever the host.
	for _, h := range []string{name, v.shop(), adminHost, baseDomain, "127.0.0.1"} {
		wantStatus(t, browser.get(t, h, "/internal/tls-ask?domain="+name), http.StatusNotFound)
	}

	// Primary: the subdomain answers 301 to the domain, links, canonical
	// and OpenGraph URLs, the sitemap and the QR code use it; the console
	// stays where it is.
	r = v.c.submit(t, "/domain", "/domain/primary", url.Values{"id": {id}})
	wantRedirect(t, r, "/domain")
	for _, path := range []string{"/", detail, "/sitemap.xml"} {
		r := browser.get(t, v.shop(), path)
		loc, _ := url.Parse(r.header.Get("Location"))
		if r.status != http.StatusMovedPermanently || loc == nil || loc.Hostname() != name || loc.RequestURI() != path {
			t.Errorf("%s%s once %s is primary: %d to %q", v.shop(), path, name, r.status, r.header.Get("Location"))
		}
		if cc := r.header.Get("Cache-Control"); cc != "no-store" {
			t.Errorf("the 301's Cache-Control %q", cc)
		}
	}
	r = browser.get(t, name, detail)
	wantStatus(t, r, http.StatusOK)
	for sel, attr := range map[string]string{`link[rel=canonical]`: "href", `meta[property="og:url"]`: "content"} {
		u, _ := url.Parse(r.doc.Find(sel).AttrOr(attr, ""))
		if u == nil || u.Hostname() != name || u.Path != detail {
			t.Errorf("%s on the primary domain: %q", sel, r.doc.Find(sel).AttrOr(attr, ""))
		}
	}
	sm := browser.get(t, name, "/sitemap.xml")
	if locs := strings.Count(string(sm.body), "<loc>"); locs == 0 || strings.Count(string(sm.body), "<loc>http://"+name) != locs {
		t.Errorf("sitemap on the primary domain: %s", sm.body)
	}
	products := v.c.get(t, adminHost, "/products")
	wantStatus(t, products, http.StatusOK)
	if u, _ := url.Parse(products.doc.Find(".header-link").AttrOr("href", "")); u == nil || u.Hostname() != name {
		t.Errorf("console's View shop link: %q", products.doc.Find(".header-link").AttrOr("href", ""))
	}
	if qr := v.c.get(t, adminHost, "/qr.svg"); !strings.Contains(string(qr.body), name) {
		t.Errorf("QR code's title does not name %s", name)
	}
	// Back to the subdomain.
	wantRedirect(t, v.c.submit(t, "/domain", "/domain/primary", url.Values{"id": {"0"}}), "/domain")
	wantStatus(t, browser.get(t, v.shop(), detail), http.StatusOK)
	if u, _ := url.Parse(browser.get(t, name, detail).doc.Find(`link[rel=canonical]`).AttrOr("href", "")); u == nil || u.Hostname() != v.shop() {
		t.Errorf("canonical after the subdomain is primary again: %v", u)
	}

	// A price edit shows under the custom domain right after the redirect.
	f := v.productForm(t, ghee)
	f.Set("price", "499")
	edit := fmt.Sprintf("/products/%d/edit", ghee)
	wantRedirect(t, v.c.submit(t, edit, edit, f), "/products")
	for _, path := range []string{"/", detail} {
		if r := browser.get(t, name, path); cachePrice(r, ghee) != "₹499" {
			t.Errorf("%s%s after the edit: %q (%s)", name, path, cachePrice(r, ghee), edgeCache(r))
		}
	}

	// Removed: no page and no certificate at once (this replica).
	rm := "/domain/" + id + "/delete"
	wantRedirect(t, v.c.submit(t, "/domain", rm, nil), "/domain")
	wantStatus(t, ask.get(t, "127.0.0.1", "/internal/tls-ask?domain="+name), http.StatusNotFound)
	for _, path := range []string{"/", detail} {
		if r := browser.get(t, name, path); r.status != http.StatusNotFound {
			t.Errorf("%s%s after the removal: %d (%s)", name, path, r.status, edgeCache(r))
		}
	}
	// Another shop's domain id is not found.
	wantStatus(t, other.c.submit(t, "/domain", "/domain/"+domainID(t, page.doc, "xn--bcher-kva.example.test")+"/delete", nil), http.StatusNotFound)
}

// TestE2EDomainRecheck: the periodic re-check flags a verified domain that
// stopped pointing at us — unverified, not primary, kept with the reason
// on the console — and its name stops reaching the store.
func TestE2EDomainRecheck(t *testing.T) {
	dns := testsvc.StartDNS(t)
	a := startApp(t, "sqlite", map[string]string{
		"DUKAAN_DNS_RESOLVER": dns.Addr, "DUKAAN_PUBLIC_IPS": "192.0.2.10", "DUKAAN_DOMAIN_RECHECK": "1s",
		"DUKAAN_DOMAIN_TTL": "200ms",
	})
	v := a.signup(t, "chai-recheck")
	const name = "recheck.example.test"
	wantRedirect(t, v.c.submit(t, "/domain", "/domain", url.Values{"name": {name}}), "/domain")
	page := v.c.get(t, adminHost, "/domain")
	dns.Set("_dukaan."+name, "TXT", text(page.doc.Find(".domain-token")))
	dns.Set(name, "A", "192.0.2.10")
	id := domainID(t, page.doc, name)
	wantRedirect(t, v.c.submit(t, "/domain", "/domain/"+id+"/verify", nil), "/domain")
	wantRedirect(t, v.c.submit(t, "/domain", "/domain/primary", url.Values{"id": {id}}), "/domain")
	shopper := a.newClient()
	wantStatus(t, shopper.get(t, name, "/"), http.StatusOK)

	// The records still point at us: re-checks keep it verified.
	time.Sleep(1500 * time.Millisecond)
	if card := v.c.get(t, adminHost, "/domain").doc.Find(".domain-card"); card.AttrOr("data-verified", "") != "true" {
		t.Fatalf("a good domain was flagged: %s", text(card))
	}

	// The vendor moved DNS elsewhere.
	dns.Set(name, "A", "198.51.100.9")
	deadline := time.Now().Add(15 * time.Second)
	for {
		card := v.c.get(t, adminHost, "/domain").doc.Find(".domain-card")
		if card.AttrOr("data-verified", "") == "false" {
			if res := text(card.Find(".domain-result")); !strings.Contains(res, "198.51.100.9, which is not ours") {
				t.Errorf("flag reason: %q", res)
			}
			if card.Find(".domain-primary").Length() != 0 {
				t.Error("a flagged domain is still the main address")
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the re-check did not flag %s within 15 s", name)
		}
		time.Sleep(100 * time.Millisecond)
	}
	wantStatus(t, shopper.get(t, name, "/"), http.StatusNotFound)
	wantStatus(t, shopper.get(t, "127.0.0.1", "/internal/tls-ask?domain="+name), http.StatusNotFound)
}
