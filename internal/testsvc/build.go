package testsvc

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"time"
)

// BuildDukaan builds cmd/dukaan into dir for tests that run it as a
// separate process, and returns the binary's path. The binary gets the race
// detector when this test binary has it (sharing the packages `make test`
// already compiled), unless env turns cgo off, as a static build does
// (deploy/Dockerfile: CGO_ENABLED=0). env is added to this process's
// environment; flags go before the package.
func BuildDukaan(dir string, env []string, flags ...string) (string, error) {
	return BuildCommand(dir, "dukaan", env, flags...)
}

// BuildCommand is BuildDukaan for any command of the module: name is the
// directory under cmd/ (dukaan, dukaan-lab) and the binary's name in dir.
func BuildCommand(dir, name string, env []string, flags ...string) (string, error) {
	goBin := filepath.Join(runtime.GOROOT(), "bin", "go")
	if _, err := os.Stat(goBin); err != nil {
		goBin = "go"
	}
	bin := filepath.Join(dir, name)
	args := append([]string{"build", "-o", bin}, flags...)
	if raceEnabled && !slices.Contains(env, "CGO_ENABLED=0") {
		args = append(args, "-race")
	}
	// A cold static build recompiles the standard library without cgo:
	// minutes on a small, busy machine.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, goBin, append(args, "dukaan/cmd/"+name)...)
	cmd.Env = append(os.Environ(), env...)
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build ./cmd/%s: %v\n%s", name, err, out)
	}
	return bin, nil
}
