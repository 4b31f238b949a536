// Package deploy holds the deployment files (Dockerfiles, compose and
// Kubernetes support files); its tests render docker-compose.yml and the
// kustomize overlay with the real tools and check what they produce, and
// that the app would accept the configuration they give it.
package deploy

import (
	"bytes"
	"context"
	"debug/elf"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/goccy/go-yaml"

	"dukaan/internal/proc"
	"dukaan/internal/testsvc"
)

// root is the repository root (this package is deploy/).
func root(t *testing.T) string {
	t.Helper()
	abs, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	return abs
}

// tool finds a binary; missing, the test is skipped, or fails under CI.
func tool(t *testing.T, name string, also ...string) string {
	t.Helper()
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	for _, p := range also {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	testsvc.Unavailable(t, "%s is not installed (.ci/run installs it)", name)
	return ""
}

// command runs name args in dir with env (nil: this process's) and returns
// stdout; stderr goes into the error.
func command(t *testing.T, dir string, env []string, name string, args ...string) ([]byte, error) {
	t.Helper()
	// A cold static build recompiles the standard library without cgo:
	// minutes on a small, busy machine.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir, cmd.Env = dir, env
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		return out.Bytes(), errors.New(err.Error() + ": " + errb.String())
	}
	return out.Bytes(), nil
}

// m and friends walk decoded YAML.
type m = map[string]any

func get(v any, path ...string) any {
	for _, k := range path {
		mm, ok := v.(m)
		if !ok {
			return nil
		}
		v = mm[k]
	}
	return v
}

func str(v any, path ...string) string {
	s, _ := get(v, path...).(string)
	return s
}

func list(v any, path ...string) []any {
	l, _ := get(v, path...).([]any)
	return l
}

// ---------------------------------------------------------------------------
// The app binary, built as deploy/Dockerfile builds it.

// static is cmd/dukaan as the image holds it.
var static = &testsvc.Binary{Name: "dukaan", Env: []string{"CGO_ENABLED=0", "GOOS=linux"}, Flags: []string{"-trimpath"}}

func appBinary(t *testing.T) string {
	t.Helper()
	return static.Path(t)
}

// TestMain removes the binary the tests built.
func TestMain(m *testing.M) { testsvc.Main(m) }

// TestStaticBinary: the image's binary needs no libc (distroless/static):
// built with CGO_ENABLED=0 it has no ELF interpreter and no dynamic
// section. The Dockerfile builds it that way, as a non-root user.
func TestStaticBinary(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("ELF check on Linux only")
	}
	f, err := elf.Open(appBinary(t))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP || p.Type == elf.PT_DYNAMIC {
			t.Errorf("the binary has a %v program header: it is not static", p.Type)
		}
	}
	if libs, _ := f.ImportedLibraries(); len(libs) > 0 {
		t.Errorf("the binary links %v", libs)
	}

	df, err := os.ReadFile(filepath.Join(root(t), "deploy", "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	d := string(df)
	for _, want := range []string{"FROM golang:1.26", "CGO_ENABLED=0", "-trimpath", "./cmd/dukaan", "USER 65532", "EXPOSE 8080", "DUKAAN_ADDR=0.0.0.0:8080", `"health"`} {
		if !strings.Contains(d, want) {
			t.Errorf("deploy/Dockerfile lacks %q", want)
		}
	}
	ef, err := os.ReadFile(filepath.Join(root(t), "deploy", "edge", "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"nginx-light", "libnginx-mod-http-cache-purge", "mtail", "prometheus-nginx-exporter", "CGO_ENABLED=0", "USER 10001"} {
		if !strings.Contains(string(ef), want) {
			t.Errorf("deploy/edge/Dockerfile lacks %q", want)
		}
	}
}

// placeholderRE matches the example files' stand-in secrets.
var placeholderRE = regexp.MustCompile(`(?i)(REPLACE-ME|FAKE)[A-Za-z0-9_-]*`)

// deployed is env as an operator deploys it: every placeholder replaced
// by a random value, as the example files tell them to.
func deployed(env map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range env {
		out[k] = placeholderRE.ReplaceAllStringFunc(v, func(string) string {
			return proc.RandomHex(24)
		})
	}
	return out
}

// runMigrate runs `dukaan migrate` with env as its whole environment.
func runMigrate(t *testing.T, env map[string]string) ([]byte, error) {
	t.Helper()
	bin := appBinary(t)
	var kv []string
	for k, v := range env {
		kv = append(kv, k+"="+v)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "migrate")
	cmd.Env = kv
	return cmd.CombinedOutput()
}

// refusesPlaceholders: the example's values, copied unchanged, must not
// start a production app (they are published).
func refusesPlaceholders(t *testing.T, what string, env map[string]string) {
	t.Helper()
	out, _ := runMigrate(t, env)
	if !strings.Contains(string(out), "invalid configuration") || !strings.Contains(string(out), "placeholder") {
		t.Errorf("the app accepts the %s configuration with the example's placeholder secrets:\n%s", what, out)
	}
}

// acceptsConfig runs `dukaan migrate` with env alone: the app validates
// its configuration first, then fails to reach the (absent) database. A
// refused configuration says "invalid configuration".
func acceptsConfig(t *testing.T, what string, env map[string]string) {
	t.Helper()
	out, err := runMigrate(t, env)
	if strings.Contains(string(out), "invalid configuration") {
		t.Errorf("the app refuses the %s configuration:\n%s", what, out)
	} else if err == nil {
		t.Errorf("dukaan migrate with the %s configuration succeeded; it should not reach a database here", what)
	} else if !strings.Contains(string(out), "postgres") && !strings.Contains(string(out), "storage") {
		t.Errorf("dukaan migrate with the %s configuration failed unexpectedly:\n%s", what, out)
	}
}

// ---------------------------------------------------------------------------
// docker-compose.yml

func composeConfig(t *testing.T, envFile string) (m, error) {
	t.Helper()
	bin := tool(t, "docker-compose")
	// A clean environment: no variable of the caller's fills a gap.
	env := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir()}
	out, err := command(t, root(t), env, bin, "-f", "docker-compose.yml", "--env-file", envFile, "config")
	if err != nil {
		return nil, err
	}
	var doc m
	if err := yaml.Unmarshal(out, &doc); err != nil {
		t.Fatalf("parsing docker-compose config output: %v\n%s", err, out)
	}
	return doc, nil
}

func TestCompose(t *testing.T) {
	doc, err := composeConfig(t, ".env.example")
	if err != nil {
		t.Fatalf("docker-compose config: %v", err)
	}
	svc := func(name string) any {
		t.Helper()
		s := get(doc, "services", name)
		if s == nil {
			t.Fatalf("service %q missing from docker-compose.yml", name)
		}
		return s
	}
	for _, name := range []string{"app", "postgres", "redis", "edge", "prometheus", "grafana", "edge-log-exporter", "edge-nginx-exporter"} {
		svc(name)
	}
	if got := str(svc("app"), "build", "dockerfile"); got != "deploy/Dockerfile" {
		t.Errorf("app builds %q, want deploy/Dockerfile", got)
	}
	if got := str(svc("edge"), "build", "dockerfile"); got != "deploy/edge/Dockerfile" {
		t.Errorf("edge builds %q, want deploy/edge/Dockerfile", got)
	}

	// Health checks, and start order on them.
	healthcheck := func(name string, want ...string) {
		t.Helper()
		var parts []string
		for _, p := range list(svc(name), "healthcheck", "test") {
			s, _ := p.(string)
			parts = append(parts, s)
		}
		joined := strings.Join(parts, " ")
		for _, w := range want {
			if !strings.Contains(joined, w) {
				t.Errorf("%s healthcheck %q lacks %q", name, joined, w)
			}
		}
	}
	healthcheck("app", "dukaan", "health", "/readyz")
	healthcheck("postgres", "pg_isready")
	healthcheck("redis", "redis-cli", "ping")
	healthcheck("edge", "health")
	dependsHealthy := func(name string, on ...string) {
		t.Helper()
		for _, o := range on {
			if got := str(svc(name), "depends_on", o, "condition"); got != "service_healthy" {
				t.Errorf("%s depends_on %s: condition %q, want service_healthy", name, o, got)
			}
		}
	}
	dependsHealthy("app", "postgres", "redis")
	dependsHealthy("edge", "app")

	// Named volumes, and who mounts them.
	for _, v := range []string{"postgres", "images", "edge-cache", "edge-logs", "prometheus", "grafana"} {
		if _, ok := get(doc, "volumes").(m)[v]; !ok {
			t.Errorf("named volume %q is not declared", v)
		}
	}
	mounts := func(name, source, target string) {
		t.Helper()
		for _, v := range list(svc(name), "volumes") {
			var src, dst string
			switch v := v.(type) {
			case string:
				parts := strings.Split(v, ":")
				if len(parts) >= 2 {
					src, dst = parts[0], parts[1]
				}
			case m:
				src, dst = str(v, "source"), str(v, "target")
			}
			if (src == source || strings.HasSuffix(src, "/"+source)) && dst == target {
				return
			}
		}
		t.Errorf("%s does not mount %s at %s: %v", name, source, target, list(svc(name), "volumes"))
	}
	mounts("postgres", "postgres", "/var/lib/postgresql/data")
	mounts("app", "images", "/var/lib/dukaan/images")
	mounts("edge", "edge-cache", "/var/lib/dukaan-edge/cache")
	mounts("edge", "edge-logs", "/var/lib/dukaan-edge/logs")
	mounts("edge-log-exporter", "edge-logs", "/var/lib/dukaan-edge/logs")
	mounts("prometheus", "deploy/compose/prometheus.yml", "/etc/prometheus/prometheus.yml")
	mounts("prometheus", "monitoring/rules", "/etc/prometheus/rules")
	mounts("grafana", "monitoring/grafana/dashboards", "/var/lib/grafana/dashboards/dukaan")
	mounts("grafana", "monitoring/grafana/provisioning/dashboards", "/etc/grafana/provisioning/dashboards")
	mounts("grafana", "deploy/compose/grafana/datasources", "/etc/grafana/provisioning/datasources")

	// The edge is published; the exporter reads stub_status on its loopback.
	if len(list(svc("edge"), "ports")) == 0 {
		t.Error("the edge publishes no port")
	}
	if got := str(svc("edge-nginx-exporter"), "network_mode"); got != "service:edge" {
		t.Errorf("edge-nginx-exporter network_mode %q, want service:edge (stub_status answers loopback only)", got)
	}
	var mtailCmd []string
	for _, a := range list(svc("edge-log-exporter"), "command") {
		s, _ := a.(string)
		mtailCmd = append(mtailCmd, s)
	}
	if c := strings.Join(mtailCmd, " "); !strings.Contains(c, "mtail") || !strings.Contains(c, "/var/lib/dukaan-edge/logs/access.log") {
		t.Errorf("edge-log-exporter runs %q, want mtail on the edge's access log", c)
	}

	// The app's environment is one the app accepts in production, and its
	// purge discovery names the edge service.
	env := map[string]string{}
	for k, v := range get(svc("app"), "environment").(m) {
		s, _ := v.(string)
		env[k] = s
	}
	if env["DUKAAN_ENV"] != "production" || env["DUKAAN_SEED_DEMO"] != "false" {
		t.Errorf("app: DUKAAN_ENV=%q DUKAAN_SEED_DEMO=%q, want production and an explicit false", env["DUKAAN_ENV"], env["DUKAAN_SEED_DEMO"])
	}
	if u, err := url.Parse(env["DUKAAN_EDGES"]); err != nil || u.Scheme != "dns+http" || u.Hostname() != "edge" {
		t.Errorf("app DUKAAN_EDGES=%q, want dns+http://edge:<port>", env["DUKAAN_EDGES"])
	}
	if got, want := str(svc("edge"), "environment", "EDGE_PURGE_ALLOW"), env["DUKAAN_TRUSTED_PROXIES"]; got == "" || got != want {
		t.Errorf("edge EDGE_PURGE_ALLOW=%q, want the compose network the app trusts (%q)", got, want)
	}
	refusesPlaceholders(t, "docker-compose app", env)
	acceptsConfig(t, "docker-compose app", deployed(env))
	if got := str(svc("edge"), "environment", "EDGE_PURGE_TOKEN"); got == "" || got != env["DUKAAN_EDGE_PURGE_TOKEN"] {
		t.Errorf("edge EDGE_PURGE_TOKEN=%q, want the app's DUKAAN_EDGE_PURGE_TOKEN (%q)", got, env["DUKAAN_EDGE_PURGE_TOKEN"])
	}

	// Prometheus targets the compose services under the rules' job names.
	prom, err := os.ReadFile(filepath.Join(root(t), "deploy", "compose", "prometheus.yml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"job_name: dukaan\n", "names: [app]", "job_name: dukaan-edge-log", "edge-log-exporter:3903", "job_name: dukaan-edge-nginx", "edge:9113"} {
		if !strings.Contains(string(prom), want) {
			t.Errorf("deploy/compose/prometheus.yml lacks %q", want)
		}
	}
	ds, err := os.ReadFile(filepath.Join(root(t), "deploy", "compose", "grafana", "datasources", "prometheus.yml"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(ds), "url: http://prometheus:9090") || !strings.Contains(string(ds), "uid: dukaan-prometheus") {
		t.Errorf("the compose Grafana datasource must be uid dukaan-prometheus at http://prometheus:9090:\n%s", ds)
	}
}

// TestComposeSecrets: no secret is written in docker-compose.yml, and
// compose refuses to run without them.
func TestComposeSecrets(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join(root(t), "docker-compose.yml"))
	if err != nil {
		t.Fatal(err)
	}
	var doc m
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	secretish := func(k string) bool {
		k = strings.ToUpper(k)
		return strings.Contains(k, "SECRET") || strings.Contains(k, "TOKEN") || strings.Contains(k, "PASSWORD")
	}
	seen := 0
	for name, s := range get(doc, "services").(m) {
		envs, _ := get(s, "environment").(m)
		for k, v := range envs {
			val, _ := v.(string)
			if secretish(k) {
				seen++
				if !strings.HasPrefix(val, "${") || !strings.Contains(val, ":?") {
					t.Errorf("%s: %s=%q is not a required ${VAR:?…} reference", name, k, val)
				}
			}
			if u, err := url.Parse(val); err == nil && u.User != nil {
				if p, ok := u.User.Password(); ok && !strings.HasPrefix(p, "${") {
					t.Errorf("%s: %s carries a literal password", name, k)
				}
			}
		}
	}
	if seen < 4 {
		t.Errorf("found %d secret variables in docker-compose.yml, want DUKAAN_SECRET, DUKAAN_PURGE_TOKEN, POSTGRES_PASSWORD, GF_SECURITY_ADMIN_PASSWORD", seen)
	}
	ex, err := os.ReadFile(filepath.Join(root(t), ".env.example"))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(ex), "\n") {
		k, v, ok := strings.Cut(line, "=")
		if ok && !strings.HasPrefix(k, "#") && secretish(k) && !strings.Contains(v, "REPLACE-ME") {
			t.Errorf(".env.example: %s=%q is not an obvious placeholder", k, v)
		}
	}

	empty := filepath.Join(t.TempDir(), "empty.env")
	if err := os.WriteFile(empty, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := composeConfig(t, empty); err == nil || !strings.Contains(err.Error(), ".env") {
		t.Errorf("docker-compose config without secrets: %v, want a refusal pointing at .env", err)
	}
}

// TestComposePrometheusConfig: the compose Prometheus config loads, with
// the rules laid out as the container mounts them.
func TestComposePrometheusConfig(t *testing.T) {
	promtool := tool(t, "promtool")
	dir := t.TempDir()
	copyFile := func(src, dst string) {
		t.Helper()
		b, err := os.ReadFile(src)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(dst, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	copyFile(filepath.Join(root(t), "deploy", "compose", "prometheus.yml"), filepath.Join(dir, "prometheus.yml"))
	rules, _ := filepath.Glob(filepath.Join(root(t), "monitoring", "rules", "*.yml"))
	if len(rules) == 0 {
		t.Fatal("no monitoring/rules/*.yml")
	}
	for _, r := range rules {
		copyFile(r, filepath.Join(dir, "rules", filepath.Base(r)))
	}
	if out, err := command(t, dir, nil, promtool, "check", "config", "prometheus.yml"); err != nil {
		t.Errorf("promtool check config: %v\n%s", err, out)
	}
}

// ---------------------------------------------------------------------------
// deploy/k8s

func kustomize(t *testing.T, dir string) []m {
	t.Helper()
	kubectl := tool(t, "kubectl", "/usr/bin/kubectl", "/usr/local/bin/kubectl")
	out, err := command(t, root(t), nil, kubectl, "kustomize", dir)
	if err != nil {
		t.Fatalf("kubectl kustomize %s: %v", dir, err)
	}
	var objs []m
	dec := yaml.NewDecoder(bytes.NewReader(out))
	for {
		var o m
		if err := dec.Decode(&o); err == io.EOF {
			break
		} else if err != nil {
			t.Fatalf("parsing kustomize output: %v", err)
		}
		if o != nil {
			objs = append(objs, o)
		}
	}
	return objs
}

func find(objs []m, kind, name string) m {
	for _, o := range objs {
		if str(o, "kind") == kind && str(o, "metadata", "name") == name {
			return o
		}
	}
	return nil
}

func intOf(v any) int {
	switch n := v.(type) {
	case uint64:
		return int(n)
	case int64:
		return int(n)
	case int:
		return n
	case float64:
		return int(n)
	}
	return -1
}

func TestKustomize(t *testing.T) {
	if base := kustomize(t, "deploy/k8s/base"); find(base, "Deployment", "dukaan-app") == nil {
		t.Error("the base renders no dukaan-app Deployment")
	}
	objs := kustomize(t, "deploy/k8s/overlays/example")
	must := func(kind, name string) m {
		t.Helper()
		o := find(objs, kind, name)
		if o == nil {
			t.Fatalf("%s %s missing", kind, name)
		}
		if ns := str(o, "metadata", "namespace"); kind != "Namespace" && ns != "dukaan" {
			t.Errorf("%s %s in namespace %q, want the overlay's dukaan", kind, name, ns)
		}
		return o
	}
	container := func(d m, name string) m {
		t.Helper()
		for _, c := range list(d, "spec", "template", "spec", "containers") {
			if str(c, "name") == name {
				return c.(m)
			}
		}
		t.Fatalf("%s has no container %q", str(d, "metadata", "name"), name)
		return nil
	}

	// Caddy in front of the edges keeps its certificates on a claim.
	cd := must("Deployment", "dukaan-caddy")
	must("PersistentVolumeClaim", "dukaan-caddy-data")
	if sv := must("Service", "dukaan-caddy"); str(sv, "spec", "type") != "LoadBalancer" {
		t.Errorf("dukaan-caddy Service type %q, want LoadBalancer", str(sv, "spec", "type"))
	}
	caddyClaim := ""
	for _, vol := range list(cd, "spec", "template", "spec", "volumes") {
		if str(vol, "name") == "data" {
			caddyClaim = str(vol, "persistentVolumeClaim", "claimName")
		}
	}
	if caddyClaim != "dukaan-caddy-data" {
		t.Errorf("Caddy's data volume is claim %q, want dukaan-caddy-data", caddyClaim)
	}

	app := must("Deployment", "dukaan-app")
	if n := intOf(get(app, "spec", "replicas")); n < 2 {
		t.Errorf("app replicas = %d, want ≥ 2", n)
	}
	c := container(app, "app")
	if p := str(c, "readinessProbe", "httpGet", "path"); p != "/readyz" {
		t.Errorf("app readiness probe %q, want /readyz", p)
	}
	if p := str(c, "livenessProbe", "httpGet", "path"); p != "/healthz" {
		t.Errorf("app liveness probe %q, want /healthz", p)
	}
	for _, r := range []string{"requests", "limits"} {
		if get(c, "resources", r, "cpu") == nil || get(c, "resources", r, "memory") == nil {
			t.Errorf("app resources.%s lacks cpu or memory", r)
		}
	}
	if get(app, "spec", "template", "spec", "securityContext", "runAsNonRoot") != true || get(c, "securityContext", "readOnlyRootFilesystem") != true {
		t.Error("app must run as non-root with a read-only root filesystem")
	}
	// Photos: every replica mounts one ReadWriteMany claim at DUKAAN_IMAGE_DIR.
	var claim string
	for _, vol := range list(app, "spec", "template", "spec", "volumes") {
		if str(vol, "name") == "images" {
			claim = str(vol, "persistentVolumeClaim", "claimName")
		}
	}
	if claim == "" {
		t.Error("the app's images volume is not a PersistentVolumeClaim: photos would live in one pod")
	} else if modes := fmt.Sprint(get(must("PersistentVolumeClaim", claim), "spec", "accessModes")); !strings.Contains(modes, "ReadWriteMany") {
		t.Errorf("PersistentVolumeClaim %s has access modes %s, want ReadWriteMany (every replica writes and reads photos)", claim, modes)
	}
	if !strings.HasPrefix(str(c, "image"), "registry.example.invalid/dukaan:") {
		t.Errorf("app image %q: the overlay's images did not apply", str(c, "image"))
	}

	// The app's environment: ConfigMap and Secret, as generated.
	env := map[string]string{}
	for _, ef := range list(c, "envFrom") {
		if n := str(ef, "configMapRef", "name"); n != "" {
			cm := must("ConfigMap", n)
			for k, v := range get(cm, "data").(m) {
				env[k], _ = v.(string)
			}
		}
		if n := str(ef, "secretRef", "name"); n != "" {
			s := must("Secret", n)
			for k, v := range get(s, "data").(m) {
				enc, _ := v.(string)
				dec, err := base64.StdEncoding.DecodeString(strings.ReplaceAll(enc, "\n", ""))
				if err != nil {
					t.Fatalf("Secret %s key %s: %v", n, k, err)
				}
				env[k] = string(dec)
			}
		}
	}
	for _, k := range []string{"DUKAAN_SECRET", "DUKAAN_PURGE_TOKEN", "DATABASE_URL"} {
		if env[k] == "" {
			t.Errorf("the app gets no %s from its ConfigMap/Secret", k)
		}
	}
	refusesPlaceholders(t, "Kubernetes app", env)
	acceptsConfig(t, "Kubernetes app", deployed(env))

	// Purge discovery: DUKAAN_EDGES names the headless Service.
	u, err := url.Parse(env["DUKAAN_EDGES"])
	if err != nil || u.Scheme != "dns+http" {
		t.Fatalf("app DUKAAN_EDGES=%q, want dns+http://<headless service>:<port>", env["DUKAAN_EDGES"])
	}
	svcName, _, _ := strings.Cut(u.Hostname(), ".")
	headless := must("Service", svcName)
	if got := str(headless, "spec", "clusterIP"); got != "None" {
		t.Errorf("Service %s (in DUKAAN_EDGES) has clusterIP %q, want None (headless)", svcName, got)
	}
	if get(headless, "spec", "publishNotReadyAddresses") == true {
		t.Errorf("Service %s publishes unready edges", svcName)
	}
	if rest := strings.TrimPrefix(u.Hostname(), svcName); rest != "" && !strings.HasPrefix(rest, ".dukaan.") {
		t.Errorf("DUKAAN_EDGES host %q is not in the overlay's namespace", u.Hostname())
	}
	edge := must("Deployment", "dukaan-edge")
	if sel := get(headless, "spec", "selector", "app.kubernetes.io/name"); sel != get(edge, "spec", "template", "metadata", "labels", "app.kubernetes.io/name") {
		t.Errorf("headless Service selects %v, not the edge pods", sel)
	}
	ports := list(headless, "spec", "ports")
	if len(ports) == 0 || intOf(get(ports[0], "port")) != mustAtoi(t, u.Port()) {
		t.Errorf("headless Service ports %v do not include DUKAAN_EDGES's port %s", ports, u.Port())
	}
	ec := container(edge, "edge")
	// The edge requires the purge token the app sends: the same Secret key.
	tokenFromSecret := false
	for _, e := range list(ec, "env") {
		if str(e, "name") == "EDGE_PURGE_TOKEN" && str(e, "valueFrom", "secretKeyRef", "key") == "DUKAAN_EDGE_PURGE_TOKEN" {
			tokenFromSecret = true
		}
	}
	if !tokenFromSecret || env["DUKAAN_EDGE_PURGE_TOKEN"] == "" {
		t.Errorf("edge EDGE_PURGE_TOKEN from the Secret's DUKAAN_EDGE_PURGE_TOKEN: %v; app has the token: %v", tokenFromSecret, env["DUKAAN_EDGE_PURGE_TOKEN"] != "")
	}
	edgeListens := false
	for _, p := range list(ec, "ports") {
		if intOf(get(p, "containerPort")) == mustAtoi(t, u.Port()) {
			edgeListens = true
		}
	}
	if !edgeListens {
		t.Errorf("the edge container does not listen on DUKAAN_EDGES's port %s", u.Port())
	}

	// The edge: cache emptyDir, its ConfigMap, PURGE allowed from the pods.
	cacheMounted := false
	for _, vm := range list(ec, "volumeMounts") {
		if str(vm, "mountPath") == "/var/lib/dukaan-edge/cache" {
			for _, v := range list(edge, "spec", "template", "spec", "volumes") {
				if str(v, "name") == str(vm, "name") && get(v, "emptyDir") != nil {
					cacheMounted = true
				}
			}
		}
	}
	if !cacheMounted {
		t.Error("the edge has no emptyDir volume at /var/lib/dukaan-edge/cache")
	}
	var edgeEnv m
	for _, ef := range list(ec, "envFrom") {
		if n := str(ef, "configMapRef", "name"); n != "" {
			edgeEnv, _ = get(must("ConfigMap", n), "data").(m)
		}
	}
	allow, _ := edgeEnv["EDGE_PURGE_ALLOW"].(string)
	if allow == "" || allow == "0.0.0.0/0" || allow != env["DUKAAN_TRUSTED_PROXIES"] {
		t.Errorf("edge EDGE_PURGE_ALLOW=%q, want the pod CIDR the app trusts (%q)", allow, env["DUKAAN_TRUSTED_PROXIES"])
	}
	container(edge, "nginx-exporter")
	container(edge, "log-exporter")

	pdb := must("PodDisruptionBudget", "dukaan-app")
	if get(pdb, "spec", "selector", "matchLabels", "app.kubernetes.io/name") != "dukaan-app" {
		t.Error("the app PDB does not select the app pods")
	}
	hpa := must("HorizontalPodAutoscaler", "dukaan-app")
	if v := str(hpa, "apiVersion"); v != "autoscaling/v2" {
		t.Errorf("HPA apiVersion %q, want autoscaling/v2", v)
	}
	if n := intOf(get(hpa, "spec", "minReplicas")); n < 2 {
		t.Errorf("HPA minReplicas %d, want ≥ 2", n)
	}
	if got := str(hpa, "spec", "scaleTargetRef", "name"); got != "dukaan-app" {
		t.Errorf("HPA scales %q", got)
	}
	if got := str(must("Service", "dukaan-edge"), "spec", "type"); got != "LoadBalancer" {
		t.Errorf("the overlay's edge Service is %q, want LoadBalancer", got)
	}
	for _, name := range []string{"dukaan-postgres", "dukaan-redis"} {
		s := must("Service", name)
		if str(s, "spec", "type") != "ExternalName" || !strings.HasSuffix(str(s, "spec", "externalName"), ".example.invalid") {
			t.Errorf("Service %s: %v %v, want the overlay's ExternalName", name, get(s, "spec", "type"), get(s, "spec", "externalName"))
		}
	}
	if db, err := url.Parse(env["DATABASE_URL"]); err != nil || db.Hostname() != "dukaan-postgres" {
		t.Errorf("DATABASE_URL host is not the dukaan-postgres Service: %q", env["DATABASE_URL"])
	}
}

func mustAtoi(t *testing.T, s string) int {
	t.Helper()
	n := 0
	for _, r := range s {
		if r < '0' || r > '9' {
			t.Fatalf("not a port: %q", s)
		}
		n = n*10 + int(r-'0')
	}
	return n
}
