package main

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestEdgeDirWorkersCannotEnter: started as root, `dukaan edge` runs its
// nginx workers as nobody; a --dir below a directory nobody cannot enter
// is refused before nginx starts, with a message naming that directory.
func TestEdgeDirWorkersCannotEnter(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("the workers run as nobody only when the edge is started as root")
	}
	base := t.TempDir()
	closed := filepath.Join(base, "closed")
	if err := os.Mkdir(closed, 0o700); err != nil {
		t.Fatal(err)
	}
	open := filepath.Join(base, "open")
	if err := os.Mkdir(open, 0o755); err != nil {
		t.Fatal(err)
	}
	// testing makes t.TempDir()'s parents 0700 too: let nobody through them
	// for the second case, and put them back afterwards.
	for p := base; p != "/" && p != os.TempDir(); p = filepath.Dir(p) {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm()&0o001 == 0 {
			mode := fi.Mode().Perm()
			if err := os.Chmod(p, mode|0o001); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { os.Chmod(p, mode) })
		}
	}
	run := func(dir string) error {
		return runEdge(context.Background(), []string{"--dir", dir, "--listen", "127.0.0.1:1", "--nginx", filepath.Join(base, "no-such-nginx")},
			map[string]string{}, io.Discard)
	}
	err := run(filepath.Join(closed, "edge"))
	if err == nil || !strings.Contains(err.Error(), "cannot enter "+closed+" ") || !strings.Contains(err.Error(), "nobody") {
		t.Fatalf("--dir below a 0700 directory: %v; want a refusal naming %s", err, closed)
	}
	// A reachable --dir passes the check and fails only at starting nginx
	// (whose binary does not exist here).
	if err := run(filepath.Join(open, "edge")); err == nil || !strings.Contains(err.Error(), "starting nginx") {
		t.Errorf("--dir nobody can enter: %v; want it to get as far as starting nginx", err)
	}
}
