package notify

import (
	"context"
	"crypto/tls"
	"strings"
	"testing"
	"time"

	"dukaan/internal/testsvc"
)

func TestSMTPSendsBothParts(t *testing.T) {
	srv := testsvc.StartSMTP(t)
	m, err := NewSMTP(SMTPConfig{URL: srv.URL(), From: "Dukaan <mail@dukaan.test>", Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	v, o := testOrder()
	msg, err := RenderOrderCreated(OrderCreated{Shop: v, Order: o, Console: "http://admin.localhost:8080"})
	if err != nil {
		t.Fatal(err)
	}
	msg.To, msg.MessageID = "owner@example.in", "order.42.abc@dukaan"
	if err := m.Send(context.Background(), msg); err != nil {
		t.Fatal(err)
	}
	got := srv.WaitMails(t, "owner@example.in", 5*time.Second, func(ms []testsvc.Mail) bool { return len(ms) == 1 })[0]
	if got.Subject != msg.Subject {
		t.Errorf("subject = %q, want %q", got.Subject, msg.Subject)
	}
	if got.MessageID != "order.42.abc@dukaan" {
		t.Errorf("message id = %q", got.MessageID)
	}
	if got.From != "mail@dukaan.test" || got.Header.Get("X-Dukaan-Template") != "order_created" {
		t.Errorf("from %q, template header %q", got.From, got.Header.Get("X-Dukaan-Template"))
	}
	if strings.TrimSpace(got.Text) != strings.TrimSpace(msg.Text) || !strings.Contains(got.HTML, "Asha &lt;script&gt;") {
		t.Errorf("parts differ:\ntext %q\nhtml %q", got.Text, got.HTML)
	}
	if ct := got.Header.Get("Content-Type"); !strings.HasPrefix(ct, "multipart/alternative") {
		t.Errorf("content-type = %q", ct)
	}
}

func TestSMTPOutage(t *testing.T) {
	srv := testsvc.StartSMTP(t)
	m, err := NewSMTP(SMTPConfig{URL: srv.URL(), From: "mail@dukaan.test", Timeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	msg := Message{To: "a@example.in", Subject: "hi", Text: "hello", MessageID: "x.1@dukaan"}
	srv.Stop()
	if err := m.Send(context.Background(), msg); err == nil {
		t.Fatal("server down: want an error")
	}
	srv.SetRefuse(true)
	srv.Start(t)
	if err := m.Send(context.Background(), msg); err == nil {
		t.Fatal("server answering 451: want an error")
	}
	srv.SetRefuse(false)
	if err := m.Send(context.Background(), msg); err != nil {
		t.Fatal(err)
	}
	if n := len(srv.MailsTo("a@example.in")); n != 1 {
		t.Errorf("%d mails, want 1", n)
	}
}

func TestNewSMTPRefusesBadConfig(t *testing.T) {
	if _, err := NewSMTP(SMTPConfig{URL: "smtp://h:25", From: "not an address"}); err == nil {
		t.Error("bad from accepted")
	}
	if _, err := NewSMTP(SMTPConfig{URL: "ftp://h", From: "a@b.in"}); err == nil {
		t.Error("bad scheme accepted")
	}
}

// TestSMTPTLSAndAuth: smtp:// upgrades with STARTTLS when the server
// offers it, smtps:// speaks TLS from the start, and the URL's user and
// password authenticate (a wrong password is an error, never a send).
func TestSMTPTLSAndAuth(t *testing.T) {
	for name, o := range map[string]testsvc.SMTPOptions{
		"starttls":      {STARTTLS: true},
		"starttls auth": {STARTTLS: true, User: "mailer", Password: "p@ss word"},
		"smtps auth":    {Implicit: true, User: "mailer", Password: "s3cret"},
	} {
		t.Run(name, func(t *testing.T) {
			srv := testsvc.StartSMTPWith(t, o)
			cfg := SMTPConfig{URL: srv.URL(), From: "mail@dukaan.test", Timeout: 5 * time.Second}
			if srv.CAs() != nil {
				cfg.TLS = &tls.Config{RootCAs: srv.CAs()}
			}
			m, err := NewSMTP(cfg)
			if err != nil {
				t.Fatal(err)
			}
			msg := Message{To: "a@example.in", Subject: "hi", Text: "hello", MessageID: "x.1@dukaan"}
			if err := m.Send(t.Context(), msg); err != nil {
				t.Fatal(err)
			}
			got := srv.MailsTo("a@example.in")
			if len(got) != 1 {
				t.Fatalf("%d mails", len(got))
			}
			if wantTLS := o.STARTTLS || o.Implicit; got[0].TLS != wantTLS || got[0].AuthUser != o.User {
				t.Errorf("TLS %v auth %q, want TLS %v auth %q", got[0].TLS, got[0].AuthUser, wantTLS, o.User)
			}
			if o.User == "" {
				return
			}
			cfg.URL = strings.Replace(srv.URL(), o.User+":", o.User+"x:", 1)
			bad, err := NewSMTP(cfg)
			if err != nil {
				t.Fatal(err)
			}
			if err := bad.Send(t.Context(), msg); err == nil {
				t.Error("wrong user: sent")
			}
			if len(srv.MailsTo("a@example.in")) != 1 {
				t.Error("a refused login delivered a mail")
			}
		})
	}
}

// TestSMTPNoPasswordInClear: a server that offers AUTH but no TLS gets no
// password (go-mail's mechanism discovery refuses to send one in clear).
func TestSMTPNoPasswordInClear(t *testing.T) {
	srv := testsvc.StartSMTPWith(t, testsvc.SMTPOptions{User: "mailer", Password: "s3cret"})
	m, err := NewSMTP(SMTPConfig{URL: srv.URL(), From: "mail@dukaan.test", Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Send(t.Context(), Message{To: "a@example.in", Subject: "hi", Text: "x", MessageID: "x.2@dukaan"}); err == nil {
		t.Fatal("sent a password over plain SMTP")
	}
	if n := len(srv.Mails()); n != 0 {
		t.Errorf("%d mails delivered", n)
	}
}
