package storage

import (
	"context"

	"dukaan/app"

	"github.com/uptrace/bun"
)

// noticeTx writes, in tx, every message a committed change owes the vendor:
// the emails (notice_mail.go) and the webhook deliveries (notice_webhook.go),
// each a job (storage/jobs) committed with the change or not at all.
func (d *DB) noticeTx(ctx context.Context, tx bun.Tx, n app.Notice) error {
	if n.At.IsZero() {
		n.At = now()
	}
	if err := d.mailNoticeTx(ctx, tx, n); err != nil {
		return err
	}
	return d.webhookNoticeTx(ctx, tx, n)
}
