package storage

import (
	"context"

	"github.com/uptrace/bun"

	"dukaan/app"
)

// NoticeTx lets the external tests write a notice in a transaction they
// roll back.
func (d *DB) NoticeTx(ctx context.Context, tx bun.Tx, n app.Notice) error {
	return d.noticeTx(ctx, tx, n)
}
