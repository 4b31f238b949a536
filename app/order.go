package app

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Limits on one order. They bound the work and the money one order can
// cause (see MaxPaise).
const (
	MaxQty         = 100 // units of one product in one order
	MaxOrderLines  = 50  // distinct products in one order
	MaxOrderKeyLen = 64
)

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
	Total     Paise // what the customer pays: always Totals.Total
	Items     []OrderItem
	CreatedAt time.Time
	UpdatedAt time.Time
	// OrderCheckout is the per-shop number, the totals (subtotal,
	// discount, delivery fee), the coupon and the payment mode and status.
	OrderCheckout
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
	// VariantID and VariantLabel are the variant bought (0 and "" for a
	// product without variants); the label is copied like the name, and
	// VariantID may name a variant since removed.
	VariantID    int64
	VariantLabel string
}

// DisplayName is the line as the console and emails show it: the name,
// and the variant's label after a dash ("Masala Chai — 250 g").
func (i OrderItem) DisplayName() string {
	if i.VariantLabel == "" {
		return i.Name
	}
	return i.Name + " — " + i.VariantLabel
}

// LineTotal is Price × Qty.
func (i OrderItem) LineTotal() Paise { return i.Price * Paise(i.Qty) }

// OrderLine is one product and quantity a customer asks for. A line of a
// variant names it by VariantID (the form's qty_v<id>); ProductID may be
// 0 then, and PlaceOrder fills it in. A product with variants is ordered
// only by its variants.
type OrderLine struct {
	ProductID int64
	VariantID int64
	Qty       int64
}

// Field is the line's quantity field: VariantQtyField or QtyField.
func (l OrderLine) Field() string {
	if l.VariantID != 0 {
		return VariantQtyField(l.VariantID)
	}
	return QtyField(l.ProductID)
}

// QtyFieldPrefix starts the name of every quantity field of the order form.
const QtyFieldPrefix = "qty_"

// QtyField is the name of the order form's quantity field for a product,
// and the key of that line's message in an order refusal's Fields. It is
// the only spelling: "qty_07" names no product.
func QtyField(productID int64) string { return QtyFieldPrefix + strconv.FormatInt(productID, 10) }

// Validate checks one line on its own: a real product id, and from 1 to
// MaxQty units. It returns the refusal when the line is wrong.
func (l OrderLine) Validate() (LineRefusal, bool) {
	r := LineRefusal{ProductID: l.ProductID, VariantID: l.VariantID}
	switch {
	case l.VariantID < 0 || l.VariantID == 0 && l.ProductID <= 0:
		r.Reason = RefusedBadProduct
	case l.Qty < 1:
		r.Reason = RefusedTooFew
	case l.Qty > MaxQty:
		r.Reason = RefusedTooMany
	default:
		return LineRefusal{}, false
	}
	return r, true
}

// ValidateOrderLines checks the shape of an order: from 1 to MaxOrderLines
// lines (a variant's line counts as a line), each valid on its own, no
// product or variant twice. It returns nil or an
// *OrderRefusal. A product listed twice is refused rather than merged: the
// order form has one quantity field per product, so a repeat is a broken
// or forged request, and merging would hide it.
func ValidateOrderLines(lines []OrderLine) error {
	switch {
	case len(lines) == 0:
		return RefuseOrder("Your order is empty.", []LineRefusal{{Reason: RefusedEmpty}})
	case len(lines) > MaxOrderLines:
		r := LineRefusal{Reason: RefusedTooManyLines}
		return RefuseOrder(r.Message(), []LineRefusal{r})
	}
	var refused []LineRefusal
	seen := make(map[string]bool, len(lines))
	for _, l := range lines {
		k := l.Field()
		if seen[k] && (l.ProductID > 0 || l.VariantID > 0) {
			refused = append(refused, LineRefusal{ProductID: l.ProductID, VariantID: l.VariantID, Reason: RefusedRepeated})
		} else if r, bad := l.Validate(); bad {
			refused = append(refused, r)
		}
		seen[k] = true
	}
	if len(refused) > 0 {
		return RefuseOrder("Please check the quantities.", refused)
	}
	return nil
}

// RefusalReason says why an order, or one line of it, was refused. Web
// words it for the customer and counts it by kind; neither depends on the
// other's wording.
type RefusalReason int

const (
	// The order's shape (ValidateOrderLines).
	RefusedEmpty        RefusalReason = iota + 1 // no lines at all
	RefusedTooManyLines                          // more than MaxOrderLines
	RefusedBadProduct                            // a product id that cannot exist
	RefusedRepeated                              // the same product on two lines
	RefusedTooFew                                // fewer than 1 unit
	RefusedTooMany                               // more than MaxQty units
	// The shop's stock when the order is placed (OrderService.PlaceOrder).
	RefusedNotSold     // archived, deleted, another shop's, or never existed
	RefusedUnavailable // switched off by the vendor
	RefusedSoldOut     // no units left
	RefusedNotEnough   // fewer units left than asked for; see Left
	RefusedChanged     // the stock moved under the order twice; a retry may work
	// The line's price is not the one the page showed (Price, Was): the
	// order is refused so that nobody pays a price they were not shown.
	RefusedPriceChanged
	// A plain line (qty_<product>) of a product sold by its variants.
	RefusedChooseVariant
)

// LineRefusal is one reason an order was refused. ProductID is zero when
// the refusal is about the order as a whole (RefusedEmpty,
// RefusedTooManyLines) or names no real product (RefusedBadProduct).
type LineRefusal struct {
	ProductID int64
	Reason    RefusalReason
	Left      int64 // units left, for RefusedNotEnough
	// RefusedPriceChanged: the product's name, its price now, and the
	// price the page showed.
	Name       string
	Price, Was Paise
	// VariantID and Label name the variant of a variant's line; Message
	// then starts with the product's name and the label.
	VariantID int64
	Label     string
}

// Field is the key of the refusal's message in Fields: the line's QtyField,
// or "lines" for the order as a whole.
func (r LineRefusal) Field() string {
	switch r.Reason {
	case RefusedEmpty, RefusedTooManyLines, RefusedBadProduct:
		return "lines"
	}
	if r.VariantID != 0 {
		return VariantQtyField(r.VariantID)
	}
	return QtyField(r.ProductID)
}

// Message says the refusal in the customer's words; a variant's refusal
// names it ("Masala Chai 250 g: only 2 left.").
func (r LineRefusal) Message() string {
	msg := r.message()
	if r.Label == "" || r.Reason == RefusedPriceChanged {
		return msg
	}
	return r.Name + " " + r.Label + ": " + strings.ToLower(msg[:1]) + msg[1:]
}

func (r LineRefusal) message() string {
	switch r.Reason {
	case RefusedEmpty:
		return "Choose at least one product."
	case RefusedTooManyLines:
		return fmt.Sprintf("An order can have at most %d different products.", MaxOrderLines)
	case RefusedBadProduct:
		return "The order names a product that does not exist."
	case RefusedRepeated:
		return "This product is listed twice."
	case RefusedTooFew:
		return "Order at least 1."
	case RefusedTooMany:
		return fmt.Sprintf("At most %d per order.", MaxQty)
	case RefusedNotSold:
		return "This product is no longer sold."
	case RefusedUnavailable:
		return "This product is not available right now."
	case RefusedSoldOut:
		return "Sold out."
	case RefusedNotEnough:
		return fmt.Sprintf("Only %d left.", r.Left)
	case RefusedChanged:
		return "This product changed just now. Please try again."
	case RefusedChooseVariant:
		return "Choose a variant of this product."
	case RefusedPriceChanged:
		if r.Label != "" {
			return r.Name + " " + r.Label + " is now " + r.Price.String() + ", was " + r.Was.String() + "."
		}
		return r.Name + " is now " + r.Price.String() + ", was " + r.Was.String() + "."
	}
	return "This line cannot be ordered."
}

// OrderRefusal is the error of an order refused for its lines, by
// ValidateOrderLines or PlaceOrder. It wraps an EINVALID *Error whose
// Fields hold each refusal's Message under its Field (a later refusal of
// the same field wins), so ErrorCode, ErrorMessage and ErrorFields see it
// like any invalid input; errors.As finds the refusals themselves.
type OrderRefusal struct {
	Lines []LineRefusal
	err   *Error
}

// RefuseOrder returns the refusal of an order for lines, with msg for the
// order as a whole.
func RefuseOrder(msg string, lines []LineRefusal) *OrderRefusal {
	fields := make(map[string]string, len(lines))
	for _, r := range lines {
		fields[r.Field()] = r.Message()
	}
	return &OrderRefusal{Lines: lines, err: Invalid(msg, fields)}
}

func (r *OrderRefusal) Error() string { return r.err.Error() }

// Unwrap gives the EINVALID *Error.
func (r *OrderRefusal) Unwrap() error { return r.err }

// PlaceOrder is a customer's order request, already validated for shape.
type PlaceOrder struct {
	VendorID int64
	OrderKey string
	Customer Customer
	Lines    []OrderLine
	// Shown is the price the page showed for each product id; a line
	// whose price differs now is RefusedPriceChanged. A line without one
	// is taken at the current price (clients that do not send it).
	Shown map[int64]Paise
	// ShownVariant is the same per variant id (the form's price_v<id>).
	ShownVariant map[int64]Paise
	Coupon       string // as typed; "" for none
	Payment      string // "cod", "upi", or "" for the shop's only mode
	// Zone is the shop's time zone: its calendar day decides whether a
	// coupon has expired. nil: UTC.
	Zone *time.Location
	// CheckRepeat refuses, with a *RepeatOrder, an order whose phone
	// already placed the same lines within RepeatWindow: set for a form
	// that carried no order key of its own (no script on the page), unless
	// the customer confirmed they want it again.
	CheckRepeat bool
}

// RepeatWindow is how far back an order counts as a repeat of one with the
// same phone and lines (PlaceOrder.CheckRepeat).
const RepeatWindow = 10 * time.Minute

// RepeatOrder is the refusal of an order that looks like one the customer
// already placed (PlaceOrder.CheckRepeat). It unwraps to ECONFLICT; Order
// is the earlier order.
type RepeatOrder struct{ Order *Order }

func (e *RepeatOrder) Error() string {
	return fmt.Sprintf("repeat of order #%d", e.Order.Number)
}

// Unwrap gives the ECONFLICT *Error.
func (e *RepeatOrder) Unwrap() error {
	return Errorf(ECONFLICT, "You already placed order #%d.", e.Order.Number)
}

// PriceChanges are the RefusedPriceChanged lines of an order refusal.
func (r *OrderRefusal) PriceChanges() []LineRefusal {
	var out []LineRefusal
	for _, l := range r.Lines {
		if l.Reason == RefusedPriceChanged {
			out = append(out, l)
		}
	}
	return out
}

// OrderFilter selects orders of one vendor.
type OrderFilter struct {
	VendorID int64
	Status   OrderStatus // empty: all
	// Number selects the order with this per-shop number; 0: all.
	Number int64
	// PaymentMode and PaymentStatus select by payment (the console's
	// "unpaid UPI" filter sets both); empty: all.
	PaymentMode   PaymentMode
	PaymentStatus PaymentStatus
	Offset        int
	Limit         int
}

// OrderStats is a summary of a vendor's orders over a period.
type OrderStats struct {
	Orders    int   // every order placed, cancelled ones included
	Cancelled int   // of which cancelled
	Revenue   Paise // sum of the totals of the orders not cancelled
}

// OrderService takes and manages orders. Every method is scoped by vendor:
// another vendor's order is ENOTFOUND; an unknown status is EINVALID.
type OrderService interface {
	// PlaceOrder runs one transaction: for every line a conditional stock
	// decrement, then the order and its lines at the prices of that moment.
	// Lines that ValidateOrderLines refuses, or that cannot be filled,
	// refuse the whole order with an *OrderRefusal (EINVALID, Fields keyed
	// by QtyField) naming every such line. A repeated OrderKey returns the
	// existing order and duplicate=true.
	PlaceOrder(ctx context.Context, req PlaceOrder) (o *Order, duplicate bool, err error)
	// OrderByToken is the customer's view of their order.
	OrderByToken(ctx context.Context, vendorID int64, token string) (*Order, error)
	Order(ctx context.Context, vendorID, id int64) (*Order, error)
	// Orders returns a page of orders, newest first, without items, and the
	// total count.
	Orders(ctx context.Context, f OrderFilter) ([]*Order, int, error)
	// SetOrderStatus moves an order along the workflow; a move the workflow
	// forbids is EINVALID, and losing a race with another move ECONFLICT.
	// Cancelling puts the stock back.
	SetOrderStatus(ctx context.Context, vendorID, id int64, status OrderStatus) (*Order, error)
	// SetPaymentStatus records whether the vendor has received the
	// order's money (status paid or unpaid; anything else EINVALID). A
	// cancelled order keeps its payment status and may still be marked.
	SetPaymentStatus(ctx context.Context, vendorID, id int64, status PaymentStatus) (*Order, error)
	// EachOrder calls fn with every order f selects (Offset is ignored),
	// newest first, each with its items. It reads f.Limit orders at a time
	// (default 200), so an export never holds all of a vendor's orders in
	// memory; an error from fn stops it and is returned.
	EachOrder(ctx context.Context, f OrderFilter, fn func(o *Order) error) error
	// OrderStats sums the vendor's orders created in [from, to).
	OrderStats(ctx context.Context, vendorID int64, from, to time.Time) (OrderStats, error)
}
