package storage_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"dukaan/app"
	"dukaan/storage"
	"dukaan/storage/storagetest"
)

func moveTo(tb testing.TB, db *storage.DB, o *app.Order, status app.OrderStatus) {
	tb.Helper()
	path := map[app.OrderStatus][]app.OrderStatus{
		app.StatusPending:   nil,
		app.StatusConfirmed: {app.StatusConfirmed},
		app.StatusShipped:   {app.StatusConfirmed, app.StatusShipped},
		app.StatusDelivered: {app.StatusConfirmed, app.StatusShipped, app.StatusDelivered},
		app.StatusCancelled: {app.StatusCancelled},
	}[status]
	for _, s := range path {
		if _, err := db.SetOrderStatus(context.Background(), o.VendorID, o.ID, s); err != nil {
			tb.Fatalf("move to %s: %v", s, err)
		}
	}
}

func TestSetOrderStatusWorkflow(t *testing.T) {
	storagetest.ForEachDialect(t, func(t *testing.T, db *storage.DB) {
		ctx := t.Context()
		v := storagetest.Vendor(t, db, "kirana")
		p := storagetest.Product(t, db, v.ID, "Dal", 16500, 1000)
		for _, from := range app.OrderStatuses {
			for _, to := range app.OrderStatuses {
				t.Run(fmt.Sprintf("%s to %s", from, to), func(t *testing.T) {
					o, _, err := db.PlaceOrder(ctx, order(v.ID, app.OrderLine{ProductID: p.ID, Qty: 1}))
					if err != nil {
						t.Fatal(err)
					}
					moveTo(t, db, o, from)
					got, err := db.SetOrderStatus(ctx, v.ID, o.ID, to)
					if from.CanMoveTo(to) {
						if err != nil {
							t.Fatalf("SetOrderStatus: %v", err)
						}
						if got.Status != to || len(got.Items) != 1 {
							t.Errorf("order = %+v, want status %s with its item", got, to)
						}
					} else {
						ae := wantCode(t, err, app.EINVALID)
						if ae.Fields["status"] == "" {
							t.Errorf("fields = %v, want a status message", ae.Fields)
						}
					}
					stored, err := db.Order(ctx, v.ID, o.ID)
					if err != nil {
						t.Fatal(err)
					}
					want := from
					if from.CanMoveTo(to) {
						want = to
					}
					if stored.Status != want {
						t.Errorf("stored status = %s, want %s", stored.Status, want)
					}
				})
			}
		}
		t.Run("message names both states", func(t *testing.T) {
			o, _, err := db.PlaceOrder(ctx, order(v.ID, app.OrderLine{ProductID: p.ID, Qty: 1}))
			if err != nil {
				t.Fatal(err)
			}
			moveTo(t, db, o, app.StatusShipped)
			_, err = db.SetOrderStatus(ctx, v.ID, o.ID, app.StatusCancelled)
			ae := wantCode(t, err, app.EINVALID)
			if got, want := ae.Message, "An order that is shipped cannot be cancelled."; got != want {
				t.Errorf("message = %q, want %q", got, want)
			}
		})
		t.Run("unknown status", func(t *testing.T) {
			o, _, err := db.PlaceOrder(ctx, order(v.ID, app.OrderLine{ProductID: p.ID, Qty: 1}))
			if err != nil {
				t.Fatal(err)
			}
			_, err = db.SetOrderStatus(ctx, v.ID, o.ID, "lost")
			wantCode(t, err, app.EINVALID)
		})
		t.Run("stock", func(t *testing.T) {
			// Every cancelled order above gave its unit back.
			var cancelled int64
			if err := db.Bun().NewRaw("SELECT COUNT(*) FROM orders WHERE status = 'cancelled'").Scan(ctx, &cancelled); err != nil {
				t.Fatal(err)
			}
			var live int64
			if err := db.Bun().NewRaw("SELECT COALESCE(SUM(qty), 0) FROM order_items JOIN orders ON orders.id = order_items.order_id WHERE orders.status <> 'cancelled'").Scan(ctx, &live); err != nil {
				t.Fatal(err)
			}
			if cancelled == 0 {
				t.Fatal("no cancelled orders to check")
			}
			if got, want := stockOf(t, db, p.ID), 1000-live; got != want {
				t.Errorf("stock = %d, want %d", got, want)
			}
		})
	})
}

func TestCancelRestocks(t *testing.T) {
	storagetest.ForEachDialect(t, func(t *testing.T, db *storage.DB) {
		ctx := t.Context()
		v := storagetest.Vendor(t, db, "kirana")
		a := storagetest.Product(t, db, v.ID, "Pickle", 22000, 3)
		b := storagetest.Product(t, db, v.ID, "Ghee", 42000, 10)
		o, _, err := db.PlaceOrder(ctx, order(v.ID, app.OrderLine{ProductID: b.ID, Qty: 4}, app.OrderLine{ProductID: a.ID, Qty: 3}))
		if err != nil {
			t.Fatal(err)
		}
		// Archive b: cancelling must still put its units back, so the
		// stock figures stay true if the vendor ever looks at them.
		if archived, err := db.DeleteProduct(ctx, v.ID, b.ID); err != nil || !archived {
			t.Fatalf("DeleteProduct = %v, %v", archived, err)
		}
		got, err := db.SetOrderStatus(ctx, v.ID, o.ID, app.StatusCancelled)
		if err != nil {
			t.Fatal(err)
		}
		if got.Status != app.StatusCancelled {
			t.Errorf("status = %s", got.Status)
		}
		for id, want := range map[int64]int64{a.ID: 3, b.ID: 10} {
			if got := stockOf(t, db, id); got != want {
				t.Errorf("stock of %d = %d, want %d", id, got, want)
			}
		}
	})
}

// TestSetOrderStatusConcurrent has several admins cancel the same order at
// once: one cancel wins and the stock comes back exactly once.
func TestSetOrderStatusConcurrent(t *testing.T) {
	const clicks = 8
	storagetest.ForEachDialect(t, func(t *testing.T, db *storage.DB) {
		ctx := t.Context()
		v := storagetest.Vendor(t, db, "kirana")
		p := storagetest.Product(t, db, v.ID, "Dal", 16500, 10)
		o, _, err := db.PlaceOrder(ctx, order(v.ID, app.OrderLine{ProductID: p.ID, Qty: 4}))
		if err != nil {
			t.Fatal(err)
		}
		errs := make([]error, clicks)
		var wg sync.WaitGroup
		for i := range clicks {
			wg.Go(func() {
				// Half try to confirm, half to cancel: both are legal from
				// pending, cancel is also legal after confirm.
				to := app.StatusCancelled
				if i%2 == 1 {
					to = app.StatusConfirmed
				}
				_, errs[i] = db.SetOrderStatus(ctx, v.ID, o.ID, to)
			})
		}
		wg.Wait()
		var ok int
		for i, err := range errs {
			if err == nil {
				ok++
				continue
			}
			if c := app.ErrorCode(err); c != app.EINVALID && c != app.ECONFLICT {
				t.Errorf("click %d: %v, want EINVALID or ECONFLICT", i, err)
			}
		}
		got, err := db.Order(ctx, v.ID, o.ID)
		if err != nil {
			t.Fatal(err)
		}
		// Possible histories: cancel; or confirm then cancel. Either way
		// the order ends cancelled (some cancel always runs after any
		// confirm) unless every cancel lost to a concurrent confirm.
		if ok < 1 || ok > 2 {
			t.Errorf("successful moves = %d, want 1 or 2", ok)
		}
		wantStock := int64(6)
		if got.Status == app.StatusCancelled {
			wantStock = 10
		}
		if s := stockOf(t, db, p.ID); s != wantStock {
			t.Errorf("status %s, stock = %d, want %d", got.Status, s, wantStock)
		}
	})
}
