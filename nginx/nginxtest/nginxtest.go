// Package nginxtest runs a real nginx edge, configured by nginx.Write from
// the same templates production uses, for the length of one test.
//
//	e := nginxtest.Start(t, app.Addr())
//	resp, err := e.Client().Get(e.URL() + "/")   // set req.Host for a store
//
// Each edge has its own prefix in t.TempDir() (config, cache, temp paths,
// logs, pid) and its own loopback port, so tests may run in parallel. The
// nginx binary and Debian's cache-purge module must be installed: without
// them a test is skipped, or fails when CI=true, where a missing edge must
// not pass silently.
package nginxtest

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"dukaan/internal/proc"
	"dukaan/internal/testsvc"
	"dukaan/nginx"
)

// Options configure an edge; zero values take the defaults.
type Options struct {
	// Listen is the address to listen on (default: a free loopback port).
	// Give one when the app must know the edge before the edge can start
	// (DUKAAN_EDGES): see FreeAddr.
	Listen string
	// Upstreams are the app replicas, host:port. Required.
	Upstreams []string
	// PurgeAllow are addresses besides loopback allowed to PURGE.
	PurgeAllow []string
	// Static is copied into the edge's static directory.
	Static fs.FS
	// PurgeToken, when set, must come with every PURGE
	// (X-Dukaan-Purge-Token).
	PurgeToken string
	// Workers is nginx's worker_processes (default 1: tests start many
	// edges on small machines).
	Workers string
}

// Edge is one running nginx.
type Edge struct {
	params nginx.Params
	bin    string
	addr   string
	conf   string

	p    *proc.Proc
	mu   sync.Mutex
	stop bool
}

// Start runs an edge on a free loopback port in front of upstreams and
// stops it when tb ends.
func Start(tb testing.TB, upstreams ...string) *Edge {
	tb.Helper()
	return StartWith(tb, Options{Upstreams: upstreams})
}

// StartWith runs an edge configured by opts and stops it when tb ends.
func StartWith(tb testing.TB, opts Options) *Edge {
	tb.Helper()
	bin := Require(tb)
	if len(opts.Upstreams) == 0 {
		tb.Fatal("nginxtest: at least one upstream is required")
	}
	if opts.Listen == "" {
		opts.Listen = FreeAddr(tb)
	}
	if opts.Workers == "" {
		opts.Workers = "1"
	}
	p := nginx.Params{
		Listen:     opts.Listen,
		Upstreams:  opts.Upstreams,
		Dir:        tb.TempDir(),
		PurgeAllow: opts.PurgeAllow,
		PurgeToken: opts.PurgeToken,
		Workers:    opts.Workers,
		KeysZone:   "1m",
		MaxSize:    "64m",
		// Empty: every request is written to the access log as it ends, so
		// a test can read it right away.
		LogBuffer: "",
	}
	if os.Geteuid() == 0 {
		// Workers as root. cmd/dukaan's edge runs them as nobody and chowns
		// cache/ and temp/, but here the prefix is inside t.TempDir(), whose
		// parents testing creates with mode 0700: nobody could not even
		// reach cache/. Root workers avoid loosening testing's directories;
		// the edge only ever listens on a test's own port.
		p.User = "root"
	}
	conf, err := nginx.Write(p, opts.Static)
	if err != nil {
		tb.Fatalf("nginxtest: writing the config: %v", err)
	}
	e := &Edge{params: p, bin: bin, addr: opts.Listen, conf: conf}
	e.params.Dir = filepath.Dir(conf) // Write made it absolute
	if err := e.start(); err != nil {
		tb.Fatalf("nginxtest: %v", err)
	}
	tb.Cleanup(func() { e.Stop(tb) })
	if err := e.waitReady(10 * time.Second); err != nil {
		tb.Fatalf("nginxtest: %v", err)
	}
	return e
}

// Require returns the nginx binary, or skips tb (fails it when CI=true)
// when nginx or the cache-purge module is missing.
func Require(tb testing.TB) string {
	tb.Helper()
	bin, err := lookNginx()
	if err == nil {
		if _, serr := os.Stat(nginx.DefaultPurgeModule); serr != nil {
			err = fmt.Errorf("the cache-purge module %s is missing (apt-get install libnginx-mod-http-cache-purge): %v", nginx.DefaultPurgeModule, serr)
		}
	}
	if err != nil {
		testsvc.Unavailable(tb, "nginxtest: %v", err)
	}
	return bin
}

func lookNginx() (string, error) {
	if b := os.Getenv("NGINX_BIN"); b != "" {
		return exec.LookPath(b)
	}
	// Debian puts it in /usr/sbin, which is not on every user's PATH.
	if b := proc.LookPath("nginx"); b != "" {
		return b, nil
	}
	return "", errors.New("nginx is not installed (apt-get install nginx-light libnginx-mod-http-cache-purge)")
}

// start runs nginx in a process group of its own (internal/proc), so a
// stuck edge can be killed with its workers; its stdout and stderr go to
// logs/nginx.out.
func (e *Edge) start() error {
	p, err := proc.Start(proc.Spec{Name: "nginx", Bin: e.bin, Args: nginx.Args(e.params.Dir),
		Log: filepath.Join(e.params.Dir, "logs", "nginx.out"), StopSig: syscall.SIGQUIT})
	if err != nil {
		return err
	}
	e.p = p
	return nil
}

// waitReady waits until this nginx wrote its pid file (it does so after
// binding its port) and the port accepts connections. The pid check makes
// sure the answer comes from our nginx, not from whoever held the port.
func (e *Edge) waitReady(timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	want := strconv.Itoa(e.p.Pid())
	for {
		if e.p.Exited() {
			return fmt.Errorf("nginx exited at start (%v):\n%s", e.p.Err(), e.diagnostics())
		}
		pid, _ := os.ReadFile(filepath.Join(e.params.Dir, "nginx.pid"))
		if strings.TrimSpace(string(pid)) == want {
			if c, err := net.DialTimeout("tcp", e.addr, 200*time.Millisecond); err == nil {
				c.Close()
				return nil
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("nginx did not answer on %s within %s:\n%s", e.addr, timeout, e.diagnostics())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// diagnostics is nginx's output and error log, for failure messages.
func (e *Edge) diagnostics() string {
	errLog, _ := os.ReadFile(filepath.Join(e.params.Dir, "logs", "error.log"))
	return "output: " + e.p.Tail(1<<20) + "\nerror.log: " + string(errLog)
}

// URL is the edge's base URL, http://127.0.0.1:port.
func (e *Edge) URL() string { return "http://" + e.addr }

// Addr is host:port.
func (e *Edge) Addr() string { return e.addr }

// Port is the port alone, e.g. "41234".
func (e *Edge) Port() string {
	_, p, _ := net.SplitHostPort(e.addr)
	return p
}

// Dir is the edge's prefix: nginx.conf, cache/, logs/, static/.
func (e *Edge) Dir() string { return e.params.Dir }

// Config is the generated nginx.conf.
func (e *Edge) Config(tb testing.TB) string {
	tb.Helper()
	b, err := os.ReadFile(e.conf)
	if err != nil {
		tb.Fatalf("nginxtest: %v", err)
	}
	return string(b)
}

// Client returns an HTTP client that sends every request to this edge,
// whatever host the URL names (set req.Host, or put the store's host in
// the URL), and does not follow redirects.
func (e *Edge) Client() *http.Client {
	return &http.Client{
		Timeout: 30 * time.Second,
		Transport: &http.Transport{
			DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
				var d net.Dialer
				return d.DialContext(ctx, "tcp", e.addr)
			},
			DisableCompression: true,
		},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// Reload makes nginx re-read its configuration (nginx -s reload with the
// same prefix) and waits until new workers serve: the cache survives.
func (e *Edge) Reload(tb testing.TB) {
	tb.Helper()
	before := e.workers()
	// The same prefix, config and error log, without "-g daemon off;".
	var args []string
	all := nginx.Args(e.params.Dir)
	for i := 0; i < len(all); i++ {
		if all[i] == "-g" {
			i++
			continue
		}
		args = append(args, all[i])
	}
	args = append(args, "-s", "reload")
	if out, err := exec.Command(e.bin, args...).CombinedOutput(); err != nil {
		tb.Fatalf("nginxtest: nginx -s reload: %v\n%s", err, out)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		now := e.workers()
		fresh := false
		for pid := range now {
			if !before[pid] {
				fresh = true
			}
		}
		if fresh {
			return
		}
		if time.Now().After(deadline) {
			tb.Fatalf("nginxtest: no new worker within 10s of the reload:\n%s", e.diagnostics())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// workers are the pids of the master's children (workers and cache
// manager/loader).
func (e *Edge) workers() map[int]bool {
	master := e.p.Pid()
	out := map[int]bool{}
	ps, _ := proc.Processes()
	for _, p := range ps {
		if p.PPid == master {
			out[p.Pid] = true
		}
	}
	return out
}

// Stop asks nginx to finish in-flight requests and quit (SIGQUIT), and
// kills its process group if it has not within 10 s. Stopping twice is a
// no-op; tb's cleanup calls it.
func (e *Edge) Stop(tb testing.TB) {
	tb.Helper()
	e.mu.Lock()
	if e.stop {
		e.mu.Unlock()
		return
	}
	e.stop = true
	e.mu.Unlock()
	if e.p.Exited() {
		return // already gone (it died; the test saw why)
	}
	// SIGQUIT; after 10 s the master and its workers, which share the
	// group we gave it, are killed.
	if err := e.p.Stop(10 * time.Second); err != nil {
		tb.Errorf("nginxtest: %v:\n%s", err, e.diagnostics())
	}
}

// Kill stops nginx at once (SIGKILL to its process group), as a crash would.
func (e *Edge) Kill(tb testing.TB) {
	tb.Helper()
	e.mu.Lock()
	e.stop = true
	e.mu.Unlock()
	_ = syscall.Kill(-e.p.Pid(), syscall.SIGKILL)
	<-e.p.Done()
}

// AccessLog is the access log so far, one line per request in the
// template's "edge" format (… cache=HIT …).
func (e *Edge) AccessLog(tb testing.TB) string {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join(e.params.Dir, "logs", "access.log"))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		tb.Fatalf("nginxtest: %v", err)
	}
	return string(b)
}

// ErrorLog is nginx's error log so far.
func (e *Edge) ErrorLog(tb testing.TB) string {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join(e.params.Dir, "logs", "error.log"))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		tb.Fatalf("nginxtest: %v", err)
	}
	return string(b)
}

// CacheFiles counts the files under the cache directory: one per stored
// response (plus, briefly, one being written).
func (e *Edge) CacheFiles(tb testing.TB) int {
	tb.Helper()
	n := 0
	err := filepath.WalkDir(filepath.Join(e.params.Dir, "cache"), func(_ string, d fs.DirEntry, err error) error {
		if err != nil {
			// A temporary file renamed while we walk is not an error.
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return err
		}
		if d.Type().IsRegular() {
			n++
		}
		return nil
	})
	if err != nil {
		tb.Fatalf("nginxtest: counting cache files: %v", err)
	}
	return n
}

// FreePort is testsvc.FreePort, kept here for the tests that start edges.
func FreePort(tb testing.TB) int {
	tb.Helper()
	return testsvc.FreePort(tb)
}

// FreeAddr is testsvc.FreeAddr.
func FreeAddr(tb testing.TB) string {
	tb.Helper()
	return testsvc.FreeAddr(tb)
}
