package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
)

// axe-core (internal/a11y, installed by `npm ci` there; .ci/run does it)
// audits each page the browser scenario visits against WCAG 2.1 A and AA:
// names and labels, landmarks, ARIA use, contrast, duplicate ids, and the
// rest of its rules. Written checks (browserA11y) stay beside it: they are
// what the issue asks for in words, axe is the wider net.

var (
	axeOnce   sync.Once
	axeSource string
	axeErr    error
)

// axeScript is axe.min.js, or an error saying how to get it.
func axeScript() (string, error) {
	axeOnce.Do(func() {
		root, err := browserModuleRoot()
		if err != nil {
			axeErr = err
			return
		}
		b, err := os.ReadFile(filepath.Join(root, "internal", "a11y", "node_modules", "axe-core", "axe.min.js"))
		if err != nil {
			axeErr = fmt.Errorf("axe-core is not installed (run `npm ci` in internal/a11y): %w", err)
			return
		}
		axeSource = string(b)
	})
	return axeSource, axeErr
}

// axeViolation is one failed rule with the elements that failed it.
type axeViolation struct {
	ID      string   `json:"id"`
	Impact  string   `json:"impact"`
	Help    string   `json:"help"`
	Targets []string `json:"targets"`
}

// browserAxe runs axe-core on the page in tb and fails on every WCAG 2.1
// A/AA violation. Without axe-core it fails under CI=true and only logs
// otherwise.
func browserAxe(tb *browserTab, page string) {
	t := tb.b.t
	t.Helper()
	src, err := axeScript()
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s: %v", page, err)
		}
		t.Logf("%s: skipping the axe audit: %v", page, err)
		return
	}
	step := page + ": axe"
	if !browserEval[bool](tb, step+" load", "(function(){"+src+"\n})(); typeof window.axe === 'object'") {
		tb.fatalf(step, "axe-core did not load into the page")
	}
	raw := browserEval[string](tb, step, `axe.run(document, {
  runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']},
  resultTypes: ['violations']
}).then(function (r) {
  var brief = function (list) {
    return list.map(function (v) {
      return {id: v.id, impact: v.impact || '', help: v.help,
        targets: v.nodes.slice(0, 5).map(function (n) { return n.target.join(' '); })};
    });
  };
  return JSON.stringify({passes: r.passes.length, incomplete: brief(r.incomplete), violations: brief(r.violations)});
})`)
	var res struct {
		Passes     int            `json:"passes"`
		Incomplete []axeViolation `json:"incomplete"`
		Violations []axeViolation `json:"violations"`
	}
	if err := json.Unmarshal([]byte(raw), &res); err != nil {
		tb.fatalf(step, "axe result: %v", err)
	}
	var review []string
	for _, v := range res.Incomplete {
		review = append(review, v.ID)
	}
	// "Incomplete" is what axe cannot decide alone (text over a gradient).
	t.Logf("%s: axe: %d rules passed, %d violations, to review by eye: %v", page, res.Passes, len(res.Violations), review)
	vs := res.Violations
	if len(vs) == 0 {
		return
	}
	var lines []string
	for _, v := range vs {
		lines = append(lines, fmt.Sprintf("%s (%s): %s — %s", v.ID, v.Impact, v.Help, strings.Join(v.Targets, ", ")))
	}
	tb.errorf(step, "%d WCAG 2.1 AA violations:\n  %s", len(vs), strings.Join(lines, "\n  "))
}
