package proc

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
)

// Info is one process as /proc shows it.
type Info struct {
	Pid, PPid int
	State     byte     // R, S, D, Z (zombie)…
	Args      []string // the command line
	Environ   []string // readable for our own user's processes only
}

// Processes lists the machine's processes from /proc, for a parent or a
// test to find what a child left behind (nginx workers, chromium helpers,
// anything started with a data directory). A process that exits while it
// is read is left out.
func Processes() ([]Info, error) {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil, err
	}
	var out []Info
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		dir := filepath.Join("/proc", e.Name())
		stat, err := os.ReadFile(filepath.Join(dir, "stat"))
		if err != nil {
			continue
		}
		// pid (comm) state ppid …; comm may hold spaces and parentheses,
		// so the fields start after the last ')'.
		i := bytes.LastIndexByte(stat, ')')
		if i < 0 {
			continue
		}
		f := bytes.Fields(stat[i+1:])
		if len(f) < 2 || len(f[0]) == 0 {
			continue
		}
		ppid, _ := strconv.Atoi(string(f[1]))
		cmdline, _ := os.ReadFile(filepath.Join(dir, "cmdline"))
		environ, _ := os.ReadFile(filepath.Join(dir, "environ"))
		out = append(out, Info{Pid: pid, PPid: ppid, State: f[0][0], Args: nulSplit(cmdline), Environ: nulSplit(environ)})
	}
	return out, nil
}

func nulSplit(b []byte) []string {
	b = bytes.TrimSuffix(b, []byte{0})
	if len(b) == 0 {
		return nil
	}
	var out []string
	for _, s := range bytes.Split(b, []byte{0}) {
		out = append(out, string(s))
	}
	return out
}
