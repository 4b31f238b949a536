package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestMedianScores(t *testing.T) {
	runs := []scores{
		{Performance: 91, Accessibility: 100, BestPractices: 96, SEO: 100},
		{Performance: 99, Accessibility: 98, BestPractices: 100, SEO: 100},
		{Performance: 95, Accessibility: 100, BestPractices: 100, SEO: 92},
	}
	want := scores{Performance: 95, Accessibility: 100, BestPractices: 100, SEO: 100}
	if got := medianScores(runs); got != want {
		t.Errorf("median of %v = %v, want %v", runs, got, want)
	}
	// An even count takes the lower middle one: the table never rounds up.
	if got := medianScores(runs[:2]).Performance; got != 91 {
		t.Errorf("median performance of two runs = %d, want the lower, 91", got)
	}
}

// TestReadLighthouse reads a report cut down to what the lab uses: the
// category scores rounded to 0–100, the audits below 1 (only those that
// are scored), the metrics and the HTTPS audits with their weights.
func TestReadLighthouse(t *testing.T) {
	const lhr = `{
  "lighthouseVersion": "12.8.2",
  "configSettings": {"formFactor": "mobile", "throttlingMethod": "simulate"},
  "categories": {
    "performance": {"score": 0.955, "auditRefs": [{"id": "largest-contentful-paint", "weight": 25}, {"id": "total-blocking-time", "weight": 30}]},
    "accessibility": {"score": 1, "auditRefs": [{"id": "color-contrast", "weight": 7}, {"id": "focus-traps", "weight": 0}]},
    "best-practices": {"score": 0.96, "auditRefs": [{"id": "is-on-https", "weight": 5}, {"id": "has-hsts", "weight": 0}]},
    "seo": {"score": 0.92, "auditRefs": [{"id": "document-title", "weight": 1}]}
  },
  "audits": {
    "largest-contentful-paint": {"title": "LCP", "score": 0.9, "scoreDisplayMode": "numeric", "numericValue": 2600},
    "total-blocking-time": {"title": "TBT", "score": 1, "scoreDisplayMode": "numeric", "numericValue": 40},
    "first-contentful-paint": {"numericValue": 800},
    "cumulative-layout-shift": {"numericValue": 0.01},
    "speed-index": {"numericValue": 900},
    "color-contrast": {"title": "Contrast", "score": 1, "scoreDisplayMode": "binary"},
    "focus-traps": {"title": "Focus traps", "score": null, "scoreDisplayMode": "manual"},
    "is-on-https": {"title": "HTTPS", "score": 0, "scoreDisplayMode": "binary"},
    "has-hsts": {"title": "HSTS", "score": 1, "scoreDisplayMode": "informative"},
    "document-title": {"title": "Title", "score": 0, "scoreDisplayMode": "binary"}
  }
}`
	path := filepath.Join(t.TempDir(), "r.json")
	if err := os.WriteFile(path, []byte(lhr), 0o644); err != nil {
		t.Fatal(err)
	}
	r, err := readLighthouse(path)
	if err != nil {
		t.Fatal(err)
	}
	if want := (scores{Performance: 96, Accessibility: 100, BestPractices: 96, SEO: 92}); r.Scores != want {
		t.Errorf("scores %v, want %v", r.Scores, want)
	}
	if r.Version != "12.8.2" || r.FormFactor != "mobile" || r.Throttling != "simulate" {
		t.Errorf("version %q, form factor %q, throttling %q", r.Version, r.FormFactor, r.Throttling)
	}
	if r.Metrics.LCP != 2600 || r.Metrics.TBT != 40 || r.Metrics.CLS != 0.01 {
		t.Errorf("metrics %+v", r.Metrics)
	}
	var below []string
	for id := range r.Below {
		below = append(below, id)
	}
	if len(below) != 3 || r.Below["is-on-https"].Score != 0 || r.Below["largest-contentful-paint"].Score != 0.9 || r.Below["document-title"].Title != "Title" {
		t.Errorf("below 1: %v, want is-on-https, largest-contentful-paint and document-title", r.Below)
	}
	if len(r.HTTPS) != 2 || r.HTTPS[0].ID != "is-on-https" || r.HTTPS[0].Weight != 5 || r.HTTPS[1].Mode != "informative" {
		t.Errorf("HTTPS audits %+v", r.HTTPS)
	}

	// A run Lighthouse could not finish is an error, not a zero score.
	broken := strings.Replace(lhr, `"lighthouseVersion"`, `"runtimeError": {"code": "NO_FCP", "message": "The page did not paint"}, "lighthouseVersion"`, 1)
	if err := os.WriteFile(path, []byte(broken), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := readLighthouse(path); err == nil || !strings.Contains(err.Error(), "NO_FCP") {
		t.Errorf("a report with a runtime error: %v, want NO_FCP", err)
	}
}

func TestPath(t *testing.T) {
	for in, want := range map[string]string{
		"http://demo.localhost:8000/":          "/",
		"http://demo.localhost:8000/c/sweets":  "/c/sweets",
		"http://demo.localhost:8000":           "/",
		"http://demo.localhost:8000/p/12?x=//": "/p/12?x=//",
	} {
		if got := path(in); got != want {
			t.Errorf("path(%q) = %q, want %q", in, got, want)
		}
	}
}
