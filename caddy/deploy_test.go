package caddy_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"dukaan/caddy"
	"dukaan/internal/testsvc"
)

// TestDeploymentFiles: the Caddyfiles of docker-compose and Kubernetes are
// caddy.Deployment() exactly (UPDATE_CADDYFILES=1 rewrites them).
func TestDeploymentFiles(t *testing.T) {
	want, err := caddy.Deployment()
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"../deploy/caddy/Caddyfile", "../deploy/k8s/base/Caddyfile"} {
		if os.Getenv("UPDATE_CADDYFILES") == "1" {
			if err := os.WriteFile(filepath.FromSlash(p), []byte(want), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		got, err := os.ReadFile(filepath.FromSlash(p))
		if err != nil || string(got) != want {
			t.Errorf("%s differs from caddy.Deployment() (%v): UPDATE_CADDYFILES=1 go test ./caddy", p, err)
		}
	}
}

// TestDeploymentAdapts: Debian's caddy reads the deployment Caddyfile up
// to the DNS provider, the one module it lacks (the image builds it in).
func TestDeploymentAdapts(t *testing.T) {
	bin, err := exec.LookPath("caddy")
	if err != nil {
		testsvc.Unavailable(t, "caddy is not installed (apt-get install caddy)")
	}
	cmd := exec.Command(bin, "adapt", "--config", "../deploy/caddy/Caddyfile", "--adapter", "caddyfile")
	cmd.Env = append(os.Environ(), "HOME="+t.TempDir(), "DUKAAN_BASE_DOMAIN=shops.example.in", "CADDY_UPSTREAMS=edge:8080",
		"CADDY_ASK=app:8080", "CADDY_DNS=cloudflare token")
	out, err := cmd.CombinedOutput()
	if err == nil || !strings.Contains(string(out), "module not registered: dns.providers.cloudflare") {
		t.Errorf("caddy adapt: %v\n%s", err, out)
	}
}
