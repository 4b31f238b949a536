package storage_test

import (
	"slices"
	"testing"

	"dukaan/app"
	"dukaan/storage"
	"dukaan/storage/storagetest"
)

// photoKey is a well-formed key of vendor 1 (storage does not check
// files; storage/images does).
func photoKey(n byte) string {
	return "v1/" + string([]byte{'a' + n%26}) + "0000000000000000000"
}

func TestProductPhotos(t *testing.T) {
	storagetest.ForEachDialectEvents(t, func(t *testing.T, db *storage.DB, rec *storagetest.Recorder) {
		ctx := t.Context()
		v := storagetest.Vendor(t, db, "gallery")
		a, b, c := photoKey(0), photoKey(1), photoKey(2)
		p, err := db.CreateProduct(ctx, v.ID, app.ProductInput{Name: "Masala Chai", MRP: 200, Price: 180, Stock: 5, Available: true,
			Photos: &[]string{a, b, c}})
		if err != nil {
			t.Fatal(err)
		}
		check := func(step string, want []string) {
			t.Helper()
			got, err := db.Product(ctx, v.ID, p.ID)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got.Photos, want) || got.Image != cover(want) {
				t.Errorf("%s: photos %q cover %q, want %q", step, got.Photos, got.Image, want)
			}
			list, _, err := db.Products(ctx, app.ProductFilter{VendorID: v.ID})
			if err != nil || len(list) != 1 || !slices.Equal(list[0].Photos, want) || list[0].Image != cover(want) {
				t.Errorf("%s: Products = %+v, %v", step, list, err)
			}
		}
		check("created", []string{a, b, c})
		rec.Take()

		// Reorder and remove in one update: c becomes the cover, a goes.
		in := app.ProductInput{Name: "Masala Chai", MRP: 200, Price: 180, Stock: 5, Available: true, Photos: &[]string{c, b}}
		up, err := db.UpdateProduct(ctx, v.ID, p.ID, in)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(up.Photos, []string{c, b}) || up.Image != c {
			t.Errorf("UpdateProduct returned %q / %q", up.Photos, up.Image)
		}
		check("reordered", []string{c, b})
		wantEvents(t, rec.Take(), []app.ProductEvent{{Kind: app.ProductUpdated, VendorID: v.ID, ProductID: p.ID}})

		// The old single-photo field replaces the cover and keeps the rest.
		in.Photos, in.Image = nil, ptr(a)
		if _, err := db.UpdateProduct(ctx, v.ID, p.ID, in); err != nil {
			t.Fatal(err)
		}
		check("cover replaced", []string{a, b})
		// Neither field: the photos stay.
		in.Image = nil
		if _, err := db.UpdateProduct(ctx, v.ID, p.ID, in); err != nil {
			t.Fatal(err)
		}
		check("untouched", []string{a, b})
		// "" removes the cover; the next photo becomes the cover.
		in.Image = ptr("")
		if _, err := db.UpdateProduct(ctx, v.ID, p.ID, in); err != nil {
			t.Fatal(err)
		}
		check("cover removed", []string{b})

		// Nine photos are refused and nothing changes.
		nine := make([]string, app.MaxPhotos+1)
		for i := range nine {
			nine[i] = photoKey(byte(i + 3))
		}
		in.Image, in.Photos = nil, &nine
		_, err = db.UpdateProduct(ctx, v.ID, p.ID, in)
		if e := wantCode(t, err, app.EINVALID); e != nil && e.Fields["photos"] == "" {
			t.Errorf("9 photos: fields %v, want a photos message", e.Fields)
		}
		check("9 refused", []string{b})
		eight := nine[:app.MaxPhotos]
		in.Photos = &eight
		if _, err := db.UpdateProduct(ctx, v.ID, p.ID, in); err != nil {
			t.Fatal(err)
		}
		check("8 kept", eight)
		// Repeats are one photo.
		in.Photos = &[]string{a, a, b}
		if _, err := db.UpdateProduct(ctx, v.ID, p.ID, in); err != nil {
			t.Fatal(err)
		}
		check("deduplicated", []string{a, b})

		// Another vendor's product is not found and keeps nothing.
		w := storagetest.Vendor(t, db, "gallery-2")
		_, err = db.UpdateProduct(ctx, w.ID, p.ID, in)
		wantCode(t, err, app.ENOTFOUND)

		// Deleting the product takes its rows with it: the files are the
		// lifecycle's and the sweep's to drop.
		if _, err := db.DeleteProduct(ctx, v.ID, p.ID); err != nil {
			t.Fatal(err)
		}
		used, err := db.ImagesInUse(ctx, []string{a, b})
		if err != nil || used[a] || used[b] {
			t.Errorf("after delete ImagesInUse = %v, %v", used, err)
		}
	})
}

func cover(keys []string) string {
	if len(keys) == 0 {
		return ""
	}
	return keys[0]
}

func TestImagesInUseCountsEveryPhoto(t *testing.T) {
	storagetest.ForEachDialect(t, func(t *testing.T, db *storage.DB) {
		ctx := t.Context()
		v := storagetest.Vendor(t, db, "counts")
		w := storagetest.Vendor(t, db, "counts-2")
		first, second, logo, banner, none := photoKey(0), photoKey(1), photoKey(2), photoKey(3), photoKey(4)
		if _, err := db.CreateProduct(ctx, v.ID, app.ProductInput{Name: "Kettle", MRP: 100, Price: 90, Stock: 1, Available: true,
			Photos: &[]string{first, second}}); err != nil {
			t.Fatal(err)
		}
		if _, err := db.UpdateStore(ctx, w.ID, app.StoreSettings{Name: "Counts Two", Logo: ptr(logo), Banner: ptr(banner)}); err != nil {
			t.Fatal(err)
		}
		got, err := db.VendorByID(ctx, w.ID)
		if err != nil || got.Logo != logo || got.Banner != banner {
			t.Fatalf("vendor logo/banner = %+v, %v", got, err)
		}
		used, err := db.ImagesInUse(ctx, []string{first, second, logo, banner, none})
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]bool{first: true, second: true, logo: true, banner: true}
		for _, k := range []string{first, second, logo, banner, none} {
			if used[k] != want[k] {
				t.Errorf("ImagesInUse[%s] = %v, want %v", k, used[k], want[k])
			}
		}
		for _, tt := range []struct {
			vendor int64
			key    string
			want   bool
		}{{v.ID, second, true}, {w.ID, second, false}, {w.ID, logo, true}, {w.ID, banner, true}, {v.ID, logo, false}} {
			if got, err := db.ImageInUse(ctx, tt.vendor, tt.key); err != nil || got != tt.want {
				t.Errorf("ImageInUse(%d, %s) = %v, %v; want %v", tt.vendor, tt.key, got, err, tt.want)
			}
		}
		// A save without the fields keeps them; "" removes them.
		if _, err := db.UpdateStore(ctx, w.ID, app.StoreSettings{Name: "Counts Two"}); err != nil {
			t.Fatal(err)
		}
		if got, _ := db.VendorByID(ctx, w.ID); got.Logo != logo {
			t.Errorf("logo after a save without it = %q", got.Logo)
		}
		if _, err := db.UpdateStore(ctx, w.ID, app.StoreSettings{Name: "Counts Two", Logo: ptr(""), Banner: ptr("")}); err != nil {
			t.Fatal(err)
		}
		if used, _ := db.ImagesInUse(ctx, []string{logo, banner}); used[logo] || used[banner] {
			t.Errorf("removed logo/banner still in use: %v", used)
		}
	})
}

// TestPhotosMigration: migration 20261206000006 undone and done again on
// a database with products: each product's image becomes its first photo
// (a row, not only the read's fallback), products without one get none,
// and the logo and banner columns come back empty.
func TestPhotosMigration(t *testing.T) {
	storagetest.ForEachDialect(t, func(t *testing.T, db *storage.DB) {
		ctx := t.Context()
		v := storagetest.Vendor(t, db, "old-shop")
		key := photoKey(7)
		with, err := db.CreateProduct(ctx, v.ID, app.ProductInput{Name: "Lamp", MRP: 100, Price: 90, Stock: 1, Available: true, Image: &key})
		if err != nil {
			t.Fatal(err)
		}
		without := storagetest.Product(t, db, v.ID, "Wick", 1000, 3)
		if err := db.UndoMigrationsAfter(ctx, "20261206000004"); err != nil {
			t.Fatal(err)
		}
		if err := db.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		var rows []struct {
			ProductID int64  `bun:"product_id"`
			Key       string `bun:"key"`
			Position  int64  `bun:"position"`
		}
		if err := db.Bun().NewRaw("SELECT product_id, key, position FROM product_photos ORDER BY product_id").Scan(ctx, &rows); err != nil {
			t.Fatal(err)
		}
		if len(rows) != 1 || rows[0].ProductID != with.ID || rows[0].Key != key || rows[0].Position != 0 {
			t.Errorf("product_photos after the migration = %+v, want one row (%d, %s, 0)", rows, with.ID, key)
		}
		for id, want := range map[int64][]string{with.ID: {key}, without.ID: nil} {
			p, err := db.Product(ctx, v.ID, id)
			if err != nil || !slices.Equal(p.Photos, want) {
				t.Errorf("product %d photos = %v, %v; want %v", id, p.Photos, err, want)
			}
		}
		if got, err := db.VendorByID(ctx, v.ID); err != nil || got.Logo != "" || got.Banner != "" {
			t.Errorf("vendor after the migration = %+v, %v", got, err)
		}
	})
}
