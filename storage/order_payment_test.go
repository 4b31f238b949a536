package storage_test

import (
	"context"
	"slices"
	"testing"

	"dukaan/app"
	"dukaan/storage"
	"dukaan/storage/storagetest"
)

// numbered places an order for the vendor for each mode, paid by it, in a
// shop that takes cash and UPI, and checks that PlaceOrder numbered them
// 1…n in the order placed (the vendor must have no orders yet).
func numbered(tb testing.TB, db *storage.DB, vendorID, productID int64, modes ...app.PaymentMode) []*app.Order {
	tb.Helper()
	ctx := context.Background()
	if _, err := db.UpdateCheckoutSettings(ctx, vendorID, app.CheckoutSettings{UPIID: "shop@okaxis", AcceptCOD: true, AcceptUPI: true}); err != nil {
		tb.Fatal(err)
	}
	var out []*app.Order
	for i, mode := range modes {
		in := order(vendorID, app.OrderLine{ProductID: productID, Qty: 1})
		in.Payment = string(mode)
		o, _, err := db.PlaceOrder(ctx, in)
		if err != nil {
			tb.Fatal(err)
		}
		got := must(db.Order(ctx, vendorID, o.ID))
		if got.Number != int64(i+1) || got.PaymentMode != mode || got.PaymentStatus != app.PaymentUnpaid {
			tb.Fatalf("order %d placed: number %d, %s %s; want number %d, %s unpaid", i, got.Number, got.PaymentMode, got.PaymentStatus, i+1, mode)
		}
		out = append(out, got)
	}
	return out
}

func orderIDs(os []*app.Order) []int64 {
	out := make([]int64, len(os))
	for i, o := range os {
		out[i] = o.ID
	}
	return out
}

func TestSetPaymentStatus(t *testing.T) {
	storagetest.ForEachDialect(t, func(t *testing.T, db *storage.DB) {
		ctx := t.Context()
		v := storagetest.Vendor(t, db, "chai-corner")
		other := storagetest.Vendor(t, db, "other-shop")
		p := storagetest.Product(t, db, v.ID, "Masala Chai", 12900, 100)
		os := numbered(t, db, v.ID, p.ID, app.PaymentUPI, app.PaymentCOD)
		if os[0].PaymentStatus != app.PaymentUnpaid || os[0].PaymentMode != app.PaymentUPI {
			t.Fatalf("new order: %s %s, want unpaid upi", os[0].PaymentMode, os[0].PaymentStatus)
		}

		got, err := db.SetPaymentStatus(ctx, v.ID, os[0].ID, app.PaymentPaid)
		if err != nil {
			t.Fatal(err)
		}
		if got.PaymentStatus != app.PaymentPaid || got.Number != 1 || len(got.Items) != 1 || got.Status != app.StatusPending {
			t.Errorf("marked order = %+v", got)
		}
		if s := must(db.Order(ctx, v.ID, os[0].ID)); s.PaymentStatus != app.PaymentPaid {
			t.Errorf("stored payment status %s", s.PaymentStatus)
		}
		if s := must(db.Order(ctx, v.ID, os[1].ID)); s.PaymentStatus != app.PaymentUnpaid {
			t.Errorf("another order was marked: %s", s.PaymentStatus)
		}
		if got, err = db.SetPaymentStatus(ctx, v.ID, os[0].ID, app.PaymentUnpaid); err != nil || got.PaymentStatus != app.PaymentUnpaid {
			t.Errorf("back to unpaid: %v, %+v", err, got)
		}

		_, err = db.SetPaymentStatus(ctx, other.ID, os[0].ID, app.PaymentPaid)
		wantCode(t, err, app.ENOTFOUND)
		if s := must(db.Order(ctx, v.ID, os[0].ID)); s.PaymentStatus != app.PaymentUnpaid {
			t.Errorf("another vendor marked the order: %s", s.PaymentStatus)
		}
		_, err = db.SetPaymentStatus(ctx, v.ID, os[0].ID, "refunded")
		wantCode(t, err, app.EINVALID)
		_, err = db.SetPaymentStatus(ctx, v.ID, 987654, app.PaymentPaid)
		wantCode(t, err, app.ENOTFOUND)
	})
}

func TestOrderFilterNumberAndPayment(t *testing.T) {
	storagetest.ForEachDialect(t, func(t *testing.T, db *storage.DB) {
		ctx := t.Context()
		v := storagetest.Vendor(t, db, "chai-corner")
		other := storagetest.Vendor(t, db, "other-shop")
		p := storagetest.Product(t, db, v.ID, "Masala Chai", 12900, 100)
		op := storagetest.Product(t, db, other.ID, "Other", 100, 100)
		os := numbered(t, db, v.ID, p.ID, app.PaymentUPI, app.PaymentCOD, app.PaymentUPI, app.PaymentUPI)
		theirs := numbered(t, db, other.ID, op.ID, app.PaymentUPI, app.PaymentUPI)
		if _, err := db.SetPaymentStatus(ctx, v.ID, os[2].ID, app.PaymentPaid); err != nil {
			t.Fatal(err)
		}

		list := func(f app.OrderFilter) []int64 {
			t.Helper()
			got, n, err := db.Orders(ctx, f)
			if err != nil {
				t.Fatal(err)
			}
			if n != len(got) {
				t.Errorf("count %d, listed %d", n, len(got))
			}
			var each []*app.Order
			if err := db.EachOrder(ctx, f, func(o *app.Order) error { each = append(each, o); return nil }); err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(orderIDs(each), orderIDs(got)) {
				t.Errorf("EachOrder %v, Orders %v", orderIDs(each), orderIDs(got))
			}
			return orderIDs(got)
		}
		if got := list(app.OrderFilter{VendorID: v.ID, Number: 2}); !slices.Equal(got, []int64{os[1].ID}) {
			t.Errorf("number 2: %v, want %d", got, os[1].ID)
		}
		if got := list(app.OrderFilter{VendorID: v.ID, Number: 9}); len(got) != 0 {
			t.Errorf("number 9: %v, want none", got)
		}
		if got := list(app.OrderFilter{VendorID: other.ID, Number: 1}); !slices.Equal(got, []int64{theirs[0].ID}) {
			t.Errorf("the other shop's number 1: %v", got)
		}
		unpaidUPI := app.OrderFilter{VendorID: v.ID, PaymentMode: app.PaymentUPI, PaymentStatus: app.PaymentUnpaid}
		if got := list(unpaidUPI); !slices.Equal(got, []int64{os[3].ID, os[0].ID}) {
			t.Errorf("unpaid UPI: %v, want %v", got, []int64{os[3].ID, os[0].ID})
		}
		unpaidUPI.Status = app.StatusCancelled
		if got := list(unpaidUPI); len(got) != 0 {
			t.Errorf("cancelled unpaid UPI: %v, want none", got)
		}
		for _, f := range []app.OrderFilter{{VendorID: v.ID, PaymentMode: "card"}, {VendorID: v.ID, PaymentStatus: "due"}} {
			if _, _, err := db.Orders(ctx, f); app.ErrorCode(err) != app.EINVALID {
				t.Errorf("filter %+v: %v, want EINVALID", f, err)
			}
		}
	})
}
