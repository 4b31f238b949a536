package storage_test

import (
	"context"
	"errors"
	"maps"
	"slices"
	"strconv"
	"testing"

	"dukaan/app"
	"dukaan/storage"
)

// wantCode fails the test unless err carries the domain error code want.
func wantCode(tb testing.TB, err error, want string) *app.Error {
	tb.Helper()
	var ae *app.Error
	if !errors.As(err, &ae) {
		tb.Fatalf("err = %v, want an *app.Error with code %q", err, want)
	}
	if ae.Code != want {
		tb.Fatalf("code = %q (%v), want %q", ae.Code, err, want)
	}
	return ae
}

// wantFields fails the test unless fields equal want exactly.
func wantFields(tb testing.TB, got, want map[string]string) {
	tb.Helper()
	if !maps.Equal(got, want) {
		tb.Fatalf("fields = %v, want %v", got, want)
	}
}

// stockOf reads a product's stock directly, archived or not.
func stockOf(tb testing.TB, db *storage.DB, productID int64) int64 {
	tb.Helper()
	var stock int64
	if err := db.Bun().NewRaw("SELECT stock FROM products WHERE id = ?", productID).Scan(context.Background(), &stock); err != nil {
		tb.Fatalf("stock of %d: %v", productID, err)
	}
	return stock
}

// countRows counts a table's rows.
func countRows(tb testing.TB, db *storage.DB, table string) int {
	tb.Helper()
	var n int
	if err := db.Bun().NewRaw("SELECT COUNT(*) FROM "+table).Scan(context.Background(), &n); err != nil {
		tb.Fatalf("count %s: %v", table, err)
	}
	return n
}

// sumOrderedQty adds up order_items.qty over all orders.
func sumOrderedQty(tb testing.TB, db *storage.DB) int64 {
	tb.Helper()
	var n int64
	if err := db.Bun().NewRaw("SELECT COALESCE(SUM(qty), 0) FROM order_items").Scan(context.Background(), &n); err != nil {
		tb.Fatalf("sum qty: %v", err)
	}
	return n
}

// productIDs lists the ids of products in order.
func productIDs(ps []*app.Product) []int64 {
	ids := make([]int64, len(ps))
	for i, p := range ps {
		ids[i] = p.ID
	}
	return ids
}

// eventKinds is the kinds of evs in order.
func eventKinds(evs []app.ProductEvent) []app.ProductEventKind {
	var out []app.ProductEventKind
	for _, ev := range evs {
		out = append(out, ev.Kind)
	}
	return out
}

func wantEvents(tb testing.TB, got, want []app.ProductEvent) {
	tb.Helper()
	if !slices.Equal(got, want) {
		tb.Fatalf("events = %+v, want %+v", got, want)
	}
}

func ptr[T any](v T) *T { return &v }

func qtyKey(productID int64) string { return "qty_" + strconv.FormatInt(productID, 10) }
