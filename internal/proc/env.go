package proc

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// ChildEnv is environ (os.Environ() for a tool) without what a child must
// only get from its parent: a developer's DATABASE_URL, REDIS_URL or PG*
// variables would send an app or pgbench elsewhere. drop names what else
// the caller decides itself: a key, or a prefix ending in "*"
// ("DUKAAN_*"). Each caller states its own list: the bench owns every
// DUKAAN_ setting of its apps, the stack only those it sets and passes
// the others (log level, TTLs…) through.
func ChildEnv(environ []string, drop ...string) []string {
	var out []string
	for _, kv := range environ {
		k, _, _ := strings.Cut(kv, "=")
		if k == "DATABASE_URL" || k == "REDIS_URL" || strings.HasPrefix(k, "PG") || matches(k, drop) {
			continue
		}
		out = append(out, kv)
	}
	return out
}

func matches(k string, patterns []string) bool {
	for _, p := range patterns {
		if prefix, ok := strings.CutSuffix(p, "*"); ok && strings.HasPrefix(k, prefix) || k == p {
			return true
		}
	}
	return false
}

// RandomHex is n random bytes in hex: secrets, tokens and names of
// throwaway schemas and databases.
func RandomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// LookPath finds a program on PATH, else in /usr/sbin, /usr/bin or /sbin,
// where Debian puts daemons (nginx, redis-server…) that are not on every
// user's PATH; "" when it is nowhere.
func LookPath(name string) string {
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	for _, d := range []string{"/usr/sbin", "/usr/bin", "/sbin"} {
		if p := filepath.Join(d, name); IsExecutable(p) {
			return p
		}
	}
	return ""
}

// IsExecutable tells whether p is a file someone may execute.
func IsExecutable(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && !fi.IsDir() && fi.Mode()&0o111 != 0
}

// PostgresBin finds the directory of the PostgreSQL server binaries
// (initdb, postgres, pg_ctl): the newest /usr/lib/postgresql/*/bin
// (Debian), else the directory of initdb on PATH.
func PostgresBin() (string, error) {
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	version := func(d string) int { n, _ := strconv.Atoi(filepath.Base(filepath.Dir(d))); return n }
	best, bestVersion := "", -1
	for _, d := range dirs {
		if IsExecutable(filepath.Join(d, "initdb")) && IsExecutable(filepath.Join(d, "postgres")) && version(d) > bestVersion {
			best, bestVersion = d, version(d)
		}
	}
	if best != "" {
		return best, nil
	}
	if p, err := exec.LookPath("initdb"); err == nil {
		return filepath.Dir(p), nil
	}
	return "", errNoPostgres
}

var errNoPostgres = errors.New("the PostgreSQL server binaries initdb and postgres (apt-get install postgresql)")

// UserCred is the credential to run a child as the named user, e.g. a
// PostgreSQL cluster as postgres when we are root (initdb refuses root).
func UserCred(name string) (*syscall.Credential, error) {
	u, err := user.Lookup(name)
	if err != nil {
		return nil, err
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, nil
}
