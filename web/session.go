package web

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"time"

	"dukaan/app"
)

// hashedStore keeps sessions under an HMAC of their token, so that someone
// who reads the sessions table cannot replay a live session cookie: the
// cookie carries the token, the database only its keyed hash.
type hashedStore struct {
	inner app.SessionStore
	key   []byte
}

func newHashedStore(inner app.SessionStore, key []byte) *hashedStore {
	return &hashedStore{inner: inner, key: key}
}

func (s *hashedStore) id(token string) string {
	m := hmac.New(sha256.New, s.key)
	m.Write([]byte(token))
	return hex.EncodeToString(m.Sum(nil))
}

func (s *hashedStore) Find(token string) ([]byte, bool, error) { return s.inner.Find(s.id(token)) }

func (s *hashedStore) Commit(token string, b []byte, expiry time.Time) error {
	return s.inner.Commit(s.id(token), b, expiry)
}

func (s *hashedStore) Delete(token string) error { return s.inner.Delete(s.id(token)) }
