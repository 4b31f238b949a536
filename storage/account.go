package storage

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"time"

	"github.com/uptrace/bun"
	"golang.org/x/crypto/bcrypt"

	"dukaan/app"
	"dukaan/storage/jobs"
)

var _ app.AccountService = (*DB)(nil)

type accountTokenModel struct {
	bun.BaseModel `bun:"table:account_tokens,alias:t"`

	ID        int64      `bun:"id,pk,autoincrement"`
	TokenHash string     `bun:"token_hash"`
	Purpose   string     `bun:"purpose"`
	VendorID  int64      `bun:"vendor_id"`
	NewEmail  string     `bun:"new_email"`
	CreatedAt time.Time  `bun:"created_at"`
	ExpiresAt time.Time  `bun:"expires_at"`
	UsedAt    *time.Time `bun:"used_at"`
}

// tokenHash is what account_tokens stores of a link's token: SHA-256, hex.
// The token is 32 random bytes, so no salt or slow hash is needed (see
// migrate_account.go), and the lookup stays one unique-index probe.
func tokenHash(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// newAccountToken is a fresh link token: 32 random bytes, URL-safe base64.
func newAccountToken() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (Go 1.24+)
	return base64.RawURLEncoding.EncodeToString(b)
}

// insertTokenTx stores the hash of a new token and returns the token.
func insertTokenTx(ctx context.Context, tx bun.Tx, purpose app.TokenPurpose, vendorID int64, newEmail string, life time.Duration) (string, error) {
	token := newAccountToken()
	t := now()
	m := &accountTokenModel{TokenHash: tokenHash(token), Purpose: string(purpose), VendorID: vendorID,
		NewEmail: newEmail, CreatedAt: t, ExpiresAt: t.Add(life)}
	if _, err := tx.NewInsert().Model(m).Exec(ctx); err != nil {
		return "", err
	}
	return token, nil
}

// findToken reads a link's row and says whether it can still be used.
func findToken(ctx context.Context, db bun.IDB, purpose app.TokenPurpose, token string) (*accountTokenModel, error) {
	var m accountTokenModel
	err := db.NewSelect().Model(&m).
		Where("token_hash = ?", tokenHash(token)).
		Where("purpose = ?", string(purpose)).
		Limit(1).Scan(ctx)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return nil, app.ErrTokenUnknown
	case err != nil:
		return nil, err
	case m.UsedAt != nil:
		return &m, app.ErrTokenUsed
	case !now().Before(m.ExpiresAt):
		return &m, app.ErrTokenExpired
	}
	return &m, nil
}

// useTokenTx marks the link used, if it still is unused and unexpired: a
// conditional UPDATE, so of two requests racing with one link only one
// wins (the other gets ErrTokenUsed) on either database.
func useTokenTx(ctx context.Context, tx bun.Tx, purpose app.TokenPurpose, token string) (*accountTokenModel, error) {
	m, err := findToken(ctx, tx, purpose, token)
	if err != nil {
		return nil, err
	}
	t := now()
	res, err := tx.NewUpdate().Model((*accountTokenModel)(nil)).
		Set("used_at = ?", t).
		Where("id = ?", m.ID).
		Where("used_at IS NULL").
		Where("expires_at > ?", t).
		Exec(ctx)
	if err != nil {
		return nil, err
	}
	if n, err := res.RowsAffected(); err != nil {
		return nil, err
	} else if n != 1 {
		return nil, app.ErrTokenUsed
	}
	m.UsedAt = &t
	return m, nil
}

// closeTokensTx marks every open link of the vendor for purpose used: a new
// password ends earlier reset links, a new email request earlier ones.
func closeTokensTx(ctx context.Context, tx bun.Tx, vendorID int64, purpose app.TokenPurpose) error {
	_, err := tx.NewUpdate().Model((*accountTokenModel)(nil)).
		Set("used_at = ?", now()).
		Where("vendor_id = ?", vendorID).
		Where("purpose = ?", string(purpose)).
		Where("used_at IS NULL").
		Exec(ctx)
	return err
}

// deleteSessionsTx signs the vendor out everywhere.
func deleteSessionsTx(ctx context.Context, tx bun.Tx, vendorID int64) error {
	_, err := tx.NewDelete().Model((*sessionModel)(nil)).Where("vendor_id = ?", vendorID).Exec(ctx)
	return err
}

// setPasswordTx stores a new bcrypt hash, raises the vendor's session
// epoch, ends the vendor's open reset links and deletes every session of
// the vendor.
func setPasswordTx(ctx context.Context, tx bun.Tx, vendorID int64, hash []byte) error {
	res, err := tx.NewUpdate().Model((*vendorModel)(nil)).
		Set("password_hash = ?", string(hash)).
		Set("session_epoch = session_epoch + 1").
		Where("id = ?", vendorID).
		Exec(ctx)
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil {
		return err
	} else if n != 1 {
		return app.Errorf(app.ENOTFOUND, "Store not found.")
	}
	if err := closeTokensTx(ctx, tx, vendorID, app.TokenReset); err != nil {
		return err
	}
	return deleteSessionsTx(ctx, tx, vendorID)
}

// RequestPasswordReset writes a reset link's hash and its mail job in one
// transaction, only when a vendor has this email.
func (d *DB) RequestPasswordReset(ctx context.Context, email, linkBase string) error {
	email = normalizeEmail(email)
	err := d.db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		var m vendorModel
		err := tx.NewSelect().Model(&m).Column("id", "email").Where("email = ?", email).Limit(1).Scan(ctx)
		if errors.Is(err, sql.ErrNoRows) {
			return nil // nothing to send, and nothing to tell the caller
		} else if err != nil {
			return err
		}
		token, err := insertTokenTx(ctx, tx, app.TokenReset, m.ID, "", app.ResetTokenLifetime)
		if err != nil {
			return err
		}
		return d.jobs.InsertMailTx(ctx, tx.Tx, jobs.MailArgs{VendorID: m.ID, Template: jobs.MailPasswordReset,
			To: m.Email, MessageID: newMessageID(jobs.MailPasswordReset, m.ID), Link: linkBase + token})
	})
	return wrap("RequestPasswordReset", err)
}

// CheckToken says whether a link can still be used.
func (d *DB) CheckToken(ctx context.Context, purpose app.TokenPurpose, token string) (string, error) {
	m, err := findToken(ctx, d.db, purpose, token)
	if err != nil {
		return "", wrap("CheckToken", err)
	}
	return m.NewEmail, nil
}

// ResetPassword sets a new password with a reset link. The hash is
// computed before the transaction, so the (SQLite) write lock is not held
// for bcrypt's time.
func (d *DB) ResetPassword(ctx context.Context, token, password string) (*app.Vendor, error) {
	if _, err := findToken(ctx, d.db, app.TokenReset, token); err != nil {
		return nil, wrap("ResetPassword", err)
	}
	if msg := app.ValidatePassword(password); msg != "" {
		return nil, app.Invalid(msg, map[string]string{"password": msg})
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(password), d.bcryptCost)
	if err != nil {
		return nil, wrap("ResetPassword", err)
	}
	var v *app.Vendor
	err = d.db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		m, err := useTokenTx(ctx, tx, app.TokenReset, token)
		if err != nil {
			return err
		}
		if err := setPasswordTx(ctx, tx, m.VendorID, hash); err != nil {
			return err
		}
		v, err = findVendor(ctx, tx, "id = ?", m.VendorID)
		return err
	})
	if err != nil {
		return nil, wrap("ResetPassword", err)
	}
	return v, nil
}

// checkPassword compares a vendor's current password; a wrong one is
// EINVALID on the form's current_password field.
func (d *DB) checkPassword(ctx context.Context, vendorID int64, current string) error {
	var m vendorModel
	if err := d.db.NewSelect().Model(&m).Column("password_hash").Where("id = ?", vendorID).Limit(1).Scan(ctx); errors.Is(err, sql.ErrNoRows) {
		return app.Errorf(app.ENOTFOUND, "Store not found.")
	} else if err != nil {
		return err
	}
	switch err := bcrypt.CompareHashAndPassword([]byte(m.PasswordHash), []byte(current)); {
	case errors.Is(err, bcrypt.ErrMismatchedHashAndPassword):
		msg := "That is not your current password."
		return app.Invalid(msg, map[string]string{"current_password": msg})
	case err != nil:
		return err
	}
	return nil
}

// ChangePassword sets a new password when the current one is right and
// deletes every session of the vendor, this browser's included: the
// caller signs it in again with a fresh session token, so it stays signed
// in and every other device is signed out.
func (d *DB) ChangePassword(ctx context.Context, vendorID int64, current, password string) (*app.Vendor, error) {
	if err := d.checkPassword(ctx, vendorID, current); err != nil {
		return nil, wrap("ChangePassword", err)
	}
	if msg := app.ValidatePassword(password); msg != "" {
		return nil, app.Invalid(msg, map[string]string{"new_password": msg})
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(password), d.bcryptCost)
	if err != nil {
		return nil, wrap("ChangePassword", err)
	}
	var v *app.Vendor
	err = d.db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		if err := setPasswordTx(ctx, tx, vendorID, hash); err != nil {
			return err
		}
		v, err = findVendor(ctx, tx, "id = ?", vendorID)
		return err
	})
	if err != nil {
		return nil, wrap("ChangePassword", err)
	}
	return v, nil
}

func errEmailTaken() error {
	msg := "An account with this email already exists."
	return &app.Error{Code: app.ECONFLICT, Message: msg, Fields: map[string]string{"email": msg}}
}

// emailTaken reports whether a vendor other than vendorID has email.
func emailTaken(ctx context.Context, db bun.IDB, vendorID int64, email string) (bool, error) {
	return db.NewSelect().Model((*vendorModel)(nil)).Where("email = ?", email).Where("id <> ?", vendorID).Exists(ctx)
}

// RequestEmailChange mails a confirmation link to the new address. Earlier
// open email links of the vendor stop working: only the latest request
// counts.
func (d *DB) RequestEmailChange(ctx context.Context, vendorID int64, current, newEmail, linkBase string) error {
	newEmail = normalizeEmail(newEmail)
	if err := d.checkPassword(ctx, vendorID, current); err != nil {
		return wrap("RequestEmailChange", err)
	}
	err := d.db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		v, err := findVendor(ctx, tx, "id = ?", vendorID)
		if err != nil {
			return err
		}
		if v.Email == newEmail {
			msg := "That is already your login email."
			return app.Invalid(msg, map[string]string{"email": msg})
		}
		if taken, err := emailTaken(ctx, tx, vendorID, newEmail); err != nil {
			return err
		} else if taken {
			return errEmailTaken()
		}
		if err := closeTokensTx(ctx, tx, vendorID, app.TokenEmail); err != nil {
			return err
		}
		token, err := insertTokenTx(ctx, tx, app.TokenEmail, vendorID, newEmail, app.EmailTokenLifetime)
		if err != nil {
			return err
		}
		return d.jobs.InsertMailTx(ctx, tx.Tx, jobs.MailArgs{VendorID: vendorID, Template: jobs.MailEmailConfirm,
			To: newEmail, MessageID: newMessageID(jobs.MailEmailConfirm, vendorID), Link: linkBase + token})
	})
	return wrap("RequestEmailChange", err)
}

// ConfirmEmailChange makes a confirmed address the login email. When the
// address was taken meanwhile the transaction rolls back: the link stays
// unused, and the page says why.
func (d *DB) ConfirmEmailChange(ctx context.Context, token string) (*app.Vendor, error) {
	var v *app.Vendor
	err := d.db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		m, err := useTokenTx(ctx, tx, app.TokenEmail, token)
		if err != nil {
			return err
		}
		if taken, err := emailTaken(ctx, tx, m.VendorID, m.NewEmail); err != nil {
			return err
		} else if taken {
			return errEmailTaken()
		}
		_, err = tx.NewUpdate().Model((*vendorModel)(nil)).
			Set("email = ?", m.NewEmail).
			Where("id = ?", m.VendorID).
			Exec(ctx)
		if isUniqueViolation(err, uniqueVendorEmail) {
			return errEmailTaken() // taken by a signup racing this one
		} else if err != nil {
			return err
		}
		v, err = findVendor(ctx, tx, "id = ?", m.VendorID)
		return err
	})
	if err != nil {
		return nil, wrap("ConfirmEmailChange", err)
	}
	return v, nil
}
