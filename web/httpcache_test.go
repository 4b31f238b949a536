package web

import (
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"dukaan/storage/storagetest"
)

func TestAcceptsGzip(t *testing.T) {
	tests := []struct {
		header string
		want   bool
	}{
		{"", false},
		{"gzip", true},
		{"GZip", true},
		{"gzip, deflate, br, zstd", true},
		{"br, zstd", false},
		{"identity", false},
		{"gzip;q=0", false},
		{"gzip; q=0.0, br", false},
		{"deflate, gzip;q=0.5", true},
		{"x-gzip", true},
		{"*", true},
		{"*;q=0", false},
	}
	for _, tt := range tests {
		if got := acceptsGzip([]string{tt.header}); got != tt.want {
			t.Errorf("acceptsGzip(%q) = %v, want %v", tt.header, got, tt.want)
		}
	}
	if acceptsGzip(nil) {
		t.Error("no Accept-Encoding accepts gzip")
	}
}

// TestShopPageEncodings: a shop page answers gzip (the bytes compressed at
// render) to a client that takes it and the identity body to one that does
// not, both with Vary: Accept-Encoding and each with its own ETag, and
// If-None-Match turns either into a 304.
func TestShopPageEncodings(t *testing.T) {
	m := newMetricsServer(t)
	v := storagetest.Vendor(t, m.db, "chai")
	storagetest.Product(t, m.db, v.ID, "Masala chai", 12000, 5)
	host := "chai.dukaan.test"
	get := func(method, ae, inm string) *httptest.ResponseRecorder {
		t.Helper()
		req := httptest.NewRequest(method, "http://"+host+"/", nil)
		if ae != "" {
			req.Header.Set("Accept-Encoding", ae)
		}
		if inm != "" {
			req.Header.Set("If-None-Match", inm)
		}
		rec := httptest.NewRecorder()
		m.srv.ServeHTTP(rec, req)
		return rec
	}
	for _, first := range []string{"gzip", ""} { // a miss, then hits, of each variant
		for i := 0; i < 2; i++ {
			gz := get(http.MethodGet, "gzip, deflate, br, zstd", "")
			id := get(http.MethodGet, first, "")
			if first == "gzip" {
				id = get(http.MethodGet, "", "")
			}
			for _, rec := range []*httptest.ResponseRecorder{gz, id} {
				if rec.Code != http.StatusOK || rec.Header().Get("Vary") != "Accept-Encoding" {
					t.Fatalf("status %d, Vary %q", rec.Code, rec.Header().Get("Vary"))
				}
			}
			if ce := gz.Header().Get("Content-Encoding"); ce != "gzip" {
				t.Fatalf("gzip client got Content-Encoding %q", ce)
			}
			if ce := id.Header().Get("Content-Encoding"); ce != "" {
				t.Fatalf("identity client got Content-Encoding %q", ce)
			}
			zr, err := gzip.NewReader(bytes.NewReader(gz.Body.Bytes()))
			if err != nil {
				t.Fatal(err)
			}
			plain, err := io.ReadAll(zr)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(plain, id.Body.Bytes()) || !strings.Contains(string(plain), "Masala chai") {
				t.Fatalf("gzip body does not decompress to the identity body (%d vs %d bytes)", len(plain), id.Body.Len())
			}
			if cl := gz.Header().Get("Content-Length"); cl != strconv.Itoa(gz.Body.Len()) {
				t.Errorf("gzip Content-Length %s for %d bytes", cl, gz.Body.Len())
			}
			if cl := id.Header().Get("Content-Length"); cl != strconv.Itoa(id.Body.Len()) {
				t.Errorf("identity Content-Length %s for %d bytes", cl, id.Body.Len())
			}
			gzTag, idTag := gz.Header().Get("ETag"), id.Header().Get("ETag")
			if gzTag != strings.TrimSuffix(idTag, `"`)+`-gz"` {
				t.Fatalf("ETags %s (gzip) and %s (identity): want the same tag with -gz", gzTag, idTag)
			}
			if rec := get(http.MethodGet, "gzip", gzTag); rec.Code != http.StatusNotModified || rec.Header().Get("ETag") != gzTag || rec.Body.Len() != 0 {
				t.Errorf("If-None-Match %s with gzip: %d, ETag %s", gzTag, rec.Code, rec.Header().Get("ETag"))
			}
			if rec := get(http.MethodGet, "", idTag); rec.Code != http.StatusNotModified || rec.Header().Get("Vary") != "Accept-Encoding" {
				t.Errorf("If-None-Match %s without gzip: %d", idTag, rec.Code)
			}
			// Another variant's tag is another representation.
			if rec := get(http.MethodGet, "gzip", idTag); rec.Code != http.StatusOK {
				t.Errorf("identity tag with gzip: %d, want 200", rec.Code)
			}
			head := get(http.MethodHead, "", "")
			if head.Body.Len() != 0 || head.Header().Get("Content-Length") != strconv.Itoa(id.Body.Len()) {
				t.Errorf("HEAD without gzip: %d bytes, Content-Length %s", head.Body.Len(), head.Header().Get("Content-Length"))
			}
		}
	}
}

// TestShopNotFoundCached: an out-of-range page number and a product that
// is not there answer 404 from the page cache after the first render,
// with no validator; to the edge it is still no-store, like every error.
func TestShopNotFoundCached(t *testing.T) {
	m := newMetricsServer(t)
	v := storagetest.Vendor(t, m.db, "chai")
	storagetest.Product(t, m.db, v.ID, "Masala chai", 12000, 5)
	hidden := storagetest.Product(t, m.db, v.ID, "Kashmiri kahwa", 25000, 5)
	if _, err := m.db.SetAvailability(context.Background(), v.ID, hidden.ID, false); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"/?page=9", "/p/" + itoa(hidden.ID)} {
		n := 0
		for range 2 {
			for _, ae := range []string{"gzip", ""} {
				req := httptest.NewRequest(http.MethodGet, "http://chai.dukaan.test"+path, nil)
				if ae != "" {
					req.Header.Set("Accept-Encoding", ae)
				}
				rec := httptest.NewRecorder()
				m.srv.ServeHTTP(rec, req)
				h := rec.Header()
				if rec.Code != http.StatusNotFound {
					t.Fatalf("%s: %d, want 404", path, rec.Code)
				}
				want := "HIT-LOCAL"
				if n == 0 {
					want = "MISS"
				}
				if got := h.Get("X-App-Cache"); got != want {
					t.Errorf("%s #%d: X-App-Cache %q, want %q", path, n+1, got, want)
				}
				n++
				if h.Get("ETag") != "" || h.Get("Vary") != "Accept-Encoding" || h.Get("Cache-Control") != "no-store" {
					t.Errorf("%s: ETag %q, Vary %q, Cache-Control %q", path, h.Get("ETag"), h.Get("Vary"), h.Get("Cache-Control"))
				}
				if (ae == "gzip") != (h.Get("Content-Encoding") == "gzip") {
					t.Errorf("%s with Accept-Encoding %q: Content-Encoding %q", path, ae, h.Get("Content-Encoding"))
				}
				if ae == "" && !strings.Contains(rec.Body.String(), "Not found") {
					t.Errorf("%s: body is not the 404 page", path)
				}
			}
		}
	}
}

// TestShopNotFoundNotKept: a page number far past the last and a product
// id the store does not have are 404s that are not cached, so requests
// cannot fill the cache or the store's tag.
func TestShopNotFoundNotKept(t *testing.T) {
	m := newMetricsServer(t)
	v := storagetest.Vendor(t, m.db, "chai")
	storagetest.Product(t, m.db, v.ID, "Masala chai", 12000, 5)
	for _, path := range []string{"/?page=12", "/p/999999"} {
		for range 2 {
			rec := m.do(t, http.MethodGet, "chai.dukaan.test", path, nil)
			if rec.Code != http.StatusNotFound || rec.Header().Get("X-App-Cache") != "" {
				t.Errorf("%s: %d, Cache-Control %q, X-App-Cache %q; want an uncached 404", path, rec.Code, rec.Header().Get("Cache-Control"), rec.Header().Get("X-App-Cache"))
			}
		}
	}
}
