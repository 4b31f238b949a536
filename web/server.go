// Package web is Dukaan's HTTP face: one handler that sends each request,
// by its host, to the landing site, the vendor console or a shop. Handlers
// are thin: bind, validate, call an app service, render a typed page.
package web

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/alexedwards/scs/v2"
	"github.com/gin-gonic/gin"
	"github.com/gorilla/csrf"

	"dukaan/app"
	"dukaan/storage/pagecache"
	"dukaan/tenant"
)

// Config is everything the web layer needs, passed in by cmd/dukaan.
type Config struct {
	Resolver *tenant.Resolver
	Vendors  app.VendorService
	Products app.ProductService
	Orders   app.OrderService
	Sessions app.SessionStore
	// Settings saves the console's settings form (details and checkout
	// together); Coupons keeps the discount codes.
	Settings app.SettingsService
	Coupons  app.CouponService
	// Webhooks keeps the shop's webhook endpoint and shows its deliveries;
	// nil leaves the console without its webhooks page. CheckWebhookURL
	// is the address check of a new endpoint (the webhook client's).
	Webhooks        app.WebhookService
	CheckWebhookURL CheckWebhookURL
	// Accounts recovers and changes logins (password reset, account
	// settings); nil leaves those pages out (404).
	Accounts app.AccountService
	// Categories keeps the shops' categories (the console's /categories,
	// the shop's row of links and /c/{slug}); nil turns them off.
	Categories app.CategoryService
	// Domains keeps the shops' custom domains (the console's /domain),
	// DomainChecker looks their records up; both or neither. A nil
	// Domains leaves the page out. OnDomainChange is called with a
	// domain's name after a change to it (the host resolution's cache).
	Domains        app.DomainService
	DomainChecker  DomainChecker
	OnDomainChange func(name string)
	// Secret keys the CSRF cookie and the hashing of session tokens; at
	// least 32 bytes.
	Secret []byte
	// HTTPS says the public URLs are https: cookies get Secure and CSRF
	// checks the Referer of requests without an Origin.
	HTTPS bool
	// Port is appended to printed and linked URLs (":8080"); empty for the
	// scheme's default.
	Port   string
	Ready  func(ctx context.Context) error // the database answers
	Logger *slog.Logger

	// Pages caches rendered shop pages (required: the local tier alone
	// when there is no Redis).
	Pages Pages
	// EdgeTTL is the s-maxage shop pages carry for the edge (default 60 s).
	EdgeTTL time.Duration
	// EmailNotSetUp says no email leaves this server (no SMTP server, or
	// DUKAAN_MAIL=off): the console's settings page says so.
	EmailNotSetUp bool
	// PurgeToken enables the ops PURGE method on shop hosts; empty refuses
	// it with 405.
	PurgeToken string
	// Images keeps product photos; nil turns photo uploads off (the form
	// hides the field). Products is expected to drop the photos no product
	// shows any more (images.Products).
	Images Images
	// Location is the shops' time zone: when "today" starts on the orders
	// page and the dates of the CSV export (default Asia/Kolkata).
	Location *time.Location

	// RateLimits bound sign-in and signup attempts (ratelimit.go); zero
	// values limit nothing.
	RateLimits RateLimits
	// Limiter counts the attempts RateLimits bound (storage/ratelimit);
	// required when any of them is on.
	Limiter RateLimiter

	// Metrics receives request and order measurements (monitoring.Metrics);
	// nil measures nothing.
	Metrics Observer
	// MetricsHandler, when set, answers GET /metrics on every host of the
	// app's listener, before host dispatch (the edge hides it).
	MetricsHandler http.Handler
}

// Pages is the page cache of shop pages (storage/pagecache's Cache).
type Pages interface {
	// Key names the page of requestURI on host, as the edge keys it.
	Key(storeID int64, host, requestURI string) string
	// Get returns the page under key, rendering and storing it on a miss;
	// cacheable is false when a purge of the store ran meanwhile.
	Get(ctx context.Context, storeID int64, key string, render pagecache.Render) (p *pagecache.Page, res pagecache.Result, cacheable bool, err error)
	// Purge drops the store's pages that carry any of tags, from every tier.
	Purge(ctx context.Context, storeID int64, tags ...string) error
	// PurgeKeys drops the store's pages under keys, from every tier.
	PurgeKeys(ctx context.Context, storeID int64, keys ...string) error
}

// Images keeps product photos (storage/images' Images).
type Images interface {
	// MaxBytes is the largest upload accepted.
	MaxBytes() int64
	// Save checks an upload and stores it in every width: its key, or
	// EINVALID with a message for the "image" field.
	Save(ctx context.Context, vendorID int64, r io.Reader) (string, error)
	// Open returns one stored file by name (fs.ErrNotExist when missing).
	Open(ctx context.Context, name string) (io.ReadSeekCloser, error)
	// Has reports whether key is a photo of the vendor's whose files are
	// there.
	Has(ctx context.Context, vendorID int64, key string) bool
}

// Server routes requests by host kind to one Gin engine per kind.
type Server struct {
	cfg      Config
	log      *slog.Logger
	render   *renderer
	sessions *scs.SessionManager
	vendors  *vendorCache
	// edgeCacheControl is a cacheable shop page's Cache-Control, made once.
	edgeCacheControl []string

	landing, admin, shop, shopPurge, unknown http.Handler
	// listener holds the routes answered before host dispatch, by path.
	listener map[string]http.Handler
}

// New builds the handlers.
func New(cfg Config) (*Server, error) {
	if cfg.Resolver == nil || cfg.Vendors == nil || cfg.Products == nil || cfg.Orders == nil || cfg.Sessions == nil || cfg.Pages == nil {
		return nil, errors.New("web: Config needs Resolver, Vendors, Products, Orders, Sessions and Pages")
	}
	if cfg.Settings == nil || cfg.Coupons == nil {
		return nil, errors.New("web: Config needs Settings and Coupons")
	}
	if cfg.Limiter == nil && !(cfg.RateLimits.LoginPerAccount.Off() && cfg.RateLimits.LoginPerIP.Off() && cfg.RateLimits.SignupPerIP.Off()) {
		return nil, errors.New("web: RateLimits need a Limiter")
	}
	if (cfg.Domains == nil) != (cfg.DomainChecker == nil) {
		return nil, errors.New("web: Config needs Domains and DomainChecker together")
	}
	if cfg.EdgeTTL == 0 {
		cfg.EdgeTTL = 60 * time.Second
	}
	if cfg.EdgeTTL < time.Second {
		return nil, errors.New("web: EdgeTTL must be at least 1s")
	}
	if len(cfg.Secret) < 32 {
		return nil, errors.New("web: Secret must be at least 32 bytes")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Ready == nil {
		cfg.Ready = func(context.Context) error { return nil }
	}
	if cfg.Location == nil {
		cfg.Location = defaultLocation()
	}
	r, err := newRenderer(cfg.Location)
	if err != nil {
		return nil, err
	}
	s := &Server{cfg: cfg, log: cfg.Logger, render: r, vendors: newVendorCache(cfg.Vendors.VendorBySlug),
		edgeCacheControl: edgeCacheControlValue(cfg.EdgeTTL)}

	s.sessions = scs.New()
	s.sessions.Store = newHashedStore(cfg.Sessions, cfg.Secret, s.sessions.Codec)
	s.sessions.Lifetime = 7 * 24 * time.Hour
	s.sessions.Cookie.Name = "dukaan_session"
	s.sessions.Cookie.HttpOnly = true
	s.sessions.Cookie.SameSite = http.SameSiteLaxMode
	s.sessions.Cookie.Secure = cfg.HTTPS
	s.sessions.Cookie.Path = "/"
	s.sessions.ErrorFunc = func(w http.ResponseWriter, r *http.Request, err error) {
		s.log.WarnContext(r.Context(), "session store", "err", err)
		w.Header().Set("Retry-After", "5")
		s.errorPage(w, r, "error", http.StatusServiceUnavailable, "Please try again", "We could not load your session just now.")
	}

	gin.SetMode(gin.ReleaseMode)
	s.landing = s.landingRoutes()
	s.shop = s.shopRoutes()
	s.shopPurge = s.purgeRoutes()
	s.unknown = s.unknownRoutes()
	s.listener = s.listenerRoutes()

	// Behind an edge that forwards Host without the port, the browser's
	// Origin (with the public port) must still count as the console's own.
	adminOrigin := s.url(cfg.Resolver.AdminHost(), "")
	protect := csrf.Protect(cfg.Secret[:32],
		csrf.TrustedOrigins([]string{strings.TrimPrefix(strings.TrimPrefix(adminOrigin, "https://"), "http://")}),
		csrf.FieldName("csrf_token"),
		csrf.CookieName("dukaan_csrf"),
		csrf.Path("/"),
		csrf.HttpOnly(true),
		csrf.Secure(cfg.HTTPS),
		csrf.SameSite(csrf.SameSiteLaxMode),
		csrf.ErrorHandler(http.HandlerFunc(s.csrfFailed)),
	)
	adminGin := protect(s.adminRoutes())
	if !cfg.HTTPS {
		inner := adminGin
		adminGin = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			inner.ServeHTTP(w, csrf.PlaintextHTTPRequest(r))
		})
	}
	// Go's cross-origin protection refuses what browsers mark cross-site
	// (Sec-Fetch-Site, Origin) before the token is even looked at.
	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(s.csrfFailed))
	if err := cop.AddTrustedOrigin(adminOrigin); err != nil {
		return nil, fmt.Errorf("web: admin origin: %w", err)
	}
	s.admin = s.limitBody(cop.Handler(s.sessions.LoadAndSave(adminGin)), s.adminBodyLimit)
	return s, nil
}

// ServeHTTP resolves the host and hands the request to that kind's engine.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if h, ok := s.listener[r.URL.Path]; ok {
		h.ServeHTTP(w, r)
		return
	}
	start := time.Now()
	sw := &statusWriter{ResponseWriter: w}
	host := s.cfg.Resolver.ResolveRequest(r.Context(), s.cfg.Resolver.RequestHost(r))
	route := &routeNote{}
	r = r.WithContext(withRouteNote(withHost(r.Context(), host), route))
	s.securityHeaders(sw.Header(), host.Kind)
	if host.Custom && s.cfg.HTTPS {
		// A vendor's own domain: its other names are not ours to pin.
		sw.Header()["Strict-Transport-Security"] = hstsHost
	}
	switch host.Kind {
	case tenant.Admin:
		s.admin.ServeHTTP(sw, r)
	case tenant.Shop:
		if r.Method == "PURGE" {
			s.shopPurge.ServeHTTP(sw, r)
			break
		}
		s.shop.ServeHTTP(sw, r)
	case tenant.Landing:
		s.landing.ServeHTTP(sw, r)
	default:
		s.unknown.ServeHTTP(sw, r)
	}
	level := slog.LevelInfo
	switch {
	case sw.status == http.StatusServiceUnavailable:
		// A dependency is down (the database): the cause is logged at
		// WARN where it is known; an outage must not bury real errors
		// (a 500 is a bug) under one ERROR per refused request.
		level = slog.LevelWarn
	case sw.status >= 500:
		level = slog.LevelError
	}
	s.log.Log(r.Context(), level, "request",
		"method", r.Method, "host", host.Name, "kind", host.Kind.String(), "path", r.URL.Path,
		"status", sw.status, "bytes", sw.bytes, "duration", time.Since(start), "remote", r.RemoteAddr)
	s.observeRequest(host, route.route, r.Method, sw.status, time.Since(start))
}

// securityHeaders go on every response. Scripts and styles come only from
// our own origin, so an injected tag cannot run.
func (s *Server) securityHeaders(h http.Header, kind tenant.Kind) {
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "strict-origin-when-cross-origin")
	h.Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'")
	h.Set("X-Frame-Options", "DENY")
	if kind == tenant.Admin {
		// Console pages are personal: no shared cache may keep them.
		h.Set("Cache-Control", "private, no-store")
	}
	if s.cfg.HTTPS {
		// Served over TLS only (DUKAAN_HTTPS): browsers must never try
		// plain HTTP again. Every name under the base domain — the
		// landing, admin., every store — is ours and behind the same TLS,
		// so our hosts cover their subdomains too: a shop's first visit
		// is then safe once the customer has seen any of them. A host that
		// is not ours gets no includeSubDomains: its other names are not
		// ours to pin.
		if kind == tenant.Unknown {
			h["Strict-Transport-Security"] = hstsHost
		} else {
			h["Strict-Transport-Security"] = hstsSubdomains
		}
	}
}

var (
	hstsSubdomains = []string{"max-age=31536000; includeSubDomains"}
	hstsHost       = []string{"max-age=31536000"}
)

type hostKey struct{}

func withHost(ctx context.Context, h tenant.Host) context.Context {
	return context.WithValue(ctx, hostKey{}, h)
}

func hostFrom(ctx context.Context) tenant.Host {
	h, _ := ctx.Value(hostKey{}).(tenant.Host)
	return h
}

// statusWriter remembers the status and size for the request log.
type statusWriter struct {
	http.ResponseWriter
	status int
	bytes  int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += n
	return n, err
}

// Unwrap lets http.ResponseController reach the real writer.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (s *Server) readyz(c *gin.Context) {
	c.Header("Cache-Control", "no-store")
	ctx, cancel := context.WithTimeout(c.Request.Context(), 2*time.Second)
	defer cancel()
	if err := s.cfg.Ready(ctx); err != nil {
		s.log.WarnContext(ctx, "not ready", "err", err)
		c.Header("Retry-After", "5")
		c.String(http.StatusServiceUnavailable, "database unreachable\n")
		return
	}
	c.String(http.StatusOK, "ready\n")
}

// recover turns a panic into a logged 500 page.
func (s *Server) recover(c *gin.Context) {
	defer func() {
		if v := recover(); v != nil {
			if v == http.ErrAbortHandler {
				panic(v)
			}
			s.log.ErrorContext(c.Request.Context(), "panic", "panic", fmt.Sprint(v), "path", c.Request.URL.Path)
			s.errorPage(c.Writer, c.Request, "error", http.StatusInternalServerError, "Something went wrong", "Please try again in a moment.")
			c.Abort()
		}
	}()
	c.Next()
}

// handler adapts a handler that returns an error: the error is rendered
// once, here, by its app code.
func (s *Server) handler(area string, fn func(c *gin.Context) error) gin.HandlerFunc {
	return func(c *gin.Context) {
		if err := fn(c); err != nil {
			s.fail(c.Writer, c.Request, area, err)
		}
	}
}

// statusOf maps an app error code to an HTTP status, in one place.
func statusOf(err error) int {
	switch app.ErrorCode(err) {
	case app.EINVALID:
		return http.StatusUnprocessableEntity
	case app.ENOTFOUND:
		return http.StatusNotFound
	case app.ECONFLICT:
		return http.StatusConflict
	case app.EUNAUTHORIZED:
		return http.StatusUnauthorized
	case app.EUNAVAILABLE:
		return http.StatusServiceUnavailable
	}
	return http.StatusInternalServerError
}

// fail renders err as an error page.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, area string, err error) {
	status := statusOf(err)
	heading := http.StatusText(status)
	msg := app.ErrorMessage(err)
	switch status {
	case http.StatusNotFound:
		heading, msg = notFoundText(err)
	case http.StatusInternalServerError:
		s.log.ErrorContext(r.Context(), "internal error", "err", err, "path", r.URL.Path)
		heading = "Something went wrong"
	case http.StatusServiceUnavailable:
		s.log.WarnContext(r.Context(), "unavailable", "err", err, "path", r.URL.Path)
		w.Header().Set("Retry-After", "5")
		heading = "Please try again in a moment"
	}
	s.errorPage(w, r, area, status, heading, msg)
}

// notFoundText is the heading and message of a 404 page for err.
func notFoundText(err error) (heading, msg string) {
	heading, msg = "Not found", "We could not find that page."
	if m := app.ErrorMessage(err); app.ErrorCode(err) == app.ENOTFOUND && m != "" {
		msg = m
	}
	return heading, msg
}

// errorPage renders the error template, falling back to plain text.
func (s *Server) errorPage(w http.ResponseWriter, r *http.Request, area string, status int, heading, msg string) {
	p := errorPage{Page: s.basePage(r, area, heading), Status: status, Heading: heading, Message: msg}
	if area == "shop" {
		// The shop's own 404 (an unknown product or category): its header
		// and name, from the host lookup (never cached).
		if v, err := tenant.FromContext(r.Context()); err == nil {
			p = s.shopErrorPage(v, status, heading, msg)
		}
	}
	// Errors are never cached by anyone; the console's stay private too.
	cc := "no-store"
	if hostFrom(r.Context()).Kind == tenant.Admin {
		cc = "private, no-store"
	}
	w.Header().Set("Cache-Control", cc)
	s.write(w, status, "error.html", p)
}

// write renders a page and sends it.
func (s *Server) write(w http.ResponseWriter, status int, name string, data any) {
	b, err := s.render.render(name, data)
	if err != nil {
		s.log.Error("render", "err", err, "page", name)
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(http.StatusInternalServerError)
		_, _ = w.Write([]byte("Something went wrong.\n"))
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// csrfFailed answers a POST whose CSRF token or origin is wrong.
func (s *Server) csrfFailed(w http.ResponseWriter, r *http.Request) {
	s.log.WarnContext(r.Context(), "csrf refused", "path", r.URL.Path, "reason", fmt.Sprint(csrf.FailureReason(r)))
	s.errorPage(w, r, "admin", http.StatusForbidden, "Form expired",
		"This form could not be verified. Go back, reload the page and try again.")
}

// basePage fills the layout data common to every page of an area.
func (s *Server) basePage(r *http.Request, area, title string) Page {
	return Page{
		Title:     title,
		Area:      area,
		AdminURL:  s.url(s.cfg.Resolver.AdminHost(), ""),
		SignupURL: s.url(s.cfg.Resolver.AdminHost(), "/signup"),
	}
}

// url builds an absolute URL on one of our hosts.
func (s *Server) url(host, path string) string {
	scheme, port := "http", s.cfg.Port
	if s.cfg.HTTPS {
		scheme = "https"
	}
	// A browser leaves the scheme's own port out of URLs and of Origin:
	// so must we, or the console's own Origin would look foreign.
	if (scheme == "http" && port == ":80") || (scheme == "https" && port == ":443") {
		port = ""
	}
	return scheme + "://" + host + port + path
}

// ShopURL is the public URL of a store.
func (s *Server) ShopURL(slug string) string { return s.url(s.cfg.Resolver.ShopHost(slug), "/") }

// shopHost is the store's canonical host: its primary custom domain, or
// its subdomain.
func (s *Server) shopHost(v *app.Vendor) string {
	if v.Domain != "" {
		return v.Domain
	}
	return s.cfg.Resolver.ShopHost(v.Slug)
}

// shopURL is the public URL of a store on its canonical host.
func (s *Server) shopURL(v *app.Vendor) string { return s.url(s.shopHost(v), "/") }

// AdminURL is the public URL of the vendor console.
func (s *Server) AdminURL() string { return s.url(s.cfg.Resolver.AdminHost(), "/") }
