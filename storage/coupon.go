package storage

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"dukaan/app"
)

var _ app.CouponService = (*DB)(nil)

var uniqueCouponCode = constraint{"coupons_vendor_code_key", "coupons.vendor_id, coupons.code"}

func errCouponNotFound() error { return app.Errorf(app.ENOTFOUND, "Coupon not found.") }

type couponModel struct {
	bun.BaseModel `bun:"table:coupons,alias:c"`

	ID       int64  `bun:"id,pk,autoincrement"`
	VendorID int64  `bun:"vendor_id"`
	Code     string `bun:"code"`
	Kind     string `bun:"kind"`
	Value    int64  `bun:"value"`
	MinOrder int64  `bun:"min_order"`
	MaxUses  int64  `bun:"max_uses"`
	Uses     int64  `bun:"uses"`
	// ExpiresOn is NULL for never; nullzero maps "" to NULL on insert and
	// bun scans NULL back as "".
	ExpiresOn string    `bun:"expires_on,nullzero"`
	Active    bool      `bun:"active"`
	CreatedAt time.Time `bun:"created_at"`
}

func (m *couponModel) toApp() *app.Coupon {
	return &app.Coupon{
		ID:        m.ID,
		VendorID:  m.VendorID,
		Code:      m.Code,
		Kind:      app.CouponKind(m.Kind),
		Value:     m.Value,
		MinOrder:  app.Paise(m.MinOrder),
		MaxUses:   m.MaxUses,
		Uses:      m.Uses,
		Expires:   m.ExpiresOn,
		Active:    m.Active,
		CreatedAt: m.CreatedAt.UTC(),
	}
}

// nullDate is a civil date for a query argument: NULL for "never".
func nullDate(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// couponConflict is the form error for a code the shop already has.
func couponConflict(code string) error {
	msg := "This shop already has the code " + code + "."
	return &app.Error{Code: app.ECONFLICT, Message: msg, Fields: map[string]string{"code": msg}}
}

// Coupons lists the vendor's coupons, newest first, with their uses.
func (d *DB) Coupons(ctx context.Context, vendorID int64) ([]*app.Coupon, error) {
	var ms []couponModel
	if err := d.db.NewSelect().Model(&ms).Where("vendor_id = ?", vendorID).OrderExpr("id DESC").Scan(ctx); err != nil {
		return nil, wrap("Coupons", err)
	}
	out := make([]*app.Coupon, len(ms))
	for i := range ms {
		out[i] = ms[i].toApp()
	}
	return out, nil
}

// Coupon returns one of the vendor's coupons.
func (d *DB) Coupon(ctx context.Context, vendorID, id int64) (*app.Coupon, error) {
	var m couponModel
	err := d.db.NewSelect().Model(&m).Where("id = ?", id).Where("vendor_id = ?", vendorID).Limit(1).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errCouponNotFound()
	} else if err != nil {
		return nil, wrap("Coupon", err)
	}
	return m.toApp(), nil
}

// CreateCoupon validates and stores a new coupon with no uses.
func (d *DB) CreateCoupon(ctx context.Context, vendorID int64, in app.CouponInput) (*app.Coupon, error) {
	if fields := in.Validate(); len(fields) > 0 {
		return nil, app.Invalid("Please correct the highlighted fields.", fields)
	}
	m := &couponModel{
		VendorID:  vendorID,
		Code:      in.Code,
		Kind:      string(in.Kind),
		Value:     in.Value,
		MinOrder:  int64(in.MinOrder),
		MaxUses:   in.MaxUses,
		ExpiresOn: in.Expires,
		Active:    in.Active,
		CreatedAt: now(),
	}
	_, err := d.db.NewInsert().Model(m).Returning("id").Exec(ctx)
	switch {
	case isUniqueViolation(err, uniqueCouponCode):
		return nil, couponConflict(in.Code)
	case isForeignKeyViolation(err):
		return nil, app.Errorf(app.ENOTFOUND, "Store not found.")
	case err != nil:
		return nil, wrap("CreateCoupon", err)
	}
	return m.toApp(), nil
}

// UpdateCoupon changes one of the vendor's coupons, leaving its uses.
func (d *DB) UpdateCoupon(ctx context.Context, vendorID, id int64, in app.CouponInput) (*app.Coupon, error) {
	if fields := in.Validate(); len(fields) > 0 {
		return nil, app.Invalid("Please correct the highlighted fields.", fields)
	}
	var m couponModel
	err := d.db.NewUpdate().Model((*couponModel)(nil)).
		Set("code = ?", in.Code).
		Set("kind = ?", string(in.Kind)).
		Set("value = ?", in.Value).
		Set("min_order = ?", int64(in.MinOrder)).
		Set("max_uses = ?", in.MaxUses).
		Set("expires_on = ?", nullDate(in.Expires)).
		Set("active = ?", in.Active).
		Where("id = ?", id).
		Where("vendor_id = ?", vendorID).
		Returning("*").
		Scan(ctx, &m)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return nil, errCouponNotFound()
	case isUniqueViolation(err, uniqueCouponCode):
		return nil, couponConflict(in.Code)
	case err != nil:
		return nil, wrap("UpdateCoupon", err)
	}
	return m.toApp(), nil
}

// DeleteCoupon removes one of the vendor's coupons. Orders keep the code
// as text, so they still show what they used.
func (d *DB) DeleteCoupon(ctx context.Context, vendorID, id int64) error {
	res, err := d.db.NewDelete().Model((*couponModel)(nil)).
		Where("id = ?", id).
		Where("vendor_id = ?", vendorID).
		Exec(ctx)
	if err != nil {
		return wrap("DeleteCoupon", err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return wrap("DeleteCoupon", err)
	} else if n == 0 {
		return errCouponNotFound()
	}
	return nil
}

// redeemCoupon takes one use of the vendor's coupon for an order with this
// subtotal, inside the order's transaction, and returns the coupon as it is
// after the use was taken; a coupon that cannot apply is an
// *app.CouponError (EINVALID on the "coupon" field), which rolls the order
// back with it. now must be in the shop's time zone: its calendar date
// decides expiry.
//
// The use is taken by one conditional UPDATE that tests every rule, so
// max_uses holds under any concurrency without reading first: on
// PostgreSQL concurrent orders queue on the coupon's row lock and each
// re-tests "uses < max_uses" against the committed count when its turn
// comes; on SQLite write transactions are serialised (_txlock=immediate).
// The row lock is held until the order commits, so concurrent orders with
// the same code wait for one another: take the coupon late in the
// transaction. Only when the UPDATE matches nothing is the coupon read,
// to say why.
func redeemCoupon(ctx context.Context, tx bun.IDB, vendorID int64, code string, subtotal app.Paise, now time.Time) (*app.Coupon, error) {
	norm, ok := app.NormalizeCouponCode(code)
	if !ok {
		return nil, &app.CouponError{Reason: app.CouponUnknown, Code: strings.TrimSpace(code)}
	}
	today := now.Format(app.DateLayout)
	for attempt := 0; ; attempt++ {
		var m couponModel
		err := tx.NewUpdate().Model((*couponModel)(nil)).
			Set("uses = uses + 1").
			Where("vendor_id = ?", vendorID).
			Where("code = ?", norm).
			Where("active = TRUE").
			Where("(max_uses = 0 OR uses < max_uses)").
			Where("(expires_on IS NULL OR expires_on >= ?)", today).
			Where("min_order <= ?", int64(subtotal)).
			Returning("*").
			Scan(ctx, &m)
		if err == nil {
			return m.toApp(), nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return nil, err
		}
		err = tx.NewSelect().Model(&m).Where("vendor_id = ?", vendorID).Where("code = ?", norm).Limit(1).Scan(ctx)
		if errors.Is(err, sql.ErrNoRows) {
			return nil, &app.CouponError{Reason: app.CouponUnknown, Code: norm}
		} else if err != nil {
			return nil, err
		}
		if err := m.toApp().Check(subtotal, today); err != nil {
			return nil, err
		}
		// The coupon applies now but did not a statement ago: on
		// PostgreSQL each statement sees what was committed when it
		// started, and a cancelled order may have given a use back in
		// between. One retry covers that; a second miss means the uses
		// are contended right now.
		if attempt == 1 {
			return nil, &app.CouponError{Reason: app.CouponUsedUp, Code: norm}
		}
	}
}

// releaseCoupon gives back the use a cancelled order took, inside the
// cancellation's transaction. A coupon since deleted has nothing to give
// back to; uses never go below zero.
func releaseCoupon(ctx context.Context, tx bun.IDB, vendorID int64, code string) error {
	if code == "" {
		return nil
	}
	_, err := tx.NewUpdate().Model((*couponModel)(nil)).
		Set("uses = uses - 1").
		Where("vendor_id = ?", vendorID).
		Where("code = ?", code).
		Where("uses > 0").
		Exec(ctx)
	return err
}
