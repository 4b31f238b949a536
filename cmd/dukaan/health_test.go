package main

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// TestHealth: `dukaan health` succeeds on 200 only, and gives up after
// its timeout.
func TestHealth(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/readyz":
			io.WriteString(w, "ok")
		case "/down":
			http.Error(w, "database unreachable", http.StatusServiceUnavailable)
		case "/slow":
			select {
			case <-release:
			case <-r.Context().Done():
			}
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	defer close(release)
	ctx := context.Background()

	var out strings.Builder
	if err := run(ctx, []string{"health", "--url", srv.URL + "/readyz"}, nil, &out); err != nil {
		t.Fatalf("health on 200: %v", err)
	}
	if !strings.Contains(out.String(), "ok") {
		t.Errorf("health output %q", out.String())
	}
	for _, path := range []string{"/down", "/missing"} {
		if err := run(ctx, []string{"health", "--url", srv.URL + path}, nil, io.Discard); err == nil {
			t.Errorf("health on %s: nil error, want a failure", path)
		}
	}
	start := time.Now()
	err := run(ctx, []string{"health", "--url", srv.URL + "/slow", "--timeout", "200ms"}, nil, io.Discard)
	if err == nil || time.Since(start) > 2*time.Second {
		t.Errorf("health on a hanging server: %v after %s, want an error after ~200ms", err, time.Since(start))
	}
	// Nothing listening.
	srv2 := httptest.NewServer(http.NotFoundHandler())
	addr := srv2.URL
	srv2.Close()
	if err := run(ctx, []string{"health", "--url", addr + "/readyz"}, nil, io.Discard); err == nil {
		t.Error("health with nothing listening: nil error")
	}
	// The default is the app's own readiness on the container's port.
	if err := run(ctx, []string{"health", "--url"}, nil, io.Discard); err == nil {
		t.Error("health --url without a value: nil error")
	}
}
