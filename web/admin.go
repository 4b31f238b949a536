package web

import (
	"context"
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"
	"github.com/gorilla/csrf"

	"dukaan/app"
)

const sessionVendorKey = "vendor_id"

// sessionEpochKey is the vendor's SessionEpoch when this session signed in:
// a password reset or change since then has signed it out.
const sessionEpochKey = "epoch"

// requireVendor loads the logged-in vendor or sends the browser to /login.
func (s *Server) requireVendor(c *gin.Context) {
	ctx := c.Request.Context()
	id := s.sessions.GetInt64(ctx, sessionVendorKey)
	if id == 0 {
		c.Redirect(http.StatusSeeOther, "/login")
		c.Abort()
		return
	}
	v, err := s.cfg.Vendors.VendorByID(ctx, id)
	if err == nil && s.sessions.GetInt64(ctx, sessionEpochKey) != v.SessionEpoch {
		err = app.Errorf(app.ENOTFOUND, "signed out by a password change")
	}
	if app.ErrorCode(err) == app.ENOTFOUND {
		// The account is gone, or its password changed since this
		// session signed in: forget the session.
		_ = s.sessions.Destroy(ctx)
		c.Redirect(http.StatusSeeOther, "/login")
		c.Abort()
		return
	} else if err != nil {
		s.fail(c.Writer, c.Request, "admin", err)
		c.Abort()
		return
	}
	c.Request = c.Request.WithContext(context.WithValue(ctx, vendorKey{}, v))
	c.Next()
}

// currentVendor is the vendor requireVendor loaded.
func currentVendor(c *gin.Context) *app.Vendor {
	v, _ := c.Request.Context().Value(vendorKey{}).(*app.Vendor)
	return v
}

// adminPage fills the layout data of a console page.
func (s *Server) adminPage(c *gin.Context, nav, title string) Page {
	p := s.basePage(c.Request, "admin", title)
	p.Nav = nav
	p.CSRFToken = csrf.Token(c.Request)
	if v := currentVendor(c); v != nil {
		p.Vendor = v
		p.ShopURL = s.shopURL(v)
		p.Flash = s.sessions.PopString(c.Request.Context(), "flash")
	}
	return p
}

// flash leaves a message for the next page the vendor sees.
func (s *Server) flash(c *gin.Context, msg string) {
	s.sessions.Put(c.Request.Context(), "flash", msg)
}

// pathID parses a numeric id from the path; anything else is not found.
func pathID(c *gin.Context) (int64, error) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, app.Errorf(app.ENOTFOUND, "We could not find that.")
	}
	return id, nil
}

// pageNumber reads ?page=, defaulting to 1.
func pageNumber(c *gin.Context) int {
	n, err := strconv.Atoi(c.Query("page"))
	if err != nil || n < 1 {
		return 1
	}
	if n > 100000 {
		n = 100000
	}
	return n
}
