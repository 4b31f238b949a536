// Package bench is `make bench` (`dukaan-lab bench`): it starts the real stack
// on loopback — PostgreSQL (its own database, dukaan_bench), a private
// redis-server, app processes of the dukaan binary, an nginx edge from the
// production templates (`dukaan edge`), and a plain nginx serving a static
// copy of the page as the ceiling — seeds it, runs the five scenarios
// (tiers, demo, flash, orders, scale) with wrk (throughput) and vegeta (exact-count and stop-on-event
// loads), and writes BENCHMARKS.md, bench/out/results.json and
// bench/out/throughput.svg.
//
// Every load is bounded in requests and time; every scenario prints a
// progress line. The smoke test (go test ./bench) runs all of it for a
// fraction of a second on a tiny seed.
package bench

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	iproc "dukaan/internal/proc"
	"dukaan/nginx"
)

// Options are the bench's settings; Main fills them from flags.
type Options struct {
	// Binary is the dukaan executable the stack runs (serve, seed, edge,
	// migrate).
	Binary string
	// GoCeiling is the command that runs the Go ceiling: its arguments
	// are appended ("goceiling -listen … -page …"). dukaan-lab passes
	// itself; the smoke test its own test binary (TestMain).
	GoCeiling []string
	// PostgresURL names the server (any database on it); the bench works
	// only in Database, which it creates when missing, and only in schemas
	// named SchemaPrefix….
	PostgresURL  string
	Database     string
	SchemaPrefix string
	// DataDir keeps the seeded SQLite file between runs.
	DataDir string
	// Reseed drops and seeds again even when the data is there.
	Reseed bool
	// DropSchemas drops this run's schemas at the end (the smoke test).
	DropSchemas bool

	Domain string // DUKAAN_BASE_DOMAIN of the apps

	Stores, Products       int // the main data set
	ScaleSmall, ScaleLarge int // scenario 5's store counts (×Products)
	ScaleConns             int // scenario 5's concurrency
	FlashStores            int // scenario 3 spreads load over this many

	Conns, Threads int           // wrk, scenarios 2 and 3
	Warmup         time.Duration // before each series
	Duration       time.Duration // each timed run
	Runs           int           // timed runs per measurement (median)

	DemoRequests, DemoConc int // scenario 1

	FlashDuration time.Duration // scenario 3, each run
	EditEvery     time.Duration
	ZipfS         float64

	RushStock int // scenario 4: units of the hot product
	RushConns int // concurrent customers = pgbench clients

	// EdgeEdit, "old=>new", edits the edge's proxy.conf after `dukaan
	// edge` wrote it, then reloads nginx: an experiment on the edge
	// template (see bench/notes.md). Empty runs the edge as written.
	EdgeEdit string

	// Pprof takes a CPU profile of the app during the first timed run of
	// each app tier (Binary must be built with -tags pprof).
	Pprof bool

	NginxWorkers string // worker_processes of edge and ceiling
	AppLogLevel  string // DUKAAN_LOG_LEVEL of the apps
	// AppEnv is DUKAAN_ENV of the apps: development, because production
	// requires DUKAAN_HTTPS=true (Secure cookies), which a plain-HTTP
	// loopback console client cannot use; nothing on the serving path
	// depends on it.
	AppEnv string
	// ExtraEnv is added to every dukaan child's environment (the smoke
	// test lowers DUKAAN_BCRYPT_COST with it).
	ExtraEnv []string

	// Only runs these scenarios (demo, tiers, flash, orders, scale).
	Only []string

	OutDir   string // results.json, throughput.svg
	Markdown string // BENCHMARKS.md; empty skips it
	WorkDir  string // logs, nginx prefixes, scripts; empty: a temp dir
	Keep     bool   // keep WorkDir

	// WaitLoad waits (up to WaitMax) for the 1-minute load average to drop
	// to this before starting; 0 does not wait.
	WaitLoad float64
	WaitMax  time.Duration

	Log io.Writer
}

// Defaults are the sizes BENCHMARKS.md reports: 1,000 stores of 50
// products, a 10,000-store scale run, three runs of each scenario.
func Defaults() Options {
	return Options{
		PostgresURL: "postgres://postgres@127.0.0.1:5432/test?sslmode=disable", Database: "dukaan_bench",
		SchemaPrefix: "bench_", DataDir: "data/bench", Domain: "localhost",
		Stores: 1000, Products: 50, ScaleSmall: 10, ScaleLarge: 10000, FlashStores: 100,
		Conns: 32, Threads: 2, Warmup: 2 * time.Second, Duration: 5 * time.Second, Runs: 3,
		DemoRequests: 100, DemoConc: 10,
		FlashDuration: 10 * time.Second, EditEvery: 100 * time.Millisecond, ZipfS: 1.1,
		RushStock: 2000, RushConns: 16, ScaleConns: 4,
		NginxWorkers: "auto", AppLogLevel: "warn", AppEnv: "development",
		OutDir: "bench/out", Markdown: "BENCHMARKS.md", WaitMax: 10 * time.Minute,
	}
}

var scenarios = []string{"tiers", "demo", "flash", "orders", "scale"}

// Main is `dukaan-lab bench [flags]`; app is the default -binary, the
// dukaan executable under test.
func Main(ctx context.Context, args []string, app string, out io.Writer) error {
	o := Defaults()
	if exe, err := os.Executable(); err == nil {
		o.GoCeiling = []string{exe}
	}
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(out)
	fs.StringVar(&o.Binary, "binary", app, "dukaan binary to run")
	fs.StringVar(&o.PostgresURL, "pg", o.PostgresURL, "PostgreSQL server URL (trust or password in the URL)")
	fs.StringVar(&o.Database, "database", o.Database, "database the bench creates and works in")
	fs.StringVar(&o.SchemaPrefix, "schema-prefix", o.SchemaPrefix, "prefix of the bench's schemas")
	fs.StringVar(&o.DataDir, "data", o.DataDir, "where the seeded SQLite file is kept")
	fs.BoolVar(&o.Reseed, "reseed", false, "seed again even when the data is there")
	fs.IntVar(&o.Stores, "stores", o.Stores, "stores in the main data set")
	fs.IntVar(&o.Products, "products", o.Products, "products per store")
	fs.IntVar(&o.ScaleSmall, "scale-small", o.ScaleSmall, "stores in the small scale data set")
	fs.IntVar(&o.ScaleLarge, "scale-large", o.ScaleLarge, "stores in the large scale data set")
	fs.IntVar(&o.FlashStores, "flash-stores", o.FlashStores, "stores the flash sale spreads load over")
	fs.IntVar(&o.Conns, "conns", o.Conns, "wrk connections (scenarios 2, 3, 5)")
	fs.IntVar(&o.Threads, "threads", o.Threads, "wrk threads")
	fs.DurationVar(&o.Warmup, "warmup", o.Warmup, "warm-up before each measurement")
	fs.DurationVar(&o.Duration, "duration", o.Duration, "each timed wrk run")
	fs.IntVar(&o.Runs, "runs", o.Runs, "timed runs per measurement (the median is reported)")
	fs.IntVar(&o.DemoRequests, "demo-requests", o.DemoRequests, "scenario 1: requests in the burst")
	fs.IntVar(&o.DemoConc, "demo-conc", o.DemoConc, "scenario 1: concurrency of the burst")
	fs.DurationVar(&o.FlashDuration, "flash-duration", o.FlashDuration, "scenario 3: each run")
	fs.DurationVar(&o.EditEvery, "edit-every", o.EditEvery, "scenario 3: the vendor's edit interval")
	fs.Float64Var(&o.ZipfS, "zipf-s", o.ZipfS, "scenario 3: Zipf exponent over the stores")
	fs.IntVar(&o.RushStock, "rush-stock", o.RushStock, "scenario 4: units of the hot product")
	fs.IntVar(&o.RushConns, "rush-conns", o.RushConns, "scenario 4: concurrent customers and pgbench clients")
	fs.IntVar(&o.ScaleConns, "scale-conns", o.ScaleConns, "scenario 5: wrk connections (at most --scale-small, so no two share a render)")
	fs.StringVar(&o.EdgeEdit, "x-edge-edit", "", "experiment: 'old=>new' replaced in the edge's proxy.conf, e.g. 'proxy_cache_lock on;=>proxy_cache_lock off;'")
	fs.BoolVar(&o.Pprof, "pprof", false, "profile the app tiers (needs a binary built with -tags pprof; see make bench-profile)")
	fs.StringVar(&o.NginxWorkers, "nginx-workers", o.NginxWorkers, "worker_processes of the edge and the ceiling")
	fs.StringVar(&o.AppLogLevel, "app-log-level", o.AppLogLevel, "DUKAAN_LOG_LEVEL of the apps (info logs every request)")
	fs.StringVar(&o.AppEnv, "app-env", o.AppEnv, "DUKAAN_ENV of the apps (production needs HTTPS, which the bench does not speak)")
	render := fs.Bool("render", false, "only write BENCHMARKS.md and the chart again from <out>/results.json (after editing bench/notes.md)")
	only := fs.String("only", "", "comma-separated scenarios to run: "+strings.Join(scenarios, ","))
	fs.StringVar(&o.OutDir, "out", o.OutDir, "directory for results.json and throughput.svg")
	fs.StringVar(&o.Markdown, "markdown", o.Markdown, "BENCHMARKS.md to write (empty: none)")
	fs.StringVar(&o.WorkDir, "work", "", "work directory (default: a temporary one)")
	fs.BoolVar(&o.Keep, "keep", false, "keep the work directory (logs, configs)")
	fs.Float64Var(&o.WaitLoad, "wait-load", 0, "wait until the 1-minute load average is at most this")
	fs.DurationVar(&o.WaitMax, "wait-max", o.WaitMax, "longest wait for -wait-load")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *only != "" {
		o.Only = strings.Split(*only, ",")
	}
	o.Log = out
	if *render {
		return Render(o)
	}
	_, err := Run(ctx, o)
	return err
}

// Render writes BENCHMARKS.md and throughput.svg again from results.json,
// without measuring anything: for changes to the notes or the layout.
func Render(o Options) error {
	b, err := os.ReadFile(filepath.Join(o.OutDir, "results.json"))
	if err != nil {
		return err
	}
	var r Results
	if err := json.Unmarshal(b, &r); err != nil {
		return fmt.Errorf("%s: %w", filepath.Join(o.OutDir, "results.json"), err)
	}
	if len(r.Tiers) > 0 {
		if err := os.WriteFile(filepath.Join(o.OutDir, "throughput.svg"), []byte(throughputSVG(&r)), 0o644); err != nil {
			return err
		}
	}
	if o.Markdown != "" {
		return os.WriteFile(o.Markdown, []byte(markdown(&r, o)), 0o644)
	}
	return nil
}

// binaries are the external programs the bench drives.
type binaries struct {
	wrk, nginx, pgbench, redis string
}

// FindBinaries looks up wrk, nginx (with the cache-purge module), pgbench
// and redis-server, and says which are missing and how to install them.
func FindBinaries() (binaries, error) {
	var b binaries
	var missing []string
	if b.wrk = iproc.LookPath("wrk"); b.wrk == "" {
		missing = append(missing, "wrk (apt-get install wrk)")
	}
	if b.nginx = iproc.LookPath("nginx"); b.nginx == "" {
		missing = append(missing, "nginx (apt-get install nginx-light)")
	}
	if _, err := os.Stat(nginx.DefaultPurgeModule); err != nil {
		missing = append(missing, "the nginx cache-purge module (apt-get install libnginx-mod-http-cache-purge)")
	}
	b.pgbench = iproc.LookPath("pgbench")
	if m, _ := filepath.Glob("/usr/lib/postgresql/*/bin/pgbench"); b.pgbench == "" && len(m) > 0 {
		// postgresql-client installs it there, off PATH, without a server.
		slices.Sort(m)
		b.pgbench = m[len(m)-1]
	}
	if b.pgbench == "" {
		missing = append(missing, "pgbench (apt-get install postgresql-contrib or postgresql-client)")
	}
	if b.redis = iproc.LookPath("redis-server"); b.redis == "" {
		missing = append(missing, "redis-server (apt-get install redis-server)")
	}
	if len(missing) > 0 {
		return b, fmt.Errorf("bench: missing %s", strings.Join(missing, ", "))
	}
	return b, nil
}

// runner is one bench run.
type runner struct {
	opts       Options
	bins       binaries
	work       string
	db         *sql.DB
	secret     string
	purgeToken string
	started    time.Time

	mu     sync.Mutex
	procs  []*proc
	seeded []string
	notes  map[string][]string // commands by kind, for the report
	// addrNames name the loopback addresses of our processes in the
	// commands the report shows ($EDGE, $APP_MAIN…).
	addrNames map[string]string

	res *Results
}

func (b *runner) logf(format string, args ...any) {
	if b.opts.Log != nil {
		fmt.Fprintf(b.opts.Log, "%7.1fs  %s\n", time.Since(b.started).Seconds(), fmt.Sprintf(format, args...))
	}
}

// note records a command line once per kind and text.
func (b *runner) note(kind, cmd string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if !slices.Contains(b.notes[kind], cmd) {
		b.notes[kind] = append(b.notes[kind], cmd)
	}
}

func (b *runner) wants(s string) bool {
	return len(b.opts.Only) == 0 || slices.Contains(b.opts.Only, s)
}

// Run runs the bench and writes its reports.
func Run(ctx context.Context, o Options) (*Results, error) {
	if o.Log == nil {
		o.Log = io.Discard
	}
	if err := o.validate(); err != nil {
		return nil, err
	}
	bins, err := FindBinaries()
	if err != nil {
		return nil, err
	}
	b := &runner{opts: o, bins: bins, secret: randomHex(32), purgeToken: randomHex(16),
		started: time.Now(), notes: map[string][]string{}, addrNames: map[string]string{}}
	if o.WorkDir == "" {
		if b.work, err = os.MkdirTemp("", "dukaan-bench-"); err != nil {
			return nil, err
		}
	} else {
		b.work, _ = filepath.Abs(o.WorkDir)
		if err := os.MkdirAll(b.work, 0o755); err != nil {
			return nil, err
		}
	}
	// nginx workers run as nobody and must reach their prefix below here.
	if err := os.Chmod(b.work, 0o755); err != nil {
		return nil, err
	}
	defer func() {
		b.stopAll()
		if !o.Keep && o.WorkDir == "" {
			_ = os.RemoveAll(b.work)
		} else {
			b.logf("work directory kept: %s", b.work)
		}
	}()
	b.waitQuiet(ctx)
	b.res = newResults(b)
	if err := b.ensureDatabase(ctx); err != nil {
		return nil, err
	}
	defer b.db.Close()
	if o.DropSchemas {
		defer b.dropSchemas(context.WithoutCancel(ctx))
	}
	if err := b.run(ctx); err != nil {
		return b.res, err
	}
	b.res.finish(b)
	if err := b.write(); err != nil {
		return b.res, err
	}
	return b.res, nil
}

func (o *Options) validate() error {
	var errs []error
	if o.Binary == "" {
		errs = append(errs, errors.New("bench: Binary is required"))
	}
	if o.Stores < 2 || o.Products < 1 {
		errs = append(errs, errors.New("bench: need at least 2 stores (hot flash store, order rush store) and 1 product"))
	}
	if o.FlashStores < 1 || o.FlashStores > o.Stores {
		o.FlashStores = min(max(o.FlashStores, 1), o.Stores)
	}
	if o.Runs < 1 || o.Conns < 1 || o.Threads < 1 || o.Duration <= 0 {
		errs = append(errs, errors.New("bench: --runs, --conns, --threads and --duration must be positive"))
	}
	if o.RushConns < 1 || o.RushStock < o.RushConns {
		errs = append(errs, errors.New("bench: --rush-stock must be at least --rush-conns"))
	}
	// pgbench runs exactly RushStock transactions in -t per client.
	o.RushStock -= o.RushStock % o.RushConns
	if o.ScaleConns < 1 {
		errs = append(errs, errors.New("bench: --scale-conns must be positive"))
	}
	if o.ScaleSmall < 1 || o.ScaleLarge < o.ScaleSmall {
		errs = append(errs, errors.New("bench: --scale-small must be ≥ 1 and ≤ --scale-large"))
	}
	for _, s := range o.Only {
		if !slices.Contains(scenarios, s) {
			errs = append(errs, fmt.Errorf("bench: unknown scenario %q (want %s)", s, strings.Join(scenarios, ", ")))
		}
	}
	return errors.Join(errs...)
}

// waitQuiet waits for a quiet machine when asked to.
func (b *runner) waitQuiet(ctx context.Context) {
	if b.opts.WaitLoad <= 0 {
		return
	}
	deadline := time.Now().Add(b.opts.WaitMax)
	for {
		l := loadAvg()
		if l.One <= b.opts.WaitLoad {
			return
		}
		if time.Now().After(deadline) {
			b.logf("load %.2f is still above %.2f after %s: going ahead, the report says so", l.One, b.opts.WaitLoad, b.opts.WaitMax)
			return
		}
		b.logf("load %.2f > %.2f: waiting", l.One, b.opts.WaitLoad)
		select {
		case <-ctx.Done():
			return
		case <-time.After(15 * time.Second):
		}
	}
}

func (b *runner) stopAll() {
	// Our idle keep-alive connections would only make nginx's graceful
	// shutdown wait for them.
	http.DefaultTransport.(*http.Transport).CloseIdleConnections()
	b.mu.Lock()
	procs := slices.Clone(b.procs)
	b.mu.Unlock()
	for i := len(procs) - 1; i >= 0; i-- {
		if err := procs[i].Stop(20 * time.Second); err != nil {
			b.logf("%v", err)
		}
	}
}

// stack is the long-lived part: Redis, the main app and its edge.
type stack struct {
	redis *redisServer
	app   *appProc
	edge  *edgeProc
	main  string // schema of the main data set
}

func (b *runner) run(ctx context.Context) error {
	main := b.schema("main")
	b.logf("seeding (PostgreSQL database %s, schema %s; existing data of the right size is kept)", b.opts.Database, main)
	if err := b.ensurePGSeed(ctx, main, b.opts.Stores, b.opts.Products); err != nil {
		return err
	}
	st := &stack{main: main}
	var err error
	if st.redis, err = b.startRedis(ctx); err != nil {
		return err
	}
	edgeAddr, err := freeAddr()
	if err != nil {
		return err
	}
	_, edgePort, _ := strings.Cut(edgeAddr, ":")
	if st.app, err = b.startApp(ctx, appSpec{
		name: "app-main", database: b.schemaDSN(main), redis: st.redis.addr,
		edges: []string{"http://" + edgeAddr}, publicPort: ":" + edgePort,
	}); err != nil {
		return err
	}
	if st.edge, err = b.startEdge(ctx, "edge", edgeAddr, st.app.addr); err != nil {
		return err
	}
	b.logf("stack up: redis %s, app %s (pid %d), edge %s", st.redis.addr, st.app.addr, st.app.proc.Pid(), st.edge.addr)

	steps := []struct {
		name string
		fn   func(context.Context, *stack) error
	}{
		{"tiers", b.tiers}, // also scenario 1, which needs the same apps
		// Read-only scenarios first: the writes of the flash sale and the
		// order rush leave PostgreSQL vacuuming for a while.
		{"scale", b.scale},
		{"flash", b.flash},
		{"orders", b.orders},
	}
	for _, s := range steps {
		if s.name == "tiers" && !b.wants("tiers") && !b.wants("demo") {
			continue
		}
		if s.name != "tiers" && !b.wants(s.name) {
			continue
		}
		before := loadAvg()
		if err := s.fn(ctx, st); err != nil {
			return fmt.Errorf("%s: %w", s.name, err)
		}
		b.res.Load = append(b.res.Load, LoadSample{Scenario: s.name, Before: before, After: loadAvg()})
	}
	return nil
}

// name records what the report calls the process at addr.
func (b *runner) name(addr, name string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.addrNames[addr] = "$" + strings.ToUpper(strings.NewReplacer("-", "_").Replace(name))
}

// host is the shop host of a bench store.
func (b *runner) host(store int) string {
	return fmt.Sprintf("store-%05d.%s", store, b.opts.Domain)
}

func (b *runner) adminHost() string { return "admin." + b.opts.Domain }
