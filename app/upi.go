package app

import (
	"strconv"
	"strings"
)

// UPILink is the UPI deep link that asks the customer's UPI app (GPay,
// PhonePe, Paytm, BHIM…) to pay total to the shop, and the content of the
// QR code shown to a customer on a computer:
//
//	upi://pay?pa=<upi id>&pn=<shop>&am=<rupees.paise>&cu=INR&tn=<shop> order <number>
//
// Parameters are percent-encoded by upiEscape, not by url.Values: UPI apps
// parse this URI with their own code, and NPCI's linking specification
// writes spaces as %20 and the "@" of the address as is. "+" for a space
// is form encoding (application/x-www-form-urlencoded), which a generic URI
// parser leaves as a literal "+" ("Chai+Corner" on the payment screen), so
// it is avoided; and "@" is kept literal, as in the specification's
// examples, rather than trusting every app to decode "%40".
func UPILink(upiID, shopName string, total Paise, orderNumber int64) string {
	var b strings.Builder
	b.WriteString("upi://pay?pa=")
	b.WriteString(upiEscape(upiID))
	b.WriteString("&pn=")
	b.WriteString(upiEscape(shopName))
	b.WriteString("&am=")
	b.WriteString(upiAmount(total))
	b.WriteString("&cu=INR&tn=")
	b.WriteString(upiEscape(shopName + " order " + strconv.FormatInt(orderNumber, 10)))
	return b.String()
}

// upiAmount writes paise as rupees with exactly two decimals: 149.00.
func upiAmount(p Paise) string {
	if p < 0 {
		p = 0
	}
	return strconv.FormatInt(int64(p/100), 10) + "." + strconv.FormatInt(100+int64(p%100), 10)[1:]
}

// upiEscape percent-encodes every byte of s (UTF-8) except RFC 3986's
// unreserved characters and "@", which a query value may hold as is and
// which is every character a valid UPI address has.
func upiEscape(s string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9',
			c == '-', c == '.', c == '_', c == '~', c == '@':
			b.WriteByte(c)
		default:
			b.WriteByte('%')
			b.WriteByte(hex[c>>4])
			b.WriteByte(hex[c&15])
		}
	}
	return b.String()
}
