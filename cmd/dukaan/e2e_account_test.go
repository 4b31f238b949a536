package main

// End to end: password reset (forgot → mail → link → new password), the
// account settings (password, login email) and the order page's WhatsApp
// hand-off, on a whole Main per dialect.

import (
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/uptrace/bun"
)

// signIn signs a fresh browser in as email with pw.
func (a *testApp) signIn(tb testing.TB, email, pw string) *client {
	tb.Helper()
	c := a.newClient()
	r := c.submit(tb, "/login", "/login", url.Values{"email": {email}, "password": {pw}})
	wantRedirect(tb, r, "/products")
	return c
}

// signedIn reports whether c's session still opens the console.
func signedIn(tb testing.TB, c *client) bool {
	tb.Helper()
	r := c.get(tb, adminHost, "/products")
	switch r.status {
	case http.StatusOK:
		return true
	case http.StatusSeeOther:
		return false
	}
	tb.Fatalf("GET /products: %d", r.status)
	return false
}

// linkPath checks that link is an absolute console URL under prefix and
// returns its path.
func (a *testApp) linkPath(tb testing.TB, link, prefix string) string {
	tb.Helper()
	want := "http://" + adminHost + ":" + a.port + prefix
	if !strings.HasPrefix(link, want) || len(link) < len(want)+40 {
		tb.Fatalf("link %q, want %s<token>", link, want)
	}
	return strings.TrimPrefix(link, "http://"+adminHost+":"+a.port)
}

func forgot(tb testing.TB, c *client, email string) *response {
	tb.Helper()
	return c.submit(tb, "/password/forgot", "/password/forgot", url.Values{"email": {email}})
}

func TestE2EPasswordReset(t *testing.T) {
	for _, dialect := range dialects {
		t.Run(dialect, func(t *testing.T) {
			a, mail := startAppMail(t, dialect, nil)
			v := a.signup(t, "resetshop") // browser A
			b := a.signIn(t, v.email, password)

			c := a.newClient() // the browser that forgot
			login := c.get(t, adminHost, "/login")
			if _, ok := login.doc.Find(`a[href="/password/forgot"]`).Attr("href"); !ok {
				t.Fatal("the sign-in page has no link to /password/forgot")
			}
			r := forgot(t, c, strings.ToUpper(v.email))
			wantStatus(t, r, http.StatusOK)
			wantHeader(t, r, "Cache-Control", "private, no-store")
			if !strings.Contains(text(r.doc.Find("[role=status]")), "If an account exists") {
				t.Fatalf("forgot page: %s", r.summary())
			}
			msg := mail.wait(t, v.email, "Reset your Dukaan password")
			path := a.linkPath(t, msg.link, "/password/reset/")

			p := c.get(t, adminHost, path)
			wantStatus(t, p, http.StatusOK)
			wantHeader(t, p, "Cache-Control", "private, no-store")
			// A bad password is refused, nothing changes.
			bad := c.postForm(t, adminHost, path, url.Values{"csrf_token": {csrfToken(t, p)}, "password": {"        "}})
			wantStatus(t, bad, http.StatusUnprocessableEntity)
			if fieldError(bad.doc, "password") == "" {
				t.Errorf("no message on the password field: %s", bad.summary())
			}
			if !signedIn(t, v.c) {
				t.Fatal("a refused reset signed browser A out")
			}
			// The vendor's session rows as they are now: put back after the
			// reset, they are what a request in flight during it would save.
			type sessionRow struct {
				Token  string    `bun:"token"`
				Data   []byte    `bun:"data"`
				Expiry time.Time `bun:"expiry"`
			}
			var before []sessionRow
			if err := a.main.DB.Bun().NewRaw("SELECT token, data, expiry FROM sessions WHERE vendor_id IS NOT NULL").Scan(t.Context(), &before); err != nil || len(before) != 2 {
				t.Fatalf("sessions of the vendor before the reset: %d (%v), want A's and B's", len(before), err)
			}
			done := c.postForm(t, adminHost, path, url.Values{"csrf_token": {csrfToken(t, bad)}, "password": {"brand new secret"}})
			wantRedirect(t, done, "/products")
			var left int
			if err := a.main.DB.Bun().NewRaw("SELECT COUNT(*) FROM sessions WHERE token IN (?)", bun.In([]string{before[0].Token, before[1].Token})).Scan(t.Context(), &left); err != nil || left != 0 {
				t.Errorf("%d old session rows left after the reset (%v)", left, err)
			}
			for _, r := range before {
				if _, err := a.main.DB.Bun().NewRaw("INSERT INTO sessions (token, data, expiry) VALUES (?, ?, ?)", r.Token, r.Data, r.Expiry).Exec(t.Context()); err != nil {
					t.Fatal(err)
				}
			}
			if !signedIn(t, c) {
				t.Error("the resetting browser is not signed in")
			}
			if signedIn(t, v.c) || signedIn(t, b) {
				t.Error("another session survived the reset")
			}
			old := a.newClient().submit(t, "/login", "/login", url.Values{"email": {v.email}, "password": {password}})
			wantStatus(t, old, http.StatusUnauthorized)
			a.signIn(t, v.email, "brand new secret")

			// Reuse says used.
			again := c.get(t, adminHost, path)
			wantStatus(t, again, http.StatusGone)
			if !strings.Contains(again.doc.Find(".link-problem").Text(), "already been used") {
				t.Errorf("reused link: %s", again.summary())
			}
			post := c.postForm(t, adminHost, path, url.Values{"csrf_token": {csrfToken(t, p)}, "password": {"third secret!"}})
			wantStatus(t, post, http.StatusGone)
			a.signIn(t, v.email, "brand new secret")

			// An expired link says so: age its row past the hour.
			forgot(t, a.newClient(), v.email)
			msg2 := mail.wait(t, v.email, "Reset your Dukaan password")
			path2 := a.linkPath(t, msg2.link, "/password/reset/")
			if path2 == path {
				t.Fatal("the second request mailed the first link")
			}
			if _, err := a.main.DB.Bun().NewRaw("UPDATE account_tokens SET expires_at = ? WHERE used_at IS NULL",
				time.Now().UTC().Add(-time.Second)).Exec(t.Context()); err != nil {
				t.Fatal(err)
			}
			exp := a.newClient().get(t, adminHost, path2)
			wantStatus(t, exp, http.StatusGone)
			if !strings.Contains(exp.doc.Find(".link-problem").Text(), "expired") {
				t.Errorf("expired link: %s", exp.summary())
			}
			unknown := a.newClient().get(t, adminHost, "/password/reset/not-a-token")
			wantStatus(t, unknown, http.StatusNotFound)
		})
	}
}

var csrfValue = regexp.MustCompile(`name="csrf_token" value="[^"]*"`)

// TestE2EForgotSameResponse: an unknown address gets the very answer a
// known one gets (status, headers but cookies and dates, the body but the
// CSRF token), and no mail.
func TestE2EForgotSameResponse(t *testing.T) {
	a, mail := startAppMail(t, "sqlite", nil)
	v := a.signup(t, "sameshop")
	// As long as the known address, so that even Content-Length must match.
	const unknownEmail = "nobodyxx@example.com"
	known := forgot(t, a.newClient(), v.email)
	mail.wait(t, v.email, "Reset your Dukaan password")
	unknown := forgot(t, a.newClient(), unknownEmail)
	if known.status != http.StatusOK || unknown.status != known.status {
		t.Fatalf("status known %d, unknown %d", known.status, unknown.status)
	}
	headers := func(r *response) http.Header {
		h := r.header.Clone()
		h.Del("Set-Cookie")
		h.Del("Date")
		h.Del("X-Request-Id")
		// The CSRF token's length varies (html/template writes each "+"
		// of its base64 as "&#43;"); the bodies are compared without it.
		h.Del("Content-Length")
		return h
	}
	kh, uh := headers(known), headers(unknown)
	for k := range kh {
		if strings.Join(kh[k], ",") != strings.Join(uh[k], ",") {
			t.Errorf("header %s: known %q, unknown %q", k, kh[k], uh[k])
		}
	}
	for k := range uh {
		if _, ok := kh[k]; !ok {
			t.Errorf("header %s only for the unknown address", k)
		}
	}
	strip := func(b []byte) string {
		return strings.ReplaceAll(csrfValue.ReplaceAllString(string(b), `name="csrf_token" value=""`), unknownEmail, v.email)
	}
	if strip(known.body) != strip(unknown.body) {
		t.Errorf("bodies differ:\nknown:   %s\nunknown: %s", strip(known.body), strip(unknown.body))
	}
	// A later mail to the known address has arrived: had the unknown one
	// been queued, it would have been sent too. And the queue holds the two
	// known mails only.
	forgot(t, a.newClient(), v.email)
	mail.wait(t, v.email, "Reset your Dukaan password")
	mail.none(t, unknownEmail)
	var n int
	if err := a.main.DB.Bun().NewRaw("SELECT COUNT(*) FROM river_job WHERE kind = 'mail'").Scan(t.Context(), &n); err != nil || n != 2 {
		t.Errorf("%d mail jobs (%v), want the 2 to the known address", n, err)
	}
}

func TestE2EForgotRateLimit(t *testing.T) {
	a, _ := startAppMail(t, "sqlite", map[string]string{
		"DUKAAN_LOGIN_LIMIT_ACCOUNT": "3/h",
		"DUKAAN_LOGIN_LIMIT_IP":      "6/h",
	})
	c := a.newClient()
	for range 3 {
		wantStatus(t, forgot(t, c, "limited@example.com"), http.StatusOK)
	}
	r := forgot(t, c, "Limited@Example.com")
	wantStatus(t, r, http.StatusTooManyRequests)
	if r.header.Get("Retry-After") == "" || !strings.Contains(formMessage(r.doc), "Too many attempts") {
		t.Errorf("429 without Retry-After or message: %q %s", r.header.Get("Retry-After"), r.summary())
	}
	if v, _ := inputValue(r.doc, "email"); v != "limited@example.com" {
		t.Errorf("the typed email is not kept: %q", v)
	}
	// The address: three more requests for other emails use up its six.
	for _, e := range []string{"a@example.com", "b@example.com"} {
		wantStatus(t, forgot(t, c, e), http.StatusOK)
	}
	r = forgot(t, c, "c@example.com")
	wantStatus(t, r, http.StatusTooManyRequests)
	if r.header.Get("Retry-After") == "" {
		t.Error("per-address 429 without Retry-After")
	}
	// Sign-in attempts have their own count.
	a.signup(t, "stillopen")
}

func TestE2EAccountSettings(t *testing.T) {
	for _, dialect := range dialects {
		t.Run(dialect, func(t *testing.T) {
			a, mail := startAppMail(t, dialect, nil)
			v := a.signup(t, "acctshop")
			other := a.signIn(t, v.email, password)
			a.signup(t, "takenshop")

			p := v.c.get(t, adminHost, "/account")
			wantStatus(t, p, http.StatusOK)
			wantHeader(t, p, "Cache-Control", "private, no-store")
			if p.doc.Find(`.admin-nav a[href="/account"][aria-current=page]`).Length() != 1 {
				t.Error("no current Account link in the console nav")
			}

			// Password: the current one is required.
			r := v.c.submit(t, "/account", "/account/password", url.Values{"current_password": {"wrong one"}, "new_password": {"another secret"}})
			wantStatus(t, r, http.StatusUnprocessableEntity)
			if fieldError(r.doc, "current_password") == "" {
				t.Errorf("wrong current password: %s", r.summary())
			}
			if val, _ := inputValue(r.doc, "current_password"); val != "" {
				t.Error("a password was written back into the form")
			}
			r = v.c.submit(t, "/account", "/account/password", url.Values{"current_password": {password}, "new_password": {"short"}})
			wantStatus(t, r, http.StatusUnprocessableEntity)
			if fieldError(r.doc, "new_password") == "" {
				t.Errorf("short password: %s", r.summary())
			}
			r = v.c.submit(t, "/account", "/account/password", url.Values{"current_password": {password}, "new_password": {"another secret"}})
			wantRedirect(t, r, "/account")
			if !signedIn(t, v.c) {
				t.Error("changing the password signed this browser out")
			}
			if signedIn(t, other) {
				t.Error("the other browser is still signed in")
			}
			a.signIn(t, v.email, "another secret")

			// Email: password required, a free address, a link to it.
			r = v.c.submit(t, "/account", "/account/email", url.Values{"email": {"takenshop@example.com"}, "password": {"another secret"}})
			wantStatus(t, r, http.StatusUnprocessableEntity)
			if fieldError(r.doc, "email") == "" {
				t.Errorf("taken email: %s", r.summary())
			}
			if val, _ := inputValue(r.doc, "email"); val != "takenshop@example.com" {
				t.Errorf("typed email not kept: %q", val)
			}
			r = v.c.submit(t, "/account", "/account/email", url.Values{"email": {"new@example.com"}, "password": {"wrong"}})
			wantStatus(t, r, http.StatusUnprocessableEntity)
			if fieldError(r.doc, "password") == "" {
				t.Errorf("wrong password: %s", r.summary())
			}
			r = v.c.submit(t, "/account", "/account/email", url.Values{"email": {"New@Example.com"}, "password": {"another secret"}})
			wantRedirect(t, r, "/account")
			msg := mail.wait(t, "new@example.com", "Confirm your new Dukaan login email")
			path := a.linkPath(t, msg.link, "/account/email/confirm/")
			a.signIn(t, v.email, "another secret") // nothing changed yet

			browser := a.newClient() // the mail may be opened anywhere
			cf := browser.get(t, adminHost, path)
			wantStatus(t, cf, http.StatusOK)
			if !strings.Contains(cf.doc.Find(".account-email").Text(), "new@example.com") {
				t.Errorf("confirm page: %s", cf.summary())
			}
			a.signIn(t, v.email, "another secret") // a GET changes nothing
			done := browser.postForm(t, adminHost, path, url.Values{"csrf_token": {csrfToken(t, cf)}})
			wantStatus(t, done, http.StatusOK)
			a.signIn(t, "new@example.com", "another secret")
			old := a.newClient().submit(t, "/login", "/login", url.Values{"email": {v.email}, "password": {"another secret"}})
			wantStatus(t, old, http.StatusUnauthorized)
			again := browser.postForm(t, adminHost, path, url.Values{"csrf_token": {csrfToken(t, cf)}})
			if !strings.Contains(again.doc.Find(".link-problem").Text(), "already been used") {
				t.Errorf("reused email link: %s", again.summary())
			}
			wantStatus(t, again, http.StatusGone)
		})
	}
}

func TestE2EOrderWhatsApp(t *testing.T) {
	a := startApp(t, "sqlite", nil)
	v := a.signup(t, "wa-shop")
	id := v.addProduct(t, "Kaju Katli 250 g", "300", "250", 5, true)
	order(t, a.newClient(), v.store, map[int64]int{id: 2})
	oid := v.orderIDs(t, "")[0]
	p := v.c.get(t, adminHost, "/orders/"+strconv.FormatInt(oid, 10)+"?tracking="+url.QueryEscape("DTDC 998877"))
	wantStatus(t, p, http.StatusOK)
	links := map[string]string{}
	p.doc.Find("a.wa-step").Each(func(_ int, s *goquery.Selection) {
		links[s.AttrOr("data-step", "")] = s.AttrOr("href", "")
	})
	if len(links) != 4 {
		t.Fatalf("WhatsApp links %v: %s", links, p.summary())
	}
	for step, want := range map[string][]string{
		"confirmed": {"is confirmed", "#1 from"},
		"shipped":   {"has been shipped", "Tracking: DTDC 998877"},
		"delivered": {"has been delivered"},
		"cancelled": {"has been cancelled"},
	} {
		link := links[step]
		if !strings.HasPrefix(link, "https://wa.me/919876543210?text=") {
			t.Errorf("%s: link %q", step, link)
			continue
		}
		u, err := url.Parse(link)
		if err != nil {
			t.Fatal(err)
		}
		txt := u.Query().Get("text")
		for _, w := range append(want, "wa-shop", "Asha Rao") {
			if !strings.Contains(txt, w) {
				t.Errorf("%s: text %q lacks %q", step, txt, w)
			}
		}
	}
	if val, _ := inputValue(p.doc, "tracking"); val != "DTDC 998877" {
		t.Errorf("tracking note not kept in its field: %q", val)
	}
}

// The account forms check the current password: they count as sign-in
// attempts of the account, so a stolen session guesses no faster.
func TestE2EAccountPasswordGuessLimit(t *testing.T) {
	a, _ := startAppMail(t, "sqlite", map[string]string{"DUKAAN_LOGIN_LIMIT_ACCOUNT": "3/h"})
	v := a.signup(t, "guessshop")
	for range 3 {
		r := v.c.submit(t, "/account", "/account/password", url.Values{"current_password": {"guess"}, "new_password": {"another secret"}})
		wantStatus(t, r, http.StatusUnprocessableEntity)
	}
	r := v.c.submit(t, "/account", "/account/password", url.Values{"current_password": {password}, "new_password": {"another secret"}})
	wantStatus(t, r, http.StatusTooManyRequests)
	if r.header.Get("Retry-After") == "" || !strings.Contains(formMessage(r.doc), "Too many attempts") {
		t.Errorf("429 without Retry-After or message: %s", r.summary())
	}
	r = v.c.submit(t, "/account", "/account/email", url.Values{"email": {"x@example.com"}, "password": {password}})
	wantStatus(t, r, http.StatusTooManyRequests)
	if val, _ := inputValue(r.doc, "email"); val != "x@example.com" {
		t.Errorf("typed email not kept: %q", val)
	}
	// One count: the sign-in page is over the limit for the account too.
	login := a.newClient().submit(t, "/login", "/login", url.Values{"email": {v.email}, "password": {password}})
	wantStatus(t, login, http.StatusTooManyRequests)
	// Nothing changed.
	if _, err := a.main.DB.Authenticate(t.Context(), v.email, password); err != nil {
		t.Errorf("the password changed: %v", err)
	}
}
