package storage

import (
	"context"

	"dukaan/app"

	"github.com/uptrace/bun"
)

// webhookNoticeTx writes the webhook delivery jobs a notice owes.
func (d *DB) webhookNoticeTx(ctx context.Context, tx bun.Tx, n app.Notice) error {
	// Issue 14: webhook deliveries (in progress).
	return nil
}
