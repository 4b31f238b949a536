package web

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"dukaan/app"
	"dukaan/storage"
	"dukaan/storage/pagecache"
	"dukaan/storage/storagetest"
	"dukaan/tenant"
)

// failingExport is the real database, except that EachOrder hands out
// `before` made-up orders and then fails with err.
type failingExport struct {
	*storage.DB
	before int
	err    error
}

func (f *failingExport) EachOrder(ctx context.Context, _ app.OrderFilter, fn func(*app.Order) error) error {
	for i := range f.before {
		o := &app.Order{ID: int64(10000 - i), Status: app.StatusPending, Total: 12345, CreatedAt: time.Now(),
			Customer: app.Customer{Name: "Customer with a fairly long name", Phone: "+919876543210", Address: strings.Repeat("Long address line, ", 5)}}
		if err := fn(o); err != nil {
			return err
		}
	}
	return f.err
}

// consoleClient starts the web layer over a SQLite database with orders
// served by orders, signs a new vendor in and returns a client for the
// console and its base URL.
func consoleClient(t *testing.T, orders func(db *storage.DB) app.OrderService) (*http.Client, string) {
	t.Helper()
	db := storagetest.Open(t, storage.DialectSQLite, nil)
	storagetest.Vendor(t, db, "chai")
	res, err := tenant.NewResolver("dukaan.test", nil)
	if err != nil {
		t.Fatal(err)
	}
	pages, err := pagecache.New(pagecache.Config{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pages.Close() })
	srv, err := New(Config{
		Resolver: res, Vendors: db, Products: db, Orders: orders(db), Sessions: storage.NewSessionStore(db),
		Settings: db, Coupons: db,
		Secret: []byte("export-test-secret-0123456789abcdef"), Pages: pages, Logger: slog.New(slog.DiscardHandler),
	})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Host = "admin.dukaan.test"
		srv.ServeHTTP(w, r)
	}))
	t.Cleanup(ts.Close)
	jar, _ := cookiejar.New(nil)
	hc := &http.Client{Jar: jar, Timeout: 10 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res1, err := hc.Get(ts.URL + "/login")
	if err != nil {
		t.Fatal(err)
	}
	doc, err := goquery.NewDocumentFromReader(res1.Body)
	res1.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	tok, _ := doc.Find(`input[name="csrf_token"]`).Attr("value")
	res2, err := hc.PostForm(ts.URL+"/login", url.Values{"csrf_token": {tok}, "email": {"chai@example.com"}, "password": {"password123"}})
	if err != nil {
		t.Fatal(err)
	}
	res2.Body.Close()
	if res2.StatusCode != http.StatusSeeOther {
		t.Fatalf("login: %d", res2.StatusCode)
	}
	return hc, ts.URL
}

func TestExportOrdersFailure(t *testing.T) {
	t.Run("before the first byte: an error page", func(t *testing.T) {
		hc, base := consoleClient(t, func(db *storage.DB) app.OrderService {
			return &failingExport{DB: db, err: app.Errorf(app.EUNAVAILABLE, "The shop is busy.")}
		})
		res, err := hc.Get(base + "/orders.csv")
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		if res.StatusCode != http.StatusServiceUnavailable || res.Header.Get("Retry-After") == "" {
			t.Errorf("status %d, Retry-After %q; want 503 with Retry-After", res.StatusCode, res.Header.Get("Retry-After"))
		}
		if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
			t.Errorf("Content-Type %q, want an HTML error page", ct)
		}
		if cd := res.Header.Get("Content-Disposition"); cd != "" {
			t.Errorf("an error page is offered as a download: %q", cd)
		}
	})

	t.Run("after rows went out: the download breaks", func(t *testing.T) {
		hc, base := consoleClient(t, func(db *storage.DB) app.OrderService {
			return &failingExport{DB: db, before: 3 * exportFlushEvery, err: errors.New("connection lost")}
		})
		res, err := hc.Get(base + "/orders.csv")
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		if res.StatusCode != http.StatusOK || res.Header.Get("Content-Type") != "text/csv; charset=utf-8" {
			t.Fatalf("status %d, Content-Type %q", res.StatusCode, res.Header.Get("Content-Type"))
		}
		b, err := io.ReadAll(res.Body)
		if err == nil {
			t.Fatalf("read %d bytes and a clean end: a truncated export looks complete", len(b))
		}
		if len(b) == 0 {
			t.Errorf("no rows arrived before the failure (streaming expected)")
		}
	})

	t.Run("works", func(t *testing.T) {
		hc, base := consoleClient(t, func(db *storage.DB) app.OrderService {
			return &failingExport{DB: db, before: 250}
		})
		res, err := hc.Get(base + "/orders.csv")
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, err := io.ReadAll(res.Body)
		if err != nil || res.StatusCode != http.StatusOK {
			t.Fatalf("status %d, read error %v", res.StatusCode, err)
		}
		if got := strings.Count(string(b), "\n"); got != 251 {
			t.Errorf("%d lines, want 251", got)
		}
	})
}
