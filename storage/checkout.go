package storage

import (
	"context"
	"database/sql"
	"errors"

	"github.com/uptrace/bun"

	"dukaan/app"
)

var _ app.CheckoutService = (*DB)(nil)

// vendorCheckoutModel is the checkout columns of a vendor's row. It is a
// model of its own, not fields on vendorModel, so that inserting a vendor
// keeps the columns' defaults (accept_cod TRUE) instead of writing Go's
// zero values.
type vendorCheckoutModel struct {
	bun.BaseModel `bun:"table:vendors,alias:v"`

	ID                int64  `bun:"id,pk"`
	DeliveryFee       int64  `bun:"delivery_fee"`
	FreeDeliveryAbove *int64 `bun:"free_delivery_above"` // NULL: never free
	MinOrder          int64  `bun:"min_order"`
	UPIID             string `bun:"upi_id"`
	AcceptCOD         bool   `bun:"accept_cod"`
	AcceptUPI         bool   `bun:"accept_upi"`
}

func (m *vendorCheckoutModel) toApp() *app.CheckoutSettings {
	s := &app.CheckoutSettings{
		DeliveryFee: app.Paise(m.DeliveryFee),
		MinOrder:    app.Paise(m.MinOrder),
		UPIID:       m.UPIID,
		AcceptCOD:   m.AcceptCOD,
		AcceptUPI:   m.AcceptUPI,
	}
	if m.FreeDeliveryAbove != nil {
		p := app.Paise(*m.FreeDeliveryAbove)
		s.FreeDeliveryAbove = &p
	}
	return s
}

// CheckoutSettings returns the vendor's delivery terms and payment modes.
func (d *DB) CheckoutSettings(ctx context.Context, vendorID int64) (*app.CheckoutSettings, error) {
	s, err := checkoutSettings(ctx, d.db, vendorID)
	return s, wrap("CheckoutSettings", err)
}

// checkoutSettings reads the settings with db, so that the order's
// transaction prices the order with the settings it sees.
func checkoutSettings(ctx context.Context, db bun.IDB, vendorID int64) (*app.CheckoutSettings, error) {
	var m vendorCheckoutModel
	err := db.NewSelect().Model(&m).Where("id = ?", vendorID).Limit(1).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, app.Errorf(app.ENOTFOUND, "Store not found.")
	} else if err != nil {
		return nil, err
	}
	return m.toApp(), nil
}

// UpdateCheckoutSettings saves the vendor's delivery terms and payment
// modes and publishes StoreUpdated: every page of the shop shows them.
func (d *DB) UpdateCheckoutSettings(ctx context.Context, vendorID int64, in app.CheckoutSettings) (*app.CheckoutSettings, error) {
	if fields := in.Validate(); len(fields) > 0 {
		return nil, app.Invalid("Please correct the highlighted fields.", fields)
	}
	var s *app.CheckoutSettings
	ctx = owing(ctx) // publish settles the purge jobs owe writes
	err := d.db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) (err error) {
		if s, err = saveCheckoutSettings(ctx, tx, vendorID, in); err != nil {
			return err
		}
		// The purge job commits with the settings (the outbox).
		return d.owe(ctx, tx, app.ProductEvent{Kind: app.StoreUpdated, VendorID: vendorID})
	})
	if err != nil {
		return nil, wrap("UpdateCheckoutSettings", err)
	}
	d.publish(ctx, app.ProductEvent{Kind: app.StoreUpdated, VendorID: vendorID})
	return s, nil
}

// saveCheckoutSettings writes validated settings with db (the settings
// form's transaction, or the database) and returns them as stored.
func saveCheckoutSettings(ctx context.Context, db bun.IDB, vendorID int64, in app.CheckoutSettings) (*app.CheckoutSettings, error) {
	var free any // NULL: never free
	if in.FreeDeliveryAbove != nil {
		free = int64(*in.FreeDeliveryAbove)
	}
	var m vendorCheckoutModel
	err := db.NewUpdate().Model((*vendorCheckoutModel)(nil)).
		Set("delivery_fee = ?", int64(in.DeliveryFee)).
		Set("free_delivery_above = ?", free).
		Set("min_order = ?", int64(in.MinOrder)).
		Set("upi_id = ?", in.UPIID).
		Set("accept_cod = ?", in.AcceptCOD).
		Set("accept_upi = ?", in.AcceptUPI).
		Where("id = ?", vendorID).
		Returning("id, delivery_fee, free_delivery_above, min_order, upi_id, accept_cod, accept_upi").
		Scan(ctx, &m)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, app.Errorf(app.ENOTFOUND, "Store not found.")
	} else if err != nil {
		return nil, err
	}
	return m.toApp(), nil
}
