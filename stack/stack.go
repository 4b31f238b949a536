// Package stack runs the production topology on one machine from Debian
// binaries, all on 127.0.0.1: PostgreSQL and Redis (the running servers
// when they answer, else private ones), two app replicas sharing them, two
// nginx edges (`dukaan edge`) each in front of both replicas, one entry
// nginx balancing over the edges, mtail and prometheus-nginx-exporter per
// edge, and Prometheus scraping all of it with the rules of monitoring/.
// It is what `make stack` (`dukaan-lab stack`) starts; docker-compose.yml
// describes the same services.
//
//	s, err := stack.Start(ctx, stack.Defaults())
//	…
//	s.Close()
//
// Every file it writes is under Options.DataDir (default data/stack): the
// configurations, each program's log in logs/, the edges' caches, the
// shared product image directory, Prometheus's data and, when it runs
// private ones, the PostgreSQL cluster and Redis's directory. Close stops
// every process and leaves those files for the next start.
//
// The replicas run as DUKAAN_ENV=development (the default) although the
// topology is production's: production requires DUKAAN_HTTPS=true (its
// session and CSRF cookies must be Secure), and the stack speaks plain
// HTTP on loopback. Every other setting is the one production uses: a
// generated shared secret, the edges, trusted proxies, a key prefix.
package stack

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"dukaan/internal/pgutil"
	iproc "dukaan/internal/proc"
	"dukaan/nginx"
)

// Options configure a stack. Defaults gives the `make stack` values; a
// port of 0 is replaced by a free one at Start.
type Options struct {
	Binary        string // the dukaan binary (bin/dukaan)
	DataDir       string // everything the stack writes (data/stack)
	MonitoringDir string // prometheus rules and the mtail program (monitoring)
	Domain        string // DUKAAN_BASE_DOMAIN (localhost)

	// Postgres is "auto" (the server on 127.0.0.1:5432 when it answers,
	// else a private cluster), "private", or the URL of a server to use;
	// the stack creates Database there.
	Postgres     string
	Database     string // dukaan_stack
	DropDatabase bool   // drop Database at Close (tests)
	// Redis is "auto" (127.0.0.1:6379 when it answers, else a private
	// redis-server), "private", or a redis:// URL to use.
	Redis       string
	RedisPrefix string // DUKAAN_REDIS_PREFIX: keys the stack owns on a shared Redis

	Entry      int   // the one public port (8000)
	Apps       []int // app replicas (8081, 8082)
	Edges      []int // nginx edges (8001, 8002)
	Mtail      []int // mtail per edge (3903, 3904)
	Exporters  []int // prometheus-nginx-exporter per edge (9113, 9114)
	Prometheus int   // 9090
	// TLS is Caddy's HTTPS port in front of the edges (8443), with its
	// internal CA, and TLSHTTP its HTTP port (8088: redirects to HTTPS);
	// 0 picks a free port, TLS < 0 runs no Caddy.
	TLS, TLSHTTP int
	// Private PostgreSQL and Redis listen here (0: a free port).
	PostgresPort, RedisPort int

	ScrapeInterval time.Duration // Prometheus scrape and rule interval (5s)
	NginxWorkers   string        // worker_processes of the entry and each edge (1)
	// Env is added to every app replica's environment after the stack's
	// own settings (e.g. DUKAAN_LOG_LEVEL=debug).
	Env []string
	// Log receives progress lines; nil discards them.
	Log io.Writer
}

// Defaults are the values of `make stack`.
func Defaults() Options {
	return Options{
		Binary:         "bin/dukaan",
		DataDir:        "data/stack",
		MonitoringDir:  "monitoring",
		Domain:         "localhost",
		Postgres:       "auto",
		Database:       "dukaan_stack",
		Redis:          "auto",
		RedisPrefix:    "dukaan_stack:",
		Entry:          8000,
		Apps:           []int{8081, 8082},
		Edges:          []int{8001, 8002},
		Mtail:          []int{3903, 3904},
		Exporters:      []int{9113, 9114},
		Prometheus:     9090,
		TLS:            8443,
		TLSHTTP:        8088,
		ScrapeInterval: 5 * time.Second,
		NginxWorkers:   "1",
	}
}

// The servers the stack uses when they answer (Postgres/Redis "auto").
const (
	runningPostgres = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
	runningRedis    = "redis://127.0.0.1:6379/0"
)

// Stack is a running stack.
type Stack struct {
	opts Options

	// Base URLs, http://127.0.0.1:port.
	Entry      string
	Apps       []string
	Edges      []string
	Mtail      []string
	Exporters  []string
	Prometheus string
	// TLS is Caddy's base URL (https://127.0.0.1:port; "" without Caddy)
	// and CARoot the file holding its internal CA's root certificate.
	TLS, CARoot string
	// What the replicas were given.
	DatabaseURL string
	RedisURL    string
	ImageDir    string
	// PrivatePostgres and PrivateRedis tell whether the stack runs its own.
	PrivatePostgres, PrivateRedis bool

	logDir  string
	bins    binaries
	adminPG string // where Database lives, to drop it (DropDatabase)
	log     io.Writer

	mu     sync.Mutex
	procs  []*proc
	failed chan error
	closed bool
}

// Start checks the programs and ports, then starts every service in
// dependency order, waiting until each answers. On error, what was
// started is stopped again.
func Start(ctx context.Context, o Options) (*Stack, error) {
	if err := o.validate(); err != nil {
		return nil, err
	}
	bins, err := findBinaries(o)
	if err != nil {
		return nil, err
	}
	if o.Log == nil {
		o.Log = io.Discard
	}
	s := &Stack{opts: o, bins: bins, log: o.Log, failed: make(chan error, 1)}
	if err := s.start(ctx); err != nil {
		if cerr := s.Close(); cerr != nil {
			err = errors.Join(err, cerr)
		}
		return nil, err
	}
	return s, nil
}

func (o *Options) validate() error {
	var errs []error
	if len(o.Apps) < 1 || len(o.Edges) < 1 {
		errs = append(errs, errors.New("stack: at least one app replica and one edge"))
	}
	if len(o.Mtail) != len(o.Edges) || len(o.Exporters) != len(o.Edges) {
		errs = append(errs, fmt.Errorf("stack: one mtail and one exporter port per edge: %d edges, %d mtail, %d exporter ports",
			len(o.Edges), len(o.Mtail), len(o.Exporters)))
	}
	if !pgutil.ValidIdent(o.Database) {
		errs = append(errs, fmt.Errorf("stack: database %q: want a lower-case identifier", o.Database))
	}
	if o.ScrapeInterval < 100*time.Millisecond {
		errs = append(errs, fmt.Errorf("stack: scrape interval %s: want at least 100ms", o.ScrapeInterval))
	}
	for _, f := range []*string{&o.DataDir, &o.MonitoringDir, &o.Binary} {
		abs, err := filepath.Abs(*f)
		if err != nil {
			errs = append(errs, err)
		}
		*f = abs
	}
	if o.NginxWorkers == "" {
		o.NginxWorkers = "1"
	}
	if os.Geteuid() == 0 {
		if err := othersCanEnter(o.DataDir); err != nil {
			errs = append(errs, err)
		}
	}
	// Copies: ports are filled in at Start.
	o.Apps, o.Edges = slices.Clone(o.Apps), slices.Clone(o.Edges)
	o.Mtail, o.Exporters = slices.Clone(o.Mtail), slices.Clone(o.Exporters)
	return errors.Join(errs...)
}

// othersCanEnter checks, for a stack started as root, that dir and its
// parents let other users through: nginx workers run as nobody (and a
// private PostgreSQL as postgres), and would fail on every cached page.
func othersCanEnter(dir string) error {
	for p := dir; ; p = filepath.Dir(p) {
		if fi, err := os.Stat(p); err == nil && fi.IsDir() && fi.Mode().Perm()&0o001 == 0 {
			return fmt.Errorf("stack: %s (mode %04o) cannot be entered by other users; as root, nginx workers run as nobody and PostgreSQL as postgres: "+
				"choose a data directory (-dir) whose parents all allow it (chmod o+x), e.g. under /tmp or /srv", p, fi.Mode().Perm())
		}
		if p == filepath.Dir(p) {
			return nil
		}
	}
}

// binaries are the programs the stack runs.
type binaries struct {
	nginx, mtail, exporter, prometheus string
	caddy                              string // "" when o.TLS < 0
}

// findBinaries checks every program and file the stack needs, and names
// the Debian package of each that is missing.
func findBinaries(o Options) (binaries, error) {
	var b binaries
	var missing []string
	if !isExecutable(o.Binary) {
		missing = append(missing, fmt.Sprintf("the dukaan binary %s (make build)", o.Binary))
	}
	for _, f := range []string{"mtail/edge.mtail", "rules"} {
		if _, err := os.Stat(filepath.Join(o.MonitoringDir, f)); err != nil {
			missing = append(missing, fmt.Sprintf("%s (run from the repository root, or pass -monitoring DIR)", filepath.Join(o.MonitoringDir, f)))
		}
	}
	if b.nginx = lookPath("nginx"); b.nginx == "" {
		missing = append(missing, "nginx (apt-get install nginx-light)")
	}
	if _, err := os.Stat(nginx.DefaultPurgeModule); err != nil {
		missing = append(missing, "the nginx cache-purge module "+nginx.DefaultPurgeModule+" (apt-get install libnginx-mod-http-cache-purge)")
	}
	if o.TLS >= 0 {
		if b.caddy = lookPath("caddy"); b.caddy == "" {
			missing = append(missing, "caddy (apt-get install caddy; or -tls-port -1 for none)")
		}
	}
	if b.mtail = lookPath("mtail"); b.mtail == "" {
		missing = append(missing, "mtail (apt-get install mtail)")
	}
	if b.exporter = lookPath("prometheus-nginx-exporter"); b.exporter == "" {
		missing = append(missing, "prometheus-nginx-exporter (apt-get install prometheus-nginx-exporter)")
	}
	if b.prometheus = lookPath("prometheus"); b.prometheus == "" {
		missing = append(missing, "prometheus (apt-get install prometheus)")
	}
	if o.Postgres == "private" {
		if _, err := postgresBin(); err != nil {
			missing = append(missing, err.Error())
		}
	}
	if o.Redis == "private" && lookPath("redis-server") == "" {
		missing = append(missing, "redis-server (apt-get install redis-server)")
	}
	if len(missing) > 0 {
		return b, &MissingError{Missing: missing}
	}
	return b, nil
}

// MissingError lists what the machine lacks to run the stack.
type MissingError struct{ Missing []string }

func (e *MissingError) Error() string {
	return "stack: missing:\n  - " + strings.Join(e.Missing, "\n  - ")
}

// Check reports what the machine lacks to run a stack with o, without
// starting anything.
func Check(o Options) error {
	if err := o.validate(); err != nil {
		return err
	}
	_, err := findBinaries(o)
	return err
}

var (
	lookPath     = iproc.LookPath
	isExecutable = iproc.IsExecutable
)

func (s *Stack) logf(format string, args ...any) {
	fmt.Fprintf(s.log, format+"\n", args...)
}

func (s *Stack) fail(err error) {
	select {
	case s.failed <- err:
	default:
	}
}

func (s *Stack) start(ctx context.Context) error {
	o := &s.opts
	s.logDir = filepath.Join(o.DataDir, "logs")
	s.ImageDir = filepath.Join(o.DataDir, "images")
	for _, d := range []string{o.DataDir, s.logDir, s.ImageDir} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return err
		}
	}
	ports := []namedPort{{"entry", "-entry-port", &o.Entry}, {"prometheus", "-prometheus-port", &o.Prometheus}}
	if o.TLS >= 0 {
		ports = append(ports, namedPort{"caddy", "-tls-port", &o.TLS}, namedPort{"caddy-http", "-tls-http-port", &o.TLSHTTP})
	}
	for i := range o.Apps {
		ports = append(ports, namedPort{fmt.Sprintf("app%d", i+1), "-app-ports", &o.Apps[i]})
	}
	for i := range o.Edges {
		ports = append(ports,
			namedPort{fmt.Sprintf("edge%d", i+1), "-edge-ports", &o.Edges[i]},
			namedPort{fmt.Sprintf("mtail%d", i+1), "-mtail-ports", &o.Mtail[i]},
			namedPort{fmt.Sprintf("exporter%d", i+1), "-exporter-ports", &o.Exporters[i]})
	}
	if err := claimPorts(ports); err != nil {
		return err
	}
	url := func(port int) string { return fmt.Sprintf("http://127.0.0.1:%d", port) }
	s.Entry, s.Prometheus = url(o.Entry), url(o.Prometheus)
	for _, p := range o.Apps {
		s.Apps = append(s.Apps, url(p))
	}
	for i := range o.Edges {
		s.Edges = append(s.Edges, url(o.Edges[i]))
		s.Mtail = append(s.Mtail, url(o.Mtail[i]))
		s.Exporters = append(s.Exporters, url(o.Exporters[i]))
	}

	if err := s.startPostgres(ctx); err != nil {
		return err
	}
	if err := s.startRedis(ctx); err != nil {
		return err
	}
	// Edges first: the replicas PURGE them from their first product event,
	// and nginx needs no upstream to start.
	for i := range o.Edges {
		if err := s.startEdge(ctx, i); err != nil {
			return err
		}
	}
	secret, err := s.secret()
	if err != nil {
		return err
	}
	// The first replica migrates and seeds the demo store on an empty
	// database; the next start once it is ready, so none races it.
	for i := range o.Apps {
		if err := s.startApp(ctx, i, secret); err != nil {
			return err
		}
	}
	if err := s.startEntry(ctx); err != nil {
		return err
	}
	if o.TLS >= 0 {
		if err := s.startCaddy(ctx); err != nil {
			return err
		}
	}
	for i := range o.Edges {
		if err := s.startExporters(ctx, i); err != nil {
			return err
		}
	}
	return s.startPrometheus(ctx)
}

// secret is the DUKAAN_SECRET every replica shares (CSRF cookies and
// session tokens must verify on any of them), kept in the data directory
// so that sessions survive a restart of the stack.
func (s *Stack) secret() (string, error) {
	path := filepath.Join(s.opts.DataDir, "secret")
	if b, err := os.ReadFile(path); err == nil && len(strings.TrimSpace(string(b))) >= 32 {
		return strings.TrimSpace(string(b)), nil
	}
	v := randomHex(32)
	if err := os.WriteFile(path, []byte(v+"\n"), 0o600); err != nil {
		return "", err
	}
	return v, nil
}

var randomHex = iproc.RandomHex

// childEnv is our environment without what a child must only get from the
// stack (internal/proc.ChildEnv): a developer's DATABASE_URL or
// DUKAAN_EDGES would send a replica elsewhere. Unlike the bench's, other
// DUKAAN_* settings (log level, TTLs…) pass through to the replicas.
func childEnv() []string { return iproc.ChildEnv(os.Environ(), stackSets...) }

// stackSets are the app settings the stack decides.
var stackSets = []string{"DUKAAN_ADDR", "DUKAAN_BASE_DOMAIN", "DUKAAN_SECRET", "DUKAAN_EDGES",
	"DUKAAN_PUBLIC_PORT", "DUKAAN_TRUSTED_PROXIES", "DUKAAN_REDIS_PREFIX", "DUKAAN_IMAGE_DIR",
	"DUKAAN_SEED_DEMO", "DUKAAN_HTTPS"}

func (s *Stack) startApp(ctx context.Context, i int, secret string) error {
	o := s.opts
	name := fmt.Sprintf("app%d", i+1)
	env := append(childEnv(),
		fmt.Sprintf("DUKAAN_ADDR=127.0.0.1:%d", o.Apps[i]),
		"DUKAAN_BASE_DOMAIN="+o.Domain,
		"DUKAAN_SECRET="+secret,
		"DATABASE_URL="+s.DatabaseURL,
		"REDIS_URL="+s.RedisURL,
		"DUKAAN_REDIS_PREFIX="+o.RedisPrefix,
		"DUKAAN_EDGES="+strings.Join(s.Edges, ","),
		fmt.Sprintf("DUKAAN_PUBLIC_PORT=:%d", o.Entry),
		// The entry and the edges are on this machine: believe their
		// X-Forwarded-For.
		"DUKAAN_TRUSTED_PROXIES=127.0.0.1",
		"DUKAAN_IMAGE_DIR="+s.ImageDir,
		// Plain HTTP on loopback, which DUKAAN_ENV=production refuses: the
		// replicas stay development (see the package doc).
		"DUKAAN_HTTPS=false",
	)
	if i > 0 {
		env = append(env, "DUKAAN_SEED_DEMO=false")
	}
	env = append(env, o.Env...)
	p, err := s.spawn(spawnSpec{name: name, bin: o.Binary, args: []string{"serve"}, env: env})
	if err != nil {
		return err
	}
	// The first start of an empty database migrates and seeds.
	if err := waitFor(ctx, p, 90*time.Second, name, httpOK(s.Apps[i]+"/readyz")); err != nil {
		return err
	}
	s.logf("%-10s %s (serve; log %s)", name, s.Apps[i], p.Log())
	return nil
}

func (s *Stack) startEdge(ctx context.Context, i int) error {
	o := s.opts
	name := fmt.Sprintf("edge%d", i+1)
	dir := filepath.Join(o.DataDir, name)
	// The pages of an earlier run may be older than the database now.
	if err := os.RemoveAll(filepath.Join(dir, "cache")); err != nil {
		return err
	}
	var ups []string
	for _, p := range o.Apps {
		ups = append(ups, fmt.Sprintf("127.0.0.1:%d", p))
	}
	p, err := s.spawn(spawnSpec{name: name, bin: o.Binary, env: childEnv(), args: []string{"edge",
		"--listen", fmt.Sprintf("127.0.0.1:%d", o.Edges[i]),
		"--upstream", strings.Join(ups, ","),
		"--dir", dir,
		"--nginx", s.bins.nginx,
		"--workers", o.NginxWorkers,
	}})
	if err != nil {
		return err
	}
	// stub_status answers without any replica behind the edge.
	if err := waitFor(ctx, p, 20*time.Second, name, httpOK(s.Edges[i]+"/.edge-status")); err != nil {
		return err
	}
	s.logf("%-10s %s (nginx, cache in %s)", name, s.Edges[i], filepath.Join(dir, "cache"))
	return nil
}

func (s *Stack) startExporters(ctx context.Context, i int) error {
	o := s.opts
	edgeLog := filepath.Join(o.DataDir, fmt.Sprintf("edge%d", i+1), "logs", "access.log")
	name := fmt.Sprintf("mtail%d", i+1)
	p, err := s.spawn(spawnSpec{name: name, bin: s.bins.mtail, env: childEnv(), args: []string{
		"-progs", filepath.Join(o.MonitoringDir, "mtail"),
		"-logs", edgeLog,
		"-address", "127.0.0.1", "-port", strconv.Itoa(o.Mtail[i]),
		"-logtostderr",
	}})
	if err != nil {
		return err
	}
	if err := waitFor(ctx, p, 20*time.Second, name, httpOK(s.Mtail[i]+"/metrics")); err != nil {
		return err
	}
	s.logf("%-10s %s (mtail on %s)", name, s.Mtail[i], edgeLog)

	name = fmt.Sprintf("exporter%d", i+1)
	p, err = s.spawn(spawnSpec{name: name, bin: s.bins.exporter, env: childEnv(), args: []string{
		"-nginx.scrape-uri", s.Edges[i] + "/.edge-status",
		"-web.listen-address", fmt.Sprintf("127.0.0.1:%d", o.Exporters[i]),
	}})
	if err != nil {
		return err
	}
	if err := waitFor(ctx, p, 20*time.Second, name, httpOK(s.Exporters[i]+"/metrics")); err != nil {
		return err
	}
	s.logf("%-10s %s (prometheus-nginx-exporter on edge%d)", name, s.Exporters[i], i+1)
	return nil
}

// Wait blocks until ctx ends (nil) or a process of the stack exits on its
// own (its error, with the end of its log).
func (s *Stack) Wait(ctx context.Context) error {
	select {
	case <-ctx.Done():
		return nil
	case err := <-s.failed:
		return err
	}
}

// PIDs are the process ids of the stack's children, each the leader of a
// process group that holds whatever that child started.
func (s *Stack) PIDs() []int {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []int
	for _, p := range s.procs {
		out = append(out, p.Pid())
	}
	return out
}

// Close stops every process, the last started first, and waits for them;
// a process that ignores its stop signal for 15 s is killed with its
// process group. It drops the database when DropDatabase is set. Closing
// twice is a no-op.
func (s *Stack) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	procs := slices.Clone(s.procs)
	s.mu.Unlock()
	// Stages in reverse start order; what is independent stops together.
	stage := func(names func(string) bool) []error {
		var wg sync.WaitGroup
		var mu sync.Mutex
		var errs []error
		for _, p := range procs {
			if !names(p.Name()) {
				continue
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				if err := p.Stop(15 * time.Second); err != nil {
					mu.Lock()
					errs = append(errs, err)
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		return errs
	}
	prefixed := func(prefixes ...string) func(string) bool {
		return func(n string) bool {
			for _, p := range prefixes {
				if strings.HasPrefix(n, p) {
					return true
				}
			}
			return false
		}
	}
	var errs []error
	errs = append(errs, stage(prefixed("prometheus", "mtail", "exporter", "entry"))...)
	errs = append(errs, stage(prefixed("app"))...)
	errs = append(errs, stage(prefixed("edge"))...)
	errs = append(errs, stage(prefixed("redis", "postgres"))...)
	// Anything else (none today) last.
	errs = append(errs, stage(func(string) bool { return true })...)
	if s.opts.DropDatabase && s.adminPG != "" {
		if err := dropDatabase(s.adminPG, s.opts.Database); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// ShopURL is the demo shop through the entry, as a browser opens it.
func (s *Stack) ShopURL() string { return s.hostURL("demo") }

// ConsoleURL is the vendors' console through the entry.
func (s *Stack) ConsoleURL() string { return s.hostURL("admin") }

func (s *Stack) hostURL(sub string) string {
	return fmt.Sprintf("http://%s.%s:%d", sub, s.opts.Domain, s.opts.Entry)
}

// demoLogin is what the first replica seeds, from the same settings it
// reads.
func (s *Stack) demoLogin() (email, password string) {
	email, password = "demo@example.com", "demo-shop-123"
	for _, kv := range append(os.Environ(), s.opts.Env...) {
		k, v, _ := strings.Cut(kv, "=")
		switch k {
		case "DUKAAN_DEMO_EMAIL":
			email = v
		case "DUKAAN_DEMO_PASSWORD":
			password = v
		}
	}
	return email, password
}

// Summary prints every URL of the stack.
func (s *Stack) Summary(w io.Writer) {
	email, password := s.demoLogin()
	fmt.Fprintf(w, "\nDukaan stack is running (data and logs in %s)\n", s.opts.DataDir)
	fmt.Fprintf(w, "  Shop:        %s\n", s.ShopURL())
	fmt.Fprintf(w, "  Console:     %s\n", s.ConsoleURL())
	fmt.Fprintf(w, "  Demo login:  %s / %s (seeded into an empty database)\n", email, password)
	fmt.Fprintf(w, "  Entry:       %s (nginx, round robin over the edges)\n", s.Entry)
	if s.TLS != "" {
		_, p, _ := net.SplitHostPort(strings.TrimPrefix(s.TLS, "https://"))
		fmt.Fprintf(w, "  HTTPS:       %s (Caddy in front of the edges, its internal CA's root in %s)\n", s.TLS, s.CARoot)
		fmt.Fprintf(w, "               curl --cacert %s https://demo.%s:%s/\n", s.CARoot, s.opts.Domain, p)
	}
	for i, u := range s.Edges {
		fmt.Fprintf(w, "  Edge %d:      %s (nginx proxy_cache)\n", i+1, u)
	}
	for i, u := range s.Apps {
		fmt.Fprintf(w, "  Replica %d:   %s (metrics: %s/metrics)\n", i+1, u, u)
	}
	fmt.Fprintf(w, "  Prometheus:  %s (targets: %s/targets)\n", s.Prometheus, s.Prometheus)
	for i := range s.Edges {
		fmt.Fprintf(w, "  Edge %d exporters: mtail %s/metrics, nginx %s/metrics\n", i+1, s.Mtail[i], s.Exporters[i])
	}
	pg := "running server"
	if s.PrivatePostgres {
		pg = "private cluster"
	}
	rd := "running server"
	if s.PrivateRedis {
		rd = "private server"
	}
	fmt.Fprintf(w, "  PostgreSQL:  %s (%s)\n", pgutil.Redact(s.DatabaseURL), pg)
	fmt.Fprintf(w, "  Redis:       %s (%s, keys under %q)\n", pgutil.Redact(s.RedisURL), rd, s.opts.RedisPrefix)
	fmt.Fprintf(w, "  Images:      %s (DUKAAN_IMAGE_DIR of every replica)\n", s.ImageDir)
	fmt.Fprintln(w, "Ctrl-C stops everything.")
}
