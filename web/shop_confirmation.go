package web

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"dukaan/app"
	"dukaan/tenant"
)

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
