package storage

import (
	"context"
	"time"

	"github.com/uptrace/bun"

	"dukaan/app"
)

// exportPageSize is how many orders EachOrder reads per query by default.
const exportPageSize = 200

// EachOrder calls fn with every order f selects, newest first, each with
// its lines. It pages by id (keyset: "id < the last one seen"), one query
// for a page of orders and one for all their lines, and holds no
// connection while fn runs, so a slow reader of an export ties up nothing.
// The pages are not one snapshot: an order placed during the export is
// not in it (its id is above the first page), and one whose status
// changes meanwhile may be missed or included by a status filter, but no
// order is ever given twice.
func (d *DB) EachOrder(ctx context.Context, f app.OrderFilter, fn func(*app.Order) error) error {
	if err := checkFilter(f); err != nil {
		return err
	}
	limit := f.Limit
	if limit <= 0 {
		limit = exportPageSize
	}
	var before int64
	for {
		var ms []orderModel
		q := applyFilter(d.db.NewSelect().Model(&ms), f)
		if before > 0 {
			q = q.Where("id < ?", before)
		}
		if err := q.OrderExpr("id DESC").Limit(int64(limit)).Scan(ctx); err != nil {
			return wrap("EachOrder", err)
		}
		if len(ms) == 0 {
			return nil
		}
		ids := make([]int64, len(ms))
		for i := range ms {
			ids[i] = ms[i].ID
		}
		var items []orderItemModel
		if err := d.db.NewSelect().Model(&items).
			Where("order_id IN (?)", bun.List(ids)).
			OrderExpr("order_id ASC, id ASC").
			Scan(ctx); err != nil {
			return wrap("EachOrder", err)
		}
		byOrder := make(map[int64][]app.OrderItem, len(ms))
		for i := range items {
			byOrder[items[i].OrderID] = append(byOrder[items[i].OrderID], items[i].toApp())
		}
		for i := range ms {
			o := ms[i].toApp()
			o.Items = byOrder[o.ID]
			if err := fn(o); err != nil {
				return err
			}
		}
		if len(ms) < limit {
			return nil
		}
		before = ms[len(ms)-1].ID
	}
}

// OrderStats counts the vendor's orders created in [from, to) and sums
// the totals of those not cancelled, in one aggregate query. Times are
// compared in UTC, as they are stored.
func (d *DB) OrderStats(ctx context.Context, vendorID int64, from, to time.Time) (app.OrderStats, error) {
	var s struct {
		Orders    int64
		Cancelled int64
		Revenue   int64
	}
	err := d.db.NewRaw(`SELECT COUNT(*),
	COALESCE(SUM(CASE WHEN status = ? THEN 1 ELSE 0 END), 0),
	COALESCE(SUM(CASE WHEN status = ? THEN 0 ELSE total END), 0)
FROM orders WHERE vendor_id = ? AND created_at >= ? AND created_at < ?`,
		string(app.StatusCancelled), string(app.StatusCancelled), vendorID, from.UTC(), to.UTC()).
		Scan(ctx, &s.Orders, &s.Cancelled, &s.Revenue)
	if err != nil {
		return app.OrderStats{}, wrap("OrderStats", err)
	}
	return app.OrderStats{Orders: int(s.Orders), Cancelled: int(s.Cancelled), Revenue: app.Paise(s.Revenue)}, nil
}
