package web

import (
	"context"
	"testing"
	"time"

	"github.com/alexedwards/scs/v2"

	"dukaan/storage"
	"dukaan/storage/storagetest"
)

// hashedStore tells a VendorSessionStore whose each session is, read from
// the session data with scs's codec, and keeps only the token's HMAC.
func TestHashedStoreRecordsVendor(t *testing.T) {
	storagetest.ForEachDialect(t, func(t *testing.T, db *storage.DB) {
		hs := newHashedStore(storage.NewSessionStore(db), []byte("key-0123456789abcdef-0123456789ab"), scs.GobCodec{})
		exp := time.Now().Add(time.Hour).UTC().Truncate(time.Second)
		enc := func(values map[string]any) []byte {
			b, err := scs.GobCodec{}.Encode(exp, values)
			if err != nil {
				t.Fatal(err)
			}
			return b
		}
		owner := func(token string) (int64, bool) {
			var id *int64
			if err := db.Bun().NewRaw("SELECT vendor_id FROM sessions WHERE token = ?", hs.id(token)).Scan(context.Background(), &id); err != nil {
				t.Fatalf("session %s: %v", token, err)
			}
			if id == nil {
				return 0, false
			}
			return *id, true
		}
		v := storagetest.Vendor(t, db, "hashshop")
		if err := hs.Commit("anon", enc(map[string]any{"flash": "hi"}), exp); err != nil {
			t.Fatal(err)
		}
		if err := hs.Commit("signed", enc(map[string]any{sessionVendorKey: v.ID}), exp); err != nil {
			t.Fatal(err)
		}
		if id, ok := owner("anon"); ok {
			t.Errorf("anonymous session owned by %d", id)
		}
		if id, ok := owner("signed"); !ok || id != v.ID {
			t.Errorf("signed-in session owned by %d, %v; want %d", id, ok, v.ID)
		}
		var raw int
		if err := db.Bun().NewRaw("SELECT COUNT(*) FROM sessions WHERE token IN ('anon', 'signed')").Scan(context.Background(), &raw); err != nil || raw != 0 {
			t.Errorf("%d sessions stored under their bare token (%v)", raw, err)
		}
		// Signing out (the vendor key gone) clears the owner.
		if err := hs.Commit("signed", enc(map[string]any{}), exp); err != nil {
			t.Fatal(err)
		}
		if id, ok := owner("signed"); ok {
			t.Errorf("signed-out session still owned by %d", id)
		}
		if b, found, err := hs.Find("signed"); err != nil || !found || len(b) == 0 {
			t.Errorf("Find = %d bytes, %v, %v", len(b), found, err)
		}
	})
}
