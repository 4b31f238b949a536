package main

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"dukaan/internal/testsvc"
)

// mailbox is what the app mailed, as the real SMTP test server received it.
type mailbox struct {
	smtp *testsvc.SMTPServer
	seen map[string]bool // Message-IDs already returned by wait
}

type mailMsg struct {
	to, subject, link string
}

// startAppMail is startApp sending its mail to an SMTP server of the
// test's own.
func startAppMail(tb testing.TB, dialect string, env map[string]string) (*testApp, *mailbox) {
	tb.Helper()
	s := testsvc.StartSMTP(tb)
	e := map[string]string{"DUKAAN_SMTP_URL": s.URL(), "DUKAAN_MAIL_FROM": "Dukaan <mail@dukaan.test>"}
	for k, v := range env {
		e[k] = v
	}
	return startApp(tb, dialect, e), &mailbox{smtp: s, seen: map[string]bool{}}
}

// mailLink is a console link in a mail's text part.
var mailLink = regexp.MustCompile(`https?://` + regexp.QuoteMeta(adminHost) + `(:\d+)?/\S+`)

// wait returns the next mail to to whose subject has subject in it, with
// the console link its text carries.
func (m *mailbox) wait(tb testing.TB, to, subject string) mailMsg {
	tb.Helper()
	var got testsvc.Mail
	m.smtp.WaitMails(tb, to, 20*time.Second, func(ms []testsvc.Mail) bool {
		for _, x := range ms {
			if !m.seen[x.MessageID] && strings.Contains(x.Subject, subject) {
				got = x
				return true
			}
		}
		return false
	})
	m.seen[got.MessageID] = true
	link := mailLink.FindString(got.Text)
	if link == "" {
		tb.Fatalf("mail %q to %s has no console link:\n%s", got.Subject, to, got.Text)
	}
	if !strings.Contains(got.HTML, link) {
		tb.Errorf("the HTML part of %q does not carry the link %s", got.Subject, link)
	}
	return mailMsg{to: to, subject: got.Subject, link: link}
}

// none checks that nothing was mailed to to; call it after a wait for a
// mail sent later than the one that must not exist (jobs run in order of
// insertion, one worker being enough to tell).
func (m *mailbox) none(tb testing.TB, to string) {
	tb.Helper()
	if ms := m.smtp.MailsTo(to); len(ms) > 0 {
		tb.Errorf("mailed %q to %s", ms[0].Subject, to)
	}
}
