package web

import (
	"context"
	"crypto/subtle"
	"errors"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"dukaan/app"
	"dukaan/monitoring"
	"dukaan/storage/pagecache"
	"dukaan/tenant"
)

const shopPerPage = 24

// maxOrderBody bounds an order POST: 50 lines, the customer's fields and
// the keys fit in far less.
const maxOrderBody = 64 << 10

// shopRoutes is every route of a store's shop.
func (s *Server) shopRoutes() http.Handler {
	e := s.newEngine()
	shop := e.Group("/", s.loadStore)
	shop.GET("/", s.handler("shop", s.storeFront))
	shop.HEAD("/", s.handler("shop", s.storeFront))
	shop.GET("/p/:id", s.handler("shop", s.productPage))
	shop.HEAD("/p/:id", s.handler("shop", s.productPage))
	shop.POST("/order", s.handler("shop", s.placeOrder))
	shop.GET("/orders/:token", s.handler("shop", s.confirmation))
	shop.GET("/images/*file", s.handler("shop", s.shopImage))
	shop.HEAD("/images/*file", s.handler("shop", s.shopImage))
	e.NoRoute(s.loadStore, func(c *gin.Context) {
		s.errorPage(c.Writer, c.Request, "shop", http.StatusNotFound, "Not found", "We could not find that page in this shop.")
	})
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

// loadStore resolves the store of the request's host with one indexed
// lookup. An unknown store is a 404 page, and nothing below runs.
func (s *Server) loadStore(c *gin.Context) {
	host := hostFrom(c.Request.Context())
	v, err := s.vendors.get(c.Request.Context(), host.Slug)
	if app.ErrorCode(err) == app.ENOTFOUND {
		s.errorPage(c.Writer, c.Request, "error", http.StatusNotFound, "No shop here", "There is no shop at this address. Check the spelling of the link.")
		c.Abort()
		return
	} else if err != nil {
		s.fail(c.Writer, c.Request, "error", err)
		c.Abort()
		return
	}
	c.Request = c.Request.WithContext(tenant.NewContext(c.Request.Context(), v))
	c.Next()
}

func (s *Server) shopBase(v *app.Vendor, title string) Page {
	p := s.basePage(nil, "shop", title)
	p.ShopURL = s.ShopURL(v.Slug)
	return p
}

// storeFront is the shop's home: available products and the order form.
func (s *Server) storeFront(c *gin.Context) error {
	v, err := tenant.FromContext(c.Request.Context())
	if err != nil {
		return err
	}
	page := pageNumber(c)
	canonical := "/"
	if page > 1 {
		canonical = "/?page=" + strconv.Itoa(page)
	}
	return s.cachedPage(c, v, canonical, func(ctx context.Context) (shopPage, error) {
		return s.frontPage(ctx, v, page)
	})
}

func (s *Server) frontPage(ctx context.Context, v *app.Vendor, page int) (shopPage, error) {
	v, err := s.freshVendor(ctx, v)
	if err != nil {
		return shopPage{}, err
	}
	products, total, err := s.cfg.Products.Products(ctx, app.ProductFilter{
		VendorID: v.ID, OnSaleOnly: true, Offset: (page - 1) * shopPerPage, Limit: shopPerPage,
	})
	if err != nil {
		return shopPage{}, err
	}
	pager := Pager{Page: page, PerPage: shopPerPage, Total: total}
	if page > pager.Pages() {
		// Not a page of this shop: a 404 is not cached, so page numbers
		// cannot be used to fill the cache either.
		return shopPage{}, app.Errorf(app.ENOTFOUND, "This shop has no page %d.", page)
	}
	from := "/"
	if page > 1 {
		from = "/?page=" + strconv.Itoa(page)
	}
	return shopPage{
		Page: s.shopBase(v, v.Name), Store: v, Products: products,
		Pager: pager, From: from,
	}, nil
}

// productPage is one product with the order form for it.
func (s *Server) productPage(c *gin.Context) error {
	v, err := tenant.FromContext(c.Request.Context())
	if err != nil {
		return err
	}
	id, err := pathID(c)
	if err != nil {
		return err
	}
	return s.cachedPage(c, v, "/p/"+itoa(id), func(ctx context.Context) (shopPage, error) {
		v, err := s.freshVendor(ctx, v)
		if err != nil {
			return shopPage{}, err
		}
		p, err := s.onSaleProduct(ctx, v, id)
		if err != nil {
			return shopPage{}, err
		}
		return s.singlePage(v, p), nil
	})
}

func (s *Server) singlePage(v *app.Vendor, p *app.Product) shopPage {
	return shopPage{
		Page: s.shopBase(v, p.Name+" · "+v.Name), Store: v,
		Products: []*app.Product{p}, Product: p, From: "/p/" + itoa(p.ID),
	}
}

// freshVendor reads the store again for a render that will be cached.
// The host lookup (vendorCache) may be a few seconds old on this replica;
// a page built from it after a settings change would be stored under the
// new purge epoch and keep the old name for the page's whole TTL.
func (s *Server) freshVendor(ctx context.Context, v *app.Vendor) (*app.Vendor, error) {
	return s.cfg.Vendors.VendorByID(ctx, v.ID)
}

func (s *Server) onSaleProduct(ctx context.Context, v *app.Vendor, id int64) (*app.Product, error) {
	p, err := s.cfg.Products.Product(ctx, v.ID, id)
	if err != nil {
		return nil, err
	}
	if !p.OnSale() {
		return nil, app.Errorf(app.ENOTFOUND, "This product is not on sale right now.")
	}
	return p, nil
}

// cachedPage serves a shop page through the page cache. The page is keyed
// by store, host and request URI exactly as the edge keys it, and tagged
// with the store and every product it shows so a product event finds it.
// Only successful renders are cached; an error is rendered as usual.
//
// Each page has one canonical URI ("/", "/?page=N", "/p/{id}") and is
// cached under it whatever the request's spelling, so junk query strings
// ("?utm=…", "?page=abc") cannot multiply entries, force renders, or crowd
// the real page out of a purge. Only a request for the canonical URI itself
// may be stored by the edge: the edge keys by the raw URI, and a purge
// PURGEs canonical URIs only.
func (s *Server) cachedPage(c *gin.Context, v *app.Vendor, canonical string, build func(ctx context.Context) (shopPage, error)) error {
	ctx := c.Request.Context()
	key := s.cfg.Pages.Key(v.ID, hostFrom(ctx).Name, canonical)
	page, res, cacheable, err := s.cfg.Pages.Get(ctx, v.ID, key, func(ctx context.Context) ([]byte, []string, error) {
		p, err := build(ctx)
		if err != nil {
			return nil, nil, err
		}
		tags := make([]string, 0, len(p.Products)+1)
		for _, pr := range p.Products {
			tags = append(tags, pagecache.ProductTag(pr.ID))
		}
		b, err := s.render.render("shop.html", p)
		return b, tags, err
	})
	if err != nil {
		return err
	}
	h := c.Writer.Header()
	h.Set("X-App-Cache", string(res))
	h.Set("ETag", page.ETag)
	switch {
	case cacheable && c.Request.URL.RequestURI() != canonical:
		// Same bytes as the canonical page, but the edge must not keep
		// them under a URI no purge will name.
		h.Set("Cache-Control", "public, max-age=0, must-revalidate")
	case cacheable:
		// Browsers revalidate every time (cheap: 304); the edge keeps the
		// page for EdgeTTL unless a purge removes it first.
		h.Set("Cache-Control", "public, max-age=0, must-revalidate, s-maxage="+strconv.Itoa(int(s.cfg.EdgeTTL/time.Second)))
	default:
		// Rendered while a purge of this store ran: correct for this
		// request, too old to keep.
		h.Set("Cache-Control", "no-store")
	}
	if etagMatch(c.GetHeader("If-None-Match"), page.ETag) {
		c.Status(http.StatusNotModified)
		return nil
	}
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Length", strconv.Itoa(len(page.Body)))
	c.Status(http.StatusOK)
	if c.Request.Method != http.MethodHead {
		_, _ = c.Writer.Write(page.Body)
	}
	return nil
}

// etagMatch implements If-None-Match's weak comparison.
func etagMatch(header, etag string) bool {
	if header == "" {
		return false
	}
	for _, t := range strings.Split(header, ",") {
		t = strings.TrimPrefix(strings.TrimSpace(t), "W/")
		if t == "*" || t == etag {
			return true
		}
	}
	return false
}

// opsPurge lets ops drop a page, or with "PURGE /*" every page of the
// store, from every tier. It needs DUKAAN_PURGE_TOKEN as a bearer token.
func (s *Server) opsPurge(c *gin.Context) error {
	v, err := tenant.FromContext(c.Request.Context())
	if err != nil {
		return err
	}
	c.Header("Cache-Control", "no-store")
	if s.cfg.PurgeToken == "" {
		c.Header("Allow", "GET, HEAD, POST")
		c.String(http.StatusMethodNotAllowed, "PURGE is disabled: DUKAAN_PURGE_TOKEN is not set\n")
		return nil
	}
	got, ok := strings.CutPrefix(c.GetHeader("Authorization"), "Bearer ")
	if !ok || subtle.ConstantTimeCompare([]byte(got), []byte(s.cfg.PurgeToken)) != 1 {
		c.Header("WWW-Authenticate", `Bearer realm="dukaan-purge"`)
		c.String(http.StatusUnauthorized, "a valid bearer token is required\n")
		return nil
	}
	uri := c.Request.URL.RequestURI()
	if uri == "/*" {
		err = s.cfg.Pages.Purge(c.Request.Context(), v.ID, pagecache.StoreTag(v.ID))
	} else {
		err = s.cfg.Pages.PurgeKeys(c.Request.Context(), v.ID, s.cfg.Pages.Key(v.ID, hostFrom(c.Request.Context()).Name, uri))
	}
	if err != nil {
		s.log.WarnContext(c.Request.Context(), "ops purge incomplete", "err", err)
		c.String(http.StatusAccepted, "purged in part; the rest is being retried\n")
		return nil
	}
	c.String(http.StatusOK, "purged\n")
	return nil
}

// placeOrder takes a customer's order. Bad input re-renders the page the
// form came from with 422 and stores nothing.
func (s *Server) placeOrder(c *gin.Context) error {
	v, err := tenant.FromContext(c.Request.Context())
	if err != nil {
		return err
	}
	if !sameHostOrigin(c.Request) {
		s.orderRefused(monitoring.RefusedForbidden)
		s.errorPage(c.Writer, c.Request, "shop", http.StatusForbidden, "Order not accepted",
			"This order form was sent from another website. Please order from the shop's own page.")
		return nil
	}
	c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, maxOrderBody)
	if err := c.Request.ParseForm(); err != nil {
		s.orderRefused(monitoring.RefusedInvalid)
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			s.errorPage(c.Writer, c.Request, "shop", http.StatusRequestEntityTooLarge, "Order too large", "That order form is too large.")
			return nil
		}
		// A body that does not parse (a broken %-escape, too many fields)
		// is not "too large": it was damaged or forged.
		s.errorPage(c.Writer, c.Request, "shop", http.StatusBadRequest, "Order not understood",
			"That order form arrived damaged. Please go back, reload the page and order again.")
		return nil
	}
	req, form := parseOrderForm(c.Request.PostForm)
	req.VendorID = v.ID
	if req.OrderKey == "" && s.cfg.Resolver.FromTrusted(c.Request) {
		// Without the page's script there is no order_key; the edge's
		// request id is the same on each of its retries of this POST to
		// another replica, so it keeps a retried order single.
		if id := c.GetHeader("X-Request-ID"); validOrderKey(id) && len(id) <= app.MaxOrderKeyLen-5 {
			req.OrderKey = "edge-" + id
		}
	}
	c.Header("Cache-Control", "no-store")
	if len(form.Errors) > 0 {
		s.orderRefused(monitoring.RefusedInvalid)
		return s.orderFormError(c, v, form)
	}
	o, duplicate, err := s.cfg.Orders.PlaceOrder(c.Request.Context(), req)
	if app.ErrorCode(err) == app.EINVALID {
		s.orderRefused(refusalReason(err))
		for k, msg := range app.ErrorFields(err) {
			form.Errors[k] = msg
		}
		form.Message = app.ErrorMessage(err)
		return s.orderFormError(c, v, form)
	} else if err != nil {
		s.orderRefused(monitoring.RefusedError)
		return err
	}
	if duplicate {
		s.orderRefused(monitoring.RefusedDuplicate)
	} else {
		s.orderPlaced()
	}
	c.Redirect(http.StatusSeeOther, "/orders/"+o.Token)
	return nil
}

// orderFormError re-renders the page the form came from with messages.
func (s *Server) orderFormError(c *gin.Context, v *app.Vendor, form Form) error {
	if form.Message == "" {
		form.Message = "Please check the highlighted fields."
	}
	var page shopPage
	from := form.Values["from"]
	if rest, ok := strings.CutPrefix(from, "/p/"); ok {
		id, err := strconv.ParseInt(rest, 10, 64)
		if err == nil {
			if p, err := s.cfg.Products.Product(c.Request.Context(), v.ID, id); err == nil {
				page = s.singlePage(v, p)
			}
		}
	}
	if page.Store == nil {
		n := 1
		if rest, ok := strings.CutPrefix(from, "/?page="); ok {
			if k, err := strconv.Atoi(rest); err == nil && k > 0 {
				n = k
			}
		}
		var err error
		if page, err = s.frontPage(c.Request.Context(), v, n); err != nil {
			return err
		}
	}
	page.Form = form
	s.write(c.Writer, http.StatusUnprocessableEntity, "shop.html", page)
	return nil
}

// parseOrderForm reads qty_<id> fields and the customer. Every message is
// keyed by the form field it is about.
func parseOrderForm(f url.Values) (app.PlaceOrder, Form) {
	form := Form{Values: map[string]string{}, Errors: map[string]string{}}
	var req app.PlaceOrder
	for k, vals := range f {
		rest, ok := strings.CutPrefix(k, "qty_")
		if !ok || len(vals) == 0 {
			continue
		}
		raw := strings.TrimSpace(vals[0])
		form.Values[k] = raw
		if raw == "" || raw == "0" {
			continue
		}
		id, err := strconv.ParseInt(rest, 10, 64)
		// Only the canonical spelling counts, so qty_7 and qty_07 cannot
		// name one product twice.
		if err != nil || id <= 0 || strconv.FormatInt(id, 10) != rest {
			form.Errors[k] = "This product is not in the shop."
			continue
		}
		qty, err := strconv.ParseInt(raw, 10, 64)
		switch {
		case err != nil || qty < 0:
			form.Errors[k] = "Enter a whole number."
		case qty > app.MaxQty:
			form.Errors[k] = "At most 100 of one item per order."
		case qty > 0:
			req.Lines = append(req.Lines, app.OrderLine{ProductID: id, Qty: qty})
		}
	}
	sort.Slice(req.Lines, func(i, j int) bool { return req.Lines[i].ProductID < req.Lines[j].ProductID })
	if len(req.Lines) == 0 && len(form.Errors) == 0 {
		form.Errors["items"] = "Choose how many of at least one product you want."
		form.Message = "Choose how many of at least one product you want."
	}
	if len(req.Lines) > app.MaxOrderLines {
		form.Errors["items"] = "At most 50 different products per order."
		form.Message = form.Errors["items"]
	}
	req.Customer = app.Customer{Name: f.Get("name"), Phone: f.Get("phone"), Address: f.Get("address")}
	form.Values["name"], form.Values["phone"], form.Values["address"] = req.Customer.Name, req.Customer.Phone, req.Customer.Address
	for k, msg := range app.ValidateCustomer(&req.Customer) {
		form.Errors[k] = msg
	}
	// The key only makes a repeat harmless; one we cannot trust is dropped
	// and the order goes through without it.
	if key := strings.TrimSpace(f.Get("order_key")); validOrderKey(key) {
		req.OrderKey = key
	}
	form.Values["from"] = f.Get("from")
	return req, form
}

func validOrderKey(k string) bool {
	if len(k) < 8 || len(k) > app.MaxOrderKeyLen {
		return false
	}
	for i := 0; i < len(k); i++ {
		c := k[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

// sameHostOrigin accepts a POST whose Origin (or, without one, Referer)
// names this very host, or that carries neither (a non-browser client,
// which no other site can drive).
func sameHostOrigin(r *http.Request) bool {
	src := r.Header.Get("Origin")
	if src == "" || src == "null" {
		src = r.Header.Get("Referer")
	}
	if src == "" {
		return r.Header.Get("Sec-Fetch-Site") != "cross-site"
	}
	u, err := url.Parse(src)
	if err != nil || u.Host == "" {
		return false
	}
	return strings.EqualFold(strings.TrimSuffix(u.Hostname(), "."), hostFrom(r.Context()).Name)
}

// confirmation is the customer's own order page. It is personal: never
// stored by any cache.
func (s *Server) confirmation(c *gin.Context) error {
	v, err := tenant.FromContext(c.Request.Context())
	if err != nil {
		return err
	}
	c.Header("Cache-Control", "private, no-store")
	token := c.Param("token")
	if len(token) < 16 || len(token) > 64 {
		return app.Errorf(app.ENOTFOUND, "We could not find that order.")
	}
	o, err := s.cfg.Orders.OrderByToken(c.Request.Context(), v.ID, token)
	if err != nil {
		return err
	}
	s.write(c.Writer, http.StatusOK, "confirmation.html", confirmationPage{
		Page: s.shopBase(v, "Order #"+itoa(o.ID)+" · "+v.Name), Store: v, Order: o,
	})
	return nil
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
