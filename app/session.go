package app

import "time"

// SessionStore keeps admin sessions server-side (the method set of
// github.com/alexedwards/scs/v2's Store, without importing it). An error
// means the store could not be reached; a missing or expired token is
// found=false, not an error.
type SessionStore interface {
	Find(token string) (b []byte, found bool, err error)
	Commit(token string, b []byte, expiry time.Time) error
	Delete(token string) error
}

// VendorSessionStore is a SessionStore that records whose each session is,
// so that a password reset or change can sign the vendor out everywhere
// (AccountService deletes the vendor's sessions in its transaction).
// CommitVendor is Commit for a session of vendorID (0: nobody signed in).
type VendorSessionStore interface {
	SessionStore
	CommitVendor(token string, vendorID int64, b []byte, expiry time.Time) error
}
