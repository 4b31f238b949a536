package web

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"dukaan/app"
)

// The console's discount codes: GET /coupons, GET/POST /coupons/new,
// GET/POST /coupons/{id}/edit, POST /coupons/{id}/delete.

// couponsPage lists the vendor's coupons.
type couponsPage struct {
	Page
	Coupons []couponRow
}

// couponRow is a coupon as the list shows it.
type couponRow struct {
	*app.Coupon
	State string // "active", "off", "expired" or "used up"
}

// couponFormPage creates (Coupon nil) or edits a coupon.
type couponFormPage struct {
	Page
	Coupon *app.Coupon
	Form   Form
}

// couponState is what the list says about a coupon on the shop's day today.
func couponState(c *app.Coupon, today string) string {
	switch {
	case !c.Active:
		return "off"
	case c.Expires != "" && today > c.Expires:
		return "expired"
	case c.MaxUses > 0 && c.Uses >= c.MaxUses:
		return "used up"
	}
	return "active"
}

func (s *Server) listCoupons(c *gin.Context) error {
	cs, err := s.cfg.Coupons.Coupons(c.Request.Context(), currentVendor(c).ID)
	if err != nil {
		return err
	}
	today := app.Today(time.Now(), s.cfg.Location)
	rows := make([]couponRow, len(cs))
	for i, cp := range cs {
		rows[i] = couponRow{Coupon: cp, State: couponState(cp, today)}
	}
	s.write(c.Writer, http.StatusOK, "coupons.html", couponsPage{Page: s.adminPage(c, "coupons", "Discount codes"), Coupons: rows})
	return nil
}

func (s *Server) newCouponForm(c *gin.Context) error {
	form := Form{Values: map[string]string{"kind": string(app.CouponPercent), "active": "on"}}
	s.writeCouponForm(c, http.StatusOK, nil, form)
	return nil
}

func (s *Server) createCoupon(c *gin.Context) error {
	in, form := parseCouponForm(c)
	if len(form.Errors) > 0 {
		s.writeCouponForm(c, http.StatusUnprocessableEntity, nil, form)
		return nil
	}
	cp, err := s.cfg.Coupons.CreateCoupon(c.Request.Context(), currentVendor(c).ID, in)
	if err != nil {
		return s.couponSaveError(c, nil, form, err)
	}
	s.flash(c, "Added the code "+cp.Code+" ("+cp.Describe()+").")
	c.Redirect(http.StatusSeeOther, "/coupons")
	return nil
}

// pathCoupon is the logged-in vendor's coupon named by the path's id;
// another vendor's, or not a number, is not found.
func (s *Server) pathCoupon(c *gin.Context) (*app.Coupon, error) {
	id, err := pathID(c)
	if err != nil {
		return nil, err
	}
	return s.cfg.Coupons.Coupon(c.Request.Context(), currentVendor(c).ID, id)
}

func (s *Server) editCouponForm(c *gin.Context) error {
	cp, err := s.pathCoupon(c)
	if err != nil {
		return err
	}
	form := Form{Values: map[string]string{
		"code": cp.Code, "kind": string(cp.Kind), "expires": cp.Expires, "active": checked(cp.Active),
		"value": strconv.FormatInt(cp.Value, 10), "min_order": "", "max_uses": "",
	}}
	if cp.Kind == app.CouponFlat {
		form.Values["value"] = app.Paise(cp.Value).Input()
	}
	if cp.MinOrder > 0 {
		form.Values["min_order"] = cp.MinOrder.Input()
	}
	if cp.MaxUses > 0 {
		form.Values["max_uses"] = strconv.FormatInt(cp.MaxUses, 10)
	}
	s.writeCouponForm(c, http.StatusOK, cp, form)
	return nil
}

func (s *Server) updateCoupon(c *gin.Context) error {
	// Look the coupon up first so another vendor's id is a 404 even when
	// the form is invalid.
	cp, err := s.pathCoupon(c)
	if err != nil {
		return err
	}
	in, form := parseCouponForm(c)
	if len(form.Errors) > 0 {
		s.writeCouponForm(c, http.StatusUnprocessableEntity, cp, form)
		return nil
	}
	updated, err := s.cfg.Coupons.UpdateCoupon(c.Request.Context(), currentVendor(c).ID, cp.ID, in)
	if err != nil {
		return s.couponSaveError(c, cp, form, err)
	}
	s.flash(c, "Saved the code "+updated.Code+".")
	c.Redirect(http.StatusSeeOther, "/coupons")
	return nil
}

func (s *Server) deleteCoupon(c *gin.Context) error {
	cp, err := s.pathCoupon(c)
	if err != nil {
		return err
	}
	if err := s.cfg.Coupons.DeleteCoupon(c.Request.Context(), currentVendor(c).ID, cp.ID); err != nil {
		return err
	}
	s.flash(c, "Deleted the code "+cp.Code+". Orders that used it keep it.")
	c.Redirect(http.StatusSeeOther, "/coupons")
	return nil
}

// couponSaveError re-renders the form for errors the vendor can fix (a
// rule, a code the shop already has) and passes any other error up.
func (s *Server) couponSaveError(c *gin.Context, cp *app.Coupon, form Form, err error) error {
	switch app.ErrorCode(err) {
	case app.EINVALID, app.ECONFLICT:
		for k, v := range app.ErrorFields(err) {
			form.Errors[k] = v
		}
		form.Message = app.ErrorMessage(err)
		s.writeCouponForm(c, statusOf(err), cp, form)
		return nil
	}
	return err
}

func (s *Server) writeCouponForm(c *gin.Context, status int, cp *app.Coupon, form Form) {
	title := "New discount code"
	if cp != nil {
		title = "Edit " + cp.Code
	}
	if form.HasErrors() && form.Message == "" {
		form.Message = "Please fix the highlighted fields."
	}
	s.write(c.Writer, status, "coupon_form.html", couponFormPage{Page: s.adminPage(c, "coupons", title), Coupon: cp, Form: form})
}

// parseCouponForm reads the coupon fields: the value is a whole percent
// or rupees by kind, the minimum order rupees, the use limit a count;
// empty optional fields mean none. The rules are app.CouponInput's.
func parseCouponForm(c *gin.Context) (app.CouponInput, Form) {
	form := Form{Values: map[string]string{}, Errors: map[string]string{}}
	for _, k := range []string{"code", "kind", "value", "min_order", "max_uses", "expires", "active"} {
		form.Values[k] = c.PostForm(k)
	}
	in := app.CouponInput{Code: form.Values["code"], Kind: app.CouponKind(form.Values["kind"]), Expires: form.Values["expires"]}
	in.Active = form.Values["active"] == "on"
	form.Values["active"] = checked(in.Active)
	switch v := strings.TrimSpace(form.Values["value"]); {
	case v == "":
		form.Errors["value"] = "Enter the discount."
	case in.Kind == app.CouponPercent:
		n, err := strconv.ParseInt(strings.TrimSuffix(v, "%"), 10, 64)
		if err != nil {
			form.Errors["value"] = "Enter a whole percent from 1 to 90."
		}
		in.Value = n
	case in.Kind == app.CouponFlat:
		p, err := app.ParseRupees(v)
		if err != nil {
			form.Errors["value"] = app.ErrorMessage(err)
		}
		in.Value = int64(p)
	}
	if !blank(form.Values["min_order"]) {
		p, err := app.ParseRupees(form.Values["min_order"])
		if err != nil {
			form.Errors["min_order"] = app.ErrorMessage(err)
		}
		in.MinOrder = p
	}
	if !blank(form.Values["max_uses"]) {
		n, err := parseCount(form.Values["max_uses"], app.MaxCouponUses)
		if err != nil || n == 0 {
			form.Errors["max_uses"] = "Enter a whole number from 1 to 10,00,000, or leave it empty for no limit."
		}
		in.MaxUses = n
	}
	for k, msg := range in.Validate() {
		if form.Errors[k] == "" {
			form.Errors[k] = msg
		}
	}
	form.Values["code"] = in.Code
	return in, form
}
