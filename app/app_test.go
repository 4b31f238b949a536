package app

import (
	"strings"
	"testing"
)

func TestParseRupees(t *testing.T) {
	tests := []struct {
		in      string
		want    Paise
		wantErr bool
	}{
		{"499", 49900, false},
		{"1,299.50", 129950, false},
		{"₹ 12,34,567", 123456700, false},
		{"Rs. 10", 1000, false},
		{"rs 10.5", 1050, false},
		{"0.99", 99, false},
		{".5", 50, false},
		{"  42  ", 4200, false},
		{"1000000", 100000000, false},
		{"10000000", 1000000000, false}, // ₹1 crore, the cap
		{"10000000.01", 0, true},
		{"", 0, true},
		{"-5", 0, true},
		{"+5", 0, true},
		{"1e3", 0, true},
		{"12.345", 0, true},
		{"12.", 0, true},
		{"abc", 0, true},
		{"99999999999999999999", 0, true},
		{"1.2.3", 0, true},
		{"５", 0, true}, // full-width digit
		{"NaN", 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseRupees(tt.in)
			if (err != nil) != tt.wantErr {
				t.Fatalf("ParseRupees(%q) err = %v, wantErr %v", tt.in, err, tt.wantErr)
			}
			if err != nil && ErrorCode(err) != EINVALID {
				t.Errorf("ParseRupees(%q) code = %s, want %s", tt.in, ErrorCode(err), EINVALID)
			}
			if got != tt.want {
				t.Errorf("ParseRupees(%q) = %d, want %d", tt.in, got, tt.want)
			}
		})
	}
}

func TestPaiseString(t *testing.T) {
	tests := []struct {
		in    Paise
		want  string
		input string
	}{
		{0, "₹0", "0"},
		{5, "₹0.05", "0.05"},
		{49900, "₹499", "499"},
		{129950, "₹1,299.50", "1299.50"},
		{10000000, "₹1,00,000", "100000"},
		{123456789, "₹12,34,567.89", "1234567.89"},
		{-150, "-₹1.50", "-1.50"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			if got := tt.in.String(); got != tt.want {
				t.Errorf("String() = %q, want %q", got, tt.want)
			}
			if tt.in >= 0 {
				if got := tt.in.Input(); got != tt.input {
					t.Errorf("Input() = %q, want %q", got, tt.input)
				}
				back, err := ParseRupees(tt.in.Input())
				if err != nil || back != tt.in {
					t.Errorf("ParseRupees(Input()) = %d, %v; want %d", back, err, tt.in)
				}
			}
		})
	}
}

// FuzzParseRupees: whatever a person types, parsing never panics, never
// returns a negative or over-cap amount, and what it accepts round-trips
// through the form format.
func FuzzParseRupees(f *testing.F) {
	for _, s := range []string{"499", "1,299.50", "₹ 12,34,567", "Rs. 10", ".5", "-1", "1e9", "12.345", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := ParseRupees(s)
		if err != nil {
			if p != 0 {
				t.Fatalf("ParseRupees(%q) = %d with error", s, p)
			}
			return
		}
		if p < 0 || p > MaxPaise {
			t.Fatalf("ParseRupees(%q) = %d out of range", s, p)
		}
		back, err := ParseRupees(p.Input())
		if err != nil || back != p {
			t.Fatalf("round trip of %q: %d → %q → %d, %v", s, p, p.Input(), back, err)
		}
	})
}

func TestNormalizePhone(t *testing.T) {
	tests := []struct {
		in, want string
		ok       bool
	}{
		{"9876543210", "+919876543210", true},
		{"+91 98765 43210", "+919876543210", true},
		{"+91-98765-43210", "+919876543210", true},
		{"919876543210", "+919876543210", true},
		{"09876543210", "+919876543210", true},
		{"(98765) 43210", "+919876543210", true},
		{"6000000000", "+916000000000", true},
		{"5876543210", "", false}, // mobiles start 6-9
		{"987654321", "", false},
		{"98765432100", "", false},
		{"+1 415 555 0100", "", false},
		{"98765x43210", "", false},
		{"98765+43210", "", false},
		{"", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, ok := NormalizePhone(tt.in)
			if got != tt.want || ok != tt.ok {
				t.Errorf("NormalizePhone(%q) = %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.ok)
			}
		})
	}
}

func TestValidateCustomer(t *testing.T) {
	c := Customer{Name: "  Asha \t Rao ", Phone: "98765 43210", Address: " 12 MG Road, Bengaluru 560001 "}
	if fields := ValidateCustomer(&c); len(fields) != 0 {
		t.Fatalf("ValidateCustomer(valid) = %v, want no messages", fields)
	}
	want := Customer{Name: "Asha Rao", Phone: "+919876543210", Address: "12 MG Road, Bengaluru 560001"}
	if c != want {
		t.Errorf("cleaned customer = %+v, want %+v", c, want)
	}
	bad := Customer{Name: strings.Repeat("x", MaxNameLen+1), Phone: "123", Address: "short"}
	fields := ValidateCustomer(&bad)
	for _, k := range []string{"name", "phone", "address"} {
		if fields[k] == "" {
			t.Errorf("ValidateCustomer(bad) has no message for %s: %v", k, fields)
		}
	}
}

func TestOrderStatusWorkflow(t *testing.T) {
	allowed := map[[2]OrderStatus]bool{
		{StatusPending, StatusConfirmed}:   true,
		{StatusConfirmed, StatusShipped}:   true,
		{StatusShipped, StatusDelivered}:   true,
		{StatusPending, StatusCancelled}:   true,
		{StatusConfirmed, StatusCancelled}: true,
	}
	all := append([]OrderStatus{"", "refunded"}, OrderStatuses...)
	for _, from := range all {
		for _, to := range all {
			t.Run(string(from)+"->"+string(to), func(t *testing.T) {
				if got, want := from.CanMoveTo(to), allowed[[2]OrderStatus{from, to}]; got != want {
					t.Errorf("CanMoveTo = %v, want %v", got, want)
				}
			})
		}
	}
	if got := StatusPending.NextSteps(); len(got) != 2 || got[0] != StatusConfirmed || got[1] != StatusCancelled {
		t.Errorf("pending.NextSteps() = %v", got)
	}
	if got := StatusDelivered.NextSteps(); len(got) != 0 {
		t.Errorf("delivered.NextSteps() = %v, want none", got)
	}
}

func TestDiscountPercent(t *testing.T) {
	tests := []struct {
		mrp, price Paise
		want       int64
	}{
		{1000, 1000, 0}, {1000, 750, 25}, {999, 500, 49}, {0, 0, 0}, {1000, 1200, 0},
	}
	for _, tt := range tests {
		p := Product{MRP: tt.mrp, Price: tt.price}
		if got := p.DiscountPercent(); got != tt.want {
			t.Errorf("DiscountPercent(%d, %d) = %d, want %d", tt.mrp, tt.price, got, tt.want)
		}
	}
}

func TestStoreSettingsValidate(t *testing.T) {
	tests := []struct {
		name       string
		in         StoreSettings
		wantFields []string
		wantWA     string
		wantName   string
	}{
		{"ok with number", StoreSettings{Name: "  Asha   Sweets ", WhatsApp: "098765 43210"}, nil, "+919876543210", "Asha Sweets"},
		{"ok without number", StoreSettings{Name: "Asha", WhatsApp: "  "}, nil, "", "Asha"},
		{"empty name", StoreSettings{Name: " \t"}, []string{"name"}, "", ""},
		{"bad number", StoreSettings{Name: "Asha", WhatsApp: "12345"}, []string{"whatsapp"}, "12345", "Asha"},
		{"long description", StoreSettings{Name: "Asha", Description: strings.Repeat("ब", 301)}, []string{"description"}, "", "Asha"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := tt.in
			fields := in.Validate()
			var got []string
			for k := range fields {
				got = append(got, k)
			}
			if strings.Join(got, ",") != strings.Join(tt.wantFields, ",") {
				t.Errorf("fields %v, want %v", fields, tt.wantFields)
			}
			if in.WhatsApp != tt.wantWA || in.Name != tt.wantName {
				t.Errorf("normalised to %q/%q, want %q/%q", in.Name, in.WhatsApp, tt.wantName, tt.wantWA)
			}
		})
	}
	v := &Vendor{WhatsApp: "+919876543210"}
	if got := v.WhatsAppLink(); got != "https://wa.me/919876543210" {
		t.Errorf("WhatsAppLink = %q", got)
	}
	if got := (&Vendor{}).WhatsAppLink(); got != "" {
		t.Errorf("no number: WhatsAppLink = %q", got)
	}
}
