// Command dukaan runs the Dukaan shop platform.
//
//	dukaan [serve]                          run the server (default)
//	dukaan migrate                          create or update the schema, then exit
//	dukaan seed --stores N --products M     add N stores of M products (benchmarks)
//	dukaan edge --listen A --upstream B --dir D   run an nginx edge in front of the app
//	dukaan health [--url http://127.0.0.1:8080/readyz]   exit 0 when it answers 200
//	dukaan jobs [--waiting 1m] [--running D] [--discarded 24h]   list stuck jobs of the queue
//
// Settings come from the environment; see README.md.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/redis/go-redis/v9"

	"dukaan/app"
	"dukaan/monitoring"
	"dukaan/notify"
	"dukaan/storage"
	"dukaan/storage/images"
	"dukaan/storage/jobs"
	"dukaan/storage/pagecache"
	"dukaan/storage/ratelimit"
	"dukaan/tenant"
	"dukaan/web"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], environ(), os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "dukaan:", err)
		os.Exit(1)
	}
}

func environ() map[string]string {
	m := map[string]string{}
	for _, kv := range os.Environ() {
		k, v, _ := strings.Cut(kv, "=")
		m[k] = v
	}
	return m
}

// usage is what `dukaan help` (or -h) prints.
const usage = "usage: dukaan [serve | migrate | seed --stores N --products M | edge --listen ADDR --upstream ADDR --dir DIR | health [--url URL] | jobs [--waiting D] [--running D] [--discarded D]] (bench and stack: dukaan-lab)"

// run runs the subcommand. Every subcommand answers -h and --help with its
// usage (printed by its flag set) and success.
func run(ctx context.Context, args []string, environ map[string]string, out io.Writer) error {
	if err := dispatch(ctx, args, environ, out); !errors.Is(err, flag.ErrHelp) {
		return err
	}
	return nil
}

// dispatch runs the subcommand args name (serve when none does).
func dispatch(ctx context.Context, args []string, environ map[string]string, out io.Writer) error {
	if len(args) > 0 && (args[0] == "-h" || args[0] == "-help" || args[0] == "--help") {
		args = append([]string{"help"}, args[1:]...)
	}
	cmd := "serve"
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		cmd, args = args[0], args[1:]
	}
	if cmd == "edge" {
		// The edge is nginx: it needs none of the app's settings.
		return runEdge(ctx, args, environ, out)
	}
	if cmd == "health" {
		// Container health check: GET /readyz, no shell needed (health.go).
		return runHealth(ctx, args, out)
	}
	if cmd == "bench" || cmd == "stack" {
		// The load generators and the local stack are not shipped in the
		// image: they live in cmd/dukaan-lab, which runs this binary.
		return fmt.Errorf("%s is a command of dukaan-lab, not of the shipped binary: run `bin/dukaan-lab %s` (make %s)", cmd, cmd, cmd)
	}
	if cmd == "help" {
		fmt.Fprintln(out, usage)
		return nil
	}
	// serve, migrate and seed are configured by the environment; their
	// flags are read first, so that -h works whatever the environment.
	fs := flag.NewFlagSet(cmd, flag.ContinueOnError)
	fs.SetOutput(out)
	var stores, products *int
	var jf jobsFlags
	switch cmd {
	case "serve", "migrate":
		fs.Usage = func() {
			fmt.Fprintf(out, "usage: dukaan %s\n\nSettings come from the environment; see README.md.\n", cmd)
		}
	case "seed":
		stores = fs.Int("stores", 10, "number of stores to create")
		products = fs.Int("products", 50, "products per store")
	case "jobs":
		jf = addJobsFlags(fs, out)
	default:
		return fmt.Errorf("unknown command %q (want serve, migrate, seed, edge, health or jobs)", cmd)
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if cmd == "jobs" && fs.NArg() > 0 {
		return fmt.Errorf("jobs: unexpected argument %q", fs.Arg(0))
	}
	cfg, err := LoadConfig(environ)
	if err != nil {
		return err
	}
	if err := cfg.Validate(); err != nil {
		return fmt.Errorf("invalid configuration:\n%w", err)
	}
	if cfg.PprofAddr != "" && startPprof != nil {
		startPprof(cfg.PprofAddr)
	}
	m := NewMain(cfg, out)
	switch cmd {
	case "serve":
		applyMemoryLimit(m.Logger)
		if err := m.Run(ctx); err != nil {
			m.Close()
			return err
		}
		<-ctx.Done()
		m.Logger.Info("shutting down")
		return m.Close()
	case "migrate":
		defer m.Close()
		if err := m.openDB(ctx, nil); err != nil {
			return err
		}
		fmt.Fprintln(out, "migrations applied")
		return nil
	case "jobs":
		defer m.Close()
		return m.listJobs(ctx, jf)
	case "seed":
		if cfg.Production() {
			// Bulk stores share a published password: they are for benchmarks.
			return errors.New("seed: refused with DUKAAN_ENV=production (bulk stores share a published password)")
		}
		if *stores < 1 || *products < 0 || *stores > 1_000_000 || *products > 10_000 {
			return errors.New("seed: --stores must be 1..1000000 and --products 0..10000")
		}
		defer m.Close()
		if err := m.openDB(ctx, nil); err != nil {
			return err
		}
		start := time.Now()
		err := storage.SeedBulk(ctx, m.DB, *stores, *products, func(done, total int) {
			fmt.Fprintf(out, "\rseeding: %d/%d stores", done, total)
		})
		fmt.Fprintln(out)
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "seeded %d stores × %d products in %s\n", *stores, *products, time.Since(start).Round(time.Millisecond))
		return nil
	}
	return nil
}

// startPprof serves Go's profiler on addr (DUKAAN_PPROF_ADDR). Only a
// binary built with -tags pprof sets it (pprof.go).
var startPprof func(addr string)

// The web layer reports to the Prometheus metrics.
var _ web.Observer = (*monitoring.Metrics)(nil)

// Main is the whole program, so that end-to-end tests can start it on :0
// and stop it.
type Main struct {
	Config Config
	Logger *slog.Logger
	DB     *storage.DB
	Web    *web.Server
	Pages  *pagecache.Cache
	// hosts are the store names the page cache PURGEs each page under.
	hosts *storeHosts
	Redis *redis.Client
	// Jobs runs this replica's workers of the job queue (storage/jobs).
	Jobs *jobs.Runner
	// Limiter counts sign-in and signup attempts (on Redis when there is
	// one, so every replica counts together).
	Limiter *ratelimit.Limiter
	// Metrics are served on GET /metrics of the listener (monitoring/).
	Metrics *monitoring.Metrics
	// Mailer delivers the mail jobs (mail.go): SMTP, the log, or nowhere.
	Mailer notify.Mailer

	// console is the console's URL for mail links, set once
	// consoleReady is closed (after the listener opens).
	console      notify.ConsoleBase
	consoleReady chan struct{}

	out  io.Writer
	ln   net.Listener
	http *http.Server
	wg   sync.WaitGroup
}

// NewMain returns a program for cfg that prints to out.
func NewMain(cfg Config, out io.Writer) *Main {
	level, _ := parseLevel(cfg.LogLevel)
	opts := &slog.HandlerOptions{Level: level}
	var h slog.Handler = slog.NewTextHandler(os.Stderr, opts)
	if cfg.LogFormat == "json" {
		h = slog.NewJSONHandler(os.Stderr, opts)
	}
	logger := slog.New(h)
	installRedisLog(logger)
	return &Main{Config: cfg, Logger: logger, out: out}
}

// openDB opens and migrates the database. Every product change it commits
// is published to events (the page cache, which purges the pages that
// show it); nil publishes nothing, for commands that serve no pages.
func (m *Main) openDB(ctx context.Context, events app.EventSink) error {
	db, err := storage.Open(ctx, storage.Config{
		DSN: m.Config.DatabaseURL, Logger: m.Logger, MaxOpenConns: m.Config.DBMaxOpenConns,
		BcryptCost: m.Config.BcryptCost,
		Events:     events,
	})
	if err != nil {
		return err
	}
	m.DB = db
	if err := db.Migrate(ctx); err != nil {
		return err
	}
	return nil
}

// Run opens the database, migrates, seeds the demo store when asked, and
// starts serving. It returns once the listener is open.
func (m *Main) Run(ctx context.Context) error {
	if err := m.openMetrics(); err != nil {
		return err
	}
	// The database publishes its product events to the page cache, so
	// the cache comes first.
	pages, err := m.openCache(ctx)
	if err != nil {
		return err
	}
	if err := m.openDB(ctx, pages); err != nil {
		return err
	}
	if err := m.watchMetrics(); err != nil {
		return err
	}
	photoDir, err := images.NewDir(m.Config.ImageDir)
	if err != nil {
		return fmt.Errorf("DUKAAN_IMAGE_DIR: %w", err)
	}
	photos := images.New(photoDir, int64(m.Config.ImageMaxMB)<<20)
	// Every replica works the queue: a purge owed by a commit whose
	// replica died is done by whichever replica fetches it first. The
	// periodic jobs are scheduled by the elected leader only.
	sessions := storage.NewSessionStore(m.DB)
	webhooks := m.Config.webhookClient()
	if err := m.openMailer(); err != nil {
		return err
	}
	m.Jobs, err = jobs.Start(ctx, jobs.Config{
		DB: m.DB.Bun().DB, Dialect: m.DB.Dialect(), Purger: pages, Logger: m.Logger,
		PollInterval: m.Config.JobPoll, JobTimeout: m.Config.JobTimeout, RescueAfter: m.Config.JobRescueAfter,
		SweepPhotos: jobs.Sweep{Every: time.Hour, Run: func(ctx context.Context) (int64, error) {
			n, err := photos.SweepOrphans(ctx, m.DB, images.DefaultOrphanAge)
			return int64(n), err
		}},
		PruneSessions:  jobs.Sweep{Every: time.Hour, Run: sessions.DeleteExpired},
		RecheckDomains: jobs.Sweep{Every: m.Config.DomainRecheck, Run: m.recheckDomains},
		SendMail:       m.sendMail,
		DeliverWebhook: m.deliverWebhook(webhooks), WebhookBackoff: m.Config.WebhookBackoff,
	})
	if err != nil {
		return err
	}
	demo, err := m.demoStore(ctx)
	if err != nil {
		return err
	}
	res, err := tenant.NewResolver(m.Config.BaseDomain, m.Config.TrustedProxies)
	if err != nil {
		return err
	}
	res.SetDomains(func(ctx context.Context, name string) (string, error) {
		_, slug, err := m.DB.VerifiedDomain(ctx, name)
		return slug, err
	}, m.Config.DomainTTL)
	m.hosts.res.Store(res)
	ln, err := net.Listen("tcp", m.Config.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", m.Config.Addr, err)
	}
	m.ln = ln
	port := m.Config.PublicPort
	if port == "" {
		if _, p, _ := net.SplitHostPort(ln.Addr().String()); p != "80" && p != "443" {
			port = ":" + p
		}
	}
	m.Limiter = ratelimit.New(m.Redis, m.Config.RedisPrefix, m.Logger)
	m.Web, err = web.New(web.Config{
		Resolver: res, Vendors: m.DB, Products: images.NewProducts(m.DB, photos, m.Logger), Orders: m.DB,
		Settings: m.DB, Coupons: m.DB, Accounts: m.DB, Categories: m.DB,
		Webhooks: m.DB, CheckWebhookURL: webhooks.CheckURL,
		Domains: m.DB, DomainChecker: m.domainChecker(), OnDomainChange: func(name string) {
			res.Forget(name)
			m.hosts.forget()
		},
		Sessions: sessions, Secret: m.Config.SecretBytes(),
		HTTPS: m.Config.HTTPS, Port: port, Ready: m.DB.Ping, Logger: m.Logger,
		Pages: pages, EdgeTTL: m.Config.EdgeTTL, PurgeToken: m.Config.PurgeToken,
		Location: m.Config.webLocation(),
		Images:   photos,
		Metrics:  m.Metrics, MetricsHandler: m.Metrics.Handler(),
		Limiter: m.Limiter, RateLimits: web.RateLimits{
			LoginPerAccount: m.Config.LoginLimitAccount, LoginPerIP: m.Config.LoginLimitIP,
			SignupPerIP: m.Config.SignupLimitIP,
		},
		EmailNotSetUp: !m.Config.SMTPConfigured(),
	})
	if err != nil {
		return err
	}
	m.console = notify.ConsoleBase(strings.TrimSuffix(m.Web.AdminURL(), "/"))
	close(m.consoleReady)
	m.http = &http.Server{
		Handler:           m.Web,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(m.Logger.Handler(), slog.LevelWarn),
	}
	m.wg.Add(1)
	go func() {
		defer m.wg.Done()
		if err := m.http.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			m.Logger.Error("http server", "err", err)
		}
	}()

	fmt.Fprintf(m.out, "Dukaan is running (%s, %s database) on %s\n", m.Config.Env, m.DB.Dialect(), ln.Addr())
	if demo {
		fmt.Fprintf(m.out, "  Shop:    %s\n", strings.TrimSuffix(m.Web.ShopURL(storage.DemoSlug), "/"))
	}
	fmt.Fprintf(m.out, "  Console: %s\n", strings.TrimSuffix(m.Web.AdminURL(), "/"))
	switch {
	case m.Config.MailOff():
		fmt.Fprintln(m.out, "  Email:   off (DUKAAN_MAIL=off): none is sent")
	case !m.Config.SMTPConfigured():
		fmt.Fprintln(m.out, "  Email:   not set up (DUKAAN_SMTP_URL, DUKAAN_MAIL_FROM): mail is written to the log")
	}
	if demo {
		fmt.Fprintf(m.out, "  Demo login: %s / %s\n", m.Config.DemoEmail, m.Config.DemoPassword)
	}
	return nil
}

// openCache connects Redis when configured and starts the page cache,
// which it returns (and keeps in m.Pages, for Close). Redis being down at
// start is not fatal: pages render from the database and caching resumes
// when it answers.
func (m *Main) openCache(ctx context.Context) (*pagecache.Cache, error) {
	if m.Config.RedisURL != "" {
		opt, err := redis.ParseURL(m.Config.RedisURL)
		if err != nil {
			return nil, fmt.Errorf("REDIS_URL: %w", err)
		}
		// A cache that is slow is worse than none: fail fast and render.
		opt.DialTimeout = 250 * time.Millisecond
		opt.ReadTimeout = 250 * time.Millisecond
		opt.WriteTimeout = 250 * time.Millisecond
		opt.PoolTimeout = 500 * time.Millisecond
		opt.MaxRetries = 1
		// go-redis dials 5 times, 100 ms apart, before a command fails:
		// with Redis down that held every purge (and the admin's redirect)
		// for 1.6 s and one shop request a second for 0.85 s. One dial.
		opt.DialerRetries = 1
		m.Redis = redis.NewClient(opt)
		pctx, cancel := context.WithTimeout(ctx, time.Second)
		if err := m.Redis.Ping(pctx).Err(); err != nil {
			m.Logger.Warn("redis unreachable at start; pages render from the database until it answers", "err", err)
		}
		cancel()
	}
	m.hosts = &storeHosts{m: m, ttl: m.Config.DomainTTL, entries: map[int64]storeHostsEntry{}}
	pages, err := pagecache.New(pagecache.Config{
		Redis: m.Redis, TTL: m.Config.PageTTL, LocalTTL: m.Config.LocalTTL, LocalSize: m.Config.LocalTierSize(),
		Edges: m.Config.Edges, EdgeRefresh: m.Config.EdgeRefresh, EdgeToken: m.Config.EdgeToken,
		PurgeTimeout: m.Config.PurgeTimeout, Logger: m.Logger,
		Prefix:     m.Config.RedisPrefix,
		OnPurge:    m.onPurge(),
		StoreHosts: m.hosts.get,
	})
	if err != nil {
		return nil, err
	}
	m.Pages = pages
	return pages, nil
}

// demoStore seeds the demo store on an empty database when configured, and
// in production refuses to run on a database that holds it.
func (m *Main) demoStore(ctx context.Context) (bool, error) {
	if m.Config.Production() {
		v, err := m.DB.VendorBySlug(ctx, storage.DemoSlug)
		if err == nil && v.Email == defaultDemoEmail {
			return false, errors.New("DUKAAN_ENV=production refuses to run with the demo store in the database (its password is published); delete it first")
		} else if err != nil && app.ErrorCode(err) != app.ENOTFOUND {
			return false, err
		}
		return false, nil
	}
	if !m.Config.ShouldSeedDemo() {
		return false, nil
	}
	created, err := storage.SeedDemo(ctx, m.DB, m.Config.DemoEmail, m.Config.DemoPassword)
	if err != nil {
		return false, fmt.Errorf("seeding the demo store: %w", err)
	}
	if created {
		m.Logger.Info("seeded the demo store", "store", storage.DemoSlug)
	}
	_, err = m.DB.VendorBySlug(ctx, storage.DemoSlug)
	return err == nil, nil
}

// Addr is the address the server listens on.
func (m *Main) Addr() string {
	if m.ln == nil {
		return ""
	}
	return m.ln.Addr().String()
}

// Close stops accepting, lets in-flight requests finish within the
// shutdown timeout, and closes the database.
func (m *Main) Close() error {
	var errs []error
	if m.http != nil {
		ctx, cancel := context.WithTimeout(context.Background(), m.Config.ShutdownTimeout)
		if err := m.http.Shutdown(ctx); err != nil {
			errs = append(errs, fmt.Errorf("http shutdown: %w", err))
		}
		cancel()
	}
	m.wg.Wait()
	if m.Jobs != nil {
		// Running purges finish (or the timeout ends them, and the next
		// replica's rescuer retries them).
		ctx, cancel := context.WithTimeout(context.Background(), m.Config.ShutdownTimeout)
		if err := m.Jobs.Stop(ctx); err != nil {
			errs = append(errs, err)
		}
		cancel()
	}
	if m.Pages != nil {
		_ = m.Pages.Close()
	}
	if m.Redis != nil {
		_ = m.Redis.Close()
	}
	if m.DB != nil {
		if err := m.DB.Close(); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
