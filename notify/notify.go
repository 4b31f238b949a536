// Package notify turns what the vendor is owed into email: the messages'
// templates (rendered when a mail job is sent, so a job holds no copy of an
// order) and the Mailers that deliver them — SMTP in production, the log in
// development. It imports app only; storage writes the jobs, cmd/dukaan
// reads what a template needs and calls Render and Send.
package notify

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
)

// Message is one email, rendered.
type Message struct {
	To      string
	Subject string
	Text    string // the plain-text part, always present
	HTML    string // the HTML alternative; empty sends text only
	// MessageID is the Message-ID without its angle brackets; the job
	// fixes it when it is written, so every retry sends the same one.
	MessageID string
	// Headers are extra headers (name → value), e.g. X-Dukaan-Template.
	Headers map[string]string
}

// Mailer delivers messages. Send returns an error the caller may retry
// (the mail job does, with backoff); sending the same Message-ID twice
// must be harmless to the receiver.
type Mailer interface {
	Send(ctx context.Context, m Message) error
}

// LogMailer is the development Mailer when no SMTP server is configured:
// it writes the message's headers and its plain-text part to the log, so
// a developer can read (and follow the links of) every mail the app sends.
type LogMailer struct {
	Log *slog.Logger
}

// Send logs m and never fails.
func (l LogMailer) Send(ctx context.Context, m Message) error {
	if m.To == "" {
		return fmt.Errorf("notify: message %q has no recipient", m.MessageID)
	}
	attrs := []any{"to", m.To, "subject", m.Subject, "message_id", m.MessageID}
	for k, v := range m.Headers {
		attrs = append(attrs, "header."+strings.ToLower(k), v)
	}
	attrs = append(attrs, "text", m.Text)
	l.Log.InfoContext(ctx, "email not sent: SMTP is not set up (DUKAAN_SMTP_URL); the message follows", attrs...)
	return nil
}
