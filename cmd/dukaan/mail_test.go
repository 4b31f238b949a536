package main

import (
	"strings"
	"testing"
	"time"

	"dukaan/app"
	"dukaan/internal/testsvc"
	"dukaan/storage/jobs"
)

// TestSendMail: the mail job's worker sends the account mails with their
// link, completes (nil: no retry) a job whose order, product or vendor is
// gone, and fails (retry) one it cannot render.
func TestSendMail(t *testing.T) {
	smtp := testsvc.SharedSMTP(t)
	a := startApp(t, "sqlite", mailEnv(smtp))
	ctx := t.Context()
	v := a.signup(t, "sendmail")
	vendor, err := a.main.DB.VendorBySlug(ctx, v.store)
	if err != nil {
		t.Fatal(err)
	}
	p, err := a.main.DB.CreateProduct(ctx, vendor.ID, app.ProductInput{Name: "Soap", MRP: 100, Price: 100, Stock: 5, Available: true})
	if err != nil {
		t.Fatal(err)
	}

	for _, tmpl := range []string{jobs.MailPasswordReset, jobs.MailEmailConfirm} {
		link := "http://" + adminHost + ":" + a.port + "/" + tmpl + "/tok3n?x=1&y=2"
		id := tmpl + ".1.test@dukaan"
		if err := a.main.sendMail(ctx, jobs.MailArgs{VendorID: vendor.ID, Template: tmpl, To: v.email, MessageID: id, Link: link}); err != nil {
			t.Fatalf("%s: %v", tmpl, err)
		}
		ms := smtp.WaitMails(t, v.email, 5*time.Second, func(ms []testsvc.Mail) bool {
			for _, m := range ms {
				if m.MessageID == id {
					return true
				}
			}
			return false
		})
		m := ms[len(ms)-1]
		if !strings.Contains(m.Text, link) || !strings.Contains(m.HTML, strings.ReplaceAll(link, "&", "&amp;")) || !strings.Contains(m.Text, "one hour") {
			t.Errorf("%s mail lacks its link or lifetime:\n%s", tmpl, m.Text)
		}
	}
	before := len(smtp.MailsTo(v.email))
	for name, args := range map[string]jobs.MailArgs{
		"order gone":             {VendorID: vendor.ID, Template: jobs.MailOrderCreated, OrderID: 999999},
		"product gone":           {VendorID: vendor.ID, Template: jobs.MailLowStock, ProductID: 999999},
		"vendor gone":            {VendorID: 999999, Template: jobs.MailOrderCreated, OrderID: 1},
		"another shop's product": {VendorID: vendor.ID + 1000, Template: jobs.MailLowStock, ProductID: p.ID},
	} {
		args.To, args.MessageID = v.email, "gone.1.x@dukaan"
		if err := a.main.sendMail(ctx, args); err != nil {
			t.Errorf("%s: %v, want nil (nothing to send: the job completes)", name, err)
		}
	}
	// Stock 5 is above the threshold (3): a restock before the alert went
	// makes it moot.
	if err := a.main.sendMail(ctx, jobs.MailArgs{VendorID: vendor.ID, Template: jobs.MailLowStock, ProductID: p.ID, To: v.email, MessageID: "l.1.x@dukaan"}); err != nil {
		t.Errorf("low stock no longer low: %v", err)
	}
	if err := a.main.sendMail(ctx, jobs.MailArgs{VendorID: vendor.ID, Template: "newsletter", To: v.email, MessageID: "n.1.x@dukaan"}); err == nil {
		t.Error("unknown template: nil, want an error (another replica may know it)")
	}
	if err := a.main.sendMail(ctx, jobs.MailArgs{VendorID: vendor.ID, Template: jobs.MailPasswordReset, To: v.email, MessageID: "r.1.x@dukaan"}); err == nil {
		t.Error("reset without a link: nil, want an error")
	}
	if got := len(smtp.MailsTo(v.email)); got != before {
		t.Errorf("%d mails sent for jobs with nothing to send", got-before)
	}
}
