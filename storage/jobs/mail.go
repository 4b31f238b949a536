package jobs

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/riverqueue/river"
)

// KindMail is MailArgs' job kind.
const KindMail = "mail"

// Mail templates: what a mail job sends. The worker (cmd/dukaan's SendMail)
// reads what it needs by the ids and renders the message when it sends, so
// a job holds no copy of an order or a customer's address.
const (
	MailOrderCreated  = "order_created"  // OrderID: a new order, to the vendor
	MailLowStock      = "low_stock"      // ProductID: stock reached the threshold
	MailPasswordReset = "password_reset" // Link: the one-time reset link
	MailEmailConfirm  = "email_confirm"  // Link: confirms a new login email
)

// MailArgs is one email owed. MessageID is fixed when the job is written, so
// every retry sends the same Message-ID and a receiving server (or the
// vendor's mail client) can tell a repeat from a new message.
type MailArgs struct {
	VendorID  int64  `json:"vendor_id"`
	Template  string `json:"template"`
	To        string `json:"to"`
	MessageID string `json:"message_id"`
	OrderID   int64  `json:"order_id,omitempty"`
	ProductID int64  `json:"product_id,omitempty"`
	// Link is a one-time link the mail carries (reset, email change). It is
	// the only secret a job holds: completed jobs are deleted after
	// CompletedRetention (an hour), the links' own lifetime.
	Link string `json:"link,omitempty"`
}

// Kind is the River job kind.
func (MailArgs) Kind() string { return KindMail }

// mailRetryFor is how long an email is retried (an SMTP server away for a
// day is an outage an operator sees in dukaan_jobs); mailMaxAttempts with
// mailBackoff spans about that.
const (
	mailRetryFor    = 24 * time.Hour
	mailMaxAttempts = 160
)

// InsertOpts: no uniqueness (every mail is its own), retried for a day.
func (MailArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{MaxAttempts: mailMaxAttempts}
}

// mailBackoff is the wait before attempt n+1: 2 s doubling, at most 10 min,
// so a server back after a short outage gets the mail within seconds and a
// long outage costs one try every ten minutes.
func mailBackoff(attempt int) time.Duration {
	d := 2 * time.Second
	for i := 1; i < attempt && d < 10*time.Minute; i++ {
		d *= 2
	}
	return min(d, 10*time.Minute)
}

// InsertMailTx owes an email in tx: committed with it or not at all.
func (in *Inserter) InsertMailTx(ctx context.Context, tx *sql.Tx, a MailArgs) error {
	if a.To == "" || a.Template == "" || a.MessageID == "" {
		return fmt.Errorf("jobs: mail needs to, template and message id (got %q, %q, %q)", a.To, a.Template, a.MessageID)
	}
	if _, err := in.client.InsertTx(ctx, tx, a, nil); err != nil {
		return fmt.Errorf("jobs: insert mail: %w", err)
	}
	return nil
}

// SendMail renders and sends one mail job; an error retries it. It must be
// safe to call again for a mail already sent (the Message-ID stays the same).
type SendMail func(ctx context.Context, a MailArgs) error

type mailWorker struct {
	river.WorkerDefaults[MailArgs]
	send SendMail
}

func (w *mailWorker) Work(ctx context.Context, job *river.Job[MailArgs]) error {
	if time.Since(job.CreatedAt) > mailRetryFor && job.Attempt > 1 {
		// A day of retries is over: give up now (discarded, seen in the
		// queue's metrics) rather than mail a day-old order late.
		if err := w.send(ctx, job.Args); err != nil {
			return river.JobCancel(fmt.Errorf("mail retried for %v: %w", mailRetryFor, err))
		}
		return nil
	}
	return w.send(ctx, job.Args)
}

// Timeout is finite: River never rescues a job without one.
func (w *mailWorker) Timeout(*river.Job[MailArgs]) time.Duration { return time.Minute }

func (w *mailWorker) NextRetry(job *river.Job[MailArgs]) time.Time {
	return time.Now().Add(mailBackoff(job.Attempt))
}
