package app

import (
	"strings"
	"unicode/utf8"
)

// MaxStoreDescriptionLen bounds the line under the shop's name.
const MaxStoreDescriptionLen = 300

// Validate normalises the settings (one-line name, trimmed description,
// WhatsApp number as +91XXXXXXXXXX) and returns a message per form field.
func (in *StoreSettings) Validate() map[string]string {
	fields := map[string]string{}
	in.Name = CleanText(in.Name)
	in.Description = strings.TrimSpace(strings.ReplaceAll(in.Description, "\r\n", "\n"))
	switch n := utf8.RuneCountInString(in.Name); {
	case n == 0:
		fields["name"] = "Enter your shop’s name."
	case n > MaxNameLen:
		fields["name"] = "Use at most 120 characters."
	}
	if utf8.RuneCountInString(in.Description) > MaxStoreDescriptionLen {
		fields["description"] = "Use at most 300 characters."
	}
	if strings.TrimSpace(in.WhatsApp) == "" {
		in.WhatsApp = ""
	} else if phone, ok := NormalizePhone(in.WhatsApp); ok {
		in.WhatsApp = phone
	} else {
		fields["whatsapp"] = "Enter a 10-digit Indian mobile number, like 98765 43210, or leave it empty."
	}
	return fields
}

// WhatsAppLink is the wa.me chat link for the vendor's number, or "".
func (v *Vendor) WhatsAppLink() string {
	if !strings.HasPrefix(v.WhatsApp, "+") {
		return ""
	}
	return "https://wa.me/" + v.WhatsApp[1:]
}
