package notify

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"syscall"
	"time"

	"dukaan/app"
)

// WebhookTimeout bounds one delivery attempt, connection to last byte:
// the 10 s. A slower endpoint counts as a failure and is retried.
const WebhookTimeout = 10 * time.Second

// Webhook request headers (docs/http.md, "Webhooks").
const (
	HeaderEvent     = "X-Dukaan-Event"
	HeaderDelivery  = "X-Dukaan-Delivery"
	HeaderSignature = "X-Dukaan-Signature"
)

// WebhookConfig is the address policy of the webhook client.
type WebhookConfig struct {
	// RequireHTTPS refuses http:// endpoints (production).
	RequireHTTPS bool
	// AllowPrivate turns the address guard off and allows http://, for
	// development and tests (a receiver on 127.0.0.1). cmd/dukaan refuses
	// it with DUKAAN_ENV=production.
	AllowPrivate bool
}

// Webhooks sends webhook deliveries: signed, with a 10 s timeout, no
// redirects followed, and never to a loopback, private, link-local or
// otherwise internal address.
type Webhooks struct {
	cfg      WebhookConfig
	timeout  time.Duration
	hc       *http.Client
	resolver *net.Resolver
}

// NewWebhooks is the client cmd/dukaan uses.
func NewWebhooks(cfg WebhookConfig) *Webhooks { return newWebhooks(cfg, WebhookTimeout) }

// newWebhooks takes the timeout as well, so a test of a hanging endpoint
// need not wait the real 10 s.
func newWebhooks(cfg WebhookConfig, timeout time.Duration) *Webhooks {
	w := &Webhooks{cfg: cfg, timeout: timeout, resolver: net.DefaultResolver}
	dialer := &net.Dialer{Timeout: timeout, KeepAlive: 30 * time.Second}
	if !cfg.AllowPrivate {
		// Control runs after DNS, on the very address being dialled: a
		// name that resolved to a public address when the vendor saved
		// it and resolves to 127.0.0.1 now (DNS rebinding) is refused
		// here, as is every address a multi-address name tries.
		dialer.Control = guardDial
	}
	w.hc = &http.Client{
		Timeout: timeout,
		Transport: &http.Transport{
			// No proxy from the environment: through a proxy the address
			// dialled would be the proxy's, and the guard would check
			// nothing about the endpoint.
			Proxy:                 nil,
			DialContext:           dialer.DialContext,
			TLSHandshakeTimeout:   timeout,
			ResponseHeaderTimeout: timeout,
			MaxIdleConns:          100,
			MaxIdleConnsPerHost:   2,
			IdleConnTimeout:       90 * time.Second,
			ForceAttemptHTTP2:     true,
		},
		// A redirect is a failure, not followed: the vendor configured
		// one URL, a 3xx is not an acknowledgement that it took the
		// event, and following it would send the signed body to an
		// address nobody checked at save time (the classic way around an
		// address check).
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	return w
}

// Sign is the X-Dukaan-Signature value of body: "sha256=" and the hex
// HMAC-SHA256 of the raw body, keyed with the whole secret string.
func Sign(secret string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// Deliver makes one attempt. It never panics on a bad URL: every problem
// is the result's Err.
func (w *Webhooks) Deliver(ctx context.Context, r app.WebhookRequest) app.WebhookResult {
	if r.URL == "" || r.Secret == "" {
		return app.WebhookResult{Err: errors.New("the shop has no webhook endpoint (or no secret) now")}
	}
	u, err := url.Parse(r.URL)
	if err != nil {
		return app.WebhookResult{Err: fmt.Errorf("bad endpoint address: %v", err)}
	}
	if msg := w.schemeProblem(u); msg != "" {
		return app.WebhookResult{Err: errors.New(msg)}
	}
	ctx, cancel := context.WithTimeout(ctx, w.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u.String(), bytes.NewReader(r.Body))
	if err != nil {
		return app.WebhookResult{Err: fmt.Errorf("bad endpoint address: %v", err)}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "Dukaan-Webhooks/1")
	req.Header.Set(HeaderEvent, r.Event)
	req.Header.Set(HeaderDelivery, r.DeliveryID)
	req.Header.Set(HeaderSignature, Sign(r.Secret, r.Body))
	start := time.Now()
	resp, err := w.hc.Do(req)
	if err != nil {
		return app.WebhookResult{Duration: time.Since(start), Err: w.sendError(err)}
	}
	// Read a little of the answer so the connection can be reused; what
	// it says does not matter.
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	_ = resp.Body.Close()
	res := app.WebhookResult{StatusCode: resp.StatusCode, Duration: time.Since(start)}
	switch {
	case resp.StatusCode >= 200 && resp.StatusCode < 300:
	case resp.StatusCode >= 300 && resp.StatusCode < 400:
		res.Err = fmt.Errorf("the endpoint answered %d, a redirect (to %q), which is not followed: save the final address", resp.StatusCode, resp.Header.Get("Location"))
	default:
		res.Err = fmt.Errorf("the endpoint answered %d", resp.StatusCode)
	}
	return res
}

// sendError says why no answer came, without Go's "Post URL:" prefix.
func (w *Webhooks) sendError(err error) error {
	var re *refusedError
	if errors.As(err, &re) {
		return re
	}
	var ne net.Error
	if errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout()) {
		return fmt.Errorf("no answer within %v", w.timeout)
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

func (w *Webhooks) schemeProblem(u *url.URL) string {
	switch {
	case u.Scheme != "https" && u.Scheme != "http", u.Hostname() == "":
		return "Enter a full address starting with https://."
	case u.Scheme == "http" && w.cfg.RequireHTTPS && !w.cfg.AllowPrivate:
		return "Use an https:// address: events carry your customers' details."
	}
	return ""
}

// CheckURL is the save-time check of an endpoint: the scheme, and that
// the name resolves only to addresses the client would dial. It returns an
// EINVALID error with a "url" field message. Passing it is not enough: the
// same guard runs again on every dial.
func (w *Webhooks) CheckURL(ctx context.Context, raw string) error {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil {
		return invalidURL("Enter a full address starting with https://.")
	}
	if msg := w.schemeProblem(u); msg != "" {
		return invalidURL(msg)
	}
	if w.cfg.AllowPrivate {
		return nil
	}
	host := u.Hostname()
	if ip, err := netip.ParseAddr(host); err == nil {
		if why := RefusedAddr(ip); why != "" {
			return invalidURL(fmt.Sprintf("%s is %s: webhooks only go to public internet addresses.", ip, why))
		}
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	ips, err := w.resolver.LookupNetIP(ctx, "ip", host)
	if err != nil || len(ips) == 0 {
		return invalidURL(fmt.Sprintf("We could not look up %s. Check the address, or try again in a minute.", host))
	}
	for _, ip := range ips {
		if why := RefusedAddr(ip); why != "" {
			return invalidURL(fmt.Sprintf("%s resolves to %s, %s: webhooks only go to public internet addresses.", host, ip.Unmap(), why))
		}
	}
	return nil
}

func invalidURL(msg string) error {
	return app.Invalid(msg, map[string]string{"url": msg})
}

// refusedError is a dial the guard refused.
type refusedError struct {
	addr netip.Addr
	why  string
}

func (e *refusedError) Error() string {
	return fmt.Sprintf("refused to connect to %s: it is %s", e.addr, e.why)
}

// guardDial is the net.Dialer's Control: it refuses the connection before
// the SYN when the address is not a public unicast one.
func guardDial(network, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return &refusedError{why: "not an IP address (" + address + ")"}
	}
	if why := RefusedAddr(ap.Addr()); why != "" {
		return &refusedError{addr: ap.Addr().Unmap(), why: why}
	}
	return nil
}

// Special-purpose ranges the netip predicates do not name.
var refusedPrefixes = []struct {
	p   netip.Prefix
	why string
}{
	{netip.MustParsePrefix("0.0.0.0/8"), `"this network" (0.0.0.0/8)`},
	{netip.MustParsePrefix("100.64.0.0/10"), "shared address space (CGNAT, 100.64.0.0/10)"},
	{netip.MustParsePrefix("192.0.0.0/24"), "an IETF protocol address (192.0.0.0/24)"},
	{netip.MustParsePrefix("192.0.2.0/24"), "a documentation address"},
	{netip.MustParsePrefix("198.51.100.0/24"), "a documentation address"},
	{netip.MustParsePrefix("203.0.113.0/24"), "a documentation address"},
	{netip.MustParsePrefix("198.18.0.0/15"), "a benchmarking address (198.18.0.0/15)"},
	{netip.MustParsePrefix("240.0.0.0/4"), "a reserved address (240.0.0.0/4, broadcast included)"},
	{netip.MustParsePrefix("100::/64"), "a discard address (100::/64)"},
	{netip.MustParsePrefix("2001:db8::/32"), "a documentation address"},
	{netip.MustParsePrefix("2001::/32"), "a Teredo tunnel address"},
}

var (
	nat64     = netip.MustParsePrefix("64:ff9b::/96")
	sixToFour = netip.MustParsePrefix("2002::/16")
)

// RefusedAddr says why a webhook may not go to ip ("" when it may): the
// unspecified address, loopback, private (RFC 1918, ULA fc00::/7),
// link-local (169.254.0.0/16 with the cloud metadata address
// 169.254.169.254, fe80::/10), multicast, CGNAT and the other special
// ranges above. IPv4 inside IPv6 (mapped ::ffff:a.b.c.d, compatible
// ::a.b.c.d, NAT64 64:ff9b::/96, 6to4 2002::/16) is judged by the IPv4
// address it carries.
func RefusedAddr(ip netip.Addr) string {
	ip = ip.WithZone("").Unmap()
	if !ip.IsValid() {
		return "not an IP address"
	}
	if ip.Is6() {
		b := ip.As16()
		switch {
		case nat64.Contains(ip):
			return refusedEmbedded(netip.AddrFrom4([4]byte(b[12:16])), "NAT64")
		case sixToFour.Contains(ip):
			return refusedEmbedded(netip.AddrFrom4([4]byte(b[2:6])), "6to4")
		case [12]byte(b[:12]) == [12]byte{} && !ip.IsUnspecified() && !ip.IsLoopback():
			return refusedEmbedded(netip.AddrFrom4([4]byte(b[12:16])), "IPv4-compatible")
		}
	}
	switch {
	case ip.IsUnspecified():
		return "the unspecified address"
	case ip.IsLoopback():
		return "a loopback address"
	case ip.IsPrivate():
		return "a private network address"
	case ip.IsLinkLocalUnicast():
		return "a link-local address (cloud metadata lives at 169.254.169.254)"
	case ip.IsMulticast(), ip.IsLinkLocalMulticast(), ip.IsInterfaceLocalMulticast():
		return "a multicast address"
	}
	for _, r := range refusedPrefixes {
		if r.p.Contains(ip) {
			return r.why
		}
	}
	return ""
}

func refusedEmbedded(v4 netip.Addr, form string) string {
	if why := RefusedAddr(v4); why != "" {
		return why + " (as " + form + " IPv6)"
	}
	return ""
}
