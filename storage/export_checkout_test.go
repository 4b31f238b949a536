package storage

import (
	"context"
	"fmt"

	"github.com/uptrace/bun/migrate"

	"dukaan/app"
)

// The order transaction's checkout helpers, for the external tests that
// run them in transactions of their own.
var (
	RedeemCoupon    = redeemCoupon
	ReleaseCoupon   = releaseCoupon
	NextOrderNumber = nextOrderNumber
)

// OrderCheckout reads the checkout part of one of the vendor's orders.
func (d *DB) OrderCheckout(ctx context.Context, vendorID, id int64) (app.OrderCheckout, error) {
	var m orderModel
	if err := d.db.NewSelect().Model(&m).Where("id = ?", id).Where("vendor_id = ?", vendorID).Scan(ctx); err != nil {
		return app.OrderCheckout{}, err
	}
	return m.checkout(), nil
}

// UndoMigrationsAfter runs the Down of every applied migration named after
// last, newest first, and marks it unapplied: a database as an older
// release left it, for testing a migration's backfill.
func (d *DB) UndoMigrationsAfter(ctx context.Context, last string) error {
	m := migrate.NewMigrator(d.db, d.migrations())
	ms, err := m.MigrationsWithStatus(ctx)
	if err != nil {
		return err
	}
	for i := len(ms) - 1; i >= 0; i-- {
		mg := ms[i]
		if !mg.IsApplied() || mg.Name <= last {
			continue
		}
		if err := mg.Down(ctx, m, &mg); err != nil {
			return fmt.Errorf("down %s: %w", mg.Name, err)
		}
		if err := m.MarkUnapplied(ctx, &mg); err != nil {
			return err
		}
	}
	return nil
}
