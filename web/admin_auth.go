package web

import (
	"net/http"
	"net/mail"
	"strings"
	"unicode/utf8"

	"github.com/gin-gonic/gin"

	"dukaan/app"
	"dukaan/tenant"
)

func (s *Server) signupForm(c *gin.Context) error {
	if s.sessions.GetInt64(c.Request.Context(), sessionVendorKey) != 0 {
		c.Redirect(http.StatusSeeOther, "/products")
		return nil
	}
	s.write(c.Writer, http.StatusOK, "signup.html", authPage{Page: s.adminPage(c, "", "Open your shop")})
	return nil
}

// signup creates a vendor and logs them in.
func (s *Server) signup(c *gin.Context) error {
	form := Form{Values: map[string]string{
		"store": strings.ToLower(strings.TrimSpace(c.PostForm("store"))),
		"name":  app.CleanText(c.PostForm("name")),
		"email": strings.ToLower(strings.TrimSpace(c.PostForm("email"))),
	}, Errors: map[string]string{}}
	password := c.PostForm("password")
	if retry, limited := s.overLimit(c.Request, "signup", ""); limited {
		form.Message = s.limitedMessage(retry)
		c.Header("Retry-After", retryAfterSeconds(retry))
		s.write(c.Writer, http.StatusTooManyRequests, "signup.html", authPage{Page: s.adminPage(c, "", "Open your shop"), Form: form})
		return nil
	}

	if msg := tenant.ValidateStoreName(form.Values["store"]); msg != "" {
		form.Errors["store"] = msg
	}
	if utf8.RuneCountInString(form.Values["name"]) > app.MaxNameLen {
		form.Errors["name"] = "That name is too long."
	}
	if msg := validateEmail(form.Values["email"]); msg != "" {
		form.Errors["email"] = msg
	}
	if msg := app.ValidatePassword(password); msg != "" {
		form.Errors["password"] = msg
	}
	rerender := func(status int) error {
		form.Message = "Please fix the highlighted fields."
		s.write(c.Writer, status, "signup.html", authPage{Page: s.adminPage(c, "", "Open your shop"), Form: form})
		return nil
	}
	if len(form.Errors) > 0 {
		return rerender(http.StatusUnprocessableEntity)
	}

	v := &app.Vendor{Slug: form.Values["store"], Name: form.Values["name"], Email: form.Values["email"]}
	if v.Name == "" {
		v.Name = v.Slug
	}
	if err := s.cfg.Vendors.CreateVendor(c.Request.Context(), v, password); err != nil {
		if fields := app.ErrorFields(err); app.ErrorCode(err) == app.ECONFLICT && len(fields) > 0 {
			for k, msg := range fields {
				form.Errors[k] = msg
			}
			return rerender(http.StatusUnprocessableEntity)
		}
		return err
	}
	if err := s.logIn(c, v); err != nil {
		return err
	}
	s.flash(c, "Your shop is open at "+s.ShopURL(v.Slug)+". Add your first product.")
	c.Redirect(http.StatusSeeOther, "/products")
	return nil
}

func validateEmail(email string) string {
	if email == "" {
		return "Enter your email address."
	}
	if len(email) > 254 {
		return "That email address is too long."
	}
	a, err := mail.ParseAddress(email)
	_, domain, _ := strings.Cut(email, "@")
	if err != nil || a.Address != email || !strings.Contains(domain, ".") {
		return "Enter an email address like you@example.com."
	}
	return ""
}

// logIn renews the session token (so a token planted before login is
// worthless after it) and remembers the vendor.
func (s *Server) logIn(c *gin.Context, v *app.Vendor) error {
	ctx := c.Request.Context()
	if err := s.sessions.RenewToken(ctx); err != nil {
		return err
	}
	s.sessions.Put(ctx, sessionVendorKey, v.ID)
	s.sessions.Put(ctx, sessionEpochKey, v.SessionEpoch)
	return nil
}

func (s *Server) loginForm(c *gin.Context) error {
	if s.sessions.GetInt64(c.Request.Context(), sessionVendorKey) != 0 {
		c.Redirect(http.StatusSeeOther, "/products")
		return nil
	}
	s.write(c.Writer, http.StatusOK, "login.html", authPage{Page: s.adminPage(c, "", "Sign in")})
	return nil
}

func (s *Server) login(c *gin.Context) error {
	email := strings.ToLower(strings.TrimSpace(c.PostForm("email")))
	password := c.PostForm("password")
	form := Form{Values: map[string]string{"email": email}, Errors: map[string]string{}}
	if retry, limited := s.overLimit(c.Request, "login", email); limited {
		form.Message = s.limitedMessage(retry)
		c.Header("Retry-After", retryAfterSeconds(retry))
		s.write(c.Writer, http.StatusTooManyRequests, "login.html", authPage{Page: s.adminPage(c, "", "Sign in"), Form: form})
		return nil
	}
	if len(email) > 254 || len(password) > 72 {
		form.Message = "Wrong email or password."
		s.write(c.Writer, http.StatusUnauthorized, "login.html", authPage{Page: s.adminPage(c, "", "Sign in"), Form: form})
		return nil
	}
	v, err := s.cfg.Vendors.Authenticate(c.Request.Context(), email, password)
	if app.ErrorCode(err) == app.EUNAUTHORIZED {
		s.log.InfoContext(c.Request.Context(), "login failed", "remote", c.Request.RemoteAddr, "client", s.clientIP(c.Request))
		form.Message = "Wrong email or password."
		s.write(c.Writer, http.StatusUnauthorized, "login.html", authPage{Page: s.adminPage(c, "", "Sign in"), Form: form})
		return nil
	} else if err != nil {
		return err
	}
	if err := s.logIn(c, v); err != nil {
		return err
	}
	s.loginSucceeded(c.Request, email)
	c.Redirect(http.StatusSeeOther, "/products")
	return nil
}

// logout destroys the session server-side, so the old cookie is dead even
// if someone kept a copy.
func (s *Server) logout(c *gin.Context) error {
	if err := s.sessions.Destroy(c.Request.Context()); err != nil {
		return err
	}
	c.Redirect(http.StatusSeeOther, "/login")
	return nil
}
