package app

import (
	"maps"
	"slices"
	"strings"
	"testing"
)

func paise(p Paise) *Paise { return &p }

func TestCheckoutSettingsValidate(t *testing.T) {
	tests := []struct {
		name   string
		in     CheckoutSettings
		fields map[string]string
	}{
		{"defaults", DefaultCheckoutSettings(), map[string]string{}},
		{"everything", CheckoutSettings{DeliveryFee: 4000, FreeDeliveryAbove: paise(50000), MinOrder: 20000,
			UPIID: " chaicorner@okaxis ", AcceptCOD: true, AcceptUPI: true}, map[string]string{}},
		{"upi only", CheckoutSettings{UPIID: "chai.corner-1_x@ybl", AcceptUPI: true}, map[string]string{}},
		{"upi id kept while upi is off", CheckoutSettings{UPIID: "chaicorner@okaxis", AcceptCOD: true}, map[string]string{}},
		{"negative amounts", CheckoutSettings{DeliveryFee: -1, MinOrder: -1, AcceptCOD: true}, map[string]string{
			"delivery_fee": "Enter an amount of ₹0 or more.",
			"min_order":    "Enter an amount of ₹0 or more.",
		}},
		{"too large", CheckoutSettings{DeliveryFee: MaxPaise + 1, FreeDeliveryAbove: paise(MaxPaise + 1), AcceptCOD: true}, map[string]string{
			"delivery_fee":        "That amount is too large (at most ₹1,00,00,000).",
			"free_delivery_above": "That amount is too large (at most ₹1,00,00,000).",
		}},
		{"free above zero", CheckoutSettings{FreeDeliveryAbove: paise(0), AcceptCOD: true}, map[string]string{
			"free_delivery_above": "Enter an amount above ₹0, or leave it empty if delivery is never free.",
		}},
		{"no payment mode", CheckoutSettings{}, map[string]string{"cod": "Accept cash on delivery, UPI, or both."}},
		{"upi without id", CheckoutSettings{AcceptUPI: true}, map[string]string{"upi_id": "Enter your UPI ID to accept UPI payments."}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := tt.in
			if got := in.Validate(); !maps.Equal(got, tt.fields) {
				t.Errorf("Validate() = %v, want %v", got, tt.fields)
			}
		})
	}
	in := CheckoutSettings{UPIID: "  chaicorner@okaxis\t", AcceptUPI: true}
	in.Validate()
	if in.UPIID != "chaicorner@okaxis" {
		t.Errorf("UPI ID not trimmed: %q", in.UPIID)
	}
}

func TestValidUPIID(t *testing.T) {
	good := []string{"chaicorner@okaxis", "ab@cd", "ab@" + strings.Repeat("x", 64), strings.Repeat("a", 256) + "@okaxis", "98450.12345@paytm", "a_b-c.d@ybl"}
	bad := []string{"", "a@okaxis", "chaicorner", "chai corner@okaxis", "chai@o", "chai@ok1", "chai@@okaxis",
		"chai@ok.axis", "chäi@okaxis", "ab@" + strings.Repeat("x", 65), strings.Repeat("a", 257) + "@okaxis"}
	for _, s := range good {
		if !ValidUPIID(s) {
			t.Errorf("ValidUPIID(%q) = false", s)
		}
	}
	for _, s := range bad {
		if ValidUPIID(s) {
			t.Errorf("ValidUPIID(%q) = true", s)
		}
	}
}

func TestPrice(t *testing.T) {
	flat := func(v int64) *Coupon { return &Coupon{Kind: CouponFlat, Value: v} }
	pct := func(v int64) *Coupon { return &Coupon{Kind: CouponPercent, Value: v} }
	tests := []struct {
		name     string
		subtotal Paise
		s        CheckoutSettings
		c        *Coupon
		want     Totals
	}{
		{"free delivery, no coupon", 49900, CheckoutSettings{}, nil,
			Totals{Subtotal: 49900, Total: 49900}},
		{"delivery charged", 49900, CheckoutSettings{DeliveryFee: 4000}, nil,
			Totals{Subtotal: 49900, Delivery: 4000, Total: 53900}},
		{"never free without a threshold", 10_000_00, CheckoutSettings{DeliveryFee: 4000}, nil,
			Totals{Subtotal: 10_000_00, Delivery: 4000, Total: 10_040_00}},
		{"waived at the threshold", 50000, CheckoutSettings{DeliveryFee: 4000, FreeDeliveryAbove: paise(50000)}, nil,
			Totals{Subtotal: 50000, Total: 50000}},
		{"charged one paisa below", 49999, CheckoutSettings{DeliveryFee: 4000, FreeDeliveryAbove: paise(50000)}, nil,
			Totals{Subtotal: 49999, Delivery: 4000, Total: 53999}},
		{"discount takes the order below the threshold", 52000, CheckoutSettings{DeliveryFee: 4000, FreeDeliveryAbove: paise(50000)}, pct(10),
			Totals{Subtotal: 52000, Discount: 5200, Delivery: 4000, Total: 50800}},
		{"still above the threshold after discount", 60000, CheckoutSettings{DeliveryFee: 4000, FreeDeliveryAbove: paise(50000)}, flat(10000),
			Totals{Subtotal: 60000, Discount: 10000, Total: 50000}},
		{"percent rounds down", 999, CheckoutSettings{}, pct(15),
			Totals{Subtotal: 999, Discount: 149, Total: 850}},
		{"percent with delivery", 12900, CheckoutSettings{DeliveryFee: 2500}, pct(10),
			Totals{Subtotal: 12900, Discount: 1290, Delivery: 2500, Total: 14110}},
		{"flat", 49900, CheckoutSettings{DeliveryFee: 4000}, flat(5000),
			Totals{Subtotal: 49900, Discount: 5000, Delivery: 4000, Total: 48900}},
		{"flat larger than subtotal", 3000, CheckoutSettings{DeliveryFee: 4000}, flat(5000),
			Totals{Subtotal: 3000, Discount: 3000, Delivery: 4000, Total: 4000}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Price(tt.subtotal, tt.s, tt.c)
			if got != tt.want {
				t.Errorf("Price = %+v, want %+v", got, tt.want)
			}
			if got.Total != got.Subtotal-got.Discount+got.Delivery {
				t.Errorf("Total %d ≠ Subtotal − Discount + Delivery", got.Total)
			}
		})
	}
}

func TestMinOrder(t *testing.T) {
	s := CheckoutSettings{MinOrder: 20000}
	if got := s.Short(15050); got != 4950 {
		t.Errorf("Short = %d, want 4950", got)
	}
	if s.Short(20000) != 0 || s.CheckMinOrder(20000) != nil {
		t.Error("the minimum itself is refused")
	}
	err := s.CheckMinOrder(15050)
	want := "The minimum order is ₹200: add ₹49.50 more."
	if ErrorCode(err) != EINVALID || ErrorFields(err)["lines"] != want {
		t.Errorf("CheckMinOrder = %v %v, want EINVALID %q on lines", err, ErrorFields(err), want)
	}
	if (&CheckoutSettings{}).CheckMinOrder(1) != nil {
		t.Error("no minimum refused an order")
	}
}

func TestChoosePayment(t *testing.T) {
	both := CheckoutSettings{AcceptCOD: true, AcceptUPI: true, UPIID: "chai@okaxis"}
	upiOnly := CheckoutSettings{AcceptUPI: true, UPIID: "chai@okaxis"}
	tests := []struct {
		name  string
		s     CheckoutSettings
		asked string
		want  PaymentMode
		field string
	}{
		{"only mode by default", DefaultCheckoutSettings(), "", PaymentCOD, ""},
		{"upi only by default", upiOnly, "", PaymentUPI, ""},
		{"both needs a choice", both, "", "", "Choose how you will pay."},
		{"both, upi", both, "upi", PaymentUPI, ""},
		{"not accepted", upiOnly, "cod", "", "This shop does not accept that payment mode."},
		{"unknown", both, "card", "", "This shop does not accept that payment mode."},
	}
	for _, tt := range tests {
		got, err := tt.s.ChoosePayment(tt.asked)
		if got != tt.want || ErrorFields(err)["payment"] != tt.field {
			t.Errorf("%s: ChoosePayment(%q) = %q, %v; want %q, %q", tt.name, tt.asked, got, err, tt.want, tt.field)
		}
	}
	if got := both.PaymentModes(); !slices.Equal(got, []PaymentMode{PaymentCOD, PaymentUPI}) {
		t.Errorf("PaymentModes = %v", got)
	}
	if !PaymentUPI.Valid() || PaymentMode("card").Valid() || !PaymentPaid.Valid() || PaymentStatus("").Valid() {
		t.Error("Valid")
	}
}
