package web

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"dukaan/storage"
	"dukaan/storage/pagecache"
	"dukaan/storage/storagetest"
)

// TestHSTS: with DUKAAN_HTTPS every answer on every host carries
// Strict-Transport-Security — ours with includeSubDomains (every name
// under the base domain is ours and behind TLS), a host that is not ours
// without it — and without DUKAAN_HTTPS none does.
func TestHSTS(t *testing.T) {
	for _, https := range []bool{true, false} {
		db := storagetest.Open(t, storage.DialectSQLite, nil)
		srv := newTestServer(t, db, pagecache.Config{}, func(c *Config) { c.HTTPS = https })
		storagetest.Vendor(t, db, "chai")
		for _, tt := range []struct{ host, path, want string }{
			{"dukaan.test", "/", "max-age=31536000; includeSubDomains"},
			{"admin.dukaan.test", "/login", "max-age=31536000; includeSubDomains"},
			{"chai.dukaan.test", "/", "max-age=31536000; includeSubDomains"},
			{"chai.dukaan.test", "/nope", "max-age=31536000; includeSubDomains"},
			{"nobody.dukaan.test", "/", "max-age=31536000; includeSubDomains"},
			{"example.com", "/", "max-age=31536000"},
		} {
			rec := httptest.NewRecorder()
			srv.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "http://"+tt.host+tt.path, nil))
			want := tt.want
			if !https {
				want = ""
			}
			if got := rec.Header().Get("Strict-Transport-Security"); got != want {
				t.Errorf("HTTPS=%v %s%s (%d): Strict-Transport-Security %q, want %q", https, tt.host, tt.path, rec.Code, got, want)
			}
		}
	}
}
