package storage_test

import (
	"reflect"
	"slices"
	"strings"
	"testing"

	"dukaan/app"
	"dukaan/storage"
	"dukaan/storage/storagetest"
)

func TestCreateProduct(t *testing.T) {
	storagetest.ForEachDialect(t, func(t *testing.T, db *storage.DB) {
		ctx := t.Context()
		v := storagetest.Vendor(t, db, "kirana")
		in := app.ProductInput{Name: "Toor Dal, 1 kg", Description: "Unpolished.", MRP: 18900, Price: 16500, Stock: 40, Available: true}
		p, err := db.CreateProduct(ctx, v.ID, in)
		if err != nil {
			t.Fatalf("CreateProduct: %v", err)
		}
		want := app.Product{ID: p.ID, VendorID: v.ID, Name: in.Name, Description: in.Description,
			MRP: in.MRP, Price: in.Price, Stock: in.Stock, Available: true, LowStockAt: app.DefaultLowStockAt,
			CreatedAt: p.CreatedAt, UpdatedAt: p.CreatedAt}
		if p.ID == 0 || p.CreatedAt.IsZero() || !reflect.DeepEqual(*p, want) {
			t.Fatalf("created = %+v, want %+v", p, want)
		}
		got, err := db.Product(ctx, v.ID, p.ID)
		if err != nil {
			t.Fatalf("Product: %v", err)
		}
		if !got.CreatedAt.Equal(p.CreatedAt) {
			t.Errorf("CreatedAt read back = %v, want %v", got.CreatedAt, p.CreatedAt)
		}
		got.CreatedAt, got.UpdatedAt = p.CreatedAt, p.UpdatedAt
		if !reflect.DeepEqual(*got, *p) {
			t.Errorf("read back = %+v, want %+v", got, p)
		}

		_, err = db.CreateProduct(ctx, v.ID+999, in)
		wantCode(t, err, app.ENOTFOUND)
	})
}

func TestProductValidation(t *testing.T) {
	valid := app.ProductInput{Name: "Ghee", MRP: 50000, Price: 45000, Stock: 3, Available: true}
	tests := []struct {
		name      string
		edit      func(in *app.ProductInput)
		wantField string
	}{
		{"empty name", func(in *app.ProductInput) { in.Name = "  " }, "name"},
		{"long name", func(in *app.ProductInput) { in.Name = strings.Repeat("a", app.MaxProductNameLen+1) }, "name"},
		{"long description", func(in *app.ProductInput) { in.Description = strings.Repeat("a", app.MaxDescriptionLen+1) }, "description"},
		{"zero MRP", func(in *app.ProductInput) { in.MRP = 0 }, "mrp"},
		{"zero price", func(in *app.ProductInput) { in.Price = 0 }, "price"},
		{"MRP too large", func(in *app.ProductInput) { in.MRP = app.MaxPaise + 1 }, "mrp"},
		{"price above MRP", func(in *app.ProductInput) { in.Price = in.MRP + 1 }, "price"},
		{"negative price", func(in *app.ProductInput) { in.Price = -1 }, "price"},
		{"negative stock", func(in *app.ProductInput) { in.Stock = -1 }, "stock"},
		{"too much stock", func(in *app.ProductInput) { in.Stock = app.MaxStock + 1 }, "stock"},
	}
	storagetest.ForEachDialect(t, func(t *testing.T, db *storage.DB) {
		ctx := t.Context()
		v := storagetest.Vendor(t, db, "kirana")
		existing := storagetest.Product(t, db, v.ID, "Atta", 30000, 5)
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				in := valid
				tt.edit(&in)
				_, err := db.CreateProduct(ctx, v.ID, in)
				ae := wantCode(t, err, app.EINVALID)
				if _, ok := ae.Fields[tt.wantField]; !ok || len(ae.Fields) != 1 {
					t.Errorf("create: fields = %v, want only %q", ae.Fields, tt.wantField)
				}
				_, err = db.UpdateProduct(ctx, v.ID, existing.ID, in)
				ae = wantCode(t, err, app.EINVALID)
				if _, ok := ae.Fields[tt.wantField]; !ok {
					t.Errorf("update: fields = %v, want %q", ae.Fields, tt.wantField)
				}
			})
		}
		if got, want := countRows(t, db, "products"), 1; got != want {
			t.Errorf("products = %d, want %d", got, want)
		}
		got, err := db.Product(ctx, v.ID, existing.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Name != "Atta" || got.Price != 30000 {
			t.Errorf("refused updates changed the product: %+v", got)
		}
	})
}

func TestProducts(t *testing.T) {
	storagetest.ForEachDialect(t, func(t *testing.T, db *storage.DB) {
		ctx := t.Context()
		v := storagetest.Vendor(t, db, "kirana")
		other := storagetest.Vendor(t, db, "other")
		dal := storagetest.Product(t, db, v.ID, "Toor Dal", 16500, 10)
		moong := storagetest.Product(t, db, v.ID, "Moong DAL yellow", 14000, 0) // sold out still lists
		off := storagetest.Product(t, db, v.ID, "Hidden dal", 9000, 5)
		pct := storagetest.Product(t, db, v.ID, "Discount 50% pack", 9000, 5)
		fifty := storagetest.Product(t, db, v.ID, "500 g pack", 9000, 5)
		under := storagetest.Product(t, db, v.ID, "snack_mix", 9000, 5)
		snack := storagetest.Product(t, db, v.ID, "snackXmix", 9000, 5)
		gone := storagetest.Product(t, db, v.ID, "Old dal", 9000, 5)
		storagetest.Product(t, db, other.ID, "Other's dal", 9000, 5)
		if _, err := db.SetAvailability(ctx, v.ID, off.ID, false); err != nil {
			t.Fatal(err)
		}
		if _, err := db.DeleteProduct(ctx, v.ID, gone.ID); err != nil {
			t.Fatal(err)
		}

		tests := []struct {
			name      string
			filter    app.ProductFilter
			want      []*app.Product
			wantTotal int
		}{
			{"all, newest first", app.ProductFilter{}, []*app.Product{snack, under, fifty, pct, off, moong, dal}, 7},
			{"on sale only", app.ProductFilter{OnSaleOnly: true}, []*app.Product{snack, under, fifty, pct, moong, dal}, 6},
			{"query ignores case", app.ProductFilter{Query: "dal"}, []*app.Product{off, moong, dal}, 3},
			{"query and on sale", app.ProductFilter{Query: "DAL", OnSaleOnly: true}, []*app.Product{moong, dal}, 2},
			{"percent is literal", app.ProductFilter{Query: "50%"}, []*app.Product{pct}, 1},
			{"underscore is literal", app.ProductFilter{Query: "k_m"}, []*app.Product{under}, 1},
			{"no match", app.ProductFilter{Query: "paneer"}, nil, 0},
			{"first page", app.ProductFilter{Limit: 3}, []*app.Product{snack, under, fifty}, 7},
			{"second page", app.ProductFilter{Limit: 3, Offset: 3}, []*app.Product{pct, off, moong}, 7},
			{"past the end", app.ProductFilter{Limit: 3, Offset: 9}, nil, 7},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				f := tt.filter
				f.VendorID = v.ID
				got, total, err := db.Products(ctx, f)
				if err != nil {
					t.Fatalf("Products: %v", err)
				}
				if total != tt.wantTotal {
					t.Errorf("total = %d, want %d", total, tt.wantTotal)
				}
				if g, w := productIDs(got), productIDs(tt.want); !slices.Equal(g, w) {
					t.Errorf("ids = %v, want %v", g, w)
				}
			})
		}
	})
}

func TestUpdateProduct(t *testing.T) {
	base := app.ProductInput{Name: "Ghee, 500 ml", Description: "Bilona.", MRP: 42000, Price: 40000, Available: true}
	tests := []struct {
		name string
		// ordered is what a customer buys from stock 10 while the
		// vendor's form (showing stock 10) is open.
		ordered      int64
		stock        int64
		stockWas     *int64
		wantStock    int64
		wantConflict bool
	}{
		{name: "stock untouched keeps an order's decrement", ordered: 3, stock: 10, stockWas: ptr[int64](10), wantStock: 7},
		{name: "stock changed, nothing sold meanwhile", ordered: 0, stock: 25, stockWas: ptr[int64](10), wantStock: 25},
		{name: "stock changed after an order is refused", ordered: 3, stock: 25, stockWas: ptr[int64](10), wantStock: 7, wantConflict: true},
		{name: "no StockWas sets stock absolutely", ordered: 3, stock: 4, stockWas: nil, wantStock: 4},
		{name: "stock set to zero", ordered: 0, stock: 0, stockWas: ptr[int64](10), wantStock: 0},
	}
	storagetest.ForEachDialect(t, func(t *testing.T, db *storage.DB) {
		ctx := t.Context()
		v := storagetest.Vendor(t, db, "dairy")
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				p := storagetest.Product(t, db, v.ID, "Ghee", 40000, 10)
				if tt.ordered > 0 {
					_, _, err := db.PlaceOrder(ctx, app.PlaceOrder{VendorID: v.ID, Customer: storagetest.Customer(),
						Lines: []app.OrderLine{{ProductID: p.ID, Qty: tt.ordered}}})
					if err != nil {
						t.Fatalf("PlaceOrder: %v", err)
					}
				}
				in := base
				in.Stock, in.StockWas = tt.stock, tt.stockWas
				got, err := db.UpdateProduct(ctx, v.ID, p.ID, in)
				if tt.wantConflict {
					ae := wantCode(t, err, app.ECONFLICT)
					if !strings.Contains(ae.Message, "changed the stock to 7") {
						t.Errorf("message = %q, want the current stock 7 in it", ae.Message)
					}
					if ae.Fields["stock"] == "" {
						t.Errorf("fields = %v, want a stock message", ae.Fields)
					}
					got, err = db.Product(ctx, v.ID, p.ID)
					if err != nil {
						t.Fatal(err)
					}
					if got.Name != "Ghee" || got.Price != 40000 {
						t.Errorf("refused update changed other fields: %+v", got)
					}
				} else {
					if err != nil {
						t.Fatalf("UpdateProduct: %v", err)
					}
					if got.Name != in.Name || got.Description != in.Description || got.MRP != in.MRP || got.Price != in.Price {
						t.Errorf("updated = %+v, want fields of %+v", got, in)
					}
					if !got.UpdatedAt.After(p.UpdatedAt) && !got.UpdatedAt.Equal(p.UpdatedAt) {
						t.Errorf("UpdatedAt went back: %v < %v", got.UpdatedAt, p.UpdatedAt)
					}
					if got.Stock != tt.wantStock {
						t.Errorf("returned stock = %d, want %d", got.Stock, tt.wantStock)
					}
				}
				if got := stockOf(t, db, p.ID); got != tt.wantStock {
					t.Errorf("stored stock = %d, want %d", got, tt.wantStock)
				}
			})
		}
	})
}

func TestSetAvailability(t *testing.T) {
	storagetest.ForEachDialect(t, func(t *testing.T, db *storage.DB) {
		ctx := t.Context()
		v := storagetest.Vendor(t, db, "kirana")
		p := storagetest.Product(t, db, v.ID, "Poha", 6000, 5)
		for _, want := range []bool{false, false, true, true} {
			got, err := db.SetAvailability(ctx, v.ID, p.ID, want)
			if err != nil {
				t.Fatalf("SetAvailability(%v): %v", want, err)
			}
			if got.Available != want {
				t.Errorf("Available = %v, want %v", got.Available, want)
			}
		}
	})
}

func TestDeleteProduct(t *testing.T) {
	storagetest.ForEachDialect(t, func(t *testing.T, db *storage.DB) {
		ctx := t.Context()
		v := storagetest.Vendor(t, db, "kirana")
		unsold := storagetest.Product(t, db, v.ID, "Sooji", 5000, 5)
		sold := storagetest.Product(t, db, v.ID, "Besan", 9000, 5)
		o, _, err := db.PlaceOrder(ctx, app.PlaceOrder{VendorID: v.ID, Customer: storagetest.Customer(),
			Lines: []app.OrderLine{{ProductID: sold.ID, Qty: 2}}})
		if err != nil {
			t.Fatalf("PlaceOrder: %v", err)
		}

		t.Run("never ordered is deleted", func(t *testing.T) {
			archived, err := db.DeleteProduct(ctx, v.ID, unsold.ID)
			if err != nil || archived {
				t.Fatalf("DeleteProduct = %v, %v; want false, nil", archived, err)
			}
			var n int
			if err := db.Bun().NewRaw("SELECT COUNT(*) FROM products WHERE id = ?", unsold.ID).Scan(ctx, &n); err != nil {
				t.Fatal(err)
			}
			if n != 0 {
				t.Errorf("row still there")
			}
		})
		t.Run("ordered is archived", func(t *testing.T) {
			archived, err := db.DeleteProduct(ctx, v.ID, sold.ID)
			if err != nil || !archived {
				t.Fatalf("DeleteProduct = %v, %v; want true, nil", archived, err)
			}
			_, err = db.Product(ctx, v.ID, sold.ID)
			wantCode(t, err, app.ENOTFOUND)
			list, total, err := db.Products(ctx, app.ProductFilter{VendorID: v.ID})
			if err != nil || total != 0 || len(list) != 0 {
				t.Errorf("Products = %d items, total %d, %v; want none", len(list), total, err)
			}
			got, err := db.Order(ctx, v.ID, o.ID)
			if err != nil {
				t.Fatalf("Order: %v", err)
			}
			if len(got.Items) != 1 || got.Items[0].Name != "Besan" {
				t.Errorf("order items = %+v, want the archived product's line", got.Items)
			}
			var available, isArchived bool
			if err := db.Bun().NewRaw("SELECT available, archived FROM products WHERE id = ?", sold.ID).Scan(ctx, &available, &isArchived); err != nil {
				t.Fatal(err)
			}
			if available || !isArchived {
				t.Errorf("available, archived = %v, %v; want false, true", available, isArchived)
			}
		})
		t.Run("archived cannot be edited or deleted again", func(t *testing.T) {
			_, err := db.DeleteProduct(ctx, v.ID, sold.ID)
			wantCode(t, err, app.ENOTFOUND)
			_, err = db.UpdateProduct(ctx, v.ID, sold.ID, app.ProductInput{Name: "x", MRP: 1, Price: 1})
			wantCode(t, err, app.ENOTFOUND)
			_, err = db.SetAvailability(ctx, v.ID, sold.ID, true)
			wantCode(t, err, app.ENOTFOUND)
		})
	})
}

// TestVendorScoping checks that one vendor's ids are invisible to another:
// every lookup and change answers ENOTFOUND, exactly as for a missing id.
func TestVendorScoping(t *testing.T) {
	storagetest.ForEachDialect(t, func(t *testing.T, db *storage.DB) {
		ctx := t.Context()
		a := storagetest.Vendor(t, db, "shop-a")
		b := storagetest.Vendor(t, db, "shop-b")
		p := storagetest.Product(t, db, a.ID, "A's rice", 7000, 5)
		o, _, err := db.PlaceOrder(ctx, app.PlaceOrder{VendorID: a.ID, Customer: storagetest.Customer(),
			Lines: []app.OrderLine{{ProductID: p.ID, Qty: 1}}})
		if err != nil {
			t.Fatal(err)
		}
		in := app.ProductInput{Name: "Stolen", MRP: 100, Price: 1, Stock: 99, Available: true}
		tests := []struct {
			name string
			call func() error
		}{
			{"Product", func() error { _, err := db.Product(ctx, b.ID, p.ID); return err }},
			{"UpdateProduct", func() error { _, err := db.UpdateProduct(ctx, b.ID, p.ID, in); return err }},
			{"UpdateProduct with StockWas", func() error {
				in := in
				in.StockWas = ptr[int64](4)
				_, err := db.UpdateProduct(ctx, b.ID, p.ID, in)
				return err
			}},
			{"SetAvailability", func() error { _, err := db.SetAvailability(ctx, b.ID, p.ID, false); return err }},
			{"DeleteProduct", func() error { _, err := db.DeleteProduct(ctx, b.ID, p.ID); return err }},
			{"Order", func() error { _, err := db.Order(ctx, b.ID, o.ID); return err }},
			{"OrderByToken", func() error { _, err := db.OrderByToken(ctx, b.ID, o.Token); return err }},
			{"SetOrderStatus", func() error { _, err := db.SetOrderStatus(ctx, b.ID, o.ID, app.StatusCancelled); return err }},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				wantCode(t, tt.call(), app.ENOTFOUND)
			})
		}
		t.Run("PlaceOrder", func(t *testing.T) {
			_, _, err := db.PlaceOrder(ctx, app.PlaceOrder{VendorID: b.ID, Customer: storagetest.Customer(),
				Lines: []app.OrderLine{{ProductID: p.ID, Qty: 1}}})
			ae := wantCode(t, err, app.EINVALID)
			wantFields(t, ae.Fields, map[string]string{qtyKey(p.ID): "This product is no longer sold."})
		})
		t.Run("lists", func(t *testing.T) {
			ps, n, err := db.Products(ctx, app.ProductFilter{VendorID: b.ID})
			if err != nil || n != 0 || len(ps) != 0 {
				t.Errorf("B's products = %d, total %d, %v; want none", len(ps), n, err)
			}
			os, n, err := db.Orders(ctx, app.OrderFilter{VendorID: b.ID})
			if err != nil || n != 0 || len(os) != 0 {
				t.Errorf("B's orders = %d, total %d, %v; want none", len(os), n, err)
			}
		})
		t.Run("A's data unchanged", func(t *testing.T) {
			got, err := db.Product(ctx, a.ID, p.ID)
			if err != nil {
				t.Fatal(err)
			}
			if got.Name != "A's rice" || got.Stock != 4 || !got.Available {
				t.Errorf("A's product = %+v", got)
			}
			order, err := db.Order(ctx, a.ID, o.ID)
			if err != nil {
				t.Fatal(err)
			}
			if order.Status != app.StatusPending {
				t.Errorf("A's order status = %s, want pending", order.Status)
			}
		})
	})
}
