package app

import (
	"errors"
	"fmt"
)

// Error codes. Web maps each to one HTTP status in one place.
const (
	ECONFLICT     = "conflict"     // e.g. store name or email taken, concurrent edit
	EINTERNAL     = "internal"     // a bug or an outage; the message is not shown
	EINVALID      = "invalid"      // bad input; Fields says which
	ENOTFOUND     = "not_found"    // missing, or belongs to another vendor
	EUNAUTHORIZED = "unauthorized" // wrong credentials
	EUNAVAILABLE  = "unavailable"  // a dependency is down; retry later
)

// Error is a domain error with a machine-readable code, a message fit for
// the person at the keyboard, and optional per-field messages for forms.
type Error struct {
	Code    string
	Message string
	Fields  map[string]string
}

func (e *Error) Error() string {
	return fmt.Sprintf("dukaan error: code=%s message=%s", e.Code, e.Message)
}

// Errorf returns an *Error with the given code and formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Invalid returns an EINVALID error carrying per-field messages.
func Invalid(msg string, fields map[string]string) *Error {
	return &Error{Code: EINVALID, Message: msg, Fields: fields}
}

// ErrorCode returns the code of the *Error in err's chain, EINTERNAL for any
// other error and "" for nil.
func ErrorCode(err error) string {
	var e *Error
	if err == nil {
		return ""
	} else if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// ErrorMessage returns the human message of the *Error in err's chain, or a
// generic one for internal errors (their detail belongs in logs only).
func ErrorMessage(err error) string {
	var e *Error
	if err == nil {
		return ""
	} else if errors.As(err, &e) && e.Code != EINTERNAL {
		return e.Message
	}
	return "Something went wrong on our side. Please try again."
}

// ErrorFields returns the per-field messages of the *Error in err's chain.
func ErrorFields(err error) map[string]string {
	var e *Error
	if errors.As(err, &e) {
		return e.Fields
	}
	return nil
}
