package web

import (
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"dukaan/app"
)

const ordersPerPage = 25

func (s *Server) listOrders(c *gin.Context) error {
	lq, err := parseOrderListQuery(c)
	if err != nil {
		return err
	}
	page := pageNumber(c)
	var (
		orders []*app.Order
		total  int
	)
	if !lq.BadQ {
		f := lq.filter(currentVendor(c).ID)
		f.Offset, f.Limit = (page-1)*ordersPerPage, ordersPerPage
		if orders, total, err = s.cfg.Orders.Orders(c.Request.Context(), f); err != nil {
			return err
		}
	}
	today, err := s.today(c)
	if err != nil {
		return err
	}
	s.write(c.Writer, http.StatusOK, "orders.html", ordersPage{
		Page:   s.adminPage(c, "orders", "Orders"),
		Orders: orders, Status: lq.Status, Statuses: app.OrderStatuses, Filter: lq,
		Pager: Pager{Page: page, PerPage: ordersPerPage, Total: total, BaseQuery: lq.encode()},
		Today: today, TimeZone: s.cfg.Location.String(),
	})
	return nil
}

// today sums the vendor's orders placed since midnight in the shops' time
// zone.
func (s *Server) today(c *gin.Context) (app.OrderStats, error) {
	from, to := dayBounds(time.Now(), s.cfg.Location)
	return s.cfg.Orders.OrderStats(c.Request.Context(), currentVendor(c).ID, from, to)
}

// dayBounds is the day that contains t in loc: [its midnight, the next
// midnight). AddDate keeps a day with a daylight-saving change right.
func dayBounds(t time.Time, loc *time.Location) (from, to time.Time) {
	t = t.In(loc)
	from = time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, loc)
	return from, from.AddDate(0, 0, 1)
}

// defaultLocation is the default time zone, Asia/Kolkata. India keeps no
// daylight saving time, so a fixed +05:30 is the same zone when the
// system has no zone database (cmd/dukaan embeds one with time/tzdata).
func defaultLocation() *time.Location {
	if loc, err := time.LoadLocation("Asia/Kolkata"); err == nil {
		return loc
	}
	return time.FixedZone("Asia/Kolkata", 5*3600+1800)
}

func (s *Server) showOrder(c *gin.Context) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	o, err := s.cfg.Orders.Order(c.Request.Context(), currentVendor(c).ID, id)
	if err != nil {
		return err
	}
	s.writeOrder(c, http.StatusOK, o, Form{})
	return nil
}

func (s *Server) writeOrder(c *gin.Context, status int, o *app.Order, form Form) {
	tracking := app.CleanTrackingNote(c.Query("tracking"))
	wa, reason := app.CustomerWhatsApp(currentVendor(c).Name, o, tracking)
	s.write(c.Writer, status, "order.html", orderPage{
		Page:  s.adminPage(c, "orders", "Order #"+itoa(orderNo(o))),
		Order: o, Next: o.Status.NextSteps(), Form: form,
		WhatsApp: wa, WhatsAppReason: reason, Tracking: tracking,
	})
}

func (s *Server) setOrderStatus(c *gin.Context) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	vendorID := currentVendor(c).ID
	next := app.OrderStatus(c.PostForm("status"))
	if wantsConfirmation(c) && next.Valid() {
		// The console's button asks first; the page's form posts the
		// same step with confirm=yes.
		o, err := s.cfg.Orders.Order(c.Request.Context(), vendorID, id)
		if err != nil {
			return err
		}
		if o.Status.CanMoveTo(next) {
			s.confirmStatus(c, o, next)
			return nil
		}
	}
	o, err := s.cfg.Orders.SetOrderStatus(c.Request.Context(), vendorID, id, next)
	if app.ErrorCode(err) == app.EINVALID {
		cur, err2 := s.cfg.Orders.Order(c.Request.Context(), vendorID, id)
		if err2 != nil {
			return err2
		}
		s.writeOrder(c, http.StatusUnprocessableEntity, cur, Form{Message: app.ErrorMessage(err)})
		return nil
	} else if err != nil {
		return err
	}
	s.flash(c, "Order #"+itoa(orderNo(o))+" is now "+string(o.Status)+".")
	c.Redirect(http.StatusSeeOther, "/orders/"+itoa(o.ID))
	return nil
}
