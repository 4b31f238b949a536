package storage_test

import (
	"errors"
	"testing"

	"dukaan/app"
	"dukaan/storage"
	"dukaan/storage/storagetest"
)

// TestEvents walks a product through its life and checks that each
// committed change that alters the shop page publishes exactly one event,
// and that changes which alter nothing publish none.
func TestEvents(t *testing.T) {
	storagetest.ForEachDialectEvents(t, func(t *testing.T, db *storage.DB, rec *storagetest.Recorder) {
		ctx := t.Context()
		v := storagetest.Vendor(t, db, "kirana")
		var p *app.Product
		ev := func(kind app.ProductEventKind) app.ProductEvent {
			return app.ProductEvent{Kind: kind, VendorID: v.ID, ProductID: p.ID}
		}
		var sellOut *app.Order
		steps := []struct {
			name string
			do   func(t *testing.T)
			want func() []app.ProductEvent
		}{
			{"create", func(t *testing.T) {
				var err error
				p, err = db.CreateProduct(ctx, v.ID, app.ProductInput{Name: "Pickle", MRP: 25000, Price: 22000, Stock: 5, Available: true})
				if err != nil {
					t.Fatal(err)
				}
			}, func() []app.ProductEvent { return []app.ProductEvent{ev(app.ProductCreated)} }},
			{"update", func(t *testing.T) {
				if _, err := db.UpdateProduct(ctx, v.ID, p.ID, app.ProductInput{Name: "Mango Pickle", MRP: 25000, Price: 21000, Stock: 5, StockWas: ptr[int64](5), Available: true}); err != nil {
					t.Fatal(err)
				}
			}, func() []app.ProductEvent { return []app.ProductEvent{ev(app.ProductUpdated)} }},
			{"update that hides the product moves listings: store-wide", func(t *testing.T) {
				if _, err := db.UpdateProduct(ctx, v.ID, p.ID, app.ProductInput{Name: "Mango Pickle", MRP: 25000, Price: 21000, Stock: 5, StockWas: ptr[int64](5), Available: false}); err != nil {
					t.Fatal(err)
				}
			}, func() []app.ProductEvent { return []app.ProductEvent{ev(app.ProductAvailability)} }},
			{"update that shows it again", func(t *testing.T) {
				if _, err := db.UpdateProduct(ctx, v.ID, p.ID, app.ProductInput{Name: "Mango Pickle", MRP: 25000, Price: 21000, Stock: 5, StockWas: ptr[int64](5), Available: true}); err != nil {
					t.Fatal(err)
				}
			}, func() []app.ProductEvent { return []app.ProductEvent{ev(app.ProductAvailability)} }},
			{"refused update", func(t *testing.T) {
				_, err := db.UpdateProduct(ctx, v.ID, p.ID, app.ProductInput{Name: "x", MRP: 100, Price: 200, Stock: 5})
				wantCode(t, err, app.EINVALID)
			}, func() []app.ProductEvent { return nil }},
			{"switch off", func(t *testing.T) {
				if _, err := db.SetAvailability(ctx, v.ID, p.ID, false); err != nil {
					t.Fatal(err)
				}
			}, func() []app.ProductEvent { return []app.ProductEvent{ev(app.ProductAvailability)} }},
			{"switch off again changes nothing", func(t *testing.T) {
				if _, err := db.SetAvailability(ctx, v.ID, p.ID, false); err != nil {
					t.Fatal(err)
				}
			}, func() []app.ProductEvent { return nil }},
			{"switch on", func(t *testing.T) {
				if _, err := db.SetAvailability(ctx, v.ID, p.ID, true); err != nil {
					t.Fatal(err)
				}
			}, func() []app.ProductEvent { return []app.ProductEvent{ev(app.ProductAvailability)} }},
			{"order leaving stock", func(t *testing.T) {
				if _, _, err := db.PlaceOrder(ctx, order(v.ID, line(p.ID, 2))); err != nil {
					t.Fatal(err)
				}
			}, func() []app.ProductEvent { return nil }},
			{"refused order", func(t *testing.T) {
				_, _, err := db.PlaceOrder(ctx, order(v.ID, line(p.ID, 4)))
				wantCode(t, err, app.EINVALID)
			}, func() []app.ProductEvent { return nil }},
			{"order selling out", func(t *testing.T) {
				var err error
				if sellOut, _, err = db.PlaceOrder(ctx, order(v.ID, line(p.ID, 3))); err != nil {
					t.Fatal(err)
				}
			}, func() []app.ProductEvent { return []app.ProductEvent{ev(app.ProductSoldOut)} }},
			{"confirm changes no page", func(t *testing.T) {
				if _, err := db.SetOrderStatus(ctx, v.ID, sellOut.ID, app.StatusConfirmed); err != nil {
					t.Fatal(err)
				}
			}, func() []app.ProductEvent { return nil }},
			{"cancel restocks", func(t *testing.T) {
				if _, err := db.SetOrderStatus(ctx, v.ID, sellOut.ID, app.StatusCancelled); err != nil {
					t.Fatal(err)
				}
			}, func() []app.ProductEvent { return []app.ProductEvent{ev(app.ProductRestocked)} }},
			{"cancel with stock left does not restock", func(t *testing.T) {
				o, _, err := db.PlaceOrder(ctx, order(v.ID, line(p.ID, 1)))
				if err != nil {
					t.Fatal(err)
				}
				if _, err := db.SetOrderStatus(ctx, v.ID, o.ID, app.StatusCancelled); err != nil {
					t.Fatal(err)
				}
			}, func() []app.ProductEvent { return nil }},
			{"delete", func(t *testing.T) {
				if _, err := db.DeleteProduct(ctx, v.ID, p.ID); err != nil {
					t.Fatal(err)
				}
			}, func() []app.ProductEvent { return []app.ProductEvent{ev(app.ProductDeleted)} }},
		}
		for _, step := range steps {
			t.Run(step.name, func(t *testing.T) {
				rec.Take()
				step.do(t)
				wantEvents(t, rec.Take(), step.want())
			})
		}
	})
}

// TestEventSinkErrors checks that a sink that cannot purge caches never
// turns a committed change into a failed request.
func TestEventSinkErrors(t *testing.T) {
	storagetest.ForEachDialectEvents(t, func(t *testing.T, db *storage.DB, rec *storagetest.Recorder) {
		ctx := t.Context()
		v := storagetest.Vendor(t, db, "kirana")
		rec.FailWith(errors.New("redis is down"))
		p, err := db.CreateProduct(ctx, v.ID, app.ProductInput{Name: "Tea", MRP: 100, Price: 100, Stock: 1, Available: true})
		if err != nil {
			t.Fatalf("CreateProduct with a failing sink: %v", err)
		}
		if _, _, err := db.PlaceOrder(ctx, order(v.ID, line(p.ID, 1))); err != nil {
			t.Fatalf("PlaceOrder with a failing sink: %v", err)
		}
		if got, want := eventKinds(rec.Events()), []app.ProductEventKind{app.ProductCreated, app.ProductSoldOut}; len(got) != len(want) || got[0] != want[0] || got[1] != want[1] {
			t.Errorf("events = %v, want %v", got, want)
		}
		if got := stockOf(t, db, p.ID); got != 0 {
			t.Errorf("stock = %d, want 0", got)
		}
	})
}
