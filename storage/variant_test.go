package storage_test

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"dukaan/app"
	"dukaan/storage"
	"dukaan/storage/storagetest"
)

// chai is a product sold in two variants: 250 g (₹150 of ₹180, 5 left)
// and 500 g (₹280, 100 left).
func chai(t *testing.T, db *storage.DB, vendorID int64, small int64) *app.Product {
	t.Helper()
	p, err := db.CreateProduct(t.Context(), vendorID, app.ProductInput{Name: "Masala Chai", Available: true,
		Variants: &[]app.VariantInput{
			{Label: "500 g", MRP: 28000, Price: 28000, Stock: 100, Available: true, Position: 2},
			{Label: "250 g", MRP: 18000, Price: 15000, Stock: small, Available: true, Position: 1},
		}})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func variantLabels(p *app.Product) []string {
	var out []string
	for _, v := range p.Variants {
		out = append(out, fmt.Sprintf("%s:%d:%d", v.Label, v.Price, v.Stock))
	}
	return out
}

func TestProductVariants(t *testing.T) {
	storagetest.ForEachDialectEvents(t, func(t *testing.T, db *storage.DB, rec *storagetest.Recorder) {
		ctx := t.Context()
		v := storagetest.Vendor(t, db, "chai-wala")
		p := chai(t, db, v.ID, 5)
		if got, want := variantLabels(p), []string{"250 g:15000:5", "500 g:28000:100"}; !slices.Equal(got, want) {
			t.Fatalf("created variants = %v, want %v (position order)", got, want)
		}
		if p.Price != 15000 || p.MRP != 18000 || p.FromPrice() != 15000 || p.SoldOut() {
			t.Errorf("product row price %v mrp %v from %v soldout %v", p.Price, p.MRP, p.FromPrice(), p.SoldOut())
		}
		plain := storagetest.Product(t, db, v.ID, "Gur", 9900, 10)
		ps, _, err := db.Products(ctx, app.ProductFilter{VendorID: v.ID})
		if err != nil {
			t.Fatal(err)
		}
		if len(ps) != 2 || len(ps[0].Variants) != 0 || ps[0].ID != plain.ID || !slices.Equal(variantLabels(ps[1]), variantLabels(p)) {
			t.Fatalf("Products = %+v", ps)
		}
		rec.Take()

		// Edit the 500 g price, add 1 kg, remove nothing, move 1 kg first.
		small, big := p.Variants[0], p.Variants[1]
		edit := []app.VariantInput{
			{ID: small.ID, Label: "250 g", MRP: 18000, Price: 15000, Stock: 5, StockWas: ptr[int64](5), Available: true, Position: 2},
			{ID: big.ID, Label: "500 g", MRP: 28000, Price: 26000, Stock: 100, StockWas: ptr[int64](100), Available: true, Position: 3},
			{Label: "1 kg", MRP: 50000, Price: 48000, Stock: 7, Available: true, Position: 1},
		}
		got, err := db.UpdateProduct(ctx, v.ID, p.ID, app.ProductInput{Name: "Masala Chai", Available: true, Variants: &edit})
		if err != nil {
			t.Fatal(err)
		}
		if want := []string{"1 kg:48000:7", "250 g:15000:5", "500 g:26000:100"}; !slices.Equal(variantLabels(got), want) {
			t.Errorf("after edit = %v, want %v", variantLabels(got), want)
		}
		wantEvents(t, rec.Take(), []app.ProductEvent{{Kind: app.ProductUpdated, VendorID: v.ID, ProductID: p.ID}})

		t.Run("bad rows change nothing", func(t *testing.T) {
			bad := []app.VariantInput{
				{ID: small.ID, Label: "250 g", MRP: 18000, Price: 15000, Stock: 5, Available: true},
				{ID: big.ID, Label: "250 G", MRP: 28000, Price: 29000, Stock: 100, Available: true},
			}
			_, err := db.UpdateProduct(ctx, v.ID, p.ID, app.ProductInput{Name: "Masala Chai", Available: true, Variants: &bad})
			ae := wantCode(t, err, app.EINVALID)
			if ae.Fields["v1_label"] == "" || ae.Fields["v1_price"] == "" {
				t.Errorf("fields = %v, want v1_label and v1_price", ae.Fields)
			}
			cur, _ := db.Product(ctx, v.ID, p.ID)
			if !slices.Equal(variantLabels(cur), variantLabels(got)) {
				t.Errorf("variants changed: %v", variantLabels(cur))
			}
			if len(rec.Take()) != 0 {
				t.Errorf("a refused edit published events")
			}
		})

		t.Run("orders, remove, cancel", func(t *testing.T) {
			o, _, err := db.PlaceOrder(ctx, order(v.ID, app.OrderLine{VariantID: small.ID, Qty: 5}, app.OrderLine{ProductID: plain.ID, Qty: 1}))
			if err != nil {
				t.Fatal(err)
			}
			checkItems(t, o.Items, []app.OrderItem{
				{OrderID: o.ID, ProductID: p.ID, Name: "Masala Chai", MRP: 18000, Price: 15000, Qty: 5, VariantID: small.ID, VariantLabel: "250 g"},
				{OrderID: o.ID, ProductID: plain.ID, Name: "Gur", MRP: 9900, Price: 9900, Qty: 1},
			})
			if got, want := o.Items[0].DisplayName(), "Masala Chai — 250 g"; got != want {
				t.Errorf("DisplayName = %q, want %q", got, want)
			}
			// The 250 g reached 0: its product's pages change.
			wantEvents(t, rec.Take(), []app.ProductEvent{{Kind: app.ProductSoldOut, VendorID: v.ID, ProductID: p.ID}})
			cur, _ := db.Product(ctx, v.ID, p.ID)
			if sv := cur.Variant(small.ID); sv == nil || sv.Stock != 0 || !sv.SoldOut() || cur.SoldOut() {
				t.Errorf("after the order: %+v", cur.Variants)
			}
			// Remove the ordered 250 g and the never-ordered 1 kg.
			rows := []app.VariantInput{
				{ID: cur.Variants[0].ID, Remove: true},
				{ID: small.ID, Remove: true},
				{ID: big.ID, Label: "500 g", MRP: 28000, Price: 26000, Stock: 100, StockWas: ptr[int64](100), Available: true},
			}
			after, err := db.UpdateProduct(ctx, v.ID, p.ID, app.ProductInput{Name: "Masala Chai", Available: true, Variants: &rows})
			if err != nil {
				t.Fatal(err)
			}
			if want := []string{"500 g:26000:100"}; !slices.Equal(variantLabels(after), want) {
				t.Errorf("after removing = %v, want %v", variantLabels(after), want)
			}
			if after.Price != 26000 {
				t.Errorf("row price = %v, want the remaining variant's", after.Price)
			}
			if n := countRows(t, db, "product_variants"); n != 2 {
				t.Errorf("variant rows = %d, want 2 (the ordered 250 g archived, 1 kg deleted)", n)
			}
			read, err := db.Order(ctx, v.ID, o.ID)
			if err != nil || read.Items[0].DisplayName() != "Masala Chai — 250 g" || read.Items[0].Price != 15000 {
				t.Fatalf("order read back: %+v, %v", read, err)
			}
			if _, err := db.SetOrderStatus(ctx, v.ID, o.ID, app.StatusCancelled); err != nil {
				t.Fatal(err)
			}
			var stock int64
			if err := db.Bun().NewRaw("SELECT stock FROM product_variants WHERE id = ?", small.ID).Scan(ctx, &stock); err != nil || stock != 5 {
				t.Errorf("archived variant's stock after cancel = %d (%v), want 5", stock, err)
			}
			if got := stockOf(t, db, plain.ID); got != 10 {
				t.Errorf("plain stock after cancel = %d, want 10", got)
			}
		})
	})
}

func TestPlaceOrderVariantRefusals(t *testing.T) {
	storagetest.ForEachDialect(t, func(t *testing.T, db *storage.DB) {
		ctx := t.Context()
		v := storagetest.Vendor(t, db, "chai-refusals")
		p := chai(t, db, v.ID, 2)
		small, big := p.Variants[0], p.Variants[1]
		other := storagetest.Vendor(t, db, "someone-else")
		theirs := chai(t, db, other.ID, 2)

		cases := []struct {
			name  string
			req   app.PlaceOrder
			field string
			msg   string
		}{
			{"plain line of a product with variants", order(v.ID, app.OrderLine{ProductID: p.ID, Qty: 1}),
				qtyKey(p.ID), "Choose a variant of this product."},
			{"not enough of the variant", order(v.ID, app.OrderLine{VariantID: small.ID, Qty: 3}),
				"qty_v" + fmt.Sprint(small.ID), "Masala Chai 250 g: only 2 left."},
			{"another shop's variant", order(v.ID, app.OrderLine{VariantID: theirs.Variants[0].ID, Qty: 1}),
				"qty_v" + fmt.Sprint(theirs.Variants[0].ID), "This product is no longer sold."},
			{"price shown is not the price now", func() app.PlaceOrder {
				r := order(v.ID, app.OrderLine{VariantID: big.ID, Qty: 1})
				r.ShownVariant = map[int64]app.Paise{big.ID: 25000}
				return r
			}(), "qty_v" + fmt.Sprint(big.ID), "Masala Chai 500 g is now ₹280, was ₹250."},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				_, _, err := db.PlaceOrder(ctx, c.req)
				ae := wantCode(t, err, app.EINVALID)
				if ae.Fields[c.field] != c.msg {
					t.Errorf("fields = %v, want %s: %q", ae.Fields, c.field, c.msg)
				}
			})
		}
		if n := countRows(t, db, "orders"); n != 0 {
			t.Errorf("orders stored = %d, want 0", n)
		}
		cur, _ := db.Product(ctx, v.ID, p.ID)
		if !slices.Equal(variantLabels(cur), variantLabels(p)) {
			t.Errorf("stock moved: %v", variantLabels(cur))
		}
		// The shown price that is right goes through.
		r := order(v.ID, app.OrderLine{VariantID: big.ID, Qty: 1})
		r.ShownVariant = map[int64]app.Paise{big.ID: 28000}
		if _, _, err := db.PlaceOrder(ctx, r); err != nil {
			t.Fatal(err)
		}
	})
}

// TestPlaceOrderVariantConcurrent races 30 customers for a variant with 5
// units while the product's other variant has plenty: exactly 5 orders,
// the variant at 0, the other variant and the product's own row untouched.
func TestPlaceOrderVariantConcurrent(t *testing.T) {
	const customers, stock = 30, 5
	storagetest.ForEachDialect(t, func(t *testing.T, db *storage.DB) {
		ctx := t.Context()
		v := storagetest.Vendor(t, db, "chai-rush")
		p := chai(t, db, v.ID, stock)
		small, big := p.Variants[0], p.Variants[1]
		gur := storagetest.Product(t, db, v.ID, "Gur", 9900, 1000)
		errs := make([]error, customers)
		var wg sync.WaitGroup
		for i := range customers {
			wg.Go(func() {
				// Every other customer also buys a plain product: mixed
				// orders take rows in (product, variant) order.
				lines := []app.OrderLine{{VariantID: small.ID, Qty: 1}}
				if i%2 == 0 {
					lines = append(lines, app.OrderLine{ProductID: gur.ID, Qty: 1})
				}
				req := order(v.ID, lines...)
				req.OrderKey = fmt.Sprintf("customer-%d", i)
				_, _, errs[i] = db.PlaceOrder(ctx, req)
			})
		}
		wg.Wait()
		ok, gurSold := 0, int64(0)
		for i, err := range errs {
			if err == nil {
				ok++
				if i%2 == 0 {
					gurSold++
				}
				continue
			}
			ae := wantCode(t, err, app.EINVALID)
			msg := ae.Fields["qty_v"+fmt.Sprint(small.ID)]
			if msg != "Masala Chai 250 g: sold out." && !strings.HasPrefix(msg, "Masala Chai 250 g: only ") {
				t.Errorf("customer %d: fields = %v", i, ae.Fields)
			}
		}
		if ok != stock {
			t.Errorf("orders placed = %d, want %d", ok, stock)
		}
		cur, err := db.Product(ctx, v.ID, p.ID)
		if err != nil {
			t.Fatal(err)
		}
		if s := cur.Variant(small.ID).Stock; s != 0 {
			t.Errorf("250 g stock = %d, want 0", s)
		}
		if s := cur.Variant(big.ID).Stock; s != 100 {
			t.Errorf("500 g stock = %d, want 100 (untouched)", s)
		}
		if got := stockOf(t, db, p.ID); got != 0 {
			t.Errorf("product row stock = %d, want 0 (not sold by itself)", got)
		}
		if got := stockOf(t, db, gur.ID); got != 1000-gurSold {
			t.Errorf("gur stock = %d, want %d", got, 1000-gurSold)
		}
		if got := countRows(t, db, "orders"); got != stock {
			t.Errorf("orders stored = %d, want %d", got, stock)
		}
		if got := sumOrderedQty(t, db); got != stock+gurSold {
			t.Errorf("units in order_items = %d, want %d", got, stock+gurSold)
		}
	})
}
