package storage

import (
	"context"
	"database/sql"
	"errors"
	"strings"

	"github.com/uptrace/bun"
	"golang.org/x/crypto/bcrypt"

	"dukaan/app"
)

func errWrongLogin() error { return app.Errorf(app.EUNAUTHORIZED, "Wrong email or password.") }

// CreateVendor stores v with a bcrypt hash of password and sets v.ID and
// v.CreatedAt. The caller has validated the store name, email and
// password; the email is stored lower-cased so logins ignore case.
func (d *DB) CreateVendor(ctx context.Context, v *app.Vendor, password string) error {
	hash, err := bcrypt.GenerateFromPassword([]byte(password), d.bcryptCost)
	if err != nil {
		return wrap("CreateVendor", err)
	}
	m := &vendorModel{
		Slug:         v.Slug,
		Name:         v.Name,
		Email:        normalizeEmail(v.Email),
		PasswordHash: string(hash),
		Description:  v.Description,
		CreatedAt:    now(),
	}
	if err := insertVendor(ctx, d.db, m); err != nil {
		return wrap("CreateVendor", err)
	}
	*v = *m.toApp()
	return nil
}

// insertVendor inserts a vendor and sets its id, turning a taken store
// name or email into the form error the signup page shows.
func insertVendor(ctx context.Context, db bun.IDB, m *vendorModel) error {
	// RETURNING * fills the scanonly checkout columns with their defaults.
	_, err := db.NewInsert().Model(m).Returning("*").Exec(ctx)
	switch {
	case isUniqueViolation(err, uniqueVendorSlug):
		return &app.Error{Code: app.ECONFLICT, Message: "That store name is taken.",
			Fields: map[string]string{"store": "That store name is taken."}}
	case isUniqueViolation(err, uniqueVendorEmail):
		return &app.Error{Code: app.ECONFLICT, Message: "An account with this email already exists.",
			Fields: map[string]string{"email": "An account with this email already exists."}}
	}
	return err
}

// Authenticate returns the vendor with this email and password. When no
// vendor has the email it still compares against a dummy hash, so the
// response time does not tell an attacker which emails have accounts.
func (d *DB) Authenticate(ctx context.Context, email, password string) (*app.Vendor, error) {
	var m vendorModel
	err := d.db.NewSelect().Model(&m).ColumnExpr(vendorColumns).Where("email = ?", normalizeEmail(email)).Limit(1).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		_ = bcrypt.CompareHashAndPassword(d.dummyHash, []byte(password))
		return nil, errWrongLogin()
	} else if err != nil {
		return nil, wrap("Authenticate", err)
	}
	switch err := bcrypt.CompareHashAndPassword([]byte(m.PasswordHash), []byte(password)); {
	case errors.Is(err, bcrypt.ErrMismatchedHashAndPassword):
		return nil, errWrongLogin()
	case err != nil:
		return nil, wrap("Authenticate", err)
	}
	return m.toApp(), nil
}

// VendorByID returns the vendor with id.
func (d *DB) VendorByID(ctx context.Context, id int64) (*app.Vendor, error) {
	v, err := findVendor(ctx, d.db, "id = ?", id)
	return v, wrap("VendorByID", err)
}

// VendorBySlug returns the vendor whose store name is slug: the tenant
// lookup on every shop request, one query on a unique index.
func (d *DB) VendorBySlug(ctx context.Context, slug string) (*app.Vendor, error) {
	v, err := findVendor(ctx, d.db, "slug = ?", slug)
	return v, wrap("VendorBySlug", err)
}

// UpdateStore saves the vendor's shop settings and publishes StoreUpdated,
// which purges every page of the shop: the header shows them. It is the
// settings form's save without its checkout half (settings.go).
func (d *DB) UpdateStore(ctx context.Context, id int64, in app.StoreSettings) (*app.Vendor, error) {
	v, _, err := d.UpdateSettings(ctx, id, in, nil)
	return v, err
}

func findVendor(ctx context.Context, db bun.IDB, where string, arg any) (*app.Vendor, error) {
	var m vendorModel
	err := db.NewSelect().Model(&m).ColumnExpr(vendorColumns).Where(where, arg).Limit(1).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, app.Errorf(app.ENOTFOUND, "Store not found.")
	} else if err != nil {
		return nil, err
	}
	return m.toApp(), nil
}

func normalizeEmail(s string) string { return strings.ToLower(strings.TrimSpace(s)) }
