package main

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"dukaan/app"
	"dukaan/notify"
	"dukaan/storage/jobs"
)

// openMailer picks how mail jobs are delivered: the SMTP server when one
// is configured, else the log (development), or nowhere (DUKAAN_MAIL=off).
func (m *Main) openMailer() error {
	switch {
	case m.Config.MailOff():
		m.Mailer = offMailer{log: m.Logger}
	case m.Config.SMTPURL != "":
		s, err := notify.NewSMTP(notify.SMTPConfig{URL: m.Config.SMTPURL, From: m.Config.MailFrom})
		if err != nil {
			return err
		}
		m.Mailer = s
	default:
		m.Mailer = notify.LogMailer{Log: m.Logger}
		m.Logger.Info("email is not set up (DUKAAN_SMTP_URL, DUKAAN_MAIL_FROM): mail is written to the log")
	}
	m.consoleReady = make(chan struct{})
	return nil
}

// offMailer is DUKAAN_MAIL=off: nothing is sent, and the log says what
// was not (without the message, which may carry a one-time link).
type offMailer struct{ log *slog.Logger }

func (o offMailer) Send(ctx context.Context, msg notify.Message) error {
	o.log.InfoContext(ctx, "email off (DUKAAN_MAIL=off): not sent", "to", msg.To,
		"template", msg.Headers["X-Dukaan-Template"], "message_id", msg.MessageID)
	return nil
}

// consoleBase is the console's public URL, known once the listener is
// open (the port goes into links); a mail job picked up before then
// waits for it rather than failing its attempt.
func (m *Main) consoleBase(ctx context.Context) (notify.ConsoleBase, error) {
	select {
	case <-m.consoleReady:
		return m.console, nil
	case <-ctx.Done():
		return "", ctx.Err()
	case <-time.After(30 * time.Second):
		return "", fmt.Errorf("mail: the console's URL is not known yet")
	}
}

// sendMail is the mail job's worker (jobs.Config.SendMail): it reads what
// the template needs, scoped by the job's vendor, renders the message now
// (a job holds ids, not a copy of an order) and sends it. Something that
// no longer exists completes the job with a log line: retrying cannot
// bring it back. Any other error retries it (jobs/mail.go's backoff).
func (m *Main) sendMail(ctx context.Context, a jobs.MailArgs) error {
	msg, err := m.renderMail(ctx, a)
	if app.ErrorCode(err) == app.ENOTFOUND {
		m.Logger.InfoContext(ctx, "mail: nothing to send", "template", a.Template, "vendor", a.VendorID,
			"order", a.OrderID, "product", a.ProductID, "message_id", a.MessageID, "reason", err)
		return nil
	}
	if err != nil {
		return err
	}
	if msg == nil {
		return nil
	}
	msg.To, msg.MessageID = a.To, a.MessageID
	return m.Mailer.Send(ctx, *msg)
}

// renderMail builds the job's message; nil (no error) means the vendor
// no longer wants it.
func (m *Main) renderMail(ctx context.Context, a jobs.MailArgs) (*notify.Message, error) {
	var shop *app.Vendor
	if a.VendorID != 0 {
		v, err := m.DB.VendorByID(ctx, a.VendorID)
		if err != nil {
			return nil, err
		}
		shop = v
	}
	var (
		msg notify.Message
		err error
	)
	switch a.Template {
	case jobs.MailOrderCreated, jobs.MailLowStock:
		if shop == nil {
			return nil, app.Errorf(app.ENOTFOUND, "the mail names no shop")
		}
		base, err := m.consoleBase(ctx)
		if err != nil {
			return nil, err
		}
		if a.Template == jobs.MailOrderCreated {
			if !shop.OrderEmails {
				// Switched off after the order was placed.
				m.Logger.InfoContext(ctx, "mail: order emails are off", "vendor", a.VendorID, "order", a.OrderID)
				return nil, nil
			}
			o, err := m.DB.Order(ctx, a.VendorID, a.OrderID)
			if err != nil {
				return nil, err
			}
			msg, err = notify.RenderOrderCreated(notify.OrderCreated{Shop: shop, Order: o, Console: base})
			if err != nil {
				return nil, err
			}
			return &msg, nil
		}
		p, err := m.DB.Product(ctx, a.VendorID, a.ProductID)
		if err != nil {
			return nil, err
		}
		if !p.LowStock() {
			// Restocked (or the alert switched off) before the mail
			// went, e.g. after an SMTP outage: the alert is moot.
			m.Logger.InfoContext(ctx, "mail: stock no longer low", "vendor", a.VendorID, "product", a.ProductID, "stock", p.Stock)
			return nil, nil
		}
		msg, err = notify.RenderLowStock(notify.LowStock{Shop: shop, Product: p, Console: base})
		if err != nil {
			return nil, err
		}
		return &msg, nil
	case jobs.MailPasswordReset:
		msg, err = notify.RenderPasswordReset(notify.AccountLink{Shop: shop, Link: a.Link})
	case jobs.MailEmailConfirm:
		msg, err = notify.RenderEmailConfirm(notify.AccountLink{Shop: shop, Link: a.Link})
	default:
		// A template this binary does not know (a newer replica wrote
		// it): fail, so a replica that knows it takes a retry.
		return nil, fmt.Errorf("mail: unknown template %q", a.Template)
	}
	if err != nil {
		return nil, err
	}
	return &msg, nil
}
