package monitoring_test

// Checks of the shipped deployment files: promtool on the Prometheus
// configuration and rules, the Grafana dashboards' structure against the
// provisioned datasource, and the mtail program on a sample of the edge's
// access log. The end-to-end proof that every query returns data is
// cmd/dukaan's TestObservability.

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/goccy/go-yaml"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"dukaan/monitoring/monitoringtest"
)

func TestPromtoolCheck(t *testing.T) {
	promtool := monitoringtest.Require(t, "promtool")
	dir := monitoringtest.Dir(t)
	t.Run("config", func(t *testing.T) {
		// Also loads the rule files the configuration names.
		out, err := exec.Command(promtool, "check", "config", filepath.Join(dir, "prometheus.yml")).CombinedOutput()
		if err != nil {
			t.Errorf("promtool check config: %v\n%s", err, out)
		}
	})
	t.Run("rules", func(t *testing.T) {
		args := append([]string{"check", "rules"}, monitoringtest.RuleFiles(t)...)
		out, err := exec.Command(promtool, args...).CombinedOutput()
		if err != nil {
			t.Errorf("promtool check rules: %v\n%s", err, out)
		}
	})
}

// TestPrometheusJobs keeps the shipped scrape jobs and the names the rules
// and dashboards filter on in step.
func TestPrometheusJobs(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(monitoringtest.Dir(t), "prometheus.yml"))
	if err != nil {
		t.Fatal(err)
	}
	var cfg struct {
		RuleFiles     []string `yaml:"rule_files"`
		ScrapeConfigs []struct {
			JobName string `yaml:"job_name"`
		} `yaml:"scrape_configs"`
	}
	if err := yaml.Unmarshal(b, &cfg); err != nil {
		t.Fatal(err)
	}
	var jobs []string
	for _, s := range cfg.ScrapeConfigs {
		jobs = append(jobs, s.JobName)
	}
	want := []string{monitoringtest.JobApp, monitoringtest.JobEdgeLog, monitoringtest.JobEdgeNginx}
	if got, want := strings.Join(jobs, ","), strings.Join(want, ","); got != want {
		t.Errorf("prometheus.yml jobs %s, want %s", got, want)
	}
	if len(cfg.RuleFiles) != len(monitoringtest.RuleFiles(t)) {
		t.Errorf("prometheus.yml loads %v, want every file in rules/", cfg.RuleFiles)
	}
}

func provisionedDatasource(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(monitoringtest.Dir(t), "grafana", "provisioning", "datasources", "prometheus.yml"))
	if err != nil {
		t.Fatal(err)
	}
	var f struct {
		APIVersion  int `yaml:"apiVersion"`
		Datasources []struct {
			Name, UID, Type, URL string
		} `yaml:"datasources"`
	}
	if err := yaml.Unmarshal(b, &f); err != nil {
		t.Fatal(err)
	}
	if f.APIVersion != 1 || len(f.Datasources) != 1 || f.Datasources[0].Type != "prometheus" || f.Datasources[0].UID == "" {
		t.Fatalf("datasource provisioning: %+v, want apiVersion 1 and one prometheus datasource with a uid", f)
	}
	return f.Datasources[0].UID
}

func TestDashboardProvisioning(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(monitoringtest.Dir(t), "grafana", "provisioning", "dashboards", "dukaan.yml"))
	if err != nil {
		t.Fatal(err)
	}
	var f struct {
		APIVersion int `yaml:"apiVersion"`
		Providers  []struct {
			Name, Type string
			Options    struct {
				Path string `yaml:"path"`
			} `yaml:"options"`
		} `yaml:"providers"`
	}
	if err := yaml.Unmarshal(b, &f); err != nil {
		t.Fatal(err)
	}
	if f.APIVersion != 1 || len(f.Providers) != 1 || f.Providers[0].Type != "file" || f.Providers[0].Options.Path == "" {
		t.Errorf("dashboard provisioning: %+v, want one file provider with a path", f)
	}
}

var recordingName = regexp.MustCompile(`\bdukaan:[a-z0-9_:]+`)

func TestDashboards(t *testing.T) {
	uid := provisionedDatasource(t)
	files, _ := filepath.Glob(filepath.Join(monitoringtest.Dir(t), "grafana", "dashboards", "*.json"))
	if len(files) < 2 {
		t.Fatalf("dashboards: %v, want overview.json and tier-detail.json", files)
	}
	records := map[string]bool{}
	for _, f := range monitoringtest.RuleFiles(t) {
		b, _ := os.ReadFile(f)
		for _, m := range regexp.MustCompile(`record:\s*(\S+)`).FindAllStringSubmatch(string(b), -1) {
			records[m[1]] = true
		}
	}
	uids := map[string]string{}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			d, err := monitoringtest.ReadDashboard(f)
			if err != nil {
				t.Fatal(err)
			}
			if d.UID == "" || d.Title == "" || d.SchemaVersion < 30 {
				t.Errorf("uid %q, title %q, schemaVersion %d: want all set (schemaVersion ≥ 30)", d.UID, d.Title, d.SchemaVersion)
			}
			if other, dup := uids[d.UID]; dup {
				t.Errorf("uid %q also used by %s", d.UID, other)
			}
			uids[d.UID] = f
			ids := map[int]bool{}
			queries := 0
			for _, p := range d.AllPanels() {
				if ids[p.ID] || p.ID == 0 {
					t.Errorf("panel %q: id %d is zero or repeated", p.Title, p.ID)
				}
				ids[p.ID] = true
				if p.GridPos.W <= 0 || p.GridPos.H <= 0 || p.GridPos.X+p.GridPos.W > 24 {
					t.Errorf("panel %q: gridPos %+v outside the 24-column grid", p.Title, p.GridPos)
				}
				if p.Type == "row" {
					continue
				}
				if p.Datasource == nil || p.Datasource.UID != uid {
					t.Errorf("panel %q: datasource %+v, want uid %q (provisioning/datasources)", p.Title, p.Datasource, uid)
				}
				if len(p.Targets) == 0 {
					t.Errorf("panel %q has no queries", p.Title)
				}
				refs := map[string]bool{}
				for _, tg := range p.Targets {
					queries++
					if strings.TrimSpace(tg.Expr) == "" {
						t.Errorf("panel %q target %s: empty expr", p.Title, tg.RefID)
					}
					if tg.RefID == "" || refs[tg.RefID] {
						t.Errorf("panel %q: refId %q empty or repeated", p.Title, tg.RefID)
					}
					refs[tg.RefID] = true
					if tg.Datasource != nil && tg.Datasource.UID != uid {
						t.Errorf("panel %q target %s: datasource %+v, want uid %q", p.Title, tg.RefID, tg.Datasource, uid)
					}
					for _, name := range recordingName.FindAllString(tg.Expr, -1) {
						if !records[name] {
							t.Errorf("panel %q: %s is not a recording rule in rules/", p.Title, name)
						}
					}
				}
			}
			if queries == 0 {
				t.Error("no queries")
			}
		})
	}
}

// TestEvaluable checks the rewriting the integration test applies.
func TestEvaluable(t *testing.T) {
	tests := []struct {
		q    monitoringtest.Query
		want string
	}{
		{monitoringtest.Query{Expr: `sum(rate(x[$__rate_interval]))`}, `sum(rate(x[30s]))`},
		{monitoringtest.Query{Expr: `a > 0.5`}, `a > 0.5`},
		{monitoringtest.Query{Expr: `a < 0.5 and on() b > 1`, Alert: true}, `a < bool 0.5 and on() b > bool 1`},
		{monitoringtest.Query{Expr: `up{job=~"a|b"} == 0`, Alert: true}, `up{job=~"a|b"} == bool 0`},
		{monitoringtest.Query{Expr: "x >= bool 1", Alert: true}, "x >= bool 1"},
	}
	for _, tt := range tests {
		got, err := monitoringtest.Evaluable(tt.q)
		if err != nil || got != tt.want {
			t.Errorf("Evaluable(%q) = %q, %v; want %q", tt.q.Expr, got, err, tt.want)
		}
	}
	if _, err := monitoringtest.Evaluable(monitoringtest.Query{Expr: `rate(x{instance="$instance"}[5m])`}); err == nil {
		t.Error("an unknown template variable was accepted")
	}
	for _, q := range monitoringtest.Queries(t) {
		if _, err := monitoringtest.Evaluable(q); err != nil {
			t.Error(err)
		}
	}
}

// TestMtailProgram runs the shipped program over a sample of the edge's
// access log (every cache state, "-" for PURGE and POST, a static file,
// a line from two upstream tries, a line that is not ours).
func TestMtailProgram(t *testing.T) {
	mtail := monitoringtest.Require(t, "mtail")
	dir := monitoringtest.Dir(t)
	cmd := exec.Command(mtail, "-one_shot", "-one_shot_format", "prometheus",
		"-progs", filepath.Join(dir, "mtail"), "-logs", filepath.Join(dir, "testdata", "edge-access.log"),
		"-address", "127.0.0.1", "-port", "0")
	cmd.Dir = t.TempDir()
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("mtail: %v\n%s", err, stderr.String())
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(strings.NewReader(string(out)))
	if err != nil {
		t.Fatalf("parsing mtail's output: %v\n%s", err, out)
	}
	got := map[string]float64{}
	for _, m := range fams["dukaan_edge_requests_total"].GetMetric() {
		var cache, status string
		for _, l := range m.GetLabel() {
			switch l.GetName() {
			case "cache":
				cache = l.GetValue()
			case "status":
				status = l.GetValue()
			}
		}
		got[cache+" "+status] += m.GetCounter().GetValue()
	}
	want := map[string]float64{
		"MISS 200": 1, "HIT 200": 1, "STALE 200": 1, "UPDATING 200": 1, "EXPIRED 200": 1,
		"REVALIDATED 304": 1, "BYPASS 200": 1, "NONE 200": 1, "NONE 303": 1, "STATIC 200": 1,
	}
	if len(got) != len(want) {
		t.Errorf("dukaan_edge_requests_total = %v, want %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("dukaan_edge_requests_total{%s} = %v, want %v", k, got[k], v)
		}
	}
	// Every request lands in a latency bucket, a 0.000 hit too.
	for _, m := range fams["dukaan_edge_request_duration_seconds"].GetMetric() {
		h := m.GetHistogram()
		buckets := h.GetBucket()
		if n := len(buckets); n == 0 || buckets[n-1].GetCumulativeCount() != h.GetSampleCount() {
			t.Errorf("latency histogram %v: the last bucket does not hold every sample", m.GetLabel())
		}
	}
	if h := fams["dukaan_edge_upstream_duration_seconds"].GetMetric(); len(h) != 1 || h[0].GetHistogram().GetSampleCount() != 4 {
		t.Errorf("upstream latency: %v, want 4 samples (single-upstream lines)", h)
	}
}
