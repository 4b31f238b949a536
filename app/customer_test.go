package app

import (
	"strings"
	"testing"
)

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
