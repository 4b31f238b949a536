package main

// End-to-end tests of webhooks: a real receiver on loopback (allowed by
// DUKAAN_WEBHOOK_ALLOW_PRIVATE in test mode) checks every request's
// signature over the raw body; the console configures the endpoint, shows
// the secret once, lists the deliveries and re-sends a failed one; retries
// carry the same delivery id; production refuses loopback when the
// endpoint is saved and again when it is dialled.

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"dukaan/app"
)

// hookRequest is one request the receiver took.
type hookRequest struct {
	header http.Header
	body   []byte
	sigOK  bool
	parsed app.WebhookBody
}

// hookReceiver is the vendor's tool: it verifies signatures with the
// secret it was given and answers with the statuses it is told to.
type hookReceiver struct {
	srv    *httptest.Server
	mu     sync.Mutex
	secret string
	got    []hookRequest
	// answer is the status for the n-th request (0-based); default 200.
	answer func(n int) int
}

func newHookReceiver(t *testing.T) *hookReceiver {
	h := &hookReceiver{}
	h.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		h.mu.Lock()
		m := hmac.New(sha256.New, []byte(h.secret))
		m.Write(body)
		req := hookRequest{header: r.Header.Clone(), body: body,
			sigOK: r.Method == http.MethodPost && hmac.Equal([]byte(r.Header.Get("X-Dukaan-Signature")), []byte("sha256="+hex.EncodeToString(m.Sum(nil))))}
		_ = json.Unmarshal(body, &req.parsed)
		n := len(h.got)
		h.got = append(h.got, req)
		status := http.StatusOK
		if h.answer != nil {
			status = h.answer(n)
		}
		h.mu.Unlock()
		w.WriteHeader(status)
	}))
	t.Cleanup(h.srv.Close)
	return h
}

func (h *hookReceiver) requests() []hookRequest {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]hookRequest(nil), h.got...)
}

// waitRequests waits until the receiver has taken n requests.
func (h *hookReceiver) waitRequests(t *testing.T, n int, timeout time.Duration) []hookRequest {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		got := h.requests()
		if len(got) >= n {
			return got
		}
		if time.Now().After(deadline) {
			t.Fatalf("the receiver got %d request(s) in %v, want %d", len(got), timeout, n)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// webhookEnv lets endpoints be on loopback and retries come fast.
var webhookEnv = map[string]string{"DUKAAN_WEBHOOK_ALLOW_PRIVATE": "true", "DUKAAN_WEBHOOK_BACKOFF": "200ms"}

// configureWebhook saves the endpoint from the console and returns the
// secret the next page shows once.
func configureWebhook(t *testing.T, v *vendor, endpoint string, events ...app.NoticeKind) string {
	t.Helper()
	form := url.Values{"url": {endpoint}}
	for _, e := range events {
		form.Add("events", string(e))
	}
	r := v.c.submit(t, "/webhooks", "/webhooks", form)
	wantRedirect(t, r, "/webhooks")
	page := v.c.get(t, adminHost, "/webhooks")
	wantStatus(t, page, http.StatusOK)
	secret := text(page.doc.Find(".webhook-secret-value"))
	if !strings.HasPrefix(secret, "whsec_") {
		t.Fatalf("the page after the first save shows secret %q", secret)
	}
	if again := v.c.get(t, adminHost, "/webhooks"); again.doc.Find(".webhook-secret-value").Length() != 0 {
		t.Errorf("the secret is shown a second time")
	}
	return secret
}

// deliveryRows are the console's delivery list: event, state, attempts,
// status code per row, newest first.
func deliveryRows(t *testing.T, v *vendor) []map[string]string {
	t.Helper()
	r := v.c.get(t, adminHost, "/webhooks")
	wantStatus(t, r, http.StatusOK)
	var out []map[string]string
	for _, n := range r.doc.Find("tr.delivery-row").Nodes {
		s := r.doc.FindNodes(n)
		id, _ := s.Attr("data-id")
		dl, _ := s.Attr("data-delivery")
		out = append(out, map[string]string{
			"id": id, "delivery": dl, "event": text(s.Find(".delivery-event")), "state": text(s.Find(".delivery-state")),
			"attempts": text(s.Find(".delivery-attempts")), "status": text(s.Find(".delivery-status")),
			"resend": strconv.Itoa(s.Find(`form[action$="/resend"]`).Length()),
		})
	}
	return out
}

func TestWebhooksConsole(t *testing.T) {
	for _, d := range dialects {
		t.Run(d, func(t *testing.T) {
			a := startApp(t, d, webhookEnv)
			rc := newHookReceiver(t)
			v := a.signup(t, "chai-corner")
			pid := v.addProduct(t, "Masala Chai", "150", "129.50", 20, true)

			page := v.c.get(t, adminHost, "/webhooks")
			wantStatus(t, page, http.StatusOK)
			wantHeader(t, page, "Cache-Control", "private, no-store")
			if page.doc.Find(`nav a[href="/webhooks"]`).Length() != 1 {
				t.Errorf("no Webhooks link in the console's navigation")
			}

			// Refused: the typed values come back, nothing is saved.
			bad := v.c.submit(t, "/webhooks", "/webhooks", url.Values{"url": {"ftp://example.com/x"}})
			wantStatus(t, bad, http.StatusUnprocessableEntity)
			if fieldError(bad.doc, "url") == "" || !strings.Contains(text(bad.doc.Find("#f-events-error")), "at least one") {
				t.Errorf("refused form: errors %v / %q", fieldErrors(bad.doc), text(bad.doc.Find("#f-events-error")))
			}
			if got, _ := inputValue(bad.doc, "url"); got != "ftp://example.com/x" {
				t.Errorf("refused form kept url %q", got)
			}
			if ep, err := a.main.DB.WebhookEndpoint(context.Background(), vendorID(t, a, "chai-corner")); err != nil || ep.URL != "" {
				t.Fatalf("a refused form saved %+v, %v", ep, err)
			}

			rc.secret = configureWebhook(t, v, rc.srv.URL+"/dukaan", app.NoticeKinds...)

			// An order, then each change, each delivered with its type.
			order(t, a.newClient(), "chai-corner", map[int64]int{pid: 2})
			got := rc.waitRequests(t, 1, 15*time.Second)
			first := got[0]
			if !first.sigOK {
				t.Errorf("bad signature on %s (headers %v)", first.body, first.header)
			}
			if first.header.Get("X-Dukaan-Event") != "order.created" || !strings.HasPrefix(first.header.Get("X-Dukaan-Delivery"), "dlv_") {
				t.Errorf("headers %v", first.header)
			}
			o := first.parsed.Data.Order
			if first.parsed.Type != "order.created" || !strings.HasPrefix(first.parsed.ID, "evt_") || first.parsed.Store.Slug != "chai-corner" || o == nil {
				t.Fatalf("body %s", first.body)
			}
			if o.Total != (app.WebhookMoney{Paise: 25900, Rupees: "259.00"}) || len(o.Items) != 1 || o.Items[0].ProductID != pid || o.Items[0].Qty != 2 || o.Status != "pending" {
				t.Errorf("order in body %+v", o)
			}
			if _, err := time.Parse(time.RFC3339, first.parsed.CreatedAt); err != nil {
				t.Errorf("created_at %q: %v", first.parsed.CreatedAt, err)
			}
			oid := o.ID
			wantRedirect(t, v.setStatus(t, oid, "confirmed"), fmt.Sprintf("/orders/%d", oid))
			rc.waitRequests(t, 2, 15*time.Second)
			r := v.c.submit(t, fmt.Sprintf("/orders/%d", oid), fmt.Sprintf("/orders/%d/payment", oid), url.Values{"status": {"paid"}})
			if r.status != http.StatusSeeOther {
				t.Fatalf("mark paid: %s", r.summary())
			}
			rc.waitRequests(t, 3, 15*time.Second)
			f := v.productForm(t, pid)
			f.Set("price", "139")
			wantRedirect(t, v.c.submit(t, fmt.Sprintf("/products/%d/edit", pid), fmt.Sprintf("/products/%d/edit", pid), f), "/products")
			got = rc.waitRequests(t, 4, 15*time.Second)
			wantTypes := []string{"order.created", "order.status_changed", "order.payment_changed", "product.updated"}
			for i, want := range wantTypes {
				if got[i].parsed.Type != want || got[i].header.Get("X-Dukaan-Event") != want || !got[i].sigOK {
					t.Errorf("request %d: type %q, header %q, signature ok %v; want %s", i, got[i].parsed.Type, got[i].header.Get("X-Dukaan-Event"), got[i].sigOK, want)
				}
			}
			if s := got[1].parsed.Data.Order; s == nil || s.Status != "confirmed" {
				t.Errorf("status_changed carries %+v", s)
			}
			if p := got[3].parsed.Data.Product; p == nil || p.Price.Paise != 13900 || p.Price.Rupees != "139.00" {
				t.Errorf("product.updated carries %+v", p)
			}

			// The console lists them, delivered with the receiver's status.
			waitRows(t, v, func(rows []map[string]string) bool {
				return len(rows) == 4 && rows[0]["state"] == "delivered" && rows[3]["state"] == "delivered"
			})
			rows := deliveryRows(t, v)
			for i, row := range rows {
				if row["event"] != wantTypes[3-i] || row["status"] != "200" || row["attempts"] != "1" || row["resend"] != "0" {
					t.Errorf("row %d = %v", i, row)
				}
			}

			// A test event goes through the same path.
			wantRedirect(t, v.c.submit(t, "/webhooks", "/webhooks/test", url.Values{}), "/webhooks")
			got = rc.waitRequests(t, 5, 15*time.Second)
			if got[4].parsed.Type != "ping" || got[4].header.Get("X-Dukaan-Event") != "ping" || !got[4].sigOK {
				t.Errorf("test event: %s %v", got[4].body, got[4].header)
			}

			// Rotating: the next event is signed with the new secret only.
			wantRedirect(t, v.c.submit(t, "/webhooks", "/webhooks/secret", url.Values{}), "/webhooks")
			newSecret := text(v.c.get(t, adminHost, "/webhooks").doc.Find(".webhook-secret-value"))
			if !strings.HasPrefix(newSecret, "whsec_") || newSecret == rc.secret {
				t.Fatalf("rotated secret %q", newSecret)
			}
			rc.mu.Lock()
			rc.secret = newSecret
			rc.mu.Unlock()
			wantRedirect(t, v.c.submit(t, "/webhooks", "/webhooks/test", url.Values{}), "/webhooks")
			got = rc.waitRequests(t, 6, 15*time.Second)
			if !got[5].sigOK {
				t.Errorf("after rotating, the signature does not match the new secret")
			}

			// Re-send: only a failed delivery; another shop's is 404.
			delivered := rows[0]["id"]
			if r := v.c.submit(t, "/webhooks", "/webhooks/deliveries/"+delivered+"/resend", url.Values{}); r.status != http.StatusConflict {
				t.Errorf("re-send of a delivered one: %d, want 409", r.status)
			}
			other := a.signup(t, "other-shop")
			if r := other.c.submit(t, "/products", "/webhooks/deliveries/"+delivered+"/resend", url.Values{}); r.status != http.StatusNotFound {
				t.Errorf("another shop's re-send: %d, want 404", r.status)
			}
			if rows := deliveryRows(t, other); len(rows) != 0 {
				t.Errorf("another shop lists %d deliveries", len(rows))
			}
			// A POST without the CSRF token is refused.
			if r := v.c.postForm(t, adminHost, "/webhooks/test", url.Values{}); r.status != http.StatusForbidden {
				t.Errorf("POST without a token: %d, want 403", r.status)
			}
		})
	}
}

// waitRows polls the console's delivery list until ok.
func waitRows(t *testing.T, v *vendor, ok func([]map[string]string) bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		rows := deliveryRows(t, v)
		if ok(rows) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("delivery list never settled: %v", rows)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func vendorID(t *testing.T, a *testApp, slug string) int64 {
	t.Helper()
	v, err := a.main.DB.VendorBySlug(context.Background(), slug)
	if err != nil {
		t.Fatal(err)
	}
	return v.ID
}

// TestWebhookRetries: 500, 500, then 200 is three requests with the same
// X-Dukaan-Delivery and then no more; a failed delivery re-sent from the
// console goes out again under the same id.
func TestWebhookRetries(t *testing.T) {
	for _, d := range dialects {
		t.Run(d, func(t *testing.T) {
			a := startApp(t, d, webhookEnv)
			rc := newHookReceiver(t)
			rc.answer = func(n int) int {
				if n < 2 {
					return http.StatusInternalServerError
				}
				return http.StatusOK
			}
			v := a.signup(t, "chai-corner")
			rc.secret = configureWebhook(t, v, rc.srv.URL, app.NoticeOrderCreated)
			wantRedirect(t, v.c.submit(t, "/webhooks", "/webhooks/test", url.Values{}), "/webhooks")
			got := rc.waitRequests(t, 3, 20*time.Second)
			id := got[0].header.Get("X-Dukaan-Delivery")
			for i, r := range got {
				if r.header.Get("X-Dukaan-Delivery") != id || !r.sigOK || string(r.body) != string(got[0].body) {
					t.Errorf("attempt %d: delivery %q (want %q), signature ok %v, same body %v", i, r.header.Get("X-Dukaan-Delivery"), id, r.sigOK, string(r.body) == string(got[0].body))
				}
			}
			// The next retry would come 800 ms after the third attempt.
			time.Sleep(2 * time.Second)
			if n := len(rc.requests()); n != 3 {
				t.Errorf("%d requests after a 2xx, want 3 (no more retries)", n)
			}
			rows := deliveryRows(t, v)
			if len(rows) != 1 || rows[0]["state"] != "delivered" || rows[0]["attempts"] != "3" || rows[0]["status"] != "200" || rows[0]["delivery"] != id {
				t.Fatalf("console rows %v", rows)
			}

			// A delivery that failed for good (made so here: a day of
			// retries is too long for a test; the worker's last attempt is
			// tested in storage/jobs) is re-sent with the same id.
			if _, err := a.main.DB.Bun().NewRaw("UPDATE webhook_deliveries SET state = 'failed' WHERE delivery_id = ?", id).Exec(context.Background()); err != nil {
				t.Fatal(err)
			}
			rows = deliveryRows(t, v)
			if rows[0]["resend"] != "1" {
				t.Fatalf("a failed delivery has no Re-send button: %v", rows[0])
			}
			wantRedirect(t, v.c.submit(t, "/webhooks", "/webhooks/deliveries/"+rows[0]["id"]+"/resend", url.Values{}), "/webhooks")
			got = rc.waitRequests(t, 4, 15*time.Second)
			if got[3].header.Get("X-Dukaan-Delivery") != id || !got[3].sigOK {
				t.Errorf("re-sent with delivery %q, want %q", got[3].header.Get("X-Dukaan-Delivery"), id)
			}
			waitRows(t, v, func(rows []map[string]string) bool {
				return len(rows) == 1 && rows[0]["state"] == "delivered" && rows[0]["attempts"] == "4"
			})
		})
	}
}

// TestWebhookProductionRefusesLoopback runs the app with DUKAAN_ENV=
// production: an endpoint on 127.0.0.1 is refused when it is saved, and an
// endpoint already saved under a name that now resolves to loopback (as
// after DNS rebinding: localhost here) is refused when it is dialled, so
// the receiver never sees a request.
func TestWebhookProductionRefusesLoopback(t *testing.T) {
	rc := newHookReceiver(t)
	tls := httptest.NewTLSServer(rc.srv.Config.Handler)
	defer tls.Close()
	u, _ := url.Parse(tls.URL)

	prod := map[string]string{
		"DUKAAN_ENV": "production", "DUKAAN_HTTPS": "true", "DUKAAN_PURGE_TOKEN": "e2e-purge-token-0123456789",
		"DUKAAN_BCRYPT_COST": "10", "DUKAAN_MAIL": "off", // production needs SMTP or mail off
	}
	cfg, err := LoadConfig(map[string]string{"DUKAAN_ENV": "production", "DUKAAN_HTTPS": "true", "DUKAAN_SECRET": testSecret,
		"DUKAAN_PURGE_TOKEN": "e2e-purge-token-0123456789", "DUKAAN_SEED_DEMO": "false", "DUKAAN_WEBHOOK_ALLOW_PRIVATE": "true"})
	if err != nil {
		t.Fatal(err)
	}
	if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), "DUKAAN_WEBHOOK_ALLOW_PRIVATE") {
		t.Errorf("production with DUKAAN_WEBHOOK_ALLOW_PRIVATE: %v, want refused", err)
	}

	a := startApp(t, "sqlite", prod)
	v := a.signup(t, "chai-corner")
	v.c.scheme = "https"
	pid := v.addProduct(t, "Masala Chai", "150", "129.50", 20, true)
	for _, endpoint := range []string{tls.URL + "/hook", "https://localhost:" + u.Port() + "/hook", "http://example.com/hook"} {
		r := v.c.submit(t, "/webhooks", "/webhooks", url.Values{"url": {endpoint}, "events": {"order.created"}})
		wantStatus(t, r, http.StatusUnprocessableEntity)
		if fieldError(r.doc, "url") == "" {
			t.Errorf("%s: no message on url; %v", endpoint, fieldErrors(r.doc))
		}
	}
	ctx := context.Background()
	id := vendorID(t, a, "chai-corner")
	if ep, _ := a.main.DB.WebhookEndpoint(ctx, id); ep.URL != "" {
		t.Fatalf("production saved %q", ep.URL)
	}

	// Saved behind the form's back, as if the name had resolved to a public
	// address then: the dial is refused.
	if _, _, err := a.main.DB.SaveWebhook(ctx, id, app.WebhookInput{URL: "https://localhost:" + u.Port() + "/hook", Events: []app.NoticeKind{app.NoticeOrderCreated}}); err != nil {
		t.Fatal(err)
	}
	order(t, a.newClient(), "chai-corner", map[int64]int{pid: 1})
	deadline := time.Now().Add(15 * time.Second)
	for {
		ds, err := a.main.DB.WebhookDeliveries(ctx, id, 1)
		if err != nil {
			t.Fatal(err)
		}
		if len(ds) == 1 && ds[0].Attempts > 0 {
			if ds[0].StatusCode != 0 || !strings.Contains(ds[0].LastError, "refused to connect to") || !strings.Contains(ds[0].LastError, "loopback") {
				t.Errorf("attempt recorded %+v, want refused at dial", ds[0])
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no attempt recorded: %+v", ds)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if n := len(rc.requests()); n != 0 {
		t.Errorf("the loopback receiver got %d requests in production", n)
	}
}

// TestWebhookConfig: the defaults are the (guard on, 10 s first
// retry), and bad values stop the program naming the variable.
func TestWebhookConfig(t *testing.T) {
	cfg, err := LoadConfig(map[string]string{})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.WebhookAllowPrivate || cfg.WebhookBackoff != 10*time.Second {
		t.Errorf("defaults: allow private %v, backoff %v; want false, 10s", cfg.WebhookAllowPrivate, cfg.WebhookBackoff)
	}
	for env, want := range map[string]map[string]string{
		"DUKAAN_WEBHOOK_BACKOFF=200ms in development": {"DUKAAN_WEBHOOK_BACKOFF": "200ms"},
		"DUKAAN_WEBHOOK_BACKOFF=0":                    {"DUKAAN_WEBHOOK_BACKOFF": "0s", "DUKAAN_ENV": "test"},
		"DUKAAN_WEBHOOK_BACKOFF=1h":                   {"DUKAAN_WEBHOOK_BACKOFF": "1h"},
	} {
		cfg, err := LoadConfig(want)
		if err != nil {
			t.Fatal(err)
		}
		if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), "DUKAAN_WEBHOOK_BACKOFF") {
			t.Errorf("%s: Validate = %v, want refused naming the variable", env, err)
		}
	}
	ok, err := LoadConfig(map[string]string{"DUKAAN_ENV": "test", "DUKAAN_WEBHOOK_BACKOFF": "200ms", "DUKAAN_WEBHOOK_ALLOW_PRIVATE": "true"})
	if err != nil {
		t.Fatal(err)
	}
	if err := ok.Validate(); err != nil {
		t.Errorf("test settings refused: %v", err)
	}
	// The client production gets refuses loopback at save time.
	prod := Config{Env: "production"}
	if err := prod.webhookClient().CheckURL(t.Context(), "https://127.0.0.1:8443/hook"); app.ErrorCode(err) != app.EINVALID {
		t.Errorf("production client accepted 127.0.0.1: %v", err)
	}
	if err := ok.webhookClient().CheckURL(t.Context(), "http://127.0.0.1:8443/hook"); err != nil {
		t.Errorf("test client refused loopback: %v", err)
	}
}
