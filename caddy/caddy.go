// Package caddy renders the configuration of Caddy, the TLS terminator in
// front of the nginx edges: the base domain's wildcard certificate and
// on-demand certificates for verified custom domains (asked of the app's
// GET /internal/tls-ask). HTTP redirects to HTTPS (Caddy's automatic
// redirects keep ACME's HTTP challenge), HTTP/2 on.
package caddy

import (
	_ "embed"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"text/template"
)

//go:embed Caddyfile.tmpl
var caddyfile string

var tmpl = template.Must(template.New("Caddyfile").Parse(caddyfile))

// Params are one Caddy's settings.
type Params struct {
	Base      string   // the base domain: base and *.base get the wildcard
	Upstreams []string // nginx edges, host:port
	AskURL    string   // http://app:port/internal/tls-ask
	Storage   string   // certificates and the internal CA (a persistent volume)
	HTTPPort  int      // default 80
	HTTPSPort int      // default 443
	// Admin is the admin API's address ("" turns it off).
	Admin string
	// InternalCA issues every certificate from Caddy's local CA
	// (development, tests); otherwise ACME, the wildcard by DNS-01 with
	// DNSProvider (a module Caddy must be built with).
	InternalCA  bool
	DNSProvider string
}

// Render returns the Caddyfile.
func Render(p Params) (string, error) {
	if p.HTTPPort == 0 {
		p.HTTPPort = 80
	}
	if p.HTTPSPort == 0 {
		p.HTTPSPort = 443
	}
	switch {
	case p.Base == "" || strings.ContainsAny(p.Base, " /:") || strings.ContainsAny(p.Base, "{}") && !isPlaceholder(p.Base):
		return "", fmt.Errorf("caddy: invalid base domain %q", p.Base)
	case len(p.Upstreams) == 0:
		return "", errors.New("caddy: no upstream")
	case !strings.HasPrefix(p.AskURL, "http://") && !strings.HasPrefix(p.AskURL, "https://"):
		return "", fmt.Errorf("caddy: the ask URL %q must be http(s)://", p.AskURL)
	case p.Storage == "":
		return "", errors.New("caddy: no storage directory")
	case !p.InternalCA && p.DNSProvider == "":
		return "", errors.New("caddy: ACME's wildcard needs a DNS provider (or InternalCA)")
	}
	var b strings.Builder
	if err := tmpl.Execute(&b, p); err != nil {
		return "", err
	}
	return b.String(), nil
}

// isPlaceholder: a Caddyfile environment placeholder, {$NAME}, which
// Caddy fills when it reads the file (the deployments' files).
func isPlaceholder(s string) bool {
	return strings.HasPrefix(s, "{$") && strings.HasSuffix(s, "}") && !strings.ContainsAny(s[2:len(s)-1], "{} ")
}

// Deployment is the Caddyfile of docker-compose and Kubernetes
// (deploy/caddy/Caddyfile, deploy/k8s/base/Caddyfile): ACME, the wildcard
// by DNS-01, its settings from the environment when Caddy starts —
// DUKAAN_BASE_DOMAIN, CADDY_UPSTREAMS (the edges), CADDY_ASK (the app's
// host:port) and CADDY_DNS (the provider and its credentials, e.g.
// "cloudflare {env.CLOUDFLARE_API_TOKEN}"); storage /data/caddy (a
// persistent volume).
func Deployment() (string, error) {
	return Render(Params{Base: "{$DUKAAN_BASE_DOMAIN}", Upstreams: []string{"{$CADDY_UPSTREAMS}"},
		AskURL: "http://{$CADDY_ASK}/internal/tls-ask", Storage: "/data/caddy", DNSProvider: "{$CADDY_DNS}"})
}

// Write renders the Caddyfile into dir and returns its path.
func Write(dir string, p Params) (string, error) {
	s, err := Render(p)
	if err != nil {
		return "", err
	}
	path := filepath.Join(dir, "Caddyfile")
	return path, os.WriteFile(path, []byte(s), 0o644)
}

// Args are caddy's arguments to run the Caddyfile at path.
func Args(path string) []string {
	return []string{"run", "--config", path, "--adapter", "caddyfile"}
}

// RootCert is where the internal CA's root certificate is, under storage.
func RootCert(storage string) string {
	return filepath.Join(storage, "pki", "authorities", "local", "root.crt")
}
