package monitoringtest

// The exporters of an edge (mtail on its access log,
// prometheus-nginx-exporter on its stub_status), and reading any exporter
// directly.

import (
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"dukaan/internal/proc"
	"dukaan/internal/testsvc"
)

// Mtail is one running mtail.
type Mtail struct {
	Addr string // host:port of its HTTP server (/metrics)
	proc *proc.Proc
}

// StartMtail runs mtail with the programs in progs (default: the shipped
// monitoring/mtail) on logs, on a free loopback port. mtail reads a log
// from its end, like tail -f: start it before the traffic to count. It
// answers HTTP only once its tailer runs.
func StartMtail(tb testing.TB, progs string, logs ...string) *Mtail {
	tb.Helper()
	bin := Require(tb, "mtail")
	if progs == "" {
		progs = filepath.Join(Dir(tb), "mtail")
	}
	addr := testsvc.FreeAddr(tb)
	host, port, _ := net.SplitHostPort(addr)
	m := &Mtail{Addr: addr}
	m.proc = testsvc.Start(tb, proc.Spec{Name: "mtail", Bin: bin, Args: []string{
		"-progs", progs, "-logs", strings.Join(logs, ","),
		"-address", host, "-port", port,
		"-logtostderr", "-poll_interval", "50ms", "-poll_log_interval", "50ms",
	}})
	testsvc.WaitHTTP(tb, m.proc, "http://"+addr+"/metrics", 10*time.Second)
	return m
}

// Output is mtail's log so far.
func (m *Mtail) Output() string { return output(m.proc) }

// ---------------------------------------------------------------------------
// prometheus-nginx-exporter.

// NginxExporter is one running prometheus-nginx-exporter.
type NginxExporter struct {
	Addr string
	proc *proc.Proc
}

// StartNginxExporter runs Debian's prometheus-nginx-exporter reading the
// stub_status page at scrapeURI, on a free loopback port, and waits until
// it reports nginx_up 1.
func StartNginxExporter(tb testing.TB, scrapeURI string) *NginxExporter {
	tb.Helper()
	bin := Require(tb, "prometheus-nginx-exporter")
	addr := testsvc.FreeAddr(tb)
	e := &NginxExporter{Addr: addr}
	e.proc = testsvc.Start(tb, proc.Spec{Name: "prometheus-nginx-exporter", Bin: bin, Args: []string{
		"-nginx.scrape-uri", scrapeURI,
		"-web.listen-address", addr,
		"-nginx.retries", "10", "-nginx.retry-interval", "100ms",
	}})
	url := "http://" + addr + "/metrics"
	testsvc.WaitHTTP(tb, e.proc, url, 10*time.Second)
	if v := ScrapeSum(tb, url, "nginx_up", nil); v != 1 {
		tb.Fatalf("monitoringtest: exporter reports nginx_up %v for %s:\n%s", v, scrapeURI, output(e.proc))
	}
	return e
}

// Output is the exporter's log so far.
func (e *NginxExporter) Output() string { return output(e.proc) }

// Scrape reads url in the Prometheus text format.
func Scrape(tb testing.TB, url string) map[string]*dto.MetricFamily {
	tb.Helper()
	resp, err := http.Get(url)
	if err != nil {
		tb.Fatalf("monitoringtest: scrape %s: %v", url, err)
	}
	defer resp.Body.Close()
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		tb.Fatalf("monitoringtest: scrape %s: %v", url, err)
	}
	return fams
}

// ScrapeSum is the sum of the counter, gauge or untyped samples of name
// at url whose labels include match.
func ScrapeSum(tb testing.TB, url, name string, match map[string]string) float64 {
	tb.Helper()
	f := Scrape(tb, url)[name]
	if f == nil {
		return 0
	}
	sum := 0.0
metrics:
	for _, m := range f.GetMetric() {
		labels := map[string]string{}
		for _, l := range m.GetLabel() {
			labels[l.GetName()] = l.GetValue()
		}
		for k, v := range match {
			if labels[k] != v {
				continue metrics
			}
		}
		switch {
		case m.Counter != nil:
			sum += m.GetCounter().GetValue()
		case m.Gauge != nil:
			sum += m.GetGauge().GetValue()
		case m.Untyped != nil:
			sum += m.GetUntyped().GetValue()
		}
	}
	return sum
}
