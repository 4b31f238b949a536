package app

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Customer is who ordered and where it goes.
type Customer struct {
	Name    string
	Phone   string // normalised +91XXXXXXXXXX
	Address string
}

// Limits on what a customer may type. They bound storage, page size and
// the work one request can cause.
const (
	MaxNameLen    = 120 // a person's name, and a shop's
	MinAddressLen = 10  // shorter cannot be a delivery address
	MaxAddressLen = 500
)

// NormalizePhone accepts a 10-digit Indian mobile number, optionally written
// with +91, 91 or 0 in front and with spaces, dots or hyphens, and returns it
// as +91XXXXXXXXXX. Indian mobile numbers start with 6, 7, 8 or 9.
func NormalizePhone(s string) (string, bool) {
	var b strings.Builder
	for i, r := range strings.TrimSpace(s) {
		switch {
		case r >= '0' && r <= '9':
			b.WriteRune(r)
		case r == '+' && i == 0:
		case r == ' ' || r == '-' || r == '.' || r == '(' || r == ')':
		default:
			return "", false
		}
	}
	d := b.String()
	switch {
	case len(d) == 12 && strings.HasPrefix(d, "91"):
		d = d[2:]
	case len(d) == 11 && d[0] == '0':
		d = d[1:]
	}
	if len(d) != 10 || d[0] < '6' {
		return "", false
	}
	return "+91" + d, true
}

// ValidateCustomer trims the customer's fields and checks them, returning
// per-field messages keyed by form field name.
func ValidateCustomer(c *Customer) map[string]string {
	fields := map[string]string{}
	c.Name = CleanText(c.Name)
	c.Address = strings.TrimSpace(c.Address)
	switch n := utf8.RuneCountInString(c.Name); {
	case n == 0:
		fields["name"] = "Enter your name."
	case n > MaxNameLen:
		fields["name"] = "That name is too long."
	}
	if phone, ok := NormalizePhone(c.Phone); ok {
		c.Phone = phone
	} else if strings.TrimSpace(c.Phone) == "" {
		fields["phone"] = "Enter a mobile number so the shop can reach you."
	} else {
		fields["phone"] = "Enter a 10-digit Indian mobile number, like 98765 43210."
	}
	switch n := utf8.RuneCountInString(c.Address); {
	case n < MinAddressLen:
		fields["address"] = "Enter the full delivery address."
	case n > MaxAddressLen:
		fields["address"] = "That address is too long."
	}
	return fields
}

// CleanText trims s and folds runs of white space and control characters
// into single spaces: for one-line fields such as names.
func CleanText(s string) string {
	return strings.Join(strings.FieldsFunc(s, func(r rune) bool {
		return unicode.IsSpace(r) || unicode.IsControl(r)
	}), " ")
}
