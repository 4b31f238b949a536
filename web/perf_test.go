package web

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/klauspost/compress/gzip"

	"dukaan/app"
	"dukaan/storage"
	"dukaan/storage/pagecache"
	"dukaan/storage/storagetest"
	"dukaan/tenant"
)

// These benchmarks compare the shop's serving paths with a reference:
// go test -run=^$ -bench='LocalHit|BareHandler|ColdRender' ./web/

// chromeAcceptEncoding is what a current Chromium sends for a page.
const chromeAcceptEncoding = "gzip, deflate, br, zstd"

// benchShop is a server on dialect with stores shops of products products
// each (24 show on the front page), the page cache as cfg says.
func benchShop(tb testing.TB, dialect string, stores, products int, cfg pagecache.Config) (*Server, []string) {
	tb.Helper()
	db := storagetest.Open(tb, dialect, nil)
	srv := newTestServer(tb, db, cfg, nil)
	var hosts []string
	for s := 0; s < stores; s++ {
		slug := fmt.Sprintf("store-%05d", s+1)
		v := storagetest.Vendor(tb, db, slug)
		for i := 0; i < products; i++ {
			storagetest.Product(tb, db, v.ID, fmt.Sprintf("Toor Dal %d, 250 g", i+1), app.Paise(12000+100*i), int64(10+i))
		}
		hosts = append(hosts, slug+".dukaan.test")
	}
	return srv, hosts
}

// newTestServer is a server on db for the shop host dukaan.test, its page
// cache as cfg says; edit changes the server's Config before it starts.
func newTestServer(tb testing.TB, db *storage.DB, cfg pagecache.Config, edit func(*Config)) *Server {
	tb.Helper()
	res, err := tenant.NewResolver("dukaan.test", nil)
	if err != nil {
		tb.Fatal(err)
	}
	pages, err := pagecache.New(cfg)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { pages.Close() })
	c := Config{
		Resolver: res, Vendors: db, Products: db, Orders: db, Sessions: storage.NewSessionStore(db),
		Settings: db, Coupons: db, Categories: db,
		Secret: []byte("test-server-secret-0123456789abcdef"), Pages: pages,
		Logger: slog.New(slog.DiscardHandler),
	}
	if edit != nil {
		edit(&c)
	}
	srv, err := New(c)
	if err != nil {
		tb.Fatal(err)
	}
	return srv
}

// discardWriter is the cheapest http.ResponseWriter: what a handler costs
// without a network.
type discardWriter struct {
	h      http.Header
	status int
	n      int
}

func (w *discardWriter) Header() http.Header         { return w.h }
func (w *discardWriter) WriteHeader(code int)        { w.status = code }
func (w *discardWriter) Write(b []byte) (int, error) { w.n += len(b); return len(b), nil }

// warmResponse asks srv for host's front page once as a browser would and
// returns the answer, which the bare handler then replays.
func warmResponse(tb testing.TB, srv http.Handler, host string) *httptest.ResponseRecorder {
	tb.Helper()
	var rec *httptest.ResponseRecorder
	for i := 0; i < 2; i++ { // the second answer comes from the tier
		req := httptest.NewRequest(http.MethodGet, "http://"+host+"/", nil)
		req.Header.Set("Accept-Encoding", chromeAcceptEncoding)
		rec = httptest.NewRecorder()
		srv.ServeHTTP(rec, req)
	}
	if rec.Code != http.StatusOK || rec.Header().Get("X-App-Cache") != string(pagecache.HitLocal) {
		tb.Fatalf("warm-up answered %d, X-App-Cache %q", rec.Code, rec.Header().Get("X-App-Cache"))
	}
	return rec
}

// bareHandler writes exactly the headers and body of rec, as a handler
// with nothing to look up would.
func bareHandler(rec *httptest.ResponseRecorder) http.Handler {
	body := rec.Body.Bytes()
	hdr := rec.Header().Clone()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		for k, v := range hdr {
			h[k] = v
		}
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(body)
	})
}

func benchInProcess(b *testing.B, h http.Handler, host string) {
	req := httptest.NewRequest(http.MethodGet, "http://"+host+"/", nil)
	req.Header.Set("Accept-Encoding", chromeAcceptEncoding)
	w := &discardWriter{h: http.Header{}}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		clear(w.h)
		w.status, w.n = 0, 0
		h.ServeHTTP(w, req)
		if w.status != http.StatusOK || w.n == 0 {
			b.Fatalf("answered %d with %d bytes", w.status, w.n)
		}
	}
}

// benchLoopback serves h on a loopback listener and asks it from parallel
// keep-alive connections, as wrk does.
func benchLoopback(b *testing.B, h http.Handler, host string) {
	ts := httptest.NewServer(h)
	defer ts.Close()
	tr := &http.Transport{DisableCompression: true, MaxIdleConnsPerHost: 64}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr}
	var failed atomic.Int64
	b.ReportAllocs()
	b.SetParallelism(4)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			req, _ := http.NewRequest(http.MethodGet, ts.URL+"/", nil)
			req.Host = host
			req.Header.Set("Accept-Encoding", chromeAcceptEncoding)
			resp, err := client.Do(req)
			if err != nil {
				failed.Add(1)
				continue
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				failed.Add(1)
			}
		}
	})
	if n := failed.Load(); n > 0 {
		b.Fatalf("%d requests failed", n)
	}
}

// BenchmarkLocalHit is a local-tier hit through the whole web handler;
// BenchmarkBareHandler writes the same bytes and headers with nothing to
// look up. in-process measures the handler alone, loopback over HTTP.
func BenchmarkLocalHit(b *testing.B) {
	srv, hosts := benchShop(b, storage.DialectSQLite, 1, 50, pagecache.Config{})
	warmResponse(b, srv, hosts[0])
	b.Run("in-process", func(b *testing.B) { benchInProcess(b, srv, hosts[0]) })
	b.Run("loopback", func(b *testing.B) { benchLoopback(b, srv, hosts[0]) })
}

func BenchmarkBareHandler(b *testing.B) {
	srv, hosts := benchShop(b, storage.DialectSQLite, 1, 50, pagecache.Config{})
	h := bareHandler(warmResponse(b, srv, hosts[0]))
	b.Run("in-process", func(b *testing.B) { benchInProcess(b, h, hosts[0]) })
	b.Run("loopback", func(b *testing.B) { benchLoopback(b, h, hosts[0]) })
}

// BenchmarkColdRender renders a 24-product front page on every request
// (no tier at all), the front pages of 20 stores in turn.
func BenchmarkColdRender(b *testing.B) {
	for _, d := range storagetest.Dialects() {
		b.Run(d, func(b *testing.B) {
			srv, hosts := benchShop(b, d, 20, 30, pagecache.Config{LocalSize: -1})
			reqs := make([]*http.Request, len(hosts))
			for i, h := range hosts {
				reqs[i] = httptest.NewRequest(http.MethodGet, "http://"+h+"/", nil)
				reqs[i].Header.Set("Accept-Encoding", chromeAcceptEncoding)
			}
			w := &discardWriter{h: http.Header{}}
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				clear(w.h)
				w.status, w.n = 0, 0
				srv.ServeHTTP(w, reqs[i%len(reqs)].WithContext(context.Background()))
				if w.status != http.StatusOK || !strings.Contains(w.h.Get("X-App-Cache"), "MISS") {
					b.Fatalf("answered %d, X-App-Cache %q", w.status, w.h.Get("X-App-Cache"))
				}
			}
		})
	}
}

// BenchmarkGzipLevel compresses the real 24-product front page at each
// level: the time is paid once per render, the size on every hit.
func BenchmarkGzipLevel(b *testing.B) {
	srv, hosts := benchShop(b, storage.DialectSQLite, 1, 50, pagecache.Config{})
	rec := httptest.NewRecorder()
	srv.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "http://"+hosts[0]+"/", nil))
	body := rec.Body.Bytes()
	for _, level := range []int{1, 4, 5, 6, 7, 9} {
		b.Run(strconv.Itoa(level), func(b *testing.B) {
			var n int
			zw, _ := gzip.NewWriterLevel(io.Discard, level)
			for i := 0; i < b.N; i++ {
				var buf bytes.Buffer
				zw.Reset(&buf)
				_, _ = zw.Write(body)
				_ = zw.Close()
				n = buf.Len()
			}
			b.ReportMetric(float64(n), "bytes/page")
			b.ReportMetric(float64(len(body)), "identity-bytes")
		})
	}
}

// BenchmarkRenderShopTemplate is the template alone for the front page
// with every card already kept: what is left of html/template per render.
func BenchmarkRenderShopTemplate(b *testing.B) {
	r := newTestRenderer(b)
	p := goldenPages()["front"]
	if _, err := r.render("shop.html", p); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, err := r.render("shop.html", p); err != nil {
			b.Fatal(err)
		}
	}
}
