package main

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"dukaan/storage"
	"dukaan/storage/jobs"
)

// mailbox is what the app mailed. Until the SMTP test server is wired in,
// it reads the mail jobs in the queue.
type mailbox struct {
	a    *testApp
	seen map[string]bool // message ids already returned
}

type mailMsg struct {
	to, template, link string
}

// startAppMail is startApp with a mailbox.
func startAppMail(tb testing.TB, dialect string, env map[string]string) (*testApp, *mailbox) {
	tb.Helper()
	a := startApp(tb, dialect, env)
	return a, &mailbox{a: a, seen: map[string]bool{}}
}

func (m *mailbox) all(tb testing.TB) []jobs.MailArgs {
	tb.Helper()
	args := "args::text"
	if m.a.main.DB.Dialect() == storage.DialectSQLite {
		args = "json(args)"
	}
	rows, err := m.a.main.DB.Bun().QueryContext(context.Background(), "SELECT "+args+" FROM river_job WHERE kind = 'mail' ORDER BY id")
	if err != nil {
		tb.Fatal(err)
	}
	defer rows.Close()
	var out []jobs.MailArgs
	for rows.Next() {
		var b []byte
		if err := rows.Scan(&b); err != nil {
			tb.Fatal(err)
		}
		var a jobs.MailArgs
		if err := json.Unmarshal(b, &a); err != nil {
			tb.Fatal(err)
		}
		out = append(out, a)
	}
	return out
}

// wait returns the next message of template to to not returned before.
func (m *mailbox) wait(tb testing.TB, to, template string) mailMsg {
	tb.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		for _, a := range m.all(tb) {
			if a.To == to && a.Template == template && !m.seen[a.MessageID] {
				m.seen[a.MessageID] = true
				return mailMsg{to: a.To, template: a.Template, link: a.Link}
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	tb.Fatalf("no %s mail to %s", template, to)
	return mailMsg{}
}

// none checks that nothing was mailed to to.
func (m *mailbox) none(tb testing.TB, to string) {
	tb.Helper()
	for _, a := range m.all(tb) {
		if a.To == to {
			tb.Errorf("mailed %s to %s", a.Template, to)
		}
	}
}
