// Package app holds Dukaan's domain: vendors, products, orders, the events
// that change a shop page, the error codes every layer speaks, and the
// service interfaces that storage implements and web calls. It imports only
// the standard library so that every other package can depend on it.
package app

import "time"

// Vendor is a merchant with one shop at <Slug>.<base domain>.
type Vendor struct {
	ID          int64
	Slug        string // store name: the shop's subdomain
	Name        string // display name shown on the shop header
	Email       string // login, stored lower-cased
	Description string // a line or two under the shop's name
	WhatsApp    string // normalised +91XXXXXXXXXX, or empty
	CreatedAt   time.Time
}

// Product is something a vendor sells. Money is integer paise.
type Product struct {
	ID          int64
	VendorID    int64
	Name        string
	Description string
	MRP         Paise  // maximum retail price, shown struck through
	Price       Paise  // selling price, never above MRP
	Stock       int64  // units left, never below zero
	Available   bool   // the vendor's switch: hidden from the shop when false
	Archived    bool   // deleted by the vendor but kept because orders point at it
	Image       string // key of the product photo (see storage/images), or empty
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// SoldOut reports whether the shop should show the product as sold out.
func (p *Product) SoldOut() bool { return p.Stock <= 0 }

// OnSale reports whether customers can see and order the product.
func (p *Product) OnSale() bool { return p.Available && !p.Archived }

// DiscountPercent is the whole-percent saving of Price against MRP.
func (p *Product) DiscountPercent() int64 {
	if p.MRP <= 0 || p.Price >= p.MRP {
		return 0
	}
	return int64((p.MRP - p.Price) * 100 / p.MRP)
}

// OrderStatus is a step of the order workflow.
type OrderStatus string

const (
	StatusPending   OrderStatus = "pending"
	StatusConfirmed OrderStatus = "confirmed"
	StatusShipped   OrderStatus = "shipped"
	StatusDelivered OrderStatus = "delivered"
	StatusCancelled OrderStatus = "cancelled"
)

// OrderStatuses lists every status in workflow order.
var OrderStatuses = []OrderStatus{StatusPending, StatusConfirmed, StatusShipped, StatusDelivered, StatusCancelled}

// Valid reports whether s is a known status.
func (s OrderStatus) Valid() bool {
	for _, v := range OrderStatuses {
		if s == v {
			return true
		}
	}
	return false
}

// CanMoveTo reports whether the workflow allows moving from s to next:
// one step forward along pending → confirmed → shipped → delivered, or
// cancelled while the order has not shipped yet.
func (s OrderStatus) CanMoveTo(next OrderStatus) bool {
	switch next {
	case StatusCancelled:
		return s == StatusPending || s == StatusConfirmed
	case StatusConfirmed:
		return s == StatusPending
	case StatusShipped:
		return s == StatusConfirmed
	case StatusDelivered:
		return s == StatusShipped
	}
	return false
}

// NextSteps lists the statuses an order in status s may move to.
func (s OrderStatus) NextSteps() []OrderStatus {
	var out []OrderStatus
	for _, v := range OrderStatuses {
		if s.CanMoveTo(v) {
			out = append(out, v)
		}
	}
	return out
}

// Order is a customer's purchase from one vendor. Customers have no
// account: the unguessable Token is their only handle on the order.
type Order struct {
	ID        int64
	VendorID  int64
	Token     string
	OrderKey  string // idempotency key from the order form
	Customer  Customer
	Status    OrderStatus
	Total     Paise
	Items     []OrderItem
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Customer is who ordered and where it goes.
type Customer struct {
	Name    string
	Phone   string // normalised +91XXXXXXXXXX
	Address string
}

// OrderItem is one line of an order; name and prices are copied from the
// product at order time so later edits never rewrite history.
type OrderItem struct {
	ID        int64
	OrderID   int64
	ProductID int64
	Name      string
	MRP       Paise
	Price     Paise
	Qty       int64
}

// LineTotal is Price × Qty.
func (i OrderItem) LineTotal() Paise { return i.Price * Paise(i.Qty) }

// OrderLine is one product and quantity a customer asks for.
type OrderLine struct {
	ProductID int64
	Qty       int64
}

// PlaceOrder is a customer's order request, already validated for shape.
type PlaceOrder struct {
	VendorID int64
	OrderKey string
	Customer Customer
	Lines    []OrderLine
}

// ProductEventKind says what happened to a product.
type ProductEventKind string

const (
	ProductCreated      ProductEventKind = "created"
	ProductUpdated      ProductEventKind = "updated"
	ProductDeleted      ProductEventKind = "deleted"
	ProductAvailability ProductEventKind = "availability"
	ProductSoldOut      ProductEventKind = "sold_out"
	ProductRestocked    ProductEventKind = "restocked"
	StoreUpdated        ProductEventKind = "store_updated"
)

// ProductEvent is a committed change that alters what a shop page shows.
// ProductID is zero for store-wide events.
type ProductEvent struct {
	Kind      ProductEventKind
	VendorID  int64
	ProductID int64
}
