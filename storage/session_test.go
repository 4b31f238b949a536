package storage_test

import (
	"bytes"
	"testing"
	"time"

	"github.com/alexedwards/scs/v2"

	"dukaan/storage"
	"dukaan/storage/storagetest"
)

// The admin host's session manager takes the context-aware variant when it
// is there; this keeps the method sets in step with scs.
var _ scs.CtxStore = (*storage.SessionStore)(nil)

func TestSessionStore(t *testing.T) {
	storagetest.ForEachDialect(t, func(t *testing.T, db *storage.DB) {
		ctx := t.Context()
		s := storage.NewSessionStore(db)
		later := time.Now().Add(time.Hour)
		find := func(t *testing.T, token string, wantData []byte, wantFound bool) {
			t.Helper()
			b, found, err := s.Find(token)
			if err != nil {
				t.Fatalf("Find(%q): %v", token, err)
			}
			if found != wantFound || !bytes.Equal(b, wantData) {
				t.Errorf("Find(%q) = %q, %v; want %q, %v", token, b, found, wantData, wantFound)
			}
		}

		t.Run("missing", func(t *testing.T) { find(t, "nope", nil, false) })
		t.Run("commit then find", func(t *testing.T) {
			data := []byte{0, 1, 2, 0xff, 'x'}
			if err := s.Commit("tok-a", data, later); err != nil {
				t.Fatal(err)
			}
			find(t, "tok-a", data, true)
		})
		t.Run("commit replaces", func(t *testing.T) {
			if err := s.Commit("tok-a", []byte("v2"), later); err != nil {
				t.Fatal(err)
			}
			find(t, "tok-a", []byte("v2"), true)
		})
		t.Run("empty data", func(t *testing.T) {
			if err := s.Commit("tok-empty", nil, later); err != nil {
				t.Fatal(err)
			}
			find(t, "tok-empty", []byte{}, true)
		})
		t.Run("delete", func(t *testing.T) {
			if err := s.Delete("tok-a"); err != nil {
				t.Fatal(err)
			}
			find(t, "tok-a", nil, false)
			if err := s.Delete("tok-a"); err != nil {
				t.Errorf("deleting twice: %v", err)
			}
		})
		t.Run("expired is not found", func(t *testing.T) {
			if err := s.Commit("tok-old", []byte("old"), time.Now().Add(-time.Second)); err != nil {
				t.Fatal(err)
			}
			find(t, "tok-old", nil, false)
			if err := s.Commit("tok-soon", []byte("soon"), time.Now().Add(300*time.Millisecond)); err != nil {
				t.Fatal(err)
			}
			find(t, "tok-soon", []byte("soon"), true)
			time.Sleep(400 * time.Millisecond)
			find(t, "tok-soon", nil, false)
		})
		t.Run("commit revives an expired token", func(t *testing.T) {
			if err := s.Commit("tok-old", []byte("new"), later); err != nil {
				t.Fatal(err)
			}
			find(t, "tok-old", []byte("new"), true)
			if err := s.Commit("tok-old", []byte("old"), time.Now().Add(-time.Minute)); err != nil {
				t.Fatal(err)
			}
		})
		t.Run("delete expired", func(t *testing.T) {
			n, err := s.DeleteExpired(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if n != 2 { // tok-old and tok-soon
				t.Errorf("deleted = %d, want 2", n)
			}
			if got := countRows(t, db, "sessions"); got != 1 {
				t.Errorf("sessions left = %d, want 1 (tok-empty)", got)
			}
			find(t, "tok-empty", []byte{}, true)
		})
	})
}
