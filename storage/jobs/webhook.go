package jobs

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/riverqueue/river"
)

// KindWebhook is WebhookArgs' job kind.
const KindWebhook = "webhook"

// WebhookArgs is one webhook delivery owed. The body, the delivery id (the
// X-Dukaan-Delivery header) and the attempts are on the delivery's row
// (storage's webhook_deliveries), DeliveryID is that row's id; the job
// holds no copy of the order and no secret.
type WebhookArgs struct {
	VendorID   int64  `json:"vendor_id"`
	DeliveryID int64  `json:"delivery_id"`
	Event      string `json:"event"` // for reading the queue; the row has it too
}

// Kind is the River job kind.
func (WebhookArgs) Kind() string { return KindWebhook }

// webhookRetryFor is how long a delivery is retried before it is marked
// failed (the day); webhookMaxAttempts bounds it in attempts too:
// 10 s doubling reaches the 30 min cap at the 9th retry, and 24 h of
// 30-minute waits is 48 more.
const (
	webhookRetryFor    = 24 * time.Hour
	webhookMaxAttempts = 60
	webhookMaxBackoff  = 30 * time.Minute
	// WebhookBackoff is the first retry's wait (Config.WebhookBackoff).
	WebhookBackoff = 10 * time.Second
	// webhookTimeout bounds one attempt: the HTTP client's own 10 s, plus
	// reading the delivery and writing its result. It stays under the
	// runner's RescueAfter (15 s in production), so a slow endpoint never
	// gets a job rescued and sent twice at once.
	webhookTimeout = 14 * time.Second
)

// InsertOpts: no uniqueness (a re-send is a second job for the same
// delivery row; the row's id, not River, says what is owed).
func (WebhookArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{MaxAttempts: webhookMaxAttempts}
}

// webhookBackoff is the wait before attempt n+1: base doubling, at most
// 30 min. An endpoint back after a blip gets the event within seconds, and a
// day-long outage costs it one request per half hour.
func webhookBackoff(base time.Duration, attempt int) time.Duration {
	d := base
	for i := 1; i < attempt && d < webhookMaxBackoff; i++ {
		d *= 2
	}
	return min(d, webhookMaxBackoff)
}

// InsertWebhookTx owes a delivery in tx: committed with it or not at all.
func (in *Inserter) InsertWebhookTx(ctx context.Context, tx *sql.Tx, a WebhookArgs) error {
	if a.VendorID <= 0 || a.DeliveryID <= 0 {
		return fmt.Errorf("jobs: webhook needs a vendor and a delivery (got %d, %d)", a.VendorID, a.DeliveryID)
	}
	if _, err := in.client.InsertTx(ctx, tx, a, nil); err != nil {
		return fmt.Errorf("jobs: insert webhook: %w", err)
	}
	return nil
}

// DeliverWebhook makes one attempt at a delivery and records it on the
// delivery's row (status code, duration, error; delivered, or failed when
// final is set and the attempt failed). An error retries the job; an error
// wrapped by WebhookGiveUp ends it (the delivery or the endpoint is gone).
// final is set on the last attempt River will make.
type DeliverWebhook func(ctx context.Context, a WebhookArgs, final bool) error

// WebhookGiveUp marks err as permanent: the job is cancelled, not retried.
func WebhookGiveUp(err error) error { return &giveUp{err} }

type giveUp struct{ err error }

func (g *giveUp) Error() string { return g.err.Error() }
func (g *giveUp) Unwrap() error { return g.err }

type webhookWorker struct {
	river.WorkerDefaults[WebhookArgs]
	deliver DeliverWebhook
	base    time.Duration
}

func (w *webhookWorker) Work(ctx context.Context, job *river.Job[WebhookArgs]) error {
	// final: River will not try again after this attempt, by count or
	// because the next wait would end past the day.
	next := webhookBackoff(w.base, job.Attempt)
	final := job.Attempt >= job.MaxAttempts || time.Since(job.CreatedAt)+next > webhookRetryFor
	err := w.deliver(ctx, job.Args, final)
	var g *giveUp
	switch {
	case err == nil:
		return nil
	case errors.As(err, &g):
		return river.JobCancel(g.err)
	case final:
		// The row says failed already; cancelled rather than discarded so
		// the queue's "discarded" alert keeps meaning "a bug or an
		// outage of ours", not "a shop's endpoint was down for a day".
		return river.JobCancel(fmt.Errorf("webhook retried for %v: %w", webhookRetryFor, err))
	}
	return err
}

// Timeout is finite: River never rescues a job without one.
func (w *webhookWorker) Timeout(*river.Job[WebhookArgs]) time.Duration { return webhookTimeout }

func (w *webhookWorker) NextRetry(job *river.Job[WebhookArgs]) time.Time {
	return time.Now().Add(webhookBackoff(w.base, job.Attempt))
}
