package testsvc

import (
	"os"
	"testing"
)

// Unavailable ends a test that cannot run because something it needs (a
// program, a service) is missing: it fails under CI=true — CI installs
// everything, and a test that did not run must not pass there — and skips
// everywhere else, so `make test` works on a machine with Go alone.
func Unavailable(tb testing.TB, format string, args ...any) {
	tb.Helper()
	if os.Getenv("CI") == "true" {
		tb.Fatalf(format, args...)
	}
	tb.Skipf(format, args...)
}
