package storage_test

import (
	"testing"

	"dukaan/app"
	"dukaan/storage"
	"dukaan/storage/storagetest"
)

func TestSeedDemo(t *testing.T) {
	storagetest.ForEachDialect(t, func(t *testing.T, db *storage.DB) {
		ctx := t.Context()
		created, err := storage.SeedDemo(ctx, db, "Demo@Dukaan.example", "demo-password")
		if err != nil || !created {
			t.Fatalf("SeedDemo = %v, %v; want true, nil", created, err)
		}
		t.Run("second run does nothing", func(t *testing.T) {
			created, err := storage.SeedDemo(ctx, db, "other@dukaan.example", "x-password")
			if err != nil || created {
				t.Fatalf("SeedDemo = %v, %v; want false, nil", created, err)
			}
			if got := countRows(t, db, "vendors"); got != 1 {
				t.Errorf("vendors = %d, want 1", got)
			}
		})

		v, err := db.Authenticate(ctx, "demo@dukaan.example", "demo-password")
		if err != nil {
			t.Fatalf("log in as the demo vendor: %v", err)
		}
		if v.Slug != storage.DemoSlug {
			t.Errorf("slug = %q, want %q", v.Slug, storage.DemoSlug)
		}
		products, total, err := db.Products(ctx, app.ProductFilter{VendorID: v.ID, OnSaleOnly: true})
		if err != nil {
			t.Fatal(err)
		}
		if total != len(storage.DemoProducts) || total < 12 {
			t.Errorf("products on sale = %d, want %d", total, len(storage.DemoProducts))
		}

		t.Run("products are sensible", func(t *testing.T) {
			var soldOut, discounted int
			for _, p := range products {
				if p.SoldOut() {
					soldOut++
				}
				if p.Price < p.MRP {
					discounted++
				}
				if p.Price > p.MRP || p.Description == "" {
					t.Errorf("product %q: price %v, MRP %v, description %q", p.Name, p.Price, p.MRP, p.Description)
				}
			}
			if soldOut != 1 {
				t.Errorf("sold out = %d, want exactly 1", soldOut)
			}
			if discounted == 0 || discounted == len(products) {
				t.Errorf("discounted = %d of %d, want some but not all", discounted, len(products))
			}
		})

		t.Run("orders cover the workflow", func(t *testing.T) {
			orders, _, err := db.Orders(ctx, app.OrderFilter{VendorID: v.ID})
			if err != nil {
				t.Fatal(err)
			}
			seen := map[app.OrderStatus]bool{}
			for _, o := range orders {
				seen[o.Status] = true
				if _, ok := app.NormalizePhone(o.Customer.Phone); !ok {
					t.Errorf("order %d: phone %q is not an Indian mobile", o.ID, o.Customer.Phone)
				}
			}
			for _, s := range []app.OrderStatus{app.StatusPending, app.StatusConfirmed, app.StatusShipped, app.StatusDelivered} {
				if !seen[s] {
					t.Errorf("no %s order", s)
				}
			}
		})

		t.Run("stock adds up", func(t *testing.T) {
			ordered := map[string]int64{}
			orders, _, err := db.Orders(ctx, app.OrderFilter{VendorID: v.ID})
			if err != nil {
				t.Fatal(err)
			}
			for _, o := range orders {
				full, err := db.Order(ctx, v.ID, o.ID)
				if err != nil {
					t.Fatal(err)
				}
				var total app.Paise
				for _, it := range full.Items {
					ordered[it.Name] += it.Qty
					total += it.LineTotal()
				}
				if total != o.Total {
					t.Errorf("order %d: total %v, lines add up to %v", o.ID, o.Total, total)
				}
			}
			byName := map[string]*app.Product{}
			for _, p := range products {
				byName[p.Name] = p
			}
			for _, in := range storage.DemoProducts {
				p := byName[in.Name]
				if p == nil {
					t.Errorf("product %q missing", in.Name)
					continue
				}
				if got, want := p.Stock+ordered[in.Name], in.Stock; got != want {
					t.Errorf("%q: stock %d + ordered %d = %d, want the initial %d", in.Name, p.Stock, ordered[in.Name], got, want)
				}
			}
		})
	})
}

func TestSeedBulk(t *testing.T) {
	storagetest.ForEachDialect(t, func(t *testing.T, db *storage.DB) {
		ctx := t.Context()
		var calls [][2]int
		progress := func(done, total int) { calls = append(calls, [2]int{done, total}) }
		if err := storage.SeedBulk(ctx, db, 3, 5, progress); err != nil {
			t.Fatalf("SeedBulk: %v", err)
		}
		if n := len(calls); n == 0 || calls[n-1] != [2]int{3, 3} {
			t.Errorf("progress calls = %v, want the last to be [3 3]", calls)
		}
		check := func(t *testing.T, stores, products int) {
			t.Helper()
			if got := countRows(t, db, "vendors"); got != stores {
				t.Errorf("vendors = %d, want %d", got, stores)
			}
			if got := countRows(t, db, "products"); got != products {
				t.Errorf("products = %d, want %d", got, products)
			}
		}
		check(t, 3, 15)

		t.Run("rerun skips existing stores", func(t *testing.T) {
			if err := storage.SeedBulk(ctx, db, 3, 5, nil); err != nil {
				t.Fatal(err)
			}
			check(t, 3, 15)
			if err := storage.SeedBulk(ctx, db, 5, 5, nil); err != nil {
				t.Fatal(err)
			}
			check(t, 5, 25)
		})
		t.Run("stores are usable", func(t *testing.T) {
			v, err := db.VendorBySlug(ctx, "store-00005")
			if err != nil {
				t.Fatal(err)
			}
			if _, err := db.Authenticate(ctx, v.Email, storage.BenchPassword); err != nil {
				t.Errorf("log in as %s: %v", v.Email, err)
			}
			ps, total, err := db.Products(ctx, app.ProductFilter{VendorID: v.ID})
			if err != nil || total != 5 {
				t.Fatalf("products = %d, %v; want 5", total, err)
			}
			for _, p := range ps {
				if p.Price > p.MRP || p.Stock < 0 || p.Name == "" {
					t.Errorf("bad product %+v", p)
				}
			}
		})
	})
}
