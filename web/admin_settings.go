package web

import (
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"dukaan/app"
)

// settingsPage is the shop's settings form.
type settingsPage struct {
	Page
	Form Form
	// MailOff: the server sends no email (no SMTP server set up), which
	// the email section says.
	MailOff bool
	// Photos: uploads are on, so the form shows the logo and banner
	// fields (multipart) with PhotoMaxMB, the size limit.
	Photos     bool
	PhotoMaxMB int64
}

func (s *Server) settingsPage(c *gin.Context, form Form) settingsPage {
	p := settingsPage{Page: s.adminPage(c, "settings", "Shop settings"), Form: form, MailOff: s.cfg.EmailNotSetUp}
	if s.cfg.Images != nil {
		p.Photos, p.PhotoMaxMB = true, s.cfg.Images.MaxBytes()>>20
	}
	return p
}

// brandPhotos reads the logo and banner fields ("logo", "logo_key",
// "logo_remove", the same for "banner"): nil keeps the saved one. The
// form shows the saved ones from the vendor; a refused form keeps a
// new upload's key.
func (s *Server) brandPhotos(c *gin.Context, form *Form, in *app.StoreSettings) {
	in.Logo = s.photoField(c, form, "logo")
	in.Banner = s.photoField(c, form, "banner")
}

// checkoutFields are the settings form's checkout fields. A POST that
// carries none of them (a tool written before they existed) leaves the
// checkout settings as they are; one that carries any of them sets them
// all, an absent checkbox being unticked and an empty amount "none", as a
// browser submits the form.
var checkoutFields = []string{"delivery_fee", "free_delivery_above", "min_order", "upi_id", "cod", "upi"}

func (s *Server) settingsForm(c *gin.Context) error {
	v := currentVendor(c)
	whatsapp := ""
	if v.WhatsApp != "" {
		whatsapp = displayPhone(v.WhatsApp)
	}
	form := Form{Values: map[string]string{"name": v.Name, "description": v.Description, "whatsapp": whatsapp}}
	checkoutValues(form.Values, &v.Checkout)
	form.Values[orderEmailsField] = checked(v.OrderEmails)
	s.write(c.Writer, http.StatusOK, "settings.html", s.settingsPage(c, form))
	return nil
}

// checkoutValues fills the form's checkout fields from saved settings.
func checkoutValues(vals map[string]string, cs *app.CheckoutSettings) {
	vals["delivery_fee"] = cs.DeliveryFee.Input()
	vals["free_delivery_above"] = ""
	if cs.FreeDeliveryAbove != nil {
		vals["free_delivery_above"] = cs.FreeDeliveryAbove.Input()
	}
	vals["min_order"] = ""
	if cs.MinOrder > 0 {
		vals["min_order"] = cs.MinOrder.Input()
	}
	vals["upi_id"] = cs.UPIID
	vals["cod"], vals["upi"] = checked(cs.AcceptCOD), checked(cs.AcceptUPI)
}

// blank reports whether a typed value is empty or only spaces.
func blank(s string) bool { return strings.TrimSpace(s) == "" }

func checked(b bool) string {
	if b {
		return "on"
	}
	return ""
}

// parseCheckoutForm reads the checkout fields, or returns nil when the
// form carries none of them. Amounts that do not parse get their message
// in form.Errors; the rules are app.CheckoutSettings.Validate's.
func parseCheckoutForm(c *gin.Context, form *Form) *app.CheckoutSettings {
	present := false
	for _, k := range checkoutFields {
		if _, ok := c.GetPostForm(k); ok {
			present = true
		}
		form.Values[k] = c.PostForm(k)
	}
	if !present {
		for _, k := range checkoutFields {
			delete(form.Values, k)
		}
		return nil
	}
	cs := &app.CheckoutSettings{UPIID: form.Values["upi_id"]}
	amount := func(field string) (app.Paise, bool) {
		if blank(form.Values[field]) {
			return 0, false
		}
		p, err := app.ParseRupees(form.Values[field])
		if err != nil {
			form.Errors[field] = app.ErrorMessage(err)
			return 0, false
		}
		return p, true
	}
	cs.DeliveryFee, _ = amount("delivery_fee")
	if p, ok := amount("free_delivery_above"); ok {
		cs.FreeDeliveryAbove = &p
	}
	cs.MinOrder, _ = amount("min_order")
	cs.AcceptCOD, cs.AcceptUPI = form.Values["cod"] == "on", form.Values["upi"] == "on"
	form.Values["cod"], form.Values["upi"] = checked(cs.AcceptCOD), checked(cs.AcceptUPI)
	return cs
}

// The order-email switch is a checkbox, which a browser leaves out when
// unticked: the form also posts orderEmailsMarker, and only a POST that
// carries the marker sets the switch, so a tool that posts the older
// fields does not turn the vendor's order emails off.
const (
	orderEmailsField  = "order_emails"
	orderEmailsMarker = "order_emails_shown"
)

// parseOrderEmails reads the switch, or nil when the form did not show it.
func parseOrderEmails(c *gin.Context, form *Form, saved bool) *bool {
	if _, ok := c.GetPostForm(orderEmailsMarker); !ok {
		form.Values[orderEmailsField] = checked(saved)
		return nil
	}
	on := c.PostForm(orderEmailsField) == "on"
	form.Values[orderEmailsField] = checked(on)
	return &on
}

func (s *Server) saveSettings(c *gin.Context) error {
	v := currentVendor(c)
	in := app.StoreSettings{Name: c.PostForm("name"), Description: c.PostForm("description"), WhatsApp: c.PostForm("whatsapp")}
	form := Form{Values: map[string]string{"name": in.Name, "description": in.Description, "whatsapp": in.WhatsApp}, Errors: map[string]string{}}
	in.OrderEmails = parseOrderEmails(c, &form, v.OrderEmails)
	s.brandPhotos(c, &form, &in)
	checkout := parseCheckoutForm(c, &form)
	if checkout == nil {
		// The page shows the checkout settings as they are.
		checkoutValues(form.Values, &v.Checkout)
	}
	refuse := func() error {
		form.Message = "Please fix the highlighted fields."
		s.write(c.Writer, http.StatusUnprocessableEntity, "settings.html", s.settingsPage(c, form))
		return nil
	}
	if len(form.Errors) > 0 {
		// An amount that did not parse: show every other field's
		// message too, without saving anything.
		probe := in
		for k, msg := range probe.Validate() {
			if form.Errors[k] == "" {
				form.Errors[k] = msg
			}
		}
		if checkout != nil {
			for k, msg := range checkout.Validate() {
				if form.Errors[k] == "" {
					form.Errors[k] = msg
				}
			}
		}
		return refuse()
	}
	updated, _, err := s.cfg.Settings.UpdateSettings(c.Request.Context(), v.ID, in, checkout)
	if app.ErrorCode(err) == app.EINVALID {
		for k, msg := range app.ErrorFields(err) {
			form.Errors[k] = msg
		}
		return refuse()
	} else if err != nil {
		return err
	}
	// This replica's store lookup forgets the old name at once; shop pages
	// render the vendor afresh from the database, so other replicas' short
	// lookup cache never puts an old name into a cached page.
	s.vendors.forget(updated.Slug)
	s.flash(c, "Saved your shop settings. Your shop shows them now.")
	c.Redirect(http.StatusSeeOther, "/settings")
	return nil
}
