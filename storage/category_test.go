package storage_test

import (
	"context"
	"strconv"
	"strings"
	"testing"

	"dukaan/app"
	"dukaan/storage"
	"dukaan/storage/storagetest"
)

func categorySlugs(cs []*app.Category) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = c.Slug
	}
	return out
}

func wantSlugs(tb testing.TB, db *storage.DB, vendorID int64, want ...string) {
	tb.Helper()
	cs, err := db.Categories(context.Background(), vendorID)
	if err != nil {
		tb.Fatalf("Categories: %v", err)
	}
	got := categorySlugs(cs)
	if len(got) != len(want) {
		tb.Fatalf("slugs = %q, want %q", got, want)
	}
	for i := range got {
		if got[i] != want[i] {
			tb.Fatalf("slugs = %q, want %q", got, want)
		}
	}
}

func TestCategories(t *testing.T) {
	storagetest.ForEachDialectEvents(t, func(t *testing.T, db *storage.DB, rec *storagetest.Recorder) {
		ctx := t.Context()
		v := storagetest.Vendor(t, db, "mithai")
		other := storagetest.Vendor(t, db, "other")

		sweets, err := db.CreateCategory(ctx, v.ID, app.CategoryInput{Name: "  Sweets &   Snacks "})
		if err != nil {
			t.Fatalf("CreateCategory: %v", err)
		}
		if sweets.Name != "Sweets & Snacks" || sweets.Slug != "sweets-snacks" {
			t.Fatalf("created %+v", sweets)
		}
		// The same slug again, and a Devanagari name kept as UTF-8.
		dup, err := db.CreateCategory(ctx, v.ID, app.CategoryInput{Name: "Sweets, snacks!"})
		if err != nil || dup.Slug != "sweets-snacks-2" {
			t.Fatalf("second sweets = %+v, %v; want slug sweets-snacks-2", dup, err)
		}
		hindi, err := db.CreateCategory(ctx, v.ID, app.CategoryInput{Name: "मिठाई"})
		if err != nil || hindi.Slug != "मिठाई" {
			t.Fatalf("hindi = %+v, %v", hindi, err)
		}
		// Another shop may use the same slug.
		if c, err := db.CreateCategory(ctx, other.ID, app.CategoryInput{Name: "Sweets & Snacks"}); err != nil || c.Slug != "sweets-snacks" {
			t.Fatalf("other shop's = %+v, %v", c, err)
		}
		wantSlugs(t, db, v.ID, "sweets-snacks", "sweets-snacks-2", "मिठाई")
		wantEvents(t, rec.Take(), []app.ProductEvent{
			{Kind: app.CategoryChanged, VendorID: v.ID}, {Kind: app.CategoryChanged, VendorID: v.ID},
			{Kind: app.CategoryChanged, VendorID: v.ID}, {Kind: app.CategoryChanged, VendorID: other.ID},
		})
		if !(app.ProductEvent{Kind: app.CategoryChanged, VendorID: v.ID}).StoreWide() {
			t.Fatal("CategoryChanged is not store-wide")
		}

		// Bad input changes nothing.
		_, err = db.CreateCategory(ctx, v.ID, app.CategoryInput{Name: "   "})
		wantFields(t, wantCode(t, err, app.EINVALID).Fields, map[string]string{"name": "Enter a category name."})
		_, err = db.RenameCategory(ctx, v.ID, sweets.ID, app.CategoryInput{Name: strings.Repeat("ट", app.MaxCategoryNameLen+1)})
		wantCode(t, err, app.EINVALID)

		// Vendor scoping: another shop's id is ENOTFOUND everywhere.
		_, err = db.Category(ctx, other.ID, sweets.ID)
		wantCode(t, err, app.ENOTFOUND)
		_, err = db.RenameCategory(ctx, other.ID, sweets.ID, app.CategoryInput{Name: "Mine"})
		wantCode(t, err, app.ENOTFOUND)
		wantCode(t, db.MoveCategory(ctx, other.ID, sweets.ID, false), app.ENOTFOUND)
		wantCode(t, db.DeleteCategory(ctx, other.ID, sweets.ID), app.ENOTFOUND)
		_, err = db.CategoryBySlug(ctx, other.ID, "sweets-snacks-2")
		wantCode(t, err, app.ENOTFOUND)
		if len(rec.Take()) != 0 {
			t.Fatal("refused changes published events")
		}

		// Rename derives the slug again; its own old slug does not count
		// as taken.
		r, err := db.RenameCategory(ctx, v.ID, dup.ID, app.CategoryInput{Name: "Namkeen"})
		if err != nil || r.Slug != "namkeen" || r.Name != "Namkeen" {
			t.Fatalf("rename = %+v, %v", r, err)
		}
		if r, err = db.RenameCategory(ctx, v.ID, dup.ID, app.CategoryInput{Name: "Namkeen"}); err != nil || r.Slug != "namkeen" {
			t.Fatalf("rename to the same = %+v, %v", r, err)
		}
		if got, err := db.CategoryBySlug(ctx, v.ID, "namkeen"); err != nil || got.ID != dup.ID {
			t.Fatalf("by slug = %+v, %v", got, err)
		}

		// Reorder: up, down, and nothing at the ends.
		if err := db.MoveCategory(ctx, v.ID, hindi.ID, true); err != nil {
			t.Fatal(err)
		}
		wantSlugs(t, db, v.ID, "sweets-snacks", "मिठाई", "namkeen")
		if err := db.MoveCategory(ctx, v.ID, sweets.ID, false); err != nil {
			t.Fatal(err)
		}
		wantSlugs(t, db, v.ID, "मिठाई", "sweets-snacks", "namkeen")
		rec.Take()
		if err := db.MoveCategory(ctx, v.ID, hindi.ID, true); err != nil {
			t.Fatal(err)
		}
		if err := db.MoveCategory(ctx, v.ID, dup.ID, false); err != nil {
			t.Fatal(err)
		}
		wantSlugs(t, db, v.ID, "मिठाई", "sweets-snacks", "namkeen")
		if evs := rec.Take(); len(evs) != 0 {
			t.Fatalf("a move at the end published %v", evs)
		}

		// Products: a category of the shop, never another shop's.
		in := app.ProductInput{Name: "Kaju katli", MRP: 50000, Price: 45000, Stock: 3, Available: true, CategoryID: &sweets.ID}
		p, err := db.CreateProduct(ctx, v.ID, in)
		if err != nil || p.CategoryID != sweets.ID {
			t.Fatalf("CreateProduct = %+v, %v", p, err)
		}
		otherCat, _ := db.CategoryBySlug(ctx, other.ID, "sweets-snacks")
		bad := in
		bad.CategoryID = &otherCat.ID
		_, err = db.CreateProduct(ctx, v.ID, bad)
		wantFields(t, wantCode(t, err, app.EINVALID).Fields, map[string]string{"category_id": "Choose one of your categories."})
		_, err = db.UpdateProduct(ctx, v.ID, p.ID, bad)
		wantCode(t, err, app.EINVALID)
		if got, _ := db.Product(ctx, v.ID, p.ID); got.CategoryID != sweets.ID {
			t.Fatalf("a refused update changed the category to %d", got.CategoryID)
		}
		plain := storagetest.Product(t, db, v.ID, "Plain", 1000, 5)
		rec.Take()

		// Moving a product to another category is store-wide; an edit
		// that keeps it is not.
		in.CategoryID = &hindi.ID
		if _, err := db.UpdateProduct(ctx, v.ID, p.ID, in); err != nil {
			t.Fatal(err)
		}
		in.Name = "Kaju katli (250 g)"
		in.CategoryID = nil // left as it is
		if _, err := db.UpdateProduct(ctx, v.ID, p.ID, in); err != nil {
			t.Fatal(err)
		}
		evs := rec.Take()
		wantEvents(t, evs, []app.ProductEvent{
			{Kind: app.ProductCategorized, VendorID: v.ID, ProductID: p.ID},
			{Kind: app.ProductUpdated, VendorID: v.ID, ProductID: p.ID},
		})
		if !evs[0].StoreWide() || evs[1].StoreWide() {
			t.Fatalf("StoreWide of %v", evs)
		}
		ps, total, err := db.Products(ctx, app.ProductFilter{VendorID: v.ID, CategoryID: hindi.ID, OnSaleOnly: true})
		if err != nil || total != 1 || len(ps) != 1 || ps[0].ID != p.ID {
			t.Fatalf("category's products = %v, %d, %v", productIDs(ps), total, err)
		}

		// Delete keeps the products, uncategorised.
		if err := db.DeleteCategory(ctx, v.ID, hindi.ID); err != nil {
			t.Fatal(err)
		}
		wantEvents(t, rec.Take(), []app.ProductEvent{{Kind: app.CategoryChanged, VendorID: v.ID}})
		got, err := db.Product(ctx, v.ID, p.ID)
		if err != nil || got.CategoryID != 0 || got.Name != in.Name {
			t.Fatalf("after delete = %+v, %v", got, err)
		}
		if _, total, _ := db.Products(ctx, app.ProductFilter{VendorID: v.ID}); total != 2 {
			t.Fatalf("products after delete = %d, want 2 (with %d)", total, plain.ID)
		}
		_, err = db.Category(ctx, v.ID, hindi.ID)
		wantCode(t, err, app.ENOTFOUND)
		wantSlugs(t, db, v.ID, "sweets-snacks", "namkeen")
	})
}

func TestCategoryLimit(t *testing.T) {
	storagetest.ForEachDialect(t, func(t *testing.T, db *storage.DB) {
		ctx := t.Context()
		v := storagetest.Vendor(t, db, "many")
		for i := range app.MaxCategories {
			if _, err := db.CreateCategory(ctx, v.ID, app.CategoryInput{Name: "Same"}); err != nil {
				t.Fatalf("category %d: %v", i+1, err)
			}
		}
		cs, _ := db.Categories(ctx, v.ID)
		if cs[app.MaxCategories-1].Slug != "same-"+strconv.Itoa(app.MaxCategories) {
			t.Fatalf("last slug = %q", cs[app.MaxCategories-1].Slug)
		}
		_, err := db.CreateCategory(ctx, v.ID, app.CategoryInput{Name: "One more"})
		if ae := wantCode(t, err, app.EINVALID); ae.Fields["name"] == "" {
			t.Fatalf("limit error without a name message: %+v", ae)
		}
	})
}
