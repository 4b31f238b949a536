package main

import (
	"os"
	"path/filepath"
	"testing"
)

func TestCgroupMemoryLimit(t *testing.T) {
	write := func(t *testing.T, path, s string) {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name  string
		files map[string]string // relative to the root; "self" is /proc/self/cgroup
		want  int64
	}{
		{"v2 own cgroup", map[string]string{"self": "0::/app.slice/dukaan\n", "app.slice/dukaan/memory.max": "536870912\n", "memory.max": "max\n"}, 536870912},
		{"v2 namespaced root", map[string]string{"self": "0::/\n", "memory.max": "1073741824\n"}, 1073741824},
		{"v2 unlimited", map[string]string{"self": "0::/\n", "memory.max": "max\n"}, 0},
		{"v1", map[string]string{"self": "4:memory:/docker/abc\n0::/\n", "memory/docker/abc/memory.limit_in_bytes": "268435456\n"}, 268435456},
		{"v1 unlimited", map[string]string{"self": "4:memory:/\n", "memory/memory.limit_in_bytes": "9223372036854771712\n"}, 0},
		{"v1 controllers listed together", map[string]string{"self": "3:cpu,memory:/x\n", "memory/x/memory.limit_in_bytes": "1000000\n"}, 1000000},
		{"nothing", map[string]string{}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := t.TempDir()
			self := filepath.Join(t.TempDir(), "cgroup")
			for p, s := range tt.files {
				if p == "self" {
					write(t, self, s)
				} else {
					write(t, filepath.Join(root, p), s)
				}
			}
			if got, src := cgroupMemoryLimit(root, self); got != tt.want {
				t.Errorf("limit = %d (%s), want %d", got, src, tt.want)
			}
		})
	}
}
