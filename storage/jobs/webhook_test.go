package jobs_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"dukaan/app"
	"dukaan/storage"
	"dukaan/storage/jobs"
	"dukaan/storage/storagetest"
)

// webhookState is the state of the queue's only webhook job.
func webhookState(t *testing.T, db *storage.DB) (state string, attempt int) {
	t.Helper()
	if err := db.Bun().DB.QueryRowContext(t.Context(), "SELECT state, attempt FROM river_job WHERE kind = 'webhook'").Scan(&state, &attempt); err != nil {
		t.Fatal(err)
	}
	return state, attempt
}

// TestWebhookWorker: each attempt is recorded on the delivery; the last one
// River will make is told it is final, marks the delivery failed and ends
// the job (cancelled, not discarded); a give-up ends it at once.
func TestWebhookWorker(t *testing.T) {
	storagetest.ForEachDialect(t, func(t *testing.T, db *storage.DB) {
		ctx := t.Context()
		v := storagetest.Vendor(t, db, "kirana")
		if _, _, err := db.SaveWebhook(ctx, v.ID, app.WebhookInput{URL: "https://hooks.example.com/x", Events: []app.NoticeKind{app.NoticeOrderCreated}}); err != nil {
			t.Fatal(err)
		}
		d, err := db.SendWebhookTest(ctx, v.ID)
		if err != nil {
			t.Fatal(err)
		}
		// As if the day of retries were nearly over: two attempts left.
		if _, err := db.Bun().DB.ExecContext(ctx, "UPDATE river_job SET max_attempts = 2 WHERE kind = 'webhook'"); err != nil {
			t.Fatal(err)
		}
		var mu sync.Mutex
		var finals []bool
		deliver := func(ctx context.Context, a jobs.WebhookArgs, final bool) error {
			mu.Lock()
			finals = append(finals, final)
			mu.Unlock()
			if a.VendorID != v.ID || a.DeliveryID != d.ID || a.Event != app.WebhookPing {
				t.Errorf("args %+v", a)
			}
			res := app.WebhookResult{StatusCode: 503, Duration: 5 * time.Millisecond, Err: errors.New("the endpoint answered 503")}
			if err := db.RecordWebhookAttempt(ctx, a.VendorID, a.DeliveryID, res, final); err != nil {
				return err
			}
			return res.Err
		}
		startConfig(t, db, jobs.Config{Purger: &recorder{}, DeliverWebhook: deliver, WebhookBackoff: 50 * time.Millisecond})
		deadline := time.Now().Add(20 * time.Second)
		for {
			if state, attempt := webhookState(t, db); state == "cancelled" {
				if attempt != 2 {
					t.Errorf("cancelled after %d attempts, want 2", attempt)
				}
				break
			} else if time.Now().After(deadline) {
				t.Fatalf("job %s after %d attempts", state, attempt)
			}
			time.Sleep(20 * time.Millisecond)
		}
		mu.Lock()
		if len(finals) != 2 || finals[0] || !finals[1] {
			t.Errorf("final flags %v, want [false true]", finals)
		}
		mu.Unlock()
		ds, _ := db.WebhookDeliveries(ctx, v.ID, 1)
		if ds[0].State != app.DeliveryFailed || ds[0].Attempts != 2 || ds[0].StatusCode != 503 {
			t.Errorf("delivery %+v, want failed after 2 attempts", ds[0])
		}
	})
}

func TestWebhookGiveUp(t *testing.T) {
	storagetest.ForEachDialect(t, func(t *testing.T, db *storage.DB) {
		ctx := t.Context()
		v := storagetest.Vendor(t, db, "kirana")
		if _, _, err := db.SaveWebhook(ctx, v.ID, app.WebhookInput{URL: "https://hooks.example.com/x", Events: []app.NoticeKind{app.NoticeOrderCreated}}); err != nil {
			t.Fatal(err)
		}
		if _, err := db.SendWebhookTest(ctx, v.ID); err != nil {
			t.Fatal(err)
		}
		deliver := func(context.Context, jobs.WebhookArgs, bool) error {
			return jobs.WebhookGiveUp(errors.New("the delivery is gone"))
		}
		startConfig(t, db, jobs.Config{Purger: &recorder{}, DeliverWebhook: deliver, WebhookBackoff: 50 * time.Millisecond})
		deadline := time.Now().Add(20 * time.Second)
		for {
			state, attempt := webhookState(t, db)
			if state == "cancelled" && attempt == 1 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("job %s after %d attempts, want cancelled after 1", state, attempt)
			}
			time.Sleep(20 * time.Millisecond)
		}
	})
}
