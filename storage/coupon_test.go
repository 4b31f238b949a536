package storage_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"dukaan/app"
	"dukaan/storage"
	"dukaan/storage/storagetest"
)

func TestCoupons(t *testing.T) {
	storagetest.ForEachDialect(t, func(t *testing.T, db *storage.DB) {
		ctx := t.Context()
		v := storagetest.Vendor(t, db, "chai-corner")
		other := storagetest.Vendor(t, db, "other-shop")

		c, err := db.CreateCoupon(ctx, v.ID, app.CouponInput{Code: " diwali10 ", Kind: app.CouponPercent, Value: 10,
			MinOrder: 50000, MaxUses: 100, Expires: "2026-12-31", Active: true})
		if err != nil {
			t.Fatal(err)
		}
		want := app.Coupon{ID: c.ID, VendorID: v.ID, Code: "DIWALI10", Kind: app.CouponPercent, Value: 10,
			MinOrder: 50000, MaxUses: 100, Expires: "2026-12-31", Active: true, CreatedAt: c.CreatedAt}
		if c.ID == 0 || c.CreatedAt.IsZero() || *c != want {
			t.Errorf("CreateCoupon = %+v, want %+v", c, want)
		}
		flat, err := db.CreateCoupon(ctx, v.ID, app.CouponInput{Code: "FLAT50", Kind: app.CouponFlat, Value: 5000})
		if err != nil {
			t.Fatal(err)
		}
		if flat.Expires != "" || flat.Active || flat.MaxUses != 0 {
			t.Errorf("flat coupon = %+v, want no expiry, inactive, unlimited", flat)
		}
		// Codes are per shop: another vendor may use the same one.
		if _, err := db.CreateCoupon(ctx, other.ID, app.CouponInput{Code: "DIWALI10", Kind: app.CouponFlat, Value: 100, Active: true}); err != nil {
			t.Fatalf("same code in another shop: %v", err)
		}

		list, err := db.Coupons(ctx, v.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(list) != 2 || list[0].ID != flat.ID || list[1].ID != c.ID {
			t.Fatalf("Coupons = %+v, want FLAT50 then DIWALI10", list)
		}
		got, err := db.Coupon(ctx, v.ID, c.ID)
		if err != nil || *got != *c {
			t.Fatalf("Coupon = %+v, %v; want %+v", got, err, c)
		}

		t.Run("duplicate code", func(t *testing.T) {
			_, err := db.CreateCoupon(ctx, v.ID, app.CouponInput{Code: "Diwali10", Kind: app.CouponFlat, Value: 100})
			ae := wantCode(t, err, app.ECONFLICT)
			wantFields(t, ae.Fields, map[string]string{"code": "This shop already has the code DIWALI10."})
			_, err = db.UpdateCoupon(ctx, v.ID, flat.ID, app.CouponInput{Code: "diwali10", Kind: app.CouponFlat, Value: 100})
			ae = wantCode(t, err, app.ECONFLICT)
			wantFields(t, ae.Fields, map[string]string{"code": "This shop already has the code DIWALI10."})
		})
		t.Run("validation", func(t *testing.T) {
			_, err := db.CreateCoupon(ctx, v.ID, app.CouponInput{Code: "x y", Kind: app.CouponPercent, Value: 95})
			ae := wantCode(t, err, app.EINVALID)
			wantFields(t, ae.Fields, map[string]string{
				"code":  "Use 3 to 20 letters A–Z and digits 0–9, without spaces.",
				"value": "Enter a whole percent from 1 to 90.",
			})
			_, err = db.UpdateCoupon(ctx, v.ID, c.ID, app.CouponInput{Code: "DIWALI10", Kind: "bogo"})
			wantCode(t, err, app.EINVALID)
		})
		t.Run("another vendor's id is not found", func(t *testing.T) {
			_, err := db.Coupon(ctx, other.ID, c.ID)
			wantCode(t, err, app.ENOTFOUND)
			_, err = db.UpdateCoupon(ctx, other.ID, c.ID, app.CouponInput{Code: "STOLEN", Kind: app.CouponFlat, Value: 1})
			wantCode(t, err, app.ENOTFOUND)
			wantCode(t, db.DeleteCoupon(ctx, other.ID, c.ID), app.ENOTFOUND)
			if got, _ := db.Coupon(ctx, v.ID, c.ID); got == nil || *got != *c {
				t.Errorf("coupon changed by another vendor: %+v", got)
			}
		})

		up, err := db.UpdateCoupon(ctx, v.ID, c.ID, app.CouponInput{Code: "diwali15", Kind: app.CouponFlat, Value: 7500,
			MinOrder: 0, MaxUses: 0, Expires: "", Active: false})
		if err != nil {
			t.Fatal(err)
		}
		want = app.Coupon{ID: c.ID, VendorID: v.ID, Code: "DIWALI15", Kind: app.CouponFlat, Value: 7500, CreatedAt: c.CreatedAt}
		if *up != want {
			t.Errorf("UpdateCoupon = %+v, want %+v", up, want)
		}
		if got, _ := db.Coupon(ctx, v.ID, c.ID); got == nil || *got != want {
			t.Errorf("stored %+v, want %+v", got, want)
		}

		if err := db.DeleteCoupon(ctx, v.ID, c.ID); err != nil {
			t.Fatal(err)
		}
		_, err = db.Coupon(ctx, v.ID, c.ID)
		wantCode(t, err, app.ENOTFOUND)
		wantCode(t, db.DeleteCoupon(ctx, v.ID, c.ID), app.ENOTFOUND)
		_, err = db.CreateCoupon(ctx, 987654, app.CouponInput{Code: "GHOST", Kind: app.CouponFlat, Value: 1})
		wantCode(t, err, app.ENOTFOUND)
	})
}

// redeem runs redeemCoupon in a transaction of its own, as the order's
// transaction will.
func redeem(ctx context.Context, db *storage.DB, vendorID int64, code string, subtotal app.Paise, now time.Time) (*app.Coupon, error) {
	var c *app.Coupon
	err := db.Bun().RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		var err error
		c, err = storage.RedeemCoupon(ctx, tx, vendorID, code, subtotal, now)
		return err
	})
	return c, err
}

func release(tb testing.TB, db *storage.DB, vendorID int64, code string) {
	tb.Helper()
	err := db.Bun().RunInTx(context.Background(), nil, func(ctx context.Context, tx bun.Tx) error {
		return storage.ReleaseCoupon(ctx, tx, vendorID, code)
	})
	if err != nil {
		tb.Fatalf("release %s: %v", code, err)
	}
}

func wantReason(tb testing.TB, err error, want app.CouponReason) *app.CouponError {
	tb.Helper()
	var ce *app.CouponError
	if !errors.As(err, &ce) || ce.Reason != want {
		tb.Fatalf("err = %v, want coupon refused as %v", err, want)
	}
	if app.ErrorCode(err) != app.EINVALID || app.ErrorFields(err)["coupon"] != ce.Message() {
		tb.Fatalf("err = %v (%s, %v), want EINVALID with the message on coupon", err, app.ErrorCode(err), app.ErrorFields(err))
	}
	return ce
}

func usesOf(tb testing.TB, db *storage.DB, vendorID, id int64) int64 {
	tb.Helper()
	c, err := db.Coupon(context.Background(), vendorID, id)
	if err != nil {
		tb.Fatal(err)
	}
	return c.Uses
}

func TestRedeemCoupon(t *testing.T) {
	ist := time.FixedZone("Asia/Kolkata", 5*3600+1800)
	// 23:59 on the last day in India is 18:29 UTC; a minute later it is
	// the next day in India but still the same day in UTC.
	lastMinute := time.Date(2026, 12, 31, 23, 59, 0, 0, ist)
	nextDay := lastMinute.Add(time.Minute)
	storagetest.ForEachDialect(t, func(t *testing.T, db *storage.DB) {
		ctx := t.Context()
		v := storagetest.Vendor(t, db, "chai-corner")
		other := storagetest.Vendor(t, db, "other-shop")
		mk := func(in app.CouponInput) *app.Coupon {
			t.Helper()
			c, err := db.CreateCoupon(ctx, v.ID, in)
			if err != nil {
				t.Fatal(err)
			}
			return c
		}
		c := mk(app.CouponInput{Code: "NEWYEAR", Kind: app.CouponPercent, Value: 10, MinOrder: 50000,
			MaxUses: 2, Expires: "2026-12-31", Active: true})
		mk(app.CouponInput{Code: "SLEEPY", Kind: app.CouponFlat, Value: 100, Active: false})

		got, err := redeem(ctx, db, v.ID, " newyear ", 50000, lastMinute)
		if err != nil {
			t.Fatal(err)
		}
		if got.ID != c.ID || got.Uses != 1 || got.Discount(50000) != 5000 {
			t.Errorf("redeemed %+v, want NEWYEAR with 1 use", got)
		}

		tests := []struct {
			name     string
			vendorID int64
			code     string
			subtotal app.Paise
			now      time.Time
			want     app.CouponReason
			msg      string
		}{
			{"unknown", v.ID, "NOSUCH", 50000, lastMinute, app.CouponUnknown, `There is no discount code "NOSUCH" in this shop.`},
			{"malformed", v.ID, " 10% off ", 50000, lastMinute, app.CouponUnknown, `There is no discount code "10% off" in this shop.`},
			{"another shop's", other.ID, "NEWYEAR", 50000, lastMinute, app.CouponUnknown, `There is no discount code "NEWYEAR" in this shop.`},
			{"inactive", v.ID, "sleepy", 50000, lastMinute, app.CouponInactive, "The code SLEEPY is not active right now."},
			{"expired in the shop's zone", v.ID, "NEWYEAR", 50000, nextDay, app.CouponExpired, "The code NEWYEAR has expired."},
			{"below minimum", v.ID, "NEWYEAR", 42050, lastMinute, app.CouponBelowMinimum, "The code NEWYEAR needs an order of ₹500: add ₹79.50 more."},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				_, err := redeem(ctx, db, tt.vendorID, tt.code, tt.subtotal, tt.now)
				if ce := wantReason(t, err, tt.want); ce.Message() != tt.msg {
					t.Errorf("message %q, want %q", ce.Message(), tt.msg)
				}
				if n := usesOf(t, db, v.ID, c.ID); n != 1 {
					t.Errorf("a refusal changed uses to %d", n)
				}
			})
		}

		if _, err := redeem(ctx, db, v.ID, "NEWYEAR", 60000, lastMinute); err != nil {
			t.Fatal(err)
		}
		_, err = redeem(ctx, db, v.ID, "NEWYEAR", 60000, lastMinute)
		wantReason(t, err, app.CouponUsedUp)

		// A cancelled order gives its use back, once per order; uses never
		// go below zero.
		release(t, db, v.ID, "NEWYEAR")
		if n := usesOf(t, db, v.ID, c.ID); n != 1 {
			t.Fatalf("uses after release = %d, want 1", n)
		}
		if _, err := redeem(ctx, db, v.ID, "NEWYEAR", 60000, lastMinute); err != nil {
			t.Fatalf("redeem after release: %v", err)
		}
		release(t, db, v.ID, "NEWYEAR")
		release(t, db, v.ID, "NEWYEAR")
		release(t, db, v.ID, "NEWYEAR")
		if n := usesOf(t, db, v.ID, c.ID); n != 0 {
			t.Errorf("uses after releasing more than taken = %d, want 0", n)
		}
		release(t, db, v.ID, "")        // an order without a coupon
		release(t, db, v.ID, "DELETED") // a coupon since deleted
		release(t, db, other.ID, "NEWYEAR")
		if n := usesOf(t, db, v.ID, c.ID); n != 0 {
			t.Errorf("another shop's release changed uses to %d", n)
		}

		// A use taken in a transaction that rolls back is not taken.
		boom := errors.New("order refused later")
		err = db.Bun().RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
			if _, err := storage.RedeemCoupon(ctx, tx, v.ID, "NEWYEAR", 60000, lastMinute); err != nil {
				return err
			}
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatalf("rolled back transaction: %v", err)
		}
		if n := usesOf(t, db, v.ID, c.ID); n != 0 {
			t.Errorf("uses after rollback = %d, want 0", n)
		}
	})
}

// TestRedeemCouponRace: 20 customers race for a coupon with max_uses=3;
// exactly 3 get it and the others are told it is used up. Each holds its
// transaction open a moment after taking the use, as an order that still
// inserts its lines does, so the transactions overlap.
func TestRedeemCouponRace(t *testing.T) {
	storagetest.ForEachDialect(t, func(t *testing.T, db *storage.DB) {
		ctx := t.Context()
		v := storagetest.Vendor(t, db, "flash-sale")
		c, err := db.CreateCoupon(ctx, v.ID, app.CouponInput{Code: "FIRST3", Kind: app.CouponFlat, Value: 5000, MaxUses: 3, Active: true})
		if err != nil {
			t.Fatal(err)
		}
		const customers = 20
		var (
			wg     sync.WaitGroup
			start  = make(chan struct{})
			errs   = make([]error, customers)
			nowIST = time.Now()
		)
		for i := range customers {
			wg.Go(func() {
				<-start
				errs[i] = db.Bun().RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
					if _, err := storage.RedeemCoupon(ctx, tx, v.ID, "first3", 60000, nowIST); err != nil {
						return err
					}
					time.Sleep(5 * time.Millisecond)
					return nil
				})
			})
		}
		close(start)
		wg.Wait()
		won := 0
		for i, err := range errs {
			var ce *app.CouponError
			switch {
			case err == nil:
				won++
			case errors.As(err, &ce) && ce.Reason == app.CouponUsedUp:
			default:
				t.Errorf("customer %d: %v, want the coupon or used up", i, err)
			}
		}
		if won != 3 {
			t.Errorf("%d customers got the coupon, want 3", won)
		}
		if n := usesOf(t, db, v.ID, c.ID); n != 3 {
			t.Errorf("uses = %d, want 3", n)
		}
	})
}
