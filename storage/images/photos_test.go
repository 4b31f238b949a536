package images_test

import (
	"bytes"
	"image/color"
	"testing"
	"time"

	"dukaan/app"
	"dukaan/storage"
	"dukaan/storage/images"
	"dukaan/storage/storagetest"
)

// TestSeveralPhotosLifecycle runs the photo lifecycle over the real
// product table with real files: of a product's several photos, the ones
// an update removes or replaces lose their files unless another product,
// the logo or the banner shows them; a deleted product's photos go the
// same way; SweepOrphans keeps files only a logo or banner shows.
func TestSeveralPhotosLifecycle(t *testing.T) {
	storagetest.ForEachDialect(t, func(t *testing.T, db *storage.DB) {
		ctx := t.Context()
		v := storagetest.Vendor(t, db, "gallery")
		im := newImages(t)
		save := func(r, g, b uint8) string {
			t.Helper()
			key, err := im.Save(ctx, v.ID, bytes.NewReader(pngOf(t, 200, 200, solid(color.NRGBA{r, g, b, 255}))))
			if err != nil {
				t.Fatal(err)
			}
			return key
		}
		a, b, c, shared, logo := save(200, 0, 0), save(0, 200, 0), save(0, 0, 200), save(200, 200, 0), save(0, 200, 200)
		banner, stray := save(200, 0, 200), save(90, 90, 90)
		products := images.NewProducts(db, im, nil)
		input := func(photos ...string) app.ProductInput {
			return app.ProductInput{Name: "Masala Chai", MRP: 200, Price: 180, Stock: 5, Available: true, Photos: &photos}
		}
		p, err := products.CreateProduct(ctx, v.ID, input(a, b, c, shared, logo))
		if err != nil {
			t.Fatal(err)
		}
		other, err := products.CreateProduct(ctx, v.ID, input(shared))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.UpdateStore(ctx, v.ID, app.StoreSettings{Name: "Gallery", Logo: &logo, Banner: &banner}); err != nil {
			t.Fatal(err)
		}
		wantFiles := func(step string, want map[string]bool) {
			t.Helper()
			for key, has := range want {
				if got := im.Has(ctx, v.ID, key); got != has {
					t.Errorf("%s: files of %s present = %v, want %v", step, key, got, has)
				}
			}
		}
		// Reorder, drop a, shared and logo: a's files go; shared (another
		// product) and logo (the shop's logo) stay.
		if _, err := products.UpdateProduct(ctx, v.ID, p.ID, input(c, b)); err != nil {
			t.Fatal(err)
		}
		wantFiles("removed", map[string]bool{a: false, b: true, c: true, shared: true, logo: true})
		// The old single field replaces the cover (c), which goes.
		in := input()
		in.Photos, in.Image = nil, &a
		a2 := save(200, 0, 0) // the same bytes again: the same key
		if a2 != a {
			t.Fatalf("content-addressed key changed: %s, %s", a, a2)
		}
		if _, err := products.UpdateProduct(ctx, v.ID, p.ID, in); err != nil {
			t.Fatal(err)
		}
		wantFiles("cover replaced", map[string]bool{a: true, b: true, c: false})
		// Deleting the product drops its photos; the other product's stays.
		if _, err := products.DeleteProduct(ctx, v.ID, p.ID); err != nil {
			t.Fatal(err)
		}
		wantFiles("deleted", map[string]bool{a: false, b: false, shared: true})
		if _, err := products.DeleteProduct(ctx, v.ID, other.ID); err != nil {
			t.Fatal(err)
		}
		wantFiles("other deleted", map[string]bool{shared: false, logo: true, banner: true})

		// The sweep: files only the logo or the banner show stay, an upload
		// nothing shows goes.
		time.Sleep(10 * time.Millisecond)
		if _, err := im.SweepOrphans(ctx, db, time.Millisecond); err != nil {
			t.Fatal(err)
		}
		wantFiles("swept", map[string]bool{logo: true, banner: true, stray: false})
		// Once the logo is removed the sweep takes it too.
		if _, err := db.UpdateStore(ctx, v.ID, app.StoreSettings{Name: "Gallery", Logo: ptr("")}); err != nil {
			t.Fatal(err)
		}
		if _, err := im.SweepOrphans(ctx, db, time.Millisecond); err != nil {
			t.Fatal(err)
		}
		wantFiles("logo removed, swept", map[string]bool{logo: false, banner: true})
	})
}
