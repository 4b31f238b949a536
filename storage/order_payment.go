package storage

import (
	"context"
	"database/sql"
	"errors"

	"dukaan/app"

	"github.com/uptrace/bun"
)

// SetPaymentStatus records whether the vendor received the order's money.
// One conditional UPDATE scoped by vendor: another vendor's order is
// ENOTFOUND. It publishes nothing: no shop page shows payment status (the
// customer's confirmation page is personal and never cached).
func (d *DB) SetPaymentStatus(ctx context.Context, vendorID, id int64, status app.PaymentStatus) (*app.Order, error) {
	if !status.Valid() {
		msg := "Mark the payment paid or unpaid."
		return nil, app.Invalid(msg, map[string]string{"status": msg})
	}
	var o *app.Order
	err := d.db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		var m orderModel
		t := now()
		err := tx.NewUpdate().Model((*orderModel)(nil)).
			Set("payment_status = ?", string(status)).
			Set("updated_at = ?", t).
			Where("id = ?", id).
			Where("vendor_id = ?", vendorID).
			Returning("*").
			Scan(ctx, &m)
		if errors.Is(err, sql.ErrNoRows) {
			return errOrderNotFound()
		} else if err != nil {
			return err
		}
		o = m.toApp()
		if o.Items, err = orderItems(ctx, tx, m.ID); err != nil {
			return err
		}
		return d.noticeTx(ctx, tx, app.Notice{Kind: app.NoticeOrderPaymentChanged, VendorID: vendorID, At: t, Order: o})
	})
	if err != nil {
		return nil, wrap("SetPaymentStatus", err)
	}
	return o, nil
}
