package web

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"dukaan/app"
	"dukaan/tenant"
)

// Observer receives what the web layer measures. monitoring.Metrics is the
// real one; nil measures nothing.
type Observer interface {
	// ObserveRequest counts one answered request: host kind, route
	// template ("" when no route matched), method, status, latency.
	ObserveRequest(kind, route, method string, status int, d time.Duration)
	OrderPlaced()
	// OrderRefused counts an order post that stored no new order, with
	// one of app's OrderRefused* reasons.
	OrderRefused(reason string)
}

// routeNote carries the matched route template from inside a Gin engine
// out to ServeHTTP, which observes every request in one place: also those
// answered before any engine routes them (a failed CSRF check, a session
// store error on the console).
type routeNote struct{ route string }

type routeKey struct{}

func withRouteNote(ctx context.Context, n *routeNote) context.Context {
	return context.WithValue(ctx, routeKey{}, n)
}

// noteRoute is the first middleware of every engine: it records the
// template of the route that matched (c.FullPath(), "" for NoRoute and
// NoMethod).
func (s *Server) noteRoute(c *gin.Context) {
	if n, ok := c.Request.Context().Value(routeKey{}).(*routeNote); ok {
		n.route = c.FullPath()
	}
	c.Next()
}

// opsRoutes are answered on every host for load balancers and Prometheus;
// their requests are counted as host kind "ops" so probes do not blur the
// traffic of the shops.
var opsRoutes = map[string]bool{"/healthz": true, "/readyz": true, "/metrics": true}

// observeRequest hands one finished request to the Observer.
func (s *Server) observeRequest(host tenant.Host, route, method string, status int, d time.Duration) {
	if s.cfg.Metrics == nil {
		return
	}
	kind := host.Kind.String()
	if opsRoutes[route] {
		kind = app.KindOps
	}
	s.cfg.Metrics.ObserveRequest(kind, route, method, status, d)
}

// serveMetrics answers GET /metrics on the app's own listener, whatever
// the host (Prometheus scrapes replicas by address). The edge answers
// /metrics with 404, so it is never public.
func (s *Server) serveMetrics(w http.ResponseWriter, r *http.Request, start time.Time) {
	sw := &statusWriter{ResponseWriter: w}
	w.Header().Set("Cache-Control", "no-store")
	s.cfg.MetricsHandler.ServeHTTP(sw, r)
	s.observeRequest(tenant.Host{}, "/metrics", r.Method, sw.status, time.Since(start))
	s.log.Log(r.Context(), slog.LevelDebug, "request", "method", r.Method, "path", r.URL.Path,
		"status", sw.status, "duration", time.Since(start), "remote", r.RemoteAddr)
}

func (s *Server) orderPlaced() {
	if s.cfg.Metrics != nil {
		s.cfg.Metrics.OrderPlaced()
	}
}

func (s *Server) orderRefused(reason string) {
	if s.cfg.Metrics != nil {
		s.cfg.Metrics.OrderRefused(reason)
	}
}

// refusalReason sorts an order the storage layer refused by what was
// wrong with its lines (the app.OrderRefusal it carries): any line over
// the stock makes it sold_out, else any product no longer on sale makes it
// unavailable, else a price not the one the page showed makes it
// price_changed; a refused coupon is coupon; anything else was invalid. It reads reasons, never messages, so
// rewording a message cannot move a count.
func refusalReason(err error) string {
	var refusal *app.OrderRefusal
	if !errors.As(err, &refusal) {
		var coupon *app.CouponError
		if errors.As(err, &coupon) || app.ErrorFields(err)["coupon"] != "" {
			return app.OrderRefusedCoupon
		}
		return app.OrderRefusedInvalid
	}
	reason := app.OrderRefusedInvalid
	for _, r := range refusal.Lines {
		switch r.Reason {
		case app.RefusedSoldOut, app.RefusedNotEnough:
			return app.OrderRefusedSoldOut
		case app.RefusedNotSold, app.RefusedUnavailable:
			reason = app.OrderRefusedUnavailable
		case app.RefusedPriceChanged:
			if reason == app.OrderRefusedInvalid {
				reason = app.OrderRefusedPriceChanged
			}
		}
	}
	return reason
}
