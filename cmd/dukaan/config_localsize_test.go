package main

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestLocalSize: DUKAAN_LOCAL_SIZE=0 turns the local tier off (the bench
// measures the Redis tier alone with it), and sizes go-tinylfu cannot hold
// are refused instead of panicking on the first shop request.
func TestLocalSize(t *testing.T) {
	tests := []struct {
		value string
		tier  int    // LocalTierSize when valid
		bad   string // in the error when invalid
	}{
		{"0", -1, ""},
		{"3", 3, ""},
		{"10000", 10000, ""},
		{"1", 0, "DUKAAN_LOCAL_SIZE"},
		{"2", 0, "DUKAAN_LOCAL_SIZE"},
		{"-5", 0, "DUKAAN_LOCAL_SIZE"},
	}
	for _, tt := range tests {
		t.Run(tt.value, func(t *testing.T) {
			cfg, err := LoadConfig(map[string]string{
				"DUKAAN_ENV": "test", "DATABASE_URL": filepath.Join(t.TempDir(), "dukaan.db"),
				"DUKAAN_LOCAL_SIZE": tt.value,
			})
			if err != nil {
				t.Fatalf("LoadConfig: %v", err)
			}
			err = cfg.Validate()
			if tt.bad != "" {
				if err == nil || !strings.Contains(err.Error(), tt.bad) {
					t.Errorf("Validate() = %v, want an error naming %s", err, tt.bad)
				}
				return
			}
			if err != nil {
				t.Fatalf("Validate() = %v", err)
			}
			if got := cfg.LocalTierSize(); got != tt.tier {
				t.Errorf("LocalTierSize() = %d, want %d", got, tt.tier)
			}
		})
	}
}
