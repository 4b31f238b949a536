package web

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"dukaan/app"
)

// The console's side of checkout on orders: the per-shop number search,
// the unpaid-UPI filter, marking a payment, and the confirmation step of
// cancelling and marking paid.

// paymentUnpaidUPI is the orders list's payment filter: UPI orders whose
// money the vendor has not marked received.
const paymentUnpaidUPI = "unpaid-upi"

// orderListQuery is what /orders and /orders.csv filter by.
type orderListQuery struct {
	Status  app.OrderStatus
	Payment string // "" or paymentUnpaidUPI
	Query   string // the search box as typed
	Number  int64  // the number it names; 0 for none
	BadQ    bool   // the search box holds no order number
}

// parseOrderListQuery reads status, payment and q; an unknown status or
// payment filter is EINVALID (422), a search that names no number finds
// nothing.
func parseOrderListQuery(c *gin.Context) (orderListQuery, error) {
	q := orderListQuery{Status: app.OrderStatus(c.Query("status")), Payment: c.Query("payment")}
	if q.Status != "" && !q.Status.Valid() {
		return q, app.Errorf(app.EINVALID, "Unknown order status %q.", string(q.Status))
	}
	if q.Payment != "" && q.Payment != paymentUnpaidUPI {
		return q, app.Errorf(app.EINVALID, "Unknown payment filter %q.", q.Payment)
	}
	q.Query = strings.TrimSpace(c.Query("q"))
	if len(q.Query) > 24 {
		q.Query = q.Query[:24]
	}
	if q.Query != "" {
		n, err := strconv.ParseInt(strings.TrimSpace(strings.TrimPrefix(q.Query, "#")), 10, 64)
		if err != nil || n <= 0 {
			q.BadQ = true
		} else {
			q.Number = n
		}
	}
	return q, nil
}

// filter is the storage filter of the query.
func (q orderListQuery) filter(vendorID int64) app.OrderFilter {
	f := app.OrderFilter{VendorID: vendorID, Status: q.Status, Number: q.Number}
	if q.Payment == paymentUnpaidUPI {
		f.PaymentMode, f.PaymentStatus = app.PaymentUPI, app.PaymentUnpaid
	}
	return f
}

// encode is the query string of the filters, each followed by "&" (a
// Pager's BaseQuery), without the page.
func (q orderListQuery) encode() string {
	v := url.Values{}
	if q.Status != "" {
		v.Set("status", string(q.Status))
	}
	if q.Payment != "" {
		v.Set("payment", q.Payment)
	}
	if q.Query != "" {
		v.Set("q", q.Query)
	}
	if len(v) == 0 {
		return ""
	}
	return v.Encode() + "&"
}

// CSVQuery is the export link's query string, "" or "?status=…".
func (q orderListQuery) CSVQuery() string {
	if s := strings.TrimSuffix(q.encode(), "&"); s != "" {
		return "?" + s
	}
	return ""
}

// Filtered reports whether any filter is on.
func (q orderListQuery) Filtered() bool { return q.Status != "" || q.Payment != "" || q.Query != "" }

// confirmPage asks before a step that is hard to undo: its form posts
// Fields and confirm=yes to Action.
type confirmPage struct {
	Page
	Question, Detail string
	Action           string
	Fields           map[string]string
	Button, Keep     string
	Back, BackLabel  string
	Danger           bool
}

// wantsConfirmation reports whether the console's button asked for the
// confirmation step (confirm=ask) rather than the step itself. A POST
// without confirm, or with confirm=yes, does the step: tools that post
// the status directly work as before.
func wantsConfirmation(c *gin.Context) bool { return c.PostForm("confirm") == "ask" }

// orderNo is the number the console shows for an order: its per-shop
// number, or the internal id for an order that has none.
func orderNo(o *app.Order) int64 {
	if o.Number > 0 {
		return o.Number
	}
	return o.ID
}

func (s *Server) confirmStatus(c *gin.Context, o *app.Order, next app.OrderStatus) {
	n := "#" + itoa(orderNo(o))
	p := confirmPage{
		Page:     s.adminPage(c, "orders", "Confirm: order "+n),
		Question: "Mark order " + n + " " + string(next) + "?",
		Action:   "/orders/" + itoa(o.ID) + "/status", Fields: map[string]string{"status": string(next)},
		Button: "Yes, mark it " + string(next), Keep: "Go back",
		Back: "/orders/" + itoa(o.ID), BackLabel: "Order " + n,
	}
	if next == app.StatusCancelled {
		p.Question = "Cancel order " + n + "?"
		p.Detail = "This puts the stock back"
		if o.CouponCode != "" {
			p.Detail += " and gives the use of the code " + o.CouponCode + " back"
		}
		p.Detail += ". A cancelled order cannot be changed again."
		p.Button, p.Keep, p.Danger = "Yes, cancel the order", "Keep the order", true
	}
	s.write(c.Writer, http.StatusOK, "confirm.html", p)
}

func (s *Server) setPaymentStatus(c *gin.Context) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	vendorID := currentVendor(c).ID
	ctx := c.Request.Context()
	status := app.PaymentStatus(c.PostForm("status"))
	if !status.Valid() || wantsConfirmation(c) {
		// Another vendor's order is a 404 whatever the body.
		o, err := s.cfg.Orders.Order(ctx, vendorID, id)
		if err != nil {
			return err
		}
		if !status.Valid() {
			s.writeOrder(c, http.StatusUnprocessableEntity, o, Form{Message: "Mark the payment paid or unpaid."})
			return nil
		}
		n := "#" + itoa(orderNo(o))
		p := confirmPage{
			Page:     s.adminPage(c, "orders", "Confirm: order "+n),
			Question: "Mark order " + n + " paid?",
			Detail:   "Only when " + o.Total.String() + " has reached your " + paymentName(o.PaymentMode) + ". Check your UPI app or bank first.",
			Action:   "/orders/" + itoa(o.ID) + "/payment", Fields: map[string]string{"status": string(status)},
			Button: "Yes, I have the money", Keep: "Go back",
			Back: "/orders/" + itoa(o.ID), BackLabel: "Order " + n,
		}
		if status == app.PaymentUnpaid {
			p.Question, p.Detail, p.Button = "Mark order "+n+" unpaid?", "The order shows as not paid again.", "Yes, mark it unpaid"
		}
		s.write(c.Writer, http.StatusOK, "confirm.html", p)
		return nil
	}
	o, err := s.cfg.Orders.SetPaymentStatus(ctx, vendorID, id, status)
	if err != nil {
		return err
	}
	s.flash(c, "Order #"+itoa(orderNo(o))+" is marked "+string(o.PaymentStatus)+".")
	c.Redirect(http.StatusSeeOther, "/orders/"+itoa(o.ID))
	return nil
}

// paymentName is where a payment goes, in the vendor's words.
func paymentName(m app.PaymentMode) string {
	if m == app.PaymentUPI {
		return "UPI account"
	}
	return "hands (cash on delivery)"
}

// query is the page's filters: Status is the page's own field (the tabs
// read it), the others are Filter's.
func (p ordersPage) query() orderListQuery {
	q := p.Filter
	q.Status = p.Status
	return q
}

// CSVQuery is the export link's query string: the page's filters.
func (p ordersPage) CSVQuery() string { return p.query().CSVQuery() }

// Filtered reports whether the page shows fewer than all orders.
func (p ordersPage) Filtered() bool { return p.query().Filtered() }
