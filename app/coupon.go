package app

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// CouponKind says how a coupon's Value is read.
type CouponKind string

const (
	CouponPercent CouponKind = "percent" // Value is a whole percent, 1–90
	CouponFlat    CouponKind = "flat"    // Value is paise off the subtotal
)

// Valid reports whether k is a known kind.
func (k CouponKind) Valid() bool { return k == CouponPercent || k == CouponFlat }

// Limits on coupons.
const (
	MinCouponCodeLen = 3
	MaxCouponCodeLen = 20
	MaxCouponPercent = 90
	MaxCouponUses    = 1_000_000
)

// DateLayout is how a civil date (a day on the shop's calendar, with no
// time of day or zone) is written in forms and stored: 2026-12-31. Dates in
// this layout sort as strings, which is how storage compares them on both
// databases.
const DateLayout = "2006-01-02"

// Today is the shop's calendar date at instant t in the shop's zone loc.
func Today(t time.Time, loc *time.Location) string { return t.In(loc).Format(DateLayout) }

// Coupon is a discount code a vendor gives out. Codes are stored
// upper-cased and matched case-insensitively, unique within a shop.
type Coupon struct {
	ID       int64
	VendorID int64
	Code     string
	Kind     CouponKind
	// Value is a whole percent (1–90) for CouponPercent, paise for
	// CouponFlat.
	Value    int64
	MinOrder Paise // the subtotal the coupon needs; 0: none
	MaxUses  int64 // 0: unlimited
	Uses     int64 // orders that hold a use (cancelled ones give theirs back)
	// Expires is the last day the coupon works, as a civil date in
	// DateLayout on the shop's calendar (the configured time zone), or ""
	// for never. A civil date, not an instant, so that the day the vendor
	// typed is the day they see again, whatever the zone is later set to;
	// it ends at midnight of the shop's zone.
	Expires   string
	Active    bool
	CreatedAt time.Time
}

// Discount is what the coupon takes off a subtotal: a percent rounds down
// to whole paise (the shop never gives away a fraction of a paisa it did not
// promise), and a flat amount never exceeds the subtotal.
func (c *Coupon) Discount(subtotal Paise) Paise {
	if subtotal <= 0 {
		return 0
	}
	switch c.Kind {
	case CouponPercent:
		// subtotal ≤ MaxPaise × MaxQty × MaxOrderLines and Value ≤ 90:
		// far from overflowing int64.
		return subtotal * Paise(c.Value) / 100
	case CouponFlat:
		return min(Paise(c.Value), subtotal)
	}
	return 0
}

// Describe is the offer in the customer's words: "10% off", "₹50 off".
func (c *Coupon) Describe() string {
	if c.Kind == CouponPercent {
		return strconv.FormatInt(c.Value, 10) + "% off"
	}
	return Paise(c.Value).String() + " off"
}

// UsesLeft is how many more orders can use the coupon, or -1 for unlimited.
func (c *Coupon) UsesLeft() int64 {
	if c.MaxUses == 0 {
		return -1
	}
	return max(c.MaxUses-c.Uses, 0)
}

// Check says why the coupon cannot apply to an order with this subtotal on
// the shop's calendar day today (DateLayout), or returns nil when it can.
// Storage takes the use with a conditional update that tests the same
// rules; Check is how a refused update is explained, and how a page can
// preview a code without taking a use.
func (c *Coupon) Check(subtotal Paise, today string) error {
	switch {
	case !c.Active:
		return &CouponError{Reason: CouponInactive, Code: c.Code}
	case c.Expires != "" && today > c.Expires:
		return &CouponError{Reason: CouponExpired, Code: c.Code}
	case c.MaxUses > 0 && c.Uses >= c.MaxUses:
		return &CouponError{Reason: CouponUsedUp, Code: c.Code}
	case subtotal < c.MinOrder:
		return &CouponError{Reason: CouponBelowMinimum, Code: c.Code, MinOrder: c.MinOrder, Short: c.MinOrder - subtotal}
	}
	return nil
}

// CouponReason is why a coupon cannot apply to an order.
type CouponReason int

const (
	CouponUnknown      CouponReason = iota + 1 // no such code in this shop
	CouponInactive                             // the vendor switched it off
	CouponExpired                              // past its last day
	CouponUsedUp                               // MaxUses orders hold a use
	CouponBelowMinimum                         // the subtotal is below its MinOrder
)

var couponReasonNames = map[CouponReason]string{
	CouponUnknown:      "unknown",
	CouponInactive:     "inactive",
	CouponExpired:      "expired",
	CouponUsedUp:       "used_up",
	CouponBelowMinimum: "below_minimum",
}

func (r CouponReason) String() string {
	if s, ok := couponReasonNames[r]; ok {
		return s
	}
	return "CouponReason(" + strconv.Itoa(int(r)) + ")"
}

// CouponError is a coupon refused for an order. It unwraps to an EINVALID
// *Error whose Fields carry the message on the "coupon" form field, so the
// web layer answers it like any other invalid input (422), while a caller
// that needs the reason gets it with errors.As.
type CouponError struct {
	Reason   CouponReason
	Code     string // as stored (upper-cased), or as typed for CouponUnknown
	MinOrder Paise  // CouponBelowMinimum: the coupon's minimum
	Short    Paise  // CouponBelowMinimum: how much more the order needs
}

// Message is the refusal in the customer's words.
func (e *CouponError) Message() string {
	switch e.Reason {
	case CouponUnknown:
		return "There is no discount code " + strconv.Quote(e.Code) + " in this shop."
	case CouponInactive:
		return "The code " + e.Code + " is not active right now."
	case CouponExpired:
		return "The code " + e.Code + " has expired."
	case CouponUsedUp:
		return "The code " + e.Code + " has been used up."
	case CouponBelowMinimum:
		return fmt.Sprintf("The code %s needs an order of %s: add %s more.", e.Code, e.MinOrder, e.Short)
	}
	return "This discount code cannot be used."
}

func (e *CouponError) Error() string {
	return "coupon " + e.Code + " refused: " + e.Reason.String()
}

// Unwrap returns the error as the EINVALID *Error web answers.
func (e *CouponError) Unwrap() error {
	msg := e.Message()
	return Invalid(msg, map[string]string{"coupon": msg})
}

// NormalizeCouponCode trims and upper-cases a code as a customer or vendor
// typed it, and reports whether it is 3–20 of A-Z and 0-9.
func NormalizeCouponCode(s string) (string, bool) {
	s = strings.ToUpper(strings.TrimSpace(s))
	if len(s) < MinCouponCodeLen || len(s) > MaxCouponCodeLen {
		return s, false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !(c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return s, false
		}
	}
	return s, true
}

// CouponInput is what a vendor submits for a coupon, already parsed: web
// reads value as rupees for a flat coupon (ParseRupees) and as a whole
// number for a percent one.
type CouponInput struct {
	Code     string
	Kind     CouponKind
	Value    int64 // percent, or paise for a flat coupon
	MinOrder Paise
	MaxUses  int64
	Expires  string // DateLayout, or "" for never
	Active   bool
}

// Validate normalises the input (code trimmed and upper-cased, date
// trimmed) and checks it, returning a message per form field. The console's
// form and storage both apply it.
func (in *CouponInput) Validate() map[string]string {
	fields := map[string]string{}
	code, ok := NormalizeCouponCode(in.Code)
	in.Code = code
	switch {
	case code == "":
		fields["code"] = "Enter a code, like DIWALI10."
	case !ok:
		fields["code"] = "Use 3 to 20 letters A–Z and digits 0–9, without spaces."
	}
	switch in.Kind {
	case CouponPercent:
		if in.Value < 1 || in.Value > MaxCouponPercent {
			fields["value"] = "Enter a whole percent from 1 to 90."
		}
	case CouponFlat:
		switch {
		case in.Value <= 0:
			fields["value"] = "The discount must be more than ₹0."
		case Paise(in.Value) > MaxPaise:
			fields["value"] = "That amount is too large (at most ₹1,00,00,000)."
		}
	default:
		fields["kind"] = "Choose a percent or a flat discount."
	}
	switch {
	case in.MinOrder < 0:
		fields["min_order"] = "The minimum order cannot be negative."
	case in.MinOrder > MaxPaise:
		fields["min_order"] = "That amount is too large (at most ₹1,00,00,000)."
	}
	if in.MaxUses < 0 || in.MaxUses > MaxCouponUses {
		fields["max_uses"] = "Enter a whole number from 1 to 10,00,000, or leave it empty for no limit."
	}
	in.Expires = strings.TrimSpace(in.Expires)
	if in.Expires != "" {
		if d, err := time.Parse(DateLayout, in.Expires); err != nil || d.Year() < 2000 || d.Year() > 9999 {
			fields["expires"] = "Enter a date like 2026-12-31, or leave it empty."
		}
	}
	return fields
}

// CouponService manages a vendor's discount codes. Every method is scoped by
// vendor: another vendor's coupon id is ENOTFOUND. A code already used by
// another of the shop's coupons is ECONFLICT with Fields["code"]. Taking and
// giving back a use happens inside the order's transaction, not here.
type CouponService interface {
	// Coupons lists the vendor's coupons, newest first, with their uses.
	Coupons(ctx context.Context, vendorID int64) ([]*Coupon, error)
	Coupon(ctx context.Context, vendorID, id int64) (*Coupon, error)
	CreateCoupon(ctx context.Context, vendorID int64, in CouponInput) (*Coupon, error)
	// UpdateCoupon changes everything but the uses taken so far; lowering
	// MaxUses below Uses leaves the coupon used up.
	UpdateCoupon(ctx context.Context, vendorID, id int64, in CouponInput) (*Coupon, error)
	// DeleteCoupon removes the coupon; orders keep the code they used.
	DeleteCoupon(ctx context.Context, vendorID, id int64) error
}
