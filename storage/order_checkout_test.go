package storage_test

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"

	"dukaan/app"
	"dukaan/storage"
	"dukaan/storage/storagetest"
)

// checkoutShop is a shop with a ₹40 delivery fee waived from ₹500, a ₹200
// minimum order, cash and UPI, and a ₹129 product.
func checkoutShop(t *testing.T, db *storage.DB, slug string) (*app.Vendor, *app.Product) {
	t.Helper()
	v := storagetest.Vendor(t, db, slug)
	free := app.Paise(50000)
	if _, err := db.UpdateCheckoutSettings(t.Context(), v.ID, app.CheckoutSettings{DeliveryFee: 4000, FreeDeliveryAbove: &free,
		MinOrder: 20000, UPIID: "chaicorner@okaxis", AcceptCOD: true, AcceptUPI: true}); err != nil {
		t.Fatal(err)
	}
	return v, storagetest.Product(t, db, v.ID, "Masala Chai", 12900, 100)
}

func orderReq(v *app.Vendor, key string, lines ...app.OrderLine) app.PlaceOrder {
	return app.PlaceOrder{VendorID: v.ID, OrderKey: key, Customer: storagetest.Customer(), Lines: lines, Payment: "cod"}
}

func TestPlaceOrderCheckout(t *testing.T) {
	storagetest.ForEachDialect(t, func(t *testing.T, db *storage.DB) {
		ctx := t.Context()
		v, p := checkoutShop(t, db, "chai-corner")
		if _, err := db.CreateCoupon(ctx, v.ID, app.CouponInput{Code: "chai10", Kind: app.CouponPercent, Value: 10, Active: true}); err != nil {
			t.Fatal(err)
		}
		if _, err := db.CreateCoupon(ctx, v.ID, app.CouponInput{Code: "OLD", Kind: app.CouponFlat, Value: 5000, Active: true, Expires: "2020-01-01"}); err != nil {
			t.Fatal(err)
		}
		for _, tt := range []struct {
			name   string
			qty    int64
			coupon string
			want   app.Totals
		}{
			{"with delivery", 2, "", app.Totals{Subtotal: 25800, Delivery: 4000, Total: 29800}},
			{"free delivery", 4, "", app.Totals{Subtotal: 51600, Total: 51600}},
			// 10% of ₹516 is ₹51.60: ₹464.40 of goods is below ₹500, so
			// the delivery fee is charged again.
			{"coupon and delivery", 4, " chai10 ", app.Totals{Subtotal: 51600, Discount: 5160, Delivery: 4000, Total: 50440}},
		} {
			req := orderReq(v, "key-"+fmt.Sprint(tt.qty)+tt.coupon, app.OrderLine{ProductID: p.ID, Qty: tt.qty})
			req.Coupon = tt.coupon
			o, _, err := db.PlaceOrder(ctx, req)
			if err != nil {
				t.Fatalf("%s: %v", tt.name, err)
			}
			got := must(db.OrderByToken(ctx, v.ID, o.Token))
			for _, o := range []*app.Order{o, got} {
				if o.Totals != tt.want || o.Total != tt.want.Total {
					t.Errorf("%s: totals = %+v (Total %v), want %+v", tt.name, o.Totals, o.Total, tt.want)
				}
			}
			if tt.coupon != "" && got.CouponCode != "CHAI10" {
				t.Errorf("%s: coupon code = %q", tt.name, got.CouponCode)
			}
		}
		for _, c := range must(db.Coupons(ctx, v.ID)) {
			if want := map[string]int64{"CHAI10": 1}[c.Code]; c.Uses != want {
				t.Errorf("%s uses = %d, want %d", c.Code, c.Uses, want)
			}
		}

		before := stockOf(t, db, p.ID)
		orders := countRows(t, db, "orders")
		refuse := func(name string, req app.PlaceOrder, field, msg string) error {
			t.Helper()
			_, _, err := db.PlaceOrder(ctx, req)
			ae := wantCode(t, err, app.EINVALID)
			if ae != nil && ae.Fields[field] != msg {
				t.Errorf("%s: fields = %v, want %s: %q", name, ae.Fields, field, msg)
			}
			if stockOf(t, db, p.ID) != before || countRows(t, db, "orders") != orders {
				t.Errorf("%s: a refused order stored something", name)
			}
			return err
		}
		line := app.OrderLine{ProductID: p.ID, Qty: 2}
		refuse("below minimum", orderReq(v, "r1", app.OrderLine{ProductID: p.ID, Qty: 1}), "lines", "The minimum order is ₹200: add ₹71 more.")
		req := orderReq(v, "r2", line)
		req.Payment = ""
		refuse("no payment", req, "payment", "Choose how you will pay.")
		req = orderReq(v, "r3", line)
		req.Coupon = "NOPE"
		err := refuse("unknown coupon", req, "coupon", `There is no discount code "NOPE" in this shop.`)
		if ce := (*app.CouponError)(nil); !errors.As(err, &ce) || ce.Reason != app.CouponUnknown {
			t.Errorf("unknown coupon: err = %v, want a CouponError", err)
		}
		req = orderReq(v, "r4", line)
		req.Coupon = "old"
		refuse("expired coupon", req, "coupon", "The code OLD has expired.")

		// A price the page showed that is no longer the price.
		req = orderReq(v, "r5", line)
		req.Shown = map[int64]app.Paise{p.ID: 9000}
		err = refuse("price changed", req, app.QtyField(p.ID), "Masala Chai is now ₹129, was ₹90.")
		var refusal *app.OrderRefusal
		if !errors.As(err, &refusal) || len(refusal.PriceChanges()) != 1 || refusal.PriceChanges()[0].Price != 12900 {
			t.Errorf("price changed: err = %#v", err)
		}
		// The shown price right: accepted.
		req.OrderKey, req.Shown = "r6", map[int64]app.Paise{p.ID: 12900}
		if _, _, err := db.PlaceOrder(ctx, req); err != nil {
			t.Errorf("at the shown price: %v", err)
		}
	})
}

func TestPlaceOrderNumbersAndRepeat(t *testing.T) {
	storagetest.ForEachDialect(t, func(t *testing.T, db *storage.DB) {
		ctx := t.Context()
		v, p := checkoutShop(t, db, "chai-corner")
		other, q := checkoutShop(t, db, "other-shop")
		// 40 concurrent orders of one shop: numbers 1–40, once each.
		var (
			mu   sync.Mutex
			nums []int64
			wg   sync.WaitGroup
		)
		for i := range 40 {
			wg.Go(func() {
				req := orderReq(v, fmt.Sprintf("race-%02d", i), app.OrderLine{ProductID: p.ID, Qty: 2})
				req.Customer.Phone = fmt.Sprintf("+9198450%05d", i)
				o, _, err := db.PlaceOrder(ctx, req)
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				nums = append(nums, o.Number)
				mu.Unlock()
			})
		}
		wg.Wait()
		slices.Sort(nums)
		for i, n := range nums {
			if n != int64(i+1) {
				t.Fatalf("numbers = %v, want 1–40 once each", nums)
			}
		}
		// Another shop's first order is #1.
		o, _, err := db.PlaceOrder(ctx, orderReq(other, "first", app.OrderLine{ProductID: q.ID, Qty: 2}))
		if err != nil || o.Number != 1 {
			t.Fatalf("another shop's first order = %v, %v; want #1", o, err)
		}

		// The same phone and lines again without a key of its own: refused
		// with the earlier order, nothing stored; confirmed, it is placed.
		req := orderReq(other, "edge-aaaa", app.OrderLine{ProductID: q.ID, Qty: 2})
		req.CheckRepeat = true
		orders := countRows(t, db, "orders")
		_, _, err = db.PlaceOrder(ctx, req)
		var rep *app.RepeatOrder
		if !errors.As(err, &rep) || rep.Order.ID != o.ID || app.ErrorCode(err) != app.ECONFLICT {
			t.Fatalf("repeat: err = %v, want a RepeatOrder of #1", err)
		}
		if countRows(t, db, "orders") != orders || stockOf(t, db, q.ID) != 98 {
			t.Error("a repeat stored something")
		}
		// Other lines are not a repeat.
		req.Lines = []app.OrderLine{{ProductID: q.ID, Qty: 3}}
		if o2, _, err := db.PlaceOrder(ctx, req); err != nil || o2.Number != 2 {
			t.Errorf("other lines: %v, %v", o2, err)
		}
		req.OrderKey, req.CheckRepeat = "edge-bbbb", false
		if o3, _, err := db.PlaceOrder(ctx, req); err != nil || o3.Number != 3 {
			t.Errorf("confirmed repeat: %v, %v", o3, err)
		}
	})
}

func TestCouponRace(t *testing.T) {
	storagetest.ForEachDialect(t, func(t *testing.T, db *storage.DB) {
		ctx := t.Context()
		v, p := checkoutShop(t, db, "chai-corner")
		c, err := db.CreateCoupon(ctx, v.ID, app.CouponInput{Code: "FIRST3", Kind: app.CouponFlat, Value: 5000, MaxUses: 3, Active: true})
		if err != nil {
			t.Fatal(err)
		}
		var (
			mu             sync.Mutex
			placed, usedUp int
			wg             sync.WaitGroup
		)
		for i := range 20 {
			wg.Go(func() {
				req := orderReq(v, fmt.Sprintf("coupon-%02d", i), app.OrderLine{ProductID: p.ID, Qty: 2})
				req.Coupon, req.Customer.Phone = "first3", fmt.Sprintf("+9198450%05d", i)
				o, _, err := db.PlaceOrder(ctx, req)
				mu.Lock()
				defer mu.Unlock()
				var ce *app.CouponError
				switch {
				case err == nil && o.Totals.Discount == 5000:
					placed++
				case errors.As(err, &ce) && ce.Reason == app.CouponUsedUp:
					usedUp++
				default:
					t.Errorf("order %d: %v, %v", i, o, err)
				}
			})
		}
		wg.Wait()
		if placed != 3 || usedUp != 17 {
			t.Errorf("placed %d, used up %d; want 3 and 17", placed, usedUp)
		}
		if n := countRows(t, db, "orders"); n != 3 {
			t.Errorf("%d orders stored, want 3", n)
		}
		if s := stockOf(t, db, p.ID); s != 94 {
			t.Errorf("stock = %d, want 94", s)
		}
		// Cancelling an order gives its use back.
		list, _ := must2(db.Orders(ctx, app.OrderFilter{VendorID: v.ID}))
		if _, err := db.SetOrderStatus(ctx, v.ID, list[0].ID, app.StatusCancelled); err != nil {
			t.Fatal(err)
		}
		if got := must(db.Coupon(ctx, v.ID, c.ID)); got.Uses != 2 {
			t.Errorf("uses after a cancel = %d, want 2", got.Uses)
		}
		req := orderReq(v, "after-cancel", app.OrderLine{ProductID: p.ID, Qty: 2})
		req.Coupon = "FIRST3"
		if o, _, err := db.PlaceOrder(ctx, req); err != nil || o.Totals.Discount != 5000 {
			t.Errorf("the given-back use: %v, %v", o, err)
		}
	})
}
