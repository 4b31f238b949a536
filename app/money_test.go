package app

import "testing"

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
