package main

import (
	"strings"
	"testing"
	"time"
)

// TestConfigEdges: DUKAAN_EDGES takes base URLs and dns+http:// names
// (discovered edges, refreshed every DUKAAN_EDGE_REFRESH); anything else
// stops the program naming the variable.
func TestConfigEdges(t *testing.T) {
	load := func(t *testing.T, env map[string]string) Config {
		t.Helper()
		env["DUKAAN_ENV"] = "test"
		cfg, err := LoadConfig(env)
		if err != nil {
			t.Fatalf("LoadConfig: %v", err)
		}
		return cfg
	}
	if cfg := load(t, map[string]string{}); cfg.EdgeRefresh != 10*time.Second {
		t.Errorf("DUKAAN_EDGE_REFRESH default = %s, want 10s", cfg.EdgeRefresh)
	}
	for _, ok := range []map[string]string{
		{"DUKAAN_EDGES": "http://127.0.0.1:8000"},
		{"DUKAAN_EDGES": "dns+http://edge-headless.dukaan.svc.cluster.local:8080"},
		{"DUKAAN_EDGES": "http://127.0.0.1:8000, dns+http://edges.internal:8080", "DUKAAN_EDGE_REFRESH": "30s"},
		{"DUKAAN_EDGES": "dns+https://edges.internal", "DUKAAN_EDGE_REFRESH": "1s"},
	} {
		if err := load(t, ok).Validate(); err != nil {
			t.Errorf("%v: Validate() = %v, want ok", ok, err)
		}
	}
	for _, bad := range []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{"DUKAAN_EDGES": "127.0.0.1:8000"}, "DUKAAN_EDGES"},
		{map[string]string{"DUKAAN_EDGES": "dns+http://edges:8080/purge"}, "DUKAAN_EDGES"},
		{map[string]string{"DUKAAN_EDGES": "dns+ftp://edges:8080"}, "DUKAAN_EDGES"},
		{map[string]string{"DUKAAN_EDGES": "dns+http://10.1.2.3:8080"}, "DUKAAN_EDGES"},
		{map[string]string{"DUKAAN_EDGE_REFRESH": "100ms"}, "DUKAAN_EDGE_REFRESH"},
		{map[string]string{"DUKAAN_EDGE_REFRESH": "0s"}, "DUKAAN_EDGE_REFRESH"},
		{map[string]string{"DUKAAN_EDGE_REFRESH": "2h"}, "DUKAAN_EDGE_REFRESH"},
	} {
		if err := load(t, bad.env).Validate(); err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("%v: Validate() = %v, want an error naming %s", bad.env, err, bad.want)
		}
	}
	if _, err := LoadConfig(map[string]string{"DUKAAN_EDGE_REFRESH": "often"}); err == nil || !strings.Contains(err.Error(), "DUKAAN_EDGE_REFRESH") {
		t.Errorf("LoadConfig(DUKAAN_EDGE_REFRESH=often) = %v, want an error naming it", err)
	}
}
