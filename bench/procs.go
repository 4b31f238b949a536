package bench

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	iproc "dukaan/internal/proc"
	"dukaan/nginx"
)

// proc is one child process of the bench (internal/proc): its own process
// group (so that stopping it also stops what it started, e.g. `dukaan
// edge`'s nginx), its output in a log file, and SIGTERM if the bench itself
// dies.
type proc = iproc.Proc

// spawn starts bin with args and env (added to a cleaned copy of ours).
// Each line of stdout is passed to onLine, if given, as well as logged.
func (b *runner) spawn(name string, env []string, onLine func(string), bin string, args ...string) (*proc, error) {
	logPath := filepath.Join(b.work, "logs", name+".log")
	if err := os.MkdirAll(filepath.Dir(logPath), 0o755); err != nil {
		return nil, err
	}
	p, err := iproc.Start(iproc.Spec{
		Name: name, Bin: bin, Args: args, Env: append(childEnv(), env...),
		Log: logPath, OnLine: onLine,
	})
	if err != nil {
		return nil, err
	}
	b.mu.Lock()
	b.procs = append(b.procs, p)
	b.mu.Unlock()
	return p, nil
}

// childEnv is our environment without the settings a child must only get
// from us (internal/proc.ChildEnv): an app must not pick up the
// developer's DATABASE_URL, and the bench decides every DUKAAN_ setting of
// the apps it measures, so none of the shell's pass through.
func childEnv() []string { return iproc.ChildEnv(os.Environ(), "DUKAAN_*") }

// freeAddr is a loopback address that was free a moment ago. Only used
// where a port must be known before its server starts (the edge, which the
// app must be told about).
var freeAddr = iproc.FreeAddr

var randomHex = iproc.RandomHex

// waitFor polls check every 20 ms until it succeeds, p exits, or timeout.
func waitFor(ctx context.Context, p *proc, timeout time.Duration, what string, check func() error) error {
	return iproc.Await(ctx, p, timeout, 20*time.Millisecond, what, check)
}

// httpOK is a check that GET url answers 200.
var httpOK = iproc.HTTPOK

// ---------------------------------------------------------------------------
// Redis: a private server, so the bench never flushes or fills the shared one.

type redisServer struct {
	proc *proc
	addr string
}

func (b *runner) startRedis(ctx context.Context) (*redisServer, error) {
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	_, portText, _ := net.SplitHostPort(addr)
	port, _ := strconv.Atoi(portText)
	dir := filepath.Join(b.work, "redis")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	p, err := b.spawn("redis", nil, nil, b.bins.redis, iproc.RedisArgs(port, dir, "--maxclients", "10000")...)
	if err != nil {
		return nil, err
	}
	err = waitFor(ctx, p, 10*time.Second, "redis-server", func() error { return iproc.PingRedis(addr) })
	if err != nil {
		return nil, err
	}
	return &redisServer{proc: p, addr: addr}, nil
}

// ---------------------------------------------------------------------------
// The app: `dukaan serve` from the binary under test.

// localOff asks for an app without the in-process tier
// (DUKAAN_LOCAL_SIZE=0).
const localOff = -1

// appSpec is one app process's settings.
type appSpec struct {
	name       string
	database   string // DATABASE_URL
	redis      string // REDIS_URL; empty for none
	edges      []string
	localSize  int // DUKAAN_LOCAL_SIZE; 0 keeps the default, localOff turns it off
	publicPort string
	env        []string // more settings, KEY=value
}

type appProc struct {
	proc  *proc
	addr  string // 127.0.0.1:port
	spec  appSpec
	pprof string // DUKAAN_PPROF_ADDR when profiling
}

// URL is the app's base URL.
func (a *appProc) URL() string { return "http://" + a.addr }

var runningRE = regexp.MustCompile(`Dukaan is running .* on (127\.0\.0\.1:\d+)`)

// appEnv is the environment every dukaan child gets: throwaway secrets,
// no demo store, the bench's log level, and what the spec asks for.
func (b *runner) appEnv(s appSpec) []string {
	env := []string{
		"DUKAAN_ENV=" + b.opts.AppEnv,
		"DUKAAN_ADDR=127.0.0.1:0",
		"DUKAAN_BASE_DOMAIN=" + b.opts.Domain,
		"DUKAAN_SECRET=" + b.secret,
		"DUKAAN_PURGE_TOKEN=" + b.purgeToken,
		"DUKAAN_SEED_DEMO=false",
		"DUKAAN_LOG_LEVEL=" + b.opts.AppLogLevel,
		"DATABASE_URL=" + s.database,
	}
	if s.redis != "" {
		env = append(env, "REDIS_URL=redis://"+s.redis+"/0")
	}
	if len(s.edges) > 0 {
		env = append(env, "DUKAAN_EDGES="+strings.Join(s.edges, ","))
	}
	switch {
	case s.localSize == localOff:
		env = append(env, "DUKAAN_LOCAL_SIZE=0")
	case s.localSize > 0:
		env = append(env, "DUKAAN_LOCAL_SIZE="+strconv.Itoa(s.localSize))
	}
	if s.publicPort != "" {
		env = append(env, "DUKAAN_PUBLIC_PORT="+s.publicPort)
	}
	env = append(env, s.env...)
	return append(env, b.opts.ExtraEnv...)
}

// startApp runs `dukaan serve` and waits until /readyz answers.
func (b *runner) startApp(ctx context.Context, s appSpec) (*appProc, error) {
	addrc := make(chan string, 1)
	env := b.appEnv(s)
	pprofAddr := ""
	if b.opts.Pprof {
		var err error
		if pprofAddr, err = freeAddr(); err != nil {
			return nil, err
		}
		env = append(env, "DUKAAN_PPROF_ADDR="+pprofAddr)
	}
	p, err := b.spawn(s.name, env, func(line string) {
		if m := runningRE.FindStringSubmatch(line); m != nil {
			select {
			case addrc <- m[1]:
			default:
			}
		}
	}, b.opts.Binary, "serve")
	if err != nil {
		return nil, err
	}
	var addr string
	select {
	case addr = <-addrc:
	case <-p.Done():
		return nil, fmt.Errorf("app %s exited at start: %v\n%s", s.name, p.Err(), p.LogEnd())
	case <-time.After(60 * time.Second):
		_ = p.Stop(5 * time.Second)
		return nil, fmt.Errorf("app %s did not start within 60s:\n%s", s.name, p.LogEnd())
	case <-ctx.Done():
		_ = p.Stop(5 * time.Second)
		return nil, ctx.Err()
	}
	a := &appProc{proc: p, addr: addr, spec: s, pprof: pprofAddr}
	b.name(addr, s.name)
	if err := waitFor(ctx, p, 30*time.Second, "app "+s.name, httpOK(a.URL()+"/readyz")); err != nil {
		return nil, err
	}
	if pprofAddr != "" {
		if err := waitFor(ctx, p, 5*time.Second, "pprof of "+s.name+" (is the binary built with -tags pprof?)", httpOK("http://"+pprofAddr+"/debug/pprof/")); err != nil {
			return nil, err
		}
	}
	return a, nil
}

func (a *appProc) stop() error { return a.proc.Stop(20 * time.Second) }

// rss reads VmRSS and VmHWM (peak) of a process, in MiB.
func rss(pid int) (cur, peak float64, err error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		kb, _ := strconv.ParseFloat(f[1], 64)
		switch f[0] {
		case "VmRSS:":
			cur = kb / 1024
		case "VmHWM:":
			peak = kb / 1024
		}
	}
	if cur == 0 {
		return 0, 0, errors.New("no VmRSS in /proc status")
	}
	return cur, peak, nil
}

// ---------------------------------------------------------------------------
// The edge: `dukaan edge`, i.e. nginx.Write from the production templates.

type edgeProc struct {
	proc *proc
	addr string
	dir  string
}

func (e *edgeProc) URL() string { return "http://" + e.addr }

// startEdge runs `dukaan edge` as name (its prefix is $WORK/name).
func (b *runner) startEdge(ctx context.Context, name, addr, upstream string) (*edgeProc, error) {
	dir := filepath.Join(b.work, name)
	p, err := b.spawn(name, nil, nil, b.opts.Binary, "edge",
		"--listen", addr, "--upstream", upstream, "--dir", dir,
		"--nginx", b.bins.nginx, "--workers", b.opts.NginxWorkers)
	if err != nil {
		return nil, err
	}
	e := &edgeProc{proc: p, addr: addr, dir: dir}
	b.name(addr, name)
	if err := waitFor(ctx, p, 15*time.Second, "edge", httpOK(e.URL()+"/healthz")); err != nil {
		return nil, err
	}
	if b.opts.EdgeEdit != "" {
		if err := b.editEdge(ctx, e); err != nil {
			return nil, err
		}
	}
	return e, nil
}

// editEdge applies EdgeEdit to the running edge's proxy.conf and reloads
// nginx: an experiment on the edge template, which the bench otherwise runs
// exactly as `dukaan edge` writes it.
func (b *runner) editEdge(ctx context.Context, e *edgeProc) error {
	old, repl, ok := strings.Cut(b.opts.EdgeEdit, "=>")
	if !ok {
		return fmt.Errorf("-x-edge-edit %q: want 'old=>new'", b.opts.EdgeEdit)
	}
	path := filepath.Join(e.dir, "proxy.conf")
	conf, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if !strings.Contains(string(conf), old) {
		return fmt.Errorf("-x-edge-edit: the edge's proxy.conf has no %q", old)
	}
	conf = []byte(strings.Replace(string(conf), old, repl+" # bench experiment", 1))
	if err := os.WriteFile(path, conf, 0o644); err != nil {
		return err
	}
	out, err := exec.CommandContext(ctx, b.bins.nginx, "-p", e.dir, "-c", filepath.Join(e.dir, "nginx.conf"),
		"-e", filepath.Join(e.dir, "logs", "error.log"), "-s", "reload").CombinedOutput()
	if err != nil {
		return fmt.Errorf("nginx -s reload: %v\n%s", err, out)
	}
	time.Sleep(time.Second) // the new workers take over
	b.logf("experiment: the edge runs with %q instead of %q", repl, old)
	return nil
}

// ---------------------------------------------------------------------------
// The ceiling: nginx serving a file with the exact bytes of the page, with
// the edge's worker count, keep-alive and access-log settings
// (nginx/ceiling.conf.tmpl).

// gz, when not nil, is the page as the edge sends it compressed: written
// beside it as page.html.gz, which gzip_static sends to clients that
// accept gzip.
func (b *runner) startStatic(ctx context.Context, page, gz []byte) (*edgeProc, error) {
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	dir := filepath.Join(b.work, "static")
	lp := nginx.LabParams{Listen: addr, Dir: dir, Workers: b.opts.NginxWorkers}
	if os.Geteuid() == 0 {
		lp.User = "nobody nogroup"
	}
	if _, err := nginx.WriteCeiling(lp); err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(dir, "www", "page.html"), page, 0o644); err != nil {
		return nil, err
	}
	if gz != nil {
		if err := os.WriteFile(filepath.Join(dir, "www", "page.html.gz"), gz, 0o644); err != nil {
			return nil, err
		}
	}
	p, err := b.spawn("static", nil, nil, b.bins.nginx, nginx.Args(dir)...)
	if err != nil {
		return nil, err
	}
	s := &edgeProc{proc: p, addr: addr, dir: dir}
	b.name(addr, "ceiling")
	if err := waitFor(ctx, p, 15*time.Second, "static nginx", httpOK(s.URL()+"/")); err != nil {
		return nil, err
	}
	return s, nil
}
