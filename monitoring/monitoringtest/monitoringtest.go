// Package monitoringtest runs the observability stack of monitoring/ for
// the length of one test: a real Prometheus (Debian's prometheus) with the
// shipped rule files, mtail with the shipped edge program tailing an
// access log, and prometheus-nginx-exporter reading an edge's stub_status.
// It also finds every PromQL expression the dashboards and rule files
// hold, so a test can evaluate each one.
//
//	p := monitoringtest.StartPrometheus(t, monitoringtest.PrometheusOptions{
//		Jobs: []monitoringtest.Job{{Name: "dukaan", Targets: []string{app.Addr()}}},
//	})
//	p.WaitTargetsUp(t, 1, 30*time.Second)
//	res, err := p.Query("dukaan:edge_hit_ratio:rate5m")
//
// Every process (internal/testsvc.Start) listens on its own loopback port
// and keeps its files in t.TempDir(). The package is split by job:
// prometheus.go (the server and its query API), exporters.go (mtail,
// prometheus-nginx-exporter, reading an exporter) and queries.go (the
// PromQL of the dashboards and rule files). A missing binary skips the test, or fails it when CI=true.
package monitoringtest

import (
	"path/filepath"
	"runtime"
	"testing"

	"dukaan/internal/proc"
	"dukaan/internal/testsvc"
)

// Dir is the monitoring/ directory of this module.
func Dir(tb testing.TB) string {
	tb.Helper()
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		tb.Fatal("monitoringtest: cannot locate the monitoring directory")
	}
	return filepath.Dir(filepath.Dir(file))
}

// RuleFiles are the shipped rule files, absolute.
func RuleFiles(tb testing.TB) []string {
	tb.Helper()
	files, err := filepath.Glob(filepath.Join(Dir(tb), "rules", "*.yml"))
	if err != nil || len(files) == 0 {
		tb.Fatalf("monitoringtest: no rule files in %s/rules (%v)", Dir(tb), err)
	}
	return files
}

// Require returns the path of the named program (testsvc.Require).
// Without it the test is skipped, or fails when CI=true: CI installs it
// (.ci/run) and must not pass by skipping.
func Require(tb testing.TB, name string) string {
	tb.Helper()
	return testsvc.Require(tb, name, "apt-get install prometheus prometheus-nginx-exporter mtail")
}

// output is everything a child logged, for failure messages.
func output(p *proc.Proc) string { return p.Tail(1 << 20) }
