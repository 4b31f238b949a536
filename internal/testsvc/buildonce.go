package testsvc

import (
	"os"
	"sync"
	"testing"
	"time"
)

// Binary is a command of the module that a package's tests run as a
// separate process, built once for the whole test binary (by the first
// test that asks) into a directory Main removes. Every Binary of a test
// binary shares that directory, so dukaan-lab finds the dukaan beside it
// as it does in bin/.
type Binary struct {
	Name  string   // the directory under cmd/: dukaan, dukaan-lab
	Env   []string // added to the environment of go build (CGO_ENABLED=0…)
	Flags []string // go build flags (-trimpath…)

	once sync.Once
	path string
	err  error
}

// Path builds the binary on first use and returns its path; a failed
// build fails tb (and every later caller).
func (b *Binary) Path(tb testing.TB) string {
	tb.Helper()
	b.once.Do(func() {
		dir, err := buildDir()
		if err != nil {
			b.err = err
			return
		}
		began := time.Now()
		b.path, b.err = BuildCommand(dir, b.Name, b.Env, b.Flags...)
		if b.err == nil {
			tb.Logf("built %s in %s", b.path, time.Since(began).Round(100*time.Millisecond))
		}
	})
	if b.err != nil {
		tb.Fatal(b.err)
	}
	return b.path
}

var (
	builds    sync.Mutex
	buildPath string
)

func buildDir() (string, error) {
	builds.Lock()
	defer builds.Unlock()
	if buildPath == "" {
		d, err := os.MkdirTemp("", "dukaan-test-bin-")
		if err != nil {
			return "", err
		}
		buildPath = d
	}
	return buildPath, nil
}

// Main is TestMain for a package with Binaries: it runs the tests, then
// removes what they built.
func Main(m *testing.M) {
	code := m.Run()
	builds.Lock()
	if buildPath != "" {
		os.RemoveAll(buildPath)
	}
	builds.Unlock()
	os.Exit(code)
}
