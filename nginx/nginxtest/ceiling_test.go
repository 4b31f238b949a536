package nginxtest_test

import (
	"net/http"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"dukaan/internal/proc"
	"dukaan/nginx"
	"dukaan/nginx/nginxtest"
)

// TestCeilingGzipStatic: the bench's ceiling sends page.html.gz, as it is
// on disk, to a client that accepts gzip, and page.html to the rest, the
// bytes the edge sends each.
func TestCeilingGzipStatic(t *testing.T) {
	t.Parallel()
	bin := nginxtest.Require(t)
	dir := t.TempDir()
	addr := nginxtest.FreeAddr(t)
	lp := nginx.LabParams{Listen: addr, Dir: dir, Workers: "1"}
	if os.Geteuid() == 0 {
		lp.User = "root" // as nginxtest's edges: t.TempDir()'s parents are 0700
	}
	if _, err := nginx.WriteCeiling(lp); err != nil {
		t.Fatal(err)
	}
	identity, compressed := page("/"), gz(t, page("/"))
	for name, b := range map[string][]byte{"page.html": identity, "page.html.gz": compressed} {
		if err := os.WriteFile(filepath.Join(dir, "www", name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	p, err := proc.Start(proc.Spec{Name: "ceiling", Bin: bin, Args: nginx.Args(dir), Log: filepath.Join(dir, "logs", "nginx.out"), StopSig: syscall.SIGQUIT})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Stop(10 * time.Second) })
	c := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{DisableCompression: true}}
	for deadline := time.Now().Add(10 * time.Second); ; {
		req, _ := http.NewRequest(http.MethodGet, "http://"+addr+"/", nil)
		if resp, err := c.Do(req); err == nil {
			resp.Body.Close()
			break
		}
		if time.Now().After(deadline) || p.Exited() {
			t.Fatalf("the ceiling did not answer on %s:\n%s", addr, p.Tail(4096))
		}
		time.Sleep(20 * time.Millisecond)
	}
	for _, tc := range []struct {
		ae, encoding string
		body         []byte
	}{{"", "", identity}, {chromeAE, "gzip", compressed}} {
		req, _ := http.NewRequest(http.MethodGet, "http://"+addr+"/", nil)
		if tc.ae != "" {
			req.Header.Set("Accept-Encoding", tc.ae)
		}
		r := do(t, c, req)
		if r.status != 200 || r.header.Get("Content-Encoding") != tc.encoding || r.body != string(tc.body) {
			t.Errorf("Accept-Encoding %q: %d, Content-Encoding %q, %d bytes; want 200, %q, the %d bytes on disk", tc.ae, r.status, r.header.Get("Content-Encoding"), len(r.body), tc.encoding, len(tc.body))
		}
	}
}
