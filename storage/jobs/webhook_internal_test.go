package jobs

import (
	"testing"
	"time"
)

// TestWebhookBackoff: 10 s doubling to 30 min, and the attempts River is
// allowed cover the day the deliveries are retried for.
func TestWebhookBackoff(t *testing.T) {
	for attempt, want := range map[int]time.Duration{1: 10 * time.Second, 2: 20 * time.Second, 3: 40 * time.Second, 8: 1280 * time.Second, 9: 30 * time.Minute, 59: 30 * time.Minute} {
		if got := webhookBackoff(WebhookBackoff, attempt); got != want {
			t.Errorf("wait after attempt %d = %v, want %v", attempt, got, want)
		}
	}
	var total time.Duration
	for a := 1; a < webhookMaxAttempts; a++ {
		total += webhookBackoff(WebhookBackoff, a)
	}
	if total < webhookRetryFor {
		t.Errorf("%d attempts span %v, less than the %v a delivery is retried for", webhookMaxAttempts, total, webhookRetryFor)
	}
	if webhookTimeout >= 15*time.Second {
		t.Errorf("attempt timeout %v must stay under the 15 s rescue", webhookTimeout)
	}
}
