package monitoringtest

// A Prometheus of the test's own, and its HTTP query API.

import (
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/model"

	"dukaan/internal/proc"
	"dukaan/internal/testsvc"
)

// The scrape jobs of monitoring/prometheus.yml; the rules and dashboards
// select by them, so a test's Prometheus uses the same names.
const (
	JobApp       = "dukaan"            // app replicas
	JobEdgeLog   = "dukaan-edge-log"   // mtail on the edges' access logs
	JobEdgeNginx = "dukaan-edge-nginx" // prometheus-nginx-exporter
)

// Job is one scrape job: its name (the job label) and host:port targets.
type Job struct {
	Name    string
	Targets []string
}

// PrometheusOptions configure a Prometheus; zero values take the defaults.
type PrometheusOptions struct {
	Jobs []Job
	// RuleFiles default to the shipped ones (RuleFiles).
	RuleFiles []string
	// Interval is the scrape and evaluation interval (default 1 s).
	Interval time.Duration
}

// Prometheus is one running server.
type Prometheus struct {
	URL    string // http://127.0.0.1:port
	Config string // the generated prometheus.yml
	proc   *proc.Proc
	hc     *http.Client
}

// StartPrometheus writes a configuration with opts' jobs and rule files
// and runs Debian's prometheus on a free loopback port until tb ends.
func StartPrometheus(tb testing.TB, opts PrometheusOptions) *Prometheus {
	tb.Helper()
	bin := Require(tb, "prometheus")
	if opts.Interval == 0 {
		opts.Interval = time.Second
	}
	if opts.RuleFiles == nil {
		opts.RuleFiles = RuleFiles(tb)
	}
	dir := tb.TempDir()
	var b strings.Builder
	fmt.Fprintf(&b, "global:\n  scrape_interval: %s\n  scrape_timeout: %s\n  evaluation_interval: %s\n",
		model.Duration(opts.Interval), model.Duration(opts.Interval), model.Duration(opts.Interval))
	b.WriteString("rule_files:\n")
	for _, f := range opts.RuleFiles {
		fmt.Fprintf(&b, "  - %q\n", f)
	}
	b.WriteString("scrape_configs:\n")
	for _, j := range opts.Jobs {
		fmt.Fprintf(&b, "  - job_name: %q\n    static_configs:\n      - targets: [", j.Name)
		for i, t := range j.Targets {
			if i > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "%q", t)
		}
		b.WriteString("]\n")
	}
	conf := filepath.Join(dir, "prometheus.yml")
	if err := os.WriteFile(conf, []byte(b.String()), 0o644); err != nil {
		tb.Fatal(err)
	}
	addr := testsvc.FreeAddr(tb)
	p := &Prometheus{URL: "http://" + addr, Config: b.String(), hc: &http.Client{Timeout: 10 * time.Second}}
	p.proc = testsvc.Start(tb, proc.Spec{Name: "prometheus", Bin: bin, Args: []string{
		"--config.file=" + conf,
		"--storage.tsdb.path=" + filepath.Join(dir, "data"),
		"--web.listen-address=" + addr,
		"--log.level=warn",
	}})
	testsvc.WaitHTTP(tb, p.proc, p.URL+"/-/ready", 30*time.Second)
	return p
}

// Output is Prometheus's log so far.
func (p *Prometheus) Output() string { return output(p.proc) }

// Sample is one element of a query result.
type Sample struct {
	Metric map[string]string
	Value  float64
}

func (s Sample) String() string {
	return fmt.Sprintf("%v => %v", s.Metric, s.Value)
}

// Query evaluates expr at the current time through the HTTP API. A
// scalar result is one sample without labels.
func (p *Prometheus) Query(expr string) ([]Sample, error) {
	resp, err := p.hc.Get(p.URL + "/api/v1/query?" + url.Values{"query": {expr}}.Encode())
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var body struct {
		Status    string `json:"status"`
		ErrorType string `json:"errorType"`
		Error     string `json:"error"`
		Data      struct {
			ResultType string          `json:"resultType"`
			Result     json.RawMessage `json:"result"`
		} `json:"data"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		return nil, fmt.Errorf("query %q: %s: %w", expr, resp.Status, err)
	}
	if body.Status != "success" {
		return nil, fmt.Errorf("query %q: %s: %s", expr, body.ErrorType, body.Error)
	}
	switch body.Data.ResultType {
	case "vector":
		var v []struct {
			Metric map[string]string `json:"metric"`
			Value  [2]any            `json:"value"`
		}
		if err := json.Unmarshal(body.Data.Result, &v); err != nil {
			return nil, err
		}
		out := make([]Sample, len(v))
		for i, s := range v {
			out[i] = Sample{Metric: s.Metric, Value: parseValue(s.Value[1])}
		}
		return out, nil
	case "scalar":
		var v [2]any
		if err := json.Unmarshal(body.Data.Result, &v); err != nil {
			return nil, err
		}
		return []Sample{{Metric: map[string]string{}, Value: parseValue(v[1])}}, nil
	}
	return nil, fmt.Errorf("query %q: result type %q", expr, body.Data.ResultType)
}

func parseValue(v any) float64 {
	s, _ := v.(string)
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return math.NaN()
	}
	return f
}

// Value evaluates expr, which must give exactly one sample.
func (p *Prometheus) Value(expr string) (float64, error) {
	s, err := p.Query(expr)
	if err != nil {
		return 0, err
	}
	if len(s) != 1 {
		return 0, fmt.Errorf("query %q: %d samples, want 1: %v", expr, len(s), s)
	}
	return s[0].Value, nil
}

// WaitTargetsUp polls `up` until n targets report 1. The first scrape
// comes a few seconds after start.
func (p *Prometheus) WaitTargetsUp(tb testing.TB, n int, timeout time.Duration) {
	tb.Helper()
	deadline := time.Now().Add(timeout)
	var last []Sample
	for {
		if p.proc.Exited() {
			tb.Fatalf("monitoringtest: prometheus exited:\n%s", p.Output())
		}
		s, err := p.Query("up")
		if err == nil {
			last = s
			up := 0
			for _, x := range s {
				if x.Value == 1 {
					up++
				}
			}
			if up >= n {
				return
			}
		}
		if time.Now().After(deadline) {
			tb.Fatalf("monitoringtest: %d of %d targets up after %s: %v (err %v)\nconfig:\n%s\nlog:\n%s",
				countUp(last), n, timeout, last, err, p.Config, p.Output())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func countUp(s []Sample) int {
	n := 0
	for _, x := range s {
		if x.Value == 1 {
			n++
		}
	}
	return n
}
