package web

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"time"

	"github.com/alexedwards/scs/v2"

	"dukaan/app"
)

// hashedStore keeps sessions under an HMAC of their token, so that someone
// who reads the sessions table cannot replay a live session cookie: the
// cookie carries the token, the database only its keyed hash.
//
// When the inner store records whose each session is
// (app.VendorSessionStore), Commit reads the signed-in vendor out of the
// session data with scs's codec and passes it on, so that a password
// reset can delete every session of the vendor.
type hashedStore struct {
	inner app.SessionStore
	key   []byte
	codec scs.Codec
}

func newHashedStore(inner app.SessionStore, key []byte, codec scs.Codec) *hashedStore {
	return &hashedStore{inner: inner, key: key, codec: codec}
}

func (s *hashedStore) id(token string) string {
	m := hmac.New(sha256.New, s.key)
	m.Write([]byte(token))
	return hex.EncodeToString(m.Sum(nil))
}

func (s *hashedStore) Find(token string) ([]byte, bool, error) { return s.inner.Find(s.id(token)) }

func (s *hashedStore) Commit(token string, b []byte, expiry time.Time) error {
	vs, ok := s.inner.(app.VendorSessionStore)
	if !ok {
		return s.inner.Commit(s.id(token), b, expiry)
	}
	var vendorID int64
	if _, values, err := s.codec.Decode(b); err == nil {
		vendorID, _ = values[sessionVendorKey].(int64)
	}
	return vs.CommitVendor(s.id(token), vendorID, b, expiry)
}

func (s *hashedStore) Delete(token string) error { return s.inner.Delete(s.id(token)) }
