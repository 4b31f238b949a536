package main

// Helpers for the end-to-end tests: start the whole program with NewMain on
// 127.0.0.1:0 against a fresh SQLite file or PostgreSQL schema, and drive it
// over real HTTP like a browser would (one cookie jar per host, no automatic
// redirects, CSRF tokens read from the page a form came from).

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"dukaan/internal/proc"
	"dukaan/internal/testsvc"
)

const (
	baseDomain = "dukaan.test"
	adminHost  = "admin." + baseDomain
	testSecret = "e2e-test-secret-0123456789abcdef-0123456789"
	password   = "correct horse 42"
)

// shopHost is the host of a store's shop.
func shopHost(store string) string { return store + "." + baseDomain }

// dialects are the databases every flow runs on.
var dialects = []string{"sqlite", "postgres"}

// testApp is one running Dukaan.
type testApp struct {
	dialect string
	main    *Main
	addr    string // 127.0.0.1:port
	port    string
	hc      *http.Client
	logs    *logSink
}

// startApp runs the whole program on 127.0.0.1:0 with a fresh database of
// the given dialect and the test settings, overridden by env. It stops the
// program when tb ends and fails tb if the server logged an error (a 500 or
// a panic is a bug whatever page it was on).
func startApp(tb testing.TB, dialect string, env map[string]string) *testApp {
	tb.Helper()
	environ := map[string]string{
		"DUKAAN_ENV":         "test",
		"DUKAAN_ADDR":        "127.0.0.1:0",
		"DUKAAN_BASE_DOMAIN": baseDomain,
		"DUKAAN_SEED_DEMO":   "false",
		"DUKAAN_SECRET":      testSecret,
		// Every test browser comes from 127.0.0.1 and signs up and in far
		// more often than a person would; the rate-limit tests
		// (reliability_ratelimit_test.go) set their own limits.
		"DUKAAN_LOGIN_LIMIT_ACCOUNT": "off",
		"DUKAAN_LOGIN_LIMIT_IP":      "off",
		"DUKAAN_SIGNUP_LIMIT_IP":     "off",
		// bcrypt's minimum: a default-cost hash takes 0.7 s under -race.
		"DUKAAN_BCRYPT_COST": "4",
		// Product photos go to this test's own directory, not data/.
		"DUKAAN_IMAGE_DIR": tb.TempDir(),
	}
	switch {
	case env["DATABASE_URL"] != "":
		// The caller brings its own database.
	case dialect == "sqlite":
		environ["DATABASE_URL"] = filepath.Join(tb.TempDir(), "dukaan.db")
	case dialect == "postgres":
		environ["DATABASE_URL"] = testsvc.PostgresSchema(tb, "e2e_")
	default:
		tb.Fatalf("unknown dialect %q", dialect)
	}
	for k, v := range env {
		environ[k] = v
	}
	cfg, err := LoadConfig(environ)
	if err != nil {
		tb.Fatalf("LoadConfig: %v", err)
	}
	if err := cfg.Validate(); err != nil {
		tb.Fatalf("Validate: %v", err)
	}
	logs := &logSink{tb: tb}
	m := NewMain(cfg, io.Discard)
	// Warnings and errors go to the test log; errors also fail the test.
	m.Logger = slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelWarn}))
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if err := m.Run(ctx); err != nil {
		m.Close()
		tb.Fatalf("Run: %v", err)
	}
	_, port, err := net.SplitHostPort(m.Addr())
	if err != nil {
		m.Close()
		tb.Fatalf("Addr() = %q: %v", m.Addr(), err)
	}
	a := &testApp{dialect: dialect, main: m, addr: m.Addr(), port: port, logs: logs}
	tr := &http.Transport{
		// Every host name resolves to the app: the Host header decides.
		DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "tcp", a.addr)
		},
		MaxIdleConns:        64,
		MaxIdleConnsPerHost: 64,
		DisableCompression:  true,
	}
	a.hc = &http.Client{
		Transport: tr,
		Timeout:   60 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
	tb.Cleanup(func() {
		tr.CloseIdleConnections()
		if err := m.Close(); err != nil {
			tb.Errorf("Close: %v", err)
		}
		logs.mu.Lock()
		defer logs.mu.Unlock()
		logs.closed = true
		if len(logs.errors) > 0 && !logs.allowErrors {
			tb.Errorf("the server logged %d error(s):\n%s", len(logs.errors), strings.Join(logs.errors, "\n"))
		}
	})
	return a
}

// logSink copies the server's log into the test log and remembers errors.
type logSink struct {
	tb     testing.TB
	mu     sync.Mutex
	errors []string
	closed bool
	// allowErrors is for tests that break the database on purpose.
	allowErrors bool
}

func (l *logSink) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	line := strings.TrimSpace(string(p))
	if strings.Contains(line, "level=ERROR") {
		l.errors = append(l.errors, line)
	}
	// Refused CSRF checks are what the CSRF tests provoke by the hundred.
	if !l.closed && !strings.Contains(line, `msg="csrf refused"`) {
		l.tb.Log("server: " + line)
	}
	return len(p), nil
}

// ---------------------------------------------------------------------------
// The browser.

// client is one browser: a cookie jar per host, no redirect following. It
// sends Origin on POSTs like a browser does, unless told otherwise.
type client struct {
	app *testApp
	mu  sync.Mutex
	jar map[string]map[string]*http.Cookie // host → cookie name → cookie
	// via, when set, is the Host a reverse proxy sends upstream; the host
	// the browser asked for then goes in X-Forwarded-Host.
	via string
	// scheme is what the browser sees ("https" behind a TLS terminator);
	// it goes in Origin. Empty means http.
	scheme string
}

func (a *testApp) newClient() *client {
	return &client{app: a, jar: map[string]map[string]*http.Cookie{}}
}

// response is what came back, with the HTML parsed.
type response struct {
	method, host, path string
	status             int
	header             http.Header
	cookies            []*http.Cookie
	body               []byte
	doc                *goquery.Document
}

// hostPort is what a browser puts in Host: the name and the app's port.
func (c *client) hostPort(host string) string { return host + ":" + c.app.port }

// origin is the Origin a browser sends for a page on host.
func (c *client) origin(host string) string {
	scheme := c.scheme
	if scheme == "" {
		scheme = "http"
	}
	return scheme + "://" + c.hostPort(host)
}

// do sends one request. hdr may set Origin ("" to send none) or Cookie (to
// replace the jar's cookies); other headers are added as given.
func (c *client) do(method, host, path string, form url.Values, hdr http.Header) (*response, error) {
	if form == nil {
		return c.doBody(method, host, path, nil, "", hdr)
	}
	return c.doBody(method, host, path, strings.NewReader(form.Encode()), "application/x-www-form-urlencoded", hdr)
}

// doBody is do with a body of any type (multipart uploads).
func (c *client) doBody(method, host, path string, body io.Reader, contentType string, hdr http.Header) (*response, error) {
	req, err := http.NewRequest(method, "http://"+c.app.addr+path, body)
	if err != nil {
		return nil, err
	}
	req.Host = c.hostPort(host)
	if c.via != "" {
		req.Host = c.via
		req.Header.Set("X-Forwarded-Host", c.hostPort(host))
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if method == http.MethodPost {
		req.Header.Set("Origin", c.origin(host))
	}
	c.mu.Lock()
	for _, ck := range c.jar[host] {
		req.AddCookie(&http.Cookie{Name: ck.Name, Value: ck.Value})
	}
	c.mu.Unlock()
	for k, vs := range hdr {
		k = http.CanonicalHeaderKey(k)
		req.Header.Del(k)
		for _, v := range vs {
			if v != "" {
				req.Header.Add(k, v)
			}
		}
	}
	res, err := c.app.hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%s %s%s: %w", method, host, path, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		return nil, fmt.Errorf("%s %s%s: reading body: %w", method, host, path, err)
	}
	r := &response{method: method, host: host, path: path, status: res.StatusCode,
		header: res.Header, cookies: res.Cookies(), body: b}
	if strings.HasPrefix(res.Header.Get("Content-Type"), "text/html") {
		if r.doc, err = goquery.NewDocumentFromReader(bytes.NewReader(b)); err != nil {
			return nil, fmt.Errorf("%s %s%s: parsing HTML: %w", method, host, path, err)
		}
	} else {
		r.doc, _ = goquery.NewDocumentFromReader(strings.NewReader(""))
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, ck := range r.cookies {
		if c.jar[host] == nil {
			c.jar[host] = map[string]*http.Cookie{}
		}
		if ck.MaxAge < 0 || (!ck.Expires.IsZero() && ck.Expires.Before(time.Now())) {
			delete(c.jar[host], ck.Name)
		} else {
			c.jar[host][ck.Name] = ck
		}
	}
	return r, nil
}

// send is do that fails the test on a transport error and on any cookie
// set outside the admin host.
func (c *client) send(tb testing.TB, method, host, path string, form url.Values, hdr http.Header) *response {
	tb.Helper()
	r, err := c.do(method, host, path, form, hdr)
	if err != nil {
		tb.Fatal(err)
	}
	if host != adminHost && len(r.header.Values("Set-Cookie")) > 0 {
		tb.Errorf("%s %s%s set a cookie on a non-admin host: %q", method, host, path, r.header.Values("Set-Cookie"))
	}
	return r
}

func (c *client) get(tb testing.TB, host, path string) *response {
	tb.Helper()
	return c.send(tb, http.MethodGet, host, path, nil, nil)
}

func (c *client) postForm(tb testing.TB, host, path string, form url.Values) *response {
	tb.Helper()
	return c.send(tb, http.MethodPost, host, path, form, nil)
}

// submit does what a browser does with a console form: GET the page the
// form is on, take its csrf_token, POST the fields to action.
func (c *client) submit(tb testing.TB, page, action string, form url.Values) *response {
	tb.Helper()
	p := c.get(tb, adminHost, page)
	wantStatus(tb, p, http.StatusOK)
	vals := cloneValues(form)
	vals.Set("csrf_token", csrfToken(tb, p))
	return c.postForm(tb, adminHost, action, vals)
}

// cookie returns the jar's cookie for host, or nil.
func (c *client) cookie(host, name string) *http.Cookie {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.jar[host][name]
}

// setCookie puts a cookie in the jar by hand (a planted or replayed one).
func (c *client) setCookie(host, name, value string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.jar[host] == nil {
		c.jar[host] = map[string]*http.Cookie{}
	}
	c.jar[host][name] = &http.Cookie{Name: name, Value: value}
}

func cloneValues(v url.Values) url.Values {
	out := url.Values{}
	for k, vs := range v {
		out[k] = slices.Clone(vs)
	}
	return out
}

// ---------------------------------------------------------------------------
// Reading pages.

// csrfToken is the page's hidden csrf_token.
func csrfToken(tb testing.TB, r *response) string {
	tb.Helper()
	tok, ok := r.doc.Find("input[name=csrf_token]").First().Attr("value")
	if !ok || tok == "" {
		tb.Fatalf("%s %s%s: no input[name=csrf_token] on the page", r.method, r.host, r.path)
	}
	return tok
}

// summary describes a page for failure messages.
func (r *response) summary() string {
	if r.doc == nil {
		return ""
	}
	var parts []string
	add := func(label, s string) {
		s = strings.Join(strings.Fields(s), " ")
		if s != "" {
			parts = append(parts, label+"="+strconv.Quote(s))
		}
	}
	add("title", r.doc.Find("title").Text())
	add("h1", r.doc.Find("h1").First().Text())
	r.doc.Find("[role=alert], .field-error").Each(func(_ int, s *goquery.Selection) { add("message", s.Text()) })
	if len(parts) == 0 && len(r.body) > 0 && r.doc.Find("body").Length() == 0 {
		add("body", string(r.body[:min(len(r.body), 200)]))
	}
	return strings.Join(parts, " ")
}

func (r *response) String() string {
	return fmt.Sprintf("%s %s%s", r.method, r.host, r.path)
}

// wantStatus stops the test when the status is not want.
func wantStatus(tb testing.TB, r *response, want int) {
	tb.Helper()
	if r.status != want {
		tb.Fatalf("%s: status = %d, want %d (%s)", r, r.status, want, r.summary())
	}
}

// wantRedirect stops the test unless r is a 303 to location.
func wantRedirect(tb testing.TB, r *response, location string) {
	tb.Helper()
	if r.status != http.StatusSeeOther || r.header.Get("Location") != location {
		tb.Fatalf("%s: got %d Location %q, want 303 Location %q (%s)", r, r.status, r.header.Get("Location"), location, r.summary())
	}
}

// wantHeader checks one header's exact value.
func wantHeader(tb testing.TB, r *response, name, want string) {
	tb.Helper()
	if got := r.header.Get(name); got != want {
		tb.Errorf("%s: %s = %q, want %q", r, name, got, want)
	}
}

// text is the white-space-normalised text of a selection.
func text(s *goquery.Selection) string { return strings.Join(strings.Fields(s.Text()), " ") }

// inputValue is the value of the named form control on the page (the text
// of a textarea), and whether it is there.
func inputValue(doc *goquery.Document, name string) (string, bool) {
	s := doc.Find(fmt.Sprintf(`[name=%q]`, name)).First()
	if s.Length() == 0 {
		return "", false
	}
	if goquery.NodeName(s) == "textarea" {
		return s.Text(), true
	}
	v, _ := s.Attr("value")
	return v, true
}

// fieldError is the message shown for one form field: the element its
// control points at with aria-describedby that is an error, or the error
// element of a field that has no control (a sold-out product).
func fieldError(doc *goquery.Document, name string) string {
	ids := []string{"f-" + name + "-error"}
	if d, ok := doc.Find(fmt.Sprintf(`[name=%q]`, name)).First().Attr("aria-describedby"); ok {
		ids = append(strings.Fields(d), ids...)
	}
	for _, id := range ids {
		if !strings.HasSuffix(id, "error") {
			continue
		}
		if s := doc.Find(fmt.Sprintf(`[id=%q]`, id)); s.Length() > 0 {
			return strings.TrimPrefix(text(s), "⚠ ")
		}
	}
	return ""
}

// fieldErrors lists the names of the fields of the page that carry a
// message, for "only this field is wrong" checks.
func fieldErrors(doc *goquery.Document) []string {
	var out []string
	doc.Find("[id$=-error]").Each(func(_ int, s *goquery.Selection) {
		id, _ := s.Attr("id")
		out = append(out, strings.TrimSuffix(strings.TrimPrefix(id, "f-"), "-error"))
	})
	slices.Sort(out)
	return out
}

// formMessage is the message for the whole form.
func formMessage(doc *goquery.Document) string { return text(doc.Find("[role=alert]").First()) }

var (
	productEditHref = regexp.MustCompile(`^/products/(\d+)/edit$`)
	orderHref       = regexp.MustCompile(`^/orders/(\d+)$`)
	shopProductHref = regexp.MustCompile(`^/p/(\d+)$`)
	qtyName         = regexp.MustCompile(`^qty_(\d+)$`)
	orderLocation   = regexp.MustCompile(`^/orders/([A-Za-z2-7]{26,})$`)
)

// ids collects, in page order and without repeats, the numbers that re
// finds in attr of the elements sel selects.
func ids(doc *goquery.Document, sel, attr string, re *regexp.Regexp) []int64 {
	var out []int64
	doc.Find(sel).Each(func(_ int, s *goquery.Selection) {
		v, _ := s.Attr(attr)
		if m := re.FindStringSubmatch(v); m != nil {
			id, _ := strconv.ParseInt(m[1], 10, 64)
			if !slices.Contains(out, id) {
				out = append(out, id)
			}
		}
	})
	return out
}

// shopProductIDs are the products a shop page offers: linked to /p/{id} or
// with a qty_{id} field.
func shopProductIDs(doc *goquery.Document) []int64 {
	out := ids(doc, "a[href]", "href", shopProductHref)
	for _, id := range ids(doc, "[name]", "name", qtyName) {
		if !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	slices.Sort(out)
	return out
}

// productCard is the largest element around product id's link or quantity
// field that holds nothing of any other product: its card on a shop page.
func productCard(doc *goquery.Document, id int64) *goquery.Selection {
	mine := fmt.Sprintf(`a[href="/p/%d"], [name="qty_%d"]`, id, id)
	start := doc.Find(mine).First()
	if start.Length() == 0 {
		return start
	}
	card := start
	start.Parents().EachWithBreak(func(_ int, p *goquery.Selection) bool {
		others := p.Find(`a[href^="/p/"], [name^="qty_"]`).FilterFunction(func(_ int, s *goquery.Selection) bool {
			return !s.Is(mine)
		})
		if others.Length() > 0 {
			return false
		}
		card = p
		return true
	})
	return card
}

// struck is the text of the struck-through elements (the MRP) in s.
func struck(s *goquery.Selection) string { return text(s.Find("s, del")) }

// row is the table row whose text contains needle.
func row(doc *goquery.Document, needle string) *goquery.Selection {
	return doc.Find("tr").FilterFunction(func(_ int, s *goquery.Selection) bool {
		return strings.Contains(text(s), needle)
	}).First()
}

// ---------------------------------------------------------------------------
// Vendors, products and orders through the UI.

// vendor is a signed-up, logged-in merchant with their own browser.
type vendor struct {
	c     *client
	store string
	email string
}

func (v *vendor) shop() string { return shopHost(v.store) }

// signup opens a store through the signup form and checks it logged in.
func (a *testApp) signup(tb testing.TB, store string) *vendor {
	tb.Helper()
	c := a.newClient()
	email := store + "@example.com"
	r := c.submit(tb, "/signup", "/signup", url.Values{"store": {store}, "email": {email}, "password": {password}})
	wantRedirect(tb, r, "/products")
	return &vendor{c: c, store: store, email: email}
}

// productFields are the product form's fields.
func productFields(name, mrp, price, stock string, available bool) url.Values {
	v := url.Values{"name": {name}, "description": {"About " + name}, "mrp": {mrp}, "price": {price}, "stock": {stock}}
	if available {
		v.Set("available", "on")
	}
	return v
}

// addProduct creates a product through the form and returns its id.
func (v *vendor) addProduct(tb testing.TB, name, mrp, price string, stock int, available bool) int64 {
	tb.Helper()
	r := v.c.submit(tb, "/products/new", "/products/new", productFields(name, mrp, price, strconv.Itoa(stock), available))
	wantRedirect(tb, r, "/products")
	id, ok := v.productIDs(tb)[name]
	if !ok {
		tb.Fatalf("product %q not in the console list after creating it", name)
	}
	return id
}

// productIDs maps the names in the console's product list to their ids.
func (v *vendor) productIDs(tb testing.TB) map[string]int64 {
	tb.Helper()
	r := v.c.get(tb, adminHost, "/products")
	wantStatus(tb, r, http.StatusOK)
	out := map[string]int64{}
	r.doc.Find("a[href]").Each(func(_ int, s *goquery.Selection) {
		href, _ := s.Attr("href")
		if m := productEditHref.FindStringSubmatch(href); m != nil {
			id, _ := strconv.ParseInt(m[1], 10, 64)
			if name := text(s); name != "" && !strings.HasPrefix(name, "Edit") {
				out[name] = id
			}
		}
	})
	return out
}

// productList are the ids the console's product list links to.
func (v *vendor) productList(tb testing.TB) []int64 {
	tb.Helper()
	r := v.c.get(tb, adminHost, "/products")
	wantStatus(tb, r, http.StatusOK)
	return ids(r.doc, "a[href]", "href", productEditHref)
}

// productForm reads the edit form of a product: every named control, with
// "available" present only when checked.
func (v *vendor) productForm(tb testing.TB, id int64) url.Values {
	tb.Helper()
	r := v.c.get(tb, adminHost, fmt.Sprintf("/products/%d/edit", id))
	wantStatus(tb, r, http.StatusOK)
	return formValues(r.doc, fmt.Sprintf("/products/%d/edit", id))
}

// formValues are the values a browser would submit from the form with
// action, without the CSRF token.
func formValues(doc *goquery.Document, action string) url.Values {
	out := testsvc.FormValues(doc.Find(fmt.Sprintf(`form[action=%q]`, action)))
	out.Del("csrf_token")
	return out
}

// stock is the product's stock as its edit form shows it.
func (v *vendor) stock(tb testing.TB, id int64) int {
	tb.Helper()
	f := v.productForm(tb, id)
	n, err := strconv.Atoi(f.Get("stock"))
	if err != nil {
		tb.Fatalf("product %d: stock field %q: %v", id, f.Get("stock"), err)
	}
	return n
}

// orderIDs are the order ids the console lists, in list order; query is
// e.g. "?status=pending".
func (v *vendor) orderIDs(tb testing.TB, query string) []int64 {
	tb.Helper()
	r := v.c.get(tb, adminHost, "/orders"+query)
	wantStatus(tb, r, http.StatusOK)
	return ids(r.doc, "a[href]", "href", orderHref)
}

// orderStatus finds an order's status through the console's status filter.
func (v *vendor) orderStatus(tb testing.TB, id int64) string {
	tb.Helper()
	var found []string
	for _, s := range []string{"pending", "confirmed", "shipped", "delivered", "cancelled"} {
		if slices.Contains(v.orderIDs(tb, "?status="+s), id) {
			found = append(found, s)
		}
	}
	if len(found) != 1 {
		tb.Fatalf("order %d is listed under statuses %q, want exactly one", id, found)
	}
	return found[0]
}

// setStatus posts a status change from the order page.
func (v *vendor) setStatus(tb testing.TB, id int64, status string) *response {
	tb.Helper()
	return v.c.submit(tb, fmt.Sprintf("/orders/%d", id), fmt.Sprintf("/orders/%d/status", id), url.Values{"status": {status}})
}

// orderForm is a customer's order: quantities per product id, the test
// customer, and a fresh order key.
func orderForm(qty map[int64]int) url.Values {
	v := url.Values{
		"name":      {"Asha Rao"},
		"phone":     {"+91 98765 43210"},
		"address":   {"12 MG Road, Indiranagar, Bengaluru 560038"},
		"order_key": {newOrderKey()},
		"from":      {"/"},
	}
	for id, n := range qty {
		v.Set(fmt.Sprintf("qty_%d", id), strconv.Itoa(n))
	}
	return v
}

// newOrderKey is what shop.js puts in order_key: a random UUID.
func newOrderKey() string {
	h := proc.RandomHex(16)
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// order places an order from the shop's front page and returns the
// confirmation token.
func order(tb testing.TB, c *client, store string, qty map[int64]int) string {
	tb.Helper()
	r := c.postForm(tb, shopHost(store), "/order", orderForm(qty))
	m := orderLocation.FindStringSubmatch(r.header.Get("Location"))
	if r.status != http.StatusSeeOther || m == nil {
		tb.Fatalf("%s: got %d Location %q, want 303 /orders/{token} (%s)", r, r.status, r.header.Get("Location"), r.summary())
	}
	return m[1]
}
