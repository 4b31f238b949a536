package web

import (
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"dukaan/tenant"
)

// This file is every route of every host kind. ServeHTTP first answers
// the listener's own routes (whatever the host), then hands the request
// to the engine of its host kind: landing, admin, shop (PURGE on its own
// engine) or unknown. Every engine starts from newEngine's routes.

// listenerRoutes answer on the app's own listener whatever the host,
// before host dispatch: GET /metrics when there is a MetricsHandler
// (Prometheus scrapes replicas by address). The edge answers /metrics with
// 404, so it is never public. Without a MetricsHandler, /metrics is an
// unknown path of each host.
func (s *Server) listenerRoutes() map[string]http.Handler {
	routes := map[string]http.Handler{}
	if s.cfg.MetricsHandler != nil {
		routes["/metrics"] = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			start := time.Now()
			s.securityHeaders(w.Header(), tenant.Unknown)
			if r.Method != http.MethodGet && r.Method != http.MethodHead {
				w.Header().Set("Allow", "GET, HEAD")
				http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
				return
			}
			s.serveMetrics(w, r, start)
		})
	}
	if s.cfg.Domains != nil {
		// Caddy's on-demand TLS asks here before it requests a
		// certificate; the edges (nginx and Caddy) answer /internal/ with
		// 404, so only what reaches the app's own port can ask.
		routes["/internal/tls-ask"] = http.HandlerFunc(s.tlsAsk)
	}
	return routes
}

// newEngine returns a Gin engine with the routes every host answers.
func (s *Server) newEngine() *gin.Engine {
	e := gin.New()
	e.Use(s.noteRoute, s.recover)
	e.HandleMethodNotAllowed = true
	e.RedirectTrailingSlash = false
	e.RedirectFixedPath = false
	e.GET("/healthz", func(c *gin.Context) {
		c.Header("Cache-Control", "no-store")
		c.String(http.StatusOK, "ok\n")
	})
	e.GET("/readyz", s.readyz)
	static := func(c *gin.Context) {
		s.render.serveStatic(c.Writer, c.Request, c.Param("file"))
	}
	e.GET("/static/*file", static)
	e.HEAD("/static/*file", static)
	e.NoMethod(s.errorRoute("error", http.StatusMethodNotAllowed, "Not allowed", "That method is not allowed here."))
	return e
}

// errorRoute answers every request with one error page (NoRoute, NoMethod).
func (s *Server) errorRoute(area string, status int, heading, msg string) gin.HandlerFunc {
	return func(c *gin.Context) {
		s.errorPage(c.Writer, c.Request, area, status, heading, msg)
	}
}

// landingRoutes serve <base> and www.<base>.
func (s *Server) landingRoutes() http.Handler {
	e := s.newEngine()
	e.GET("/", func(c *gin.Context) {
		c.Header("Cache-Control", "public, max-age=300")
		s.write(c.Writer, http.StatusOK, "landing.html", landingPage{Page: s.basePage(c.Request, "landing", "Open your online shop in a minute")})
	})
	e.NoRoute(s.errorRoute("landing", http.StatusNotFound, "Not found", "We could not find that page."))
	return e
}

// unknownRoutes answer hosts that are not ours, or stores that cannot
// exist, with 404 (health checks still answer, for load balancers that
// probe by IP).
func (s *Server) unknownRoutes() http.Handler {
	e := s.newEngine()
	e.NoRoute(s.errorRoute("error", http.StatusNotFound, "No shop here", "There is no shop at this address."))
	return e
}

// adminRoutes is every route of the vendor console, in one place.
func (s *Server) adminRoutes() http.Handler {
	e := s.newEngine()
	e.GET("/", func(c *gin.Context) {
		if s.sessions.GetInt64(c.Request.Context(), sessionVendorKey) == 0 {
			c.Redirect(http.StatusSeeOther, "/login")
			return
		}
		c.Redirect(http.StatusSeeOther, "/products")
	})
	e.GET("/signup", s.handler("admin", s.signupForm))
	e.POST("/signup", s.handler("admin", s.signup))
	e.GET("/login", s.handler("admin", s.loginForm))
	e.POST("/login", s.handler("admin", s.login))
	e.POST("/logout", s.handler("admin", s.logout))
	if s.cfg.Accounts != nil {
		e.GET("/password/forgot", s.handler("admin", s.forgotForm))
		e.POST("/password/forgot", s.handler("admin", s.forgot))
		e.GET("/password/reset/:token", s.handler("admin", s.resetForm))
		e.POST("/password/reset/:token", s.handler("admin", s.reset))
		// The link mailed to a new address: the GET shows a button, the
		// POST changes the email (a mail scanner fetching links changes
		// nothing). Signed in or not: the token is the proof.
		e.GET("/account/email/confirm/:token", s.handler("admin", s.emailConfirmForm))
		e.POST("/account/email/confirm/:token", s.handler("admin", s.emailConfirm))
	}
	e.GET("/robots.txt", s.consoleRobots)

	a := e.Group("/", s.requireVendor)
	a.GET("/products", s.handler("admin", s.listProducts))
	a.GET("/products/new", s.handler("admin", s.newProductForm))
	a.POST("/products/new", s.handler("admin", s.createProduct))
	a.GET("/products/:id/edit", s.handler("admin", s.editProductForm))
	a.POST("/products/:id/edit", s.handler("admin", s.updateProduct))
	a.POST("/products/:id/availability", s.handler("admin", s.setAvailability))
	a.POST("/products/:id/delete", s.handler("admin", s.deleteProduct))
	a.GET("/images/*file", s.handler("admin", s.adminImage))
	a.GET("/settings", s.handler("admin", s.settingsForm))
	a.POST("/settings", s.handler("admin", s.saveSettings))
	if s.cfg.Categories != nil {
		a.GET("/categories", s.handler("admin", s.listCategories))
		a.POST("/categories/new", s.handler("admin", s.createCategory))
		a.POST("/categories/:id/rename", s.handler("admin", s.renameCategory))
		a.POST("/categories/:id/move", s.handler("admin", s.moveCategory))
		a.POST("/categories/:id/delete", s.handler("admin", s.deleteCategory))
	}
	a.GET("/coupons", s.handler("admin", s.listCoupons))
	a.GET("/coupons/new", s.handler("admin", s.newCouponForm))
	a.POST("/coupons/new", s.handler("admin", s.createCoupon))
	a.GET("/coupons/:id/edit", s.handler("admin", s.editCouponForm))
	a.POST("/coupons/:id/edit", s.handler("admin", s.updateCoupon))
	a.POST("/coupons/:id/delete", s.handler("admin", s.deleteCoupon))
	a.GET("/orders", s.handler("admin", s.listOrders))
	a.GET("/orders.csv", s.handler("admin", s.exportOrders))
	a.GET("/qr.svg", s.handler("admin", s.shopQRSVG))
	a.GET("/qr.png", s.handler("admin", s.shopQRPNG))
	a.GET("/orders/:id", s.handler("admin", s.showOrder))
	a.POST("/orders/:id/status", s.handler("admin", s.setOrderStatus))
	a.POST("/orders/:id/payment", s.handler("admin", s.setPaymentStatus))
	if s.cfg.Webhooks != nil {
		a.GET("/webhooks", s.handler("admin", s.webhooksForm))
		a.POST("/webhooks", s.handler("admin", s.saveWebhook))
		a.POST("/webhooks/secret", s.handler("admin", s.rotateWebhookSecret))
		a.POST("/webhooks/test", s.handler("admin", s.sendWebhookTest))
		a.POST("/webhooks/deliveries/:id/resend", s.handler("admin", s.resendWebhook))
	}
	if s.cfg.Domains != nil {
		a.GET("/domain", s.handler("admin", s.domainsForm))
		a.POST("/domain", s.handler("admin", s.addDomain))
		a.POST("/domain/primary", s.handler("admin", s.setPrimaryDomain))
		a.POST("/domain/:id/verify", s.handler("admin", s.verifyDomain))
		a.POST("/domain/:id/delete", s.handler("admin", s.deleteDomain))
	}
	if s.cfg.Accounts != nil {
		a.GET("/account", s.handler("admin", s.accountForm))
		a.POST("/account/password", s.handler("admin", s.changePassword))
		a.POST("/account/email", s.handler("admin", s.changeEmail))
	}

	e.NoRoute(s.errorRoute("admin", http.StatusNotFound, "Not found", "We could not find that page."))
	return e
}

type vendorKey struct{}

// shopRoutes is every route of a store's shop.
func (s *Server) shopRoutes() http.Handler {
	e := s.newEngine()
	shop := e.Group("/", s.loadStore)
	shop.GET("/", s.handler("shop", s.storeFront))
	shop.HEAD("/", s.handler("shop", s.storeFront))
	shop.GET("/c/:slug", s.handler("shop", s.categoryPage))
	shop.HEAD("/c/:slug", s.handler("shop", s.categoryPage))
	shop.GET("/search", s.handler("shop", s.searchPage))
	shop.HEAD("/search", s.handler("shop", s.searchPage))
	shop.GET("/sitemap.xml", s.handler("shop", s.sitemap))
	shop.HEAD("/sitemap.xml", s.handler("shop", s.sitemap))
	shop.GET("/robots.txt", s.handler("shop", s.shopRobots))
	shop.HEAD("/robots.txt", s.handler("shop", s.shopRobots))
	shop.GET("/p/:id", s.handler("shop", s.productPage))
	shop.HEAD("/p/:id", s.handler("shop", s.productPage))
	shop.POST("/order", s.handler("shop", s.placeOrder))
	shop.GET("/orders/:token", s.handler("shop", s.confirmation))
	shop.GET("/orders/:token/upi.svg", s.handler("shop", s.upiQR))
	shop.GET("/images/*file", s.handler("shop", s.shopImage))
	shop.HEAD("/images/*file", s.handler("shop", s.shopImage))
	e.NoRoute(s.loadStore, s.errorRoute("shop", http.StatusNotFound, "Not found", "We could not find that page in this shop."))
	return e
}

// purgeRoutes answers the ops PURGE method on shop hosts. It is its own
// engine, chosen by method before routing: as a catch-all route beside the
// shop's, it would make every unknown path "exist" and answer 405, not 404.
func (s *Server) purgeRoutes() http.Handler {
	e := s.newEngine()
	e.Handle("PURGE", "/*path", s.loadStore, s.handler("shop", s.opsPurge))
	return e
}
