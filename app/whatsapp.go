package app

import (
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"
)

// WhatsApp hand-off: the console's order page opens a chat with the
// customer with a prefilled message for each step, as a wa.me link (no
// WhatsApp API, no account: the vendor's own WhatsApp sends it).

// WhatsAppSteps are the steps the order page offers a message for.
var WhatsAppSteps = []OrderStatus{StatusConfirmed, StatusShipped, StatusDelivered, StatusCancelled}

// MaxTrackingNoteLen bounds the tracking note that goes into the shipped
// message (a courier's name and a tracking number or link).
const MaxTrackingNoteLen = 200

// WhatsAppMessage is one step's prefilled message and its chat link.
type WhatsAppMessage struct {
	Step OrderStatus
	Text string
	Link string // https://wa.me/91XXXXXXXXXX?text=…
}

// WhatsAppNumber is the customer's phone as wa.me wants it, 91 and ten
// digits; ok is false for a number that is not an Indian mobile number.
func WhatsAppNumber(phone string) (string, bool) {
	p, ok := NormalizePhone(phone)
	if !ok {
		return "", false
	}
	return strings.TrimPrefix(p, "+"), true
}

// WhatsAppLink is the chat link to number (91XXXXXXXXXX) with text typed
// in. Spaces are %20, not "+": WhatsApp shows a "+" literally.
func WhatsAppLink(number, text string) string {
	return "https://wa.me/" + number + "?text=" + strings.ReplaceAll(url.QueryEscape(text), "+", "%20")
}

// CleanTrackingNote makes a typed note one line of at most
// MaxTrackingNoteLen characters.
func CleanTrackingNote(note string) string {
	note = CleanText(note)
	if utf8.RuneCountInString(note) > MaxTrackingNoteLen {
		note = string([]rune(note)[:MaxTrackingNoteLen])
	}
	return note
}

// WhatsAppText is the message for step of the shop's order number n,
// addressed to the customer by name; note goes into the shipped message.
func WhatsAppText(shop string, o *Order, step OrderStatus, note string) string {
	n := o.Number
	if n <= 0 {
		n = o.ID
	}
	hello := "Namaste"
	if name := CleanText(o.Customer.Name); name != "" {
		hello += " " + name
	}
	ref := "your order #" + strconv.FormatInt(n, 10) + " from " + CleanText(shop)
	switch step {
	case StatusConfirmed:
		return hello + ", " + ref + " is confirmed. Total " + o.Total.String() + ". We will message you when it is on its way."
	case StatusShipped:
		msg := hello + ", " + ref + " has been shipped."
		if note = CleanTrackingNote(note); note != "" {
			msg += " Tracking: " + note
		}
		return msg
	case StatusDelivered:
		return hello + ", " + ref + " has been delivered. Thank you for shopping with us!"
	case StatusCancelled:
		return hello + ", sorry: " + ref + " has been cancelled. Reply here if you have any questions."
	}
	return hello + ", about " + ref + "."
}

// CustomerWhatsApp is the order page's messages, one per WhatsAppSteps
// entry, or, when the customer's phone is not a WhatsApp-able Indian
// mobile number, none and the reason to show instead.
func CustomerWhatsApp(shop string, o *Order, note string) ([]WhatsAppMessage, string) {
	number, ok := WhatsAppNumber(o.Customer.Phone)
	if !ok {
		return nil, "WhatsApp needs a 10-digit Indian mobile number; this order's phone number is not one, so call instead."
	}
	msgs := make([]WhatsAppMessage, 0, len(WhatsAppSteps))
	for _, step := range WhatsAppSteps {
		text := WhatsAppText(shop, o, step, note)
		msgs = append(msgs, WhatsAppMessage{Step: step, Text: text, Link: WhatsAppLink(number, text)})
	}
	return msgs, ""
}
