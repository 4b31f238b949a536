package app

import (
	"context"
	"strings"
	"time"
	"unicode/utf8"
)

// VendorService manages vendor accounts.
type VendorService interface {
	// CreateVendor stores v with a hash of password and sets v.ID.
	// A taken store name or email is ECONFLICT with Fields "store"/"email".
	CreateVendor(ctx context.Context, v *Vendor, password string) error
	// Authenticate returns the vendor whose email and password match, or
	// EUNAUTHORIZED, taking the same time whether or not the email exists.
	Authenticate(ctx context.Context, email, password string) (*Vendor, error)
	VendorByID(ctx context.Context, id int64) (*Vendor, error)
	// VendorBySlug is the tenant lookup: one indexed query.
	VendorBySlug(ctx context.Context, slug string) (*Vendor, error)
	// UpdateStore saves the shop's settings and publishes StoreUpdated:
	// every page of the shop shows them.
	UpdateStore(ctx context.Context, id int64, in StoreSettings) (*Vendor, error)
}

// StoreSettings are what a vendor can change about their shop.
type StoreSettings struct {
	Name        string
	Description string
	WhatsApp    string // as typed; Validate normalises it
}

// ProductInput is what a vendor submits for a product, already parsed.
type ProductInput struct {
	Name        string
	Description string
	MRP         Paise
	Price       Paise
	Stock       int64
	Available   bool
	// Image is the product photo's key: nil leaves it as it is, a pointer
	// to "" removes it.
	Image *string
	// StockWas is the stock the edit form showed. When set and Stock equals
	// it, an update leaves stock alone, so orders placed while the vendor
	// was editing are not undone; when Stock differs but the stored stock
	// has moved away from StockWas, the update is ECONFLICT.
	StockWas *int64
}

// ProductFilter selects products of one vendor.
type ProductFilter struct {
	VendorID   int64
	OnSaleOnly bool   // available and not archived (the shop's view)
	Query      string // case-insensitive substring of the name
	Offset     int
	Limit      int // 0 means no limit
}

// ProductService manages a vendor's catalogue. Every method is scoped by
// vendor: another vendor's id is ENOTFOUND. Each committed change that
// alters a shop page is published as a ProductEvent after the commit.
type ProductService interface {
	CreateProduct(ctx context.Context, vendorID int64, in ProductInput) (*Product, error)
	UpdateProduct(ctx context.Context, vendorID, id int64, in ProductInput) (*Product, error)
	SetAvailability(ctx context.Context, vendorID, id int64, available bool) (*Product, error)
	// DeleteProduct removes the product, or archives it when orders point
	// at it; archived reports which.
	DeleteProduct(ctx context.Context, vendorID, id int64) (archived bool, err error)
	// Product returns a product that is not archived.
	Product(ctx context.Context, vendorID, id int64) (*Product, error)
	// Products returns a page of products, newest first, and the total count.
	Products(ctx context.Context, f ProductFilter) ([]*Product, int, error)
	// ImageInUse reports whether any of the vendor's products, archived
	// ones included, still shows the photo key.
	ImageInUse(ctx context.Context, vendorID int64, key string) (bool, error)
}

// OrderFilter selects orders of one vendor.
type OrderFilter struct {
	VendorID int64
	Status   OrderStatus // empty: all
	Offset   int
	Limit    int
}

// OrderService takes and manages orders.
type OrderService interface {
	// PlaceOrder runs one transaction: for every line a conditional stock
	// decrement, then the order and its lines at the prices of that moment.
	// Any line that cannot be filled refuses the whole order with EINVALID
	// and Fields keyed "qty_<product id>". A repeated OrderKey returns the
	// existing order and duplicate=true.
	PlaceOrder(ctx context.Context, req PlaceOrder) (o *Order, duplicate bool, err error)
	// OrderByToken is the customer's view of their order.
	OrderByToken(ctx context.Context, vendorID int64, token string) (*Order, error)
	Order(ctx context.Context, vendorID, id int64) (*Order, error)
	// Orders returns a page of orders, newest first, without items, and the
	// total count.
	Orders(ctx context.Context, f OrderFilter) ([]*Order, int, error)
	// SetOrderStatus moves an order along the workflow; a move the workflow
	// forbids is EINVALID. Cancelling puts the stock back.
	SetOrderStatus(ctx context.Context, vendorID, id int64, status OrderStatus) (*Order, error)
	// EachOrder calls fn with every order f selects (Offset is ignored),
	// newest first, each with its items. It reads f.Limit orders at a time
	// (default 200), so an export never holds all of a vendor's orders in
	// memory; an error from fn stops it and is returned.
	EachOrder(ctx context.Context, f OrderFilter, fn func(o *Order) error) error
	// OrderStats sums the vendor's orders created in [from, to).
	OrderStats(ctx context.Context, vendorID int64, from, to time.Time) (OrderStats, error)
}

// OrderStats is a summary of a vendor's orders over a period.
type OrderStats struct {
	Orders    int   // every order placed, cancelled ones included
	Cancelled int   // of which cancelled
	Revenue   Paise // sum of the totals of the orders not cancelled
}

// EventSink receives product events after their transaction committed. It
// returns once the event has been acted on (caches purged) or has given up
// within its own bounded time; an error is logged by the caller, never
// undoes the change.
type EventSink interface {
	Publish(ctx context.Context, ev ProductEvent) error
}

// EventSinkFunc adapts a function to EventSink.
type EventSinkFunc func(ctx context.Context, ev ProductEvent) error

// Publish calls f.
func (f EventSinkFunc) Publish(ctx context.Context, ev ProductEvent) error { return f(ctx, ev) }

// SessionStore keeps admin sessions server-side (the method set of
// github.com/alexedwards/scs/v2's Store, without importing it).
type SessionStore interface {
	Find(token string) (b []byte, found bool, err error)
	Commit(token string, b []byte, expiry time.Time) error
	Delete(token string) error
}

// Validate normalises the input (one-line name, trimmed description) and
// checks it, returning a message per form field. The console's form and
// storage both apply it, so the rules live in one place.
func (in *ProductInput) Validate() map[string]string {
	fields := map[string]string{}
	in.Name = CleanText(in.Name)
	in.Description = strings.TrimSpace(strings.ReplaceAll(in.Description, "\r\n", "\n"))
	switch n := utf8.RuneCountInString(in.Name); {
	case n == 0:
		fields["name"] = "Enter a product name."
	case n > MaxProductNameLen:
		fields["name"] = "Use at most 120 characters."
	}
	if utf8.RuneCountInString(in.Description) > MaxDescriptionLen {
		fields["description"] = "Use at most 4,000 characters."
	}
	switch {
	case in.MRP <= 0:
		fields["mrp"] = "MRP must be more than ₹0."
	case in.MRP > MaxPaise:
		fields["mrp"] = "That amount is too large (at most ₹1,00,00,000)."
	}
	switch {
	case in.Price <= 0:
		fields["price"] = "Price must be more than ₹0."
	case in.Price > in.MRP && fields["mrp"] == "":
		fields["price"] = "Price cannot be more than the MRP (" + in.MRP.String() + ")."
	}
	if in.Stock < 0 || in.Stock > MaxStock {
		fields["stock"] = "Enter a whole number of units from 0 to 10,00,000."
	}
	return fields
}
