package main

// Helpers for the browser tests (browser_test.go): Debian's chromium,
// headless, driven with chromedp, in front of a real nginx edge. Every
// action runs under a deadline; a failed step leaves a screenshot, the
// page's HTML and the console in the output directory before the test
// fails; the browser and every process it started are gone when the test
// ends.

import (
	"context"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"dukaan/internal/proc"
	"dukaan/internal/testsvc"
	"dukaan/nginx/nginxtest"
	"dukaan/web"
)

const (
	// browserBudget bounds one browser scenario, browser start included;
	// TestBrowserShop runs two (SQLite, PostgreSQL) and stays under 100 s.
	// (42 s before the gallery and logo steps, which take about 4 s under
	// -race on a loaded machine.)
	browserBudget = 46 * time.Second
	// browserStepTimeout bounds one step (an action and its page load).
	browserStepTimeout = 15 * time.Second
)

// chromiumBin is the browser: $CHROMIUM_BIN, else chromium on PATH or in
// /usr/bin. Without one the test is skipped, or fails when CI=true.
func chromiumBin(t *testing.T) string {
	t.Helper()
	var candidates []string
	if b := os.Getenv("CHROMIUM_BIN"); b != "" {
		candidates = []string{b}
	} else {
		candidates = []string{"chromium", "/usr/bin/chromium", "chromium-browser", "google-chrome"}
	}
	for _, c := range candidates {
		if p, err := exec.LookPath(c); err == nil {
			return p
		}
	}
	msg := fmt.Sprintf("no browser found (tried %s; apt-get install chromium, or set CHROMIUM_BIN)", strings.Join(candidates, ", "))
	testsvc.Unavailable(t, "%s", msg)
	return ""
}

// browserOutDir is where a test's screenshots and failure dumps go:
// $DUKAAN_TEST_OUT/<test>, else test-output/browser/<test> at the root of
// the module (in .gitignore), emptied first so that nothing in it is from
// an earlier run.
func browserOutDir(t *testing.T) string {
	t.Helper()
	base := os.Getenv("DUKAAN_TEST_OUT")
	if base == "" {
		root, err := browserModuleRoot()
		if err != nil {
			t.Fatalf("browser output: %v (set DUKAAN_TEST_OUT)", err)
		}
		base = filepath.Join(root, "test-output", "browser")
	}
	dir, err := filepath.Abs(filepath.Join(base, strings.ReplaceAll(t.Name(), "/", "_")))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.RemoveAll(dir); err != nil {
		t.Fatalf("browser output: %v", err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatalf("browser output: %v", err)
	}
	t.Logf("browser output in %s", dir)
	return dir
}

// moduleRoot is the nearest directory upwards with a go.mod.
func browserModuleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod above the working directory")
		}
		dir = parent
	}
}

// ---------------------------------------------------------------------------
// The stack: the app on SQLite behind one nginx edge.

// browserStack is the app and its edge; browsers reach every host on the
// edge's port (http://<host>:<port>/).
type browserStack struct {
	app  *testApp
	edge *nginxtest.Edge
	port string
}

// startBrowserStack runs the app on a fresh database of dialect and an
// edge in front of it that serves the static files itself. The app purges
// the edge and trusts its port in Origin (DUKAAN_PUBLIC_PORT), as in
// production.
func startBrowserStack(t *testing.T, dialect string, env map[string]string) *browserStack {
	t.Helper()
	nginxtest.Require(t)
	edgeAddr := nginxtest.FreeAddr(t)
	_, port, _ := strings.Cut(edgeAddr, ":")
	environ := map[string]string{
		"DUKAAN_EDGES":       "http://" + edgeAddr,
		"DUKAAN_PUBLIC_PORT": ":" + port,
	}
	for k, v := range env {
		environ[k] = v
	}
	a := startApp(t, dialect, environ)
	e := nginxtest.StartWith(t, nginxtest.Options{Listen: edgeAddr, Upstreams: []string{a.addr}, Static: web.StaticFiles()})
	return &browserStack{app: a, edge: e, port: port}
}

// url is an address on host through the edge.
func (s *browserStack) url(host, path string) string {
	return "http://" + host + ":" + s.port + path
}

// ---------------------------------------------------------------------------
// The browser.

// browser is one chromium process; each tab is a browser context of its
// own (its own cookies), like two people on two phones.
type browserSession struct {
	t        *testing.T
	out      string
	deadline time.Time
	root     context.Context

	mu    sync.Mutex
	shots int
}

// startBrowser starts headless chromium with a fresh profile. Every host
// name resolves to 127.0.0.1, where the edge listens (Chromium, unlike Go,
// does its own resolving, so the store hosts of baseDomain need a rule).
// The browser is killed when t ends, and t fails if any of its processes
// outlived it.
func startBrowser(t *testing.T, out string) *browserSession {
	t.Helper()
	bin := chromiumBin(t)
	profile := t.TempDir() // removed after the cleanups below have run
	var output testsvc.LockedBuffer
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(bin),
		chromedp.UserDataDir(profile),
		chromedp.Headless,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("no-sandbox", true), // root, in a container
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-default-apps", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("disable-breakpad", true),
		chromedp.Flag("metrics-recording-only", true),
		chromedp.Flag("password-store", "basic"),
		chromedp.Flag("force-color-profile", "srgb"),
		// No upgrade of http:// navigations to https://: the edge speaks
		// plain HTTP, as behind a TLS-terminating load balancer.
		chromedp.Flag("disable-features", "HttpsUpgrades,HttpsFirstBalancedModeAutoEnable,Translate,MediaRouter,OptimizationHints"),
		chromedp.Flag("host-resolver-rules", "MAP *."+baseDomain+" 127.0.0.1, MAP "+baseDomain+" 127.0.0.1, EXCLUDE localhost"),
		chromedp.WindowSize(1280, 900),
		chromedp.CombinedOutput(&output),
	}
	ctx, cancel := context.WithTimeout(context.Background(), browserBudget)
	allocCtx, allocCancel := chromedp.NewExecAllocator(ctx, opts...)
	root, rootCancel := chromedp.NewContext(allocCtx, chromedp.WithLogf(t.Logf))
	b := &browserSession{t: t, out: out, deadline: time.Now().Add(browserBudget), root: root}

	stop := func() {
		// A graceful Browser.close first, for up to 5 s; then the context
		// ends, which kills the process, and allocCancel waits for it.
		closed := make(chan struct{})
		go func() { _ = chromedp.Cancel(root); close(closed) }()
		select {
		case <-closed:
		case <-time.After(5 * time.Second):
			t.Logf("chromium did not close within 5 s; killing it")
		}
		rootCancel()
		allocCancel()
		<-closed
		cancel()
		// Anything still running with our profile is an orphan: report it
		// and kill it (these are processes this test started).
		if pids := browserProcessesUsing(profile); len(pids) > 0 {
			for _, pid := range pids {
				_ = syscall.Kill(pid, syscall.SIGKILL)
			}
			t.Errorf("chromium left %d process(es) running after the test: %v", len(pids), pids)
		}
		if s := strings.TrimSpace(output.String()); s != "" && t.Failed() {
			_ = os.WriteFile(filepath.Join(out, "chromium-output.txt"), []byte(s+"\n"), 0o644)
		}
	}
	// Starting the browser is bound to ctx (the budget), not to a step.
	if err := chromedp.Do(root); err != nil {
		stop()
		t.Fatalf("starting %s: %v\n%s", bin, err, output.String())
	}
	t.Cleanup(stop)
	return b
}

// browserProcessesUsing are the pids whose command line has
// --user-data-dir=dir.
func browserProcessesUsing(dir string) []int {
	ps, _ := proc.Processes()
	var out []int
	for _, p := range ps {
		if p.Pid != os.Getpid() && slices.Contains(p.Args, "--user-data-dir="+dir) {
			out = append(out, p.Pid)
		}
	}
	return out
}

// tab is one page in a browser context of its own.
type browserTab struct {
	b    *browserSession
	name string
	ctx  context.Context

	mu      sync.Mutex
	console []string // every message, for the dumps
	errors  []string // console errors and uncaught exceptions
}

// newTab opens a tab in a fresh browser context, with a desktop viewport.
func (b *browserSession) newTab(name string) *browserTab {
	b.t.Helper()
	ctx, cancel := chromedp.NewContext(b.root, chromedp.WithNewBrowserContext())
	tb := &browserTab{b: b, name: name, ctx: ctx}
	done := make(chan struct{})
	b.t.Cleanup(func() {
		cancel()
		<-done
	})
	// The first Do on a context opens its tab and binds the tab's life to
	// the context it is given: ctx itself (bounded by the budget), never a
	// step's, whose end would close the tab.
	if err := chromedp.Do(ctx); err != nil {
		close(done)
		b.t.Fatalf("%s: opening the tab: %v", name, err)
	}
	// The console: messages, uncaught exceptions, and browser log entries
	// such as failed loads or CSP refusals, kept for the failure dump.
	messages := chromedp.Console(ctx)
	go func() {
		defer close(done)
		for m, err := range messages {
			if err != nil {
				return
			}
			line := fmt.Sprintf("%s %s:%d %s", m.Type, m.URL, m.Line+1, m.String())
			tb.mu.Lock()
			tb.console = append(tb.console, line)
			if m.Type == chromedp.ConsoleError || m.IsException() {
				tb.errors = append(tb.errors, line)
			}
			tb.mu.Unlock()
		}
	}()
	tb.do("desktop viewport", chromedp.EmulateViewport(1280, 900))
	return tb
}

// consoleLines is what the tab's console has printed so far.
func (tb *browserTab) consoleLines() []string {
	tb.mu.Lock()
	defer tb.mu.Unlock()
	return append([]string(nil), tb.console...)
}

// saveConsole writes the tab's console to console-<tab>.txt.
func (tb *browserTab) saveConsole() {
	tb.b.t.Helper()
	lines := tb.consoleLines()
	path := filepath.Join(tb.b.out, "console-"+tb.name+".txt")
	if err := os.WriteFile(path, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		tb.b.t.Errorf("saving the console: %v", err)
	}
	if len(lines) > 0 {
		tb.b.t.Logf("%s: %d console message(s) in %s", tb.name, len(lines), path)
	}
}

// consoleErrors are the console errors and uncaught exceptions so far.
func (tb *browserTab) consoleErrors() []string {
	tb.mu.Lock()
	defer tb.mu.Unlock()
	return append([]string(nil), tb.errors...)
}

// stepCtx bounds one step: browserStepTimeout, or less when the test's
// budget ends sooner.
func (tb *browserTab) stepCtx() (context.Context, context.CancelFunc) {
	d := min(browserStepTimeout, time.Until(tb.b.deadline))
	return context.WithTimeout(tb.ctx, d)
}

// do runs actions as one step; on error the test fails with a dump.
func (tb *browserTab) do(step string, actions ...chromedp.Action[chromedp.Void]) {
	tb.b.t.Helper()
	ctx, cancel := tb.stepCtx()
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		tb.fatalf(step, "%v", err)
	}
}

// browserRun runs one action that returns a value, as one step.
func browserRun[T any](tb *browserTab, step string, a chromedp.Action[T]) T {
	tb.b.t.Helper()
	ctx, cancel := tb.stepCtx()
	defer cancel()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		tb.fatalf(step, "%v", err)
	}
	return v
}

// browserEval evaluates a JavaScript expression in the page (promises awaited).
func browserEval[T any](tb *browserTab, step, js string) T {
	tb.b.t.Helper()
	return browserRun(tb, step, chromedp.Evaluate[T](js, chromedp.EvalAwaitPromise))
}

// navigate opens url, checks the document's status and returns the
// response's headers.
func (tb *browserTab) navigate(step, url string, status int64) map[string]string {
	tb.b.t.Helper()
	resp := browserRun(tb, step, chromedp.NavigateResponse(url))
	if resp.Status != status {
		tb.fatalf(step, "GET %s: status %d, want %d", url, resp.Status, status)
	}
	hdr := map[string]string{}
	for k, v := range resp.Headers {
		hdr[http.CanonicalHeaderKey(k)] = fmt.Sprint(v)
	}
	return hdr
}

// submit runs actions that end in a navigation (a click on a submit
// button, Enter in a form), waits for the page and checks where it landed
// and with what status.
func (tb *browserTab) submit(step string, status int64, wantPath string, actions ...chromedp.Action[chromedp.Void]) string {
	tb.b.t.Helper()
	ctx, cancel := tb.stepCtx()
	defer cancel()
	resp, err := chromedp.RunResponse(ctx, actions...)
	if err != nil {
		tb.fatalf(step, "%v", err)
	}
	loc := tb.path(step)
	if resp.Status != status || (wantPath != "" && !pathMatches(loc, wantPath)) {
		tb.fatalf(step, "landed on %s with status %d, want %s with %d", loc, resp.Status, wantPath, status)
	}
	return loc
}

// back presses the browser's Back button and waits until the previous
// page shows. chromedp.NavigateBack waits for a load event, which a page
// restored from the back/forward cache never fires; a user's Back restores
// it, so this goes to the history entry itself and waits for the page to
// be shown, restored or reloaded. It returns how: "restored" (from the
// back/forward cache) or "loaded".
func (tb *browserTab) back(step string) string {
	tb.b.t.Helper()
	hist := browserRun(tb, step, chromedp.NavigationEntries())
	if hist.CurrentIndex <= 0 {
		tb.fatalf(step, "no page to go back to")
	}
	prev := hist.Entries[hist.CurrentIndex-1]
	// Every page load resets this mark; a restored page keeps the one it
	// had when it was left, so set it now and look for it there.
	browserEval[bool](tb, step, `(() => { sessionStorage.setItem('dukaan-test-left', String(performance.timeOrigin)); return true; })()`)
	tb.do(step, chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := cdp.Call(ctx, t, page.NavigateToHistoryEntry, page.NavigateToHistoryEntryParams{EntryID: prev.ID})
		return err
	}))
	// Poll from here: the page that answers changes under a script.
	check := fmt.Sprintf(`(() => {
  if (location.href !== %q || document.readyState !== 'complete') return '';
  // A page the browser restored has the time origin of its first load,
  // before the page this Back left.
  return performance.timeOrigin < Number(sessionStorage.getItem('dukaan-test-left')) ? 'restored' : 'loaded';
})()`, prev.URL)
	ctx, cancel := tb.stepCtx()
	defer cancel()
	for {
		how, err := chromedp.Run(ctx, chromedp.Evaluate[string](check))
		if err == nil && how != "" {
			return how
		}
		select {
		case <-ctx.Done():
			tb.fatalf(step, "%s did not show again after Back (last: %q, %v)", prev.URL, how, err)
		case <-time.After(25 * time.Millisecond):
		}
	}
}

// pathMatches reports whether path is want, or starts with want when want
// ends in "*".
func pathMatches(path, want string) bool {
	if p, ok := strings.CutSuffix(want, "*"); ok {
		return strings.HasPrefix(path, p)
	}
	return path == want
}

// path is the page's path and query.
func (tb *browserTab) path(step string) string {
	tb.b.t.Helper()
	return browserEval[string](tb, step, `location.pathname + location.search`)
}

// text is the visible text of the first element sel matches, with runs of
// white space made one space.
func (tb *browserTab) text(step, sel string) string {
	tb.b.t.Helper()
	s := browserRun(tb, step, chromedp.Text(chromedp.CSS(sel)))
	return strings.Join(strings.Fields(s), " ")
}

// shot saves a full-page PNG of the tab as NN-name.png and logs its path.
func (tb *browserTab) shot(name string) string {
	tb.b.t.Helper()
	// From the top: a page scrolled by typing into a field lower down
	// would be captured with its sticky header drawn over the content.
	tb.do("scroll to the top", chromedp.Evaluate[chromedp.Void](`window.scrollTo(0, 0)`))
	png := browserRun(tb, "screenshot "+name, chromedp.FullScreenshot(100))
	return tb.save(name, png)
}

// save writes a screenshot as NN-name.png in the output directory.
func (tb *browserTab) save(name string, png []byte) string {
	tb.b.t.Helper()
	tb.b.mu.Lock()
	tb.b.shots++
	n := tb.b.shots
	tb.b.mu.Unlock()
	path := filepath.Join(tb.b.out, fmt.Sprintf("%02d-%s.png", n, name))
	if err := os.WriteFile(path, png, 0o644); err != nil {
		tb.b.t.Fatalf("screenshot %s: %v", name, err)
	}
	tb.b.t.Logf("screenshot: %s", path)
	return path
}

// shotViewport saves what the screen shows (not the whole page), for
// fixed and sticky parts such as the phone's cart bar.
func (tb *browserTab) shotViewport(name string) string {
	tb.b.t.Helper()
	png := browserRun(tb, "screenshot "+name, chromedp.CaptureScreenshot())
	return tb.save(name, png)
}

// fatalf fails the test at once, after dump.
func (tb *browserTab) fatalf(step, format string, args ...any) {
	tb.b.t.Helper()
	tb.b.t.Fatalf("%s: %s: %s\n%s", tb.name, step, fmt.Sprintf(format, args...), tb.dump(step))
}

// errorf fails the test and carries on, after dump.
func (tb *browserTab) errorf(step, format string, args ...any) {
	tb.b.t.Helper()
	tb.b.t.Errorf("%s: %s: %s\n%s", tb.name, step, fmt.Sprintf(format, args...), tb.dump(step))
}

// dump saves what the page looks like when a step fails: a screenshot,
// its HTML and its console, named after the tab and the step. It returns
// the paths, and the console, for the failure message.
func (tb *browserTab) dump(step string) string {
	base := filepath.Join(tb.b.out, "FAILED-"+tb.name+"-"+browserSanitize(step))
	var notes []string
	// A fresh deadline: the step's own may be what ran out.
	ctx, cancel := context.WithTimeout(tb.ctx, 5*time.Second)
	defer cancel()
	if loc, err := chromedp.Run(ctx, chromedp.Location()); err == nil {
		notes = append(notes, "page: "+loc)
	}
	if img, err := chromedp.Run(ctx, chromedp.FullScreenshot(100)); err == nil {
		if os.WriteFile(base+".png", img, 0o644) == nil {
			notes = append(notes, "screenshot: "+base+".png")
		}
	} else {
		notes = append(notes, "no screenshot: "+err.Error())
	}
	if html, err := chromedp.Run(ctx, chromedp.OuterHTML(chromedp.CSS("html"))); err == nil {
		if os.WriteFile(base+".html", []byte(html), 0o644) == nil {
			notes = append(notes, "html: "+base+".html")
		}
	}
	console := tb.consoleLines()
	if os.WriteFile(base+".console.txt", []byte(strings.Join(console, "\n")+"\n"), 0o644) == nil {
		notes = append(notes, "console: "+base+".console.txt")
	}
	if len(console) > 0 {
		notes = append(notes, "console:\n  "+strings.Join(console, "\n  "))
	}
	return strings.Join(notes, "\n")
}

func browserSanitize(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-':
			return r
		}
		return '_'
	}, s)
}

// ---------------------------------------------------------------------------
// Checks that run in the page.

// browserJSUnlabelled lists the rendered form controls with no label:
// no <label for>, no wrapping <label>, no aria-label, no aria-labelledby
// naming an element. A file input counts even when it is visually hidden
// behind a styled label.
const browserJSUnlabelled = `(() => {
  const bad = [];
  for (const el of document.querySelectorAll('input, select, textarea')) {
    if (el.type === 'hidden') continue;
    if (el.getClientRects().length === 0 && el.type !== 'file') continue;
    const byFor = el.id && Array.from(document.querySelectorAll('label[for]')).some(l => l.htmlFor === el.id && l.textContent.trim() !== '');
    const wrapped = el.closest('label') && el.closest('label').textContent.trim() !== '';
    const aria = (el.getAttribute('aria-label') || '').trim() !== '';
    const lb = (el.getAttribute('aria-labelledby') || '').split(/\s+/).filter(Boolean)
      .some(id => { const l = document.getElementById(id); return l && l.textContent.trim() !== ''; });
    if (!byFor && !wrapped && !aria && !lb) bad.push(el.outerHTML.slice(0, 160));
  }
  return bad;
})()`

// browserJSNoAlt lists the images with no alt attribute.
const browserJSNoAlt = `Array.from(document.images).filter(i => !i.hasAttribute('alt')).map(i => i.outerHTML.slice(0, 160))`

// browserJSLowContrast lists the rendered text below WCAG AA contrast:
// 4.5:1, or 3:1 for large text (24 px, or 18.66 px bold). The background
// is the nearest opaque background colour up the tree, with translucent
// layers blended over it (background images and gradients are not
// measured). Placeholders and disabled controls are left out.
const browserJSLowContrast = `(() => {
  const parse = c => {
    const m = c.match(/rgba?\(([^)]+)\)/);
    if (!m) return null;
    const p = m[1].split(/[ ,\/]+/).filter(Boolean).map(Number);
    return {r: p[0], g: p[1], b: p[2], a: p.length > 3 ? p[3] : 1};
  };
  const lum = c => {
    const f = v => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
    return 0.2126 * f(c.r) + 0.7152 * f(c.g) + 0.0722 * f(c.b);
  };
  const over = (top, bot) => ({r: top.r * top.a + bot.r * (1 - top.a), g: top.g * top.a + bot.g * (1 - top.a), b: top.b * top.a + bot.b * (1 - top.a), a: 1});
  const bgOf = el => {
    const layers = [];
    for (let e = el; e; e = e.parentElement) {
      const c = parse(getComputedStyle(e).backgroundColor);
      if (c && c.a > 0) { layers.push(c); if (c.a >= 1) break; }
    }
    let b = {r: 255, g: 255, b: 255, a: 1};
    for (let i = layers.length - 1; i >= 0; i--) b = over(layers[i], b);
    return b;
  };
  const out = [], seen = new Set();
  for (const el of document.querySelectorAll('body *')) {
    if (!el.getClientRects().length || el.closest('.visually-hidden, [disabled], [aria-hidden="true"]')) continue;
    const cs = getComputedStyle(el);
    if (cs.visibility === 'hidden' || Number(cs.opacity) === 0) continue;
    if (!Array.from(el.childNodes).some(n => n.nodeType === 3 && n.textContent.trim())) continue;
    const fg0 = parse(cs.color);
    if (!fg0) continue;
    const bg = bgOf(el), fg = over(fg0, bg);
    const l1 = lum(fg), l2 = lum(bg);
    const ratio = (Math.max(l1, l2) + 0.05) / (Math.min(l1, l2) + 0.05);
    const size = parseFloat(cs.fontSize), bold = Number(cs.fontWeight) >= 700;
    const need = size >= 24 || (bold && size >= 18.66) ? 3 : 4.5;
    const name = el.tagName.toLowerCase() + (typeof el.className === 'string' && el.className.trim() ? '.' + el.className.trim().split(/\s+/).join('.') : '');
    if (ratio < need && !seen.has(name + cs.color)) {
      seen.add(name + cs.color);
      out.push(ratio.toFixed(2) + ':1 (want ' + need + ') ' + name + ' "' + el.textContent.trim().slice(0, 30) + '" ' + cs.color + ' on rgb(' + [bg.r, bg.g, bg.b].map(Math.round).join(', ') + ')');
    }
  }
  return out;
})()`

// browserJSOverflow measures horizontal overflow: the document's scroll width
// against the viewport, and the widest elements that stick out.
const browserJSOverflow = `(() => {
  const w = window.innerWidth, sw = document.documentElement.scrollWidth;
  const out = [];
  if (sw > w) {
    for (const el of document.querySelectorAll('body *')) {
      const r = el.getBoundingClientRect();
      if (r.right > w + 0.5) out.push(el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') +
        (el.className && typeof el.className === 'string' ? '.' + el.className.trim().split(/\s+/).join('.') : '') +
        ' right=' + Math.round(r.right));
      if (out.length >= 8) break;
    }
  }
  return {innerWidth: w, scrollWidth: sw, culprits: out};
})()`

// browserOverflow is the result of browserJSOverflow.
type browserOverflow struct {
	InnerWidth  int      `json:"innerWidth"`
	ScrollWidth int      `json:"scrollWidth"`
	Culprits    []string `json:"culprits"`
}

// browserJSVisible reports whether the element sel matches is rendered
// and, once scrolled to, inside the viewport horizontally and not covered
// at its centre by something else (a sticky bar, say).
func browserJSVisible(sel string) string {
	return fmt.Sprintf(`(() => {
  const el = document.querySelector(%q);
  if (!el) return 'missing';
  el.scrollIntoView({block: 'center'});
  const r = el.getBoundingClientRect(), cs = getComputedStyle(el);
  if (r.width === 0 || r.height === 0 || cs.visibility === 'hidden' || cs.display === 'none' || Number(cs.opacity) === 0) return 'not rendered';
  if (r.left < 0 || r.right > window.innerWidth) return 'outside the viewport: left=' + r.left + ' right=' + r.right + ' width=' + window.innerWidth;
  const top = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
  if (top !== el && !el.contains(top)) return 'covered by ' + (top ? top.outerHTML.slice(0, 120) : 'nothing');
  return 'ok';
})()`, sel)
}

// browserJSImages waits for every <img> sel matches to finish loading and
// returns their src and natural size (0×0 for a broken image).
func browserJSImages(sel string) string {
	return fmt.Sprintf(`(async () => {
  const imgs = Array.from(document.querySelectorAll(%q));
  // Lazy images load once near the viewport: bring each there first.
  for (const i of imgs) i.scrollIntoView({block: 'center'});
  await Promise.all(imgs.map(i => i.complete ? null : new Promise(r => {
    i.addEventListener('load', r, {once: true});
    i.addEventListener('error', r, {once: true});
  })));
  window.scrollTo(0, 0);
  return imgs.map(i => ({src: i.getAttribute('src'), current: i.currentSrc, w: i.naturalWidth, h: i.naturalHeight, alt: i.getAttribute('alt')}));
})()`, sel)
}

// browserImage is one entry of browserJSImages.
type browserImage struct {
	Src     string  `json:"src"`
	Current string  `json:"current"`
	W       int     `json:"w"`
	H       int     `json:"h"`
	Alt     *string `json:"alt"`
}

// ---------------------------------------------------------------------------
// Test images.

// browserGradientPNG writes a w×h PNG with a diagonal gradient from one
// colour to another, a product photo stand-in with real content to
// resize, and returns its path.
func browserGradientPNG(t *testing.T, dir, name string, w, h int, from, to color.RGBA) string {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			f := (float64(x)/float64(w) + float64(y)/float64(h)) / 2
			// A soft circle in the middle, so resizing has an edge to keep.
			dx, dy := float64(x-w/2), float64(y-h/2)
			if math.Hypot(dx, dy) < float64(min(w, h))/4 {
				f = 1 - f
			}
			mix := func(a, b uint8) uint8 { return uint8(float64(a)*(1-f) + float64(b)*f) }
			img.SetRGBA(x, y, color.RGBA{mix(from.R, to.R), mix(from.G, to.G), mix(from.B, to.B), 255})
		}
	}
	path := filepath.Join(dir, name)
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := png.Encode(f, img); err != nil {
		f.Close()
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}
