package storage_test

import (
	"testing"

	"dukaan/app"
	"dukaan/storage"
	"dukaan/storage/storagetest"
)

func TestUpdateSettings(t *testing.T) {
	storagetest.ForEachDialectEvents(t, func(t *testing.T, db *storage.DB, rec *storagetest.Recorder) {
		ctx := t.Context()
		v := storagetest.Vendor(t, db, "chai-corner")
		other := storagetest.Vendor(t, db, "other-shop")
		rec.Take()

		free := app.Paise(50000)
		co := app.CheckoutSettings{DeliveryFee: 3000, FreeDeliveryAbove: &free, MinOrder: 10000, UPIID: "chaicorner@okaxis", AcceptCOD: true, AcceptUPI: true}
		got, cs, err := db.UpdateSettings(ctx, v.ID, app.StoreSettings{Name: " Chai  Corner ", WhatsApp: "98765 43210"}, &co)
		if err != nil {
			t.Fatal(err)
		}
		if got.Name != "Chai Corner" || got.WhatsApp != "+919876543210" || got.Checkout.DeliveryFee != 3000 {
			t.Errorf("vendor = %+v", got)
		}
		if cs.DeliveryFee != 3000 || cs.FreeDeliveryAbove == nil || *cs.FreeDeliveryAbove != free || cs.MinOrder != 10000 || !cs.AcceptUPI || !cs.AcceptCOD {
			t.Errorf("checkout = %+v", cs)
		}
		if s := must(db.CheckoutSettings(ctx, v.ID)); *s.FreeDeliveryAbove != free || s.UPIID != "chaicorner@okaxis" {
			t.Errorf("stored checkout = %+v", s)
		}
		wantEvents(t, rec.Take(), []app.ProductEvent{{Kind: app.StoreUpdated, VendorID: v.ID}})

		// nil checkout: the details change, the checkout settings stay.
		got, cs, err = db.UpdateSettings(ctx, v.ID, app.StoreSettings{Name: "Chai Corner 2"}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if got.Name != "Chai Corner 2" || got.WhatsApp != "" || cs.DeliveryFee != 3000 || !cs.AcceptUPI {
			t.Errorf("after a details-only save: %+v, %+v", got, cs)
		}
		wantEvents(t, rec.Take(), []app.ProductEvent{{Kind: app.StoreUpdated, VendorID: v.ID}})

		// A refusal in either half saves neither, and names both halves' fields.
		bad := app.CheckoutSettings{DeliveryFee: 100, AcceptUPI: true}
		_, _, err = db.UpdateSettings(ctx, v.ID, app.StoreSettings{Name: "New name", WhatsApp: "555"}, &bad)
		ae := wantCode(t, err, app.EINVALID)
		if ae.Fields["whatsapp"] == "" || ae.Fields["upi_id"] == "" || len(ae.Fields) != 2 {
			t.Errorf("fields = %v, want whatsapp and upi_id", ae.Fields)
		}
		_, _, err = db.UpdateSettings(ctx, v.ID, app.StoreSettings{Name: "New name"}, &bad)
		wantCode(t, err, app.EINVALID)
		if s, _ := db.VendorByID(ctx, v.ID); s.Name != "Chai Corner 2" {
			t.Errorf("a refused checkout half saved the name: %q", s.Name)
		}
		if s := must(db.CheckoutSettings(ctx, v.ID)); s.DeliveryFee != 3000 || !s.AcceptCOD {
			t.Errorf("a refused save changed the checkout settings: %+v", s)
		}
		if evs := rec.Take(); len(evs) != 0 {
			t.Errorf("a refused save published %v", evs)
		}
		if s := must(db.CheckoutSettings(ctx, other.ID)); *s != app.DefaultCheckoutSettings() {
			t.Errorf("another shop's checkout changed: %+v", s)
		}
		_, _, err = db.UpdateSettings(ctx, 987654, app.StoreSettings{Name: "Ghost"}, &co)
		wantCode(t, err, app.ENOTFOUND)
	})
}
