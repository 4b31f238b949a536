package main

// Sign-in and signup rate limits (web/ratelimit.go), end to end: per
// account across addresses, per address across accounts, shared by
// replicas through Redis, and in process without Redis or while it is
// down. Client addresses are told apart the way production does behind an
// edge: the app trusts 127.0.0.1 as its proxy and reads X-Forwarded-For.

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"dukaan/internal/testsvc"
)

// limitEnv are the limits the tests use: small, and fast to refill.
var limitEnv = map[string]string{
	"DUKAAN_TRUSTED_PROXIES":     "127.0.0.1",
	"DUKAAN_LOGIN_LIMIT_ACCOUNT": "3/12s", // one more try 4 s after the third: slow sign-ins on a loaded machine must not refill the burst
	"DUKAAN_LOGIN_LIMIT_IP":      "5/m",
	"DUKAAN_SIGNUP_LIMIT_IP":     "2/m",
}

func TestReliabilityLoginRateLimit(t *testing.T) {
	for _, dialect := range dialects {
		for _, mode := range []string{"redis", "memory"} {
			t.Run(dialect+"/"+mode, func(t *testing.T) {
				t.Parallel()
				testLoginRateLimit(t, dialect, mode)
			})
		}
	}
}

// from is a browser at a client address, as the edge reports it.
func from(c *client, ip string) http.Header { return http.Header{"X-Forwarded-For": {ip}} }

// login posts the login form from ip and returns the answer.
func loginAs(t *testing.T, c *client, ip, email, pw string) *response {
	t.Helper()
	page := c.send(t, http.MethodGet, adminHost, "/login", nil, from(c, ip))
	wantStatus(t, page, http.StatusOK)
	f := url.Values{"email": {email}, "password": {pw}, "csrf_token": {csrfToken(t, page)}}
	hdr := from(c, ip)
	hdr.Set("Origin", c.origin(adminHost))
	return c.send(t, http.MethodPost, adminHost, "/login", f, hdr)
}

// wantLimited checks a 429: Retry-After in whole seconds, the form again
// with a message that says to wait, the email kept, no session.
func wantLimited(t *testing.T, r *response, form, email string) time.Duration {
	t.Helper()
	if r.status != http.StatusTooManyRequests {
		t.Fatalf("%s: status %d, want 429 (%s)", r, r.status, r.summary())
	}
	secs, err := strconv.Atoi(r.header.Get("Retry-After"))
	if err != nil || secs < 1 || secs > 3600 {
		t.Errorf("%s: Retry-After %q, want whole seconds", r, r.header.Get("Retry-After"))
	}
	if r.doc.Find(fmt.Sprintf(`form[action=%q]`, form)).Length() != 1 {
		t.Errorf("%s: the form is not shown again", r)
	}
	if msg := formMessage(r.doc); !strings.Contains(msg, "Too many attempts") || !strings.Contains(msg, "wait") {
		t.Errorf("%s: message %q, want one saying to wait", r, msg)
	}
	if email != "" {
		if got, _ := inputValue(r.doc, "email"); got != email {
			t.Errorf("%s: email re-shown as %q, want %q", r, got, email)
		}
	}
	wantHeader(t, r, "Cache-Control", "private, no-store")
	for _, ck := range r.cookies {
		if ck.Name == "dukaan_session" && ck.MaxAge >= 0 {
			t.Errorf("%s: set a session cookie", r)
		}
	}
	return time.Duration(secs) * time.Second
}

func testLoginRateLimit(t *testing.T, dialect, mode string) {
	env := cloneEnv(limitEnv)
	var r0 *testsvc.Redis
	if mode == "redis" {
		r0 = testsvc.StartRedis(t)
		env["REDIS_URL"] = r0.URL()
	}
	if dialect == "postgres" {
		env["DATABASE_URL"] = testsvc.PostgresSchema(t, "e2e_")
	} else {
		env["DATABASE_URL"] = t.TempDir() + "/dukaan.db"
	}
	a := startApp(t, dialect, env)
	// A second replica on the same database (and Redis).
	b := startApp(t, dialect, env)
	v := a.signup(t, "limit-"+mode)
	anon := a.newClient()
	onB := b.newClient()

	t.Run("per account", func(t *testing.T) {
		// Three wrong passwords from three addresses: 401 each.
		for i := range 3 {
			r := loginAs(t, anon, fmt.Sprintf("198.51.100.%d", i+1), v.email, "wrong password")
			wantStatus(t, r, http.StatusUnauthorized)
		}
		// The fourth, from a fresh address and with the right password:
		// refused before the password is looked at.
		r := loginAs(t, anon, "198.51.100.9", v.email, password)
		retry := wantLimited(t, r, "/login", v.email)
		if mode == "redis" {
			// The other replica counts with Redis.
			wantLimited(t, loginAs(t, onB, "198.51.100.10", v.email, password), "/login", v.email)
		}
		// Other accounts are not affected.
		wantStatus(t, loginAs(t, anon, "198.51.100.11", "someone-else@example.com", "wrong password"), http.StatusUnauthorized)
		// After Retry-After the right password works, and clears the count.
		time.Sleep(retry)
		wantRedirect(t, loginAs(t, anon, "198.51.100.12", v.email, password), "/products")
		for i := range 2 {
			wantStatus(t, loginAs(t, a.newClient(), fmt.Sprintf("198.51.100.%d", 20+i), v.email, "wrong password"), http.StatusUnauthorized)
		}
	})

	t.Run("per address", func(t *testing.T) {
		const ip = "203.0.113.7"
		c := a.newClient()
		for i := range 5 {
			r := loginAs(t, c, ip, fmt.Sprintf("guess%d@example.com", i), "wrong password")
			wantStatus(t, r, http.StatusUnauthorized)
		}
		wantLimited(t, loginAs(t, c, ip, "guess9@example.com", "wrong password"), "/login", "guess9@example.com")
		// Another address is not.
		wantStatus(t, loginAs(t, c, "203.0.113.8", "guess9@example.com", "wrong password"), http.StatusUnauthorized)
		// X-Forwarded-For entries left of the proxy's own are the client's
		// word: prepending one does not make a new address.
		hdr := http.Header{"X-Forwarded-For": {"192.0.2.1, " + ip}}
		page := c.send(t, http.MethodGet, adminHost, "/login", nil, hdr)
		hdr.Set("Origin", c.origin(adminHost))
		r := c.send(t, http.MethodPost, adminHost, "/login",
			url.Values{"email": {"guess10@example.com"}, "password": {"x"}, "csrf_token": {csrfToken(t, page)}}, hdr)
		wantLimited(t, r, "/login", "")
	})

	t.Run("signup per address", func(t *testing.T) {
		const ip = "203.0.113.50"
		signup := func(store string) *response {
			c := a.newClient()
			page := c.send(t, http.MethodGet, adminHost, "/signup", nil, from(c, ip))
			hdr := from(c, ip)
			hdr.Set("Origin", c.origin(adminHost))
			return c.send(t, http.MethodPost, adminHost, "/signup", url.Values{"store": {store}, "email": {store + "@example.com"},
				"password": {password}, "csrf_token": {csrfToken(t, page)}}, hdr)
		}
		wantStatus(t, signup("x"), http.StatusUnprocessableEntity) // a bad name counts too
		wantRedirect(t, signup("limited-one"), "/products")
		wantLimited(t, signup("limited-two"), "/signup", "limited-two@example.com")
		if r := a.newClient().get(t, shopHost("limited-two"), "/"); r.status != http.StatusNotFound {
			t.Errorf("the refused signup opened a shop: %d", r.status)
		}
	})

	if mode == "redis" {
		t.Run("redis down", func(t *testing.T) {
			// The limit holds while Redis is away: each replica counts in
			// process (and had kept its count in step).
			r0.Kill(t)
			c := a.newClient()
			const ip = "203.0.113.99"
			for i := range 5 {
				wantStatus(t, loginAs(t, c, ip, fmt.Sprintf("down%d@example.com", i), "wrong password"), http.StatusUnauthorized)
			}
			wantLimited(t, loginAs(t, c, ip, "down9@example.com", "wrong password"), "/login", "down9@example.com")
			if s := a.main.Limiter.Stats(); s.RedisErrors == 0 {
				t.Errorf("stats %+v: no Redis error counted", s)
			}
		})
	}
	s := a.main.Limiter.Stats()
	if s.Limited == 0 {
		t.Errorf("stats %+v: nothing counted as limited", s)
	}
	t.Logf("figures: case=login-rate-limit db=%s store=%s allowed=%d limited=%d redis-errors=%d (replica B limited=%d)",
		dialect, mode, s.Allowed, s.Limited, s.RedisErrors, b.main.Limiter.Stats().Limited)
}

func cloneEnv(m map[string]string) map[string]string {
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}
