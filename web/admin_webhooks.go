package web

import (
	"context"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"dukaan/app"
)

// The console's webhooks: GET /webhooks (endpoint form, secret, the last
// 50 deliveries), POST /webhooks (URL and events), POST /webhooks/secret
// (generate or rotate; the new secret is shown once), POST /webhooks/test
// (a ping), POST /webhooks/deliveries/{id}/resend (a failed delivery again,
// same delivery id).

// webhookListSize is how many deliveries the page shows.
const webhookListSize = 50

// sessionWebhookSecret carries a new secret from the POST that made it to
// the one page that shows it (the session is kept server-side).
const sessionWebhookSecret = "webhook_secret"

// CheckWebhookURL is the save-time address check of an endpoint (the
// webhook client's CheckURL): an EINVALID error with a "url" field.
type CheckWebhookURL func(ctx context.Context, rawURL string) error

type webhooksPage struct {
	Page
	Endpoint   *app.WebhookEndpoint
	Form       Form
	Events     []webhookEventChoice
	NewSecret  string // shown once, right after it was generated
	Deliveries []*app.WebhookDelivery
}

type webhookEventChoice struct {
	Kind    app.NoticeKind
	Label   string
	Checked bool
}

// webhookEventLabels are the console's words for each event.
var webhookEventLabels = map[app.NoticeKind]string{
	app.NoticeOrderCreated:        "A new order",
	app.NoticeOrderStatusChanged:  "An order's status changes",
	app.NoticeOrderPaymentChanged: "An order is marked paid or unpaid",
	app.NoticeProductUpdated:      "A product is edited, shown or hidden",
	app.NoticeProductLowStock:     "A product runs low on stock",
}

func eventField(k app.NoticeKind) string { return "event:" + string(k) }

func (s *Server) webhooksPage(c *gin.Context, form Form) (webhooksPage, error) {
	ctx := c.Request.Context()
	v := currentVendor(c)
	ep, err := s.cfg.Webhooks.WebhookEndpoint(ctx, v.ID)
	if err != nil {
		return webhooksPage{}, err
	}
	ds, err := s.cfg.Webhooks.WebhookDeliveries(ctx, v.ID, webhookListSize)
	if err != nil {
		return webhooksPage{}, err
	}
	if form.Values == nil {
		form.Values = map[string]string{"url": ep.URL}
		for _, k := range ep.Events {
			form.Values[eventField(k)] = "on"
		}
		if ep.URL == "" {
			// A new endpoint starts with the order events ticked.
			form.Values[eventField(app.NoticeOrderCreated)] = "on"
			form.Values[eventField(app.NoticeOrderStatusChanged)] = "on"
		}
	}
	p := webhooksPage{Page: s.adminPage(c, "webhooks", "Webhooks"), Endpoint: ep, Form: form, Deliveries: ds}
	for _, k := range app.NoticeKinds {
		p.Events = append(p.Events, webhookEventChoice{Kind: k, Label: webhookEventLabels[k], Checked: form.Values[eventField(k)] == "on"})
	}
	p.NewSecret = s.sessions.PopString(ctx, sessionWebhookSecret)
	return p, nil
}

func (s *Server) writeWebhooks(c *gin.Context, status int, form Form) error {
	if form.HasErrors() && form.Message == "" {
		form.Message = "Please fix the highlighted fields."
	}
	p, err := s.webhooksPage(c, form)
	if err != nil {
		return err
	}
	s.write(c.Writer, status, "webhooks.html", p)
	return nil
}

func (s *Server) webhooksForm(c *gin.Context) error {
	return s.writeWebhooks(c, http.StatusOK, Form{})
}

func (s *Server) saveWebhook(c *gin.Context) error {
	ctx := c.Request.Context()
	form := Form{Values: map[string]string{"url": c.PostForm("url")}, Errors: map[string]string{}}
	in := app.WebhookInput{URL: form.Values["url"]}
	for _, e := range c.PostFormArray("events") {
		in.Events = append(in.Events, app.NoticeKind(e))
		form.Values[eventField(app.NoticeKind(e))] = "on"
	}
	for k, msg := range in.Validate() {
		form.Errors[k] = msg
	}
	if form.Errors["url"] == "" && s.cfg.CheckWebhookURL != nil {
		if err := s.cfg.CheckWebhookURL(ctx, in.URL); err != nil {
			if app.ErrorCode(err) != app.EINVALID {
				return err
			}
			form.Errors["url"] = app.ErrorFields(err)["url"]
			if form.Errors["url"] == "" {
				form.Errors["url"] = app.ErrorMessage(err)
			}
		}
	}
	if len(form.Errors) > 0 {
		return s.writeWebhooks(c, http.StatusUnprocessableEntity, form)
	}
	_, secret, err := s.cfg.Webhooks.SaveWebhook(ctx, currentVendor(c).ID, in)
	if err != nil {
		if app.ErrorCode(err) == app.EINVALID {
			for k, v := range app.ErrorFields(err) {
				form.Errors[k] = v
			}
			form.Message = app.ErrorMessage(err)
			return s.writeWebhooks(c, statusOf(err), form)
		}
		return err
	}
	msg := "Saved your webhook endpoint."
	if secret != "" {
		s.sessions.Put(ctx, sessionWebhookSecret, secret)
		msg += " Copy the signing secret below: it is shown only this once."
	}
	s.flash(c, msg)
	c.Redirect(http.StatusSeeOther, "/webhooks")
	return nil
}

// webhookActionError answers an action the vendor cannot take now (no
// endpoint yet) with the page and a reason, and passes other errors up.
func (s *Server) webhookActionError(c *gin.Context, err error) error {
	if app.ErrorCode(err) != app.EINVALID {
		return err
	}
	return s.writeWebhooks(c, http.StatusUnprocessableEntity, Form{Message: app.ErrorMessage(err)})
}

func (s *Server) rotateWebhookSecret(c *gin.Context) error {
	secret, err := s.cfg.Webhooks.RotateWebhookSecret(c.Request.Context(), currentVendor(c).ID)
	if err != nil {
		return s.webhookActionError(c, err)
	}
	s.sessions.Put(c.Request.Context(), sessionWebhookSecret, secret)
	s.flash(c, "Made a new signing secret. Events from now on are signed with it; copy it below, it is shown only this once.")
	c.Redirect(http.StatusSeeOther, "/webhooks")
	return nil
}

func (s *Server) sendWebhookTest(c *gin.Context) error {
	if _, err := s.cfg.Webhooks.SendWebhookTest(c.Request.Context(), currentVendor(c).ID); err != nil {
		return s.webhookActionError(c, err)
	}
	s.flash(c, "Sent a test event. It shows below within a few seconds.")
	c.Redirect(http.StatusSeeOther, "/webhooks")
	return nil
}

func (s *Server) resendWebhook(c *gin.Context) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	d, err := s.cfg.Webhooks.ResendWebhook(c.Request.Context(), currentVendor(c).ID, id)
	if err != nil {
		return err // ENOTFOUND (another shop's too) is 404, ECONFLICT 409
	}
	s.flash(c, "Sending the "+d.Event+" event again, with the same delivery id.")
	c.Redirect(http.StatusSeeOther, "/webhooks")
	return nil
}

// durationText is a delivery's time as the list shows it.
func durationText(d time.Duration) string {
	if d < time.Millisecond {
		return "<1ms"
	}
	if d < time.Second {
		return d.Round(time.Millisecond).String()
	}
	return d.Round(10 * time.Millisecond).String()
}
