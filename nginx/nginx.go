// Package nginx renders the edge's configuration from the templates beside
// it, the same files docker-compose and Kubernetes use, and the two
// configurations of the lab (cmd/dukaan-lab): the bench's ceiling, a
// static nginx with the edge's settings, and the stack's entry, a
// balancer over the edges.
package nginx

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"text/template"
)

//go:embed edge.conf.tmpl proxy.conf.tmpl ceiling.conf.tmpl entry.conf.tmpl
var templates embed.FS

// DefaultPurgeModule is where Debian's libnginx-mod-http-cache-purge puts
// the module.
const DefaultPurgeModule = "/usr/lib/nginx/modules/ngx_http_cache_purge_module.so"

// Params are the values of one edge.
type Params struct {
	Listen      string   // e.g. 127.0.0.1:8000
	Upstreams   []string // app replicas, host:port
	Dir         string   // prefix: cache, temp paths, pid, logs, static
	PurgeAllow  []string // addresses besides loopback allowed to PURGE
	PurgeModule string
	Workers     string // "auto" or a number
	User        string // worker user when started as root
	KeysZone    string // shared memory for cache keys, e.g. 32m
	MaxSize     string // disk for cached pages, e.g. 1g
	LogBuffer   string // access log buffer, e.g. 64k; empty writes each line
	MaxBody     string // client_max_body_size; default 52m (the app's largest photo form)
	// NotFoundTTL is how long a shop 404 without caching headers of its
	// own is kept (proxy_cache_valid 404); default 5s.
	NotFoundTTL string
	// PurgeToken, when set, must come with every PURGE in the header
	// X-Dukaan-Purge-Token (the app's DUKAAN_EDGE_PURGE_TOKEN).
	PurgeToken string
}

// validToken is what may go into the config file as a purge token.
var validToken = regexp.MustCompile(`^[A-Za-z0-9_-]{16,128}$`)

func (p *Params) defaults() error {
	if p.Listen == "" || len(p.Upstreams) == 0 || p.Dir == "" {
		return errors.New("nginx: Listen, Upstreams and Dir are required")
	}
	abs, err := filepath.Abs(p.Dir)
	if err != nil {
		return err
	}
	p.Dir = abs
	if p.PurgeModule == "" {
		p.PurgeModule = DefaultPurgeModule
	}
	if p.Workers == "" {
		p.Workers = "auto"
	}
	if p.KeysZone == "" {
		p.KeysZone = "32m"
	}
	if p.MaxSize == "" {
		p.MaxSize = "1g"
	}
	if p.PurgeToken != "" && !validToken.MatchString(p.PurgeToken) {
		return errors.New("nginx: the purge token must be 16-128 of A-Z a-z 0-9 _ -")
	}
	if p.MaxBody == "" {
		p.MaxBody = "52m"
	}
	if p.NotFoundTTL == "" {
		p.NotFoundTTL = "5s"
	}
	return nil
}

// Write renders the configuration into p.Dir (nginx.conf, proxy.conf) and
// creates every directory nginx needs there: nginx makes only the last
// element of each temp path itself. It copies static into p.Dir/static so
// the edge serves assets from disk.
func Write(p Params, static fs.FS) (confPath string, err error) {
	if err := p.defaults(); err != nil {
		return "", err
	}
	for _, d := range []string{"cache", "logs", "temp", "static"} {
		if err := os.MkdirAll(filepath.Join(p.Dir, d), 0o755); err != nil {
			return "", err
		}
	}
	t, err := template.ParseFS(templates, "edge.conf.tmpl", "proxy.conf.tmpl")
	if err != nil {
		return "", err
	}
	for name, out := range map[string]string{"edge.conf.tmpl": "nginx.conf", "proxy.conf.tmpl": "proxy.conf"} {
		var buf bytes.Buffer
		if err := t.ExecuteTemplate(&buf, name, p); err != nil {
			return "", fmt.Errorf("nginx: rendering %s: %w", name, err)
		}
		if err := os.WriteFile(filepath.Join(p.Dir, out), buf.Bytes(), 0o644); err != nil {
			return "", err
		}
	}
	if static != nil {
		if err := copyFS(filepath.Join(p.Dir, "static"), static); err != nil {
			return "", fmt.Errorf("nginx: copying static files: %w", err)
		}
	}
	return filepath.Join(p.Dir, "nginx.conf"), nil
}

// LabParams are the values of a lab nginx: the bench's ceiling or the
// stack's entry.
type LabParams struct {
	Listen    string   // e.g. 127.0.0.1:8000
	Dir       string   // prefix: pid, logs, temp paths (and the ceiling's www)
	Workers   string   // "auto" or a number
	User      string   // worker user when started as root
	Upstreams []string // the entry's edges, host:port
}

// WriteCeiling renders ceiling.conf.tmpl into p.Dir/nginx.conf: the edge's
// worker, keep-alive and access-log settings serving p.Dir/www/page.html
// for every path (page.html.gz, when present, to clients that accept
// gzip: gzip_static), the bench's upper bound for the edge.
func WriteCeiling(p LabParams) (confPath string, err error) {
	return writeLab("ceiling.conf.tmpl", p, "logs", "temp", "www")
}

// WriteEntry renders entry.conf.tmpl into p.Dir/nginx.conf: one port
// balancing round robin over p.Upstreams without a cache, refusing PURGE.
func WriteEntry(p LabParams) (confPath string, err error) {
	if len(p.Upstreams) == 0 {
		return "", errors.New("nginx: the entry needs at least one upstream")
	}
	return writeLab("entry.conf.tmpl", p, "logs", "temp")
}

func writeLab(name string, p LabParams, dirs ...string) (string, error) {
	if p.Listen == "" || p.Dir == "" {
		return "", errors.New("nginx: Listen and Dir are required")
	}
	abs, err := filepath.Abs(p.Dir)
	if err != nil {
		return "", err
	}
	p.Dir = abs
	if p.Workers == "" {
		p.Workers = "auto"
	}
	for _, d := range dirs {
		if err := os.MkdirAll(filepath.Join(p.Dir, d), 0o755); err != nil {
			return "", err
		}
	}
	t, err := template.ParseFS(templates, name)
	if err != nil {
		return "", err
	}
	var buf bytes.Buffer
	if err := t.Execute(&buf, p); err != nil {
		return "", fmt.Errorf("nginx: rendering %s: %w", name, err)
	}
	conf := filepath.Join(p.Dir, "nginx.conf")
	return conf, os.WriteFile(conf, buf.Bytes(), 0o644)
}

// Args are the nginx command-line arguments that run the edge in the
// foreground with Dir as its prefix.
func Args(dir string) []string {
	abs, _ := filepath.Abs(dir)
	return []string{"-p", abs, "-c", filepath.Join(abs, "nginx.conf"), "-e", filepath.Join(abs, "logs", "error.log"), "-g", "daemon off;"}
}

func copyFS(dst string, src fs.FS) error {
	return fs.WalkDir(src, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		target := filepath.Join(dst, filepath.FromSlash(p))
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		b, err := fs.ReadFile(src, p)
		if err != nil {
			return err
		}
		return os.WriteFile(target, b, 0o644)
	})
}
