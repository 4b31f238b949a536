package storage

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/uptrace/bun"

	"dukaan/app"
)

// SetOrderStatus moves an order one step along the workflow. The order row
// is locked and the update is conditioned on the status just read, so of
// two vendors' clicks racing on the same order exactly one wins; the other
// sees the new status and is told why its move no longer applies.
// Cancelling returns every line's units to stock, archived products
// included, so the numbers always add up.
func (d *DB) SetOrderStatus(ctx context.Context, vendorID, id int64, status app.OrderStatus) (*app.Order, error) {
	if !status.Valid() {
		return nil, errUnknownStatus()
	}
	var (
		o         *app.Order
		restocked []int64
	)
	ctx = owing(ctx) // publish settles the purge jobs owe writes
	err := d.db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		var m orderModel
		err := tx.NewSelect().Model(&m).
			Where("id = ?", id).
			Where("vendor_id = ?", vendorID).
			Apply(forUpdate(tx, true)).
			Scan(ctx)
		if errors.Is(err, sql.ErrNoRows) {
			return errOrderNotFound()
		} else if err != nil {
			return err
		}
		from := app.OrderStatus(m.Status)
		if !from.CanMoveTo(status) {
			msg := statusMoveRefusal(from, status)
			return app.Invalid(msg, map[string]string{"status": msg})
		}
		t := now()
		res, err := tx.NewUpdate().Model((*orderModel)(nil)).
			Set("status = ?", string(status)).
			Set("updated_at = ?", t).
			Where("id = ?", id).
			Where("vendor_id = ?", vendorID).
			Where("status = ?", string(from)).
			Exec(ctx)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n != 1 {
			return app.Errorf(app.ECONFLICT, "This order changed while you were looking at it. Reload it and try again.")
		}
		m.Status, m.UpdatedAt = string(status), t
		o = m.toApp()
		if o.Items, err = orderItems(ctx, tx, id); err != nil {
			return err
		}
		if status == app.StatusCancelled {
			if restocked, err = returnStock(ctx, tx, vendorID, o.Items, t); err != nil {
				return err
			}
			// The order's coupon use goes back with its stock.
			if err := releaseCoupon(ctx, tx, vendorID, m.CouponCode); err != nil {
				return err
			}
		}
		if err := d.noticeTx(ctx, tx, app.Notice{Kind: app.NoticeOrderStatusChanged, VendorID: vendorID, At: t, Order: o}); err != nil {
			return err
		}
		for _, pid := range restocked {
			if err := d.owe(ctx, tx, app.ProductEvent{Kind: app.ProductRestocked, VendorID: vendorID, ProductID: pid}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, wrap("SetOrderStatus", err)
	}
	for _, pid := range restocked {
		d.publish(ctx, app.ProductEvent{Kind: app.ProductRestocked, VendorID: vendorID, ProductID: pid})
	}
	return o, nil
}

// returnStock adds the items' units back, in ascending (product id,
// variant id) order like PlaceOrder, and returns the products that were
// sold out before (a variant's product when the variant was).
func returnStock(ctx context.Context, tx bun.IDB, vendorID int64, items []app.OrderItem, t time.Time) ([]int64, error) {
	type key struct{ product, variant int64 }
	qty := map[key]int64{}
	for _, it := range items {
		qty[key{it.ProductID, it.VariantID}] += it.Qty
	}
	keys := make([]key, 0, len(qty))
	for k := range qty {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b key) int {
		return cmp.Or(cmp.Compare(a.product, b.product), cmp.Compare(a.variant, b.variant))
	})
	var restocked []int64
	for _, k := range keys {
		var stock int64
		var err error
		if k.variant != 0 {
			// A removed variant that lines point at is archived, never
			// deleted, so it is still here to take its units back.
			err = tx.NewRaw(`UPDATE product_variants SET stock = stock + ?
WHERE id = ? AND vendor_id = ? RETURNING stock`,
				qty[k], k.variant, vendorID).Scan(ctx, &stock)
		} else {
			err = tx.NewRaw(`UPDATE products SET stock = stock + ?, updated_at = ?
WHERE id = ? AND vendor_id = ? RETURNING stock`,
				qty[k], t, k.product, vendorID).Scan(ctx, &stock)
		}
		if errors.Is(err, sql.ErrNoRows) {
			// Order lines keep products and variants from being
			// deleted, so this is a broken invariant, not a user error.
			return nil, fmt.Errorf("restock product %d variant %d: missing", k.product, k.variant)
		} else if err != nil {
			return nil, err
		}
		if stock == qty[k] && !slices.Contains(restocked, k.product) {
			restocked = append(restocked, k.product)
		}
	}
	return restocked, nil
}

// statusMoveRefusal explains why the workflow forbids a move.
func statusMoveRefusal(from, to app.OrderStatus) string {
	switch {
	case from == to:
		return fmt.Sprintf("This order is already %s.", from)
	case from == app.StatusCancelled:
		return "A cancelled order cannot be changed."
	case to == app.StatusCancelled:
		return fmt.Sprintf("An order that is %s cannot be cancelled.", from)
	}
	return fmt.Sprintf("An order that is %s cannot be marked %s.", from, to)
}
