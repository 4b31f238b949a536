package storage

import (
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"
)

// TestDummyHash guards the timing defence in Authenticate: a malformed
// dummy hash would fail in microseconds and reveal which emails exist.
func TestDummyHash(t *testing.T) {
	cost, err := bcrypt.Cost([]byte(dummyHashDefaultCost))
	if err != nil {
		t.Fatalf("dummy hash: %v", err)
	}
	if cost != bcrypt.DefaultCost {
		t.Errorf("dummy hash cost = %d, want %d", cost, bcrypt.DefaultCost)
	}
}

func TestSQLiteDSN(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name      string
		dsn       string
		wantPath  string
		wantQuery url.Values
		wantErr   bool
	}{
		{
			name:     "plain path, directory created",
			dsn:      filepath.Join(dir, "a", "b", "dukaan.db"),
			wantPath: filepath.Join(dir, "a", "b", "dukaan.db"),
			wantQuery: url.Values{
				"_pragma": {"busy_timeout(15000)", "journal_mode(WAL)", "foreign_keys(1)"},
				"_txlock": {"immediate"},
			},
		},
		{
			name:     "file prefix and extra parameters",
			dsn:      "file:" + filepath.Join(dir, "c", "x.db") + "?_pragma=synchronous(NORMAL)&_txlock=exclusive",
			wantPath: "file:" + filepath.Join(dir, "c", "x.db"),
			wantQuery: url.Values{
				"_pragma": {"busy_timeout(15000)", "journal_mode(WAL)", "foreign_keys(1)", "synchronous(NORMAL)"},
				"_txlock": {"exclusive"},
			},
		},
		{name: "memory is refused", dsn: ":memory:", wantErr: true},
		{name: "empty file URI is refused", dsn: "file:?mode=memory", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := sqliteDSN(tt.dsn)
			if tt.wantErr {
				if err == nil {
					t.Fatalf("sqliteDSN(%q) = %q, want error", tt.dsn, got)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			path, query, _ := strings.Cut(got, "?")
			if path != tt.wantPath {
				t.Errorf("path = %q, want %q", path, tt.wantPath)
			}
			q, err := url.ParseQuery(query)
			if err != nil {
				t.Fatal(err)
			}
			if q.Encode() != tt.wantQuery.Encode() {
				t.Errorf("query = %v, want %v", q, tt.wantQuery)
			}
			if fi, err := os.Stat(filepath.Dir(strings.TrimPrefix(path, "file:"))); err != nil || !fi.IsDir() {
				t.Errorf("directory not created: %v", err)
			}
		})
	}
}

func TestEscapeLike(t *testing.T) {
	tests := []struct{ in, want string }{
		{"dal", "dal"},
		{"50%", `50\%`},
		{"a_b", `a\_b`},
		{`c:\d`, `c:\\d`},
	}
	for _, tt := range tests {
		if got := escapeLike(tt.in); got != tt.want {
			t.Errorf("escapeLike(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
