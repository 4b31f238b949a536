package main

import (
	"log/slog"
	"os"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"strings"
)

// The Go runtime does not know a container's memory limit: without
// GOMEMLIMIT its heap grows to twice the live data before a collection,
// and a replica near its cgroup limit is OOM-killed instead of collecting
// sooner. So serve sets the soft limit to memLimitShare of the cgroup's
// limit (the rest is for what the runtime does not count: stacks, cgo,
// fragmentation) unless GOMEMLIMIT is set. Read by hand: two files of
// cgroup v2 or v1, no dependency needed.
const memLimitShare = 0.9

// applyMemoryLimit sets the runtime's soft memory limit and logs it.
func applyMemoryLimit(log *slog.Logger) {
	// The process's own environment: the runtime read it at start.
	if v := os.Getenv("GOMEMLIMIT"); v != "" {
		log.Info("memory limit", "gomemlimit", v, "source", "GOMEMLIMIT")
		return
	}
	limit, source := cgroupMemoryLimit("/sys/fs/cgroup", "/proc/self/cgroup")
	if limit <= 0 {
		log.Info("memory limit", "gomemlimit", "none", "source", "no cgroup memory limit found")
		return
	}
	soft := int64(float64(limit) * memLimitShare)
	debug.SetMemoryLimit(soft)
	log.Info("memory limit", "gomemlimit", soft, "cgroup_limit", limit, "source", source)
}

// cgroupMemoryLimit is the memory limit of this process's cgroup (v2
// memory.max, else v1 memory.limit_in_bytes) under root, or 0 when there
// is none. selfCgroup is /proc/self/cgroup, which names the process's own
// cgroup; inside a container that is usually the root of root.
func cgroupMemoryLimit(root, selfCgroup string) (int64, string) {
	var v2, v1 []string
	if b, err := os.ReadFile(selfCgroup); err == nil {
		for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
			parts := strings.SplitN(line, ":", 3)
			if len(parts) != 3 {
				continue
			}
			switch {
			case parts[0] == "0" && parts[1] == "":
				v2 = append(v2, filepath.Join(root, parts[2], "memory.max"))
			case strings.Contains(","+parts[1]+",", ",memory,"):
				v1 = append(v1, filepath.Join(root, "memory", parts[2], "memory.limit_in_bytes"))
			}
		}
	}
	v2 = append(v2, filepath.Join(root, "memory.max"))
	v1 = append(v1, filepath.Join(root, "memory", "memory.limit_in_bytes"))
	for _, f := range v2 {
		if n := readLimit(f); n > 0 {
			return n, "cgroup v2 " + f
		}
	}
	for _, f := range v1 {
		if n := readLimit(f); n > 0 {
			return n, "cgroup v1 " + f
		}
	}
	return 0, ""
}

// readLimit reads a limit file: "max" (v2) or a value of 2^62 or more (v1's
// "unlimited", rounded to a page) is no limit.
func readLimit(file string) int64 {
	b, err := os.ReadFile(file)
	if err != nil {
		return 0
	}
	n, err := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
	if err != nil || n <= 0 || n >= 1<<62 {
		return 0
	}
	return n
}
