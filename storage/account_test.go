package storage_test

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"dukaan/app"
	"dukaan/storage"
	"dukaan/storage/jobs"
	"dukaan/storage/storagetest"
)

const linkBase = "http://admin.dukaan.test:8080/password/reset/"

// lastLinkToken is the token of the newest mail job's link.
func lastLinkToken(tb testing.TB, db *storage.DB, base string) (jobs.MailArgs, string) {
	tb.Helper()
	ms := mailJobs(tb, db)
	if len(ms) == 0 {
		tb.Fatal("no mail job")
	}
	m := ms[len(ms)-1]
	token, ok := strings.CutPrefix(m.Link, base)
	if !ok || len(token) < 40 {
		tb.Fatalf("link %q does not start with %q and a token", m.Link, base)
	}
	return m, token
}

func login(t *testing.T, db *storage.DB, email, password string) error {
	t.Helper()
	_, err := db.Authenticate(t.Context(), email, password)
	return err
}

func TestPasswordReset(t *testing.T) {
	storagetest.ForEachDialect(t, func(t *testing.T, db *storage.DB) {
		ctx := t.Context()
		v := storagetest.Vendor(t, db, "resetshop")
		other := storagetest.Vendor(t, db, "othershop")
		sessions := storage.NewSessionStore(db)
		exp := time.Now().Add(time.Hour)
		for _, s := range []struct {
			tok string
			id  int64
		}{{"s-phone", v.ID}, {"s-laptop", v.ID}, {"s-other", other.ID}, {"s-anon", 0}} {
			if err := sessions.CommitVendor(s.tok, s.id, []byte("x"), exp); err != nil {
				t.Fatal(err)
			}
		}

		// Unknown email: nothing written, no error.
		if err := db.RequestPasswordReset(ctx, "nobody@example.com", linkBase); err != nil {
			t.Fatal(err)
		}
		if n := len(mailJobs(t, db)); n != 0 || countRows(t, db, "account_tokens") != 0 {
			t.Fatalf("unknown email wrote %d mail jobs, %d tokens", n, countRows(t, db, "account_tokens"))
		}

		if err := db.RequestPasswordReset(ctx, "  ResetShop@Example.com ", linkBase); err != nil {
			t.Fatal(err)
		}
		m, token := lastLinkToken(t, db, linkBase)
		if m.Template != jobs.MailPasswordReset || m.To != "resetshop@example.com" || m.VendorID != v.ID || m.MessageID == "" {
			t.Fatalf("mail job = %+v", m)
		}

		// Only the hash is stored.
		var stored string
		if err := db.Bun().NewRaw("SELECT token_hash FROM account_tokens").Scan(ctx, &stored); err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256([]byte(token))
		if stored != hex.EncodeToString(sum[:]) || strings.Contains(stored, token) {
			t.Fatalf("stored %q, want the SHA-256 of the token", stored)
		}
		var leaks int
		if err := db.Bun().NewRaw("SELECT COUNT(*) FROM account_tokens WHERE token_hash = ? OR new_email = ?", token, token).Scan(ctx, &leaks); err != nil || leaks != 0 {
			t.Fatalf("the token itself is in account_tokens (%d, %v)", leaks, err)
		}

		if _, err := db.CheckToken(ctx, app.TokenReset, token); err != nil {
			t.Fatalf("CheckToken: %v", err)
		}
		if _, err := db.CheckToken(ctx, app.TokenEmail, token); !errors.Is(err, app.ErrTokenUnknown) {
			t.Fatalf("reset token as an email token: %v, want unknown", err)
		}
		if _, err := db.CheckToken(ctx, app.TokenReset, token+"x"); !errors.Is(err, app.ErrTokenUnknown) {
			t.Fatalf("wrong token: %v, want unknown", err)
		}

		// Bad passwords change nothing and keep the link.
		for _, p := range []string{"short", "          ", strings.Repeat("x", 73)} {
			_, err := db.ResetPassword(ctx, token, p)
			if f := wantCode(t, err, app.EINVALID).Fields; f["password"] == "" {
				t.Errorf("ResetPassword(%q) fields = %v", p, f)
			}
		}
		if err := login(t, db, v.Email, "password123"); err != nil {
			t.Fatalf("old password after refused resets: %v", err)
		}

		got, err := db.ResetPassword(ctx, token, "new secret 1")
		if err != nil {
			t.Fatal(err)
		}
		if got.ID != v.ID || got.SessionEpoch != v.SessionEpoch+1 {
			t.Fatalf("ResetPassword returned vendor %d epoch %d, want %d epoch %d", got.ID, got.SessionEpoch, v.ID, v.SessionEpoch+1)
		}
		if err := login(t, db, v.Email, "new secret 1"); err != nil {
			t.Errorf("new password: %v", err)
		}
		wantCode(t, login(t, db, v.Email, "password123"), app.EUNAUTHORIZED)
		for tok, want := range map[string]bool{"s-phone": false, "s-laptop": false, "s-other": true, "s-anon": true} {
			if _, found, err := sessions.Find(tok); err != nil || found != want {
				t.Errorf("session %s found=%v (%v), want %v", tok, found, err, want)
			}
		}

		// Single use.
		if _, err := db.ResetPassword(ctx, token, "another secret"); !errors.Is(err, app.ErrTokenUsed) {
			t.Fatalf("reuse: %v, want ErrTokenUsed", err)
		}
		if _, err := db.CheckToken(ctx, app.TokenReset, token); !errors.Is(err, app.ErrTokenUsed) {
			t.Fatalf("CheckToken after use: %v", err)
		}
		if err := login(t, db, v.Email, "new secret 1"); err != nil {
			t.Errorf("password after refused reuse: %v", err)
		}

		// Expiry: age the row past its hour.
		if err := db.RequestPasswordReset(ctx, v.Email, linkBase); err != nil {
			t.Fatal(err)
		}
		_, token2 := lastLinkToken(t, db, linkBase)
		if _, err := db.Bun().NewRaw("UPDATE account_tokens SET expires_at = ? WHERE used_at IS NULL", time.Now().UTC().Add(-time.Second)).Exec(ctx); err != nil {
			t.Fatal(err)
		}
		if _, err := db.ResetPassword(ctx, token2, "expired secret"); !errors.Is(err, app.ErrTokenExpired) {
			t.Fatalf("expired: %v, want ErrTokenExpired", err)
		}
		if err := login(t, db, v.Email, "new secret 1"); err != nil {
			t.Errorf("password after refused expired reset: %v", err)
		}
	})
}

func TestPasswordResetLifetime(t *testing.T) {
	storagetest.ForEachDialect(t, func(t *testing.T, db *storage.DB) {
		ctx := t.Context()
		v := storagetest.Vendor(t, db, "lifeshop")
		before := time.Now()
		if err := db.RequestPasswordReset(ctx, v.Email, linkBase); err != nil {
			t.Fatal(err)
		}
		var exp time.Time
		if err := db.Bun().NewRaw("SELECT expires_at FROM account_tokens").Scan(ctx, &exp); err != nil {
			t.Fatal(err)
		}
		if d := exp.Sub(before); d < app.ResetTokenLifetime-time.Second || d > app.ResetTokenLifetime+5*time.Second {
			t.Fatalf("token lives %v, want %v", d, app.ResetTokenLifetime)
		}
	})
}

// Two requests with one link: exactly one sets its password.
func TestPasswordResetRace(t *testing.T) {
	storagetest.ForEachDialect(t, func(t *testing.T, db *storage.DB) {
		ctx := t.Context()
		v := storagetest.Vendor(t, db, "raceshop")
		if err := db.RequestPasswordReset(ctx, v.Email, linkBase); err != nil {
			t.Fatal(err)
		}
		_, token := lastLinkToken(t, db, linkBase)
		var wg sync.WaitGroup
		errs := make([]error, 4)
		for i := range errs {
			wg.Go(func() { _, errs[i] = db.ResetPassword(ctx, token, "racer secret "+string(rune('a'+i))) })
		}
		wg.Wait()
		ok := 0
		for _, err := range errs {
			switch {
			case err == nil:
				ok++
			case errors.Is(err, app.ErrTokenUsed):
			default:
				t.Errorf("racer: %v", err)
			}
		}
		if ok != 1 {
			t.Fatalf("%d racers set a password, want 1 (%v)", ok, errs)
		}
	})
}

func TestChangePassword(t *testing.T) {
	storagetest.ForEachDialect(t, func(t *testing.T, db *storage.DB) {
		ctx := t.Context()
		v := storagetest.Vendor(t, db, "changeshop")
		sessions := storage.NewSessionStore(db)
		if err := sessions.CommitVendor("s-1", v.ID, []byte("x"), time.Now().Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		if f := wantCode(t, mustErr(db.ChangePassword(ctx, v.ID, "wrong password", "brand new pass")), app.EINVALID).Fields; f["current_password"] == "" {
			t.Errorf("wrong current: fields %v", f)
		}
		if f := wantCode(t, mustErr(db.ChangePassword(ctx, v.ID, "password123", "   ")), app.EINVALID).Fields; f["new_password"] == "" {
			t.Errorf("spaces: fields %v", f)
		}
		if _, found, _ := sessions.Find("s-1"); !found {
			t.Fatal("a refused change signed the vendor out")
		}
		if got, _ := db.VendorByID(ctx, v.ID); got.SessionEpoch != 0 {
			t.Fatalf("a refused change raised the session epoch to %d", got.SessionEpoch)
		}
		changed, err := db.ChangePassword(ctx, v.ID, "password123", "brand new pass")
		if err != nil {
			t.Fatal(err)
		}
		if got, _ := db.VendorByID(ctx, v.ID); changed.SessionEpoch != 1 || got.SessionEpoch != 1 {
			t.Errorf("session epoch returned %d, stored %d; want 1", changed.SessionEpoch, got.SessionEpoch)
		}
		if err := login(t, db, v.Email, "brand new pass"); err != nil {
			t.Error(err)
		}
		wantCode(t, login(t, db, v.Email, "password123"), app.EUNAUTHORIZED)
		if _, found, _ := sessions.Find("s-1"); found {
			t.Error("session survived the password change")
		}
	})
}

func TestEmailChange(t *testing.T) {
	storagetest.ForEachDialect(t, func(t *testing.T, db *storage.DB) {
		ctx := t.Context()
		v := storagetest.Vendor(t, db, "mailshop")
		taken := storagetest.Vendor(t, db, "takenshop")
		const base = "http://admin.dukaan.test/account/email/confirm/"

		if f := wantCode(t, db.RequestEmailChange(ctx, v.ID, "wrong", "new@example.com", base), app.EINVALID).Fields; f["current_password"] == "" {
			t.Errorf("wrong password: %v", f)
		}
		if f := wantCode(t, db.RequestEmailChange(ctx, v.ID, "password123", taken.Email, base), app.ECONFLICT).Fields; f["email"] == "" {
			t.Errorf("taken: %v", f)
		}
		if f := wantCode(t, db.RequestEmailChange(ctx, v.ID, "password123", v.Email, base), app.EINVALID).Fields; f["email"] == "" {
			t.Errorf("same: %v", f)
		}
		if n := len(mailJobs(t, db)); n != 0 {
			t.Fatalf("refused requests wrote %d mail jobs", n)
		}

		if err := db.RequestEmailChange(ctx, v.ID, "password123", "First@Example.com", base); err != nil {
			t.Fatal(err)
		}
		_, first := lastLinkToken(t, db, base)
		if err := db.RequestEmailChange(ctx, v.ID, "password123", "new@example.com", base); err != nil {
			t.Fatal(err)
		}
		m, token := lastLinkToken(t, db, base)
		if m.Template != jobs.MailEmailConfirm || m.To != "new@example.com" || m.VendorID != v.ID {
			t.Fatalf("mail job = %+v", m)
		}
		// Nothing changes before the link is followed.
		if got, _ := db.VendorByID(ctx, v.ID); got.Email != v.Email {
			t.Fatalf("email changed to %q before confirmation", got.Email)
		}
		if err := login(t, db, v.Email, "password123"); err != nil {
			t.Fatal(err)
		}
		if _, err := db.ConfirmEmailChange(ctx, first); !errors.Is(err, app.ErrTokenUsed) {
			t.Fatalf("superseded link: %v, want used", err)
		}
		if e, err := db.CheckToken(ctx, app.TokenEmail, token); err != nil || e != "new@example.com" {
			t.Fatalf("CheckToken = %q, %v", e, err)
		}
		got, err := db.ConfirmEmailChange(ctx, token)
		if err != nil {
			t.Fatal(err)
		}
		if got.Email != "new@example.com" {
			t.Fatalf("email = %q", got.Email)
		}
		if err := login(t, db, "new@example.com", "password123"); err != nil {
			t.Error(err)
		}
		wantCode(t, login(t, db, v.Email, "password123"), app.EUNAUTHORIZED)
		if _, err := db.ConfirmEmailChange(ctx, token); !errors.Is(err, app.ErrTokenUsed) {
			t.Fatalf("reuse: %v", err)
		}

		// Taken between the request and the confirmation: nothing changes,
		// the link stays unused.
		if err := db.RequestEmailChange(ctx, v.ID, "password123", "late@example.com", base); err != nil {
			t.Fatal(err)
		}
		_, late := lastLinkToken(t, db, base)
		storagetest.Vendor(t, db, "late") // late@example.com
		if f := wantCode(t, mustErr(db.ConfirmEmailChange(ctx, late)), app.ECONFLICT).Fields; f["email"] == "" {
			t.Errorf("taken meanwhile: %v", f)
		}
		if got, _ := db.VendorByID(ctx, v.ID); got.Email != "new@example.com" {
			t.Fatalf("email = %q after a refused confirmation", got.Email)
		}
		if _, err := db.CheckToken(ctx, app.TokenEmail, late); err != nil {
			t.Fatalf("refused confirmation used the link: %v", err)
		}

		// Expired.
		if _, err := db.Bun().NewRaw("UPDATE account_tokens SET expires_at = ?", time.Now().UTC().Add(-time.Minute)).Exec(ctx); err != nil {
			t.Fatal(err)
		}
		if _, err := db.ConfirmEmailChange(ctx, late); !errors.Is(err, app.ErrTokenExpired) {
			t.Fatalf("expired: %v", err)
		}
	})
}

func mustErr(_ *app.Vendor, err error) error { return err }
