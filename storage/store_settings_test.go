package storage_test

import (
	"testing"

	"dukaan/app"
	"dukaan/storage"
	"dukaan/storage/storagetest"
)

func TestUpdateStore(t *testing.T) {
	storagetest.ForEachDialectEvents(t, func(t *testing.T, db *storage.DB, rec *storagetest.Recorder) {
		ctx := t.Context()
		v := storagetest.Vendor(t, db, "asha-sweets")
		other := storagetest.Vendor(t, db, "other-shop")
		rec.Take()

		got, err := db.UpdateStore(ctx, v.ID, app.StoreSettings{Name: " Asha  Sweets ", Description: "Fresh every morning.\r\nSince 1984.", WhatsApp: "98765-43210"})
		if err != nil {
			t.Fatal(err)
		}
		want := app.Vendor{ID: v.ID, Slug: v.Slug, Email: v.Email, Name: "Asha Sweets", Description: "Fresh every morning.\nSince 1984.", WhatsApp: "+919876543210"}
		if got.Name != want.Name || got.Description != want.Description || got.WhatsApp != want.WhatsApp || got.Slug != want.Slug || got.Email != want.Email {
			t.Errorf("UpdateStore = %+v, want %+v", got, want)
		}
		stored, err := db.VendorBySlug(ctx, v.Slug)
		if err != nil {
			t.Fatal(err)
		}
		if stored.Name != want.Name || stored.WhatsApp != want.WhatsApp || stored.Description != want.Description {
			t.Errorf("stored %+v, want %+v", stored, want)
		}
		wantEvents(t, rec.Take(), []app.ProductEvent{{Kind: app.StoreUpdated, VendorID: v.ID}})
		if o, _ := db.VendorByID(ctx, other.ID); o.Name != other.Name || o.WhatsApp != "" {
			t.Errorf("another vendor changed: %+v", o)
		}
		// The password still works: the update touched only the settings.
		if _, err := db.Authenticate(ctx, v.Email, "password123"); err != nil {
			t.Errorf("login after UpdateStore: %v", err)
		}

		_, err = db.UpdateStore(ctx, v.ID, app.StoreSettings{Name: "", WhatsApp: "555"})
		ae := wantCode(t, err, app.EINVALID)
		if ae.Fields["name"] == "" || ae.Fields["whatsapp"] == "" {
			t.Errorf("fields %v, want name and whatsapp", ae.Fields)
		}
		if s, _ := db.VendorByID(ctx, v.ID); s.Name != want.Name || s.WhatsApp != want.WhatsApp {
			t.Errorf("a refused update changed the store: %+v", s)
		}
		if evs := rec.Take(); len(evs) != 0 {
			t.Errorf("a refused update published %v", evs)
		}
		_, err = db.UpdateStore(ctx, 987654, app.StoreSettings{Name: "Ghost"})
		wantCode(t, err, app.ENOTFOUND)
	})
}

func TestProductImage(t *testing.T) {
	storagetest.ForEachDialectEvents(t, func(t *testing.T, db *storage.DB, rec *storagetest.Recorder) {
		ctx := t.Context()
		v := storagetest.Vendor(t, db, "photo-shop")
		key := "v1/0123456789abcdef0123"
		p, err := db.CreateProduct(ctx, v.ID, app.ProductInput{Name: "Lamp", MRP: 1000, Price: 900, Stock: 3, Available: true, Image: ptr(key)})
		if err != nil {
			t.Fatal(err)
		}
		if p.Image != key {
			t.Fatalf("created with Image %q, want %q", p.Image, key)
		}
		rec.Take()
		edit := app.ProductInput{Name: "Lamp", MRP: 1000, Price: 800, Stock: 3, Available: true}
		if p, err = db.UpdateProduct(ctx, v.ID, p.ID, edit); err != nil || p.Image != key {
			t.Fatalf("edit without a photo: %v, image %q; want it kept", err, p.Image)
		}
		newKey := "v1/fedcba9876543210fedc"
		edit.Image = ptr(newKey)
		if p, err = db.UpdateProduct(ctx, v.ID, p.ID, edit); err != nil || p.Image != newKey {
			t.Fatalf("new photo: %v, image %q", err, p.Image)
		}
		edit.Image = ptr("")
		if p, err = db.UpdateProduct(ctx, v.ID, p.ID, edit); err != nil || p.Image != "" {
			t.Fatalf("photo removed: %v, image %q", err, p.Image)
		}
		got, _ := db.Product(ctx, v.ID, p.ID)
		if got.Image != "" {
			t.Errorf("stored image %q after removal", got.Image)
		}
		ev := app.ProductEvent{Kind: app.ProductUpdated, VendorID: v.ID, ProductID: p.ID}
		wantEvents(t, rec.Take(), []app.ProductEvent{ev, ev, ev})
	})
}

func TestImageInUse(t *testing.T) {
	storagetest.ForEachDialect(t, func(t *testing.T, db *storage.DB) {
		ctx := t.Context()
		v := storagetest.Vendor(t, db, "photo-a")
		w := storagetest.Vendor(t, db, "photo-b")
		key := "v1/00112233445566778899"
		if _, err := db.CreateProduct(ctx, v.ID, app.ProductInput{Name: "Mug", MRP: 100, Price: 90, Stock: 1, Available: true, Image: ptr(key)}); err != nil {
			t.Fatal(err)
		}
		for _, tt := range []struct {
			vendor int64
			key    string
			want   bool
		}{{v.ID, key, true}, {w.ID, key, false}, {v.ID, "v1/99999999999999999999", false}} {
			got, err := db.ImageInUse(ctx, tt.vendor, tt.key)
			if err != nil || got != tt.want {
				t.Errorf("ImageInUse(%d, %s) = %v, %v; want %v", tt.vendor, tt.key, got, err, tt.want)
			}
		}
	})
}
