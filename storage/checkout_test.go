package storage_test

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"

	"github.com/uptrace/bun"

	"dukaan/app"
	"dukaan/storage"
	"dukaan/storage/storagetest"
)

func TestCheckoutSettings(t *testing.T) {
	storagetest.ForEachDialectEvents(t, func(t *testing.T, db *storage.DB, rec *storagetest.Recorder) {
		ctx := t.Context()
		v := storagetest.Vendor(t, db, "chai-corner")
		other := storagetest.Vendor(t, db, "other-shop")
		rec.Take()

		got, err := db.CheckoutSettings(ctx, v.ID)
		if err != nil {
			t.Fatal(err)
		}
		if def := app.DefaultCheckoutSettings(); *got != def {
			t.Errorf("a new shop's settings = %+v, want %+v", got, def)
		}

		free := app.Paise(50000)
		in := app.CheckoutSettings{DeliveryFee: 4000, FreeDeliveryAbove: &free, MinOrder: 20000,
			UPIID: " chaicorner@okaxis ", AcceptCOD: true, AcceptUPI: true}
		up, err := db.UpdateCheckoutSettings(ctx, v.ID, in)
		if err != nil {
			t.Fatal(err)
		}
		for name, s := range map[string]*app.CheckoutSettings{"returned": up, "stored": must(db.CheckoutSettings(ctx, v.ID))} {
			if s.DeliveryFee != 4000 || s.FreeDeliveryAbove == nil || *s.FreeDeliveryAbove != free || s.MinOrder != 20000 ||
				s.UPIID != "chaicorner@okaxis" || !s.AcceptCOD || !s.AcceptUPI {
				t.Errorf("%s settings = %+v", name, s)
			}
		}
		wantEvents(t, rec.Take(), []app.ProductEvent{{Kind: app.StoreUpdated, VendorID: v.ID}})

		// Back to "never free" (NULL), UPI only.
		up, err = db.UpdateCheckoutSettings(ctx, v.ID, app.CheckoutSettings{DeliveryFee: 4000, UPIID: "chaicorner@okaxis", AcceptUPI: true})
		if err != nil {
			t.Fatal(err)
		}
		if s := must(db.CheckoutSettings(ctx, v.ID)); s.FreeDeliveryAbove != nil || s.AcceptCOD || !s.AcceptUPI || up.FreeDeliveryAbove != nil {
			t.Errorf("settings = %+v, want never free, UPI only", s)
		}
		rec.Take()

		_, err = db.UpdateCheckoutSettings(ctx, v.ID, app.CheckoutSettings{DeliveryFee: -1, AcceptUPI: true})
		ae := wantCode(t, err, app.EINVALID)
		wantFields(t, ae.Fields, map[string]string{
			"delivery_fee": "Enter an amount of ₹0 or more.",
			"upi_id":       "Enter your UPI ID to accept UPI payments.",
		})
		if evs := rec.Take(); len(evs) != 0 {
			t.Errorf("a refused update published %v", evs)
		}
		if s := must(db.CheckoutSettings(ctx, other.ID)); *s != app.DefaultCheckoutSettings() {
			t.Errorf("another shop's settings changed: %+v", s)
		}
		// The vendor row's other columns are untouched.
		if _, err := db.Authenticate(ctx, v.Email, "password123"); err != nil {
			t.Errorf("login after UpdateCheckoutSettings: %v", err)
		}
		_, err = db.CheckoutSettings(ctx, 987654)
		wantCode(t, err, app.ENOTFOUND)
		_, err = db.UpdateCheckoutSettings(ctx, 987654, app.DefaultCheckoutSettings())
		wantCode(t, err, app.ENOTFOUND)
	})
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

func nextNumber(ctx context.Context, db *storage.DB, vendorID int64) (int64, error) {
	var n int64
	err := db.Bun().RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		var err error
		n, err = storage.NextOrderNumber(ctx, tx, vendorID)
		return err
	})
	return n, err
}

// TestNextOrderNumberRace: 40 concurrent orders of one shop get the
// numbers 1–40, once each; a rolled-back order gives its number back, and
// another shop starts at 1.
func TestNextOrderNumberRace(t *testing.T) {
	storagetest.ForEachDialect(t, func(t *testing.T, db *storage.DB) {
		ctx := t.Context()
		v := storagetest.Vendor(t, db, "busy-shop")
		other := storagetest.Vendor(t, db, "new-shop")
		const orders = 40
		var (
			wg    sync.WaitGroup
			start = make(chan struct{})
			got   = make([]int64, orders)
			errs  = make([]error, orders)
		)
		for i := range orders {
			wg.Go(func() {
				<-start
				got[i], errs[i] = nextNumber(ctx, db, v.ID)
			})
		}
		close(start)
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Fatalf("order %d: %v", i, err)
			}
		}
		slices.Sort(got)
		for i, n := range got {
			if n != int64(i+1) {
				t.Fatalf("numbers = %v, want 1…%d once each", got, orders)
			}
		}

		boom := errors.New("order refused")
		err := db.Bun().RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
			if n, err := storage.NextOrderNumber(ctx, tx, v.ID); err != nil || n != orders+1 {
				t.Errorf("number in the refused order = %d, %v; want %d", n, err, orders+1)
			}
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatal(err)
		}
		if n, err := nextNumber(ctx, db, v.ID); err != nil || n != orders+1 {
			t.Errorf("after a rollback: %d, %v; want %d (no gap)", n, err, orders+1)
		}
		if n, err := nextNumber(ctx, db, other.ID); err != nil || n != 1 {
			t.Errorf("another shop's first number = %d, %v; want 1", n, err)
		}
		_, err = nextNumber(ctx, db, 987654)
		wantCode(t, err, app.ENOTFOUND)
	})
}

// TestCheckoutMigrationBackfill: migration 20261204000004 on a database
// that already has orders of two shops numbers them per shop in the order
// they were placed, starts each shop's counter after them, and keeps every
// total as the subtotal of a cash, unpaid order.
func TestCheckoutMigrationBackfill(t *testing.T) {
	storagetest.ForEachDialect(t, func(t *testing.T, db *storage.DB) {
		ctx := t.Context()
		a := storagetest.Vendor(t, db, "shop-a")
		b := storagetest.Vendor(t, db, "shop-b")
		empty := storagetest.Vendor(t, db, "shop-empty")
		if err := db.UndoMigrationsAfter(ctx, "20261124000003"); err != nil {
			t.Fatal(err)
		}
		// Orders as the previous release stored them, interleaved.
		vendors := []int64{a.ID, b.ID, a.ID, a.ID, b.ID}
		ids := make([]int64, len(vendors))
		for i, vid := range vendors {
			err := db.Bun().NewRaw(`INSERT INTO orders (vendor_id, token, order_key, customer_name, phone, address, status, total, created_at, updated_at)
VALUES (?, ?, ?, 'Asha Rao', '+919845012345', '14, 2nd Main, Jayanagar', 'pending', ?, ?, ?) RETURNING id`,
				vid, "tok"+string(rune('a'+i)), "key"+string(rune('a'+i)), 1000*(i+1), a.CreatedAt, a.CreatedAt).Scan(ctx, &ids[i])
			if err != nil {
				t.Fatal(err)
			}
		}
		if err := db.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		wantNumbers := []int64{1, 1, 2, 3, 2}
		for i, id := range ids {
			got, err := db.OrderCheckout(ctx, vendors[i], id)
			if err != nil {
				t.Fatal(err)
			}
			total := app.Paise(1000 * (i + 1))
			want := app.OrderCheckout{Number: wantNumbers[i], Totals: app.Totals{Subtotal: total, Total: total},
				PaymentMode: app.PaymentCOD, PaymentStatus: app.PaymentUnpaid}
			if got != want {
				t.Errorf("order %d = %+v, want %+v", i, got, want)
			}
		}
		for _, tt := range []struct {
			vendorID int64
			want     int64
		}{{a.ID, 4}, {b.ID, 3}, {empty.ID, 1}} {
			if n, err := nextNumber(ctx, db, tt.vendorID); err != nil || n != tt.want {
				t.Errorf("vendor %d next number = %d, %v; want %d", tt.vendorID, n, err, tt.want)
			}
		}
		if s := must(db.CheckoutSettings(ctx, a.ID)); *s != app.DefaultCheckoutSettings() {
			t.Errorf("an existing shop's settings = %+v, want the defaults", s)
		}
		// The unique (vendor_id, number) index holds.
		_, err := db.Bun().NewRaw("UPDATE orders SET number = 1 WHERE id = ?", ids[2]).Exec(ctx)
		if err == nil {
			t.Error("two orders of one shop took number 1")
		}
		// PlaceOrder numbers new orders on from the backfilled counter
		// (nextNumber above took 4), as cash orders by default.
		p := storagetest.Product(t, db, a.ID, "Masala Chai", 12900, 10)
		for i := range 2 {
			o, _, err := db.PlaceOrder(ctx, app.PlaceOrder{VendorID: a.ID, OrderKey: "new" + string(rune('a'+i)),
				Customer: storagetest.Customer(), Lines: []app.OrderLine{{ProductID: p.ID, Qty: 1}}})
			if err != nil {
				t.Fatal(err)
			}
			if got := must(db.OrderCheckout(ctx, a.ID, o.ID)); got.Number != int64(5+i) || got.PaymentMode != app.PaymentCOD || got.PaymentStatus != app.PaymentUnpaid {
				t.Errorf("order placed by PlaceOrder = %+v", got)
			}
		}
	})
}
