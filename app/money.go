package app

import (
	"strconv"
	"strings"
)

// Paise is an amount of Indian money in paise (1/100 rupee). Integer money
// never rounds.
type Paise int64

// MaxPaise caps any amount a form may enter (₹1 crore): far above any
// product a small shop sells, far below int64 overflow even when multiplied
// by MaxQty and MaxOrderLines.
const MaxPaise Paise = 1_00_00_000_00

// ParseRupees parses a rupee amount typed by a person: digits with up to two
// decimals, optionally a leading ₹ or "Rs", and Indian or Western thousands
// separators ("1,299.50", "₹ 12,34,567"). It rejects signs, exponents and
// anything above MaxPaise.
func ParseRupees(s string) (Paise, error) {
	s = strings.TrimSpace(s)
	s = strings.TrimPrefix(s, "₹")
	if len(s) >= 2 && strings.EqualFold(s[:2], "rs") {
		s = strings.TrimPrefix(strings.TrimSpace(s[2:]), ".")
	}
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, Errorf(EINVALID, "Enter an amount in rupees.")
	}
	whole, frac, hasDot := strings.Cut(s, ".")
	if hasDot && (len(frac) == 0 || len(frac) > 2) {
		return 0, Errorf(EINVALID, "Use at most two digits after the decimal point.")
	}
	whole = strings.ReplaceAll(whole, ",", "")
	if whole == "" {
		whole = "0"
	}
	if !allDigits(whole) || !allDigits(frac) {
		return 0, Errorf(EINVALID, "Enter a number like 499 or 1,299.50.")
	}
	if len(whole) > 12 {
		return 0, Errorf(EINVALID, "That amount is too large.")
	}
	for len(frac) < 2 {
		frac += "0"
	}
	r, err := strconv.ParseInt(whole, 10, 64)
	if err != nil {
		return 0, Errorf(EINVALID, "That amount is too large.")
	}
	f, _ := strconv.ParseInt(frac, 10, 64)
	p := Paise(r*100 + f)
	if p > MaxPaise {
		return 0, Errorf(EINVALID, "%s", tooLargeMessage())
	}
	return p, nil
}

// tooLargeMessage refuses an amount above MaxPaise.
func tooLargeMessage() string {
	return "That amount is too large (at most " + MaxPaise.String() + ")."
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// String formats the amount the Indian way: ₹1,23,456.50, and ₹499 when
// there are no paise.
func (p Paise) String() string {
	neg := p < 0
	if neg {
		p = -p
	}
	r, f := int64(p/100), int64(p%100)
	s := groupIndian(strconv.FormatInt(r, 10))
	if f != 0 {
		s += "." + strconv.FormatInt(100+f, 10)[1:]
	}
	if neg {
		return "-₹" + s
	}
	return "₹" + s
}

// Input formats the amount for a form field: 1299.50 or 499.
func (p Paise) Input() string {
	r, f := int64(p/100), int64(p%100)
	if f == 0 {
		return strconv.FormatInt(r, 10)
	}
	return strconv.FormatInt(r, 10) + "." + strconv.FormatInt(100+f, 10)[1:]
}

// groupIndian inserts separators in lakh/crore style: 12,34,567.
func groupIndian(d string) string {
	if len(d) <= 3 {
		return d
	}
	head, tail := d[:len(d)-3], d[len(d)-3:]
	var parts []string
	for len(head) > 2 {
		parts = append([]string{head[len(head)-2:]}, parts...)
		head = head[:len(head)-2]
	}
	if head != "" {
		parts = append([]string{head}, parts...)
	}
	return strings.Join(parts, ",") + "," + tail
}
