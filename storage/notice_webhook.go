package storage

import (
	"context"
	"slices"

	"dukaan/app"

	"github.com/uptrace/bun"
)

// webhookNoticeTx writes the webhook delivery a notice owes: when the shop
// has an endpoint (with a secret) subscribed to the notice's kind, a pending
// delivery row whose body is built from the notice's order or product as
// committed, and a webhook job, both in tx. Any kind works the same way, so
// a new NoticeKind needs no code here. It costs the change's transaction one
// indexed read when the shop has no endpoint.
func (d *DB) webhookNoticeTx(ctx context.Context, tx bun.Tx, n app.Notice) error {
	t, err := d.webhookTarget(ctx, tx, n.VendorID)
	if err != nil || t == nil {
		return err
	}
	if !slices.Contains(t.events, n.Kind) {
		return nil
	}
	_, err = d.oweWebhookTx(ctx, tx, n.VendorID, app.NewWebhookBody(randomID("evt_", 16), n, t.store))
	return err
}
