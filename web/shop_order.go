package web

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"dukaan/app"
	"dukaan/tenant"
)

// maxOrderBody bounds an order POST: 50 lines, the customer's fields and
// the keys fit in far less.
const maxOrderBody = 64 << 10

// placeOrder takes a customer's order. Bad input re-renders the page the
// form came from with 422 and stores nothing.
func (s *Server) placeOrder(c *gin.Context) error {
	v, err := tenant.FromContext(c.Request.Context())
	if err != nil {
		return err
	}
	if !sameHostOrigin(c.Request) {
		s.orderRefused(app.OrderRefusedForbidden)
		s.errorPage(c.Writer, c.Request, "shop", http.StatusForbidden, "Order not accepted",
			"This order form was sent from another website. Please order from the shop's own page.")
		return nil
	}
	c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, maxOrderBody)
	if err := c.Request.ParseForm(); err != nil {
		s.orderRefused(app.OrderRefusedInvalid)
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
	req.Zone = s.cfg.Location
	// A form that carried no key of its own came from a page without its
	// script: Back and "Place order" again would be a second order, so the
	// same phone and lines soon after get the "place it again?" page, unless
	// the customer just said yes to it.
	req.CheckRepeat = req.OrderKey == "" && c.Request.PostForm.Get("confirm_repeat") != "1"
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
		s.orderRefused(app.OrderRefusedInvalid)
		return s.orderFormError(c, v, form, http.StatusUnprocessableEntity)
	}
	o, duplicate, err := s.cfg.Orders.PlaceOrder(c.Request.Context(), req)
	var repeat *app.RepeatOrder
	if errors.As(err, &repeat) {
		s.orderRefused(app.OrderRefusedDuplicate)
		s.write(c.Writer, http.StatusConflict, "repeat.html", repeatPage{
			Page: s.shopBase(v, "Order #"+itoa(repeat.Order.Number)+" already placed · "+v.Name), Store: v,
			Order: repeat.Order, Fields: repostFields(c.Request.PostForm),
		})
		return nil
	}
	if app.ErrorCode(err) == app.EINVALID {
		s.orderRefused(refusalReason(err))
		for k, msg := range app.ErrorFields(err) {
			form.Errors[k] = msg
		}
		form.Message = app.ErrorMessage(err)
		status := http.StatusUnprocessableEntity
		var refusal *app.OrderRefusal
		if errors.As(err, &refusal) && len(refusal.PriceChanges()) > 0 {
			// The page comes back at today's prices, the quantities
			// kept: posting it again orders at the prices it shows.
			status = http.StatusConflict
			form.Message = priceChangeMessage(refusal.PriceChanges())
		}
		return s.orderFormError(c, v, form, status)
	} else if err != nil {
		s.orderRefused(app.OrderRefusedError)
		return err
	}
	if duplicate {
		s.orderRefused(app.OrderRefusedDuplicate)
	} else {
		s.orderPlaced()
	}
	c.Redirect(http.StatusSeeOther, "/orders/"+o.Token)
	return nil
}

// priceChangeMessage names each product whose price is not the one the
// customer saw.
func priceChangeMessage(changes []app.LineRefusal) string {
	msgs := make([]string, len(changes))
	for i, r := range changes {
		msgs[i] = strings.TrimSuffix(r.Message(), ".")
	}
	return "Prices changed since you opened the page: " + strings.Join(msgs, "; ") +
		". Check your order and place it again at the new prices."
}

// repostFields are the fields of an order post to send again from the
// "place it again?" page, in a stable order, with confirm_repeat=1.
func repostFields(f url.Values) [][2]string {
	keys := make([]string, 0, len(f))
	for k := range f {
		if k != "confirm_repeat" {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	out := make([][2]string, 0, len(keys)+1)
	for _, k := range keys {
		out = append(out, [2]string{k, f.Get(k)})
	}
	return append(out, [2]string{"confirm_repeat", "1"})
}

// orderFormError re-renders the page the form came from with messages.
func (s *Server) orderFormError(c *gin.Context, v *app.Vendor, form Form, status int) error {
	if form.Message == "" {
		form.Message = "Please check the highlighted fields."
	}
	// The page shows today's prices and checkout terms, not the host
	// lookup's few-seconds-old copy.
	v, err := s.freshVendor(c.Request.Context(), v)
	if err != nil {
		return err
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
	if rest, ok := strings.CutPrefix(from, "/c/"); ok && page.Store == nil && s.cfg.Categories != nil {
		// A category's page, "/c/{escaped slug}[?page=N]".
		esc, q, _ := strings.Cut(rest, "?page=")
		slug, err := url.PathUnescape(esc)
		n, nerr := strconv.Atoi(q)
		if nerr != nil || n < 1 {
			n = 1
		}
		if err == nil {
			if cat, err := s.cfg.Categories.CategoryBySlug(c.Request.Context(), v.ID, slug); err == nil {
				if p, err := s.listPage(c.Request.Context(), v, cat, string(categoryPath(cat.Slug)), n); err == nil {
					page = p
				}
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
	s.write(c.Writer, status, "shop.html", page)
	return nil
}

// parseOrderForm reads the quantity fields (app.QtyField) and the
// customer. Every message is keyed by the form field it is about.
func parseOrderForm(f url.Values) (app.PlaceOrder, Form) {
	form := Form{Values: map[string]string{}, Errors: map[string]string{}}
	var req app.PlaceOrder
	for k, vals := range f {
		rest, ok := strings.CutPrefix(k, app.QtyFieldPrefix)
		if !ok || len(vals) == 0 {
			continue
		}
		raw := strings.TrimSpace(vals[0])
		form.Values[k] = raw
		if raw == "" || raw == "0" {
			continue
		}
		// qty_v<id> is a variant's line (app.VariantQtyField).
		vrest, variant := strings.CutPrefix(rest, "v")
		if variant {
			rest = vrest
		}
		id, err := strconv.ParseInt(rest, 10, 64)
		// Only the canonical spelling counts, so qty_7 and qty_07 cannot
		// name one product twice.
		canonical := app.QtyField(id)
		if variant {
			canonical = app.VariantQtyField(id)
		}
		if err != nil || id <= 0 || canonical != k {
			form.Errors[k] = "This product is not in the shop."
			continue
		}
		qty, err := strconv.ParseInt(raw, 10, 64)
		if err != nil || qty < 0 {
			form.Errors[k] = "Enter a whole number."
			continue
		}
		if qty == 0 {
			continue
		}
		l := app.OrderLine{ProductID: id, Qty: qty}
		if variant {
			l = app.OrderLine{VariantID: id, Qty: qty}
		}
		if r, bad := l.Validate(); bad {
			form.Errors[k] = orderFormMessage(r)
			continue
		}
		req.Lines = append(req.Lines, l)
	}
	sort.Slice(req.Lines, func(i, j int) bool {
		a, b := req.Lines[i], req.Lines[j]
		return a.ProductID < b.ProductID || a.ProductID == b.ProductID && a.VariantID < b.VariantID
	})
	// Each line is valid and names its product once: what is left for
	// ValidateOrderLines to refuse is the size of the order.
	var refusal *app.OrderRefusal
	if errors.As(app.ValidateOrderLines(req.Lines), &refusal) {
		for _, r := range refusal.Lines {
			if r.Reason == app.RefusedEmpty && len(form.Errors) > 0 {
				continue // the fields in error say what to fix
			}
			form.Errors["items"] = orderFormMessage(r)
			form.Message = form.Errors["items"]
		}
	}
	req.Customer = app.Customer{Name: f.Get("name"), Phone: f.Get("phone"), Address: f.Get("address")}
	form.Values["name"], form.Values["phone"], form.Values["address"] = req.Customer.Name, req.Customer.Phone, req.Customer.Address
	for k, msg := range app.ValidateCustomer(&req.Customer) {
		form.Errors[k] = msg
	}
	// The prices the page showed, for the lines ordered (PriceFieldPrefix).
	for _, l := range req.Lines {
		k := PriceField(l.ProductID)
		if l.VariantID != 0 {
			k = VariantPriceField(l.VariantID)
		}
		raw := strings.TrimSpace(f.Get(k))
		if raw == "" {
			continue // a client that does not send it: the current price
		}
		p, err := strconv.ParseInt(raw, 10, 64)
		if err != nil || p < 0 || app.Paise(p) > app.MaxPaise {
			form.Errors[l.Field()] = "The order form is damaged. Please reload the page."
			continue
		}
		if l.VariantID != 0 {
			if req.ShownVariant == nil {
				req.ShownVariant = map[int64]app.Paise{}
			}
			req.ShownVariant[l.VariantID] = app.Paise(p)
			continue
		}
		if req.Shown == nil {
			req.Shown = map[int64]app.Paise{}
		}
		req.Shown[l.ProductID] = app.Paise(p)
	}
	req.Coupon = strings.TrimSpace(f.Get("coupon"))
	req.Payment = strings.TrimSpace(f.Get("payment"))
	form.Values["coupon"], form.Values["payment"] = req.Coupon, req.Payment
	// The key only makes a repeat harmless; one we cannot trust is dropped
	// and the order goes through without it.
	if key := strings.TrimSpace(f.Get("order_key")); validOrderKey(key) {
		req.OrderKey = key
	}
	form.Values["from"] = f.Get("from")
	return req, form
}

// orderFormMessage words a refusal of the order form's lines: the order's
// size and a line's quantity the form's way, the rest as app words them.
func orderFormMessage(r app.LineRefusal) string {
	switch r.Reason {
	case app.RefusedEmpty:
		return "Choose how many of at least one product you want."
	case app.RefusedTooManyLines:
		return fmt.Sprintf("At most %d different products per order.", app.MaxOrderLines)
	case app.RefusedTooMany:
		return fmt.Sprintf("At most %d of one item per order.", app.MaxQty)
	}
	return r.Message()
}

// PriceField is the name of the order form's hidden field holding the
// price in paise that the page showed for a product.
func PriceField(productID int64) string { return "price_" + strconv.FormatInt(productID, 10) }

// VariantPriceField is the same for a variant: price_v<variant id>.
func VariantPriceField(variantID int64) string { return "price_v" + strconv.FormatInt(variantID, 10) }

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
