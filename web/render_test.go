package web

import (
	"bytes"
	"html/template"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"dukaan/app"
)

// Sample data shared by the render tests: a sweet shop with a discounted
// product, one at MRP, one sold out, one hidden and one whose name tries to
// inject a script.

const (
	testCSRF     = "csrf-token-abc123"
	testAdminURL = "https://admin.dukaan.test"
	testShopURL  = "https://sharma-sweets.dukaan.test"
	testXSS      = `<script>alert(1)</script>`
)

func testVendor() *app.Vendor {
	return &app.Vendor{
		ID:          3,
		Slug:        "sharma-sweets",
		Name:        "Sharma Sweets",
		Email:       "owner@sharma.example",
		Description: "Fresh mithai from Chandni Chowk since 1962.\nMade every morning in pure ghee.",
		CreatedAt:   time.Date(2025, 1, 2, 10, 0, 0, 0, time.UTC),
	}
}

func testProducts() []*app.Product {
	return []*app.Product{
		{ID: 7, VendorID: 3, Name: "Kaju Katli 500 g", Description: "Cashew fudge with silver vark.", MRP: 52000, Price: 44900, Stock: 12, Available: true},
		{ID: 8, VendorID: 3, Name: "Motichoor Laddoo 1 kg", Description: "Soft, melt-in-the-mouth.", MRP: 29900, Price: 29900, Stock: 3, Available: true},
		{ID: 9, VendorID: 3, Name: "Soan Papdi", Description: "Flaky and light.", MRP: 20000, Price: 18000, Stock: 0, Available: true},
		{ID: 10, VendorID: 3, Name: testXSS + " Barfi", Description: testXSS, MRP: 35050, Price: 35050, Stock: 40, Available: true},
	}
}

func testOrder() *app.Order {
	created := time.Date(2025, 3, 14, 9, 30, 0, 0, time.UTC)
	return &app.Order{
		ID:       42,
		VendorID: 3,
		Token:    "tok-secret",
		Customer: app.Customer{
			Name:    "Asha Verma",
			Phone:   "+919876543210",
			Address: "Flat 4B, Lotus Apartments\nSector 21, Dwarka\nNew Delhi 110075",
		},
		Status: app.StatusPending,
		Total:  44900*2 + 29900 + 35050*3,
		Items: []app.OrderItem{
			{ID: 1, OrderID: 42, ProductID: 7, Name: "Kaju Katli 500 g", MRP: 52000, Price: 44900, Qty: 2},
			{ID: 2, OrderID: 42, ProductID: 8, Name: "Motichoor Laddoo 1 kg", MRP: 29900, Price: 29900, Qty: 1},
			{ID: 3, OrderID: 42, ProductID: 10, Name: testXSS, MRP: 35050, Price: 35050, Qty: 3},
		},
		CreatedAt: created,
		UpdatedAt: created,
	}
}

func testAdminPage(title, nav string) Page {
	return Page{
		Title: title, Area: "admin", Nav: nav, CSRFToken: testCSRF,
		Vendor: testVendor(), AdminURL: testAdminURL, ShopURL: testShopURL,
		SignupURL: testAdminURL + "/signup",
	}
}

func testShopPage() Page {
	// Page.Vendor, Flash and CSRFToken are set on purpose: a shop page must
	// not show them even if a handler fills them by mistake.
	return Page{
		Title: "Sharma Sweets", Area: "shop", AdminURL: testAdminURL, ShopURL: testShopURL,
		SignupURL: testAdminURL + "/signup", Vendor: testVendor(), Flash: "Saved your product", CSRFToken: testCSRF,
	}
}

func TestRenderShop(t *testing.T) {
	r := newTestRenderer(t)

	t.Run("grid", func(t *testing.T) {
		doc := renderDoc(t, r, "shop.html", shopPage{
			Page: testShopPage(), Store: testVendor(), Products: testProducts(),
			Pager: Pager{Page: 1, PerPage: 24, Total: 4}, From: "/",
		})
		form := mustOne(t, doc.Selection, `form[action="/order"]`)
		wantAttr(t, form, "method", "post")
		for _, name := range []string{"qty_7", "qty_8", "qty_10", "name", "address", "order_key", "from"} {
			mustOne(t, form, `[name="`+name+`"]`)
		}
		wantAttr(t, mustOne(t, form, `input[name="phone"]`), "type", "tel")
		mustOne(t, form, `textarea[name="address"]`)
		key := mustOne(t, form, `input[name="order_key"]`)
		wantAttr(t, key, "type", "hidden")
		wantAttr(t, key, "value", "")
		wantAttr(t, mustOne(t, form, `input[name="from"]`), "value", "/")
		qty := mustOne(t, form, `input[name="qty_7"]`)
		wantAttr(t, qty, "type", "number")
		wantAttr(t, qty, "min", "0")
		wantAttr(t, qty, "max", "100")
		wantAttr(t, qty, "data-price", "44900")
		if got := form.Find(`input[name="csrf_token"]`).Length(); got != 0 {
			t.Errorf("shop form has %d csrf_token fields, want 0", got)
		}
		wantText(t, mustOne(t, doc.Selection, "h1"), "Sharma Sweets")
		wantText(t, mustOne(t, doc.Selection, ".site-header .store-brand-name"), "Sharma Sweets")
		mustSome(t, doc.Selection, `a[href="/p/7"]`)
		mustOne(t, doc.Selection, `script[src^="/static/shop.js?v="]`)
	})

	t.Run("prices and badges", func(t *testing.T) {
		doc := renderDoc(t, r, "shop.html", shopPage{
			Page: testShopPage(), Store: testVendor(), Products: testProducts(), Pager: Pager{Page: 1, PerPage: 24, Total: 4},
		})
		kaju := shopCard(t, doc, 7)
		wantText(t, mustOne(t, kaju, ".price"), "₹449")
		wantText(t, mustOne(t, kaju, "s.mrp"), "MRP ₹520")
		wantText(t, mustOne(t, kaju, ".badge-save"), "13% off")
		laddoo := shopCard(t, doc, 8)
		if got := laddoo.Find("s, del").Length(); got != 0 {
			t.Errorf("product at MRP shows %d struck prices, want 0", got)
		}
		wantText(t, mustOne(t, shopCard(t, doc, 10), ".price"), "₹350.50")

		soldOut := shopCard(t, doc, 9)
		wantText(t, mustOne(t, soldOut, ".badge-soldout"), "Sold out")
		if got := doc.Find(`input[name="qty_9"]:not([disabled])`).Length(); got != 0 {
			t.Errorf("sold-out product has %d enabled qty inputs, want 0", got)
		}
		if got := shopCard(t, doc, 7).Find(".badge-soldout").Length(); got != 0 {
			t.Errorf("product in stock shows %d sold-out badges, want 0", got)
		}
	})

	t.Run("escapes product text", func(t *testing.T) {
		doc := renderDoc(t, r, "shop.html", shopPage{
			Page: testShopPage(), Store: testVendor(), Products: testProducts(), Pager: Pager{Page: 1, PerPage: 24, Total: 4},
		})
		card := shopCard(t, doc, 10)
		wantText(t, mustOne(t, card, ".product-name"), testXSS+" Barfi")
		wantText(t, mustOne(t, card, ".product-desc"), testXSS)
		if got := card.Find("script").Length(); got != 0 {
			t.Errorf("product card has %d script elements, want 0", got)
		}
	})

	t.Run("nothing personal", func(t *testing.T) {
		b, err := r.render("shop.html", shopPage{
			Page: testShopPage(), Store: testVendor(), Products: testProducts(), Pager: Pager{Page: 1, PerPage: 24, Total: 4},
		})
		if err != nil {
			t.Fatal(err)
		}
		doc := parseHTML(t, b)
		if got := doc.Find(`[name="csrf_token"], .flash, form[action="/logout"]`).Length(); got != 0 {
			t.Errorf("shop page has %d csrf, flash or logout elements, want 0", got)
		}
		for _, secret := range []string{testCSRF, "owner@sharma.example", "Saved your product"} {
			if strings.Contains(doc.Text(), secret) || bytes.Contains(b, []byte(secret)) {
				t.Errorf("shop page contains %q", secret)
			}
		}
	})

	t.Run("refused order", func(t *testing.T) {
		doc := renderDoc(t, r, "shop.html", shopPage{
			Page: testShopPage(), Store: testVendor(), Products: testProducts(), Pager: Pager{Page: 1, PerPage: 24, Total: 4},
			Form: Form{
				Values: map[string]string{"qty_7": "2", "qty_9": "1", "name": "Asha", "phone": "12345", "address": "Dwarka"},
				Errors: map[string]string{
					"qty_9":   "Sorry, Soan Papdi just sold out.",
					"phone":   "Enter a 10-digit Indian mobile number, like 98765 43210.",
					"address": "Enter the full delivery address.",
				},
				Message: "Please check the highlighted fields.",
			},
		})
		wantText(t, mustOne(t, doc.Selection, `form[action="/order"] .alert[role="alert"]`), "Please check the highlighted fields.")
		wantAttr(t, mustOne(t, doc.Selection, `input[name="qty_7"]`), "value", "2")
		wantAttr(t, mustOne(t, doc.Selection, `input[name="name"]`), "value", "Asha")
		wantText(t, mustOne(t, doc.Selection, `textarea[name="address"]`), "Dwarka")
		wantText(t, mustOne(t, shopCard(t, doc, 9), ".field-error"), "Sorry, Soan Papdi just sold out.")
		phone := mustOne(t, doc.Selection, `input[name="phone"]`)
		wantAttr(t, phone, "aria-invalid", "true")
		desc, _ := phone.Attr("aria-describedby")
		wantText(t, mustOne(t, doc.Selection, "#"+strings.Fields(desc)[0]), "Enter a 10-digit Indian mobile number, like 98765 43210.")
	})

	t.Run("product page", func(t *testing.T) {
		p := testProducts()[0]
		doc := renderDoc(t, r, "shop.html", shopPage{
			Page: testShopPage(), Store: testVendor(), Product: p, Products: []*app.Product{p}, From: "/p/7",
		})
		wantText(t, mustOne(t, doc.Selection, "h1"), "Kaju Katli 500 g")
		form := mustOne(t, doc.Selection, `form[action="/order"]`)
		mustOne(t, form, `input[name="qty_7"]`)
		wantAttr(t, mustOne(t, form, `input[name="from"]`), "value", "/p/7")
		mustOne(t, doc.Selection, `.back a[href="/"]`)
		if got := form.Find(`input[name^="qty_"]`).Length(); got != 1 {
			t.Errorf("product page has %d qty inputs, want 1", got)
		}
	})

	t.Run("sold-out product page", func(t *testing.T) {
		p := testProducts()[2]
		doc := renderDoc(t, r, "shop.html", shopPage{
			Page: testShopPage(), Store: testVendor(), Product: p, Products: []*app.Product{p}, From: "/p/9",
		})
		wantText(t, mustOne(t, doc.Selection, "h1"), "Soan Papdi")
		wantText(t, mustOne(t, doc.Selection, ".product-detail .badge-soldout"), "Sold out")
		if got := doc.Find(`form[action="/order"], input[name="qty_9"]`).Length(); got != 0 {
			t.Errorf("sold-out product page has %d order forms or qty inputs, want 0", got)
		}
		mustSome(t, doc.Selection, `main a[href="/"]`)
	})

	t.Run("pager", func(t *testing.T) {
		doc := renderDoc(t, r, "shop.html", shopPage{
			Page: testShopPage(), Store: testVendor(), Products: testProducts(), Pager: Pager{Page: 2, PerPage: 4, Total: 10},
		})
		mustOne(t, doc.Selection, `.pager a[href="?page=1"]`)
		mustOne(t, doc.Selection, `.pager a[href="?page=3"]`)
	})

	t.Run("empty store", func(t *testing.T) {
		doc := renderDoc(t, r, "shop.html", shopPage{Page: testShopPage(), Store: &app.Vendor{ID: 4, Slug: "new-shop"}})
		wantText(t, mustOne(t, doc.Selection, "h1"), "new-shop")
		mustOne(t, doc.Selection, ".empty")
		if got := doc.Find("form").Length(); got != 0 {
			t.Errorf("empty store has %d forms, want 0", got)
		}
	})
}

func TestRenderConfirmation(t *testing.T) {
	r := newTestRenderer(t)
	page := Page{Title: "Order placed", Area: "shop", ShopURL: testShopURL}
	o := testOrder()
	o.Number = 7 // the shop's own number, not the global id 42
	doc := renderDoc(t, r, "confirmation.html", confirmationPage{Page: page, Store: testVendor(), Order: o})

	wantText(t, mustOne(t, doc.Selection, "h1"), "Thank you, Asha Verma!")
	wantText(t, mustOne(t, doc.Selection, ".order-ref-id"), "#7")
	wantText(t, mustOne(t, doc.Selection, ".status"), "Pending")
	if got, want := doc.Find("table.lines tbody tr").Length(), 3; got != want {
		t.Errorf("got %d order lines, want %d", got, want)
	}
	wantText(t, mustOne(t, doc.Selection, "table.lines tfoot .total"), "₹2,248.50")
	wantText(t, mustOne(t, doc.Selection, ".address"), testOrder().Customer.Address)
	mustOne(t, doc.Selection, `main a[href="/"]`)
	if got := doc.Find("main script").Length(); got != 0 {
		t.Errorf("confirmation has %d script elements in main, want 0", got)
	}
}

func TestRenderProducts(t *testing.T) {
	r := newTestRenderer(t)
	hidden := &app.Product{ID: 11, VendorID: 3, Name: "Gulab Jamun tin", MRP: 25000, Price: 22000, Stock: 5, Available: false}
	products := append(testProducts(), hidden)

	t.Run("list", func(t *testing.T) {
		page := testAdminPage("Products", "products")
		page.Flash = "Saved Kaju Katli 500 g."
		doc := renderDoc(t, r, "products.html", productsPage{
			Page: page, Products: products, Pager: Pager{Page: 1, PerPage: 20, Total: 5},
		})
		wantText(t, mustOne(t, doc.Selection, `.flash[role="status"]`), "Saved Kaju Katli 500 g.")
		mustSome(t, doc.Selection, `a[href="/products/7/edit"]`)
		mustOne(t, doc.Selection, `a[href="/products/new"]`)
		mustOne(t, doc.Selection, `a[href="`+testShopURL+`"].share-url`)

		avail := mustOne(t, doc.Selection, `form[action="/products/7/availability"]`)
		wantAttr(t, avail, "method", "post")
		wantAttr(t, mustOne(t, avail, `input[name="available"]`), "value", "false")
		wantAttr(t, mustOne(t, doc.Selection, `form[action="/products/11/availability"] input[name="available"]`), "value", "true")
		wantAttr(t, mustOne(t, doc.Selection, `form[action="/products/7/delete"]`), "method", "post")

		row := productRow(t, doc, 9)
		wantText(t, mustOne(t, row, ".badge-soldout"), "Sold out")
		wantText(t, mustOne(t, productRow(t, doc, 7), "s.mrp"), "MRP ₹520")

		search := mustOne(t, doc.Selection, `form[action="/products"]`)
		wantAttr(t, search, "method", "get")
		mustOne(t, search, `input[name="q"]`)

		mustOne(t, doc.Selection, `.admin-nav a[href="/products"][aria-current="page"]`)
		logout := mustOne(t, doc.Selection, `header form[action="/logout"]`)
		wantAttr(t, mustOne(t, logout, `input[name="csrf_token"]`), "value", testCSRF)
		if got := productRow(t, doc, 10).Find("script").Length(); got != 0 {
			t.Errorf("product row has %d script elements, want 0", got)
		}
	})

	t.Run("pager keeps query", func(t *testing.T) {
		doc := renderDoc(t, r, "products.html", productsPage{
			Page: testAdminPage("Products", "products"), Products: products, Query: "kaju",
			Pager: Pager{Page: 1, PerPage: 5, Total: 12, BaseQuery: "q=kaju&"},
		})
		mustOne(t, doc.Selection, `.pager a[href="?q=kaju&page=2"]`)
		wantAttr(t, mustOne(t, doc.Selection, `input[name="q"]`), "value", "kaju")
	})

	t.Run("empty", func(t *testing.T) {
		doc := renderDoc(t, r, "products.html", productsPage{Page: testAdminPage("Products", "products"), Pager: Pager{Page: 1, PerPage: 20}})
		mustOne(t, doc.Selection, `.empty a[href="/products/new"]`)
		if got := doc.Find(`.empty a[href="` + testShopURL + `"]`).Length(); got == 0 {
			t.Errorf("empty state does not show the shop link")
		}
		if got := doc.Find("table").Length(); got != 0 {
			t.Errorf("empty list has %d tables, want 0", got)
		}
	})

	t.Run("no search results", func(t *testing.T) {
		doc := renderDoc(t, r, "products.html", productsPage{Page: testAdminPage("Products", "products"), Query: "halwa", Pager: Pager{Page: 1, PerPage: 20}})
		wantText(t, mustOne(t, doc.Selection, ".empty h2"), "No products match “halwa”")
		mustOne(t, doc.Selection, `.empty a[href="/products"]`)
	})
}

func TestRenderProductForm(t *testing.T) {
	r := newTestRenderer(t)

	t.Run("new", func(t *testing.T) {
		doc := renderDoc(t, r, "product_form.html", productFormPage{
			Page: testAdminPage("Add product", "products"),
			Form: Form{Values: map[string]string{"available": "on"}},
		})
		form := mustOne(t, doc.Selection, `main form[method="post"]`)
		wantAttr(t, form, "action", "/products/new")
		wantAttr(t, mustOne(t, form, `input[name="csrf_token"]`), "value", testCSRF)
		for _, sel := range []string{`input[name="name"]`, `textarea[name="description"]`, `input[name="mrp"][inputmode="decimal"]`,
			`input[name="price"][inputmode="decimal"]`, `input[name="stock"][type="number"][min="0"]`,
			`input[name="available"][type="checkbox"][value="on"][checked]`} {
			mustOne(t, form, sel)
		}
		if got := form.Find(`[name="stock_was"]`).Length(); got != 0 {
			t.Errorf("new form has %d stock_was fields, want 0", got)
		}
		if got := doc.Find(`form[action$="/delete"]`).Length(); got != 0 {
			t.Errorf("new form has %d delete forms, want 0", got)
		}
	})

	t.Run("edit with errors", func(t *testing.T) {
		p := testProducts()[0]
		doc := renderDoc(t, r, "product_form.html", productFormPage{
			Page: testAdminPage("Edit product", "products"), Product: p,
			Form: Form{
				Values:  map[string]string{"name": p.Name, "description": "Line one\nLine two", "mrp": "520", "price": "600", "stock": "12", "stock_was": "12"},
				Errors:  map[string]string{"price": "The selling price cannot be above the MRP."},
				Message: "Please fix the highlighted field.",
			},
		})
		form := mustOne(t, doc.Selection, `main form[action="/products/7/edit"]`)
		wantAttr(t, form, "method", "post")
		wantAttr(t, mustOne(t, form, `input[name="csrf_token"]`), "value", testCSRF)
		wantAttr(t, mustOne(t, form, `input[type="hidden"][name="stock_was"]`), "value", "12")
		wantAttr(t, mustOne(t, form, `input[name="name"]`), "value", "Kaju Katli 500 g")
		wantText(t, mustOne(t, form, `textarea[name="description"]`), "Line one\nLine two")
		price := mustOne(t, form, `input[name="price"]`)
		wantAttr(t, price, "value", "600")
		wantAttr(t, price, "aria-invalid", "true")
		wantText(t, mustOne(t, form, "#f-price-error"), "The selling price cannot be above the MRP.")
		if got := form.Find(`input[name="available"][checked]`).Length(); got != 0 {
			t.Errorf("available is checked although the form value is not \"on\"")
		}
		wantText(t, mustOne(t, doc.Selection, `[role="alert"]`), "Please fix the highlighted field.")
		del := mustOne(t, doc.Selection, `form[action="/products/7/delete"]`)
		wantAttr(t, mustOne(t, del, `input[name="csrf_token"]`), "value", testCSRF)
	})
}

func TestRenderOrders(t *testing.T) {
	r := newTestRenderer(t)
	o2 := testOrder()
	o2.ID, o2.Status, o2.Items = 43, app.StatusShipped, nil
	o1 := testOrder()
	o1.Items = nil

	t.Run("filtered", func(t *testing.T) {
		doc := renderDoc(t, r, "orders.html", ordersPage{
			Page: testAdminPage("Orders", "orders"), Orders: []*app.Order{o2, o1},
			Status: app.StatusPending, Statuses: app.OrderStatuses,
			Pager: Pager{Page: 1, PerPage: 2, Total: 5, BaseQuery: "status=pending&"},
		})
		mustOne(t, doc.Selection, `.tabs a[href="/orders"]`)
		for _, s := range app.OrderStatuses {
			mustOne(t, doc.Selection, `.tabs a[href="/orders?status=`+string(s)+`"]`)
		}
		wantText(t, mustOne(t, doc.Selection, `.tabs a[aria-current="page"]`), "Pending")
		wantText(t, mustOne(t, doc.Selection, `a[href="/orders/42"]`), "#42")
		mustOne(t, doc.Selection, `a[href="/orders/43"]`)
		mustSome(t, doc.Selection, `a[href="tel:+919876543210"]`)
		wantText(t, mustOne(t, doc.Selection, `a[href="/orders/43"]`).Closest("tr").Find(".status"), "Shipped")
		mustOne(t, doc.Selection, `.pager a[href="?status=pending&page=2"]`)
		mustOne(t, doc.Selection, `.admin-nav a[href="/orders"][aria-current="page"]`)
	})

	t.Run("empty", func(t *testing.T) {
		doc := renderDoc(t, r, "orders.html", ordersPage{
			Page: testAdminPage("Orders", "orders"), Statuses: app.OrderStatuses, Pager: Pager{Page: 1, PerPage: 20},
		})
		wantText(t, mustOne(t, doc.Selection, ".empty h2"), "No orders yet")
		wantText(t, mustOne(t, doc.Selection, `.tabs a[aria-current="page"]`), "All")
	})
}

func TestRenderOrder(t *testing.T) {
	r := newTestRenderer(t)
	o := testOrder()
	doc := renderDoc(t, r, "order.html", orderPage{
		Page: testAdminPage("Order #42", "orders"), Order: o, Next: o.Status.NextSteps(),
		Form: Form{Message: "That order was changed meanwhile. Please try again."},
	})
	wantText(t, mustOne(t, doc.Selection, "h1 .status"), "Pending")
	wantText(t, mustOne(t, doc.Selection, `[role="alert"]`), "That order was changed meanwhile. Please try again.")
	mustSome(t, doc.Selection, `a[href="tel:+919876543210"]`)
	wantText(t, mustOne(t, doc.Selection, ".address"), o.Customer.Address)
	if got, want := doc.Find("table.lines tbody tr").Length(), 3; got != want {
		t.Errorf("got %d order lines, want %d", got, want)
	}
	wantText(t, mustOne(t, doc.Selection, "table.lines tfoot .total"), "₹2,248.50")

	forms := doc.Find(`form[action="/orders/42/status"]`)
	if got, want := forms.Length(), 2; got != want {
		t.Fatalf("got %d status forms, want %d", got, want)
	}
	tests := []struct{ status, button, class string }{
		{"confirmed", "Mark confirmed", "btn-primary"},
		{"cancelled", "Cancel order", "btn-danger-outline"},
	}
	for i, tt := range tests {
		f := forms.Eq(i)
		wantAttr(t, f, "method", "post")
		wantAttr(t, mustOne(t, f, `input[name="status"]`), "value", tt.status)
		wantAttr(t, mustOne(t, f, `input[name="csrf_token"]`), "value", testCSRF)
		b := mustOne(t, f, "button")
		wantText(t, b, tt.button)
		if !b.HasClass(tt.class) {
			t.Errorf("button %q: class %q missing", tt.button, tt.class)
		}
	}

	t.Run("final", func(t *testing.T) {
		o := testOrder()
		o.Status = app.StatusDelivered
		doc := renderDoc(t, r, "order.html", orderPage{Page: testAdminPage("Order #42", "orders"), Order: o, Next: o.Status.NextSteps()})
		if got := doc.Find(`form[action="/orders/42/status"]`).Length(); got != 0 {
			t.Errorf("delivered order has %d status forms, want 0", got)
		}
	})
}

func TestRenderAuth(t *testing.T) {
	r := newTestRenderer(t)
	page := Page{Title: "Create your shop", Area: "admin", CSRFToken: testCSRF, AdminURL: testAdminURL, SignupURL: testAdminURL + "/signup"}

	t.Run("signup", func(t *testing.T) {
		doc := renderDoc(t, r, "signup.html", authPage{Page: page, Form: Form{
			Values:  map[string]string{"store": "shop", "name": "Sharma Sweets", "email": "a@b.in", "password": "hunter22"},
			Errors:  map[string]string{"store": "That name is reserved. Please choose another."},
			Message: "Please fix the highlighted field.",
		}})
		form := mustOne(t, doc.Selection, `form[action="/signup"]`)
		wantAttr(t, form, "method", "post")
		wantAttr(t, mustOne(t, form, `input[name="csrf_token"]`), "value", testCSRF)
		store := mustOne(t, form, `input[name="store"]`)
		wantAttr(t, store, "value", "shop")
		wantAttr(t, store, "aria-invalid", "true")
		if _, ok := store.Attr("pattern"); !ok {
			t.Errorf("store input has no pattern")
		}
		wantText(t, mustOne(t, form, ".suffix"), ".dukaan.test")
		mustOne(t, form, `input[name="name"]`)
		mustOne(t, form, `input[name="email"][type="email"]`)
		pw := mustOne(t, form, `input[name="password"][type="password"][minlength="8"]`)
		if v, ok := pw.Attr("value"); ok {
			t.Errorf("password is re-shown as %q", v)
		}
		mustOne(t, doc.Selection, `a[href="/login"]`)
		if got := doc.Find(`form[action="/logout"]`).Length(); got != 0 {
			t.Errorf("signed-out page has %d logout forms, want 0", got)
		}
	})

	t.Run("login", func(t *testing.T) {
		page := page
		page.Title = "Sign in"
		doc := renderDoc(t, r, "login.html", authPage{Page: page, Form: Form{
			Values: map[string]string{"email": "a@b.in"}, Message: "Wrong email or password.",
		}})
		form := mustOne(t, doc.Selection, `form[action="/login"]`)
		wantAttr(t, form, "method", "post")
		wantAttr(t, mustOne(t, form, `input[name="csrf_token"]`), "value", testCSRF)
		wantAttr(t, mustOne(t, form, `input[name="email"]`), "value", "a@b.in")
		mustOne(t, form, `input[name="password"][type="password"]`)
		wantText(t, mustOne(t, doc.Selection, `[role="alert"]`), "Wrong email or password.")
		mustOne(t, doc.Selection, `a[href="/signup"]`)
	})
}

func TestRenderLandingAndError(t *testing.T) {
	r := newTestRenderer(t)

	t.Run("landing", func(t *testing.T) {
		doc := renderDoc(t, r, "landing.html", landingPage{Page: Page{
			Title: "Open your online shop", Area: "landing", AdminURL: testAdminURL, SignupURL: testAdminURL + "/signup",
		}})
		wantText(t, mustOne(t, doc.Selection, "h1"), "Open your online shop in a minute")
		mustSome(t, doc.Selection, `main a[href="`+testAdminURL+`/signup"]`)
		mustOne(t, doc.Selection, `header a[href="`+testAdminURL+`/login"]`)
		if got := doc.Find("script").Length(); got != 0 {
			t.Errorf("landing has %d scripts, want 0", got)
		}
	})

	t.Run("error", func(t *testing.T) {
		for _, area := range []string{"error", "shop", "admin", "landing"} {
			doc := renderDoc(t, r, "error.html", errorPage{
				Page: Page{Title: "Not found", Area: area}, Status: 404,
				Heading: "Page not found", Message: "That page does not exist " + testXSS,
			})
			wantText(t, mustOne(t, doc.Selection, ".error-code"), "404")
			wantText(t, mustOne(t, doc.Selection, "h1"), "Page not found")
			wantText(t, mustOne(t, doc.Selection, ".error-page .lead"), "That page does not exist "+testXSS)
			mustOne(t, doc.Selection, `main a[href="/"]`)
		}
	})
}

// --- helpers ---

func newTestRenderer(tb testing.TB) *renderer {
	tb.Helper()
	r, err := newRenderer(time.UTC)
	if err != nil {
		tb.Fatalf("newRenderer: %v", err)
	}
	return r
}

// renderDoc renders a page, parses it and checks what every page must
// satisfy: the CSP (no inline script or style), the layout skeleton, and a
// label for every visible form control.
func renderDoc(tb testing.TB, r *renderer, name string, data any) *goquery.Document {
	tb.Helper()
	b, err := r.render(name, data)
	if err != nil {
		tb.Fatalf("render %s: %v", name, err)
	}
	doc := parseHTML(tb, b)
	checkCSP(tb, doc)
	checkLayout(tb, doc)
	checkLabels(tb, doc)
	checkCSRF(tb, doc)
	return doc
}

func parseHTML(tb testing.TB, b []byte) *goquery.Document {
	tb.Helper()
	doc, err := goquery.NewDocumentFromReader(bytes.NewReader(b))
	if err != nil {
		tb.Fatalf("parse HTML: %v", err)
	}
	return doc
}

func checkCSP(tb testing.TB, doc *goquery.Document) {
	tb.Helper()
	if got := doc.Find("style").Length(); got != 0 {
		tb.Errorf("got %d <style> elements, want 0 (CSP style-src 'self')", got)
	}
	doc.Find("script").Each(func(_ int, s *goquery.Selection) {
		if typ, _ := s.Attr("type"); typ == "application/ld+json" {
			// A data block, never run, so CSP's script-src does not
			// apply (the product's JSON-LD, shop_meta.go).
			return
		}
		if src, ok := s.Attr("src"); !ok || !strings.HasPrefix(src, "/static/") {
			html, _ := goquery.OuterHtml(s)
			tb.Errorf("script without a same-origin src: %q", html)
		}
	})
	doc.Find("*").Each(func(_ int, s *goquery.Selection) {
		for _, a := range s.Nodes[0].Attr {
			if a.Key == "style" || strings.HasPrefix(a.Key, "on") {
				tb.Errorf("<%s> has attribute %s=%q (CSP forbids inline style and handlers)", goquery.NodeName(s), a.Key, a.Val)
			}
		}
	})
	doc.Find("[href], [src], [action]").Each(func(_ int, s *goquery.Selection) {
		for _, k := range []string{"href", "src", "action"} {
			if v, ok := s.Attr(k); ok && strings.Contains(v, "ZgotmplZ") {
				tb.Errorf("<%s %s=%q>: html/template refused a URL", goquery.NodeName(s), k, v)
			}
		}
	})
}

func checkLayout(tb testing.TB, doc *goquery.Document) {
	tb.Helper()
	wantAttr(tb, mustOne(tb, doc.Selection, "html"), "lang", "en")
	mustOne(tb, doc.Selection, `meta[name="viewport"]`)
	mustOne(tb, doc.Selection, `link[rel="stylesheet"][href^="/static/app.css?v="]`)
	mustOne(tb, doc.Selection, "main#main")
	if got := strings.Join(strings.Fields(mustOne(tb, doc.Selection, "footer").Text()), " "); !strings.HasPrefix(got, "Powered by Dukaan") {
		tb.Errorf("footer: got %q, want it to start with %q", got, "Powered by Dukaan")
	}
	if strings.TrimSpace(doc.Find("title").Text()) == "" {
		tb.Errorf("empty <title>")
	}
}

func checkLabels(tb testing.TB, doc *goquery.Document) {
	tb.Helper()
	doc.Find("input, textarea, select").Each(func(_ int, s *goquery.Selection) {
		if t, _ := s.Attr("type"); t == "hidden" || t == "submit" {
			return
		}
		id, _ := s.Attr("id")
		if id == "" || doc.Find(`label[for="`+id+`"]`).Length() != 1 {
			name, _ := s.Attr("name")
			tb.Errorf("form control %q (id %q) has no label", name, id)
		}
	})
}

// checkCSRF: every admin POST form carries the token; no shop form does.
func checkCSRF(tb testing.TB, doc *goquery.Document) {
	tb.Helper()
	shop := doc.Find("body.area-shop").Length() > 0
	doc.Find(`form[method="post"]`).Each(func(_ int, f *goquery.Selection) {
		action, _ := f.Attr("action")
		got := f.Find(`input[type="hidden"][name="csrf_token"]`).Length()
		if want := map[bool]int{true: 0, false: 1}[shop]; got != want {
			tb.Errorf("form %s has %d csrf_token fields, want %d", action, got, want)
		}
	})
}

func mustOne(tb testing.TB, s *goquery.Selection, sel string) *goquery.Selection {
	tb.Helper()
	found := s.Find(sel)
	if got := found.Length(); got != 1 {
		tb.Fatalf("%s: got %d elements, want 1", sel, got)
	}
	return found
}

func mustSome(tb testing.TB, s *goquery.Selection, sel string) *goquery.Selection {
	tb.Helper()
	found := s.Find(sel)
	if found.Length() == 0 {
		tb.Fatalf("%s: got no elements, want at least 1", sel)
	}
	return found
}

func wantAttr(tb testing.TB, s *goquery.Selection, name, want string) {
	tb.Helper()
	got, ok := s.Attr(name)
	if !ok {
		tb.Errorf("<%s> has no %s attribute, want %q", goquery.NodeName(s), name, want)
	} else if got != want {
		tb.Errorf("<%s %s>: got %q, want %q", goquery.NodeName(s), name, got, want)
	}
}

// wantText compares text with runs of white space folded, so that template
// indentation does not matter.
func wantText(tb testing.TB, s *goquery.Selection, want string) {
	tb.Helper()
	got := s.Text()
	if goquery.NodeName(s) != "textarea" {
		got = strings.Join(strings.Fields(got), " ")
		want = strings.Join(strings.Fields(want), " ")
	}
	if got != want {
		tb.Errorf("<%s> text: got %q, want %q", goquery.NodeName(s), got, want)
	}
}

func shopCard(tb testing.TB, doc *goquery.Document, id int64) *goquery.Selection {
	tb.Helper()
	href := "/p/" + strconv.FormatInt(id, 10)
	card := doc.Find(`.product-card .product-name a[href="` + href + `"]`).Closest(".product-card")
	if card.Length() != 1 {
		tb.Fatalf("product card %d: got %d, want 1", id, card.Length())
	}
	return card
}

func productRow(tb testing.TB, doc *goquery.Document, id int64) *goquery.Selection {
	tb.Helper()
	row := doc.Find(`a.product-link[href="/products/` + strconv.FormatInt(id, 10) + `/edit"]`).Closest("tr")
	if row.Length() != 1 {
		tb.Fatalf("product row %d: got %d, want 1", id, row.Length())
	}
	return row
}

// TestDatesInShopTimeZone: the console shows when an order was placed in
// the shops' time zone whatever the server's is.
func TestDatesInShopTimeZone(t *testing.T) {
	ist, err := time.LoadLocation("Asia/Kolkata")
	if err != nil {
		t.Fatal(err)
	}
	r, err := newRenderer(ist)
	if err != nil {
		t.Fatal(err)
	}
	o := testOrder()
	o.Items = nil
	o.CreatedAt = time.Date(2026, 11, 24, 20, 0, 0, 0, time.UTC) // 01:30 on the 25th in India
	doc := renderDoc(t, r, "orders.html", ordersPage{
		Page: testAdminPage("Orders", "orders"), Orders: []*app.Order{o}, Statuses: app.OrderStatuses,
		Pager: Pager{Page: 1, PerPage: 25, Total: 1},
	})
	wantText(t, mustOne(t, doc.Selection, `a[href="/orders/42"]`).Closest("tr").Find("time"), "25 Nov 2026, 1:30 AM")
}

func TestRenderConfirmationUPI(t *testing.T) {
	r := newTestRenderer(t)
	page := Page{Title: "Order placed", Area: "shop", ShopURL: testShopURL}
	v := testVendor()
	v.Checkout = app.CheckoutSettings{UPIID: "chaicorner@okaxis", AcceptUPI: true}
	o := testOrder()
	o.Number, o.PaymentMode, o.PaymentStatus = 7, app.PaymentUPI, app.PaymentUnpaid
	o.Totals = app.Totals{Subtotal: o.Total + 500, Discount: 500, Total: o.Total}
	link := orderUPILink(v, o)
	doc := renderDoc(t, r, "confirmation.html", confirmationPage{Page: page, Store: v, Order: o, UPILink: template.URL(link)})
	pay := mustOne(t, doc.Selection, "a.upi-pay")
	if href, _ := pay.Attr("href"); href != link || !strings.HasPrefix(href, "upi://pay?pa=chaicorner@okaxis&") {
		t.Errorf("pay link = %q, want %q", href, link)
	}
	wantText(t, pay, "Pay ₹2,248.50 with UPI")
	if src, _ := mustOne(t, doc.Selection, "img.upi-qr").Attr("src"); src != "/orders/"+o.Token+"/upi.svg" {
		t.Errorf("QR src = %q", src)
	}
	wantText(t, mustOne(t, doc.Selection, ".payment-mode"), "UPI")
	wantText(t, mustOne(t, doc.Selection, ".payment-status"), "Not paid yet")
	wantText(t, mustOne(t, doc.Selection, "table.lines tfoot tr.discount .num"), "−₹5")
}
