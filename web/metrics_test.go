package web

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"dukaan/app"
	"dukaan/storage"
	"dukaan/storage/pagecache"
	"dukaan/storage/storagetest"
	"dukaan/tenant"
)

// observed is one ObserveRequest call; route is "" when no route matched
// (monitoring labels it "unmatched").
type observed struct {
	kind, route, method string
	status              int
}

// fakeObserver records what the server measured.
type fakeObserver struct {
	mu       sync.Mutex
	requests []observed
	placed   int
	refused  []string
}

func (f *fakeObserver) ObserveRequest(kind, route, method string, status int, d time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if d <= 0 {
		panic("non-positive latency")
	}
	f.requests = append(f.requests, observed{kind, route, method, status})
}

func (f *fakeObserver) OrderPlaced() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.placed++
}

func (f *fakeObserver) OrderRefused(reason string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.refused = append(f.refused, reason)
}

// take returns and forgets what was recorded.
func (f *fakeObserver) take() (req []observed, placed int, refused []string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	req, placed, refused = f.requests, f.placed, f.refused
	f.requests, f.placed, f.refused = nil, 0, nil
	return req, placed, refused
}

type metricsServer struct {
	srv *Server
	db  *storage.DB
	obs *fakeObserver
}

func newMetricsServer(t *testing.T) *metricsServer {
	t.Helper()
	db := storagetest.Open(t, storage.DialectSQLite, nil)
	res, err := tenant.NewResolver("dukaan.test", nil)
	if err != nil {
		t.Fatal(err)
	}
	pages, err := pagecache.New(pagecache.Config{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pages.Close() })
	obs := &fakeObserver{}
	srv, err := New(Config{
		Resolver: res, Vendors: db, Products: db, Orders: db, Sessions: storage.NewSessionStore(db),
		Settings: db, Coupons: db,
		Secret: []byte("metrics-test-secret-0123456789abcdef"), Pages: pages,
		Metrics: obs, Logger: slog.New(slog.DiscardHandler),
		MetricsHandler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			io.WriteString(w, "# metrics\n")
		}),
	})
	if err != nil {
		t.Fatal(err)
	}
	return &metricsServer{srv: srv, db: db, obs: obs}
}

func (m *metricsServer) do(t *testing.T, method, host, path string, form url.Values) *httptest.ResponseRecorder {
	t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req := httptest.NewRequest(method, "http://"+host+path, body)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	rec := httptest.NewRecorder()
	m.srv.ServeHTTP(rec, req)
	return rec
}

func TestRequestMetrics(t *testing.T) {
	m := newMetricsServer(t)
	v := storagetest.Vendor(t, m.db, "chai")
	p := storagetest.Product(t, m.db, v.ID, "Masala chai", 12000, 5)
	tests := []struct {
		name                 string
		method, host, path   string
		form                 url.Values
		want                 observed
		wantBody, wantAbsent string
	}{
		{name: "metrics on any host", method: "GET", host: "127.0.0.1:8080", path: "/metrics",
			want: observed{app.KindOps, "/metrics", "GET", 200}, wantBody: "# metrics"},
		{name: "metrics on a shop host", method: "GET", host: "chai.dukaan.test", path: "/metrics",
			want: observed{app.KindOps, "/metrics", "GET", 200}, wantBody: "# metrics"},
		{name: "shop product page", method: "GET", host: "chai.dukaan.test", path: fmt.Sprintf("/p/%d", p.ID),
			want: observed{"shop", "/p/:id", "GET", 200}},
		{name: "shop front", method: "HEAD", host: "chai.dukaan.test", path: "/?page=1",
			want: observed{"shop", "/", "HEAD", 200}},
		{name: "no such page", method: "GET", host: "dukaan.test", path: "/nope/12345",
			want: observed{"landing", "", "GET", 404}},
		{name: "no such store", method: "GET", host: "nobody.dukaan.test", path: "/",
			want: observed{"shop", "/", "GET", 404}},
		{name: "health probe on a shop host", method: "GET", host: "chai.dukaan.test", path: "/healthz",
			want: observed{app.KindOps, "/healthz", "GET", 200}},
		{name: "unknown host", method: "GET", host: "example.com", path: "/",
			want: observed{"unknown", "", "GET", 404}},
		{name: "landing", method: "GET", host: "dukaan.test", path: "/",
			want: observed{"landing", "/", "GET", 200}},
		{name: "console form", method: "GET", host: "admin.dukaan.test", path: "/login",
			want: observed{"admin", "/login", "GET", 200}},
		// Refused by the CSRF check before the console's router runs.
		{name: "console post without token", method: "POST", host: "admin.dukaan.test", path: "/login",
			form: url.Values{"email": {"a@b.c"}}, want: observed{"admin", "", "POST", 403}},
		{name: "odd method", method: "BREW", host: "chai.dukaan.test", path: "/",
			want: observed{"shop", "", "BREW", 405}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := m.do(t, tt.method, tt.host, tt.path, tt.form)
			got, _, _ := m.obs.take()
			if len(got) != 1 || got[0] != tt.want {
				t.Fatalf("observed %+v, want [%+v] (status %d)", got, tt.want, rec.Code)
			}
			if rec.Code != tt.want.status {
				t.Errorf("status %d, observed %d", rec.Code, tt.want.status)
			}
			if tt.wantBody != "" && !strings.Contains(rec.Body.String(), tt.wantBody) {
				t.Errorf("body %q, want %q", rec.Body.String(), tt.wantBody)
			}
		})
	}
}

// TestOrderMetrics sorts the refusals the real storage gives
// (refusalReason reads their reasons).
func TestOrderMetrics(t *testing.T) {
	m := newMetricsServer(t)
	v := storagetest.Vendor(t, m.db, "chai")
	inStock := storagetest.Product(t, m.db, v.ID, "Masala chai", 12000, 5)
	soldOut := storagetest.Product(t, m.db, v.ID, "Kulhad", 3000, 0)
	hidden := storagetest.Product(t, m.db, v.ID, "Samosa", 2000, 9)
	if _, err := m.db.SetAvailability(context.Background(), v.ID, hidden.ID, false); err != nil {
		t.Fatal(err)
	}
	order := func(qty map[int64]string, key string) url.Values {
		f := url.Values{"name": {"Asha Rao"}, "phone": {"9876543210"}, "address": {"12 MG Road, Bengaluru 560001"},
			"order_key": {key}, "from": {"/"}}
		for id, n := range qty {
			f.Set(fmt.Sprintf("qty_%d", id), n)
		}
		return f
	}
	tests := []struct {
		name        string
		form        url.Values
		origin      string
		wantStatus  int
		wantPlaced  int
		wantRefused string
	}{
		{"placed", order(map[int64]string{inStock.ID: "1"}, "key-one-0001"), "", http.StatusSeeOther, 1, ""},
		{"same key again", order(map[int64]string{inStock.ID: "1"}, "key-one-0001"), "", http.StatusSeeOther, 0, app.OrderRefusedDuplicate},
		{"sold out", order(map[int64]string{soldOut.ID: "1"}, "key-two-0002"), "", http.StatusUnprocessableEntity, 0, app.OrderRefusedSoldOut},
		{"more than the stock", order(map[int64]string{inStock.ID: "50"}, "key-three-03"), "", http.StatusUnprocessableEntity, 0, app.OrderRefusedSoldOut},
		{"hidden product", order(map[int64]string{hidden.ID: "1"}, "key-four-004"), "", http.StatusUnprocessableEntity, 0, app.OrderRefusedUnavailable},
		{"unknown product", order(map[int64]string{999999: "1"}, "key-five-005"), "", http.StatusUnprocessableEntity, 0, app.OrderRefusedUnavailable},
		{"bad phone", func() url.Values {
			f := order(map[int64]string{inStock.ID: "1"}, "key-six-0006")
			f.Set("phone", "123")
			return f
		}(), "", http.StatusUnprocessableEntity, 0, app.OrderRefusedInvalid},
		{"another site", order(map[int64]string{inStock.ID: "1"}, "key-seven-07"), "https://evil.example", http.StatusForbidden, 0, app.OrderRefusedForbidden},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest("POST", "http://chai.dukaan.test/order", strings.NewReader(tt.form.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			if tt.origin != "" {
				req.Header.Set("Origin", tt.origin)
			}
			rec := httptest.NewRecorder()
			m.srv.ServeHTTP(rec, req)
			if rec.Code != tt.wantStatus {
				t.Fatalf("status %d, want %d", rec.Code, tt.wantStatus)
			}
			_, placed, refused := m.obs.take()
			if placed != tt.wantPlaced {
				t.Errorf("placed %d, want %d", placed, tt.wantPlaced)
			}
			var want []string
			if tt.wantRefused != "" {
				want = []string{tt.wantRefused}
			}
			if fmt.Sprint(refused) != fmt.Sprint(want) {
				t.Errorf("refused %v, want %v", refused, want)
			}
		})
	}
}
