package web

import (
	"dukaan/app"
	"html/template"
)

// Every page renders from one of these typed structs. Templates read only
// what is here; handlers fill them. The embedded Page carries what the
// layout needs.

// Page is the layout's data: title, navigation, flash, CSRF token.
type Page struct {
	Title     string
	Area      string // "landing", "admin", "shop" or "error": picks the header and nav
	Nav       string // the admin nav item to highlight: "products" or "orders"
	CSRFToken string // admin forms put it in the hidden field csrf_token
	Flash     string // one-off success message after a redirect
	Vendor    *app.Vendor
	AdminURL  string // absolute URL of the vendor console
	ShopURL   string // absolute URL of the vendor's shop (admin and shop pages)
	SignupURL string
	// Meta is a shop page's head tags (shop_meta.go); nil elsewhere.
	Meta *Meta
}

// Pager is a page of a longer list.
type Pager struct {
	Page, PerPage, Total int
	BaseQuery            string // query string without page=, e.g. "status=pending&"
}

// Pages is the number of pages.
func (p Pager) Pages() int {
	if p.PerPage <= 0 {
		return 1
	}
	n := (p.Total + p.PerPage - 1) / p.PerPage
	if n < 1 {
		n = 1
	}
	return n
}

// HasPrev reports whether there is a previous page.
func (p Pager) HasPrev() bool { return p.Page > 1 }

// HasNext reports whether there is a next page.
func (p Pager) HasNext() bool { return p.Page < p.Pages() }

// Prev is the previous page number.
func (p Pager) Prev() int { return p.Page - 1 }

// Next is the next page number.
func (p Pager) Next() int { return p.Page + 1 }

// Form holds what a person typed, re-shown with messages when it was wrong.
type Form struct {
	Values  map[string]string // field name → value as typed
	Errors  map[string]string // field name → message
	Message string            // a message for the whole form
}

// Value returns the typed value of a field.
func (f Form) Value(name string) string { return f.Values[name] }

// Error returns the message for a field.
func (f Form) Error(name string) string { return f.Errors[name] }

// HasErrors reports whether the form has any message.
func (f Form) HasErrors() bool { return f.Message != "" || len(f.Errors) > 0 }

// landingPage is <base> and www.<base>.
type landingPage struct {
	Page
}

// authPage is signup and login on the admin host.
type authPage struct {
	Page
	Form Form
}

// productsPage is the vendor's product table.
type productsPage struct {
	Page
	Products []*app.Product
	Query    string
	Pager    Pager
}

// productFormPage creates (Product nil) or edits a product.
type productFormPage struct {
	Page
	Product    *app.Product
	Form       Form
	Photos     bool  // photo uploads are on
	PhotoMaxMB int64 // their size limit
	// PhotoRows are the gallery's photos as the form shows them (saved,
	// or as posted with the new uploads when refused); MaxPhotos the limit.
	PhotoRows []photoRow
	MaxPhotos int
	// Categories are the shop's, for the category select (empty: no
	// select; Form's "category_id" is the chosen id, "" for none).
	Categories []*app.Category
	// Variants are the inline variant rows (admin_product_variants.go);
	// HasVariants is set when a row is kept, and the product's own price
	// and stock are then not required.
	Variants    []variantRow
	HasVariants bool
}

// ordersPage lists a vendor's orders.
type ordersPage struct {
	Page
	Orders   []*app.Order
	Status   app.OrderStatus // the filter; empty for all
	Statuses []app.OrderStatus
	Filter   orderListQuery // every filter, the status included
	Pager    Pager
	Today    app.OrderStats // orders placed today, in the shops' time zone
	TimeZone string         // that zone's name, e.g. Asia/Kolkata
}

// orderPage is one order in the console, with the moves it may make.
type orderPage struct {
	Page
	Order *app.Order
	Next  []app.OrderStatus
	Form  Form
	// WhatsApp is a prefilled chat link to the customer per step, with
	// Tracking (?tracking=) in the shipped one; WhatsAppReason says why
	// there are none.
	WhatsApp       []app.WhatsAppMessage
	WhatsAppReason string
	Tracking       string
}

// shopPage is a store's front page (or one product of it, when Product is
// set) with the order form. It is the same for every visitor: nothing
// personal may go in, because shop pages are cached.
type shopPage struct {
	Page
	Store *app.Vendor
	// Categories are the shop's row of links (front and category pages);
	// Category is the one a /c/{slug} page lists.
	Categories []*app.Category
	Category   *app.Category
	Search     string         // the normalised query on /search
	Products   []*app.Product // products listed on the page, in the form
	Product    *app.Product   // set on /p/{id}
	Pager      Pager
	Form       Form // filled only when re-rendered after a refused order
	From       string
}

// confirmationPage is a customer's order, reached by its token.
type confirmationPage struct {
	Page
	Store *app.Vendor
	Order *app.Order
	// UPILink is the "Pay with UPI" link of an unpaid UPI order, else "":
	// a template.URL, as html/template would refuse the upi: scheme; it is
	// built by app.UPILink, every parameter percent-encoded.
	UPILink template.URL
}

// repeatPage asks a customer whether they mean to place again an order
// they placed a few minutes ago (app.RepeatOrder).
type repeatPage struct {
	Page
	Store  *app.Vendor
	Order  *app.Order  // the earlier order
	Fields [][2]string // the post to send again, confirm_repeat=1 included
}

// errorPage is any error, on any host.
type errorPage struct {
	Page
	Status  int
	Heading string
	Message string
	Store   *app.Vendor // on a shop host whose store is known: its header
}
