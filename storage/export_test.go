package storage

import (
	"context"

	"github.com/uptrace/bun"

	"dukaan/app"
)

// DemoProducts lets the external tests check SeedDemo's stock arithmetic
// against what it started with.
var DemoProducts = demoProducts

// NoticeThenFail writes n's messages in a transaction that then returns
// fail (nil commits), so tests can see that they are rolled back with it.
func (d *DB) NoticeThenFail(ctx context.Context, n app.Notice, fail error) error {
	return d.db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		if err := d.noticeTx(ctx, tx, n); err != nil {
			return err
		}
		return fail
	})
}
