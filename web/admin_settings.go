package web

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"dukaan/app"
)

// settingsPage is the shop's settings form.
type settingsPage struct {
	Page
	Form Form
}

func (s *Server) settingsForm(c *gin.Context) error {
	v := currentVendor(c)
	whatsapp := ""
	if v.WhatsApp != "" {
		whatsapp = displayPhone(v.WhatsApp)
	}
	form := Form{Values: map[string]string{"name": v.Name, "description": v.Description, "whatsapp": whatsapp}}
	s.write(c.Writer, http.StatusOK, "settings.html", settingsPage{Page: s.adminPage(c, "settings", "Shop settings"), Form: form})
	return nil
}

func (s *Server) saveSettings(c *gin.Context) error {
	v := currentVendor(c)
	in := app.StoreSettings{Name: c.PostForm("name"), Description: c.PostForm("description"), WhatsApp: c.PostForm("whatsapp")}
	form := Form{Values: map[string]string{"name": in.Name, "description": in.Description, "whatsapp": in.WhatsApp}}
	updated, err := s.cfg.Vendors.UpdateStore(c.Request.Context(), v.ID, in)
	if app.ErrorCode(err) == app.EINVALID {
		form.Errors = app.ErrorFields(err)
		form.Message = "Please fix the highlighted fields."
		s.write(c.Writer, http.StatusUnprocessableEntity, "settings.html", settingsPage{Page: s.adminPage(c, "settings", "Shop settings"), Form: form})
		return nil
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
