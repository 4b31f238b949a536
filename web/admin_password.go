package web

import (
	"errors"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"dukaan/app"
)

// forgotPage asks for a reset link; Sent is the answer to every accepted
// request, whether or not the address has an account.
type forgotPage struct {
	Page
	Form Form
	Sent bool
}

// resetPage sets a new password with a mailed link (Token), or says why
// the link cannot be used (Heading, Problem).
type resetPage struct {
	Page
	Form             Form
	Token            string
	Heading, Problem string
}

// linkURL is the absolute console URL a mailed link starts with.
func (s *Server) linkURL(path string) string { return s.url(s.cfg.Resolver.AdminHost(), path) }

// tokenProblem turns a link's error into the page's status, heading and
// message; ok is false for an error that is not about the link.
func tokenProblem(err error) (status int, heading, msg string, ok bool) {
	switch {
	case errors.Is(err, app.ErrTokenUsed):
		return http.StatusGone, "Link already used", app.ErrTokenUsed.Message, true
	case errors.Is(err, app.ErrTokenExpired):
		return http.StatusGone, "Link expired", app.ErrTokenExpired.Message, true
	case errors.Is(err, app.ErrTokenUnknown):
		return http.StatusNotFound, "Link not valid", app.ErrTokenUnknown.Message, true
	}
	return 0, "", "", false
}

func (s *Server) forgotForm(c *gin.Context) error {
	s.write(c.Writer, http.StatusOK, "password_forgot.html", forgotPage{Page: s.adminPage(c, "", "Forgot your password?")})
	return nil
}

// forgot answers every well-formed request with the same page, so nobody
// learns from it which addresses have accounts; the link is mailed only
// when one does (RequestPasswordReset writes nothing otherwise).
func (s *Server) forgot(c *gin.Context) error {
	email := strings.ToLower(strings.TrimSpace(c.PostForm("email")))
	form := Form{Values: map[string]string{"email": email}, Errors: map[string]string{}}
	page := forgotPage{Page: s.adminPage(c, "", "Forgot your password?"), Form: form}
	if retry, limited := s.overLimit(c.Request, "reset", email); limited {
		page.Form.Message = s.limitedMessage(retry)
		c.Header("Retry-After", retryAfterSeconds(retry))
		s.write(c.Writer, http.StatusTooManyRequests, "password_forgot.html", page)
		return nil
	}
	if msg := validateEmail(email); msg != "" {
		page.Form.Errors["email"] = msg
		page.Form.Message = "Please fix the highlighted field."
		s.write(c.Writer, http.StatusUnprocessableEntity, "password_forgot.html", page)
		return nil
	}
	if err := s.cfg.Accounts.RequestPasswordReset(c.Request.Context(), email, s.linkURL("/password/reset/")); err != nil {
		return err
	}
	page.Sent = true
	s.write(c.Writer, http.StatusOK, "password_forgot.html", page)
	return nil
}

func (s *Server) resetForm(c *gin.Context) error {
	token := c.Param("token")
	page := resetPage{Page: s.adminPage(c, "", "Set a new password"), Token: token}
	if _, err := s.cfg.Accounts.CheckToken(c.Request.Context(), app.TokenReset, token); err != nil {
		return s.resetProblem(c, page, err)
	}
	s.write(c.Writer, http.StatusOK, "password_reset.html", page)
	return nil
}

func (s *Server) resetProblem(c *gin.Context, page resetPage, err error) error {
	status, heading, msg, ok := tokenProblem(err)
	if !ok {
		return err
	}
	page.Heading, page.Problem, page.Title = heading, msg, heading
	s.write(c.Writer, status, "password_reset.html", page)
	return nil
}

// reset sets the new password, which deletes every session of the vendor
// (this browser's too), then signs this browser in with a fresh session.
func (s *Server) reset(c *gin.Context) error {
	token := c.Param("token")
	page := resetPage{Page: s.adminPage(c, "", "Set a new password"), Token: token,
		Form: Form{Values: map[string]string{}, Errors: map[string]string{}}}
	v, err := s.cfg.Accounts.ResetPassword(c.Request.Context(), token, c.PostForm("password"))
	if app.ErrorCode(err) == app.EINVALID && len(app.ErrorFields(err)) > 0 {
		page.Form.Errors = app.ErrorFields(err)
		page.Form.Message = "Please choose another password."
		s.write(c.Writer, http.StatusUnprocessableEntity, "password_reset.html", page)
		return nil
	} else if err != nil {
		return s.resetProblem(c, page, err)
	}
	if err := s.logIn(c, v); err != nil {
		return err
	}
	s.flash(c, "Your password is changed. Every other device is signed out.")
	c.Redirect(http.StatusSeeOther, "/products")
	return nil
}
