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

func order(vendorID int64, lines ...app.OrderLine) app.PlaceOrder {
	return app.PlaceOrder{VendorID: vendorID, Customer: storagetest.Customer(), Lines: lines}
}

func TestPlaceOrder(t *testing.T) {
	storagetest.ForEachDialect(t, func(t *testing.T, db *storage.DB) {
		ctx := t.Context()
		v := storagetest.Vendor(t, db, "kirana")
		tea, err := db.CreateProduct(ctx, v.ID, app.ProductInput{Name: "Assam Tea", MRP: 32000, Price: 28500, Stock: 5, Available: true})
		if err != nil {
			t.Fatal(err)
		}
		gur := storagetest.Product(t, db, v.ID, "Gur", 9900, 10)
		req := order(v.ID, app.OrderLine{ProductID: gur.ID, Qty: 3}, app.OrderLine{ProductID: tea.ID, Qty: 2})
		req.OrderKey = "form-123"

		o, dup, err := db.PlaceOrder(ctx, req)
		if err != nil {
			t.Fatalf("PlaceOrder: %v", err)
		}
		if dup {
			t.Errorf("duplicate = true on the first order")
		}
		if o.ID == 0 || o.VendorID != v.ID || o.Status != app.StatusPending || o.OrderKey != "form-123" || o.Customer != req.Customer {
			t.Errorf("order = %+v", o)
		}
		if len(o.Token) != 26 || strings.ToLower(o.Token) != o.Token {
			t.Errorf("token = %q, want 26 lower-case characters", o.Token)
		}
		if got, want := o.Total, app.Paise(3*9900+2*28500); got != want {
			t.Errorf("total = %v, want %v", got, want)
		}
		wantItems := []app.OrderItem{
			{OrderID: o.ID, ProductID: gur.ID, Name: "Gur", MRP: 9900, Price: 9900, Qty: 3},
			{OrderID: o.ID, ProductID: tea.ID, Name: "Assam Tea", MRP: 32000, Price: 28500, Qty: 2},
		}
		checkItems(t, o.Items, wantItems)
		for id, want := range map[int64]int64{gur.ID: 7, tea.ID: 3} {
			if got := stockOf(t, db, id); got != want {
				t.Errorf("stock of %d = %d, want %d", id, got, want)
			}
		}

		t.Run("read back", func(t *testing.T) {
			byToken, err := db.OrderByToken(ctx, v.ID, o.Token)
			if err != nil {
				t.Fatalf("OrderByToken: %v", err)
			}
			byID, err := db.Order(ctx, v.ID, o.ID)
			if err != nil {
				t.Fatalf("Order: %v", err)
			}
			for _, got := range []*app.Order{byToken, byID} {
				if got.ID != o.ID || got.Total != o.Total || got.Token != o.Token || !got.CreatedAt.Equal(o.CreatedAt) {
					t.Errorf("read back %+v, want %+v", got, o)
				}
				checkItems(t, got.Items, wantItems)
			}
			_, err = db.OrderByToken(ctx, v.ID, "not-a-token")
			wantCode(t, err, app.ENOTFOUND)
		})

		t.Run("later price change does not rewrite the order", func(t *testing.T) {
			if _, err := db.UpdateProduct(ctx, v.ID, tea.ID, app.ProductInput{Name: "Assam Tea Gold", MRP: 40000, Price: 39000, Stock: 3}); err != nil {
				t.Fatal(err)
			}
			got, err := db.Order(ctx, v.ID, o.ID)
			if err != nil {
				t.Fatal(err)
			}
			checkItems(t, got.Items, wantItems)
		})

		t.Run("same key again is the same order", func(t *testing.T) {
			again, dup, err := db.PlaceOrder(ctx, req)
			if err != nil {
				t.Fatalf("PlaceOrder: %v", err)
			}
			if !dup || again.ID != o.ID || again.Token != o.Token {
				t.Errorf("got order %d (dup=%v), want order %d with dup=true", again.ID, dup, o.ID)
			}
			checkItems(t, again.Items, wantItems)
			if got := stockOf(t, db, gur.ID); got != 7 {
				t.Errorf("stock = %d after a duplicate, want 7", got)
			}
		})

		t.Run("no key gets a key of its own", func(t *testing.T) {
			for range 2 {
				o, dup, err := db.PlaceOrder(ctx, order(v.ID, app.OrderLine{ProductID: gur.ID, Qty: 1}))
				if err != nil || dup {
					t.Fatalf("PlaceOrder = %v, %v; want a new order", dup, err)
				}
				if o.OrderKey == "" {
					t.Errorf("OrderKey empty")
				}
			}
		})

		t.Run("same key at another vendor is another order", func(t *testing.T) {
			w := storagetest.Vendor(t, db, "other")
			p := storagetest.Product(t, db, w.ID, "Rice", 7000, 5)
			other := order(w.ID, app.OrderLine{ProductID: p.ID, Qty: 1})
			other.OrderKey = req.OrderKey
			got, dup, err := db.PlaceOrder(ctx, other)
			if err != nil || dup || got.ID == o.ID {
				t.Errorf("PlaceOrder = order %v, dup %v, %v; want a new order", got, dup, err)
			}
		})

		t.Run("unknown vendor", func(t *testing.T) {
			_, _, err := db.PlaceOrder(ctx, order(v.ID+999, app.OrderLine{ProductID: gur.ID, Qty: 1}))
			wantCode(t, err, app.ENOTFOUND)
		})
	})
}

func line(productID, qty int64) app.OrderLine {
	return app.OrderLine{ProductID: productID, Qty: qty}
}

func checkItems(tb testing.TB, got, want []app.OrderItem) {
	tb.Helper()
	if len(got) != len(want) {
		tb.Fatalf("items = %+v, want %+v", got, want)
	}
	for i := range got {
		if got[i].ID == 0 {
			tb.Errorf("item %d has no ID", i)
		}
		g := got[i]
		g.ID = 0
		if g != want[i] {
			tb.Errorf("item %d = %+v, want %+v", i, g, want[i])
		}
	}
}

func TestPlaceOrderShape(t *testing.T) {
	tooMany := make([]app.OrderLine, app.MaxOrderLines+1)
	for i := range tooMany {
		tooMany[i] = app.OrderLine{ProductID: int64(i + 1), Qty: 1}
	}
	tests := []struct {
		name       string
		lines      []app.OrderLine
		key        string
		wantFields map[string]string
	}{
		{"no lines", nil, "", map[string]string{"lines": "Choose at least one product."}},
		{"too many lines", tooMany, "", map[string]string{"lines": fmt.Sprintf("An order can have at most %d different products.", app.MaxOrderLines)}},
		{"zero qty", []app.OrderLine{{ProductID: 7, Qty: 0}}, "", map[string]string{"qty_7": "Order at least 1."}},
		{"negative qty", []app.OrderLine{{ProductID: 7, Qty: -2}}, "", map[string]string{"qty_7": "Order at least 1."}},
		{"qty above limit", []app.OrderLine{{ProductID: 7, Qty: app.MaxQty + 1}}, "", map[string]string{"qty_7": fmt.Sprintf("At most %d per order.", app.MaxQty)}},
		{"product twice", []app.OrderLine{{ProductID: 7, Qty: 1}, {ProductID: 8, Qty: 1}, {ProductID: 7, Qty: 2}}, "", map[string]string{"qty_7": "This product is listed twice."}},
		{"bad product id", []app.OrderLine{{ProductID: 0, Qty: 1}}, "", map[string]string{"lines": "The order names a product that does not exist."}},
		{"key too long", []app.OrderLine{{ProductID: 7, Qty: 1}}, strings.Repeat("k", app.MaxOrderKeyLen+1), map[string]string{"order_key": "Too long."}},
	}
	storagetest.ForEachDialect(t, func(t *testing.T, db *storage.DB) {
		v := storagetest.Vendor(t, db, "kirana")
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				req := order(v.ID, tt.lines...)
				req.OrderKey = tt.key
				_, _, err := db.PlaceOrder(t.Context(), req)
				ae := wantCode(t, err, app.EINVALID)
				wantFields(t, ae.Fields, tt.wantFields)
			})
		}
		if n := countRows(t, db, "orders"); n != 0 {
			t.Errorf("orders = %d, want 0", n)
		}
	})
}

// TestPlaceOrderRefused checks each reason a line cannot be filled, and
// that a refused order leaves no trace: no order, no lines, no stock moved.
func TestPlaceOrderRefused(t *testing.T) {
	storagetest.ForEachDialect(t, func(t *testing.T, db *storage.DB) {
		ctx := t.Context()
		v := storagetest.Vendor(t, db, "kirana")
		other := storagetest.Vendor(t, db, "other")
		good := storagetest.Product(t, db, v.ID, "Atta", 29500, 10)
		good2 := storagetest.Product(t, db, v.ID, "Rice", 7000, 10)
		soldOut := storagetest.Product(t, db, v.ID, "Methi", 5500, 0)
		few := storagetest.Product(t, db, v.ID, "Pickle", 22000, 2)
		off := storagetest.Product(t, db, v.ID, "Off", 1000, 9)
		archived := storagetest.Product(t, db, v.ID, "Archived", 1000, 9)
		foreign := storagetest.Product(t, db, other.ID, "Foreign", 1000, 9)
		if _, err := db.SetAvailability(ctx, v.ID, off.ID, false); err != nil {
			t.Fatal(err)
		}
		if _, _, err := db.PlaceOrder(ctx, order(v.ID, app.OrderLine{ProductID: archived.ID, Qty: 1})); err != nil {
			t.Fatal(err)
		}
		if archivedNow, err := db.DeleteProduct(ctx, v.ID, archived.ID); err != nil || !archivedNow {
			t.Fatalf("DeleteProduct = %v, %v", archivedNow, err)
		}
		deleted := storagetest.Product(t, db, v.ID, "Deleted", 1000, 9)
		if _, err := db.DeleteProduct(ctx, v.ID, deleted.ID); err != nil {
			t.Fatal(err)
		}
		ordersBefore, itemsBefore := countRows(t, db, "orders"), countRows(t, db, "order_items")

		tests := []struct {
			name       string
			lines      []app.OrderLine
			wantFields map[string]string
		}{
			{"sold out", []app.OrderLine{line(good.ID, 1), line(soldOut.ID, 1)},
				map[string]string{qtyKey(soldOut.ID): "Sold out."}},
			{"not enough", []app.OrderLine{line(few.ID, 3), line(good.ID, 1)},
				map[string]string{qtyKey(few.ID): "Only 2 left."}},
			{"unavailable", []app.OrderLine{line(good.ID, 1), line(off.ID, 1)},
				map[string]string{qtyKey(off.ID): "This product is not available right now."}},
			{"archived", []app.OrderLine{line(good.ID, 1), line(archived.ID, 1)},
				map[string]string{qtyKey(archived.ID): "This product is no longer sold."}},
			{"deleted", []app.OrderLine{line(good.ID, 1), line(deleted.ID, 1)},
				map[string]string{qtyKey(deleted.ID): "This product is no longer sold."}},
			{"never existed", []app.OrderLine{line(good.ID, 1), line(999999, 1)},
				map[string]string{qtyKey(999999): "This product is no longer sold."}},
			{"another vendor's", []app.OrderLine{line(foreign.ID, 1), line(good.ID, 1)},
				map[string]string{qtyKey(foreign.ID): "This product is no longer sold."}},
			{"every failing line is reported", []app.OrderLine{line(good.ID, 2), line(soldOut.ID, 1), line(few.ID, 5), line(good2.ID, 1), line(off.ID, 1)},
				map[string]string{
					qtyKey(soldOut.ID): "Sold out.",
					qtyKey(few.ID):     "Only 2 left.",
					qtyKey(off.ID):     "This product is not available right now.",
				}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				_, _, err := db.PlaceOrder(ctx, order(v.ID, tt.lines...))
				ae := wantCode(t, err, app.EINVALID)
				if got, want := ae.Message, "Some items could not be ordered."; got != want {
					t.Errorf("message = %q, want %q", got, want)
				}
				wantFields(t, ae.Fields, tt.wantFields)
				for id, want := range map[int64]int64{good.ID: 10, good2.ID: 10, soldOut.ID: 0, few.ID: 2, off.ID: 9, foreign.ID: 9} {
					if got := stockOf(t, db, id); got != want {
						t.Errorf("stock of %d = %d, want %d (unchanged)", id, got, want)
					}
				}
				if got := countRows(t, db, "orders"); got != ordersBefore {
					t.Errorf("orders = %d, want %d", got, ordersBefore)
				}
				if got := countRows(t, db, "order_items"); got != itemsBefore {
					t.Errorf("order_items = %d, want %d", got, itemsBefore)
				}
			})
		}
	})
}

// TestPlaceOrderConcurrent races more customers than there is stock: the
// conditional decrement must let exactly as many orders through as there
// are units, and refuse the rest cleanly (no busy/deadlock errors).
func TestPlaceOrderConcurrent(t *testing.T) {
	const customers, stock = 40, 7
	storagetest.ForEachDialect(t, func(t *testing.T, db *storage.DB) {
		ctx := t.Context()
		v := storagetest.Vendor(t, db, "flash-sale")
		p := storagetest.Product(t, db, v.ID, "Alphonso Mangoes, 1 dozen", 120000, stock)
		errs := make([]error, customers)
		var wg sync.WaitGroup
		for i := range customers {
			wg.Go(func() {
				req := order(v.ID, app.OrderLine{ProductID: p.ID, Qty: 1})
				req.OrderKey = fmt.Sprintf("customer-%d", i)
				_, _, errs[i] = db.PlaceOrder(ctx, req)
			})
		}
		wg.Wait()
		var ok int
		for i, err := range errs {
			if err == nil {
				ok++
				continue
			}
			ae := wantCode(t, err, app.EINVALID)
			msg := ae.Fields[qtyKey(p.ID)]
			if msg != "Sold out." && !strings.HasPrefix(msg, "Only ") {
				t.Errorf("customer %d: fields = %v, want sold out or only N left", i, ae.Fields)
			}
		}
		if ok != stock {
			t.Errorf("orders placed = %d, want %d", ok, stock)
		}
		if got := stockOf(t, db, p.ID); got != 0 {
			t.Errorf("stock = %d, want 0", got)
		}
		if got := countRows(t, db, "orders"); got != stock {
			t.Errorf("orders stored = %d, want %d", got, stock)
		}
		if got := sumOrderedQty(t, db); got != stock {
			t.Errorf("units in order_items = %d, want %d", got, stock)
		}
	})
}

// TestPlaceOrderConcurrentOverlapping has 100 customers order overlapping
// sets of products, each listing them in its own order. Stock is taken in
// ascending product id order whatever the customer's order, so PostgreSQL
// never sees a lock cycle, and SQLite's writers queue instead of failing
// with SQLITE_BUSY.
func TestPlaceOrderConcurrentOverlapping(t *testing.T) {
	const customers, products, stock = 100, 5, 1000
	storagetest.ForEachDialect(t, func(t *testing.T, db *storage.DB) {
		ctx := t.Context()
		v := storagetest.Vendor(t, db, "busy-shop")
		var ids []int64
		for i := range products {
			ids = append(ids, storagetest.Product(t, db, v.ID, fmt.Sprintf("Item %d", i), 1000, stock).ID)
		}
		errs := make([]error, customers)
		var wg sync.WaitGroup
		for i := range customers {
			wg.Go(func() {
				// Three products, rotated and, for odd customers, reversed.
				var lines []app.OrderLine
				for j := range 3 {
					lines = append(lines, line(ids[(i+j)%products], 1))
				}
				if i%2 == 1 {
					slices.Reverse(lines)
				}
				_, _, errs[i] = db.PlaceOrder(ctx, order(v.ID, lines...))
			})
		}
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Errorf("customer %d: %v", i, err)
			}
		}
		var left int64
		for _, id := range ids {
			left += stockOf(t, db, id)
		}
		if got, want := int64(products*stock)-left, int64(customers*3); got != want {
			t.Errorf("units sold = %d, want %d", got, want)
		}
		if got := sumOrderedQty(t, db); got != customers*3 {
			t.Errorf("units in order_items = %d, want %d", got, customers*3)
		}
	})
}

// TestPlaceOrderConcurrentSameKey submits one order form eight times at
// once: one order must result, and every submission must get it back.
func TestPlaceOrderConcurrentSameKey(t *testing.T) {
	const submits = 8
	storagetest.ForEachDialect(t, func(t *testing.T, db *storage.DB) {
		ctx := t.Context()
		v := storagetest.Vendor(t, db, "kirana")
		p := storagetest.Product(t, db, v.ID, "Ghee", 42000, 100)
		type result struct {
			o   *app.Order
			dup bool
			err error
		}
		results := make([]result, submits)
		var wg sync.WaitGroup
		for i := range submits {
			wg.Go(func() {
				req := order(v.ID, app.OrderLine{ProductID: p.ID, Qty: 2})
				req.OrderKey = "double-click"
				o, dup, err := db.PlaceOrder(ctx, req)
				results[i] = result{o, dup, err}
			})
		}
		wg.Wait()
		var firsts int
		tokens := map[string]bool{}
		for i, r := range results {
			if r.err != nil {
				t.Fatalf("submit %d: %v", i, r.err)
			}
			if !r.dup {
				firsts++
			}
			tokens[r.o.Token] = true
			if len(r.o.Items) != 1 || r.o.Items[0].Qty != 2 || r.o.Total != 84000 {
				t.Errorf("submit %d: order = %+v, want the full order", i, r.o)
			}
		}
		if firsts != 1 || len(tokens) != 1 {
			t.Errorf("new orders = %d, distinct tokens = %d; want 1 and 1", firsts, len(tokens))
		}
		if got := countRows(t, db, "orders"); got != 1 {
			t.Errorf("orders = %d, want 1", got)
		}
		if got := stockOf(t, db, p.ID); got != 98 {
			t.Errorf("stock = %d, want 98", got)
		}
	})
}

// moveTo walks an order from pending to status along the workflow.
