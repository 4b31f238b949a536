// Package caddytest runs a real Caddy (Debian's caddy) for the length of
// a test, with its internal CA, storage in a temporary directory and the
// admin API off.
package caddytest

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"dukaan/caddy"
	"dukaan/internal/proc"
	"dukaan/internal/testsvc"
	"dukaan/nginx/nginxtest"
)

// Caddy is one running Caddy.
type Caddy struct {
	HTTPAddr, HTTPSAddr string // 127.0.0.1:port
	Storage             string
	p                   *proc.Proc
	dir                 string
}

// Require returns the caddy binary, or skips tb (fails it under CI=true).
func Require(tb testing.TB) string {
	tb.Helper()
	bin := proc.LookPath("caddy")
	if b := os.Getenv("CADDY_BIN"); b != "" {
		bin = b
	}
	if bin == "" {
		testsvc.Unavailable(tb, "caddytest: caddy is not installed (apt-get install caddy)")
	}
	return bin
}

// Start runs Caddy for base in front of upstreams, asking askURL.
func Start(tb testing.TB, base, askURL string, upstreams ...string) *Caddy {
	tb.Helper()
	return StartWith(tb, Options{Base: base, AskURL: askURL, Upstreams: upstreams})
}

// Options are a test Caddy's settings; empty addresses get free ports.
type Options struct {
	Base, AskURL        string
	Upstreams           []string
	HTTPAddr, HTTPSAddr string // 127.0.0.1:port, chosen in advance (FreeAddr)
}

// StartWith runs Caddy as opts say and stops it when tb ends.
func StartWith(tb testing.TB, o Options) *Caddy {
	tb.Helper()
	bin := Require(tb)
	dir := tb.TempDir()
	if o.HTTPAddr == "" {
		o.HTTPAddr = nginxtest.FreeAddr(tb)
	}
	if o.HTTPSAddr == "" {
		o.HTTPSAddr = nginxtest.FreeAddr(tb)
	}
	base, askURL, upstreams := o.Base, o.AskURL, o.Upstreams
	c := &Caddy{HTTPAddr: o.HTTPAddr, HTTPSAddr: o.HTTPSAddr, Storage: filepath.Join(dir, "data"), dir: dir}
	port := func(addr string) int {
		_, p, _ := net.SplitHostPort(addr)
		n, _ := strconv.Atoi(p)
		return n
	}
	conf, err := caddy.Write(dir, caddy.Params{Base: base, Upstreams: upstreams, AskURL: askURL, Storage: c.Storage,
		HTTPPort: port(c.HTTPAddr), HTTPSPort: port(c.HTTPSAddr), InternalCA: true})
	if err != nil {
		tb.Fatal(err)
	}
	// HOME and XDG dirs inside the test's directory: Caddy writes its
	// autosave config there.
	env := append(os.Environ(), "HOME="+dir, "XDG_CONFIG_HOME="+dir, "XDG_DATA_HOME="+dir)
	p, err := proc.Start(proc.Spec{Name: "caddy", Bin: bin, Args: caddy.Args(conf), Env: env,
		Log: filepath.Join(dir, "caddy.log"), StopSig: syscall.SIGTERM})
	if err != nil {
		tb.Fatal(err)
	}
	c.p = p
	tb.Cleanup(func() { _ = p.Stop(10 * time.Second) })
	if err := c.waitReady(20 * time.Second); err != nil {
		tb.Fatalf("caddytest: %v", err)
	}
	return c
}

// waitReady waits for both ports and the internal CA's root.
func (c *Caddy) waitReady(timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		if c.p.Exited() {
			return fmt.Errorf("caddy exited at start (%v):\n%s", c.p.Err(), c.p.Tail(8192))
		}
		_, rerr := os.Stat(caddy.RootCert(c.Storage))
		if rerr == nil && dialOK(c.HTTPAddr) && dialOK(c.HTTPSAddr) {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("caddy not ready within %s:\n%s", timeout, c.p.Tail(8192))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func dialOK(addr string) bool {
	conn, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
	if err == nil {
		conn.Close()
	}
	return err == nil
}

// Roots is a pool holding Caddy's internal root.
func (c *Caddy) Roots(tb testing.TB) *x509.CertPool {
	tb.Helper()
	pem, err := os.ReadFile(caddy.RootCert(c.Storage))
	if err != nil {
		tb.Fatal(err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		tb.Fatal("caddytest: no certificate in the root file")
	}
	return pool
}

// Client is a browser-like HTTPS client that sends every request to
// Caddy's HTTPS port, with the URL's name as SNI and Host, verifying
// against Caddy's root; redirects are not followed.
func (c *Caddy) Client(tb testing.TB) *http.Client {
	tb.Helper()
	d := &net.Dialer{Timeout: 5 * time.Second}
	tr := &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: c.Roots(tb)},
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			_, p, _ := net.SplitHostPort(addr)
			if p == "80" {
				return d.DialContext(ctx, network, c.HTTPAddr)
			}
			return d.DialContext(ctx, network, c.HTTPSAddr)
		},
		ForceAttemptHTTP2:  true,
		DisableCompression: true,
	}
	tb.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr, Timeout: 20 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// Handshake does one TLS handshake with name as SNI and returns the
// verified leaf's names, or the error (no certificate for the name).
func (c *Caddy) Handshake(tb testing.TB, name string) ([]string, time.Duration, error) {
	tb.Helper()
	start := time.Now()
	conn, err := tls.DialWithDialer(&net.Dialer{Timeout: 10 * time.Second}, "tcp", c.HTTPSAddr,
		&tls.Config{ServerName: name, RootCAs: c.Roots(tb), NextProtos: []string{"h2", "http/1.1"}})
	took := time.Since(start)
	if err != nil {
		return nil, took, err
	}
	defer conn.Close()
	cs := conn.ConnectionState()
	if len(cs.PeerCertificates) == 0 {
		return nil, took, errors.New("no certificate")
	}
	return cs.PeerCertificates[0].DNSNames, took, nil
}

// Log is Caddy's output so far.
func (c *Caddy) Log() string { return c.p.Tail(1 << 20) }

// SPKIHashes are the base64 SHA-256 hashes of the internal CA's root and
// intermediate public keys: Chromium's --ignore-certificate-errors-spki-list
// trusts chains holding one of them (and nothing else), as a browser with
// the root installed would.
func (c *Caddy) SPKIHashes(tb testing.TB) string {
	tb.Helper()
	var out []string
	for _, name := range []string{"root.crt", "intermediate.crt"} {
		b, err := os.ReadFile(filepath.Join(c.Storage, "pki", "authorities", "local", name))
		if err != nil {
			tb.Fatal(err)
		}
		blk, _ := pem.Decode(b)
		if blk == nil {
			tb.Fatalf("caddytest: no PEM in %s", name)
		}
		cert, err := x509.ParseCertificate(blk.Bytes)
		if err != nil {
			tb.Fatal(err)
		}
		sum := sha256.Sum256(cert.RawSubjectPublicKeyInfo)
		out = append(out, base64.StdEncoding.EncodeToString(sum[:]))
	}
	return strings.Join(out, ",")
}
