package app

import (
	"context"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Vendor is a merchant with one shop at <Slug>.<base domain>.
type Vendor struct {
	ID          int64
	Slug        string // store name: the shop's subdomain
	Name        string // display name shown on the shop header
	Email       string // login, stored lower-cased
	Description string // a line or two under the shop's name
	WhatsApp    string // normalised +91XXXXXXXXXX, or empty
	CreatedAt   time.Time
	// Checkout is the shop's delivery terms and payment modes, read with
	// the vendor so that the shop's pages and order form show them.
	Checkout CheckoutSettings
	// OrderEmails: the vendor is mailed every new order (on by default;
	// the settings page's switch).
	OrderEmails bool
	// SessionEpoch counts the vendor's password resets and changes. A
	// session remembers the epoch it signed in at and is over when the
	// vendor's has moved on, so a password change signs out everywhere
	// even a session a concurrent request saved back after its row was
	// deleted, or one saved before sessions recorded their vendor.
	SessionEpoch int64
	// Domain is the shop's primary custom domain ("" when none): its
	// canonical host, which links, canonical URLs, the sitemap and the QR
	// code use, and which the store subdomain redirects to.
	Domain string
	// Logo and Banner are photo keys (storage/images) shown in the shop's
	// header and on its front page, or empty.
	Logo   string
	Banner string
}

// WhatsAppLink is the wa.me chat link for the vendor's number, or "".
func (v *Vendor) WhatsAppLink() string {
	if !strings.HasPrefix(v.WhatsApp, "+") {
		return ""
	}
	return "https://wa.me/" + v.WhatsApp[1:]
}

// MaxStoreDescriptionLen bounds the line under the shop's name. The shop's
// name itself is bounded by MaxNameLen.
const MaxStoreDescriptionLen = 300

// StoreSettings are what a vendor can change about their shop.
type StoreSettings struct {
	Name        string
	Description string
	WhatsApp    string // as typed; Validate normalises it
	// OrderEmails switches the new-order email on or off; nil keeps it
	// (a save that does not carry the switch must not turn mail off).
	OrderEmails *bool
	// Logo and Banner are photo keys: nil keeps the saved one, a pointer
	// to "" removes it.
	Logo   *string
	Banner *string
}

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
		fields["name"] = atMostChars(MaxNameLen)
	}
	if utf8.RuneCountInString(in.Description) > MaxStoreDescriptionLen {
		fields["description"] = atMostChars(MaxStoreDescriptionLen)
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

// atMostChars is the message for a text field over its limit of n
// characters, with n written the Indian way ("Use at most 4,000 characters.").
func atMostChars(n int) string {
	return "Use at most " + groupIndian(strconv.Itoa(n)) + " characters."
}

// VendorService manages vendor accounts.
type VendorService interface {
	// CreateVendor stores v with a hash of password and sets v.ID.
	// A taken store name or email is ECONFLICT with Fields "store"/"email".
	CreateVendor(ctx context.Context, v *Vendor, password string) error
	// Authenticate returns the vendor whose email and password match, or
	// EUNAUTHORIZED, taking the same time whether or not the email exists.
	Authenticate(ctx context.Context, email, password string) (*Vendor, error)
	VendorByID(ctx context.Context, id int64) (*Vendor, error)
	// VendorBySlug is the tenant lookup: one indexed query.
	VendorBySlug(ctx context.Context, slug string) (*Vendor, error)
	// UpdateStore saves the shop's settings and publishes StoreUpdated:
	// every page of the shop shows them.
	UpdateStore(ctx context.Context, id int64, in StoreSettings) (*Vendor, error)
}
