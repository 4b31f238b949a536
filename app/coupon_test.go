package app

import (
	"errors"
	"maps"
	"testing"
	"time"
)

func TestNormalizeCouponCode(t *testing.T) {
	tests := []struct {
		in   string
		want string
		ok   bool
	}{
		{"diwali10", "DIWALI10", true},
		{"  Chai50 ", "CHAI50", true},
		{"ABC", "ABC", true},
		{"AB", "AB", false},
		{"ABCDEFGHIJ0123456789", "ABCDEFGHIJ0123456789", true},
		{"ABCDEFGHIJ01234567890", "ABCDEFGHIJ01234567890", false},
		{"DIWALI 10", "DIWALI 10", false},
		{"SALE-10", "SALE-10", false},
		{"ÉTÉ10", "ÉTÉ10", false},
		{"", "", false},
	}
	for _, tt := range tests {
		got, ok := NormalizeCouponCode(tt.in)
		if got != tt.want || ok != tt.ok {
			t.Errorf("NormalizeCouponCode(%q) = %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func TestCouponInputValidate(t *testing.T) {
	valid := CouponInput{Code: " diwali10 ", Kind: CouponPercent, Value: 10, Active: true}
	tests := []struct {
		name   string
		edit   func(in *CouponInput)
		fields map[string]string
	}{
		{"valid percent", func(*CouponInput) {}, map[string]string{}},
		{"valid flat with everything", func(in *CouponInput) {
			in.Kind, in.Value, in.MinOrder, in.MaxUses, in.Expires = CouponFlat, 5000, 50000, 100, " 2026-12-31 "
		}, map[string]string{}},
		{"flat above the minimum is allowed", func(in *CouponInput) {
			in.Kind, in.Value, in.MinOrder = CouponFlat, 50000, 20000
		}, map[string]string{}},
		{"no code", func(in *CouponInput) { in.Code = "  " },
			map[string]string{"code": "Enter a code, like DIWALI10."}},
		{"bad code", func(in *CouponInput) { in.Code = "10 off" },
			map[string]string{"code": "Use 3 to 20 letters A–Z and digits 0–9, without spaces."}},
		{"unknown kind", func(in *CouponInput) { in.Kind = "bogo" },
			map[string]string{"kind": "Choose a percent or a flat discount."}},
		{"percent 0", func(in *CouponInput) { in.Value = 0 },
			map[string]string{"value": "Enter a whole percent from 1 to 90."}},
		{"percent 91", func(in *CouponInput) { in.Value = 91 },
			map[string]string{"value": "Enter a whole percent from 1 to 90."}},
		{"percent 90", func(in *CouponInput) { in.Value = 90 }, map[string]string{}},
		{"flat 0", func(in *CouponInput) { in.Kind, in.Value = CouponFlat, 0 },
			map[string]string{"value": "The discount must be more than ₹0."}},
		{"flat too large", func(in *CouponInput) { in.Kind, in.Value = CouponFlat, int64(MaxPaise)+1 },
			map[string]string{"value": "That amount is too large (at most ₹1,00,00,000)."}},
		{"negative minimum", func(in *CouponInput) { in.MinOrder = -1 },
			map[string]string{"min_order": "The minimum order cannot be negative."}},
		{"minimum too large", func(in *CouponInput) { in.MinOrder = MaxPaise + 1 },
			map[string]string{"min_order": "That amount is too large (at most ₹1,00,00,000)."}},
		{"negative uses", func(in *CouponInput) { in.MaxUses = -1 },
			map[string]string{"max_uses": "Enter a whole number from 1 to 10,00,000, or leave it empty for no limit."}},
		{"bad date", func(in *CouponInput) { in.Expires = "31/12/2026" },
			map[string]string{"expires": "Enter a date like 2026-12-31, or leave it empty."}},
		{"impossible date", func(in *CouponInput) { in.Expires = "2026-02-30" },
			map[string]string{"expires": "Enter a date like 2026-12-31, or leave it empty."}},
		{"several at once", func(in *CouponInput) { in.Code, in.Value, in.Expires = "x", 95, "soon" },
			map[string]string{
				"code":    "Use 3 to 20 letters A–Z and digits 0–9, without spaces.",
				"value":   "Enter a whole percent from 1 to 90.",
				"expires": "Enter a date like 2026-12-31, or leave it empty.",
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := valid
			tt.edit(&in)
			got := in.Validate()
			if !maps.Equal(got, tt.fields) {
				t.Errorf("Validate() = %v, want %v", got, tt.fields)
			}
		})
	}
	in := CouponInput{Code: " diwali10 ", Kind: CouponFlat, Value: 100, Expires: " 2026-12-31 "}
	in.Validate()
	if in.Code != "DIWALI10" || in.Expires != "2026-12-31" {
		t.Errorf("normalised to code %q, expires %q", in.Code, in.Expires)
	}
}

func TestCouponDiscount(t *testing.T) {
	tests := []struct {
		name     string
		c        Coupon
		subtotal Paise
		want     Paise
	}{
		{"10 percent", Coupon{Kind: CouponPercent, Value: 10}, 50000, 5000},
		{"percent rounds down", Coupon{Kind: CouponPercent, Value: 15}, 999, 149}, // 149.85
		{"percent of one paisa", Coupon{Kind: CouponPercent, Value: 90}, 1, 0},
		{"flat", Coupon{Kind: CouponFlat, Value: 5000}, 50000, 5000},
		{"flat capped at subtotal", Coupon{Kind: CouponFlat, Value: 5000}, 3000, 3000},
		{"nothing off nothing", Coupon{Kind: CouponFlat, Value: 5000}, 0, 0},
	}
	for _, tt := range tests {
		if got := tt.c.Discount(tt.subtotal); got != tt.want {
			t.Errorf("%s: Discount(%d) = %d, want %d", tt.name, tt.subtotal, got, tt.want)
		}
	}
}

func TestCouponCheck(t *testing.T) {
	base := Coupon{Code: "DIWALI10", Kind: CouponPercent, Value: 10, Active: true}
	tests := []struct {
		name     string
		edit     func(c *Coupon)
		subtotal Paise
		today    string
		want     CouponReason // 0: applies
		msg      string
	}{
		{"applies", func(*Coupon) {}, 100, "2026-12-04", 0, ""},
		{"inactive", func(c *Coupon) { c.Active = false }, 100, "2026-12-04", CouponInactive,
			"The code DIWALI10 is not active right now."},
		{"last day still works", func(c *Coupon) { c.Expires = "2026-12-04" }, 100, "2026-12-04", 0, ""},
		{"expired", func(c *Coupon) { c.Expires = "2026-12-03" }, 100, "2026-12-04", CouponExpired,
			"The code DIWALI10 has expired."},
		{"used up", func(c *Coupon) { c.MaxUses, c.Uses = 3, 3 }, 100, "2026-12-04", CouponUsedUp,
			"The code DIWALI10 has been used up."},
		{"uses left", func(c *Coupon) { c.MaxUses, c.Uses = 3, 2 }, 100, "2026-12-04", 0, ""},
		{"unlimited", func(c *Coupon) { c.MaxUses, c.Uses = 0, 1000 }, 100, "2026-12-04", 0, ""},
		{"below minimum", func(c *Coupon) { c.MinOrder = 50000 }, 42050, "2026-12-04", CouponBelowMinimum,
			"The code DIWALI10 needs an order of ₹500: add ₹79.50 more."},
		{"at minimum", func(c *Coupon) { c.MinOrder = 50000 }, 50000, "2026-12-04", 0, ""},
		{"used up wins over minimum", func(c *Coupon) { c.MaxUses, c.Uses, c.MinOrder = 1, 1, 50000 }, 100, "2026-12-04",
			CouponUsedUp, "The code DIWALI10 has been used up."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := base
			tt.edit(&c)
			err := c.Check(tt.subtotal, tt.today)
			if tt.want == 0 {
				if err != nil {
					t.Fatalf("Check = %v, want nil", err)
				}
				return
			}
			var ce *CouponError
			if !errors.As(err, &ce) || ce.Reason != tt.want {
				t.Fatalf("Check = %v, want reason %v", err, tt.want)
			}
			if ErrorCode(err) != EINVALID || ErrorFields(err)["coupon"] != tt.msg || ErrorMessage(err) != tt.msg {
				t.Errorf("code %s, fields %v, message %q; want EINVALID and %q on coupon",
					ErrorCode(err), ErrorFields(err), ErrorMessage(err), tt.msg)
			}
		})
	}
	unknown := &CouponError{Reason: CouponUnknown, Code: "NOPE"}
	if got, want := unknown.Message(), `There is no discount code "NOPE" in this shop.`; got != want {
		t.Errorf("unknown message %q, want %q", got, want)
	}
	if CouponUsedUp.String() != "used_up" || CouponReason(0).String() != "CouponReason(0)" {
		t.Errorf("reason names: %v, %v", CouponUsedUp, CouponReason(0))
	}
}

func TestToday(t *testing.T) {
	ist := time.FixedZone("IST", 5*3600+1800)
	// 19:00 UTC on 4 December is already 5 December in India.
	at := time.Date(2026, 12, 4, 19, 0, 0, 0, time.UTC)
	if got := Today(at, ist); got != "2026-12-05" {
		t.Errorf("Today = %s, want 2026-12-05", got)
	}
	if got := Today(at, time.UTC); got != "2026-12-04" {
		t.Errorf("Today(UTC) = %s, want 2026-12-04", got)
	}
}

func TestCouponDescribe(t *testing.T) {
	if got := (&Coupon{Kind: CouponPercent, Value: 15}).Describe(); got != "15% off" {
		t.Errorf("percent: %q", got)
	}
	if got := (&Coupon{Kind: CouponFlat, Value: 5050}).Describe(); got != "₹50.50 off" {
		t.Errorf("flat: %q", got)
	}
	if got := (&Coupon{MaxUses: 3, Uses: 5}).UsesLeft(); got != 0 {
		t.Errorf("UsesLeft over limit = %d", got)
	}
	if got := (&Coupon{}).UsesLeft(); got != -1 {
		t.Errorf("UsesLeft unlimited = %d", got)
	}
}
