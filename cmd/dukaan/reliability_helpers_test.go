package main

// Helpers for the reliability tests (reliability_*_test.go): a bounded
// load loop of real HTTP requests on loopback, raw requests over TCP for
// what net/http will not send, and checks of what the database holds after
// a fault. Every test logs one "figures:" line; docs/reliability.md is
// built from them (go test -v -run 'Reliability' ./cmd/dukaan | grep figures:).

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"dukaan/storage"
)

// ---------------------------------------------------------------------------
// Load.

// loadRun counts what a load loop sent and got back.
type loadRun struct {
	mu       sync.Mutex
	sent     atomic.Int64
	failed   atomic.Int64
	resent   atomic.Int64   // requests the client sent twice (see shopOrder)
	statuses map[string]int // "GET 200", "POST 503", "GET 200 STALE", ...
	failures []string       // the first few, for the failure message
	orders   []placedOrder  // orders that got a confirmation (303)
	refused  []url.Values   // order forms answered 503, to post again
	page503  []byte         // the first 503 page, to check it says something
	slowest  time.Duration  // the longest answer
}

func (l *loadRun) took(d time.Duration) {
	l.mu.Lock()
	l.slowest = max(l.slowest, d)
	l.mu.Unlock()
}

// placedOrder is an order the customer saw confirmed.
type placedOrder struct {
	token, key string
	qty        int64
}

func newLoadRun() *loadRun { return &loadRun{statuses: map[string]int{}} }

// note records one answer; ok=false counts it as failed with why.
func (l *loadRun) note(label string, ok bool, why string) {
	l.sent.Add(1)
	l.mu.Lock()
	defer l.mu.Unlock()
	l.statuses[label]++
	if !ok {
		l.failed.Add(1)
		if len(l.failures) < 10 {
			l.failures = append(l.failures, why)
		}
	}
}

func (l *loadRun) confirmed(o placedOrder) {
	l.mu.Lock()
	l.orders = append(l.orders, o)
	l.mu.Unlock()
}

func (l *loadRun) refusedForm(f url.Values, page []byte) {
	l.mu.Lock()
	l.refused = append(l.refused, f)
	if l.page503 == nil {
		l.page503 = page
	}
	l.mu.Unlock()
}

// summary is "GET 200=812 POST 303=130 …" in a stable order.
func (l *loadRun) summary() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	keys := make([]string, 0, len(l.statuses))
	for k := range l.statuses {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for i, k := range keys {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%s=%d", k, l.statuses[k])
	}
	return b.String()
}

func (l *loadRun) count(label string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.statuses[label]
}

func (l *loadRun) failuresText() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.failures, "\n")
}

// runLoad runs fn in workers goroutines, each calling it in a loop with
// its worker number, until d has passed. Workers start together. The
// bound keeps tests short on two cores with the race detector.
func runLoad(workers int, d time.Duration, fn func(ctx context.Context, worker int)) {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for ctx.Err() == nil {
				fn(ctx, w)
			}
		})
	}
	wg.Wait()
}

// loadClient is an HTTP client for load: every request goes to addr
// whatever the URL says, redirects are not followed, and each worker's
// connections are reused like a browser's. Its idle connections are closed
// when t ends, before the servers it talks to stop (cleanups run last
// first): nginx finishing a graceful stop waits for a connection that was
// opened but never sent a request, up to client_header_timeout.
func loadClient(t *testing.T, addr string) *http.Client {
	tr := &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "tcp", addr)
		},
		MaxIdleConnsPerHost: 16,
		DisableCompression:  true,
	}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{
		Timeout:       20 * time.Second,
		Transport:     tr,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// answer is one response, read whole.
type answer struct {
	status int
	header http.Header
	body   []byte
	// attempts is how many connections the request took: 2 when a reused
	// keep-alive connection was closed under it and the client sent it
	// again, as browsers do.
	attempts int
}

// fetch sends one request with Host host. A form makes it a POST.
func fetch(hc *http.Client, method, host, path string, form url.Values, hdr http.Header) (answer, error) {
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, "http://dukaan"+path, body)
	if err != nil {
		return answer{}, err
	}
	req.Host = host
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for k, vs := range hdr {
		req.Header[http.CanonicalHeaderKey(k)] = vs
	}
	var attempts atomic.Int32
	req = req.WithContext(httptrace.WithClientTrace(req.Context(), &httptrace.ClientTrace{
		GotConn: func(httptrace.GotConnInfo) { attempts.Add(1) },
	}))
	resp, err := hc.Do(req)
	if err != nil {
		return answer{}, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return answer{status: resp.StatusCode, header: resp.Header, body: b, attempts: int(attempts.Load())}, err
}

// shopGet is one customer looking at a page: 200 is the only success.
func (l *loadRun) shopGet(hc *http.Client, host, path string) answer {
	start := time.Now()
	a, err := fetch(hc, http.MethodGet, host, path, nil, nil)
	l.took(time.Since(start))
	switch {
	case err != nil:
		l.note("GET error", false, fmt.Sprintf("GET %s%s: %v", host, path, err))
	case a.status != http.StatusOK:
		l.note(fmt.Sprintf("GET %d", a.status), false, fmt.Sprintf("GET %s%s: %d", host, path, a.status))
	default:
		label := "GET 200"
		if c := a.header.Get("X-Cache-Status"); c != "" {
			label += " " + c
		}
		l.note(label, true, "")
	}
	return a
}

// shopOrder is one customer ordering qty of product from the shop's
// front page. A 303 is a confirmed order; a 503 with Retry-After is an
// honest "try again" when allow503 is set (its form is kept to be posted
// again); anything else fails.
func (l *loadRun) shopOrder(hc *http.Client, host string, product int64, qty int, allow503 bool) {
	f := orderForm(map[int64]int{product: qty})
	start := time.Now()
	// A browser sends a request again when the reused connection it went
	// out on was closed before any answer (an nginx reload closes idle
	// ones); Go's client does so for a POST only with an Idempotency-Key.
	// The order key makes the second copy harmless.
	a, err := fetch(hc, http.MethodPost, host, "/order", f, http.Header{"Idempotency-Key": {f.Get("order_key")}})
	l.took(time.Since(start))
	if a.attempts > 1 {
		l.resent.Add(1)
	}
	if err != nil {
		l.note("POST error", false, fmt.Sprintf("POST %s/order: %v", host, err))
		return
	}
	label := fmt.Sprintf("POST %d", a.status)
	switch m := orderLocation.FindStringSubmatch(a.header.Get("Location")); {
	case a.status == http.StatusSeeOther && m != nil:
		l.note(label, true, "")
		l.confirmed(placedOrder{token: m[1], key: f.Get("order_key"), qty: int64(qty)})
	case a.status == http.StatusServiceUnavailable && allow503:
		ok := a.header.Get("Retry-After") != "" && strings.Contains(a.header.Get("Cache-Control"), "no-store")
		l.note(label, ok, fmt.Sprintf("POST %s/order: 503 without Retry-After or no-store: %v", host, a.header))
		l.refusedForm(f, a.body)
	default:
		l.note(label, false, fmt.Sprintf("POST %s/order: %d Location %q: %.200s", host, a.status, a.header.Get("Location"), a.body))
	}
}

// ---------------------------------------------------------------------------
// Raw HTTP/1.1, for requests net/http refuses to send: two Host headers,
// an absolute URI naming another host.

// rawRequest writes req (CRLF line ends, ending in an empty line) to addr
// and reads one response.
func rawRequest(t *testing.T, addr, req string) answer {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(20 * time.Second))
	if _, err := io.WriteString(c, req); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(c), &http.Request{Method: strings.Fields(req)[0]})
	if err != nil {
		t.Fatalf("raw %q: %v", firstLine(req), err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return answer{status: resp.StatusCode, header: resp.Header, body: b}
}

func firstLine(s string) string { l, _, _ := strings.Cut(s, "\r\n"); return l }

// ---------------------------------------------------------------------------
// What the database holds.

// storedOrder is an order row with its lines.
type storedOrder struct {
	Token    string `bun:"token"`
	OrderKey string `bun:"order_key"`
	Lines    int64  `bun:"lines"`
	Qty      int64  `bun:"qty"`
	Total    int64  `bun:"total"`
	Sum      int64  `bun:"sum"`
}

// storedOrders are a vendor's orders by token, each with its line count,
// units and the sum of its lines.
func storedOrders(t *testing.T, db *storage.DB, vendorID int64) map[string]storedOrder {
	t.Helper()
	var rows []storedOrder
	err := db.Bun().NewRaw(`SELECT o.token, o.order_key, o.total, COUNT(oi.id) AS lines,
			COALESCE(SUM(oi.qty), 0) AS qty, COALESCE(SUM(oi.qty * oi.price), 0) AS sum
		FROM orders o LEFT JOIN order_items oi ON oi.order_id = o.id
		WHERE o.vendor_id = ? GROUP BY o.id, o.token, o.order_key, o.total`, vendorID).Scan(context.Background(), &rows)
	if err != nil {
		t.Fatalf("reading orders: %v", err)
	}
	out := make(map[string]storedOrder, len(rows))
	for _, r := range rows {
		out[r.Token] = r
	}
	return out
}

// stockOf is a product's stock as stored.
func stockOf(t *testing.T, db *storage.DB, productID int64) int64 {
	t.Helper()
	var n int64
	if err := db.Bun().NewRaw("SELECT stock FROM products WHERE id = ?", productID).Scan(context.Background(), &n); err != nil {
		t.Fatalf("reading stock: %v", err)
	}
	return n
}

// ledger checks that nothing a customer was told is lost and nothing is
// half-written: every confirmed order is stored with its lines and the
// quantity ordered, every stored order has lines that add up to its total,
// and initial − units sold = stock. It returns the units sold and how many
// stored orders no customer saw confirmed (answered 503 at commit time).
func ledger(t *testing.T, db *storage.DB, vendorID, productID, initial int64, confirmed []placedOrder) (sold int64, unconfirmed int) {
	t.Helper()
	stored := storedOrders(t, db, vendorID)
	seen := map[string]bool{}
	for _, o := range confirmed {
		s, ok := stored[o.token]
		switch {
		case !ok:
			t.Errorf("confirmed order %s (key %s, %d units) is not in the database", o.token, o.key, o.qty)
		case s.Lines != 1 || s.Qty != o.qty:
			t.Errorf("confirmed order %s: %d lines of %d units stored, want 1 line of %d", o.token, s.Lines, s.Qty, o.qty)
		}
		seen[o.token] = true
	}
	for tok, s := range stored {
		if s.Lines == 0 || s.Total != s.Sum {
			t.Errorf("order %s is half-written: %d lines, total %d, lines sum to %d", tok, s.Lines, s.Total, s.Sum)
		}
		sold += s.Qty
		if !seen[tok] {
			unconfirmed++
		}
	}
	if got := stockOf(t, db, productID); got != initial-sold {
		t.Errorf("stock %d, want initial %d − sold %d = %d", got, initial, sold, initial-sold)
	}
	return sold, unconfirmed
}

// waitReady polls /readyz of a until it answers 200.
func waitReady(t *testing.T, a *testApp, within time.Duration) {
	t.Helper()
	hc := loadClient(t, a.addr)
	deadline := time.Now().Add(within)
	for {
		r, err := fetch(hc, http.MethodGet, baseDomain, "/readyz", nil, nil)
		if err == nil && r.status == http.StatusOK {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("not ready %s after the fault ended: %v %d", within, err, r.status)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// keysOf lists a map's keys, sorted, for messages.
func keysOf[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
