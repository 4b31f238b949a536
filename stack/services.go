package stack

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/redis/go-redis/v9"

	"dukaan/caddy"
	"dukaan/internal/pgutil"
	iproc "dukaan/internal/proc"
	"dukaan/nginx"
)

// ---------------------------------------------------------------------------
// PostgreSQL (internal/pgutil).

func (s *Stack) startPostgres(ctx context.Context) error {
	o := s.opts
	admin := o.Postgres
	switch o.Postgres {
	case "auto":
		if err := pgutil.Ping(ctx, runningPostgres, 2*time.Second); err == nil {
			admin = runningPostgres
		} else {
			s.logf("postgres   nothing answers on 127.0.0.1:5432 (%v): starting a private cluster", err)
			admin = "private"
		}
	case "private":
	default:
		if err := pgutil.Ping(ctx, admin, 5*time.Second); err != nil {
			return fmt.Errorf("PostgreSQL at %s: %w", pgutil.Redact(admin), err)
		}
	}
	if admin == "private" {
		var err error
		if admin, err = s.privatePostgres(ctx); err != nil {
			return err
		}
		s.PrivatePostgres = true
	}
	ectx, cancel := context.WithTimeout(ctx, 10*time.Second)
	created, err := pgutil.EnsureDatabase(ectx, admin, o.Database)
	cancel()
	if err != nil {
		return err
	}
	s.adminPG = admin
	if s.DatabaseURL, err = pgutil.WithDatabase(admin, o.Database); err != nil {
		return err
	}
	how := "existing"
	if created {
		how = "created"
	}
	s.logf("%-10s %s (database %s, %s)", "postgres", pgutil.Redact(s.DatabaseURL), o.Database, how)
	return nil
}

func dropDatabase(admin, name string) error {
	db, err := pgutil.Open(admin, 2)
	if err != nil {
		return err
	}
	defer db.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if _, err := db.ExecContext(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
		return fmt.Errorf("drop database %s: %w", name, err)
	}
	return nil
}

// postgresBin finds the PostgreSQL server binaries (internal/proc).
var postgresBin = iproc.PostgresBin

// privatePostgres runs a cluster of the stack's own in DataDir/postgres
// (initialised on first use, kept afterwards), in the foreground as a child
// like every other service. As root it runs as the postgres user.
func (s *Stack) privatePostgres(ctx context.Context) (string, error) {
	bin, err := postgresBin()
	if err != nil {
		return "", &MissingError{Missing: []string{err.Error()}}
	}
	o := &s.opts
	if err := claimPorts([]namedPort{{"postgres", "-postgres-port", &o.PostgresPort}}); err != nil {
		return "", err
	}
	dir := filepath.Join(o.DataDir, "postgres")
	data, sock := filepath.Join(dir, "data"), filepath.Join(dir, "socket")
	var cred *syscall.Credential
	if os.Geteuid() == 0 {
		if cred, err = iproc.UserCred("postgres"); err != nil {
			return "", fmt.Errorf("private PostgreSQL: as root the cluster runs as the postgres user: %w", err)
		}
	}
	for _, d := range []string{dir, sock} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return "", err
		}
		if cred != nil {
			if err := os.Chown(d, int(cred.Uid), int(cred.Gid)); err != nil {
				return "", err
			}
		}
	}
	env := append(childEnv(), "LC_ALL=C")
	if _, err := os.Stat(filepath.Join(data, "PG_VERSION")); err != nil {
		cmd := exec.CommandContext(ctx, filepath.Join(bin, "initdb"), "-D", data, "-U", "postgres", "-A", "trust",
			"-E", "UTF8", "--locale=C", "--no-sync", "--no-instructions")
		cmd.Env, cmd.Dir = env, dir
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
		if out, err := cmd.CombinedOutput(); err != nil {
			hint := ""
			if cred != nil {
				hint = fmt.Sprintf(" (as root, initdb runs as the postgres user, which must be able to enter every parent of %s)", dir)
			}
			return "", fmt.Errorf("private PostgreSQL: initdb%s: %v\n%s", hint, err, out)
		}
		s.logf("%-10s initialised a private cluster in %s", "postgres", data)
	}
	p, err := s.spawn(spawnSpec{name: "postgres", bin: filepath.Join(bin, "postgres"), env: env, dir: dir, cred: cred,
		// SIGINT is PostgreSQL's fast shutdown; SIGTERM would wait for
		// every client to leave.
		stopSig: syscall.SIGINT,
		args: []string{"-D", data, "-p", strconv.Itoa(o.PostgresPort), "-k", sock,
			"-c", "listen_addresses=127.0.0.1", "-c", "max_connections=100"}})
	if err != nil {
		return "", err
	}
	// The log file is ours (root); the server writes to the inherited fd.
	dsn := fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", o.PostgresPort)
	if err := waitFor(ctx, p, 30*time.Second, "private PostgreSQL", func() error { return pgutil.Ping(ctx, dsn, time.Second) }); err != nil {
		return "", err
	}
	return dsn, nil
}

// ---------------------------------------------------------------------------
// Redis.

func pingRedis(ctx context.Context, u string) error {
	opt, err := redis.ParseURL(u)
	if err != nil {
		return err
	}
	opt.DialTimeout, opt.ReadTimeout, opt.MaxRetries = time.Second, time.Second, -1
	c := redis.NewClient(opt)
	defer c.Close()
	return c.Ping(ctx).Err()
}

func (s *Stack) startRedis(ctx context.Context) error {
	o := s.opts
	switch o.Redis {
	case "auto":
		if err := pingRedis(ctx, runningRedis); err == nil {
			s.RedisURL = runningRedis
		} else {
			s.logf("redis      nothing answers on 127.0.0.1:6379 (%v): starting a private redis-server", err)
		}
	case "private":
	default:
		if err := pingRedis(ctx, o.Redis); err != nil {
			return fmt.Errorf("Redis at %s: %w", pgutil.Redact(o.Redis), err)
		}
		s.RedisURL = o.Redis
	}
	if s.RedisURL == "" {
		if err := s.privateRedis(ctx); err != nil {
			return err
		}
		s.PrivateRedis = true
		s.logf("%-10s %s (private redis-server, nothing saved)", "redis", s.RedisURL)
		return nil
	}
	// A shared server keeps our pages after a stop; the database may have
	// changed since (or been dropped), so the stack starts without them.
	n, err := deletePrefix(ctx, s.RedisURL, o.RedisPrefix)
	if err != nil {
		return fmt.Errorf("Redis at %s: clearing %s*: %w", pgutil.Redact(s.RedisURL), o.RedisPrefix, err)
	}
	s.logf("%-10s %s (keys under %q; %d left from an earlier run removed)", "redis", pgutil.Redact(s.RedisURL), o.RedisPrefix, n)
	return nil
}

// deletePrefix removes every key under prefix.
func deletePrefix(ctx context.Context, u, prefix string) (int, error) {
	if prefix == "" {
		return 0, errors.New("refusing to clear a Redis without a key prefix")
	}
	opt, err := redis.ParseURL(u)
	if err != nil {
		return 0, err
	}
	c := redis.NewClient(opt)
	defer c.Close()
	ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	n := 0
	iter := c.Scan(ctx, 0, prefix+"*", 500).Iterator()
	var batch []string
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		err := c.Unlink(ctx, batch...).Err()
		n += len(batch)
		batch = batch[:0]
		return err
	}
	for iter.Next(ctx) {
		batch = append(batch, iter.Val())
		if len(batch) == 500 {
			if err := flush(); err != nil {
				return n, err
			}
		}
	}
	if err := iter.Err(); err != nil {
		return n, err
	}
	return n, flush()
}

func (s *Stack) privateRedis(ctx context.Context) error {
	bin := lookPath("redis-server")
	if bin == "" {
		return &MissingError{Missing: []string{"redis-server (apt-get install redis-server)"}}
	}
	o := &s.opts
	if err := claimPorts([]namedPort{{"redis", "-redis-port", &o.RedisPort}}); err != nil {
		return err
	}
	dir := filepath.Join(o.DataDir, "redis")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	p, err := s.spawn(spawnSpec{name: "redis", bin: bin, env: childEnv(), args: iproc.RedisArgs(o.RedisPort, dir)})
	if err != nil {
		return err
	}
	s.RedisURL = fmt.Sprintf("redis://127.0.0.1:%d/0", o.RedisPort)
	return waitFor(ctx, p, 10*time.Second, "private redis-server", func() error { return pingRedis(ctx, s.RedisURL) })
}

// ---------------------------------------------------------------------------
// The entry: one nginx port in front of the edges (nginx/entry.conf.tmpl).
// It balances, and keeps what the edges need to know: Host (the cache key
// and the store) and the client's address (X-Forwarded-For). It caches
// nothing.

func (s *Stack) startEntry(ctx context.Context) error {
	o := s.opts
	dir := filepath.Join(o.DataDir, "entry")
	lp := nginx.LabParams{Listen: fmt.Sprintf("127.0.0.1:%d", o.Entry), Dir: dir, Workers: o.NginxWorkers}
	for _, p := range o.Edges {
		lp.Upstreams = append(lp.Upstreams, fmt.Sprintf("127.0.0.1:%d", p))
	}
	if os.Geteuid() == 0 {
		lp.User = "nobody nogroup"
	}
	confPath, err := nginx.WriteEntry(lp)
	if err != nil {
		return err
	}
	if lp.User != "" {
		// Workers write request bodies to temp as nobody.
		if err := chownNobody(filepath.Join(dir, "temp")); err != nil {
			return err
		}
	}
	p, err := s.spawn(spawnSpec{name: "entry", bin: s.bins.nginx, env: childEnv(), stopSig: syscall.SIGQUIT, args: nginx.Args(dir)})
	if err != nil {
		return err
	}
	if err := waitFor(ctx, p, 20*time.Second, "entry", httpOK(s.Entry+"/healthz")); err != nil {
		return err
	}
	s.logf("%-10s %s (nginx, round robin over %d edges; %s)", "entry", s.Entry, len(o.Edges), confPath)
	return nil
}

func chownNobody(dir string) error {
	nobody, err := iproc.UserCred("nobody")
	if err != nil {
		return err
	}
	return filepath.Walk(dir, func(p string, _ os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		return os.Lchown(p, int(nobody.Uid), int(nobody.Gid))
	})
}

// ---------------------------------------------------------------------------
// Prometheus: the job names of monitoring/prometheus.yml (the rules and
// dashboards select by them), with every replica, mtail and exporter.

func (s *Stack) prometheusConfig() (string, error) {
	o := s.opts
	rules, err := filepath.Glob(filepath.Join(o.MonitoringDir, "rules", "*.yml"))
	if err != nil || len(rules) == 0 {
		return "", fmt.Errorf("no rule files in %s (%v)", filepath.Join(o.MonitoringDir, "rules"), err)
	}
	iv := promDuration(o.ScrapeInterval)
	var b strings.Builder
	b.WriteString("# Generated by `dukaan-lab stack` at each start; edits are lost.\n")
	fmt.Fprintf(&b, "global:\n  scrape_interval: %s\n  scrape_timeout: %s\n  evaluation_interval: %s\n", iv, iv, iv)
	b.WriteString("rule_files:\n")
	for _, f := range rules {
		fmt.Fprintf(&b, "  - %q\n", f)
	}
	b.WriteString("scrape_configs:\n")
	job := func(name string, urls []string) {
		fmt.Fprintf(&b, "  - job_name: %q\n    static_configs:\n      - targets: [", name)
		for i, u := range urls {
			if i > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "%q", strings.TrimPrefix(u, "http://"))
		}
		b.WriteString("]\n")
	}
	job("dukaan", s.Apps)
	job("dukaan-edge-log", s.Mtail)
	job("dukaan-edge-nginx", s.Exporters)
	return b.String(), nil
}

// promDuration writes d the way Prometheus reads durations (whole ms).
func promDuration(d time.Duration) string {
	if d%time.Second == 0 {
		return fmt.Sprintf("%ds", d/time.Second)
	}
	return fmt.Sprintf("%dms", d/time.Millisecond)
}

func (s *Stack) startPrometheus(ctx context.Context) error {
	o := s.opts
	dir := filepath.Join(o.DataDir, "prometheus")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	conf, err := s.prometheusConfig()
	if err != nil {
		return err
	}
	confPath := filepath.Join(dir, "prometheus.yml")
	if err := os.WriteFile(confPath, []byte(conf), 0o644); err != nil {
		return err
	}
	p, err := s.spawn(spawnSpec{name: "prometheus", bin: s.bins.prometheus, env: childEnv(), args: []string{
		"--config.file=" + confPath,
		"--storage.tsdb.path=" + filepath.Join(dir, "data"),
		fmt.Sprintf("--web.listen-address=127.0.0.1:%d", o.Prometheus),
		"--log.level=warn",
	}})
	if err != nil {
		return err
	}
	if err := waitFor(ctx, p, 60*time.Second, "prometheus", httpOK(s.Prometheus+"/-/ready")); err != nil {
		return err
	}
	s.logf("%-10s %s (%s)", "prometheus", s.Prometheus, confPath)
	return nil
}

// ---------------------------------------------------------------------------
// Caddy: HTTPS in front of the edges (caddy/Caddyfile.tmpl) with its
// internal CA: the base domain's wildcard, and on-demand certificates for
// verified custom domains asked of the first replica. Its root is copied
// to DataDir/caddy-root.crt for curl --cacert and browsers.

func (s *Stack) startCaddy(ctx context.Context) error {
	o := s.opts
	dir, err := filepath.Abs(filepath.Join(o.DataDir, "caddy"))
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	p := caddy.Params{Base: o.Domain, AskURL: s.Apps[0] + "/internal/tls-ask", Storage: filepath.Join(dir, "data"),
		HTTPPort: o.TLSHTTP, HTTPSPort: o.TLS, InternalCA: true}
	for _, e := range o.Edges {
		p.Upstreams = append(p.Upstreams, fmt.Sprintf("127.0.0.1:%d", e))
	}
	conf, err := caddy.Write(dir, p)
	if err != nil {
		return err
	}
	env := append(childEnv(), "HOME="+dir, "XDG_CONFIG_HOME="+dir, "XDG_DATA_HOME="+dir)
	pr, err := s.spawn(spawnSpec{name: "caddy", bin: s.bins.caddy, env: env, stopSig: syscall.SIGTERM, args: caddy.Args(conf)})
	if err != nil {
		return err
	}
	root := caddy.RootCert(p.Storage)
	if err := waitFor(ctx, pr, 20*time.Second, "caddy", func() error {
		if _, err := os.Stat(root); err != nil {
			return err
		}
		c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", o.TLS), 200*time.Millisecond)
		if err != nil {
			return err
		}
		return c.Close()
	}); err != nil {
		return err
	}
	pem, err := os.ReadFile(root)
	if err != nil {
		return err
	}
	s.CARoot = filepath.Join(o.DataDir, "caddy-root.crt")
	if err := os.WriteFile(s.CARoot, pem, 0o644); err != nil {
		return err
	}
	s.TLS = fmt.Sprintf("https://127.0.0.1:%d", o.TLS)
	s.logf("%-10s %s (caddy, internal CA; root %s)", "caddy", s.TLS, s.CARoot)
	return nil
}
