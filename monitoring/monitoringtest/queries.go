package monitoringtest

// The PromQL expressions the dashboards and rule files hold, extracted so
// that a test can evaluate each one.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/goccy/go-yaml"
)

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
