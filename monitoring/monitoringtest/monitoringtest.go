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
// Every process listens on its own loopback port and keeps its files in
// t.TempDir(). A missing binary skips the test, or fails it when CI=true.
package monitoringtest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/goccy/go-yaml"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"dukaan/internal/testsvc"
	"dukaan/nginx/nginxtest"
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

// Require returns the path of the named program, looking in PATH and in
// /usr/sbin and /usr/bin. Without it the test is skipped, or fails when
// CI=true: CI installs it (.ci/run) and must not pass by skipping.
func Require(tb testing.TB, name string) string {
	tb.Helper()
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	for _, d := range []string{"/usr/sbin", "/usr/bin"} {
		if p := filepath.Join(d, name); isExecutable(p) {
			return p
		}
	}
	msg := fmt.Sprintf("monitoringtest: %s is not installed (apt-get install prometheus prometheus-nginx-exporter mtail)", name)
	testsvc.Unavailable(tb, "%s", msg)
	return ""
}

func isExecutable(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && !fi.IsDir() && fi.Mode()&0o111 != 0
}

// FreeAddr is a loopback address whose port was free a moment ago.
func FreeAddr(tb testing.TB) string {
	tb.Helper()
	return nginxtest.FreeAddr(tb)
}

// ---------------------------------------------------------------------------
// Processes.

// process is one child program, stopped when the test ends.
type process struct {
	name string
	cmd  *exec.Cmd
	done chan struct{}
	out  testsvc.LockedBuffer
}

func start(tb testing.TB, name, bin string, args ...string) *process {
	tb.Helper()
	p := &process{name: name, done: make(chan struct{})}
	p.cmd = exec.Command(bin, args...)
	p.cmd.Stdout, p.cmd.Stderr = &p.out, &p.out
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := p.cmd.Start(); err != nil {
		tb.Fatalf("monitoringtest: starting %s: %v", name, err)
	}
	go func() { _ = p.cmd.Wait(); close(p.done) }()
	tb.Cleanup(func() { p.stop() })
	return p
}

// stop asks the program to quit and kills its process group after 10 s.
func (p *process) stop() {
	select {
	case <-p.done:
		return
	default:
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(10 * time.Second):
		_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
		<-p.done
	}
}

func (p *process) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// waitHTTP polls url until it answers 200, the process exits, or timeout.
func (p *process) waitHTTP(tb testing.TB, url string, timeout time.Duration) {
	tb.Helper()
	deadline := time.Now().Add(timeout)
	c := &http.Client{Timeout: time.Second}
	for {
		if p.exited() {
			tb.Fatalf("monitoringtest: %s exited at start:\n%s", p.name, p.out.String())
		}
		if resp, err := c.Get(url); err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		if time.Now().After(deadline) {
			tb.Fatalf("monitoringtest: %s did not answer %s within %s:\n%s", p.name, url, timeout, p.out.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Output is what the program printed so far, for failure messages.
func (p *process) Output() string { return p.out.String() }

// ---------------------------------------------------------------------------
// Prometheus.

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
	proc   *process
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
	addr := FreeAddr(tb)
	p := &Prometheus{URL: "http://" + addr, Config: b.String(), hc: &http.Client{Timeout: 10 * time.Second}}
	p.proc = start(tb, "prometheus", bin,
		"--config.file="+conf,
		"--storage.tsdb.path="+filepath.Join(dir, "data"),
		"--web.listen-address="+addr,
		"--log.level=warn",
	)
	p.proc.waitHTTP(tb, p.URL+"/-/ready", 30*time.Second)
	return p
}

// Output is Prometheus's log so far.
func (p *Prometheus) Output() string { return p.proc.Output() }

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
		if p.proc.exited() {
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

// ---------------------------------------------------------------------------
// mtail.

// Mtail is one running mtail.
type Mtail struct {
	Addr string // host:port of its HTTP server (/metrics)
	proc *process
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
	addr := FreeAddr(tb)
	host, port, _ := net.SplitHostPort(addr)
	m := &Mtail{Addr: addr}
	m.proc = start(tb, "mtail", bin,
		"-progs", progs, "-logs", strings.Join(logs, ","),
		"-address", host, "-port", port,
		"-logtostderr", "-poll_interval", "50ms", "-poll_log_interval", "50ms",
	)
	m.proc.waitHTTP(tb, "http://"+addr+"/metrics", 10*time.Second)
	return m
}

// Output is mtail's log so far.
func (m *Mtail) Output() string { return m.proc.Output() }

// ---------------------------------------------------------------------------
// prometheus-nginx-exporter.

// NginxExporter is one running prometheus-nginx-exporter.
type NginxExporter struct {
	Addr string
	proc *process
}

// StartNginxExporter runs Debian's prometheus-nginx-exporter reading the
// stub_status page at scrapeURI, on a free loopback port, and waits until
// it reports nginx_up 1.
func StartNginxExporter(tb testing.TB, scrapeURI string) *NginxExporter {
	tb.Helper()
	bin := Require(tb, "prometheus-nginx-exporter")
	addr := FreeAddr(tb)
	e := &NginxExporter{Addr: addr}
	e.proc = start(tb, "prometheus-nginx-exporter", bin,
		"-nginx.scrape-uri", scrapeURI,
		"-web.listen-address", addr,
		"-nginx.retries", "10", "-nginx.retry-interval", "100ms",
	)
	url := "http://" + addr + "/metrics"
	e.proc.waitHTTP(tb, url, 10*time.Second)
	if v := ScrapeSum(tb, url, "nginx_up", nil); v != 1 {
		tb.Fatalf("monitoringtest: exporter reports nginx_up %v for %s:\n%s", v, scrapeURI, e.proc.Output())
	}
	return e
}

// Output is the exporter's log so far.
func (e *NginxExporter) Output() string { return e.proc.Output() }

// ---------------------------------------------------------------------------
// Reading an exporter directly.

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

// ---------------------------------------------------------------------------
// The shipped queries.

// Query is one PromQL expression of a dashboard or rule file.
type Query struct {
	Source string // file and panel or rule, for messages
	Expr   string
	Alert  bool // an alerting rule's condition
}

// Queries are every PromQL expression in the dashboards
// (monitoring/grafana/dashboards/*.json: targets[].expr of every panel,
// rows' panels included) and the rule files (groups[].rules[].expr).
func Queries(tb testing.TB) []Query {
	tb.Helper()
	var out []Query
	dashboards, _ := filepath.Glob(filepath.Join(Dir(tb), "grafana", "dashboards", "*.json"))
	if len(dashboards) == 0 {
		tb.Fatal("monitoringtest: no dashboards")
	}
	for _, f := range dashboards {
		qs, err := DashboardQueries(f)
		if err != nil {
			tb.Fatal(err)
		}
		out = append(out, qs...)
	}
	for _, f := range RuleFiles(tb) {
		qs, err := RuleQueries(f)
		if err != nil {
			tb.Fatal(err)
		}
		out = append(out, qs...)
	}
	return out
}

// Panel is the part of a Grafana panel the checks read.
type Panel struct {
	ID         int            `json:"id"`
	Type       string         `json:"type"`
	Title      string         `json:"title"`
	Datasource *DatasourceRef `json:"datasource"`
	GridPos    struct {
		H int `json:"h"`
		W int `json:"w"`
		X int `json:"x"`
		Y int `json:"y"`
	} `json:"gridPos"`
	Targets []struct {
		RefID      string         `json:"refId"`
		Expr       string         `json:"expr"`
		Datasource *DatasourceRef `json:"datasource"`
	} `json:"targets"`
	Panels []Panel `json:"panels"` // a collapsed row's
}

// DatasourceRef names a datasource by uid.
type DatasourceRef struct {
	Type string `json:"type"`
	UID  string `json:"uid"`
}

// Dashboard is the part of a Grafana dashboard the checks read.
type Dashboard struct {
	UID           string  `json:"uid"`
	Title         string  `json:"title"`
	SchemaVersion int     `json:"schemaVersion"`
	Panels        []Panel `json:"panels"`
}

// ReadDashboard parses a dashboard file.
func ReadDashboard(path string) (*Dashboard, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var d Dashboard
	dec := json.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(&d); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &d, nil
}

// AllPanels flattens rows.
func (d *Dashboard) AllPanels() []Panel {
	var out []Panel
	var walk func(ps []Panel)
	walk = func(ps []Panel) {
		for _, p := range ps {
			out = append(out, p)
			walk(p.Panels)
		}
	}
	walk(d.Panels)
	return out
}

// DashboardQueries are the expressions of one dashboard file.
func DashboardQueries(path string) ([]Query, error) {
	d, err := ReadDashboard(path)
	if err != nil {
		return nil, err
	}
	var out []Query
	for _, p := range d.AllPanels() {
		for _, t := range p.Targets {
			out = append(out, Query{Source: fmt.Sprintf("%s panel %q %s", filepath.Base(path), p.Title, t.RefID), Expr: t.Expr})
		}
	}
	return out, nil
}

// RuleQueries are the expressions of one rule file (groups[].rules[]:
// record or alert, and expr; promtool checks the rest).
func RuleQueries(path string) ([]Query, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var f ruleFile
	if err := yaml.Unmarshal(b, &f); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	var out []Query
	for _, g := range f.Groups {
		for _, r := range g.Rules {
			name := r.Record
			if r.Alert != "" {
				name = "alert " + r.Alert
			}
			out = append(out, Query{Source: fmt.Sprintf("%s %s", filepath.Base(path), name), Expr: strings.TrimSpace(r.Expr), Alert: r.Alert != ""})
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: no rules", path)
	}
	return out, nil
}

type ruleFile struct {
	Groups []struct {
		Name  string `yaml:"name"`
		Rules []struct {
			Record string `yaml:"record"`
			Alert  string `yaml:"alert"`
			Expr   string `yaml:"expr"`
		} `yaml:"rules"`
	} `yaml:"groups"`
}

// RateInterval replaces Grafana's $__rate_interval (and $__interval,
// $__range) in the test; 30 s spans many 1 s scrapes.
const RateInterval = "30s"

// Evaluable is q's expression as a test evaluates it: Grafana's interval
// variables replaced by RateInterval, and an alert's comparisons made
// "bool" ones (x > 0.5 → x > bool 0.5), so the expression returns the
// signal, 0 or 1 per series, rather than nothing while the alert is not
// firing. It fails on any other template variable.
func Evaluable(q Query) (string, error) {
	e := q.Expr
	for _, v := range []string{"${__rate_interval}", "$__rate_interval", "${__interval}", "$__interval", "${__range}", "$__range"} {
		e = strings.ReplaceAll(e, v, RateInterval)
	}
	if i := strings.IndexByte(e, '$'); i >= 0 {
		return "", fmt.Errorf("%s: unknown template variable at %q", q.Source, e[i:])
	}
	if q.Alert {
		e = comparison.ReplaceAllString(e, " $1 bool ")
	}
	return e, nil
}

// comparison is a comparison operator between spaces, possibly already
// followed by bool; alerts.yml writes every comparison that way.
var comparison = regexp.MustCompile(`\s(==|!=|>=|<=|>|<)\s+(?:bool\s+)?`)
