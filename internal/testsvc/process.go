package testsvc

import (
	"context"
	"errors"
	"fmt"
	"net"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"dukaan/internal/proc"
)

// FreePort is a TCP port on 127.0.0.1 that was free a moment ago
// (proc.FreeAddr): for tests that need an address before the server
// exists (an app must know its edges, an edge its app).
func FreePort(tb testing.TB) int {
	tb.Helper()
	p, err := proc.FreePort()
	if err != nil {
		tb.Fatalf("testsvc: %v", err)
	}
	return p
}

// FreeAddr is FreePort as "127.0.0.1:port".
func FreeAddr(tb testing.TB) string {
	tb.Helper()
	return net.JoinHostPort("127.0.0.1", strconv.Itoa(FreePort(tb)))
}

// Require is the path of the named program (proc.LookPath: PATH, then
// /usr/sbin, /usr/bin, /sbin). Without it the test is skipped, or fails
// under CI=true (Unavailable); install says how to get it.
func Require(tb testing.TB, name, install string) string {
	tb.Helper()
	p := proc.LookPath(name)
	if p == "" {
		Unavailable(tb, "testsvc: %s is not installed (%s)", name, install)
	}
	return p
}

// Start runs a child for the length of tb (proc.Start): its own process
// group, stopped with sp.StopSig (SIGTERM) and killed with its group after
// 10 s when tb ends. An empty sp.Log is NAME.log in a temporary directory.
func Start(tb testing.TB, sp proc.Spec) *proc.Proc {
	tb.Helper()
	if sp.Log == "" {
		sp.Log = filepath.Join(tb.TempDir(), sp.Name+".log")
	}
	p, err := proc.Start(sp)
	if err != nil {
		tb.Fatalf("testsvc: %v", err)
	}
	tb.Cleanup(func() { _ = p.Stop(10 * time.Second) })
	return p
}

// WaitFor fails tb unless check succeeds within timeout, polling every
// 10 ms; it stops early, quoting the child's log, when p exits.
func WaitFor(tb testing.TB, p *proc.Proc, timeout time.Duration, what string, check func() error) {
	tb.Helper()
	err := proc.WaitFor(context.Background(), p, timeout, 10*time.Millisecond, check)
	var late *proc.NotReadyError
	switch {
	case err == nil:
	case errors.Is(err, proc.ErrExited):
		tb.Fatalf("testsvc: %s exited at start (%v):\n%s", p.Name(), p.Err(), p.Tail(4000))
	case errors.As(err, &late):
		tb.Fatalf("testsvc: %s not ready within %s: %v\n%s", what, timeout, late.Last, tail(p))
	default:
		tb.Fatalf("testsvc: %s: %v", what, err)
	}
}

// WaitHTTP is WaitFor until GET url answers 200.
func WaitHTTP(tb testing.TB, p *proc.Proc, url string, timeout time.Duration) {
	tb.Helper()
	WaitFor(tb, p, timeout, fmt.Sprintf("%s (GET %s)", p.Name(), url), proc.HTTPOK(url))
}

func tail(p *proc.Proc) string {
	if p == nil {
		return ""
	}
	return p.Tail(4000)
}
