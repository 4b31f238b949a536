package web

import (
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"dukaan/app"
)

// accountPage is the console's account settings: one form per change.
type accountPage struct {
	Page
	Password Form
	Email    Form
}

// emailConfirmPage confirms a new login email from its mailed link.
type emailConfirmPage struct {
	Page
	Token, NewEmail  string
	Done             bool
	Heading, Problem string
}

// passwordGuessLimited counts a form that checks the current password as a
// sign-in attempt of the vendor's account (DUKAAN_LOGIN_LIMIT_*): a stolen
// session must not be a way to guess the password faster than the sign-in
// page allows. Over the limit it sets the form's message and Retry-After.
func (s *Server) passwordGuessLimited(c *gin.Context, v *app.Vendor, form *Form) bool {
	retry, limited := s.overLimit(c.Request, "login", v.Email)
	if limited {
		form.Message = s.limitedMessage(retry)
		c.Header("Retry-After", retryAfterSeconds(retry))
	}
	return limited
}

func (s *Server) accountForm(c *gin.Context) error {
	s.write(c.Writer, http.StatusOK, "account.html", accountPage{Page: s.adminPage(c, "account", "Account")})
	return nil
}

func (s *Server) writeAccount(c *gin.Context, status int, p accountPage) error {
	p.Page = s.adminPage(c, "account", "Account")
	s.write(c.Writer, status, "account.html", p)
	return nil
}

// changePassword sets a new password. Storage deletes every session of the
// vendor; this browser is signed in again with a fresh session, so it
// stays signed in while every other device is signed out.
func (s *Server) changePassword(c *gin.Context) error {
	v := currentVendor(c)
	form := Form{Values: map[string]string{}, Errors: map[string]string{}}
	if s.passwordGuessLimited(c, v, &form) {
		return s.writeAccount(c, http.StatusTooManyRequests, accountPage{Password: form})
	}
	v, err := s.cfg.Accounts.ChangePassword(c.Request.Context(), v.ID, c.PostForm("current_password"), c.PostForm("new_password"))
	if fields := app.ErrorFields(err); app.ErrorCode(err) == app.EINVALID && len(fields) > 0 {
		form.Errors = fields
		form.Message = "Your password was not changed."
		return s.writeAccount(c, http.StatusUnprocessableEntity, accountPage{Password: form})
	} else if err != nil {
		return err
	}
	if err := s.logIn(c, v); err != nil {
		return err
	}
	s.flash(c, "Password changed. Every other device is signed out.")
	c.Redirect(http.StatusSeeOther, "/account")
	return nil
}

// changeEmail mails a confirmation link to the new address; the login
// email changes only when that link is followed.
func (s *Server) changeEmail(c *gin.Context) error {
	v := currentVendor(c)
	email := strings.ToLower(strings.TrimSpace(c.PostForm("email")))
	form := Form{Values: map[string]string{"email": email}, Errors: map[string]string{}}
	rerender := func() error {
		form.Message = "Your login email was not changed."
		return s.writeAccount(c, http.StatusUnprocessableEntity, accountPage{Email: form})
	}
	if msg := validateEmail(email); msg != "" {
		form.Errors["email"] = msg
		return rerender()
	}
	if s.passwordGuessLimited(c, v, &form) {
		return s.writeAccount(c, http.StatusTooManyRequests, accountPage{Email: form})
	}
	err := s.cfg.Accounts.RequestEmailChange(c.Request.Context(), v.ID, c.PostForm("password"), email, s.linkURL("/account/email/confirm/"))
	if fields := app.ErrorFields(err); len(fields) > 0 && (app.ErrorCode(err) == app.EINVALID || app.ErrorCode(err) == app.ECONFLICT) {
		for k, msg := range fields {
			if k == "current_password" {
				k = "password" // the email form's own password field
			}
			form.Errors[k] = msg
		}
		return rerender()
	} else if err != nil {
		return err
	}
	s.flash(c, "We sent a link to "+email+". Your login email changes when you open it (within an hour).")
	c.Redirect(http.StatusSeeOther, "/account")
	return nil
}

func (s *Server) emailConfirmForm(c *gin.Context) error {
	token := c.Param("token")
	page := emailConfirmPage{Page: s.adminPage(c, "", "Confirm your new login email"), Token: token}
	email, err := s.cfg.Accounts.CheckToken(c.Request.Context(), app.TokenEmail, token)
	if err != nil {
		return s.emailProblem(c, page, err)
	}
	page.NewEmail = email
	s.write(c.Writer, http.StatusOK, "email_confirm.html", page)
	return nil
}

func (s *Server) emailProblem(c *gin.Context, page emailConfirmPage, err error) error {
	status, heading, msg, ok := tokenProblem(err)
	if !ok && app.ErrorCode(err) == app.ECONFLICT {
		status, heading, msg, ok = http.StatusConflict, "Email taken", "Another account uses that address now, so your login email stays as it was.", true
	}
	if !ok {
		return err
	}
	page.Heading, page.Problem, page.Title = heading, msg, heading
	s.write(c.Writer, status, "email_confirm.html", page)
	return nil
}

func (s *Server) emailConfirm(c *gin.Context) error {
	token := c.Param("token")
	page := emailConfirmPage{Page: s.adminPage(c, "", "Login email changed"), Token: token}
	v, err := s.cfg.Accounts.ConfirmEmailChange(c.Request.Context(), token)
	if err != nil {
		return s.emailProblem(c, page, err)
	}
	page.Done, page.NewEmail = true, v.Email
	s.write(c.Writer, http.StatusOK, "email_confirm.html", page)
	return nil
}
