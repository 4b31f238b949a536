package main

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"dukaan/app"
)

// wantShopCaching checks a shop page's Cache-Control: public, max-age=0,
// must-revalidate, which the page cache may extend (s-maxage, …) but not
// weaken.
func wantShopCaching(t *testing.T, r *response) {
	t.Helper()
	cc := r.header.Get("Cache-Control")
	var have []string
	for _, d := range strings.Split(cc, ",") {
		have = append(have, strings.ToLower(strings.TrimSpace(d)))
	}
	for _, want := range []string{"public", "max-age=0", "must-revalidate"} {
		if !slices.Contains(have, want) {
			t.Errorf("%s: Cache-Control %q lacks %q (want public, max-age=0, must-revalidate, optionally extended)", r, cc, want)
		}
	}
}

// hasText reports whether s, or an element inside it, reads exactly want.
func hasText(s *goquery.Selection, want string) bool {
	return s.Find("*").AddSelection(s).FilterFunction(func(_ int, e *goquery.Selection) bool {
		return text(e) == want
	}).Length() > 0
}

// paise parses a money field's value the way the product form does.
func paise(t *testing.T, s string) app.Paise {
	t.Helper()
	p, err := app.ParseRupees(s)
	if err != nil {
		t.Fatalf("money %q: %v", s, err)
	}
	return p
}

// testProducts: the product console and what the shop shows.
func testProducts(t *testing.T, a *testApp) {
	v := a.signup(t, "products-shop")
	shop := a.newClient()
	const name = "Masala Chai 250 g"
	var id int64

	t.Run("new form", func(t *testing.T) {
		r := v.c.get(t, adminHost, "/products/new")
		wantStatus(t, r, http.StatusOK)
		wantHeader(t, r, "Cache-Control", "private, no-store")
		for _, f := range []string{"name", "description", "mrp", "price", "stock", "available", "csrf_token"} {
			if r.doc.Find(fmt.Sprintf(`form[action="/products/new"] [name=%q]`, f)).Length() != 1 {
				t.Errorf("%s: form has no field %q", r, f)
			}
		}
	})

	if !t.Run("create", func(t *testing.T) {
		r := v.c.submit(t, "/products/new", "/products/new", url.Values{"name": {name}, "description": {"Strong CTC with cardamom."},
			"mrp": {"₹1,499"}, "price": {"1,299.50"}, "stock": {"10"}, "available": {"on"}})
		wantRedirect(t, r, "/products")
		if id = v.productIDs(t)[name]; id == 0 {
			t.Fatalf("%q is not in the console list", name)
		}
		list := v.c.get(t, adminHost, "/products")
		wantHeader(t, list, "Cache-Control", "private, no-store")
		tr := row(list.doc, name)
		if !hasText(tr, "₹1,299.50") || !strings.Contains(struck(tr), "₹1,499") || !hasText(tr, "10") {
			t.Errorf("%s: row %q, want price ₹1,299.50, MRP ₹1,499 struck, stock 10", list, text(tr))
		}
		page := shop.get(t, v.shop(), "/")
		wantStatus(t, page, http.StatusOK)
		card := productCard(page.doc, id)
		if !hasText(card, "₹1,299.50") || !strings.Contains(struck(card), "₹1,499") || !strings.Contains(text(card), name) {
			t.Errorf("%s: card %q, want %q at ₹1,299.50 with ₹1,499 struck", page, text(card), name)
		}
	}) {
		return
	}

	t.Run("edit form", func(t *testing.T) {
		r := v.c.get(t, adminHost, fmt.Sprintf("/products/%d/edit", id))
		wantStatus(t, r, http.StatusOK)
		wantHeader(t, r, "Cache-Control", "private, no-store")
		if r.doc.Find(`input[type=hidden][name=stock_was]`).AttrOr("value", "") != "10" {
			t.Errorf("%s: no hidden stock_was=10", r)
		}
		f := formValues(r.doc, fmt.Sprintf("/products/%d/edit", id))
		if f.Get("name") != name || strings.TrimSpace(f.Get("description")) != "Strong CTC with cardamom." ||
			paise(t, f.Get("mrp")) != 149900 || paise(t, f.Get("price")) != 129950 ||
			f.Get("stock") != "10" || f.Get("stock_was") != "10" || f.Get("available") != "on" {
			t.Errorf("%s: form %v, want the product's values", r, f)
		}
	})

	t.Run("edit", func(t *testing.T) {
		f := v.productForm(t, id)
		f.Set("name", "Masala Chai 500 g")
		f.Set("price", "1,199")
		r := v.c.submit(t, fmt.Sprintf("/products/%d/edit", id), fmt.Sprintf("/products/%d/edit", id), f)
		wantRedirect(t, r, "/products")
		page := shop.get(t, v.shop(), fmt.Sprintf("/p/%d", id))
		wantStatus(t, page, http.StatusOK)
		card := productCard(page.doc, id)
		if !hasText(card, "₹1,199") || !strings.Contains(text(card), "Masala Chai 500 g") {
			t.Errorf("%s: %q, want the new name and ₹1,199", page, text(card))
		}
		if got := v.stock(t, id); got != 10 {
			t.Errorf("stock %d after an edit that kept it, want 10", got)
		}
	})

	t.Run("search", func(t *testing.T) {
		for q, want := range map[string]bool{"Chai 500": true, "no such thing": false} {
			r := v.c.get(t, adminHost, "/products?q="+url.QueryEscape(q))
			wantStatus(t, r, http.StatusOK)
			if got := slices.Contains(ids(r.doc, "a[href]", "href", productEditHref), id); got != want {
				t.Errorf("%s: lists product %d = %v, want %v", r, id, got, want)
			}
		}
	})

	t.Run("availability", func(t *testing.T) {
		path := fmt.Sprintf("/products/%d/availability", id)
		wantRedirect(t, v.c.submit(t, "/products", path, url.Values{"available": {"false"}}), "/products")
		if got := shopProductIDs(shop.get(t, v.shop(), "/").doc); slices.Contains(got, id) {
			t.Errorf("hidden product %d still in the shop %v", id, got)
		}
		if r := shop.get(t, v.shop(), fmt.Sprintf("/p/%d", id)); r.status != http.StatusNotFound {
			t.Errorf("%s: hidden product: status %d, want 404", r, r.status)
		}
		if !slices.Contains(v.productList(t), id) {
			t.Errorf("hidden product %d gone from the console", id)
		}
		if got := v.productForm(t, id).Get("available"); got != "" {
			t.Errorf("edit form available = %q, want unchecked", got)
		}

		r := v.c.submit(t, "/products", path, url.Values{"available": {"maybe"}})
		wantStatus(t, r, http.StatusUnprocessableEntity)
		if got := v.productForm(t, id).Get("available"); got != "" {
			t.Errorf("available = %q after a refused change, want unchecked", got)
		}

		wantRedirect(t, v.c.submit(t, "/products", path, url.Values{"available": {"true"}}), "/products")
		if got := shopProductIDs(shop.get(t, v.shop(), "/").doc); !slices.Contains(got, id) {
			t.Errorf("product %d not back in the shop %v", id, got)
		}
		wantStatus(t, shop.get(t, v.shop(), fmt.Sprintf("/p/%d", id)), http.StatusOK)
	})

	t.Run("invalid", func(t *testing.T) {
		before := v.productList(t)
		tests := []struct {
			name  string
			edit  func(url.Values)
			field string
		}{
			{"empty name", func(f url.Values) { f.Set("name", "  ") }, "name"},
			{"name too long", func(f url.Values) { f.Set("name", strings.Repeat("n", 121)) }, "name"},
			{"price above MRP", func(f url.Values) { f.Set("mrp", "100"); f.Set("price", "100.01") }, "price"},
			{"mrp not a number", func(f url.Values) { f.Set("mrp", "abc") }, "mrp"},
			{"price with 3 decimals", func(f url.Values) { f.Set("price", "10.505") }, "price"},
			{"price zero", func(f url.Values) { f.Set("price", "0") }, "price"},
			{"price negative", func(f url.Values) { f.Set("price", "-5") }, "price"},
			{"mrp above a crore", func(f url.Values) { f.Set("mrp", "1,00,00,000.01") }, "mrp"},
			{"negative stock", func(f url.Values) { f.Set("stock", "-1") }, "stock"},
			{"stock 1e3", func(f url.Values) { f.Set("stock", "1e3") }, "stock"},
			{"stock above a million", func(f url.Values) { f.Set("stock", "1000001") }, "stock"},
			{"description too long", func(f url.Values) { f.Set("description", strings.Repeat("d", 4001)) }, "description"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				f := productFields("Invalid Widget", "200", "150", "5", true)
				tt.edit(f)
				r := v.c.submit(t, "/products/new", "/products/new", f)
				wantStatus(t, r, http.StatusUnprocessableEntity)
				wantHeader(t, r, "Cache-Control", "private, no-store")
				if r.doc.Find(`form[action="/products/new"]`).Length() != 1 {
					t.Fatalf("%s: the form is not re-rendered", r)
				}
				if fieldError(r.doc, tt.field) == "" {
					t.Errorf("%s: no message for %q; messages on %v", r, tt.field, fieldErrors(r.doc))
				}
				if got, _ := inputValue(r.doc, tt.field); tt.field != "description" && strings.TrimSpace(got) != strings.TrimSpace(f.Get(tt.field)) {
					t.Errorf("%s: %s re-shown as %q, want %q", r, tt.field, got, f.Get(tt.field))
				}
				if got := v.productList(t); !slices.Equal(got, before) {
					t.Errorf("products %v after a refused create, want %v", got, before)
				}
			})
		}

		t.Run("edit price above MRP", func(t *testing.T) {
			f := v.productForm(t, id)
			want := cloneValues(f)
			f.Set("price", "1,500")
			r := v.c.submit(t, fmt.Sprintf("/products/%d/edit", id), fmt.Sprintf("/products/%d/edit", id), f)
			wantStatus(t, r, http.StatusUnprocessableEntity)
			if fieldError(r.doc, "price") == "" {
				t.Errorf("%s: no message for price", r)
			}
			if got := v.productForm(t, id); !equalValues(got, want) {
				t.Errorf("product %v after a refused edit, want %v", got, want)
			}
		})
	})

	var token, orderedName string
	t.Run("concurrent stock edit", func(t *testing.T) {
		editPath := fmt.Sprintf("/products/%d/edit", id)
		stale := v.productForm(t, id) // the vendor opens the form: stock 10
		orderedName = stale.Get("name")
		token = order(t, shop, v.store, map[int64]int{id: 2})
		if got := v.stock(t, id); got != 8 {
			t.Fatalf("stock %d after ordering 2 of 10, want 8", got)
		}

		// The vendor types a new stock on the stale form: refused.
		f := cloneValues(stale)
		f.Set("stock", "20")
		r := v.c.submit(t, editPath, editPath, f)
		wantStatus(t, r, http.StatusConflict)
		if got, _ := inputValue(r.doc, "stock_was"); got != "8" {
			t.Errorf("%s: stock_was re-shown as %q, want the current 8", r, got)
		}
		if msg := fieldError(r.doc, "stock"); msg == "" {
			t.Errorf("%s: no message on stock", r)
		}
		if got := v.stock(t, id); got != 8 {
			t.Errorf("stock %d after a conflicting edit, want 8", got)
		}

		// Saving the stale form without touching stock keeps the order's decrement.
		f = cloneValues(stale)
		f.Set("description", "Now with more cardamom.")
		wantRedirect(t, v.c.submit(t, editPath, editPath, f), "/products")
		got := v.productForm(t, id)
		if got.Get("stock") != "8" || strings.TrimSpace(got.Get("description")) != "Now with more cardamom." {
			t.Errorf("after a stale save: stock %q description %q, want 8 and the new description", got.Get("stock"), got.Get("description"))
		}

		// A client without stock_was sets stock absolutely.
		f = cloneValues(stale)
		f.Del("stock_was")
		f.Set("stock", "15")
		wantRedirect(t, v.c.submit(t, editPath, editPath, f), "/products")
		if got := v.stock(t, id); got != 15 {
			t.Errorf("stock %d after setting 15 without stock_was, want 15", got)
		}
	})

	t.Run("delete without orders", func(t *testing.T) {
		tid := v.addProduct(t, "Throwaway Tin", "30", "30", 4, true)
		edit := fmt.Sprintf("/products/%d/edit", tid)
		wantRedirect(t, v.c.submit(t, edit, fmt.Sprintf("/products/%d/delete", tid), nil), "/products")
		if slices.Contains(v.productList(t), tid) {
			t.Errorf("deleted product %d still in the console", tid)
		}
		if r := v.c.get(t, adminHost, edit); r.status != http.StatusNotFound {
			t.Errorf("%s: status %d, want 404", r, r.status)
		}
		if r := shop.get(t, v.shop(), fmt.Sprintf("/p/%d", tid)); r.status != http.StatusNotFound {
			t.Errorf("%s: status %d, want 404", r, r.status)
		}
	})

	t.Run("delete with orders archives", func(t *testing.T) {
		if token == "" {
			t.Skip("no order")
		}
		edit := fmt.Sprintf("/products/%d/edit", id)
		wantRedirect(t, v.c.submit(t, edit, fmt.Sprintf("/products/%d/delete", id), nil), "/products")
		if slices.Contains(v.productList(t), id) {
			t.Errorf("archived product %d still in the console list", id)
		}
		if got := shopProductIDs(shop.get(t, v.shop(), "/").doc); slices.Contains(got, id) {
			t.Errorf("archived product %d still in the shop %v", id, got)
		}
		if r := shop.get(t, v.shop(), fmt.Sprintf("/p/%d", id)); r.status != http.StatusNotFound {
			t.Errorf("%s: status %d, want 404", r, r.status)
		}
		oid := v.orderIDs(t, "")[0]
		for _, r := range []*response{v.c.get(t, adminHost, fmt.Sprintf("/orders/%d", oid)), shop.get(t, v.shop(), "/orders/"+token)} {
			wantStatus(t, r, http.StatusOK)
			if tr := row(r.doc, orderedName); tr.Length() == 0 || !hasText(tr, "2") {
				t.Errorf("%s: no line of 2 × %q on the order", r, orderedName)
			}
		}
	})
}

// testShopOrder: the shop and placing orders.
func testShopOrder(t *testing.T, a *testApp) {
	v := a.signup(t, "order-shop")
	tea := v.addProduct(t, "Ginger Tea", "120", "100", 5, true)
	soldOut := v.addProduct(t, "Sold Out Snack", "50", "50", 0, true)
	hidden := v.addProduct(t, "Hidden Honey", "300", "250", 10, false)
	biscuits := v.addProduct(t, "Plain Biscuits", "40", "40", 4, true)
	c := a.newClient()
	host := v.shop()

	t.Run("front page", func(t *testing.T) {
		r := c.get(t, host, "/")
		wantStatus(t, r, http.StatusOK)
		wantShopCaching(t, r)
		if got, want := shopProductIDs(r.doc), []int64{tea, soldOut, biscuits}; !slices.Equal(got, want) {
			t.Errorf("%s: products %v, want %v (not the hidden %d)", r, got, want, hidden)
		}
		teaCard := productCard(r.doc, tea)
		if !strings.Contains(struck(teaCard), "₹120") || !hasText(teaCard, "₹100") || !strings.Contains(text(teaCard), "About Ginger Tea") {
			t.Errorf("%s: tea card %q, want ₹100 with ₹120 struck and the description", r, text(teaCard))
		}
		if s := struck(productCard(r.doc, biscuits)); s != "" {
			t.Errorf("%s: biscuits at MRP show %q struck, want nothing struck", r, s)
		}
		so := productCard(r.doc, soldOut)
		if !hasText(so, "Sold out") {
			t.Errorf("%s: sold-out card %q has no \"Sold out\"", r, text(so))
		}
		if hasText(teaCard, "Sold out") {
			t.Errorf("%s: tea in stock shows \"Sold out\"", r)
		}
		form := r.doc.Find(`form[action="/order"]`)
		if form.Length() != 1 || !strings.EqualFold(form.AttrOr("method", ""), "post") {
			t.Fatalf("%s: want one form POST /order", r)
		}
		for _, f := range []string{fmt.Sprintf("qty_%d", tea), fmt.Sprintf("qty_%d", biscuits), "name", "phone", "address"} {
			if form.Find(fmt.Sprintf(`[name=%q]`, f)).Length() != 1 {
				t.Errorf("%s: order form has no %q", r, f)
			}
		}
		for _, f := range []string{"order_key", "from"} {
			if form.Find(fmt.Sprintf(`input[type=hidden][name=%q]`, f)).Length() != 1 {
				t.Errorf("%s: order form has no hidden %q", r, f)
			}
		}
	})

	t.Run("product page", func(t *testing.T) {
		r := c.get(t, host, fmt.Sprintf("/p/%d", tea))
		wantStatus(t, r, http.StatusOK)
		wantShopCaching(t, r)
		if got := shopProductIDs(r.doc); !slices.Equal(got, []int64{tea}) {
			t.Errorf("%s: products %v, want only %d", r, got, tea)
		}
		if r.doc.Find(fmt.Sprintf(`form[action="/order"] [name="qty_%d"]`, tea)).Length() != 1 {
			t.Errorf("%s: no order form for the product", r)
		}
		for _, path := range []string{fmt.Sprintf("/p/%d", hidden), "/p/abc", "/p/0", "/p/99999999"} {
			if r := c.get(t, host, path); r.status != http.StatusNotFound {
				t.Errorf("%s: status %d, want 404", r, r.status)
			}
		}
	})

	var token string
	var orderID int64
	t.Run("order", func(t *testing.T) {
		token = order(t, c, v.store, map[int64]int{tea: 2, biscuits: 1})
		r := c.get(t, host, "/orders/"+token)
		wantStatus(t, r, http.StatusOK)
		wantHeader(t, r, "Cache-Control", "private, no-store")
		wantConfirmation(t, r)
		orderID = v.orderIDs(t, "")[0]
		// The customer sees the shop's own number, as the console does.
		list := v.c.get(t, adminHost, "/orders")
		wantStatus(t, list, http.StatusOK)
		number := text(list.doc.Find(fmt.Sprintf(`a[href="/orders/%d"]`, orderID)))
		if got := text(r.doc.Find(".order-ref-id")); !strings.HasPrefix(number, "#") || got != number {
			t.Errorf("%s: order number %q, want %q (the console's for order %d)", r, got, number, orderID)
		}
		if got := v.stock(t, tea); got != 3 {
			t.Errorf("tea stock %d after ordering 2 of 5, want 3", got)
		}
		if got := v.stock(t, biscuits); got != 3 {
			t.Errorf("biscuit stock %d after ordering 1 of 4, want 3", got)
		}
	})

	t.Run("prices are copied", func(t *testing.T) {
		if token == "" {
			t.Skip("no order")
		}
		f := v.productForm(t, tea)
		f.Set("price", "90")
		path := fmt.Sprintf("/products/%d/edit", tea)
		wantRedirect(t, v.c.submit(t, path, path, f), "/products")
		if card := productCard(c.get(t, host, "/").doc, tea); !hasText(card, "₹90") {
			t.Errorf("shop card %q, want the new price ₹90", text(card))
		}
		wantConfirmation(t, c.get(t, host, "/orders/"+token))
		r := v.c.get(t, adminHost, fmt.Sprintf("/orders/%d", orderID))
		wantStatus(t, r, http.StatusOK)
		wantConfirmation(t, r)
	})

	t.Run("same order key twice", func(t *testing.T) {
		before := v.orderIDs(t, "")
		f := orderForm(map[int64]int{tea: 1})
		r1 := c.postForm(t, host, "/order", f)
		r2 := c.postForm(t, host, "/order", f)
		l1, l2 := r1.header.Get("Location"), r2.header.Get("Location")
		if r1.status != http.StatusSeeOther || r2.status != http.StatusSeeOther || l1 != l2 || !orderLocation.MatchString(l1) {
			t.Errorf("twice the same order_key: %d %q then %d %q, want the same 303 /orders/{token}", r1.status, l1, r2.status, l2)
		}
		if got := v.orderIDs(t, ""); len(got) != len(before)+1 {
			t.Errorf("orders %v after a repeated order, want one more than %v", got, before)
		}
		if got := v.stock(t, tea); got != 2 {
			t.Errorf("tea stock %d, want 2 (3 less one order)", got)
		}
	})

	t.Run("refused", func(t *testing.T) {
		teaQty, bisQty := fmt.Sprintf("qty_%d", tea), fmt.Sprintf("qty_%d", biscuits)
		tests := []struct {
			name    string
			form    url.Values
			field   string // the field with a message; "" for the form's message
			message string // part of the message, when the contract names it
		}{
			{"no quantity", orderForm(nil), "", ""},
			{"all zero", orderForm(map[int64]int{tea: 0, biscuits: 0}), "", ""},
			{"bad phone", with(orderForm(map[int64]int{tea: 1}), "phone", "12345"), "phone", ""},
			{"landline-like phone", with(orderForm(map[int64]int{tea: 1}), "phone", "+91 58765 43210"), "phone", ""},
			{"no name", with(orderForm(map[int64]int{tea: 1}), "name", ""), "name", ""},
			{"short address", with(orderForm(map[int64]int{tea: 1}), "address", "Home"), "address", ""},
			{"quantity above 100", with(orderForm(nil), teaQty, "101"), teaQty, ""},
			{"quantity not a number", with(orderForm(nil), teaQty, "two"), teaQty, ""},
			{"negative quantity", with(orderForm(nil), teaQty, "-1"), teaQty, ""},
			{"unavailable product", orderForm(map[int64]int{hidden: 1}), "", ""},
			{"unknown product", orderForm(map[int64]int{99999999: 1}), "", ""},
			{"more than stock", orderForm(map[int64]int{biscuits: 4}), bisQty, "Only 3 left"},
			{"sold out", orderForm(map[int64]int{soldOut: 1}), fmt.Sprintf("qty_%d", soldOut), "Sold out"},
			{"one good line, one sold out", orderForm(map[int64]int{tea: 1, soldOut: 1}), fmt.Sprintf("qty_%d", soldOut), "Sold out"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				orders := v.orderIDs(t, "")
				stocks := []int{v.stock(t, tea), v.stock(t, biscuits)}
				r := c.postForm(t, host, "/order", tt.form)
				wantStatus(t, r, http.StatusUnprocessableEntity)
				// The page holds what this customer typed: no cache may share it.
				if cc := r.header.Get("Cache-Control"); strings.Contains(cc, "public") || !strings.Contains(cc, "no-store") {
					t.Errorf("%s: Cache-Control %q on a page with the customer's details, want no-store", r, cc)
				}
				if r.doc.Find(`form[action="/order"]`).Length() != 1 {
					t.Fatalf("%s: the order form is not re-rendered", r)
				}
				if tt.field == "" {
					if formMessage(r.doc) == "" {
						t.Errorf("%s: no message", r)
					}
				} else if msg := fieldError(r.doc, tt.field); msg == "" || !strings.Contains(msg, tt.message) {
					t.Errorf("%s: message for %s = %q, want one containing %q (%s)", r, tt.field, msg, tt.message, r.summary())
				}
				// The customer's typing is kept.
				for _, f := range []string{"name", "phone", "address"} {
					if got, ok := inputValue(r.doc, f); !ok || strings.TrimSpace(got) != strings.TrimSpace(tt.form.Get(f)) {
						t.Errorf("%s: %s re-shown as %q, want %q", r, f, got, tt.form.Get(f))
					}
				}
				if got := v.orderIDs(t, ""); !slices.Equal(got, orders) {
					t.Errorf("orders %v after a refused order, want %v", got, orders)
				}
				if got := []int{v.stock(t, tea), v.stock(t, biscuits)}; !slices.Equal(got, stocks) {
					t.Errorf("stock (tea, biscuits) %v after a refused order, want %v", got, stocks)
				}
			})
		}

		t.Run("from the product page", func(t *testing.T) {
			f := with(orderForm(map[int64]int{tea: 1}), "phone", "12345")
			f.Set("from", fmt.Sprintf("/p/%d", tea))
			r := c.postForm(t, host, "/order", f)
			wantStatus(t, r, http.StatusUnprocessableEntity)
			if got := shopProductIDs(r.doc); !slices.Equal(got, []int64{tea}) {
				t.Errorf("%s: re-rendered page offers %v, want the product page of %d", r, got, tea)
			}
			if got, _ := inputValue(r.doc, teaQty); got != "1" {
				t.Errorf("%s: quantity re-shown as %q, want 1", r, got)
			}
		})
	})

	t.Run("foreign origin", func(t *testing.T) {
		orders := v.orderIDs(t, "")
		for _, hdr := range []http.Header{
			{"Origin": {"http://evil.example"}},
			{"Origin": {"http://" + shopHost("other-shop")}},
			{"Origin": {""}, "Referer": {"http://evil.example/page"}},
		} {
			r := c.send(t, http.MethodPost, host, "/order", orderForm(map[int64]int{tea: 1}), hdr)
			if r.status != http.StatusForbidden {
				t.Errorf("%s with %v: status %d, want 403", r, hdr, r.status)
			}
		}
		if got := v.orderIDs(t, ""); !slices.Equal(got, orders) {
			t.Errorf("orders %v after refused orders, want %v", got, orders)
		}
		// A client that sends neither Origin nor Referer is accepted.
		r := c.send(t, http.MethodPost, host, "/order", orderForm(map[int64]int{tea: 1}), http.Header{"Origin": {""}})
		if r.status != http.StatusSeeOther {
			t.Errorf("%s without Origin: status %d, want 303", r, r.status)
		}
	})

	t.Run("malformed order key is ignored", func(t *testing.T) {
		rusk := v.addProduct(t, "Key Test Rusk", "60", "55", 5, true)
		before := v.orderIDs(t, "")
		f := orderForm(map[int64]int{rusk: 1})
		f.Set("order_key", "not a key!")
		l1 := order303(t, c.postForm(t, host, "/order", f))
		// Ignored, the key does not make the second post the same order;
		// as for a form with no key, the same lines from the same phone
		// are a repeat, placed once the customer says so.
		r := c.postForm(t, host, "/order", f)
		if r.status != http.StatusConflict || !strings.HasPrefix(text(r.doc.Find("h1")), "You already placed order #") {
			t.Fatalf("%s again with the malformed key: status %d, h1 %q; want 409 and the repeat page", r, r.status, text(r.doc.Find("h1")))
		}
		l2 := order303(t, c.postForm(t, host, "/order", formValues(r.doc, "/order")))
		if l1 == l2 {
			t.Errorf("two orders with a malformed key went to the same confirmation %q", l1)
		}
		if got := v.orderIDs(t, ""); len(got) != len(before)+2 {
			t.Errorf("orders %v, want two more than %v", got, before)
		}
		if got := v.stock(t, rusk); got != 3 {
			t.Errorf("stock %d after two orders of 1 of 5, want 3", got)
		}
	})

	t.Run("body too large", func(t *testing.T) {
		f := with(orderForm(map[int64]int{tea: 1}), "address", strings.Repeat("x", 70<<10))
		r := c.postForm(t, host, "/order", f)
		if r.status != http.StatusRequestEntityTooLarge {
			t.Errorf("%s with a 70 KiB body: status %d, want 413", r, r.status)
		}
	})

	t.Run("unknown token", func(t *testing.T) {
		for _, tok := range []string{strings.Repeat("a", 26), strings.Repeat("b", 40), "abc"} {
			if r := c.get(t, host, "/orders/"+tok); r.status != http.StatusNotFound {
				t.Errorf("%s: status %d, want 404", r, r.status)
			}
		}
	})
}

// wantConfirmation checks the first order of testShopOrder on a
// confirmation or console order page: lines at the prices of the moment,
// the total and the customer.
func wantConfirmation(t *testing.T, r *response) {
	t.Helper()
	tea, bis := row(r.doc, "Ginger Tea"), row(r.doc, "Plain Biscuits")
	if !hasText(tea, "2") || !hasText(tea, "₹100") || !hasText(tea, "₹200") {
		t.Errorf("%s: tea line %q, want 2 × ₹100 = ₹200", r, text(tea))
	}
	if !hasText(bis, "1") || !hasText(bis, "₹40") {
		t.Errorf("%s: biscuit line %q, want 1 × ₹40", r, text(bis))
	}
	if total := row(r.doc, "Total"); !hasText(total, "₹240") {
		t.Errorf("%s: total row %q, want ₹240", r, text(total))
	}
	if !hasText(r.doc.Selection, "Asha Rao") || !hasPhone(r.doc.Selection, "+919876543210") ||
		!hasText(r.doc.Selection, "12 MG Road, Indiranagar, Bengaluru 560038") {
		t.Errorf("%s: customer Asha Rao, +919876543210, 12 MG Road… not all shown", r)
	}
}

// hasPhone reports whether an element in s reads as the phone number,
// however it is spaced for reading.
func hasPhone(s *goquery.Selection, want string) bool {
	return s.Find("*").FilterFunction(func(_ int, e *goquery.Selection) bool {
		return strings.NewReplacer(" ", "", "-", "").Replace(text(e)) == want
	}).Length() > 0
}

// order303 checks r is the redirect of a taken order and returns its Location.
func order303(t *testing.T, r *response) string {
	t.Helper()
	loc := r.header.Get("Location")
	if r.status != http.StatusSeeOther || !orderLocation.MatchString(loc) {
		t.Fatalf("%s: got %d Location %q, want 303 /orders/{token} (%s)", r, r.status, loc, r.summary())
	}
	return loc
}

// with returns f with one field set.
func with(f url.Values, k, v string) url.Values {
	f.Set(k, v)
	return f
}

// testOrdersConsole: orders in the console and their workflow.
func testOrdersConsole(t *testing.T, a *testApp) {
	v := a.signup(t, "orders-shop")
	chai := v.addProduct(t, "Cutting Chai", "20", "15", 2, true)
	c := a.newClient()
	order(t, c, v.store, map[int64]int{chai: 1})
	order(t, c, v.store, map[int64]int{chai: 1})
	list := v.orderIDs(t, "")
	if len(list) != 2 {
		t.Fatalf("console lists orders %v, want 2", list)
	}
	o2, o1 := list[0], list[1]
	chaiQty := fmt.Sprintf("qty_%d", chai)

	t.Run("list", func(t *testing.T) {
		if o2 <= o1 {
			t.Errorf("orders listed %v, want newest first", list)
		}
		r := v.c.get(t, adminHost, "/orders")
		wantHeader(t, r, "Cache-Control", "private, no-store")
		if got := v.orderIDs(t, "?status=pending"); !slices.Equal(got, []int64{o2, o1}) {
			t.Errorf("pending orders %v, want %v", got, []int64{o2, o1})
		}
		if got := v.orderIDs(t, "?status=confirmed"); len(got) != 0 {
			t.Errorf("confirmed orders %v, want none", got)
		}
		if r := v.c.get(t, adminHost, "/orders?status=bogus"); r.status != http.StatusUnprocessableEntity {
			t.Errorf("%s: status %d, want 422", r, r.status)
		}
	})

	t.Run("sold out in the shop", func(t *testing.T) {
		card := productCard(c.get(t, v.shop(), "/").doc, chai)
		if !hasText(card, "Sold out") {
			t.Errorf("card %q at stock 0, want \"Sold out\"", text(card))
		}
	})

	t.Run("order page", func(t *testing.T) {
		r := v.c.get(t, adminHost, fmt.Sprintf("/orders/%d", o1))
		wantStatus(t, r, http.StatusOK)
		wantHeader(t, r, "Cache-Control", "private, no-store")
		line := row(r.doc, "Cutting Chai")
		if !hasText(line, "1") || !hasText(line, "₹15") {
			t.Errorf("%s: line %q, want 1 × ₹15", r, text(line))
		}
		if total := row(r.doc, "Total"); !hasText(total, "₹15") {
			t.Errorf("%s: total %q, want ₹15", r, text(total))
		}
		for _, want := range []string{"Asha Rao", "12 MG Road, Indiranagar, Bengaluru 560038"} {
			if !hasText(r.doc.Selection, want) {
				t.Errorf("%s: %q not shown", r, want)
			}
		}
		if !hasPhone(r.doc.Selection, "+919876543210") {
			t.Errorf("%s: phone +919876543210 not shown", r)
		}
		if got := nextSteps(r.doc, o1); !slices.Equal(got, []string{"cancelled", "confirmed"}) {
			t.Errorf("%s: next steps %v, want [cancelled confirmed]", r, got)
		}
	})

	t.Run("workflow", func(t *testing.T) {
		for _, s := range []string{"confirmed", "shipped", "delivered"} {
			wantRedirect(t, v.setStatus(t, o1, s), fmt.Sprintf("/orders/%d", o1))
			if got := v.orderStatus(t, o1); got != s {
				t.Fatalf("order %d is %s, want %s", o1, got, s)
			}
			if s == "confirmed" {
				if got := v.orderIDs(t, "?status=pending"); !slices.Equal(got, []int64{o2}) {
					t.Errorf("pending orders %v, want [%d]", got, o2)
				}
			}
		}
		r := v.c.get(t, adminHost, fmt.Sprintf("/orders/%d", o1))
		if got := nextSteps(r.doc, o1); len(got) != 0 {
			t.Errorf("%s: a delivered order offers %v, want nothing", r, got)
		}
		if got := v.stock(t, chai); got != 0 {
			t.Errorf("stock %d after delivering, want 0", got)
		}
	})

	t.Run("cancel puts stock back", func(t *testing.T) {
		wantRedirect(t, v.setStatus(t, o2, "confirmed"), fmt.Sprintf("/orders/%d", o2))
		wantRedirect(t, v.setStatus(t, o2, "cancelled"), fmt.Sprintf("/orders/%d", o2))
		if got := v.orderStatus(t, o2); got != "cancelled" {
			t.Errorf("order %d is %s, want cancelled", o2, got)
		}
		if got := v.stock(t, chai); got != 1 {
			t.Errorf("stock %d after cancelling an order of 1, want 1", got)
		}
		card := productCard(c.get(t, v.shop(), "/").doc, chai)
		if hasText(card, "Sold out") || card.Find(fmt.Sprintf(`[name=%q]`, chaiQty)).Length() != 1 {
			t.Errorf("card %q after the cancel, want it orderable again", text(card))
		}
	})

	t.Run("forbidden moves", func(t *testing.T) {
		// An order that shipped, and one still pending.
		order(t, c, v.store, map[int64]int{chai: 1})
		shipped := v.orderIDs(t, "")[0]
		for _, s := range []string{"confirmed", "shipped"} {
			wantRedirect(t, v.setStatus(t, shipped, s), fmt.Sprintf("/orders/%d", shipped))
		}
		wantRedirect(t, v.submit(t, "/products", fmt.Sprintf("/products/%d/edit", chai), url.Values{
			"name": {"Cutting Chai"}, "mrp": {"20"}, "price": {"15"}, "stock": {"5"}, "available": {"on"}}), "/products")
		order(t, c, v.store, map[int64]int{chai: 1})
		pending := v.orderIDs(t, "")[0]

		tests := []struct {
			name string
			id   int64
			to   string
			want string // status afterwards
		}{
			{"shipped to cancelled", shipped, "cancelled", "shipped"},
			{"shipped to pending", shipped, "pending", "shipped"},
			{"delivered to pending", o1, "pending", "delivered"},
			{"delivered to cancelled", o1, "cancelled", "delivered"},
			{"delivered to delivered", o1, "delivered", "delivered"},
			{"cancelled to confirmed", o2, "confirmed", "cancelled"},
			{"cancelled to pending", o2, "pending", "cancelled"},
			{"pending to shipped", pending, "shipped", "pending"},
			{"pending to delivered", pending, "delivered", "pending"},
			{"junk", pending, "bogus", "pending"},
			{"empty", pending, "", "pending"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				stock := v.stock(t, chai)
				r := v.setStatus(t, tt.id, tt.to)
				wantStatus(t, r, http.StatusUnprocessableEntity)
				wantHeader(t, r, "Cache-Control", "private, no-store")
				if row(r.doc, "Cutting Chai").Length() == 0 || formMessage(r.doc) == "" {
					t.Errorf("%s: want the order page with a message (%s)", r, r.summary())
				}
				if got := v.orderStatus(t, tt.id); got != tt.want {
					t.Errorf("order %d is %s, want %s", tt.id, got, tt.want)
				}
				if got := v.stock(t, chai); got != stock {
					t.Errorf("stock %d after a refused move, want %d", got, stock)
				}
			})
		}
	})
}

// nextSteps are the statuses the order page offers forms for.
func nextSteps(doc *goquery.Document, id int64) []string {
	var out []string
	doc.Find(fmt.Sprintf(`form[action="/orders/%d/status"] [name=status]`, id)).Each(func(_ int, s *goquery.Selection) {
		out = append(out, s.AttrOr("value", ""))
	})
	slices.Sort(out)
	return out
}

// submit is client.submit for the vendor's browser.
func (v *vendor) submit(t *testing.T, page, action string, form url.Values) *response {
	t.Helper()
	return v.c.submit(t, page, action, form)
}
