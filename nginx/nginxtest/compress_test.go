package nginxtest_test

// What the edge stores and sends for compressed pages, how it revalidates
// an expired page, and shop 404s: on a real nginx in front of a stub that
// answers like the app (one gzip render per page, 304 on a matching
// If-None-Match) and counts its renders.

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"dukaan/nginx/nginxtest"
)

// chromeAE is what Chromium 156 sends for a page navigation.
const chromeAE = "gzip, deflate, br, zstd"

type origin struct {
	srv         *httptest.Server
	renders     atomic.Int64 // 200s: each is a render
	notModified atomic.Int64 // 304s
	mu          sync.Mutex
	encodings   []string // Accept-Encoding of each request
	conditional []string // If-None-Match of each request
}

// page is the identity body of path: larger than gzip_min_length, so the
// edge's gzip filter would compress it if it were allowed to.
func page(path string) []byte {
	return []byte(strings.Repeat("<p>"+path+" product card</p>\n", 200))
}

func gz(t testing.TB, b []byte) []byte {
	var buf bytes.Buffer
	w := gzip.NewWriter(&buf)
	w.Write(b)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func newOrigin(t *testing.T) *origin {
	t.Helper()
	o := &origin{}
	o.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		o.mu.Lock()
		o.encodings = append(o.encodings, r.Header.Get("Accept-Encoding"))
		o.conditional = append(o.conditional, r.Header.Get("If-None-Match"))
		o.mu.Unlock()
		h := w.Header()
		h.Set("Content-Type", "text/html; charset=utf-8")
		switch {
		case r.URL.Path == "/missing":
			// A 404 with no caching header of its own.
			w.WriteHeader(http.StatusNotFound)
			io.WriteString(w, "no such page")
			return
		case r.URL.Path == "/missing-nostore":
			h.Set("Cache-Control", "no-store")
			w.WriteHeader(http.StatusNotFound)
			io.WriteString(w, "no such page")
			return
		case r.URL.Path == "/plain" || r.Host == "admin.dukaan.test":
			// Left uncompressed by the app, as before the app gzips.
			h.Set("Cache-Control", "public, max-age=0, must-revalidate, s-maxage=60")
			o.renders.Add(1)
			w.Write(page(r.URL.Path))
			return
		}
		ttl := "60"
		if r.URL.Path == "/short" {
			ttl = "1"
		}
		h.Set("Cache-Control", "public, max-age=0, must-revalidate, s-maxage="+ttl)
		h.Set("Vary", "Accept-Encoding")
		body, etag := page(r.URL.Path), `"id-`+r.URL.Path+`"`
		if strings.Contains(r.Header.Get("Accept-Encoding"), "gzip") {
			body, etag = gz(t, body), `"gz-`+r.URL.Path+`"`
			h.Set("Content-Encoding", "gzip")
		}
		h.Set("ETag", etag)
		if r.Header.Get("If-None-Match") == etag {
			o.notModified.Add(1)
			w.WriteHeader(http.StatusNotModified)
			return
		}
		o.renders.Add(1)
		w.Write(body)
	}))
	t.Cleanup(o.srv.Close)
	return o
}

func get(t *testing.T, e *nginxtest.Edge, host, path, acceptEncoding string) result {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, e.URL()+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Host = host
	if acceptEncoding != "" {
		req.Header.Set("Accept-Encoding", acceptEncoding)
	}
	return do(t, e.Client(), req)
}

func TestCompressedPages(t *testing.T) {
	t.Parallel()
	o := newOrigin(t)
	e := nginxtest.Start(t, strings.TrimPrefix(o.srv.URL, "http://"))
	const host = "gz.dukaan.test"
	identity, compressed := page("/"), gz(t, page("/"))

	first := get(t, e, host, "/", chromeAE)
	if first.status != 200 || first.cache != "MISS" || first.header.Get("Content-Encoding") != "gzip" || first.body != string(compressed) {
		t.Fatalf("first GET (gzip client): %d %s, Content-Encoding %q, %d bytes; want 200 MISS, the app's gzip bytes (%d)",
			first.status, first.cache, first.header.Get("Content-Encoding"), len(first.body), len(compressed))
	}
	// Every spelling of Accept-Encoding is served from the one stored copy.
	for _, ae := range []string{chromeAE, "gzip", "gzip, deflate, br"} {
		r := get(t, e, host, "/", ae)
		if r.cache != "HIT" || r.header.Get("Content-Encoding") != "gzip" || r.body != string(compressed) {
			t.Errorf("Accept-Encoding %q: %s, Content-Encoding %q, %d bytes; want HIT with the stored gzip bytes", ae, r.cache, r.header.Get("Content-Encoding"), len(r.body))
		}
	}
	for _, ae := range []string{"", "identity", "br"} {
		r := get(t, e, host, "/", ae)
		if r.cache != "HIT" || r.header.Get("Content-Encoding") != "" || r.body != string(identity) {
			t.Errorf("Accept-Encoding %q (no gzip): %s, Content-Encoding %q, %d bytes; want HIT, the identity body (%d bytes)", ae, r.cache, r.header.Get("Content-Encoding"), len(r.body), len(identity))
		}
		if got := r.header.Get("ETag"); got != `W/"gz-/"` {
			t.Errorf("Accept-Encoding %q: ETag %q, want the stored one made weak (the body was decompressed)", ae, got)
		}
		if !strings.Contains(r.header.Get("Vary"), "Accept-Encoding") {
			t.Errorf("Accept-Encoding %q: Vary %q, want Accept-Encoding", ae, r.header.Values("Vary"))
		}
	}
	if n := o.renders.Load(); n != 1 {
		t.Errorf("the origin rendered %d times, want 1 (one stored variant for every client)", n)
	}
	if n := e.CacheFiles(t); n != 1 {
		t.Errorf("CacheFiles = %d, want 1", n)
	}
	o.mu.Lock()
	for _, ae := range o.encodings {
		if ae != "gzip" {
			t.Errorf("the edge asked the origin with Accept-Encoding %q, want gzip", ae)
		}
	}
	o.mu.Unlock()
	// The one copy is what PURGE removes.
	if r := send(t, e.Client(), "PURGE", e.URL()+"/", host); r.status != 200 {
		t.Errorf("PURGE = %d, want 200", r.status)
	}
	if r := get(t, e, host, "/", ""); r.cache != "MISS" || r.body != string(identity) {
		t.Errorf("after PURGE, identity client: %s, %d bytes; want MISS with the identity body", r.cache, len(r.body))
	}
	if n := e.CacheFiles(t); n != 1 {
		t.Errorf("CacheFiles after PURGE and GET = %d, want 1", n)
	}

	// A shop page the app left uncompressed is not gzipped on each hit.
	get(t, e, host, "/plain", chromeAE)
	if r := get(t, e, host, "/plain", chromeAE); r.cache != "HIT" || r.header.Get("Content-Encoding") != "" || r.body != string(page("/plain")) {
		t.Errorf("uncompressed shop page, gzip client: %s, Content-Encoding %q; want HIT, sent as stored", r.cache, r.header.Get("Content-Encoding"))
	}
	// The console, never cached, is compressed once per response.
	if r := get(t, e, "admin.dukaan.test", "/products", chromeAE); r.cache != "BYPASS" || r.header.Get("Content-Encoding") != "gzip" {
		t.Errorf("console page, gzip client: %s, Content-Encoding %q; want BYPASS, gzip", r.cache, r.header.Get("Content-Encoding"))
	}
}

// TestRevalidate: an expired page is revalidated with If-None-Match; the
// origin's 304 costs no render and the edge keeps its copy.
func TestRevalidate(t *testing.T) {
	t.Parallel()
	o := newOrigin(t)
	e := nginxtest.Start(t, strings.TrimPrefix(o.srv.URL, "http://"))
	const host = "rv.dukaan.test"
	get(t, e, host, "/short", chromeAE)
	stored := time.Now()
	// s-maxage=1 lasts until the end of the second after the one it was
	// stored in (nginx counts whole seconds).
	time.Sleep(time.Until(stored.Truncate(time.Second).Add(2100 * time.Millisecond)))
	r := get(t, e, host, "/short", chromeAE)
	if r.status != 200 || (r.cache != "STALE" && r.cache != "REVALIDATED") || r.body != string(gz(t, page("/short"))) {
		t.Fatalf("expired page: %d %s, %d bytes; want 200 STALE (revalidating in the background) or REVALIDATED, the stored bytes", r.status, r.cache, len(r.body))
	}
	deadline := time.Now().Add(5 * time.Second)
	for o.notModified.Load() == 0 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if n := o.notModified.Load(); n != 1 {
		t.Fatalf("the origin answered %d 304s, want 1 (the edge revalidates)", n)
	}
	o.mu.Lock()
	last := o.conditional[len(o.conditional)-1]
	o.mu.Unlock()
	if last != `"gz-/short"` {
		t.Errorf("the revalidation sent If-None-Match %q, want the stored ETag", last)
	}
	// The background update may still be writing the refreshed header.
	var after result
	for range 50 {
		if after = get(t, e, host, "/short", ""); after.cache == "HIT" {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if after.cache != "HIT" || after.body != string(page("/short")) {
		t.Errorf("after the 304: %s, %d bytes; want HIT with the page", after.cache, len(after.body))
	}
	if n := o.renders.Load(); n != 1 {
		t.Errorf("the origin rendered %d times, want 1: a revalidated page costs no render", n)
	}
}

// TestNotFoundCached: a shop 404 without caching headers is kept briefly
// and PURGE removes it; one with no-store is never kept.
func TestNotFoundCached(t *testing.T) {
	t.Parallel()
	o := newOrigin(t)
	e := nginxtest.Start(t, strings.TrimPrefix(o.srv.URL, "http://"))
	const host = "nf.dukaan.test"
	for i, want := range []string{"MISS", "HIT", "HIT"} {
		if r := get(t, e, host, "/missing", ""); r.status != 404 || r.cache != want {
			t.Errorf("GET /missing #%d: %d %s, want 404 %s", i+1, r.status, r.cache, want)
		}
	}
	if r := send(t, e.Client(), "PURGE", e.URL()+"/missing", host); r.status != 200 {
		t.Errorf("PURGE of a cached 404 = %d, want 200", r.status)
	}
	if r := get(t, e, host, "/missing", ""); r.cache != "MISS" {
		t.Errorf("after PURGE: %s, want MISS", r.cache)
	}
	for i := range 2 {
		if r := get(t, e, host, "/missing-nostore", ""); r.status != 404 || r.cache != "MISS" {
			t.Errorf("GET /missing-nostore #%d: %d %s, want 404 MISS (no-store is never kept)", i+1, r.status, r.cache)
		}
	}
	// Kept 5 s (the default), whole seconds as nginx counts them: the
	// staleness of a 404 no purge names is bounded by that.
	stored := time.Now()
	time.Sleep(time.Until(stored.Truncate(time.Second).Add(6100 * time.Millisecond)))
	if r := get(t, e, host, "/missing", ""); r.cache == "HIT" {
		t.Errorf("a 404 stored over 6 s ago: %s, want it expired", r.cache)
	}
}
