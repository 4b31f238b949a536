package storage

import (
	"context"
	"database/sql"
	"errors"

	"github.com/uptrace/bun"

	"dukaan/app"
)

// errOrderNotFound is a function, not a shared value, so that no caller
// can change the error every other caller receives.
func errOrderNotFound() error { return app.Errorf(app.ENOTFOUND, "Order not found.") }

// errUnknownStatus refuses a filter or a move naming no status of the
// workflow.
func errUnknownStatus() error {
	return app.Invalid("Unknown order status.", map[string]string{"status": "Unknown order status."})
}

// OrderByToken returns the order, with its lines, whose token the
// customer holds.
func (d *DB) OrderByToken(ctx context.Context, vendorID int64, token string) (*app.Order, error) {
	o, err := findOrder(ctx, d.db, vendorID, "token = ?", token)
	return o, wrap("OrderByToken", err)
}

// Order returns one of the vendor's orders with its lines.
func (d *DB) Order(ctx context.Context, vendorID, id int64) (*app.Order, error) {
	o, err := findOrder(ctx, d.db, vendorID, "id = ?", id)
	return o, wrap("Order", err)
}

func findOrder(ctx context.Context, db bun.IDB, vendorID int64, where string, arg any) (*app.Order, error) {
	var m orderModel
	err := db.NewSelect().Model(&m).
		Where("vendor_id = ?", vendorID).
		Where(where, arg).
		Limit(1).
		Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errOrderNotFound()
	} else if err != nil {
		return nil, err
	}
	o := m.toApp()
	if o.Items, err = orderItems(ctx, db, m.ID); err != nil {
		return nil, err
	}
	return o, nil
}

func orderItems(ctx context.Context, db bun.IDB, orderID int64) ([]app.OrderItem, error) {
	var ms []orderItemModel
	if err := db.NewSelect().Model(&ms).Where("order_id = ?", orderID).OrderExpr("id ASC").Scan(ctx); err != nil {
		return nil, err
	}
	items := make([]app.OrderItem, len(ms))
	for i := range ms {
		items[i] = ms[i].toApp()
	}
	return items, nil
}

// Orders returns a page of the vendor's orders, newest first, without
// their lines, and how many match in all.
func (d *DB) Orders(ctx context.Context, f app.OrderFilter) ([]*app.Order, int, error) {
	if err := checkFilter(f); err != nil {
		return nil, 0, err
	}
	filter := func(q *bun.SelectQuery) *bun.SelectQuery { return applyFilter(q, f) }
	total, err := d.db.NewSelect().Model((*orderModel)(nil)).Apply(filter).Count(ctx)
	if err != nil {
		return nil, 0, wrap("Orders", err)
	}
	var ms []orderModel
	err = d.db.NewSelect().Model(&ms).Apply(filter, page(f.Offset, f.Limit)).OrderExpr("id DESC").Scan(ctx)
	if err != nil {
		return nil, 0, wrap("Orders", err)
	}
	out := make([]*app.Order, len(ms))
	for i := range ms {
		out[i] = ms[i].toApp()
	}
	return out, int(total), nil
}

// checkFilter refuses a filter naming no status or payment.
func checkFilter(f app.OrderFilter) error {
	switch {
	case f.Status != "" && !f.Status.Valid():
		return errUnknownStatus()
	case f.PaymentMode != "" && !f.PaymentMode.Valid(), f.PaymentStatus != "" && !f.PaymentStatus.Valid():
		return app.Invalid("Unknown payment filter.", map[string]string{"payment": "Unknown payment filter."})
	}
	return nil
}

// applyFilter adds f's conditions, the vendor first.
func applyFilter(q *bun.SelectQuery, f app.OrderFilter) *bun.SelectQuery {
	q = q.Where("vendor_id = ?", f.VendorID)
	if f.Status != "" {
		q = q.Where("status = ?", string(f.Status))
	}
	if f.Number > 0 {
		// Matches the partial unique index (vendor_id, number).
		q = q.Where("number = ?", f.Number).Where("number IS NOT NULL")
	}
	if f.PaymentMode != "" {
		q = q.Where("payment_mode = ?", string(f.PaymentMode))
	}
	if f.PaymentStatus != "" {
		q = q.Where("payment_status = ?", string(f.PaymentStatus))
	}
	return q
}
