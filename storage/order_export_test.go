package storage_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"dukaan/app"
	"dukaan/storage"
	"dukaan/storage/storagetest"
)

// setCreatedAt backdates an order, as if it had been placed at t.
func setCreatedAt(tb testing.TB, db *storage.DB, orderID int64, t time.Time) {
	tb.Helper()
	if _, err := db.Bun().NewUpdate().Table("orders").Set("created_at = ?", t.UTC()).
		Where("id = ?", orderID).Exec(context.Background()); err != nil {
		tb.Fatalf("backdate order %d: %v", orderID, err)
	}
}

func TestEachOrder(t *testing.T) {
	storagetest.ForEachDialect(t, func(t *testing.T, db *storage.DB) {
		ctx := t.Context()
		v := storagetest.Vendor(t, db, "kirana")
		other := storagetest.Vendor(t, db, "other")
		tea := storagetest.Product(t, db, v.ID, "Tea", 15050, 1000)
		gur := storagetest.Product(t, db, v.ID, "Gur", 9900, 1000)
		theirs := storagetest.Product(t, db, other.ID, "Theirs", 100, 100)
		var want []int64 // newest first
		for i := range 7 {
			lines := []app.OrderLine{{ProductID: tea.ID, Qty: int64(i + 1)}}
			if i%2 == 0 {
				lines = append(lines, app.OrderLine{ProductID: gur.ID, Qty: 2})
			}
			o, _, err := db.PlaceOrder(ctx, order(v.ID, lines...))
			if err != nil {
				t.Fatal(err)
			}
			want = append([]int64{o.ID}, want...)
			if _, _, err := db.PlaceOrder(ctx, order(other.ID, app.OrderLine{ProductID: theirs.ID, Qty: 1})); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := db.SetOrderStatus(ctx, v.ID, want[1], app.StatusCancelled); err != nil {
			t.Fatal(err)
		}
		if _, err := db.SetOrderStatus(ctx, v.ID, want[4], app.StatusCancelled); err != nil {
			t.Fatal(err)
		}

		collect := func(t *testing.T, f app.OrderFilter) []*app.Order {
			t.Helper()
			var got []*app.Order
			if err := db.EachOrder(ctx, f, func(o *app.Order) error { got = append(got, o); return nil }); err != nil {
				t.Fatalf("EachOrder(%+v): %v", f, err)
			}
			return got
		}
		ids := func(os []*app.Order) []int64 {
			var out []int64
			for _, o := range os {
				out = append(out, o.ID)
			}
			return out
		}

		// Page sizes below, at and above the count: the pages join up
		// with no order lost or repeated.
		for _, limit := range []int{1, 3, 7, 0} {
			got := collect(t, app.OrderFilter{VendorID: v.ID, Limit: limit})
			if !slices.Equal(ids(got), want) {
				t.Fatalf("limit %d: ids %v, want %v", limit, ids(got), want)
			}
			for _, o := range got {
				full, err := db.Order(ctx, v.ID, o.ID)
				if err != nil {
					t.Fatal(err)
				}
				if !slices.Equal(o.Items, full.Items) {
					t.Errorf("order %d items = %+v, want %+v", o.ID, o.Items, full.Items)
				}
				if o.Total != full.Total || o.Status != full.Status || o.Customer != full.Customer || !o.CreatedAt.Equal(full.CreatedAt) {
					t.Errorf("order %d = %+v, want %+v", o.ID, o, full)
				}
			}
		}
		got := collect(t, app.OrderFilter{VendorID: v.ID, Status: app.StatusCancelled, Limit: 1})
		if want := []int64{want[1], want[4]}; !slices.Equal(ids(got), want) {
			t.Errorf("cancelled: ids %v, want %v", ids(got), want)
		}
		if got := collect(t, app.OrderFilter{VendorID: v.ID, Status: app.StatusShipped}); len(got) != 0 {
			t.Errorf("shipped: %d orders, want 0", len(got))
		}

		stop := errors.New("stop")
		n := 0
		err := db.EachOrder(ctx, app.OrderFilter{VendorID: v.ID, Limit: 2}, func(*app.Order) error {
			n++
			if n == 3 {
				return stop
			}
			return nil
		})
		if !errors.Is(err, stop) || n != 3 {
			t.Errorf("fn error: err %v after %d orders, want %v after 3", err, n, stop)
		}
		wantCode(t, db.EachOrder(ctx, app.OrderFilter{VendorID: v.ID, Status: "lost"}, func(*app.Order) error { return nil }), app.EINVALID)
	})
}

func TestOrderStatsToday(t *testing.T) {
	ist, err := time.LoadLocation("Asia/Kolkata")
	if err != nil {
		t.Fatal(err)
	}
	day := time.Date(2026, 3, 14, 0, 0, 0, 0, ist) // 2026-03-13 18:30 UTC
	next := day.AddDate(0, 0, 1)
	storagetest.ForEachDialect(t, func(t *testing.T, db *storage.DB) {
		ctx := t.Context()
		v := storagetest.Vendor(t, db, "kirana")
		other := storagetest.Vendor(t, db, "other")
		p := storagetest.Product(t, db, v.ID, "Tea", 12345, 1000)
		q := storagetest.Product(t, db, other.ID, "Theirs", 100, 100)
		place := func(vendorID, productID, qty int64, at time.Time) *app.Order {
			t.Helper()
			o, _, err := db.PlaceOrder(ctx, order(vendorID, app.OrderLine{ProductID: productID, Qty: qty}))
			if err != nil {
				t.Fatal(err)
			}
			setCreatedAt(t, db, o.ID, at)
			return o
		}
		place(v.ID, p.ID, 1, day.Add(-time.Minute))                        // 23:59 IST yesterday
		place(v.ID, p.ID, 1, day.Add(-time.Microsecond))                   // 23:59:59.999999 yesterday
		place(v.ID, p.ID, 2, day)                                          // 00:00:00 today
		place(v.ID, p.ID, 3, day.Add(time.Minute))                         // 00:01 IST today
		place(v.ID, p.ID, 4, day.Add(90*time.Second+500*time.Millisecond)) // a fraction of a second
		cancelled := place(v.ID, p.ID, 5, day.Add(10*time.Hour))           // cancelled: counted, not summed
		place(v.ID, p.ID, 6, next.Add(-time.Microsecond))                  // 23:59:59.999999 today
		place(v.ID, p.ID, 7, next)                                         // tomorrow
		place(other.ID, q.ID, 1, day.Add(time.Hour))                       // another vendor
		if _, err := db.SetOrderStatus(ctx, v.ID, cancelled.ID, app.StatusCancelled); err != nil {
			t.Fatal(err)
		}

		got, err := db.OrderStats(ctx, v.ID, day, next)
		if err != nil {
			t.Fatal(err)
		}
		want := app.OrderStats{Orders: 5, Cancelled: 1, Revenue: app.Paise((2 + 3 + 4 + 6) * 12345)}
		if got != want {
			t.Errorf("today: %+v, want %+v", got, want)
		}
		// The same instants asked for in UTC give the same answer.
		if got2, err := db.OrderStats(ctx, v.ID, day.UTC(), next.UTC()); err != nil || got2 != want {
			t.Errorf("in UTC: %+v, %v; want %+v", got2, err, want)
		}
		yesterday, err := db.OrderStats(ctx, v.ID, day.AddDate(0, 0, -1), day)
		if err != nil {
			t.Fatal(err)
		}
		if want := (app.OrderStats{Orders: 2, Revenue: 2 * 12345}); yesterday != want {
			t.Errorf("yesterday: %+v, want %+v", yesterday, want)
		}
		empty, err := db.OrderStats(ctx, v.ID, day.AddDate(0, 0, 5), day.AddDate(0, 0, 6))
		if err != nil || empty != (app.OrderStats{}) {
			t.Errorf("a day without orders: %+v, %v", empty, err)
		}
	})
}
