package notify

import (
	"context"
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
