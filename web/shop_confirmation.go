package web

import (
	"cmp"
	"html/template"
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"
	"github.com/skip2/go-qrcode"

	"dukaan/app"
	"dukaan/tenant"
)

// confirmation is the customer's own order page. It is personal: never
// stored by any cache.
func (s *Server) confirmation(c *gin.Context) error {
	v, o, err := s.customerOrder(c)
	if err != nil {
		return err
	}
	page := confirmationPage{Page: s.shopBase(v, "Order #"+itoa(o.Number)+" · "+v.Name), Store: v, Order: o}
	if o.PaymentMode == app.PaymentUPI && o.PaymentStatus != app.PaymentPaid && v.Checkout.UPIID != "" {
		page.UPILink = template.URL(orderUPILink(v, o))
	}
	s.write(c.Writer, http.StatusOK, "confirmation.html", page)
	return nil
}

// customerOrder is the order whose token the request's path names, in the
// request's shop, and the shop as it is now (the vendor may have fixed
// its UPI address since the order). Everything reached by a token is
// personal: never stored by any cache.
func (s *Server) customerOrder(c *gin.Context) (*app.Vendor, *app.Order, error) {
	c.Header("Cache-Control", "private, no-store")
	v, err := tenant.FromContext(c.Request.Context())
	if err != nil {
		return nil, nil, err
	}
	token := c.Param("token")
	if len(token) < 16 || len(token) > 64 {
		return nil, nil, app.Errorf(app.ENOTFOUND, "We could not find that order.")
	}
	o, err := s.cfg.Orders.OrderByToken(c.Request.Context(), v.ID, token)
	if err != nil {
		return nil, nil, err
	}
	if v, err = s.freshVendor(c.Request.Context(), v); err != nil {
		return nil, nil, err
	}
	return v, o, nil
}

// orderUPILink is the UPI payment link of an order: to the shop's UPI
// address, for the order's total, named by its per-shop number.
func orderUPILink(v *app.Vendor, o *app.Order) string {
	return app.UPILink(v.Checkout.UPIID, cmp.Or(v.Name, v.Slug), o.Total, o.Number)
}

// upiQR is GET /orders/{token}/upi.svg: the order's UPI link as a QR code,
// for a customer on a computer to scan with their phone. Only a UPI order
// of this shop, while the shop has a UPI address, has one (the
// confirmation shows it until the order is marked paid).
func (s *Server) upiQR(c *gin.Context) error {
	v, o, err := s.customerOrder(c)
	if err != nil {
		return err
	}
	if o.PaymentMode != app.PaymentUPI || v.Checkout.UPIID == "" {
		return app.Errorf(app.ENOTFOUND, "This order is not paid by UPI.")
	}
	q, err := qrcode.New(orderUPILink(v, o), qrcode.Medium)
	if err != nil {
		return err
	}
	body := qrSVG(q.Bitmap(), "UPI QR code to pay "+o.Total.String()+" to "+cmp.Or(v.Name, v.Slug))
	h := c.Writer.Header()
	h.Set("Content-Type", "image/svg+xml")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	c.Writer.WriteHeader(http.StatusOK)
	_, _ = c.Writer.Write(body)
	return nil
}
