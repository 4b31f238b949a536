package storage

import (
	"context"
	"database/sql"
	"errors"

	"github.com/uptrace/bun"

	"dukaan/app"
)

// nextOrderNumber hands out the vendor's next order number (1, 2, 3…)
// inside the order's transaction.
//
// The counter is a column on the vendor's row, bumped by one UPDATE …
// RETURNING: the row lock it takes serialises concurrent orders of one
// shop on PostgreSQL (SQLite serialises every write transaction anyway),
// and because the increment is part of the order's transaction, an order
// that rolls back rolls its number back too, so numbers have no gaps and
// no duplicates. A sequence or MAX(number)+1 would give one or the other.
// The lock is held until commit: take the number late in the transaction,
// after the stock checks that may refuse the order, so one shop's orders
// wait for each other only for the last few statements. Other shops never
// wait.
func nextOrderNumber(ctx context.Context, tx bun.IDB, vendorID int64) (int64, error) {
	var n int64
	err := tx.NewRaw("UPDATE vendors SET order_seq = order_seq + 1 WHERE id = ? RETURNING order_seq", vendorID).Scan(ctx, &n)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, app.Errorf(app.ENOTFOUND, "Store not found.")
	}
	return n, err
}
