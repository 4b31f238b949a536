package app

import (
	"context"
	"regexp"
	"strings"
)

// PaymentMode is how a customer pays for an order. No payment gateway is
// involved in either: cash goes to the delivery person, UPI goes from the
// customer's UPI app straight to the shop's UPI address.
type PaymentMode string

const (
	PaymentCOD PaymentMode = "cod" // cash on delivery
	PaymentUPI PaymentMode = "upi"
)

// Valid reports whether m is a known mode.
func (m PaymentMode) Valid() bool { return m == PaymentCOD || m == PaymentUPI }

// PaymentStatus is whether the vendor has received the money. The vendor
// sets it by hand: the shop never sees the UPI transaction.
type PaymentStatus string

const (
	PaymentUnpaid PaymentStatus = "unpaid"
	PaymentPaid   PaymentStatus = "paid"
)

// Valid reports whether s is a known status.
func (s PaymentStatus) Valid() bool { return s == PaymentUnpaid || s == PaymentPaid }

// CheckoutSettings are the shop's delivery terms and payment modes: what a
// vendor sets beside StoreSettings, and what pricing an order needs.
type CheckoutSettings struct {
	DeliveryFee Paise // charged per order; 0: free delivery
	// FreeDeliveryAbove waives the fee when the subtotal after discount
	// is at or above it. nil means delivery is never free: a pointer, not
	// a zero value, so that "never" and an amount are told apart without a
	// second flag; Validate refuses a pointer to 0 (a fee of 0 says that).
	FreeDeliveryAbove *Paise
	MinOrder          Paise  // the least subtotal the shop accepts; 0: none
	UPIID             string // the shop's UPI address, e.g. chaicorner@okaxis
	AcceptCOD         bool
	AcceptUPI         bool
}

// DefaultCheckoutSettings are a shop's settings before the vendor changes
// anything: free delivery, no minimum, cash on delivery only, as every shop
// worked before these settings existed.
func DefaultCheckoutSettings() CheckoutSettings { return CheckoutSettings{AcceptCOD: true} }

// upiIDPattern is a UPI address: 2–256 of letters, digits, dot, underscore
// and hyphen, "@", and a 2–64-letter handle naming the bank or app.
var upiIDPattern = regexp.MustCompile(`^[a-zA-Z0-9._-]{2,256}@[a-zA-Z]{2,64}$`)

// ValidUPIID reports whether s is a well-formed UPI address.
func ValidUPIID(s string) bool { return upiIDPattern.MatchString(s) }

// Validate normalises the settings (UPI ID trimmed) and returns a message
// per form field.
func (in *CheckoutSettings) Validate() map[string]string {
	fields := map[string]string{}
	checkAmount := func(field string, p Paise) {
		switch {
		case p < 0:
			fields[field] = "Enter an amount of ₹0 or more."
		case p > MaxPaise:
			fields[field] = "That amount is too large (at most ₹1,00,00,000)."
		}
	}
	checkAmount("delivery_fee", in.DeliveryFee)
	if in.FreeDeliveryAbove != nil {
		if *in.FreeDeliveryAbove <= 0 {
			fields["free_delivery_above"] = "Enter an amount above ₹0, or leave it empty if delivery is never free."
		} else {
			checkAmount("free_delivery_above", *in.FreeDeliveryAbove)
		}
	}
	checkAmount("min_order", in.MinOrder)
	in.UPIID = strings.TrimSpace(in.UPIID)
	switch {
	case in.UPIID != "" && !ValidUPIID(in.UPIID):
		fields["upi_id"] = "Enter a UPI ID like chaicorner@okaxis."
	case in.UPIID == "" && in.AcceptUPI:
		fields["upi_id"] = "Enter your UPI ID to accept UPI payments."
	}
	if !in.AcceptCOD && !in.AcceptUPI {
		fields["cod"] = "Accept cash on delivery, UPI, or both."
	}
	return fields
}

// PaymentModes lists the modes the shop accepts, cash first.
func (s *CheckoutSettings) PaymentModes() []PaymentMode {
	var out []PaymentMode
	if s.AcceptCOD {
		out = append(out, PaymentCOD)
	}
	if s.AcceptUPI {
		out = append(out, PaymentUPI)
	}
	return out
}

// Accepts reports whether the shop takes payment by m.
func (s *CheckoutSettings) Accepts(m PaymentMode) bool {
	return (m == PaymentCOD && s.AcceptCOD) || (m == PaymentUPI && s.AcceptUPI)
}

// ChoosePayment is the mode an order form's "payment" field asks for:
// required when the shop accepts both, the shop's only mode when it is
// empty. A mode the shop does not take is EINVALID on "payment".
func (s *CheckoutSettings) ChoosePayment(asked string) (PaymentMode, error) {
	modes := s.PaymentModes()
	m := PaymentMode(strings.TrimSpace(asked))
	switch {
	case m == "" && len(modes) == 1:
		return modes[0], nil
	case m == "":
		msg := "Choose how you will pay."
		return "", Invalid(msg, map[string]string{"payment": msg})
	case !s.Accepts(m):
		msg := "This shop does not accept that payment mode."
		return "", Invalid(msg, map[string]string{"payment": msg})
	}
	return m, nil
}

// Short is how much more the subtotal (the goods, before discount and
// delivery) needs to reach the shop's minimum order, or 0 when it does.
func (s *CheckoutSettings) Short(subtotal Paise) Paise {
	return max(s.MinOrder-subtotal, 0)
}

// CheckMinOrder refuses a subtotal below the shop's minimum order with
// EINVALID naming the amount still needed, on the "lines" field (the
// order as a whole, as for an empty order).
func (s *CheckoutSettings) CheckMinOrder(subtotal Paise) error {
	short := s.Short(subtotal)
	if short == 0 {
		return nil
	}
	msg := "The minimum order is " + s.MinOrder.String() + ": add " + short.String() + " more."
	return Invalid(msg, map[string]string{"lines": msg})
}

// Totals are the money of one order. Total = Subtotal − Discount +
// Delivery, never below Delivery.
type Totals struct {
	Subtotal Paise // the lines at their prices
	Discount Paise // the coupon's, at most Subtotal
	Delivery Paise // the fee charged, 0 when waived
	Total    Paise
}

// Price computes an order's totals from its subtotal, the shop's settings
// and a coupon that already passed Check (nil for none). The discount is
// the coupon's (Coupon.Discount: percent rounded down, flat capped at the
// subtotal). The delivery fee is waived when the subtotal after discount
// is at or above FreeDeliveryAbove: what the customer pays for the goods
// decides, so a coupon cannot both cut the price and earn free delivery
// that the discounted basket would not.
func Price(subtotal Paise, s CheckoutSettings, c *Coupon) Totals {
	t := Totals{Subtotal: subtotal}
	if c != nil {
		t.Discount = c.Discount(subtotal)
	}
	goods := subtotal - t.Discount
	t.Delivery = s.DeliveryFee
	if s.FreeDeliveryAbove != nil && goods >= *s.FreeDeliveryAbove {
		t.Delivery = 0
	}
	t.Total = goods + t.Delivery
	return t
}

// OrderCheckout is what checkout adds to an order: its per-shop number, its
// totals, the coupon it used and how it is paid. Storage reads it from the
// order row; how app.Order carries it is the wiring's to decide.
type OrderCheckout struct {
	Number        int64 // 1, 2, 3… within the shop; 0 for an order not yet numbered
	Totals        Totals
	CouponCode    string // "" for none
	PaymentMode   PaymentMode
	PaymentStatus PaymentStatus
}

// CheckoutService keeps a shop's checkout settings.
type CheckoutService interface {
	CheckoutSettings(ctx context.Context, vendorID int64) (*CheckoutSettings, error)
	// UpdateCheckoutSettings validates and saves the settings and
	// publishes StoreUpdated: the shop's pages show the delivery terms
	// and payment modes.
	UpdateCheckoutSettings(ctx context.Context, vendorID int64, in CheckoutSettings) (*CheckoutSettings, error)
}
