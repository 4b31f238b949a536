package main

// A measurement, not a test: how close an edge HIT comes to nginx serving
// the same bytes as a static file. Skipped unless DUKAAN_MEASURE=1:
//
//	DUKAAN_MEASURE=1 go test -run TestCacheMeasureEdge -v ./cmd/dukaan
//
// Run it without -race; wrk must be installed. Loopback only.

import (
	"bytes"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"dukaan/app"
	"dukaan/nginx/nginxtest"
)

func TestCacheMeasureEdge(t *testing.T) {
	if os.Getenv("DUKAAN_MEASURE") != "1" {
		t.Skip("a measurement: set DUKAAN_MEASURE=1 to run it")
	}
	wrk, err := exec.LookPath("wrk")
	if err != nil {
		t.Skipf("wrk is not installed: %v", err)
	}
	nginxtest.Require(t)
	a := startApp(t, "sqlite", nil)
	v := cacheVendor(t, a, "measure-shop")
	for i := range 12 {
		cacheProduct(t, a, v.ID, fmt.Sprintf("Product %02d", i+1), app.Paise(9900+100*i), 100)
	}
	// Production's worker count ("auto"); the access log is written per
	// line in both runs (nginxtest leaves LogBuffer empty).
	e := nginxtest.StartWith(t, nginxtest.Options{Upstreams: []string{a.addr}, Workers: "auto"})
	host := shopHost(v.Slug)
	c := cacheVia(t, a, e).newClient()
	c.get(t, host, "/")
	page := c.get(t, host, "/")
	wantTiers(t, page, http.StatusOK, "HIT", "")

	if err := os.WriteFile(filepath.Join(e.Dir(), "static", "page.html"), page.body, 0o644); err != nil {
		t.Fatal(err)
	}
	static := c.get(t, host, "/static/page.html")
	wantTiers(t, static, http.StatusOK, "STATIC", "")
	if !bytes.Equal(static.body, page.body) {
		t.Fatal("the static file is not the cached page")
	}

	run := func(path string) float64 {
		t.Helper()
		out, err := exec.Command(wrk, "-t2", "-c32", "-d5s", "-H", "Host: "+host, e.URL()+path).CombinedOutput()
		if err != nil {
			t.Fatalf("wrk: %v\n%s", err, out)
		}
		t.Logf("wrk %s:\n%s", path, out)
		m := regexp.MustCompile(`Requests/sec:\s+([0-9.]+)`).FindSubmatch(out)
		if m == nil || strings.Contains(string(out), "Non-2xx") {
			t.Fatalf("wrk output without Requests/sec or with errors:\n%s", out)
		}
		rps, _ := strconv.ParseFloat(string(m[1]), 64)
		return rps
	}
	before := strings.Count(e.AccessLog(t), "cache=HIT")
	hit := run("/")
	hits := strings.Count(e.AccessLog(t), "cache=HIT") - before
	file := run("/static/page.html")
	t.Logf("page of %d bytes: edge HIT %.0f req/s (%d HITs logged), static file %.0f req/s, ratio HIT/static %.2f",
		len(page.body), hit, hits, file, hit/file)
}
