package main

import (
	"context"
	"time"

	"dukaan/app"
	"dukaan/notify"
	"dukaan/storage/jobs"
)

// webhookClient is the webhook client the settings ask for: https only in
// production, and the address guard on unless DUKAAN_WEBHOOK_ALLOW_PRIVATE
// (which production refuses).
func (c Config) webhookClient() *notify.Webhooks {
	return notify.NewWebhooks(notify.WebhookConfig{RequireHTTPS: c.Production(), AllowPrivate: c.WebhookAllowPrivate})
}

// deliverWebhook is the webhook jobs' work: read the delivery and the
// shop's endpoint, make one attempt, record it on the delivery's row.
func (m *Main) deliverWebhook(client *notify.Webhooks) jobs.DeliverWebhook {
	return func(ctx context.Context, a jobs.WebhookArgs, final bool) error {
		req, err := m.DB.WebhookRequest(ctx, a.VendorID, a.DeliveryID)
		if app.ErrorCode(err) == app.ENOTFOUND {
			return jobs.WebhookGiveUp(err) // pruned: nothing is owed any more
		} else if err != nil {
			return err
		}
		res := client.Deliver(ctx, *req)
		gone := req.URL == ""
		// The result is recorded even when the attempt used up the job's
		// time: a context of its own, so a timeout still shows in the
		// console.
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 3*time.Second)
		defer cancel()
		if err := m.DB.RecordWebhookAttempt(rctx, a.VendorID, a.DeliveryID, res, final || gone); err != nil {
			return err
		}
		switch {
		case res.OK():
			return nil
		case gone:
			// The shop removed its endpoint: retrying would not help.
			return jobs.WebhookGiveUp(res.Err)
		}
		return res.Err
	}
}
