package storage_test

import (
	"testing"

	"dukaan/app"
	"dukaan/storage"
	"dukaan/storage/storagetest"
)

// Every read of a vendor carries its checkout settings: the shop's pages
// render them from the vendor they read.
func TestVendorCarriesCheckout(t *testing.T) {
	storagetest.ForEachDialect(t, func(t *testing.T, db *storage.DB) {
		ctx := t.Context()
		v := storagetest.Vendor(t, db, "chai-corner")
		if v.Checkout != app.DefaultCheckoutSettings() {
			t.Errorf("a new vendor's Checkout = %+v, want the defaults", v.Checkout)
		}
		free := app.Paise(50000)
		if _, err := db.UpdateCheckoutSettings(ctx, v.ID, app.CheckoutSettings{DeliveryFee: 4000, FreeDeliveryAbove: &free,
			MinOrder: 20000, UPIID: "chaicorner@okaxis", AcceptUPI: true}); err != nil {
			t.Fatal(err)
		}
		byID := must(db.VendorByID(ctx, v.ID))
		bySlug := must(db.VendorBySlug(ctx, v.Slug))
		login := must(db.Authenticate(ctx, v.Email, "password123"))
		for name, got := range map[string]*app.Vendor{"VendorByID": byID, "VendorBySlug": bySlug, "Authenticate": login} {
			c := got.Checkout
			if c.DeliveryFee != 4000 || c.FreeDeliveryAbove == nil || *c.FreeDeliveryAbove != free || c.MinOrder != 20000 ||
				c.UPIID != "chaicorner@okaxis" || c.AcceptCOD || !c.AcceptUPI {
				t.Errorf("%s: Checkout = %+v", name, c)
			}
		}
		up := must(db.UpdateStore(ctx, v.ID, app.StoreSettings{Name: "Chai Corner"}))
		if up.Checkout.DeliveryFee != 4000 || !up.Checkout.AcceptUPI {
			t.Errorf("UpdateStore: Checkout = %+v", up.Checkout)
		}
	})
}

// Every read of an order carries its checkout part.
func TestOrderCarriesCheckout(t *testing.T) {
	storagetest.ForEachDialect(t, func(t *testing.T, db *storage.DB) {
		ctx := t.Context()
		v := storagetest.Vendor(t, db, "chai-corner")
		p := storagetest.Product(t, db, v.ID, "Masala Chai", 12900, 10)
		o, _, err := db.PlaceOrder(ctx, app.PlaceOrder{VendorID: v.ID, OrderKey: "k1", Customer: storagetest.Customer(),
			Lines: []app.OrderLine{{ProductID: p.ID, Qty: 2}}})
		if err != nil {
			t.Fatal(err)
		}
		byToken := must(db.OrderByToken(ctx, v.ID, o.Token))
		byID := must(db.Order(ctx, v.ID, o.ID))
		list, _ := must2(db.Orders(ctx, app.OrderFilter{VendorID: v.ID}))
		for name, got := range map[string]*app.Order{"PlaceOrder": o, "OrderByToken": byToken, "Order": byID, "Orders": list[0]} {
			if got.Totals.Subtotal != 25800 || got.Totals.Total != 25800 || got.Total != 25800 ||
				got.PaymentMode != app.PaymentCOD || got.PaymentStatus != app.PaymentUnpaid {
				t.Errorf("%s: checkout = %+v", name, got.OrderCheckout)
			}
		}
	})
}

func must2[T, U any](a T, b U, err error) (T, U) {
	if err != nil {
		panic(err)
	}
	return a, b
}
