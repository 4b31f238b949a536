// Package monitoring defines Dukaan's Prometheus metrics and serves them.
// Everything is registered on a registry the caller passes in (never the
// global default), so a test can run several programs in one process.
//
// Labels are bounded on purpose: a route is its template ("/p/:id"), never
// the path; a host is its kind (shop, admin, landing, unknown, ops), never
// the store. The rest of the directory is the deployment side: the
// Prometheus configuration, recording and alerting rules, Grafana
// dashboards, and the mtail program that turns the edge's access log into
// metrics.
//
// The package sits beside storage: it reads the page cache's counters and
// the database and Redis pools, and knows nothing of web (which calls it
// through a small interface of its own).
package monitoring

import (
	"context"
	"database/sql"
	"errors"
	"net/http"
	"runtime/debug"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"dukaan/app"
	"dukaan/storage/pagecache"
)

// Namespace prefixes every metric of the app.
const Namespace = "dukaan"

// Host kinds, as the host_kind label spells them. KindOps is the
// operational endpoints (/metrics, /healthz, /readyz) whatever host they
// were asked on, so probes do not blur the traffic of the shops.
const (
	KindShop    = "shop"
	KindAdmin   = "admin"
	KindLanding = "landing"
	KindUnknown = "unknown"
	KindOps     = app.KindOps
)

// RouteUnmatched is the route label of a request no route matched (404s,
// 405s, and requests refused before routing, such as a failed CSRF check).
const RouteUnmatched = "unmatched"

// Reasons an order is refused, the reason label of
// dukaan_orders_refused_total (app owns the words, so web can name them
// without importing this package).
const (
	RefusedSoldOut     = app.OrderRefusedSoldOut
	RefusedUnavailable = app.OrderRefusedUnavailable
	RefusedInvalid     = app.OrderRefusedInvalid
	RefusedDuplicate   = app.OrderRefusedDuplicate
	RefusedForbidden   = app.OrderRefusedForbidden
	RefusedError       = app.OrderRefusedError
)

var refusalReasons = app.OrderRefusedReasons

// Purge tiers and targets: pagecache's names are the label values.
var (
	purgeTiers   = []string{pagecache.PurgeLocal, pagecache.PurgeRedis, pagecache.PurgeEdge}
	purgeTargets = []string{pagecache.TargetStore, pagecache.TargetProduct, pagecache.TargetPage}
)

// Options describe the program being measured.
type Options struct {
	// Version is the program's version for dukaan_build_info; empty takes
	// the module version Go recorded in the binary.
	Version string
}

// Metrics are the app's metrics on one registry.
type Metrics struct {
	reg *prometheus.Registry

	requests      *prometheus.CounterVec
	duration      *prometheus.HistogramVec
	ordersPlaced  prometheus.Counter
	ordersRefused *prometheus.CounterVec
	purgeDuration *prometheus.HistogramVec
	purgeFailures *prometheus.CounterVec

	deps *dependencies
}

// New registers the app's metrics, with the Go runtime, process and build
// information collectors, on reg.
func New(reg *prometheus.Registry, opts Options) (*Metrics, error) {
	if reg == nil {
		return nil, errors.New("monitoring: a registry is required")
	}
	m := &Metrics{
		reg: reg,
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: Namespace, Name: "http_requests_total",
			Help: "HTTP requests answered by the app, by host kind, route template, method and status class.",
		}, []string{"host_kind", "route", "method", "status_class"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: Namespace, Name: "http_request_duration_seconds",
			Help:    "Time from the request reaching the app to the response written, by host kind, route template and method.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"host_kind", "route", "method"}),
		ordersPlaced: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: Namespace, Name: "orders_placed_total",
			Help: "Orders taken (a new order stored).",
		}),
		ordersRefused: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: Namespace, Name: "orders_refused_total",
			Help: "Order posts that stored no new order, by reason: sold_out, unavailable, invalid, duplicate, forbidden, error.",
		}, []string{"reason"}),
		purgeDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: Namespace, Name: "pagecache_purge_duration_seconds",
			Help:    "Time of each step of a page purge, by tier (local, redis, edge) and target (store, product, page). Every purge runs twice.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2, 5},
		}, []string{"tier", "target"}),
		purgeFailures: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: Namespace, Name: "pagecache_purge_failures_total",
			Help: "Purge steps that failed (retried in the background; TTLs bound the rest), by tier and target.",
		}, []string{"tier", "target"}),
		deps: &dependencies{checks: map[string]func(context.Context) error{}},
	}
	// Known label values start at zero, so a rate is 0 rather than absent
	// until the first refusal or failure.
	for _, r := range refusalReasons {
		m.ordersRefused.WithLabelValues(r)
	}
	for _, tier := range purgeTiers {
		for _, target := range purgeTargets {
			m.purgeFailures.WithLabelValues(tier, target)
		}
	}
	version, revision := buildVersion(opts.Version)
	buildInfo := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Namespace: Namespace, Name: "build_info",
		Help:        "Always 1; the labels say which build is running.",
		ConstLabels: prometheus.Labels{"version": version, "revision": revision, "goversion": goVersion()},
	}, func() float64 { return 1 })
	for _, c := range []prometheus.Collector{
		m.requests, m.duration, m.ordersPlaced, m.ordersRefused, m.purgeDuration, m.purgeFailures,
		buildInfo, m.deps,
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		collectors.NewBuildInfoCollector(),
	} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// Registry is the registry the metrics are on.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Handler serves the registry in the Prometheus exposition format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{
		// A collector that fails (a pool gone away) must not hide the rest.
		ErrorHandling: promhttp.ContinueOnError,
		Registry:      m.reg, // promhttp_metric_handler_errors_total
	})
}

// ObserveRequest counts one answered request and its latency. route is
// the route template ("" when none matched), status the one sent (0 is
// taken as 200, what net/http sends for a handler that wrote nothing).
func (m *Metrics) ObserveRequest(kind, route, method string, status int, d time.Duration) {
	if route == "" {
		route = RouteUnmatched
	}
	method = normMethod(method)
	m.requests.WithLabelValues(kind, route, method, StatusClass(status)).Inc()
	m.duration.WithLabelValues(kind, route, method).Observe(d.Seconds())
}

// OrderPlaced counts a new order.
func (m *Metrics) OrderPlaced() { m.ordersPlaced.Inc() }

// OrderRefused counts an order post that stored no new order; reason is
// one of the Refused* constants.
func (m *Metrics) OrderRefused(reason string) { m.ordersRefused.WithLabelValues(reason).Inc() }

// ObservePurge records one step of a purge; it is pagecache.Config's
// OnPurge.
func (m *Metrics) ObservePurge(tier, target string, d time.Duration, err error) {
	m.purgeDuration.WithLabelValues(tier, target).Observe(d.Seconds())
	if err != nil {
		m.purgeFailures.WithLabelValues(tier, target).Inc()
	}
}

// WatchPageCache exports the page cache's counters, read at each scrape.
func (m *Metrics) WatchPageCache(stats func() pagecache.Stats) error {
	return m.reg.Register(&pageCacheCollector{stats: stats})
}

// WatchDB exports the database pool (sql.DBStats) as go_sql_* with
// db_name=name.
func (m *Metrics) WatchDB(db *sql.DB, name string) error {
	return m.reg.Register(collectors.NewDBStatsCollector(db, name))
}

// WatchJobs exports the job queue (storage/jobs) of db: depth, oldest
// waiting job, failing jobs and retries by kind, read at each scrape.
func (m *Metrics) WatchJobs(db *sql.DB, dialect string) error {
	return m.reg.Register(&jobsCollector{db: db, dialect: dialect})
}

// WatchRedis exports a go-redis client's connection pool.
func (m *Metrics) WatchRedis(pool RedisPool) error {
	return m.reg.Register(&redisPoolCollector{pool: pool})
}

// WatchDependency adds a dependency whose health check runs at each scrape
// (with a short timeout) and is exported as
// dukaan_dependency_up{dependency=name}: 1 when check returned nil.
func (m *Metrics) WatchDependency(name string, check func(context.Context) error) {
	m.deps.mu.Lock()
	defer m.deps.mu.Unlock()
	m.deps.checks[name] = check
}

// StatusClass is "2xx" for 200..299 and so on; 0 counts as 200.
func StatusClass(status int) string {
	if status == 0 {
		status = http.StatusOK
	}
	if status < 100 || status > 599 {
		return "other"
	}
	return strconv.Itoa(status/100) + "xx"
}

// normMethod keeps the label bounded: a client may send any token as a
// method.
func normMethod(m string) string {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodOptions, "PURGE":
		return m
	}
	return "OTHER"
}

// buildVersion is the version to report and the VCS revision Go stamped
// into the binary ("unknown" when built without VCS information).
func buildVersion(version string) (string, string) {
	revision := "unknown"
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		if version == "" {
			version = "unknown"
		}
		return version, revision
	}
	if version == "" {
		version = bi.Main.Version
	}
	for _, s := range bi.Settings {
		if s.Key == "vcs.revision" {
			revision = s.Value
		}
	}
	if version == "" {
		version = "(devel)"
	}
	return version, revision
}

func goVersion() string {
	if bi, ok := debug.ReadBuildInfo(); ok {
		return bi.GoVersion
	}
	return "unknown"
}

// dependencies exports dukaan_dependency_up: each check runs at scrape
// time, concurrently, bounded by dependencyTimeout.
type dependencies struct {
	mu     sync.Mutex
	checks map[string]func(context.Context) error
}

const dependencyTimeout = 2 * time.Second

var dependencyUpDesc = prometheus.NewDesc(Namespace+"_dependency_up",
	"1 when the dependency (database, redis) answered its health check at scrape time, else 0.",
	[]string{"dependency"}, nil)

func (d *dependencies) Describe(ch chan<- *prometheus.Desc) { ch <- dependencyUpDesc }

func (d *dependencies) Collect(ch chan<- prometheus.Metric) {
	d.mu.Lock()
	checks := make(map[string]func(context.Context) error, len(d.checks))
	for k, v := range d.checks {
		checks[k] = v
	}
	d.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), dependencyTimeout)
	defer cancel()
	var wg sync.WaitGroup
	for name, check := range checks {
		wg.Go(func() {
			up := 0.0
			if check(ctx) == nil {
				up = 1
			}
			ch <- prometheus.MustNewConstMetric(dependencyUpDesc, prometheus.GaugeValue, up, name)
		})
	}
	wg.Wait()
}
