package nginx_test

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"dukaan/nginx"
)

// TestWrite checks the rendered configuration without running nginx (the
// running edge is tested in nginx/nginxtest and cmd/dukaan).
func TestWrite(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "edge")
	conf, err := nginx.Write(nginx.Params{
		Listen: "127.0.0.1:8000", Upstreams: []string{"10.0.0.1:8080", "10.0.0.2:8080"}, Dir: dir,
		PurgeAllow: []string{"10.0.0.0/24", "192.168.1.7"}, User: "nobody nogroup",
	}, fstest.MapFS{"app.css": {Data: []byte("body{}")}})
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(conf)
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)

	t.Run("PurgeLocation", func(t *testing.T) {
		// The directives of the internal purge location, in order.
		m := regexp.MustCompile(`(?s)location = /\.edge-purge \{(.*?)\}`).FindStringSubmatch(s)
		if m == nil {
			t.Fatalf("no purge location in:\n%s", s)
		}
		var got []string
		for _, l := range strings.Split(m[1], "\n") {
			if l = strings.TrimSpace(l); l != "" {
				got = append(got, l)
			}
		}
		want := []string{
			"internal;",
			"allow 127.0.0.0/8;", "allow ::1;", "allow 10.0.0.0/24;", "allow 192.168.1.7;",
			"deny all;",
			"proxy_cache_purge edge $scheme$host$request_uri;",
		}
		if !slices.Equal(got, want) {
			t.Errorf("purge location:\n got %q\nwant %q", got, want)
		}
	})

	t.Run("KeysAgree", func(t *testing.T) {
		p, err := os.ReadFile(filepath.Join(dir, "proxy.conf"))
		if err != nil {
			t.Fatal(err)
		}
		// What PURGE removes must be what GET stored.
		if !strings.Contains(string(p), "proxy_cache_key $scheme$host$request_uri;") {
			t.Errorf("proxy.conf cache key is not $scheme$host$request_uri, the key PURGE uses:\n%s", p)
		}
	})

	t.Run("Rendered", func(t *testing.T) {
		for _, want := range []string{
			"user nobody nogroup;",
			"server 10.0.0.1:8080 max_fails=0;",
			"server 10.0.0.2:8080 max_fails=0;",
			"listen 127.0.0.1:8000 default_server;",
			"load_module " + nginx.DefaultPurgeModule + ";",
		} {
			if !strings.Contains(s, want) {
				t.Errorf("nginx.conf lacks %q", want)
			}
		}
		// No LogBuffer: every line is written at once.
		if regexp.MustCompile(`access_log .* buffer=`).MatchString(s) {
			t.Errorf("access_log is buffered without LogBuffer")
		}
		for _, d := range []string{"cache", "logs", "temp", "static/app.css"} {
			if _, err := os.Stat(filepath.Join(dir, d)); err != nil {
				t.Errorf("Write did not create %s: %v", d, err)
			}
		}
	})

	t.Run("Required", func(t *testing.T) {
		if _, err := nginx.Write(nginx.Params{Listen: "127.0.0.1:8000", Dir: t.TempDir()}, nil); err == nil {
			t.Error("Write without upstreams succeeded")
		}
	})

	t.Run("Args", func(t *testing.T) {
		got := nginx.Args(dir)
		want := []string{"-p", dir, "-c", filepath.Join(dir, "nginx.conf"), "-e", filepath.Join(dir, "logs", "error.log"), "-g", "daemon off;"}
		if !slices.Equal(got, want) {
			t.Errorf("Args = %q, want %q", got, want)
		}
	})
}

// TestWriteLab renders the lab's two configurations (the bench's ceiling,
// the stack's entry) with the values their callers give.
func TestWriteLab(t *testing.T) {
	dir := t.TempDir()
	conf, err := nginx.WriteEntry(nginx.LabParams{Listen: "127.0.0.1:8000", Dir: filepath.Join(dir, "entry"), Workers: "1",
		User: "nobody nogroup", Upstreams: []string{"127.0.0.1:8001", "127.0.0.1:8002"}})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(conf)
	for _, want := range []string{"user nobody nogroup;\nworker_processes 1;", "        server 127.0.0.1:8001 max_fails=0;\n        server 127.0.0.1:8002 max_fails=0;\n        keepalive 32;",
		"listen 127.0.0.1:8000 default_server;", "pid " + filepath.Join(dir, "entry") + "/nginx.pid;", "return 405;"} {
		if !strings.Contains(string(b), want) {
			t.Errorf("entry config lacks %q:\n%s", want, b)
		}
	}
	if _, err := nginx.WriteEntry(nginx.LabParams{Listen: "127.0.0.1:8000", Dir: dir}); err == nil {
		t.Error("WriteEntry without upstreams: no error")
	}
	conf, err = nginx.WriteCeiling(nginx.LabParams{Listen: "127.0.0.1:9000", Dir: filepath.Join(dir, "static"), Workers: "2"})
	if err != nil {
		t.Fatal(err)
	}
	b, _ = os.ReadFile(conf)
	if strings.Contains(string(b), "user ") || !strings.HasPrefix(string(b), "# The bench's ceiling") ||
		!strings.Contains(string(b), "\nworker_processes 2;") || !strings.Contains(string(b), "root "+filepath.Join(dir, "static")+"/www;") {
		t.Errorf("ceiling config:\n%s", b)
	}
	if fi, err := os.Stat(filepath.Join(dir, "static", "www")); err != nil || !fi.IsDir() {
		t.Errorf("www/ not created: %v", err)
	}
}
