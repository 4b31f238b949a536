package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"dukaan/app"
)

// SessionStore keeps admin sessions in the database, so every replica sees
// the same logins and a restart logs nobody out. It has the method set of
// scs/v2's Store, plus its context-aware CtxStore variants, which scs
// prefers when present so a cancelled request stops its session query.
type SessionStore struct {
	db *DB
}

var _ app.VendorSessionStore = (*SessionStore)(nil)

// NewSessionStore returns a session store on db.
func NewSessionStore(db *DB) *SessionStore { return &SessionStore{db: db} }

// Find returns the session data for token; found is false when the token is
// unknown or its session has expired.
func (s *SessionStore) Find(token string) ([]byte, bool, error) {
	return s.FindCtx(context.Background(), token)
}

// FindCtx is Find bounded by ctx.
func (s *SessionStore) FindCtx(ctx context.Context, token string) ([]byte, bool, error) {
	var m sessionModel
	err := s.db.db.NewSelect().Model(&m).
		Column("data").
		Where("token = ?", token).
		Where("expiry > ?", now()).
		Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, false, nil
	} else if err != nil {
		return nil, false, fmt.Errorf("storage.SessionStore.Find: %w", err)
	}
	return m.Data, true, nil
}

// Commit stores or replaces the session data for token until expiry.
func (s *SessionStore) Commit(token string, b []byte, expiry time.Time) error {
	return s.CommitCtx(context.Background(), token, b, expiry)
}

// CommitCtx is Commit bounded by ctx. It leaves the session's vendor as
// it was (CommitVendor records it).
func (s *SessionStore) CommitCtx(ctx context.Context, token string, b []byte, expiry time.Time) error {
	return s.commit(ctx, token, nil, b, expiry)
}

// CommitVendor is Commit for a session of vendorID (0: nobody signed in),
// recorded so that a password reset can delete the vendor's sessions.
func (s *SessionStore) CommitVendor(token string, vendorID int64, b []byte, expiry time.Time) error {
	return s.CommitVendorCtx(context.Background(), token, vendorID, b, expiry)
}

// CommitVendorCtx is CommitVendor bounded by ctx.
func (s *SessionStore) CommitVendorCtx(ctx context.Context, token string, vendorID int64, b []byte, expiry time.Time) error {
	return s.commit(ctx, token, &vendorID, b, expiry)
}

func (s *SessionStore) commit(ctx context.Context, token string, vendorID *int64, b []byte, expiry time.Time) error {
	if b == nil {
		b = []byte{} // the column is NOT NULL; an empty session is still one
	}
	m := &sessionModel{Token: token, Data: b, Expiry: expiry.UTC()}
	q := s.db.db.NewInsert().Model(m).
		On("CONFLICT (token) DO UPDATE").
		Set("data = EXCLUDED.data").
		Set("expiry = EXCLUDED.expiry")
	if vendorID != nil {
		if *vendorID != 0 {
			m.VendorID = vendorID
		}
		q = q.Set("vendor_id = EXCLUDED.vendor_id")
	}
	if _, err := q.Exec(ctx); err != nil {
		return fmt.Errorf("storage.SessionStore.Commit: %w", err)
	}
	return nil
}

// Delete removes the session for token; an unknown token is not an error.
func (s *SessionStore) Delete(token string) error {
	return s.DeleteCtx(context.Background(), token)
}

// DeleteCtx is Delete bounded by ctx.
func (s *SessionStore) DeleteCtx(ctx context.Context, token string) error {
	if _, err := s.db.db.NewDelete().Model((*sessionModel)(nil)).Where("token = ?", token).Exec(ctx); err != nil {
		return fmt.Errorf("storage.SessionStore.Delete: %w", err)
	}
	return nil
}

// DeleteExpired removes sessions past their expiry and reports how many.
// Find already ignores them; this only reclaims space, so run it now and
// then, not per request.
func (s *SessionStore) DeleteExpired(ctx context.Context) (int64, error) {
	res, err := s.db.db.NewDelete().Model((*sessionModel)(nil)).Where("expiry <= ?", now()).Exec(ctx)
	if err != nil {
		return 0, fmt.Errorf("storage.SessionStore.DeleteExpired: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("storage.SessionStore.DeleteExpired: %w", err)
	}
	return n, nil
}
