package bench

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"html"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"
)

// Results is everything a run measured; results.json is this.
type Results struct {
	Generated time.Time `json:"generated"`
	Seconds   float64   `json:"seconds"`
	Machine   Machine   `json:"machine"`
	Settings  Settings  `json:"settings"`
	PageBytes int       `json:"page_bytes"`
	// PageGzipBytes is the page as the edge sends it to a browser when
	// compressed; 0 when it sends it uncompressed.
	PageGzipBytes int                 `json:"page_gzip_bytes"`
	Clients       []benchClient       `json:"clients,omitempty"`
	Revalidation  *RevalidateResult   `json:"revalidation,omitempty"`
	Demo          *DemoResult         `json:"demo,omitempty"`
	Tiers         []TierResult        `json:"tiers,omitempty"`
	Flash         *FlashResult        `json:"flash_sale,omitempty"`
	Orders        *OrdersResult       `json:"order_rush,omitempty"`
	Scale         *ScaleResult        `json:"scale,omitempty"`
	Targets       []Target            `json:"targets"`
	Load          []LoadSample        `json:"load"`
	Commands      map[string][]string `json:"commands"`
}

// Settings are the options that shape the figures.
type Settings struct {
	Stores, Products       int
	ScaleSmall, ScaleLarge int
	FlashStores            int
	Conns, Threads         int
	Warmup, Duration       string
	Runs                   int
	DemoRequests, DemoConc int
	FlashDuration          string
	EditEvery              string
	ZipfS                  float64
	RushStock, RushConns   int
	ScaleConns             int
	NginxWorkers           string
	AppLogLevel            string
	AppEnv                 string
	Database               string
	SchemaPrefix           string
	EdgeEdit               string `json:",omitempty"`
}

// Machine is where the figures were taken.
type Machine struct {
	Nproc    string  `json:"nproc"`
	CPU      string  `json:"cpu"`
	Free     string  `json:"free_h"`
	Kernel   string  `json:"kernel"`
	Go       string  `json:"go"`
	Nginx    string  `json:"nginx"`
	Postgres string  `json:"postgres"`
	Redis    string  `json:"redis"`
	Wrk      string  `json:"wrk"`
	Pgbench  string  `json:"pgbench"`
	Load     LoadAvg `json:"load_at_start"`
}

// LoadAvg is /proc/loadavg.
type LoadAvg struct{ One, Five, Fifteen float64 }

func (l LoadAvg) String() string { return fmt.Sprintf("%.2f, %.2f, %.2f", l.One, l.Five, l.Fifteen) }

// LoadSample is the load average around one scenario.
type LoadSample struct {
	Scenario string  `json:"scenario"`
	Before   LoadAvg `json:"before"`
	After    LoadAvg `json:"after"`
}

// Target is one of the targets and what this run reached.
type Target struct {
	Name string `json:"name"`
	Want string `json:"want"`
	Got  string `json:"got"`
	Met  bool   `json:"met"`
}

func loadAvg() LoadAvg {
	var l LoadAvg
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return l
	}
	f := strings.Fields(string(b))
	if len(f) >= 3 {
		l.One, _ = strconv.ParseFloat(f[0], 64)
		l.Five, _ = strconv.ParseFloat(f[1], 64)
		l.Fifteen, _ = strconv.ParseFloat(f[2], 64)
	}
	return l
}

func command(name string, args ...string) string {
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil && len(out) == 0 {
		return "unknown (" + err.Error() + ")"
	}
	// Only the end: `free -h` aligns its header with leading spaces.
	return strings.TrimRight(string(out), " \n")
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return strings.TrimSpace(line)
}

func newResults(b *runner) *Results {
	o := b.opts
	m := Machine{
		Nproc:   command("nproc"),
		Free:    command("free", "-h"),
		Kernel:  command("uname", "-srm"),
		Go:      runtime.Version() + " (the bench binary); " + command("go", "version"),
		Nginx:   command(b.bins.nginx, "-v"),
		Redis:   firstLine(command(b.bins.redis, "--version")),
		Wrk:     firstLine(command(b.bins.wrk, "-v")),
		Pgbench: command(b.bins.pgbench, "--version"),
		Load:    loadAvg(),
	}
	if cpu, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(cpu), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				m.CPU = strings.TrimSpace(v)
				break
			}
		}
	}
	if strings.HasPrefix(m.Wrk, "wrk ") {
		m.Wrk = strings.Join(strings.Fields(m.Wrk)[:2], " ")
	}
	return &Results{
		Generated: time.Now().UTC(), Machine: m, Commands: map[string][]string{},
		Settings: Settings{
			Stores: o.Stores, Products: o.Products, ScaleSmall: o.ScaleSmall, ScaleLarge: o.ScaleLarge,
			FlashStores: o.FlashStores, Conns: o.Conns, Threads: o.Threads,
			Warmup: o.Warmup.String(), Duration: o.Duration.String(), Runs: o.Runs,
			DemoRequests: o.DemoRequests, DemoConc: o.DemoConc, FlashDuration: o.FlashDuration.String(),
			EditEvery: o.EditEvery.String(), ZipfS: o.ZipfS, RushStock: o.RushStock, RushConns: o.RushConns,
			ScaleConns: o.ScaleConns, NginxWorkers: o.NginxWorkers, AppLogLevel: o.AppLogLevel, AppEnv: o.AppEnv,
			Database: o.Database, SchemaPrefix: o.SchemaPrefix, EdgeEdit: o.EdgeEdit,
		},
	}
}

// finish fills in what is known only at the end: the server version, the
// commands, and the verdict on each target.
func (r *Results) finish(b *runner) {
	r.Seconds = time.Since(b.started).Seconds()
	_ = b.db.QueryRow("SHOW server_version").Scan(&r.Machine.Postgres)
	r.Machine.Postgres = "PostgreSQL " + r.Machine.Postgres
	b.mu.Lock()
	for k, v := range b.notes {
		r.Commands[k] = append([]string(nil), v...)
	}
	b.mu.Unlock()
	r.Targets = nil
	add := func(name, want, got string, met bool) {
		r.Targets = append(r.Targets, Target{Name: name, Want: want, Got: got, Met: met})
	}
	tier := map[string]TierResult{}
	for _, t := range r.Tiers {
		tier[t.clientKey()+"/"+t.Key] = t
	}
	for _, c := range r.clients() {
		in := " (" + c.Name + ")"
		if t, ok := tier[c.Key+"/edge"]; ok {
			add("Edge HIT vs the static-file ceiling"+in, "≥ 0.90×", fmt.Sprintf("%.2f×", t.Ratio), t.Ratio >= 0.9)
		}
		if t, ok := tier[c.Key+"/local"]; ok {
			add("App local-tier HIT vs the ceiling"+in, "≥ 0.50×", fmt.Sprintf("%.2f×", t.Ratio), t.Ratio >= 0.5)
			if t.RatioGo > 0 {
				add("App local-tier HIT vs a bare Go handler"+in, "≥ 0.90×", fmt.Sprintf("%.2f×", t.RatioGo), t.RatioGo >= 0.9)
			}
		}
		if t, ok := tier[c.Key+"/cold-pg"]; ok {
			add("Cold render of the store page on PostgreSQL"+in, "≥ 2,000 req/s", fmt.Sprintf("%s req/s", thousands(t.Median.RPS)), t.Median.RPS >= 2000)
		}
	}
	if v := r.Revalidation; v != nil {
		add("An expired edge page is revalidated with a 304, no render", "0 renders", fmt.Sprintf("%.0f renders, %.0f 304s (X-Cache-Status %s)", v.RendersAfter-v.RendersBefore, v.App3xx, strings.Join(v.Statuses, " → ")), v.Met)
	}
	if d := r.Demo; d != nil {
		for _, c := range d.Cases {
			switch c.Key {
			case "warm-edge":
				add("Original demo, warm (through the edge)", "< 0.05 s", fmt.Sprintf("%.3f s", c.Median), c.Median < 0.05 && c.Failed == 0)
			case "cold":
				add("Original demo, all caches bypassed", "< 0.2 s", fmt.Sprintf("%.3f s", c.Median), c.Median < 0.2 && c.Failed == 0)
			}
		}
	}
	if f := r.Flash; f != nil {
		add("Flash sale: end-to-end hit ratio", "≥ 99%", fmt.Sprintf("%.2f%%", 100*f.HitRatio), f.HitRatio >= 0.99)
		add("Flash sale: stale reads after an acknowledged edit", "0", fmt.Sprintf("%d through the edge, %d from the app directly (%d edits)", f.StaleReads, f.StaleApp, f.Edits), f.StaleReads == 0 && f.StaleApp == 0 && f.Edits > 0)
		add("Flash sale: 5xx", "0", strconv.FormatInt(f.Errors5xx, 10), f.Errors5xx == 0)
		perPurge, source := f.RendersPerPurge, "seen by clients"
		if f.AppRendersPerPurge > 0 {
			perPurge, source = f.AppRendersPerPurge, "the replica's dukaan_pagecache_renders_total"
		}
		perPage := perPurge / float64(max(1, f.PagesPerPurge))
		add("Flash sale: renders per purge per replica, per purged page", "1", fmt.Sprintf("%.2f (%.2f per purge over the %d pages showing the product; %s; 1 replica)", perPage, perPurge, f.PagesPerPurge, source), perPage <= 1.05)
	}
	if o := r.Orders; o != nil {
		add("Order rush: successes exactly the stock, every run", fmt.Sprintf("%d", o.Stock), fmt.Sprintf("%d run(s) off", o.WrongCount), o.WrongCount == 0)
		add("Order rush: oversold units", "0", strconv.FormatInt(o.Oversold, 10), o.Oversold == 0)
		add("Order rush vs pgbench running the same transaction", "≥ 0.70×", fmt.Sprintf("%.2f× (%s vs %s per s)", o.Ratio, thousands(o.OrdersPerSec), thousands(o.PGTPS)), o.Ratio >= 0.7)
	}
	if s := r.Scale; s != nil && len(s.Cases) == 2 {
		add(fmt.Sprintf("Cold render with %s stores vs %s (p50)", thousands(float64(s.Cases[1].Stores)), thousands(float64(s.Cases[0].Stores))), "≤ 1.5×", fmt.Sprintf("%.2f×", s.P50Ratio), s.P50Ratio <= 1.5)
	}
}

func (t TierResult) clientKey() string {
	if t.Client == "" {
		return "bare"
	}
	return t.Client
}

// clients are the clients the tiers were measured with; results written
// before there were two were all wrk's bare request.
func (r *Results) clients() []benchClient {
	if len(r.Clients) > 0 {
		return r.Clients
	}
	return benchClients[:1]
}

// thousands formats a number with thousands separators, no decimals.
func thousands(v float64) string {
	s := strconv.FormatInt(int64(v+0.5), 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var out []byte
	for i := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			out = append(out, ',')
		}
		out = append(out, s[i])
	}
	if neg {
		return "-" + string(out)
	}
	return string(out)
}

func (b *runner) write() error {
	if err := os.MkdirAll(b.opts.OutDir, 0o755); err != nil {
		return err
	}
	js, err := json.MarshalIndent(b.res, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(b.opts.OutDir, "results.json"), append(js, '\n'), 0o644); err != nil {
		return err
	}
	if len(b.res.Tiers) > 0 {
		if err := os.WriteFile(filepath.Join(b.opts.OutDir, "throughput.svg"), []byte(throughputSVG(b.res)), 0o644); err != nil {
			return err
		}
	}
	if b.opts.Markdown != "" {
		if err := os.WriteFile(b.opts.Markdown, []byte(markdown(b.res, b.opts)), 0o644); err != nil {
			return err
		}
	}
	b.logf("wrote %s, %s%s", filepath.Join(b.opts.OutDir, "results.json"), filepath.Join(b.opts.OutDir, "throughput.svg"),
		map[bool]string{true: ", " + b.opts.Markdown, false: ""}[b.opts.Markdown != ""])
	return nil
}

// throughputSVG is a horizontal bar chart of requests/s per tier, with the
// ceiling drawn as a dashed line across all bars.
func throughputSVG(r *Results) string {
	const (
		width, left, right, top, barH, gap = 900, 250, 190, 56, 30, 14
	)
	n := len(r.Tiers)
	height := top + n*(barH+gap) + 40
	maxRPS := 0.0
	for _, t := range r.Tiers {
		maxRPS = max(maxRPS, t.Median.RPS)
	}
	if maxRPS == 0 {
		maxRPS = 1
	}
	scale := float64(width-left-right) / maxRPS
	var s strings.Builder
	fmt.Fprintf(&s, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="Helvetica, Arial, sans-serif" font-size="14">`+"\n", width, height, width, height)
	fmt.Fprintf(&s, `<rect width="100%%" height="100%%" fill="#ffffff"/>`+"\n")
	fmt.Fprintf(&s, `<text x="%d" y="26" font-size="18" font-weight="bold" fill="#1f2937">Dukaan: one store page, requests/s per tier (median of %d runs, %d connections)</text>`+"\n", 16, r.Settings.Runs, r.Settings.Conns)
	fmt.Fprintf(&s, `<text x="%d" y="46" font-size="12" fill="#6b7280">%s · %s CPUs · load at start %s · %s</text>`+"\n", 16,
		html.EscapeString(r.Machine.CPU), html.EscapeString(r.Machine.Nproc), r.Machine.Load, r.Generated.Format("2006-01-02"))
	colors := map[string]string{"ceiling": "#9ca3af", "goceiling": "#6b7280", "edge": "#2563eb", "local": "#0891b2", "redis": "#dc2626", "cold-pg": "#7c3aed", "cold-sqlite": "#a16207"}
	// Each client has its own ceiling: the bytes that client receives.
	ceilings := map[string]float64{}
	for _, t := range r.Tiers {
		if t.Key == "ceiling" {
			ceilings[t.clientKey()] = t.Median.RPS
		}
	}
	for i, t := range r.Tiers {
		y := top + i*(barH+gap)
		w := max(t.Median.RPS*scale, 1)
		c := colors[t.Key]
		if c == "" {
			c = "#4b5563"
		}
		ceiling := ceilings[t.clientKey()]
		ceilX := float64(left) + ceiling*scale
		name := t.Name
		if len(r.Clients) > 1 {
			name += " · " + t.clientKey()
		}
		fmt.Fprintf(&s, `<text x="%d" y="%d" text-anchor="end" fill="#111827">%s</text>`+"\n", left-10, y+barH/2+5, html.EscapeString(name))
		fmt.Fprintf(&s, `<rect x="%d" y="%d" width="%.1f" height="%d" fill="%s" rx="3"><title>%s: %.0f req/s, p50 %.2f ms, p99 %.2f ms</title></rect>`+"\n",
			left, y, w, barH, c, html.EscapeString(name), t.Median.RPS, t.Median.P50Ms, t.Median.P99Ms)
		lx := float64(left) + w + 8
		// The targets, marked on their tier's bar.
		targets := map[string]float64{"edge": 0.9 * ceiling, "local": 0.5 * ceiling, "cold-pg": 2000}
		if v, ok := targets[t.Key]; ok && ceiling > 0 {
			x := float64(left) + v*scale
			fmt.Fprintf(&s, `<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="#b91c1c" stroke-width="2"><title>target: %.0f req/s</title></line>`+"\n", x, y-3, x, y+barH+3, v)
			lx = max(lx, x+8)
		}
		label := thousands(t.Median.RPS) + " req/s"
		if t.Key != "ceiling" && t.Ratio > 0 {
			label += fmt.Sprintf(" · %.2f×", t.Ratio)
		}
		if ceiling > 0 {
			fmt.Fprintf(&s, `<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="#111827" stroke-width="1.5" stroke-dasharray="4 3"><title>this client's ceiling</title></line>`+"\n", ceilX, y-4, ceilX, y+barH+4)
			if lx > ceilX-70 && lx < ceilX+8 {
				lx = ceilX + 8 // clear of the ceiling line
			}
		}
		fmt.Fprintf(&s, `<text x="%.1f" y="%d" fill="#111827">%s</text>`+"\n", lx, y+barH/2+5, label)
	}
	fmt.Fprintf(&s, `<text x="%d" y="%d" text-anchor="start" font-size="12" fill="#111827">dashed: the ceiling for that bar's client</text>`+"\n", left, top+n*(barH+gap)+8)
	fmt.Fprintf(&s, `<text x="%d" y="%d" font-size="12" fill="#6b7280">× = ratio to the static-file ceiling; red ticks = the issue's targets (0.9× and 0.5× the ceiling, 2,000 req/s). Generated by make bench.</text>`+"\n", 16, height-10)
	s.WriteString("</svg>\n")
	return s.String()
}

//go:embed notes.md
var notesMD string

func ms(v float64) string {
	switch {
	case v >= 100:
		return fmt.Sprintf("%.0f ms", v)
	case v >= 10:
		return fmt.Sprintf("%.1f ms", v)
	default:
		return fmt.Sprintf("%.2f ms", v)
	}
}

func markdown(r *Results, o Options) string {
	var s strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&s, format+"\n", args...) }
	p("# Dukaan benchmarks")
	p("")
	p("Generated by `make bench` on %s in %.0f s; every figure below is in [`bench/out/results.json`](bench/out/results.json). "+
		"Do not edit this file by hand: change `bench/` (the analysis is `bench/notes.md`) and run `make bench` again, or `bin/dukaan-lab bench -render` to rewrite it from `results.json`.", r.Generated.Format("2006-01-02 15:04 MST"), r.Seconds)
	p("")
	p("![requests/s per tier](bench/out/throughput.svg)")
	p("")
	if r.Settings.EdgeEdit != "" {
		p("**Experiment: the edge's proxy.conf was edited (`-x-edge-edit '%s'`); it is not the edge `dukaan edge` configures.**", r.Settings.EdgeEdit)
		p("")
	}
	p("## Targets")
	p("")
	p("| target | wanted | this run | |")
	p("|---|---|---|---|")
	for _, t := range r.Targets {
		mark := "met"
		if !t.Met {
			mark = "**missed**"
		}
		p("| %s | %s | %s | %s |", t.Name, t.Want, t.Got, mark)
	}
	p("")
	p("## Machine")
	p("")
	p("| | |")
	p("|---|---|")
	p("| `nproc` | %s |", r.Machine.Nproc)
	p("| CPU | %s |", r.Machine.CPU)
	p("| kernel | %s |", r.Machine.Kernel)
	p("| Go | %s |", r.Machine.Go)
	p("| nginx | %s |", strings.TrimPrefix(r.Machine.Nginx, "nginx version: "))
	p("| PostgreSQL | %s (shared server on 127.0.0.1:5432, database `%s`) |", r.Machine.Postgres, r.Settings.Database)
	p("| Redis | %s (a private `redis-server` on a free port) |", r.Machine.Redis)
	p("| wrk | %s |", r.Machine.Wrk)
	p("| pgbench | %s |", r.Machine.Pgbench)
	p("| load average at start (1, 5, 15 min) | %s |", r.Machine.Load)
	p("")
	p("`free -h`:")
	p("")
	p("```")
	p("%s", r.Machine.Free)
	p("```")
	p("")
	p("Load average around each scenario (the machine is shared; the bench itself keeps both cores busy):")
	p("")
	p("| scenario | before | after |")
	p("|---|---|---|")
	for _, l := range r.Load {
		p("| %s | %s | %s |", l.Scenario, l.Before, l.After)
	}
	p("")
	p("Everything runs on loopback on this one machine: load generator, nginx, the app, Redis and PostgreSQL share the %s cores, "+
		"so every figure includes the load generator's own CPU. Apps run with `DUKAAN_ENV=%s` (production would require `DUKAAN_HTTPS=true`, whose Secure cookies a plain-HTTP loopback console client cannot send back; nothing on the serving path depends on it) and `DUKAAN_LOG_LEVEL=%s` (info writes a line per request).", r.Machine.Nproc, r.Settings.AppEnv, r.Settings.AppLogLevel)
	p("")

	if d := r.Demo; d != nil {
		p("## 1. The original demo: %d requests, %d concurrent, one store page", d.Requests, d.Conc)
		p("")
		p("The product this grew from: 3.38 s without cache, 0.95 s with its Redis view cache. One warm-up burst, then the median of %d bursts (vegeta, exactly %d requests over %d workers; wall time from the first request sent to the last answer).", len(d.Cases[0].Seconds), d.Requests, d.Conc)
		p("")
		p("| burst | how | total time (median) | all runs | p99 of a request | failed |")
		p("|---|---|---|---|---|---|")
		for _, c := range d.Cases {
			runs := make([]string, len(c.Seconds))
			for i, v := range c.Seconds {
				runs[i] = fmt.Sprintf("%.3f", v)
			}
			p("| %s | %s | **%.3f s** | %s | %s | %d |", c.Name, c.Isolation, c.Median, strings.Join(runs, ", "), ms(c.P99Ms), c.Failed)
		}
		p("")
	}

	if len(r.Tiers) > 0 {
		p("## 2. Every tier against the ceiling, as wrk and as a browser ask")
		p("")
		p("One store page (`%s/`, %s bytes, 24 of the store's %d products), wrk with %d threads and %d connections; a %s warm-up (whose tier mix is shown), then the median of %d runs of %s. Every tier and both clients run in one interleaved series, so the ratios compare runs taken side by side.",
			"store-00001."+o.Domain, thousands(float64(r.PageBytes)), r.Settings.Products, r.Settings.Threads, r.Settings.Conns, r.Settings.Warmup, r.Settings.Runs, r.Settings.Duration)
		p("")
		for _, c := range r.clients() {
			if len(c.Headers) == 0 {
				p("- **%s**: wrk's own request, `Host` only: it asks for no compression.", c.Name)
				continue
			}
			p("- **%s**: the headers below, sent with every request (captured from Debian's chromium 156 asking a local server for a page; see `bench/clients.go`):", c.Name)
			p("")
			p("  ```")
			for _, h := range c.Headers {
				p("  %s", h)
			}
			p("  ```")
		}
		p("")
		if r.PageGzipBytes > 0 {
			p("The edge sends a browser the page gzip-compressed, %s bytes, as the app compressed it once per render; the ceiling serves those bytes from `page.html.gz` with `gzip_static`.", thousands(float64(r.PageGzipBytes)))
		} else {
			p("The edge sends a browser the page uncompressed (%s bytes): the app under test sends shop pages uncompressed, and the edge does not compress a stored page on each hit. The ceiling serves the same uncompressed bytes.", thousands(float64(r.PageBytes)))
		}
		p("")
		p("| client | tier | req/s | × ceiling | × Go ceiling | bytes/response | p50 | p99 | errors | who answered (warm-up, by headers) | the app's own count (timed runs, `/metrics`) | how the tier is isolated |")
		p("|---|---|---|---|---|---|---|---|---|---|---|---|")
		for _, t := range r.Tiers {
			ratio, goRatio := "1.00", ""
			if t.Key != "ceiling" {
				ratio = fmt.Sprintf("%.2f", t.Ratio)
			}
			if t.RatioGo > 0 {
				goRatio = fmt.Sprintf("%.2f", t.RatioGo)
			}
			p("| %s | %s | **%s** | %s | %s | %s | %s | %s | %d | %s | %s | %s |", t.clientKey(), t.Name, thousands(t.Median.RPS), ratio, goRatio, thousands(t.Median.BytesPerReq), ms(t.Median.P50Ms), ms(t.Median.P99Ms),
				t.Median.Errors+t.Median.Non2xx3xx, mixCell(t.Warmup), appCell(t.App), t.Isolation)
		}
		p("")
		p("Bytes/response is wrk's count of bytes read over its requests: status line, headers and body. The app's own count is a little over 100 %%: requests in flight when wrk stops are served (and counted by the app) but not counted by wrk.")
		p("")
		p("Runs (req/s): ")
		p("")
		for _, t := range r.Tiers {
			v := make([]string, len(t.Runs))
			for i, x := range t.Runs {
				v[i] = thousands(x.RPS)
			}
			p("- %s, %s: %s", t.clientKey(), t.Name, strings.Join(v, ", "))
		}
		p("")
	}

	if v := r.Revalidation; v != nil {
		p("### An expired edge page: revalidated, not rendered")
		p("")
		p("An app with `DUKAAN_EDGE_TTL=%ds` (and `DUKAAN_LOCAL_TTL=60s`) behind an edge of its own; GETs of its front page through the edge with the browser's headers: fill, hit, wait past the TTL, then until the edge holds the refreshed copy. The edge revalidates in the background with `If-None-Match` (`proxy_cache_revalidate on`).", v.EdgeTTLSeconds)
		p("")
		p("| X-Cache-Status, in order | renders (`dukaan_pagecache_renders_total`) before → after the expiry | the app's 3xx answers on shop hosts in between | |")
		p("|---|---|---|---|")
		mark := "met"
		if !v.Met {
			mark = "**missed**"
		}
		p("| %s | %.0f → %.0f | %.0f | %s |", strings.Join(v.Statuses, " → "), v.RendersBefore, v.RendersAfter, v.App3xx, mark)
		p("")
	}

	if f := r.Flash; f != nil {
		p("## 3. Flash sale")
		p("")
		p("wrk reads front pages of %d stores through the edge, Zipf-skewed (s = %.2f: the hot store and its hot product's page get %.0f%% of reads), %d connections, while the hot store's vendor, logged into the console through the edge, edits that product's price every %.0f ms: open the edit form, take its CSRF token, post, wait for the 303. After each 303 a checker reads the product page and the front page through the edge, and the product page from the app directly (edge bypassed, to tell a stale app tier from a stale edge); each read must show that edit's price or a later one. %d runs of %s after a warm-up.",
			f.Stores, f.ZipfS, 100*f.HotShare, r.Settings.Conns, f.EditEveryMs, len(f.Runs), r.Settings.FlashDuration)
		p("")
		p("| run | reads/s | p50 | p99 | hit ratio (end to end) | edge hit ratio | renders seen | edits (purges) | renders per purge: seen / kept in Redis / app metric | uncacheable renders | edit → 303 p50 / p99 | stale reads: edge / app | 5xx |")
		p("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
		for i, x := range f.Runs {
			p("| %d | %s | %s | %s | %.3f%% | %.2f%% | %d | %d (%.0f) | %.2f / %.2f / %.2f | %.0f | %s / %s | %d / %d | %d |", i+1, thousands(x.Load.RPS), ms(x.Load.P50Ms), ms(x.Load.P99Ms),
				100*x.HitRatio, 100*x.EdgeHitRatio, x.Renders, x.Edits, x.AppPurges, x.RendersPerPurge, x.StoresPerPurge, x.AppRendersPerPurge, x.AppUncacheable, ms(x.AckP50Ms), ms(x.AckP99Ms), x.StaleReads, x.StaleApp, x.Load.Counters["s5xx"]+int64(x.Check5xx))
		}
		p("| **median / total** | **%s** | %s | **%s** | **%.3f%%** | %.2f%% | | %d | **%.2f / %.2f / %.2f** | | – / %s | **%d / %d** | **%d** |", thousands(f.RPS), ms(f.P50Ms), ms(f.P99Ms), 100*f.HitRatio, 100*f.EdgeHitRatio, f.Edits, f.RendersPerPurge, f.StoresPerPurge, f.AppRendersPerPurge, ms(f.AckP99Ms), f.StaleReads, f.StaleApp, f.Errors5xx)
		p("")
		p("A read counts as a render when neither the edge (`X-Cache-Status` HIT/STALE/UPDATING/REVALIDATED) nor the app (`X-App-Cache` HIT-LOCAL/HIT-REDIS) had the page: wrk's Lua `response()` and the checker classify every response. \"Kept\" counts page writes to Redis (`INFO commandstats`); a render overtaken by a purge is served once with `no-store` and kept nowhere (\"uncacheable\"). \"App metric\" is the replica's own `dukaan_pagecache_renders_total` over `dukaan_pagecache_purges_total` from its `GET /metrics`. Each edit purges the %d pages that show the product (front page and product page). Other errors (connect/timeouts/4xx/failed edits): %d.", f.PagesPerPurge, f.OtherErrors)
		p("")
	}

	if or := r.Orders; or != nil {
		p("## 4. Order rush")
		p("")
		p("%d customers at once order one unit each of store-00002's hot product (stock reset to %d before each run) with `POST /order` through %s, each posting again as soon as answered, until the stock is gone; vegeta keeps exactly %d requests in flight. Orders/s is the stock over the time to sell it (to the last unit's 303, or the first \"sold out\" if sooner: the last order's answer waits for the sold-out purge). pgbench runs, in the same run against the same server at the same concurrency (`-c %d`), exactly the statements `storage.PlaceOrder` sends for a one-line order, in a scratch schema migrated by `dukaan migrate`, %d transactions per run.",
			or.Conc, or.Stock, or.Via, or.Conc, or.Conc, or.Stock)
		p("")
		p("| run | HTTP orders/s | p50 | p99 | successes (303) | sold out (422) | 5xx | sold units in the DB | stock after | oversold | pgbench tps | pgbench p50 | pgbench p99 |")
		p("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
		for i, h := range or.HTTP {
			g := PgbenchRun{}
			if i < len(or.PG) {
				g = or.PG[i]
			}
			p("| %d | %s | %s | %s | %d | %d | %d | %d | %d | %d | %s | %s | %s |", i+1, thousands(h.OrdersPerSec), ms(h.P50Ms), ms(h.P99Ms), h.Successes, h.SoldOut, h.Errors5xx, h.SoldUnits, h.StockAfter, h.Oversold, thousands(g.TPS), ms(g.P50Ms), ms(g.P99Ms))
		}
		p("| **median** | **%s** | %s | %s | | | | | | **%d** | **%s** | | %s |", thousands(or.OrdersPerSec), ms(or.P50Ms), ms(or.P99Ms), or.Oversold, thousands(or.PGTPS), ms(or.PGP99Ms))
		p("")
		p("**HTTP / pgbench = %.2f×.** For scale, the same server and clients with less work per transaction:", or.Ratio)
		p("")
		for _, f := range or.Floors {
			p("- pgbench, %s: %s tps (p99 %s)", f.Name, thousands(f.TPS), ms(f.P99Ms))
		}
		p("")
		p("The pgbench script:")
		p("")
		p("```sql")
		s.WriteString(or.Script)
		p("```")
		p("")
	}

	if sc := r.Scale; sc != nil {
		p("## 5. Scale: %s vs %s stores (× %d products)", thousands(float64(sc.Cases[0].Stores)), thousands(float64(sc.Cases[len(sc.Cases)-1].Stores)), sc.Products)
		p("")
		p("Cold renders with the caches off as in scenario 2, the front pages of the data set's stores in turn, wrk with %d connections (each request in flight on a different store, so none shares a render even with 10 stores); the two apps run side by side and their runs alternate; median of %d runs. RSS is `VmRSS` from `/proc/<pid>/status`.", r.Settings.ScaleConns, r.Settings.Runs)
		p("")
		p("| stores | cold render req/s | p50 | p99 | the app's count | RSS after start | RSS after the cold renders (peak) | RSS with every front page in the local tier | memory per cached page |")
		p("|---|---|---|---|---|---|---|---|---|")
		for _, c := range sc.Cases {
			perPage := ""
			if c.RSSPerPageKiB > 0 {
				perPage = fmt.Sprintf("%.1f KiB", c.RSSPerPageKiB)
			}
			p("| %s | %s | %s | %s | %s | %.0f MiB | %.0f MiB (%.0f) | %.0f MiB (%s pages) | %s |", thousands(float64(c.Stores)), thousands(c.Median.RPS), ms(c.Median.P50Ms), ms(c.Median.P99Ms), appCell(c.App), c.RSSIdleMiB, c.RSSAfterMiB, c.RSSPeakMiB, c.RSSCachedMiB, thousands(float64(c.CachedPages)), perPage)
		}
		p("")
		p("Memory per cached page is (RSS with every page cached − RSS of that app just started, %s) / pages; for comparison a front page is %s bytes uncompressed%s.", "DUKAAN_LOCAL_SIZE 10,000, no Redis", thousands(float64(r.PageBytes)), gzNote(r.PageGzipBytes))
		p("")
		p("p50 ratio: **%.2f×**; throughput ratio: %.2f×.", sc.P50Ratio, sc.RPSRatio)
		p("")
	}

	p("## Exact commands")
	p("")
	p("```sh")
	p("make bench            # = make build lab && bin/dukaan-lab bench $(BENCH_FLAGS)")
	p("make bench-profile    # the app tiers again, with CPU profiles (a -tags pprof build) → bench/out/profile/")
	p("bin/dukaan-lab bench -h   # every setting")
	p("```")
	p("")
	p("Settings of this run: %d stores × %d products (scale: %d and %d stores), wrk `-t %d -c %d`, warm-up %s, %d × %s per measurement, flash sale %d stores / %s / every %s, order rush %d units / %d customers, scale at %d connections, nginx `worker_processes %s`.",
		r.Settings.Stores, r.Settings.Products, r.Settings.ScaleSmall, r.Settings.ScaleLarge, r.Settings.Threads, r.Settings.Conns, r.Settings.Warmup, r.Settings.Runs, r.Settings.Duration,
		r.Settings.FlashStores, r.Settings.FlashDuration, r.Settings.EditEvery, r.Settings.RushStock, r.Settings.RushConns, r.Settings.ScaleConns, r.Settings.NginxWorkers)
	p("")
	p("The stack (`$WORK` is a temporary directory; the Lua scripts are `bench/lua/*.lua` with a generated first line):")
	p("")
	p("```sh")
	p("redis-server --port $REDIS_PORT --bind 127.0.0.1 --save '' --appendonly no")
	p("DUKAAN_ENV=%s DUKAAN_ADDR=127.0.0.1:0 DATABASE_URL='postgres://…/%s?search_path=%smain' REDIS_URL=redis://127.0.0.1:$REDIS_PORT/0 \\", r.Settings.AppEnv, r.Settings.Database, r.Settings.SchemaPrefix)
	p("  DUKAAN_EDGES=http://127.0.0.1:$EDGE_PORT DUKAAN_LOG_LEVEL=%s bin/dukaan serve", r.Settings.AppLogLevel)
	p("bin/dukaan edge --listen 127.0.0.1:$EDGE_PORT --upstream 127.0.0.1:$APP_PORT --dir $WORK/edge --workers %s", r.Settings.NginxWorkers)
	p("# tier apps: the same with DUKAAN_LOCAL_SIZE=0 (Redis tier), or without REDIS_URL and with DUKAAN_LOCAL_SIZE=0 (cold renders;")
	p("# DATABASE_URL=data/bench/sqlite-%dx%d.db for SQLite)", r.Settings.Stores, r.Settings.Products)
	p("bin/dukaan seed --stores N --products %d   # with DATABASE_URL of the schema", r.Settings.Products)
	p("```")
	p("")
	for _, kind := range []string{"wrk", "pgbench"} {
		if len(r.Commands[kind]) == 0 {
			continue
		}
		p("%s (first run of each measurement):", kind)
		p("")
		p("```sh")
		for _, c := range r.Commands[kind] {
			p("%s", c)
		}
		p("```")
		p("")
	}
	if strings.TrimSpace(notesMD) != "" {
		s.WriteString(notesMD)
		if !strings.HasSuffix(notesMD, "\n") {
			s.WriteString("\n")
		}
	}
	return s.String()
}

func gzNote(n int) string {
	if n == 0 {
		return ""
	}
	return fmt.Sprintf(" and %s gzip-compressed as the edge sends it", thousands(float64(n)))
}

func appCell(a *AppCount) string {
	if a == nil || a.Requests == 0 {
		return ""
	}
	var parts []string
	for _, x := range []struct {
		label string
		v     float64
	}{{"local hits", a.HitLocal}, {"Redis hits", a.HitRedis}, {"renders", a.Renders}} {
		if x.v > 0 {
			parts = append(parts, fmt.Sprintf("%s %.1f%%", x.label, 100*x.v/float64(a.Requests)))
		}
	}
	return strings.Join(parts, ", ") + " of requests"
}

func mixCell(w *Stat) string {
	if w == nil || w.Counters == nil {
		return ""
	}
	c := w.Counters
	total := float64(c["s2xx"] + c["s3xx"] + c["s4xx"] + c["s5xx"])
	if total == 0 {
		return ""
	}
	var parts []string
	for _, k := range []struct{ key, label string }{{"edge", "edge"}, {"app_local", "local"}, {"app_redis", "Redis"}, {"app_miss", "render"}, {"app_other", "static"}} {
		if c[k.key] > 0 {
			parts = append(parts, fmt.Sprintf("%s %.1f%%", k.label, 100*float64(c[k.key])/total))
		}
	}
	return strings.Join(parts, ", ")
}
