package storage

import (
	"context"
	"database/sql"
	"errors"
	"maps"

	"github.com/uptrace/bun"

	"dukaan/app"
)

var _ app.SettingsService = (*DB)(nil)

// UpdateSettings saves the shop's details and, unless checkout is nil, its
// checkout settings in one transaction, and publishes StoreUpdated once
// after the commit: the console's settings form is one save, so a refused
// or failed half never leaves the other half saved.
func (d *DB) UpdateSettings(ctx context.Context, vendorID int64, store app.StoreSettings, checkout *app.CheckoutSettings) (*app.Vendor, *app.CheckoutSettings, error) {
	fields := store.Validate()
	if checkout != nil {
		maps.Copy(fields, checkout.Validate())
	}
	if len(fields) > 0 {
		return nil, nil, app.Invalid("Please correct the highlighted fields.", fields)
	}
	var (
		v  *app.Vendor
		cs *app.CheckoutSettings
	)
	ctx = owing(ctx) // publish settles the purge jobs owe writes
	err := d.db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		var m vendorModel
		q := tx.NewUpdate().Model((*vendorModel)(nil)).
			Set("name = ?", store.Name).
			Set("description = ?", store.Description).
			Set("whatsapp = ?", store.WhatsApp)
		if store.OrderEmails != nil {
			q = q.Set("order_emails = ?", *store.OrderEmails)
		}
		if store.Logo != nil {
			q = q.Set("logo = ?", *store.Logo)
		}
		if store.Banner != nil {
			q = q.Set("banner = ?", *store.Banner)
		}
		err := q.Where("id = ?", vendorID).
			Returning("*").
			Scan(ctx, &m)
		if errors.Is(err, sql.ErrNoRows) {
			return app.Errorf(app.ENOTFOUND, "Store not found.")
		} else if err != nil {
			return err
		}
		v = m.toApp()
		if checkout == nil {
			cs, err = checkoutSettings(ctx, tx, vendorID)
		} else {
			cs, err = saveCheckoutSettings(ctx, tx, vendorID, *checkout)
		}
		if err != nil {
			return err
		}
		v.Checkout = *cs
		// The purge job commits with the settings (the outbox).
		return d.owe(ctx, tx, app.ProductEvent{Kind: app.StoreUpdated, VendorID: vendorID})
	})
	if err != nil {
		return nil, nil, wrap("UpdateSettings", err)
	}
	d.publish(ctx, app.ProductEvent{Kind: app.StoreUpdated, VendorID: vendorID})
	return v, cs, nil
}
