// Package testsvc is the test-only half of the harness (internal/proc is
// the other): children for the length of one test (Start, WaitFor,
// WaitHTTP), a private redis-server (StartRedis) and PostgreSQL cluster
// (StartPostgres) a test may kill and restart without disturbing the
// shared servers, one PostgreSQL schema per test on the shared server
// (PostgresSchema), free ports, the module's commands built once
// (Binary), and Unavailable: a missing program or service skips the test,
// or fails it when CI=true, where a test must not pass by not running.
package testsvc

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"dukaan/internal/proc"
)

// Postgres is a private cluster: initdb into a temporary directory, trust
// authentication on 127.0.0.1 only, fsync off (the tests kill the server
// process, never the machine, so the OS keeps what was written; commits
// still wait for their WAL write, so an acknowledged commit survives).
type Postgres struct {
	bin  string // directory of initdb, pg_ctl, postgres
	dir  string // root of data/, socket/ and the log
	port int
	cred *syscall.Credential // the postgres user when running as root

	mu      sync.Mutex
	running bool
}

// postgresBin finds the directory of the PostgreSQL server binaries:
// TEST_PG_BIN, else proc.PostgresBin (Debian's newest, else PATH).
func postgresBin() (string, error) {
	if d := os.Getenv("TEST_PG_BIN"); d != "" {
		if _, err := os.Stat(filepath.Join(d, "pg_ctl")); err != nil {
			return "", fmt.Errorf("TEST_PG_BIN=%s: %w", d, err)
		}
		return d, nil
	}
	d, err := proc.PostgresBin()
	if err != nil {
		return "", fmt.Errorf("%v, or set TEST_PG_BIN", err)
	}
	return d, nil
}

// missing skips tb, or fails it under CI.
func missing(tb testing.TB, err error) {
	tb.Helper()
	Unavailable(tb, "testsvc: %v", err)
}

// StartPostgres initialises and starts a cluster on a free loopback port;
// it is stopped and removed when tb ends.
func StartPostgres(tb testing.TB) *Postgres {
	tb.Helper()
	bin, err := postgresBin()
	if err != nil {
		missing(tb, err)
	}
	// Not tb.TempDir(): as root the cluster runs as the postgres user,
	// which cannot enter the 0700 directories testing creates.
	dir, err := os.MkdirTemp("", "dukaan-pg-")
	if err != nil {
		tb.Fatal(err)
	}
	p := &Postgres{bin: bin, dir: dir, port: FreePort(tb)}
	tb.Cleanup(func() {
		p.Stop(tb, "immediate")
		_ = os.RemoveAll(dir)
	})
	if os.Geteuid() == 0 {
		cred, err := proc.UserCred("postgres")
		if err != nil {
			missing(tb, fmt.Errorf("running as root needs a postgres user to run the cluster as: %v", err))
		}
		p.cred = cred
		if err := os.Chown(dir, int(cred.Uid), int(cred.Gid)); err != nil {
			tb.Fatal(err)
		}
	}
	if err := os.Mkdir(p.socketDir(), 0o700); err != nil {
		tb.Fatal(err)
	}
	if p.cred != nil {
		_ = os.Chown(p.socketDir(), int(p.cred.Uid), int(p.cred.Gid))
	}
	if out, err := p.run("initdb", "-D", p.dataDir(), "-U", "postgres", "-A", "trust", "-E", "UTF8",
		"--locale=C", "--no-sync", "--no-instructions"); err != nil {
		tb.Fatalf("testsvc: initdb: %v\n%s", err, out)
	}
	p.Start(tb)
	return p
}

func (p *Postgres) dataDir() string   { return filepath.Join(p.dir, "data") }
func (p *Postgres) socketDir() string { return filepath.Join(p.dir, "socket") }

// Port is the cluster's TCP port on 127.0.0.1.
func (p *Postgres) Port() int { return p.port }

// DSN is a URL for database "postgres" as the superuser, with extra query
// parameters (e.g. "search_path=x") appended.
func (p *Postgres) DSN(params ...string) string {
	q := append([]string{"sslmode=disable"}, params...)
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?%s", p.port, strings.Join(q, "&"))
}

// Start starts the (stopped) cluster and waits until it accepts queries.
func (p *Postgres) Start(tb testing.TB) {
	tb.Helper()
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.running {
		return
	}
	opts := fmt.Sprintf("-p %d -k %s -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off -c max_connections=100",
		p.port, p.socketDir())
	if out, err := p.run("pg_ctl", "-D", p.dataDir(), "-l", filepath.Join(p.dir, "server.log"), "-o", opts, "-w", "-t", "30", "start"); err != nil {
		log, _ := os.ReadFile(filepath.Join(p.dir, "server.log"))
		tb.Fatalf("testsvc: pg_ctl start: %v\n%s\n%s", err, out, log)
	}
	p.running = true
	if err := p.ping(10 * time.Second); err != nil {
		tb.Fatalf("testsvc: PostgreSQL on port %d does not answer: %v", p.port, err)
	}
}

// Stop stops the cluster: mode "immediate" kills it the way a crash would
// (clients see their connections drop mid-query), "fast" rolls back open
// transactions and disconnects clients first.
func (p *Postgres) Stop(tb testing.TB, mode string) {
	tb.Helper()
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.running {
		return
	}
	if out, err := p.run("pg_ctl", "-D", p.dataDir(), "-m", mode, "-w", "-t", "30", "stop"); err != nil {
		tb.Errorf("testsvc: pg_ctl stop -m %s: %v\n%s", mode, err, out)
	}
	p.running = false
}

func (p *Postgres) run(name string, args ...string) ([]byte, error) {
	cmd := exec.Command(filepath.Join(p.bin, name), args...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.Dir = p.dir
	cmd.Env = append(os.Environ(), "LC_ALL=C")
	if p.cred != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: p.cred}
	}
	err := cmd.Run()
	return out.Bytes(), err
}

func (p *Postgres) ping(timeout time.Duration) error {
	db, err := OpenPostgres(p.DSN())
	if err != nil {
		return err
	}
	defer db.Close()
	deadline := time.Now().Add(timeout)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		err := db.PingContext(ctx)
		cancel()
		if err == nil || time.Now().After(deadline) {
			return err
		}
		time.Sleep(50 * time.Millisecond)
	}
}
