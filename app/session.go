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
