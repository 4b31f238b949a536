package main

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"net/url"
	"reflect"
	"regexp"
	"strings"
	"time"

	"github.com/caarlos0/env/v11"
	"github.com/redis/go-redis/v9"

	"dukaan/notify"
	"dukaan/storage/pagecache"
	"dukaan/storage/ratelimit"
)

// devSecret keys sessions and CSRF in development only. Production refuses
// to start with it (or with no secret at all).
const devSecret = "dukaan-development-secret-do-not-use-in-production"

// Default demo login, seeded on an empty development database.
const (
	defaultDemoEmail    = "demo@example.com"
	defaultDemoPassword = "demo-shop-123"
)

// Config is every setting, read from the environment once and validated
// here; packages get what they need passed in.
type Config struct {
	Env             string        `env:"DUKAAN_ENV" envDefault:"development"`
	Addr            string        `env:"DUKAAN_ADDR" envDefault:"127.0.0.1:8080"`
	BaseDomain      string        `env:"DUKAAN_BASE_DOMAIN" envDefault:"localhost"`
	DatabaseURL     string        `env:"DATABASE_URL" envDefault:"data/dukaan.db"`
	Secret          string        `env:"DUKAAN_SECRET"`
	TrustedProxies  []string      `env:"DUKAAN_TRUSTED_PROXIES" envSeparator:","`
	HTTPS           bool          `env:"DUKAAN_HTTPS" envDefault:"false"`
	PublicPort      string        `env:"DUKAAN_PUBLIC_PORT"`
	SeedDemo        *bool         `env:"DUKAAN_SEED_DEMO"`
	DemoEmail       string        `env:"DUKAAN_DEMO_EMAIL" envDefault:"demo@example.com"`
	DemoPassword    string        `env:"DUKAAN_DEMO_PASSWORD" envDefault:"demo-shop-123"`
	LogLevel        string        `env:"DUKAAN_LOG_LEVEL" envDefault:"info"`
	LogFormat       string        `env:"DUKAAN_LOG_FORMAT" envDefault:"text"`
	ShutdownTimeout time.Duration `env:"DUKAAN_SHUTDOWN_TIMEOUT" envDefault:"15s"`
	DBMaxOpenConns  int           `env:"DUKAAN_DB_MAX_CONNS" envDefault:"0"`
	// TimeZone of the shops (IANA name): when "today" starts on the
	// orders page, and the dates of the CSV export (timezone.go).
	TimeZone string `env:"DUKAAN_TIMEZONE" envDefault:"Asia/Kolkata"`
	// BcryptCost of new password hashes; 0 is bcrypt's default (10). Only
	// DUKAAN_ENV=test may go lower: under the race detector one default
	// hash takes 0.7 s, and the tests sign in by the hundred.
	BcryptCost int `env:"DUKAAN_BCRYPT_COST" envDefault:"0"`

	// Product photos (storage/images): a directory every replica shares,
	// and the largest upload in MB.
	ImageDir   string `env:"DUKAAN_IMAGE_DIR" envDefault:"data/images"`
	ImageMaxMB int    `env:"DUKAAN_IMAGE_MAX_MB" envDefault:"5"`

	RedisURL     string        `env:"REDIS_URL"`
	RedisPrefix  string        `env:"DUKAAN_REDIS_PREFIX" envDefault:"dukaan:"`
	Edges        []string      `env:"DUKAAN_EDGES" envSeparator:","`
	EdgeRefresh  time.Duration `env:"DUKAAN_EDGE_REFRESH" envDefault:"10s"`
	EdgeToken    string        `env:"DUKAAN_EDGE_PURGE_TOKEN"`
	PageTTL      time.Duration `env:"DUKAAN_PAGE_TTL" envDefault:"15m"`
	LocalTTL     time.Duration `env:"DUKAAN_LOCAL_TTL" envDefault:"5s"`
	LocalSize    int           `env:"DUKAAN_LOCAL_SIZE" envDefault:"10000"`
	EdgeTTL      time.Duration `env:"DUKAAN_EDGE_TTL" envDefault:"60s"`
	PurgeTimeout time.Duration `env:"DUKAAN_PURGE_TIMEOUT" envDefault:"2s"`
	PurgeToken   string        `env:"DUKAAN_PURGE_TOKEN"`
	// The job queue (storage/jobs): how often idle workers look for a job
	// (the pickup delay of a purge a dead replica left), and how long a
	// job may run before it is handed to another replica.
	JobPoll        time.Duration `env:"DUKAAN_JOB_POLL" envDefault:"100ms"`
	JobTimeout     time.Duration `env:"DUKAAN_JOB_TIMEOUT" envDefault:"10s"`
	JobRescueAfter time.Duration `env:"DUKAAN_JOB_RESCUE_AFTER" envDefault:"15s"`

	// PprofAddr is where a binary built with -tags pprof (make
	// bench-profile) serves Go's profiler, a listener of its own; builds
	// without the tag ignore it.
	PprofAddr string `env:"DUKAAN_PPROF_ADDR"`

	// Sign-in and signup limits (web/ratelimit.go, counted by
	// storage/ratelimit): N per period, "off".
	LoginLimitAccount ratelimit.Rate `env:"DUKAAN_LOGIN_LIMIT_ACCOUNT" envDefault:"5/m"`
	LoginLimitIP      ratelimit.Rate `env:"DUKAAN_LOGIN_LIMIT_IP" envDefault:"20/m"`
	SignupLimitIP     ratelimit.Rate `env:"DUKAAN_SIGNUP_LIMIT_IP" envDefault:"10/h"`

	// Webhooks (notify/webhook.go, storage/jobs/webhook.go). AllowPrivate
	// lets endpoints be http:// and on loopback or private addresses, for
	// development and tests; production refuses it. Backoff is the first
	// retry's wait, doubling to 30 min, for a day.
	WebhookAllowPrivate bool          `env:"DUKAAN_WEBHOOK_ALLOW_PRIVATE" envDefault:"false"`
	WebhookBackoff      time.Duration `env:"DUKAAN_WEBHOOK_BACKOFF" envDefault:"10s"`
	// Email (notify/, mail.go): the SMTP server and sender. Without them
	// mail goes to the log (development); production needs them unless
	// DUKAAN_MAIL=off says the vendors are told nothing by email.
	SMTPURL  string `env:"DUKAAN_SMTP_URL"`
	MailFrom string `env:"DUKAAN_MAIL_FROM"`
	Mail     string `env:"DUKAAN_MAIL" envDefault:"on"`

	// Custom domains (app/domain.go, dnscheck/, tenant/custom.go): the
	// addresses and the CNAME target vendors point their domains at, the
	// DNS server verification asks ("" the system's resolver), and how
	// long a replica keeps a domain lookup: a removed or unverified domain
	// stops reaching its store on the other replicas within DomainTTL.
	PublicIPs   []string      `env:"DUKAAN_PUBLIC_IPS" envSeparator:","`
	CNAMETarget string        `env:"DUKAAN_CNAME_TARGET"`
	DNSResolver string        `env:"DUKAAN_DNS_RESOLVER"`
	DomainTTL   time.Duration `env:"DUKAAN_DOMAIN_TTL" envDefault:"5s"`
	// DomainRecheck is how often every verified domain is looked up again
	// (a periodic job on the leader); one that fails is flagged.
	DomainRecheck time.Duration `env:"DUKAAN_DOMAIN_RECHECK" envDefault:"24h"`
}

// EdgeConfig is the environment of `dukaan edge`, which needs none of the
// app's settings: the defaults of its flags.
type EdgeConfig struct {
	// PurgeToken is --purge-token's default: the app's
	// DUKAAN_EDGE_PURGE_TOKEN, under the edge's own name.
	PurgeToken string `env:"EDGE_PURGE_TOKEN"`
}

// LoadEdgeConfig reads the edge's environment.
func LoadEdgeConfig(environ map[string]string) (EdgeConfig, error) {
	var c EdgeConfig
	if err := env.ParseWithOptions(&c, env.Options{Environment: environ}); err != nil {
		return c, fmt.Errorf("config: %w", err)
	}
	return c, nil
}

// LoadConfig reads the environment.
func LoadConfig(environ map[string]string) (Config, error) {
	var c Config
	if err := env.ParseWithOptions(&c, env.Options{Environment: environ}); err != nil {
		return c, fmt.Errorf("config: %w", nameVariables(err))
	}
	return c, nil
}

// nameVariables rewrites the library's parse errors, which name Go fields,
// to name the environment variable a person has to fix.
func nameVariables(err error) error {
	var agg env.AggregateError
	if !errors.As(err, &agg) {
		return err
	}
	t := reflect.TypeOf(Config{})
	var out []error
	for _, e := range agg.Errors {
		var pe env.ParseError
		if errors.As(e, &pe) {
			if f, ok := t.FieldByName(pe.Name); ok {
				out = append(out, fmt.Errorf("%s: %v", f.Tag.Get("env"), pe.Err))
				continue
			}
		}
		out = append(out, e)
	}
	return errors.Join(out...)
}

// Production reports whether DUKAAN_ENV=production.
func (c Config) Production() bool { return c.Env == "production" }

// LocalTierSize is DUKAAN_LOCAL_SIZE as pagecache takes it: there 0 means
// its default, so "no local tier" (0 here) is -1.
func (c Config) LocalTierSize() int {
	if c.LocalSize == 0 {
		return -1
	}
	return c.LocalSize
}

// ShouldSeedDemo is DUKAAN_SEED_DEMO, defaulting to on outside production.
func (c Config) ShouldSeedDemo() bool {
	if c.SeedDemo != nil {
		return *c.SeedDemo
	}
	return !c.Production()
}

// SecretBytes is the key for sessions and CSRF.
func (c Config) SecretBytes() []byte {
	if c.Secret == "" {
		return []byte(devSecret)
	}
	return []byte(c.Secret)
}

// Validate checks every setting and says, in one message, everything that
// is wrong.
func (c Config) Validate() error {
	var errs []error
	switch c.Env {
	case "development", "production", "test":
	default:
		errs = append(errs, fmt.Errorf("DUKAAN_ENV=%q: use development, production or test", c.Env))
	}
	if _, _, err := net.SplitHostPort(c.Addr); err != nil {
		errs = append(errs, fmt.Errorf("DUKAAN_ADDR=%q: want host:port, e.g. 127.0.0.1:8080 (%v)", c.Addr, err))
	}
	if c.BaseDomain == "" || strings.ContainsAny(c.BaseDomain, ":/ ") {
		errs = append(errs, fmt.Errorf("DUKAAN_BASE_DOMAIN=%q: want a bare domain such as localhost or shops.example.in", c.BaseDomain))
	}
	if c.DatabaseURL == "" {
		errs = append(errs, errors.New("DATABASE_URL is empty: use postgres://… or a SQLite file path"))
	}
	if c.Secret != "" && len(c.Secret) < 32 {
		errs = append(errs, errors.New("DUKAAN_SECRET must be at least 32 characters (e.g. `openssl rand -hex 32`)"))
	}
	if c.PublicPort != "" && !strings.HasPrefix(c.PublicPort, ":") {
		errs = append(errs, fmt.Errorf("DUKAAN_PUBLIC_PORT=%q: want \":8000\" style, or empty", c.PublicPort))
	}
	if _, err := parseLevel(c.LogLevel); err != nil {
		errs = append(errs, err)
	}
	switch {
	case c.BcryptCost != 0 && (c.BcryptCost < 4 || c.BcryptCost > 16):
		errs = append(errs, fmt.Errorf("DUKAAN_BCRYPT_COST=%d: use 10 to 16 (0 for the default, 10)", c.BcryptCost))
	case c.BcryptCost != 0 && c.BcryptCost < 10 && c.Env != "test":
		errs = append(errs, fmt.Errorf("DUKAAN_BCRYPT_COST=%d: below 10 only with DUKAAN_ENV=test", c.BcryptCost))
	}
	if _, err := c.Location(); err != nil {
		errs = append(errs, err)
	}
	if c.LogFormat != "text" && c.LogFormat != "json" {
		errs = append(errs, fmt.Errorf("DUKAAN_LOG_FORMAT=%q: use text or json", c.LogFormat))
	}
	if c.ShutdownTimeout <= 0 {
		errs = append(errs, errors.New("DUKAAN_SHUTDOWN_TIMEOUT must be positive"))
	}
	for name, d := range map[string]time.Duration{"DUKAAN_PAGE_TTL": c.PageTTL, "DUKAAN_LOCAL_TTL": c.LocalTTL, "DUKAAN_EDGE_TTL": c.EdgeTTL} {
		// go-redis/cache silently turns a TTL under a second into an hour.
		if d < time.Second {
			errs = append(errs, fmt.Errorf("%s=%s: must be at least 1s", name, d))
		}
	}
	if c.PurgeTimeout <= 0 {
		errs = append(errs, errors.New("DUKAAN_PURGE_TIMEOUT must be positive"))
	}
	if c.JobPoll < time.Millisecond || c.JobPoll > time.Minute {
		errs = append(errs, fmt.Errorf("DUKAAN_JOB_POLL=%s: must be between 1ms and 1m", c.JobPoll))
	}
	if c.JobTimeout <= c.PurgeTimeout {
		// A purge attempt waits up to PurgeTimeout plus the edges' settle.
		errs = append(errs, fmt.Errorf("DUKAAN_JOB_TIMEOUT=%s: must be longer than DUKAAN_PURGE_TIMEOUT", c.JobTimeout))
	}
	if c.JobRescueAfter < c.JobTimeout {
		errs = append(errs, fmt.Errorf("DUKAAN_JOB_RESCUE_AFTER=%s: must be at least DUKAAN_JOB_TIMEOUT", c.JobRescueAfter))
	}
	if c.LocalSize < 0 || c.LocalSize == 1 || c.LocalSize == 2 {
		// go-tinylfu panics on every Set below three entries.
		errs = append(errs, errors.New("DUKAAN_LOCAL_SIZE must be 0 (no local tier) or at least 3"))
	}
	if c.RedisURL != "" {
		if _, err := redis.ParseURL(c.RedisURL); err != nil {
			errs = append(errs, fmt.Errorf("REDIS_URL: %v", err))
		}
	}
	for _, e := range c.Edges {
		// A base URL, or dns+http://name:port for every address of name.
		if err := pagecache.ParseEdge(e); err != nil {
			errs = append(errs, fmt.Errorf("DUKAAN_EDGES: %v", err))
		}
	}
	if c.EdgeRefresh < time.Second || c.EdgeRefresh > time.Hour {
		errs = append(errs, fmt.Errorf("DUKAAN_EDGE_REFRESH=%s: use 1s to 1h", c.EdgeRefresh))
	}
	if strings.TrimSpace(c.ImageDir) == "" {
		errs = append(errs, errors.New("DUKAAN_IMAGE_DIR is empty: product photos need a directory (shared by every replica)"))
	}
	if c.ImageMaxMB < 1 || c.ImageMaxMB > 50 {
		errs = append(errs, fmt.Errorf("DUKAAN_IMAGE_MAX_MB=%d: use 1 to 50", c.ImageMaxMB))
	}
	if c.EdgeToken != "" && !edgeTokenRE.MatchString(c.EdgeToken) {
		errs = append(errs, errors.New("DUKAAN_EDGE_PURGE_TOKEN must be 16-128 of A-Z a-z 0-9 _ - (openssl rand -hex 24)"))
	}
	if c.PurgeToken != "" && len(c.PurgeToken) < 16 {
		errs = append(errs, errors.New("DUKAAN_PURGE_TOKEN must be at least 16 characters"))
	}
	switch {
	case c.WebhookBackoff <= 0 || c.WebhookBackoff > 30*time.Minute:
		errs = append(errs, fmt.Errorf("DUKAAN_WEBHOOK_BACKOFF=%s: use 1s to 30m", c.WebhookBackoff))
	case c.WebhookBackoff < time.Second && c.Env != "test":
		errs = append(errs, fmt.Errorf("DUKAAN_WEBHOOK_BACKOFF=%s: below 1s only with DUKAAN_ENV=test", c.WebhookBackoff))
	}
	if c.WebhookAllowPrivate && c.Production() {
		errs = append(errs, errors.New("DUKAAN_ENV=production refuses DUKAAN_WEBHOOK_ALLOW_PRIVATE: a shop's endpoint could reach this network's own services (loopback, private and cloud metadata addresses)"))
	}
	errs = append(errs, c.validateMail()...)
	errs = append(errs, c.validateDomains()...)
	if c.Production() {
		if !c.HTTPS {
			errs = append(errs, errors.New("DUKAAN_ENV=production needs DUKAAN_HTTPS=true: session and CSRF cookies must be Secure (terminate TLS at the edge or a load balancer)"))
		}
		for _, p := range c.TrustedProxies {
			if pfx, err := netip.ParsePrefix(strings.TrimSpace(p)); err == nil && pfx.Bits() == 0 {
				errs = append(errs, fmt.Errorf("DUKAAN_TRUSTED_PROXIES=%q trusts every address: anyone could set X-Forwarded-For/-Host; list your edges and load balancers", p))
			}
		}
		if len(c.Edges) > 0 && c.EdgeToken == "" {
			errs = append(errs, errors.New("DUKAAN_ENV=production with DUKAAN_EDGES needs DUKAAN_EDGE_PURGE_TOKEN (and the same token on every edge: dukaan edge --purge-token / EDGE_PURGE_TOKEN), so only the app can PURGE them"))
		}
		if c.PurgeToken == "" {
			errs = append(errs, errors.New("DUKAAN_ENV=production needs DUKAAN_PURGE_TOKEN (16+ random characters) so ops can purge pages"))
		}
		if c.Secret == "" || c.Secret == devSecret {
			errs = append(errs, errors.New("DUKAAN_ENV=production needs DUKAAN_SECRET: a random value of 32+ characters, not the development default"))
		}
		// The example files' placeholders are long enough to pass the
		// length checks; copied unchanged they would be published keys.
		for name, v := range map[string]string{
			"DUKAAN_SECRET": c.Secret, "DUKAAN_PURGE_TOKEN": c.PurgeToken, "DUKAAN_EDGE_PURGE_TOKEN": c.EdgeToken,
			"DATABASE_URL's password": urlPassword(c.DatabaseURL), "REDIS_URL's password": urlPassword(c.RedisURL),
		} {
			if placeholder(v) {
				errs = append(errs, fmt.Errorf("DUKAAN_ENV=production refuses %s: it is the example file's placeholder; generate a random value (openssl rand -hex 32)", name))
			}
		}
		if c.ShouldSeedDemo() {
			errs = append(errs, errors.New("DUKAAN_ENV=production refuses DUKAAN_SEED_DEMO: demo data has a published password"))
		}
		if c.DemoPassword != defaultDemoPassword || c.DemoEmail != defaultDemoEmail {
			// Harmless, but a sign the operator expects demo data.
			slog.Warn("DUKAAN_DEMO_* are ignored in production")
		}
	}
	return errors.Join(errs...)
}

// MailOff is DUKAAN_MAIL=off: no email is sent (mail jobs complete with a
// log line naming the template and recipient, not the message).
func (c Config) MailOff() bool { return c.Mail == "off" }

// SMTPConfigured reports whether mail goes to an SMTP server.
func (c Config) SMTPConfigured() bool { return !c.MailOff() && c.SMTPURL != "" }

// validateMail checks the email settings.
func (c Config) validateMail() []error {
	var errs []error
	switch c.Mail {
	case "on", "off":
	default:
		errs = append(errs, fmt.Errorf("DUKAAN_MAIL=%q: use on or off", c.Mail))
	}
	if c.SMTPURL != "" {
		if _, err := notify.ParseSMTPURL(c.SMTPURL); err != nil {
			errs = append(errs, fmt.Errorf("DUKAAN_SMTP_URL: %v", err))
		}
		if c.MailFrom == "" {
			errs = append(errs, errors.New("DUKAAN_SMTP_URL needs DUKAAN_MAIL_FROM, the sender address (e.g. \"Dukaan <orders@shops.example.in>\")"))
		}
	}
	if c.MailFrom != "" {
		if _, err := notify.ParseFrom(c.MailFrom); err != nil {
			errs = append(errs, fmt.Errorf("DUKAAN_MAIL_FROM: %v", err))
		}
	}
	if c.Production() && !c.MailOff() {
		if c.SMTPURL == "" || c.MailFrom == "" {
			errs = append(errs, errors.New("DUKAAN_ENV=production needs DUKAAN_SMTP_URL and DUKAAN_MAIL_FROM to email vendors their orders (or DUKAAN_MAIL=off to send no email)"))
		}
		if placeholder(urlPassword(c.SMTPURL)) {
			errs = append(errs, errors.New("DUKAAN_ENV=production refuses DUKAAN_SMTP_URL's password: it is the example file's placeholder"))
		}
	}
	return errs
}

// edgeTokenRE is what DUKAAN_EDGE_PURGE_TOKEN may be: it is written into
// the edges' nginx configuration.
var edgeTokenRE = regexp.MustCompile(`^[A-Za-z0-9_-]{16,128}$`)

// placeholder reports whether a secret is one of the example files'
// stand-ins (.env.example, the Kubernetes example overlay) rather than a
// value someone generated.
func placeholder(v string) bool {
	v = strings.ToLower(v)
	for _, p := range []string{"replace-me", "replace_me", "replaceme", "changeme", "change-me", "fake", "example", "placeholder", "xxxxxxxx"} {
		if strings.Contains(v, p) {
			return true
		}
	}
	return false
}

// urlPassword is the password in a postgres:// or redis:// URL, or "".
func urlPassword(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.User == nil {
		return ""
	}
	p, _ := u.User.Password()
	return p
}

func parseLevel(s string) (slog.Level, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(s)); err != nil {
		return l, fmt.Errorf("DUKAAN_LOG_LEVEL=%q: use debug, info, warn or error", s)
	}
	return l, nil
}

// validateDomains checks the custom domain settings.
func (c Config) validateDomains() []error {
	var errs []error
	for _, ip := range c.PublicIPs {
		if _, err := netip.ParseAddr(strings.TrimSpace(ip)); err != nil {
			errs = append(errs, fmt.Errorf("DUKAAN_PUBLIC_IPS: %q is not an IP address", ip))
		}
	}
	if t := strings.TrimSuffix(c.CNAMETarget, "."); t != "" && (strings.ContainsAny(t, ":/ ") || !strings.Contains(t, ".")) {
		errs = append(errs, fmt.Errorf("DUKAAN_CNAME_TARGET=%q: want a host name such as edge.shops.example.in", c.CNAMETarget))
	}
	if c.DNSResolver != "" {
		if _, _, err := net.SplitHostPort(c.DNSResolver); err != nil {
			errs = append(errs, fmt.Errorf("DUKAAN_DNS_RESOLVER=%q: want host:port, e.g. 1.1.1.1:53 (%v)", c.DNSResolver, err))
		}
	}
	if c.DomainTTL < 100*time.Millisecond || c.DomainTTL > time.Minute {
		errs = append(errs, fmt.Errorf("DUKAAN_DOMAIN_TTL=%s: use 100ms to 1m (a removed domain reaches other replicas within it)", c.DomainTTL))
	}
	switch {
	case c.DomainRecheck <= 0 || c.DomainRecheck > 7*24*time.Hour:
		errs = append(errs, fmt.Errorf("DUKAAN_DOMAIN_RECHECK=%s: use 1m to 168h", c.DomainRecheck))
	case c.DomainRecheck < time.Minute && c.Env != "test":
		errs = append(errs, fmt.Errorf("DUKAAN_DOMAIN_RECHECK=%s: below 1m only with DUKAAN_ENV=test", c.DomainRecheck))
	}
	return errs
}

// publicIPs are DUKAAN_PUBLIC_IPS parsed (Validate refused bad ones).
func (c Config) publicIPs() []netip.Addr {
	var out []netip.Addr
	for _, s := range c.PublicIPs {
		if a, err := netip.ParseAddr(strings.TrimSpace(s)); err == nil {
			out = append(out, a.Unmap())
		}
	}
	return out
}
