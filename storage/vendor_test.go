package storage_test

import (
	"context"
	"path/filepath"
	"testing"

	"golang.org/x/crypto/bcrypt"

	"dukaan/app"
	"dukaan/storage"
	"dukaan/storage/storagetest"
)

func TestCreateVendor(t *testing.T) {
	storagetest.ForEachDialect(t, func(t *testing.T, db *storage.DB) {
		ctx := t.Context()
		first := &app.Vendor{Slug: "chai-point", Name: "Chai Point", Email: "Owner@ChaiPoint.example"}
		if err := db.CreateVendor(ctx, first, "s3cret-pass"); err != nil {
			t.Fatalf("CreateVendor: %v", err)
		}
		if first.ID == 0 || first.CreatedAt.IsZero() {
			t.Fatalf("vendor = %+v, want ID and CreatedAt set", first)
		}
		if got, want := first.Email, "owner@chaipoint.example"; got != want {
			t.Errorf("Email = %q, want %q", got, want)
		}

		tests := []struct {
			name       string
			vendor     app.Vendor
			wantFields map[string]string
		}{
			{
				name:       "store name taken",
				vendor:     app.Vendor{Slug: "chai-point", Name: "Other", Email: "other@example.com"},
				wantFields: map[string]string{"store": "That store name is taken."},
			},
			{
				name:       "email taken in another case",
				vendor:     app.Vendor{Slug: "chai-point-2", Name: "Other", Email: "OWNER@chaipoint.example"},
				wantFields: map[string]string{"email": "An account with this email already exists."},
			},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				v := tt.vendor
				err := db.CreateVendor(ctx, &v, "another-pass")
				ae := wantCode(t, err, app.ECONFLICT)
				wantFields(t, ae.Fields, tt.wantFields)
			})
		}
		if got, want := countRows(t, db, "vendors"), 1; got != want {
			t.Errorf("vendors = %d, want %d", got, want)
		}
	})
}

func TestAuthenticate(t *testing.T) {
	storagetest.ForEachDialect(t, func(t *testing.T, db *storage.DB) {
		ctx := t.Context()
		v := &app.Vendor{Slug: "masala-house", Name: "Masala House", Email: "ravi@masala.example"}
		if err := db.CreateVendor(ctx, v, "correct horse"); err != nil {
			t.Fatalf("CreateVendor: %v", err)
		}
		tests := []struct {
			name     string
			email    string
			password string
			wantErr  string
		}{
			{name: "right", email: "ravi@masala.example", password: "correct horse"},
			{name: "email in other case", email: "  Ravi@Masala.Example ", password: "correct horse"},
			{name: "wrong password", email: "ravi@masala.example", password: "correct horsE", wantErr: app.EUNAUTHORIZED},
			{name: "unknown email", email: "nobody@masala.example", password: "correct horse", wantErr: app.EUNAUTHORIZED},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				got, err := db.Authenticate(ctx, tt.email, tt.password)
				if tt.wantErr != "" {
					ae := wantCode(t, err, tt.wantErr)
					if got, want := ae.Message, "Wrong email or password."; got != want {
						t.Errorf("message = %q, want %q", got, want)
					}
					return
				}
				if err != nil {
					t.Fatalf("Authenticate: %v", err)
				}
				if got.ID != v.ID || got.Slug != v.Slug {
					t.Errorf("vendor = %+v, want %+v", got, v)
				}
			})
		}
	})
}

func TestVendorLookup(t *testing.T) {
	storagetest.ForEachDialect(t, func(t *testing.T, db *storage.DB) {
		ctx := t.Context()
		v := storagetest.Vendor(t, db, "sweets")
		byID, err := db.VendorByID(ctx, v.ID)
		if err != nil {
			t.Fatalf("VendorByID: %v", err)
		}
		bySlug, err := db.VendorBySlug(ctx, "sweets")
		if err != nil {
			t.Fatalf("VendorBySlug: %v", err)
		}
		for _, got := range []*app.Vendor{byID, bySlug} {
			if got.ID != v.ID || got.Name != v.Name || got.Email != v.Email || !got.CreatedAt.Equal(v.CreatedAt) {
				t.Errorf("got %+v, want %+v", got, v)
			}
		}
		_, err = db.VendorByID(ctx, v.ID+1000)
		wantCode(t, err, app.ENOTFOUND)
		_, err = db.VendorBySlug(ctx, "nope")
		wantCode(t, err, app.ENOTFOUND)
	})
}

// TestDefaultBcryptCost checks that production hashes use bcrypt's default
// cost; every other test lowers it for speed.
func TestDefaultBcryptCost(t *testing.T) {
	ctx := t.Context()
	db, err := storage.Open(ctx, storage.Config{DSN: filepath.Join(t.TempDir(), "cost.db")})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	v := &app.Vendor{Slug: "cost", Name: "Cost", Email: "cost@example.com"}
	if err := db.CreateVendor(ctx, v, "password123"); err != nil {
		t.Fatal(err)
	}
	var hash string
	if err := db.Bun().NewRaw("SELECT password_hash FROM vendors WHERE id = ?", v.ID).Scan(context.Background(), &hash); err != nil {
		t.Fatal(err)
	}
	cost, err := bcrypt.Cost([]byte(hash))
	if err != nil {
		t.Fatal(err)
	}
	if cost != bcrypt.DefaultCost {
		t.Errorf("cost = %d, want %d", cost, bcrypt.DefaultCost)
	}
}
