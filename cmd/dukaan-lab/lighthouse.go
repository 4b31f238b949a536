package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"time"

	"dukaan/app"
	"dukaan/stack"
	"dukaan/storage"
	"dukaan/storage/images"
)

// lighthouseOptions are the flags of `dukaan-lab lighthouse`.
type lighthouseOptions struct {
	binary     string
	dir        string
	lighthouse string // the lighthouse CLI (internal/lighthouse, npm ci)
	chrome     string // CHROME_PATH
	runs       int
	out        string // raw scores, JSON
	markdown   string // the scores table
	postgres   string
	redis      string
	photos     bool          // give every demo product a generated photo
	timeout    time.Duration // the whole command
	runTimeout time.Duration // one Lighthouse run
}

// runLighthouse is `dukaan-lab lighthouse` (make lighthouse): the demo shop
// on the stack's topology cut to one replica and one edge, a category
// added when the demo has none, then Lighthouse (mobile preset, its
// default) on the front page, a category page and a product page through
// the edge, -runs times each; it writes the raw scores and the medians.
// Everything it starts stops when it returns, and it is bounded by
// -timeout.
func runLighthouse(ctx context.Context, args []string, out io.Writer) error {
	o := lighthouseOptions{
		binary: appBinary(), dir: "data/lighthouse",
		lighthouse: "internal/lighthouse/node_modules/.bin/lighthouse", chrome: "/usr/bin/chromium",
		runs: 3, out: "bench/out/lighthouse.json", markdown: "LIGHTHOUSE.md",
		postgres: "auto", redis: "auto", photos: true, timeout: 20 * time.Minute, runTimeout: 3 * time.Minute,
	}
	fs := flag.NewFlagSet("lighthouse", flag.ContinueOnError)
	fs.SetOutput(out)
	fs.Usage = func() {
		fmt.Fprintln(out, "usage: dukaan-lab lighthouse [flags]\n\nLighthouse (mobile) on the demo shop's front, category and product pages through an nginx edge.\nNeeds `cd internal/lighthouse && npm ci`, chromium, nginx, and what `make stack` needs.\n\nFlags:")
		fs.PrintDefaults()
	}
	fs.StringVar(&o.binary, "binary", o.binary, "the dukaan binary the app and the edge run")
	fs.StringVar(&o.dir, "dir", o.dir, "configurations, logs, caches and the Lighthouse reports")
	fs.StringVar(&o.lighthouse, "lighthouse", o.lighthouse, "the Lighthouse CLI")
	fs.StringVar(&o.chrome, "chrome", o.chrome, "the Chromium Lighthouse drives (CHROME_PATH)")
	fs.IntVar(&o.runs, "runs", o.runs, "Lighthouse runs per page (the table shows the median)")
	fs.StringVar(&o.out, "out", o.out, "raw category scores of every run (JSON)")
	fs.StringVar(&o.markdown, "markdown", o.markdown, "the scores table (Markdown); empty for none")
	fs.StringVar(&o.postgres, "postgres", o.postgres, `"auto", "private", or a postgres:// URL (as for dukaan-lab stack)`)
	fs.StringVar(&o.redis, "redis", o.redis, `"auto", "private", or a redis:// URL`)
	fs.BoolVar(&o.photos, "photos", o.photos, "give every demo product a generated photo (the demo seed has none), so the image audits measure something")
	fs.DurationVar(&o.timeout, "timeout", o.timeout, "bound of the whole command")
	fs.DurationVar(&o.runTimeout, "run-timeout", o.runTimeout, "bound of one Lighthouse run")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("lighthouse: unexpected arguments %q", fs.Args())
	}
	if o.runs < 1 {
		return fmt.Errorf("lighthouse: -runs %d: want at least 1", o.runs)
	}
	for _, bin := range []string{o.lighthouse, o.chrome} {
		if _, err := os.Stat(bin); err != nil {
			return fmt.Errorf("lighthouse: %w (the CLI comes from `cd internal/lighthouse && npm ci`)", err)
		}
	}
	ctx, cancel := context.WithTimeout(ctx, o.timeout)
	defer cancel()

	so := stack.Defaults()
	so.Binary, so.DataDir = o.binary, filepath.Join(o.dir, "stack")
	so.Postgres, so.Redis = o.postgres, o.redis
	so.Database, so.DropDatabase = "dukaan_lighthouse", true
	so.RedisPrefix = "dukaan_lighthouse:"
	// One replica and one edge: the path a page takes is the same, and
	// the fewer processes the less they take from the browser's CPU.
	so.Entry, so.Prometheus = 0, 0
	so.Apps, so.Edges, so.Mtail, so.Exporters = []int{0}, []int{0}, []int{0}, []int{0}
	so.ScrapeInterval = time.Minute
	so.Log = out
	fmt.Fprintln(out, "Starting the app and its edge…")
	s, err := stack.Start(ctx, so)
	if err != nil {
		return err
	}
	defer func() {
		if err := s.Close(); err != nil {
			fmt.Fprintln(out, "stopping the stack:", err)
		}
	}()

	pages, err := lighthousePages(ctx, s, o.photos)
	if err != nil {
		return err
	}
	// Each page through the edge a few times, so every run measures the
	// edge's copy (the state a visitor meets), not a first render.
	client := loopbackClient(strings.TrimPrefix(s.Entry, "http://"))
	for range 3 {
		for _, p := range pages {
			if err := warm(ctx, client, p.URL); err != nil {
				return err
			}
		}
	}
	rep := lighthouseReport{
		Started: time.Now().UTC(), Machine: machine(), LoadBefore: loadAverage(),
		Lighthouse: o.lighthouse, Chromium: commandLine(ctx, o.chrome, "--version"),
		Node: commandLine(ctx, "node", "--version"), Runs: o.runs,
	}
	reports := filepath.Join(o.dir, "reports")
	if err := os.MkdirAll(reports, 0o755); err != nil {
		return err
	}
	for i := range pages {
		p := &pages[i]
		for n := 1; n <= o.runs; n++ {
			path := filepath.Join(reports, fmt.Sprintf("%s-%d.json", p.Name, n))
			began := time.Now()
			r, err := o.run(ctx, p.URL, path)
			if err != nil {
				return fmt.Errorf("lighthouse %s run %d: %w", p.Name, n, err)
			}
			if rep.Version == "" {
				rep.Version, rep.FormFactor, rep.Throttling, rep.HTTPS = r.Version, r.FormFactor, r.Throttling, r.HTTPS
			}
			p.Runs = append(p.Runs, r.Scores)
			p.Metrics = append(p.Metrics, r.Metrics)
			p.Below = mergeBelow(p.Below, r.Below)
			fmt.Fprintf(out, "%-9s run %d: %s (%s)\n", p.Name, n, r.Scores, time.Since(began).Round(time.Second))
		}
		p.Median = medianScores(p.Runs)
	}
	rep.LoadAfter = loadAverage()
	rep.Pages = pages
	if err := writeJSON(o.out, rep); err != nil {
		return err
	}
	fmt.Fprintln(out, "wrote", o.out)
	if o.markdown != "" {
		if err := os.WriteFile(o.markdown, []byte(rep.markdown()), 0o644); err != nil {
			return err
		}
		fmt.Fprintln(out, "wrote", o.markdown)
	}
	return nil
}

// lighthousePage is one page measured and its scores.
type lighthousePage struct {
	Name    string    `json:"name"`
	URL     string    `json:"url"`
	Runs    []scores  `json:"runs"`
	Metrics []metrics `json:"metrics"` // of each run
	Median  scores    `json:"median"`
	// Below lists the audits that scored under 1 in any run (the
	// performance ones too), with how many runs they did.
	Below map[string]belowAudit `json:"below,omitempty"`
}

type belowAudit struct {
	Title string  `json:"title"`
	Runs  int     `json:"runs"`
	Score float64 `json:"score"` // the lowest
}

// scores are Lighthouse's category scores, 0–100.
type scores struct {
	Performance   int `json:"performance"`
	Accessibility int `json:"accessibility"`
	BestPractices int `json:"best_practices"`
	SEO           int `json:"seo"`
}

func (s scores) String() string {
	return fmt.Sprintf("performance %d, accessibility %d, best practices %d, SEO %d",
		s.Performance, s.Accessibility, s.BestPractices, s.SEO)
}

type lighthouseReport struct {
	Started    time.Time        `json:"started"`
	Version    string           `json:"lighthouse_version"`
	Lighthouse string           `json:"lighthouse"`
	Chromium   string           `json:"chromium"`
	Node       string           `json:"node"`
	Machine    string           `json:"machine"`
	LoadBefore string           `json:"load_before"`
	LoadAfter  string           `json:"load_after"`
	FormFactor string           `json:"form_factor"`
	Throttling string           `json:"throttling"`
	Runs       int              `json:"runs_per_page"`
	Pages      []lighthousePage `json:"pages"`
	HTTPS      []httpsAudit     `json:"https_audits"` // of the first run
}

// lighthousePages are the three pages, through the entry (the edge). The
// demo seed has no category: two are added, with the dry goods and the
// spices in them, and with photos every product gets one, straight in the
// database and the stack's image directory (the app's purge jobs clear
// what it cached).
func lighthousePages(ctx context.Context, s *stack.Stack, photos bool) ([]lighthousePage, error) {
	db, err := storage.Open(ctx, storage.Config{DSN: s.DatabaseURL})
	if err != nil {
		return nil, err
	}
	defer db.Close()
	v, err := db.VendorBySlug(ctx, storage.DemoSlug)
	if err != nil {
		return nil, fmt.Errorf("the demo store: %w", err)
	}
	cats, err := db.Categories(ctx, v.ID)
	if err != nil {
		return nil, err
	}
	products, _, err := db.Products(ctx, app.ProductFilter{VendorID: v.ID, OnSaleOnly: true})
	if err != nil {
		return nil, err
	}
	if len(products) == 0 {
		return nil, errors.New("the demo store has no product on sale")
	}
	if photos {
		store, err := images.NewDir(s.ImageDir)
		if err != nil {
			return nil, err
		}
		im := images.New(store, 0)
		for i, p := range products {
			if p.Image != "" {
				continue
			}
			key, err := im.Save(ctx, v.ID, bytes.NewReader(demoPhoto(i)))
			if err != nil {
				return nil, fmt.Errorf("a photo for %q: %w", p.Name, err)
			}
			stock := p.Stock
			in := app.ProductInput{Name: p.Name, Description: p.Description, MRP: p.MRP, Price: p.Price,
				Stock: stock, StockWas: &stock, Available: p.Available, Image: &key}
			if p, err = db.UpdateProduct(ctx, v.ID, p.ID, in); err != nil {
				return nil, fmt.Errorf("a photo for %q: %w", p.Name, err)
			}
			products[i] = p
		}
	}
	if len(cats) == 0 {
		for _, c := range []struct {
			name  string
			words []string
		}{
			{"Dal, rice & atta", []string{"dal", "rice", "atta"}},
			{"Spices & masala", []string{"masala", "methi", "chilli"}},
		} {
			cat, err := db.CreateCategory(ctx, v.ID, app.CategoryInput{Name: c.name})
			if err != nil {
				return nil, err
			}
			cats = append(cats, cat)
			for _, p := range products {
				if !slices.ContainsFunc(c.words, func(w string) bool { return strings.Contains(strings.ToLower(p.Name), w) }) {
					continue
				}
				stock := p.Stock
				id := cat.ID
				in := app.ProductInput{Name: p.Name, Description: p.Description, MRP: p.MRP, Price: p.Price,
					Stock: stock, StockWas: &stock, Available: p.Available, CategoryID: &id}
				if _, err := db.UpdateProduct(ctx, v.ID, p.ID, in); err != nil {
					return nil, fmt.Errorf("moving %q into %q: %w", p.Name, c.name, err)
				}
			}
		}
		// The purge jobs those changes wrote run on the app within its
		// poll interval; nothing was cached yet, but wait them out.
		time.Sleep(time.Second)
	}
	shop := s.ShopURL()
	return []lighthousePage{
		{Name: "front", URL: shop + "/"},
		{Name: "category", URL: shop + "/c/" + cats[0].Slug},
		{Name: "product", URL: fmt.Sprintf("%s/p/%d", shop, products[0].ID)},
	}, nil
}

// loopbackClient dials addr whatever the URL's host: Go's resolver does
// not map <store>.localhost to loopback, as Chromium does.
func loopbackClient(addr string) *http.Client {
	var d net.Dialer
	return &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{
		DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
			return d.DialContext(ctx, network, addr)
		},
	}}
}

// demoPhoto is a 1200×1200 JPEG a camera could have taken, as far as the
// resizer and the byte counts go: a lit object (a disc, its colour by i)
// on a gradient, with sensor-like noise so it does not compress to nothing.
func demoPhoto(i int) []byte {
	const n = 1200
	img := image.NewRGBA(image.Rect(0, 0, n, n))
	rng := rand.New(rand.NewPCG(uint64(i), 7))
	hue := [][3]float64{{200, 120, 40}, {180, 60, 50}, {220, 180, 60}, {120, 150, 70}, {150, 90, 140}, {90, 120, 170}}[i%6]
	for y := range n {
		for x := range n {
			dx, dy := float64(x-n/2), float64(y-n/2)
			inside := dx*dx+dy*dy < float64(n*n)/9
			light := 0.6 + 0.4*float64(n-y)/n
			var c [3]float64
			if inside {
				shade := 0.7 + 0.3*(1-(dx+dy)/float64(n))
				for k := range c {
					c[k] = hue[k] * shade
				}
			} else {
				for k := range c {
					c[k] = 235 * light
				}
			}
			noise := rng.NormFloat64() * 3
			px := color.RGBA{A: 255}
			for k, dst := range []*uint8{&px.R, &px.G, &px.B} {
				*dst = uint8(max(0, min(255, c[k]+noise)))
			}
			img.SetRGBA(x, y, px)
		}
	}
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: 85}); err != nil {
		panic(err) // a bytes.Buffer does not fail
	}
	return b.Bytes()
}

// warm GETs url as a browser would (gzip), expecting 200.
func warm(ctx context.Context, client *http.Client, url string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Accept-Encoding", "gzip")
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	_, err = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	return err
}

// lighthouseRun is what one report says.
type lighthouseRun struct {
	Version    string
	FormFactor string // "mobile": the preset actually used
	Throttling string // "simulate"
	Scores     scores
	Metrics    metrics
	Below      map[string]belowAudit
	HTTPS      []httpsAudit
}

// metrics are the five metrics the performance score is made of.
type metrics struct {
	FCP float64 `json:"fcp_ms"`
	LCP float64 `json:"lcp_ms"`
	TBT float64 `json:"tbt_ms"`
	CLS float64 `json:"cls"`
	SI  float64 `json:"speed_index_ms"`
}

// httpsAudits are the best-practices audits about HTTPS and the headers
// that ride on it: plain HTTP on loopback is what the lab serves, so the
// report says how each of them was scored.
var httpsAudits = []string{"is-on-https", "redirects-http", "has-hsts", "csp-xss",
	"clickjacking-mitigation", "origin-isolation", "trusted-types-xss"}

// httpsAudit is how one of them came out: its mode ("binary",
// "notApplicable", "informative"), score and weight in its category.
type httpsAudit struct {
	ID     string   `json:"id"`
	Mode   string   `json:"mode"`
	Score  *float64 `json:"score"`
	Weight float64  `json:"weight"`
}

// run is one Lighthouse run on url, its JSON report written to path. The
// CLI runs in a process group of its own, so a run past -run-timeout is
// killed with the Chromium it launched.
func (o lighthouseOptions) run(ctx context.Context, url, path string) (lighthouseRun, error) {
	ctx, cancel := context.WithTimeout(ctx, o.runTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, o.lighthouse, url,
		"--output=json", "--output-path="+path, "--quiet",
		"--only-categories=performance,accessibility,best-practices,seo",
		// Headless, and no sandbox: `make lighthouse` may run as root.
		"--chrome-flags=--headless=new --no-sandbox",
	)
	cmd.Env = append(os.Environ(), "CHROME_PATH="+o.chrome)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return lighthouseRun{}, fmt.Errorf("%w: %s", err, strings.TrimSpace(stderr.String()))
	}
	return readLighthouse(path)
}

// readLighthouse reads the parts of a Lighthouse JSON report (the "LHR")
// the table needs.
func readLighthouse(path string) (lighthouseRun, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return lighthouseRun{}, err
	}
	var lhr struct {
		LighthouseVersion string `json:"lighthouseVersion"`
		RuntimeError      *struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"runtimeError"`
		ConfigSettings struct {
			FormFactor       string `json:"formFactor"`
			ThrottlingMethod string `json:"throttlingMethod"`
		} `json:"configSettings"`
		Categories map[string]struct {
			Score     *float64 `json:"score"`
			AuditRefs []struct {
				ID     string  `json:"id"`
				Weight float64 `json:"weight"`
			} `json:"auditRefs"`
		} `json:"categories"`
		Audits map[string]struct {
			Title        string   `json:"title"`
			Score        *float64 `json:"score"`
			Mode         string   `json:"scoreDisplayMode"`
			NumericValue float64  `json:"numericValue"`
		} `json:"audits"`
	}
	if err := json.Unmarshal(raw, &lhr); err != nil {
		return lighthouseRun{}, fmt.Errorf("%s: %w", path, err)
	}
	if lhr.RuntimeError != nil {
		return lighthouseRun{}, fmt.Errorf("%s: %s: %s", path, lhr.RuntimeError.Code, lhr.RuntimeError.Message)
	}
	score := func(id string) (int, error) {
		c, ok := lhr.Categories[id]
		if !ok || c.Score == nil {
			return 0, fmt.Errorf("%s: no score for %s", path, id)
		}
		return int(*c.Score*100 + 0.5), nil
	}
	var r lighthouseRun
	r.Version = lhr.LighthouseVersion
	r.FormFactor, r.Throttling = lhr.ConfigSettings.FormFactor, lhr.ConfigSettings.ThrottlingMethod
	r.Metrics = metrics{
		FCP: lhr.Audits["first-contentful-paint"].NumericValue, LCP: lhr.Audits["largest-contentful-paint"].NumericValue,
		TBT: lhr.Audits["total-blocking-time"].NumericValue, CLS: lhr.Audits["cumulative-layout-shift"].NumericValue,
		SI: lhr.Audits["speed-index"].NumericValue,
	}
	for _, ref := range lhr.Categories["best-practices"].AuditRefs {
		if slices.Contains(httpsAudits, ref.ID) {
			a := lhr.Audits[ref.ID]
			r.HTTPS = append(r.HTTPS, httpsAudit{ID: ref.ID, Mode: a.Mode, Score: a.Score, Weight: ref.Weight})
		}
	}
	var errs []error
	for id, dst := range map[string]*int{"performance": &r.Scores.Performance, "accessibility": &r.Scores.Accessibility,
		"best-practices": &r.Scores.BestPractices, "seo": &r.Scores.SEO} {
		n, err := score(id)
		errs = append(errs, err)
		*dst = n
	}
	r.Below = map[string]belowAudit{}
	for _, c := range lhr.Categories {
		for _, ref := range c.AuditRefs {
			a := lhr.Audits[ref.ID]
			if a.Score == nil || *a.Score >= 1 || (a.Mode != "binary" && a.Mode != "numeric" && a.Mode != "metricSavings") {
				continue
			}
			r.Below[ref.ID] = belowAudit{Title: a.Title, Runs: 1, Score: *a.Score}
		}
	}
	return r, errors.Join(errs...)
}

func mergeBelow(into, more map[string]belowAudit) map[string]belowAudit {
	if into == nil {
		into = map[string]belowAudit{}
	}
	for id, a := range more {
		if b, ok := into[id]; ok {
			a.Runs += b.Runs
			a.Score = min(a.Score, b.Score)
		}
		into[id] = a
	}
	return into
}

// medianScores is each category's median over the runs (the lower middle
// one for an even count).
func medianScores(runs []scores) scores {
	med := func(get func(scores) int) int {
		v := make([]int, len(runs))
		for i, r := range runs {
			v[i] = get(r)
		}
		slices.Sort(v)
		return v[(len(v)-1)/2]
	}
	return scores{
		Performance:   med(func(s scores) int { return s.Performance }),
		Accessibility: med(func(s scores) int { return s.Accessibility }),
		BestPractices: med(func(s scores) int { return s.BestPractices }),
		SEO:           med(func(s scores) int { return s.SEO }),
	}
}

func writeJSON(path string, v any) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}

// machine is the CPU model and count.
func machine() string {
	model := runtime.GOARCH
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				model = strings.TrimSpace(v)
				break
			}
		}
	}
	return fmt.Sprintf("%s, %d CPUs", model, runtime.NumCPU())
}

// loadAverage is /proc/loadavg's 1, 5 and 15 minute averages.
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}

func commandLine(ctx context.Context, bin string, args ...string) string {
	out, err := exec.CommandContext(ctx, bin, args...).Output()
	if err != nil {
		return "unknown"
	}
	return strings.TrimSpace(string(out))
}

// markdown is LIGHTHOUSE.md: the medians, every run, and what scored
// below 1.
func (r lighthouseReport) markdown() string {
	var b strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	p("# Lighthouse\n\n")
	p("Generated by `make lighthouse` (`dukaan-lab lighthouse`, cmd/dukaan-lab/lighthouse.go) on %s; do not edit by hand.\n\n", r.Started.Format("2006-01-02 15:04 UTC"))
	p("Lighthouse %s (internal/lighthouse), form factor %s (its default preset: an emulated phone, throttling %q: slow 4G and a 4× CPU slowdown, simulated), driving %s headless; Node.js %s. ", r.Version, r.FormFactor, r.Throttling, r.Chromium, r.Node)
	p("The demo shop through an nginx edge on loopback (one app replica, PostgreSQL, Redis), plain HTTP; each page warmed into the edge first. ")
	p("Machine: %s; load average (1, 5, 15 min) %s before the runs, %s after. Throttled performance on a loaded machine is noisy: each cell is the median of %d runs.\n\n", r.Machine, r.LoadBefore, r.LoadAfter, r.Runs)
	p("| page | performance | accessibility | best practices | SEO |\n|---|--:|--:|--:|--:|\n")
	for _, pg := range r.Pages {
		m := pg.Median
		p("| %s (`%s`) | %d | %d | %d | %d |\n", pg.Name, path(pg.URL), m.Performance, m.Accessibility, m.BestPractices, m.SEO)
	}
	p("\nEvery run (performance / accessibility / best practices / SEO):\n\n")
	for _, pg := range r.Pages {
		runs := make([]string, len(pg.Runs))
		for i, s := range pg.Runs {
			runs[i] = fmt.Sprintf("%d / %d / %d / %d", s.Performance, s.Accessibility, s.BestPractices, s.SEO)
		}
		p("- %s: %s\n", pg.Name, strings.Join(runs, "; "))
	}
	p("\nThe performance metrics of every run (FCP, LCP, TBT, CLS, Speed Index):\n\n")
	for _, pg := range r.Pages {
		runs := make([]string, len(pg.Metrics))
		for i, m := range pg.Metrics {
			runs[i] = fmt.Sprintf("%.0f ms, %.0f ms, %.0f ms, %.3f, %.0f ms", m.FCP, m.LCP, m.TBT, m.CLS, m.SI)
		}
		p("- %s: %s\n", pg.Name, strings.Join(runs, "; "))
	}
	p("\nHTTPS on loopback: the lab serves plain HTTP. Chromium counts `*.localhost` as a secure origin, and so does Lighthouse's `is-on-https`; the other HTTPS and header audits of best practices score as follows (weight 0 does not count towards the score):\n\n")
	for _, a := range r.HTTPS {
		score := "none"
		if a.Score != nil {
			score = fmt.Sprintf("%.0f", *a.Score)
		}
		p("- `%s`: %s, score %s, weight %g\n", a.ID, a.Mode, score, a.Weight)
	}
	p("\nAudits that scored below 1 in any run (the lowest score, and in how many of the %d runs):\n\n", r.Runs)
	any := false
	for _, pg := range r.Pages {
		ids := make([]string, 0, len(pg.Below))
		for id := range pg.Below {
			ids = append(ids, id)
		}
		slices.Sort(ids)
		for _, id := range ids {
			a := pg.Below[id]
			p("- %s: `%s` (%s): %.2f, %d of %d\n", pg.Name, id, a.Title, a.Score, a.Runs, r.Runs)
			any = true
		}
	}
	if !any {
		p("- none\n")
	}
	p("\nThe raw scores of every run are in bench/out/lighthouse.json; the full reports in data/lighthouse/reports.\n")
	return b.String()
}

// path is url without its scheme and host.
func path(url string) string {
	rest := url[strings.Index(url, "//")+2:]
	if i := strings.IndexByte(rest, '/'); i >= 0 {
		return rest[i:]
	}
	return "/"
}
