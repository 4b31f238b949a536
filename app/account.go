package app

import (
	"context"
	"strings"
	"time"
	"unicode/utf8"
)

// Account recovery and settings (issue 14): one-time links mailed to the
// vendor, for a forgotten password and for a new login email.

// TokenPurpose says what a one-time account link does.
type TokenPurpose string

const (
	TokenReset TokenPurpose = "reset" // sets a new password
	TokenEmail TokenPurpose = "email" // makes a new login email take effect
)

// Lifetimes of the one-time links. A mail job holding a link is deleted
// about an hour after it completed, so neither outlives its copy by much.
const (
	ResetTokenLifetime = time.Hour
	EmailTokenLifetime = time.Hour
)

// Password limits (the signup rules): at least MinPasswordLen characters,
// at most MaxPasswordLen bytes (bcrypt ignores what follows).
const (
	MinPasswordLen = 8
	MaxPasswordLen = 72
)

// ValidatePassword returns the message for a new password that breaks the
// rules, or "". A password of spaces only is refused: it is what a
// fumbled keyboard types, not a secret.
func ValidatePassword(p string) string {
	switch {
	case strings.TrimSpace(p) == "" && p != "":
		return "Use something other than spaces."
	case utf8.RuneCountInString(p) < MinPasswordLen:
		return "Use at least 8 characters."
	case len(p) > MaxPasswordLen:
		return "Use at most 72 characters."
	}
	return ""
}

// The answers about a one-time link that is not (or no longer) good. They
// are distinct values, so a page can say which: compare with errors.Is.
var (
	ErrTokenUnknown = &Error{Code: ENOTFOUND, Message: "This link is not valid. Check that you copied all of it, or ask for a new one."}
	ErrTokenUsed    = &Error{Code: ECONFLICT, Message: "This link has already been used. Ask for a new one if you still need it."}
	ErrTokenExpired = &Error{Code: EINVALID, Message: "This link has expired. Ask for a new one."}
)

// AccountService recovers and changes a vendor's login.
type AccountService interface {
	// RequestPasswordReset owes, when a vendor has this login email, a
	// password_reset mail carrying linkBase+token, token valid for
	// ResetTokenLifetime, in one transaction with the token's row. An
	// unknown email writes nothing and is not an error: the caller answers
	// the same either way. Errors are outages only.
	RequestPasswordReset(ctx context.Context, email, linkBase string) error
	// CheckToken says whether a link of this purpose can still be used:
	// nil, ErrTokenUnknown, ErrTokenUsed or ErrTokenExpired. For an email
	// change it also returns the new address.
	CheckToken(ctx context.Context, purpose TokenPurpose, token string) (newEmail string, err error)
	// ResetPassword sets a new password with a reset link, in one
	// transaction: the link (and every other reset link of the vendor) is
	// used up, the vendor's SessionEpoch raised and every session of the
	// vendor deleted; it returns the vendor as it is now. Errors: the token
	// errors above, EINVALID with Fields "password".
	ResetPassword(ctx context.Context, token, password string) (*Vendor, error)
	// ChangePassword sets a new password when current is right, raises
	// the vendor's SessionEpoch and deletes every session of the vendor;
	// it returns the vendor as it is now (the caller signs its own
	// browser in again with it). Errors: EINVALID with Fields
	// "current_password" (wrong) or "new_password" (breaks the rules).
	ChangePassword(ctx context.Context, vendorID int64, current, password string) (*Vendor, error)
	// RequestEmailChange owes an email_confirm mail to newEmail carrying
	// linkBase+token when current is right and newEmail is free; nothing
	// changes until ConfirmEmailChange. Errors: EINVALID with Fields
	// "current_password" or "email", ECONFLICT with Fields "email" (taken).
	RequestEmailChange(ctx context.Context, vendorID int64, current, newEmail, linkBase string) error
	// ConfirmEmailChange makes the link's address the vendor's login
	// email. Errors: the token errors above, ECONFLICT with Fields "email"
	// when another account took the address meanwhile.
	ConfirmEmailChange(ctx context.Context, token string) (*Vendor, error)
}
