package web

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"dukaan/app"
)

const ordersPerPage = 25

func (s *Server) listOrders(c *gin.Context) error {
	status := app.OrderStatus(c.Query("status"))
	if status != "" && !status.Valid() {
		return app.Errorf(app.EINVALID, "Unknown order status %q.", string(status))
	}
	page := pageNumber(c)
	orders, total, err := s.cfg.Orders.Orders(c.Request.Context(), app.OrderFilter{
		VendorID: currentVendor(c).ID, Status: status,
		Offset: (page - 1) * ordersPerPage, Limit: ordersPerPage,
	})
	if err != nil {
		return err
	}
	base := ""
	if status != "" {
		base = "status=" + string(status) + "&"
	}
	s.write(c.Writer, http.StatusOK, "orders.html", ordersPage{
		Page:   s.adminPage(c, "orders", "Orders"),
		Orders: orders, Status: status, Statuses: app.OrderStatuses,
		Pager: Pager{Page: page, PerPage: ordersPerPage, Total: total, BaseQuery: base},
	})
	return nil
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
	s.write(c.Writer, status, "order.html", orderPage{
		Page:  s.adminPage(c, "orders", "Order #"+itoa(o.ID)),
		Order: o, Next: o.Status.NextSteps(), Form: form,
	})
}

func (s *Server) setOrderStatus(c *gin.Context) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	vendorID := currentVendor(c).ID
	next := app.OrderStatus(c.PostForm("status"))
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
	s.flash(c, "Order #"+itoa(o.ID)+" is now "+string(o.Status)+".")
	c.Redirect(http.StatusSeeOther, "/orders/"+itoa(o.ID))
	return nil
}
