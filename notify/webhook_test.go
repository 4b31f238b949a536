package notify

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"dukaan/app"
)

func TestRefusedAddr(t *testing.T) {
	refused := []string{
		"127.0.0.1", "127.8.9.10", "0.0.0.0", "0.1.2.3", "10.0.0.1", "172.16.0.1", "172.31.255.255", "192.168.1.1",
		"169.254.169.254", "169.254.0.1", "100.64.0.1", "100.100.100.200", "224.0.0.1", "239.255.255.250",
		"255.255.255.255", "240.0.0.1", "192.0.0.170", "198.18.0.1", "192.0.2.1",
		"::1", "::", "fc00::1", "fd00:ec2::254", "fe80::1", "fe80::1%eth0", "ff02::1", "ff05::2", "100::1", "2001:db8::1",
		"::ffff:127.0.0.1", "::ffff:10.1.2.3", "::ffff:169.254.169.254", "::ffff:0.0.0.0", "::ffff:100.64.0.1",
		"::127.0.0.1", "::10.0.0.1", "64:ff9b::7f00:1", "64:ff9b::a9fe:a9fe", "2002:7f00:1::1", "2002:a00:1::",
		"2001:0:4136:e378:8000:63bf:3fff:fdd2",
	}
	for _, s := range refused {
		if why := RefusedAddr(netip.MustParseAddr(s)); why == "" {
			t.Errorf("%s allowed, want refused", s)
		}
	}
	allowed := []string{
		"8.8.8.8", "1.1.1.1", "172.32.0.1", "172.15.255.255", "100.128.0.1", "169.253.255.255", "11.0.0.1", "192.169.0.1",
		"2606:4700:4700::1111", "2a00:1450:4001:80b::200e", "::ffff:8.8.8.8", "64:ff9b::808:808", "2002:808:808::1",
	}
	for _, s := range allowed {
		if why := RefusedAddr(netip.MustParseAddr(s)); why != "" {
			t.Errorf("%s refused (%s), want allowed", s, why)
		}
	}
	if !strings.Contains(RefusedAddr(netip.MustParseAddr("::ffff:169.254.169.254")), "metadata") {
		t.Errorf("the mapped metadata address should say why: %q", RefusedAddr(netip.MustParseAddr("::ffff:169.254.169.254")))
	}
}

func TestSign(t *testing.T) {
	// RFC 4231 test case 2.
	got := Sign("Jefe", []byte("what do ya want for nothing?"))
	if want := "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"; got != want {
		t.Errorf("Sign = %s, want %s", got, want)
	}
}

// receiver is a real HTTP endpoint on loopback that checks what a
// vendor's tool would check.
type receiver struct {
	t       *testing.T
	secret  string
	status  atomic.Int32
	hits    atomic.Int32
	badSigs atomic.Int32
	last    atomic.Value // http.Header
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rc.hits.Add(1)
	body, _ := io.ReadAll(r.Body)
	m := hmac.New(sha256.New, []byte(rc.secret))
	m.Write(body)
	want := "sha256=" + hex.EncodeToString(m.Sum(nil))
	if !hmac.Equal([]byte(r.Header.Get("X-Dukaan-Signature")), []byte(want)) || r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/json" {
		rc.badSigs.Add(1)
	}
	rc.last.Store(r.Header.Clone())
	w.WriteHeader(int(rc.status.Load()))
}

func TestDeliver(t *testing.T) {
	rc := &receiver{t: t, secret: "whsec_test"}
	rc.status.Store(http.StatusNoContent)
	srv := httptest.NewServer(rc)
	defer srv.Close()
	w := NewWebhooks(WebhookConfig{AllowPrivate: true})
	req := app.WebhookRequest{URL: srv.URL + "/hook", Secret: "whsec_test", DeliveryID: "dlv_1", Event: "order.created", Body: []byte(`{"id":"evt_1","type":"order.created"}`)}

	res := w.Deliver(t.Context(), req)
	if !res.OK() || res.StatusCode != 204 || res.Duration <= 0 {
		t.Fatalf("2xx: %+v", res)
	}
	h := rc.last.Load().(http.Header)
	if rc.badSigs.Load() != 0 || h.Get("X-Dukaan-Event") != "order.created" || h.Get("X-Dukaan-Delivery") != "dlv_1" {
		t.Errorf("the receiver saw bad signatures %d, headers %v", rc.badSigs.Load(), h)
	}

	rc.status.Store(http.StatusInternalServerError)
	if res := w.Deliver(t.Context(), req); res.OK() || res.StatusCode != 500 || !strings.Contains(res.Err.Error(), "500") {
		t.Errorf("500: %+v", res)
	}

	// A redirect is a failure and is not followed.
	var followed atomic.Int32
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { followed.Add(1) }))
	defer target.Close()
	redir := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, target.URL, http.StatusTemporaryRedirect)
	}))
	defer redir.Close()
	req.URL = redir.URL
	if res := w.Deliver(t.Context(), req); res.OK() || res.StatusCode != 307 || followed.Load() != 0 {
		t.Errorf("redirect: %+v, followed %d times", res, followed.Load())
	}

	if res := w.Deliver(t.Context(), app.WebhookRequest{Body: []byte("{}")}); res.OK() {
		t.Errorf("no endpoint: %+v", res)
	}
}

func TestDeliverTimeout(t *testing.T) {
	if got := NewWebhooks(WebhookConfig{}); got.timeout != 10*time.Second || got.hc.Timeout != 10*time.Second {
		t.Fatalf("production timeout = %v / %v, want 10s", got.timeout, got.hc.Timeout)
	}
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(release)
	w := newWebhooks(WebhookConfig{AllowPrivate: true}, 300*time.Millisecond)
	start := time.Now()
	res := w.Deliver(t.Context(), app.WebhookRequest{URL: srv.URL, Secret: "s", DeliveryID: "d", Event: "ping", Body: []byte("{}")})
	if res.OK() || res.StatusCode != 0 || !strings.Contains(res.Err.Error(), "no answer within 300ms") {
		t.Errorf("hanging endpoint: %+v", res)
	}
	if el := time.Since(start); el < 300*time.Millisecond || el > 5*time.Second {
		t.Errorf("gave up after %v, want about 300ms", el)
	}
}

// TestProductionRefusesLoopback: with the production policy an endpoint on
// 127.0.0.1 (by address or by a name resolving there) is refused when it
// is saved and again when it is dialled.
func TestProductionRefusesLoopback(t *testing.T) {
	var hits atomic.Int32
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits.Add(1) }))
	defer srv.Close()
	u, _ := url.Parse(srv.URL)
	w := NewWebhooks(WebhookConfig{RequireHTTPS: true})
	ctx := context.Background()
	for _, raw := range []string{srv.URL + "/hook", "https://localhost:" + u.Port() + "/hook", "https://[::ffff:127.0.0.1]:" + u.Port(), "https://169.254.169.254/latest/meta-data"} {
		err := w.CheckURL(ctx, raw)
		if app.ErrorCode(err) != app.EINVALID || app.ErrorFields(err)["url"] == "" {
			t.Errorf("CheckURL(%s) = %v, want a url field error", raw, err)
		}
		res := w.Deliver(ctx, app.WebhookRequest{URL: raw, Secret: "s", DeliveryID: "d", Event: "ping", Body: []byte("{}")})
		var re *refusedError
		if res.OK() || !errors.As(res.Err, &re) {
			t.Errorf("Deliver(%s) = %+v, want refused at dial", raw, res)
		}
	}
	if err := w.CheckURL(ctx, "http://example.com/hook"); app.ErrorCode(err) != app.EINVALID || !strings.Contains(err.(*app.Error).Message, "https") {
		t.Errorf("http in production: %v", err)
	}
	if res := w.Deliver(ctx, app.WebhookRequest{URL: "http://example.com/hook", Secret: "s", Body: []byte("{}")}); res.OK() || !strings.Contains(res.Err.Error(), "https") {
		t.Errorf("http in production, at send: %+v", res)
	}
	if hits.Load() != 0 {
		t.Errorf("the loopback endpoint got %d requests", hits.Load())
	}
}
