package stack

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"
)

// proc is one child of the stack. It runs in a process group of its own:
// a Ctrl-C at the terminal reaches `dukaan stack` alone, which then stops
// the children in order, and killing the group also kills what a child
// started (`dukaan edge`'s nginx and its workers). If the stack itself
// dies, the kernel sends the child SIGTERM (Pdeathsig).
type proc struct {
	name     string
	cmd      *exec.Cmd
	log      string
	logStart int64 // where this run's lines begin
	stopSig  syscall.Signal

	done    chan struct{}
	waitErr error

	mu       sync.Mutex
	stopping bool
}

// spawnSpec is what to run.
type spawnSpec struct {
	name    string
	bin     string
	args    []string
	env     []string // the whole environment; nil inherits ours
	stopSig syscall.Signal
	cred    *syscall.Credential
	dir     string
}

func (s *Stack) spawn(sp spawnSpec) (*proc, error) {
	logPath := filepath.Join(s.logDir, sp.name+".log")
	lf, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	// Logs are kept across runs; error messages quote this run's part.
	var logStart int64
	if fi, err := lf.Stat(); err == nil {
		logStart = fi.Size()
	}
	fmt.Fprintf(lf, "# %s %s — %s\n", sp.bin, strings.Join(sp.args, " "), time.Now().Format(time.RFC3339))
	cmd := exec.Command(sp.bin, sp.args...)
	cmd.Env = sp.env
	cmd.Dir = sp.dir
	cmd.Stdout, cmd.Stderr = lf, lf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGTERM, Credential: sp.cred}
	if err := cmd.Start(); err != nil {
		lf.Close()
		return nil, fmt.Errorf("starting %s (%s): %w", sp.name, sp.bin, err)
	}
	if sp.stopSig == 0 {
		sp.stopSig = syscall.SIGTERM
	}
	p := &proc{name: sp.name, cmd: cmd, log: logPath, logStart: logStart, stopSig: sp.stopSig, done: make(chan struct{})}
	go func() {
		err := cmd.Wait()
		lf.Close()
		p.mu.Lock()
		p.waitErr = err
		stopping := p.stopping
		p.mu.Unlock()
		close(p.done)
		if !stopping {
			s.fail(fmt.Errorf("%s exited unexpectedly (%v); its log, %s, ends with:\n%s", p.name, err, p.log, p.tail()))
		}
	}()
	s.mu.Lock()
	s.procs = append(s.procs, p)
	s.mu.Unlock()
	return p, nil
}

func (p *proc) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// tail is the end of what the process logged, for error messages.
func (p *proc) tail() string {
	b, _ := os.ReadFile(p.log)
	if int64(len(b)) >= p.logStart {
		b = b[p.logStart:]
	}
	if len(b) > 1500 {
		b = b[len(b)-1500:]
	}
	return strings.TrimRight(string(b), "\n")
}

// stop sends the process its stop signal and waits; after timeout its whole
// process group is killed. It reports whether SIGKILL was needed.
func (p *proc) stop(timeout time.Duration) error {
	p.mu.Lock()
	if p.stopping && p.exited() {
		p.mu.Unlock()
		return nil
	}
	p.stopping = true
	p.mu.Unlock()
	if !p.exited() {
		_ = p.cmd.Process.Signal(p.stopSig)
	}
	var err error
	select {
	case <-p.done:
	case <-time.After(timeout):
		err = fmt.Errorf("%s ignored %s for %s and was killed", p.name, p.stopSig, timeout)
	}
	// Whatever the child left behind in its group (nginx workers of an
	// edge whose master died, …) goes too.
	_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
	<-p.done
	return err
}

// waitFor polls check every 50 ms until it succeeds, p exits, ctx ends, or
// timeout passes.
func waitFor(ctx context.Context, p *proc, timeout time.Duration, what string, check func() error) error {
	deadline := time.Now().Add(timeout)
	for {
		err := check()
		if err == nil {
			return nil
		}
		if p != nil && p.exited() {
			return fmt.Errorf("%s exited at start (%v); its log, %s, ends with:\n%s", p.name, p.waitErr, p.log, p.tail())
		}
		if time.Now().After(deadline) {
			msg := ""
			if p != nil {
				msg = fmt.Sprintf("\nits log, %s, ends with:\n%s", p.log, p.tail())
			}
			return fmt.Errorf("%s not ready within %s: %v%s", what, timeout, err, msg)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}

var probe = &http.Client{Timeout: 2 * time.Second}

// httpOK checks that GET url answers 200.
func httpOK(url string) func() error {
	return func() error {
		resp, err := probe.Get(url)
		if err != nil {
			return err
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("GET %s: %s", url, resp.Status)
		}
		return nil
	}
}

// claimPorts checks that every named port is free on 127.0.0.1, and
// replaces each 0 with a port that is. All are held open together while
// choosing, so two zeros never get the same port.
func claimPorts(ports []namedPort) error {
	var lns []net.Listener
	defer func() {
		for _, ln := range lns {
			ln.Close()
		}
	}()
	seen := map[int]string{}
	var errs []error
	for _, np := range ports {
		if *np.port < 0 || *np.port > 65535 {
			errs = append(errs, fmt.Errorf("%s port %d: want 0..65535", np.name, *np.port))
			continue
		}
		if *np.port != 0 {
			if other, dup := seen[*np.port]; dup {
				errs = append(errs, fmt.Errorf("port %d is given to both %s and %s", *np.port, other, np.name))
				continue
			}
		}
		ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", *np.port))
		if err != nil {
			if errors.Is(err, syscall.EADDRINUSE) {
				err = fmt.Errorf("127.0.0.1:%d is already in use: stop what listens there, or choose another port with %s", *np.port, np.flag)
			}
			errs = append(errs, fmt.Errorf("%s: %w", np.name, err))
			continue
		}
		lns = append(lns, ln)
		*np.port = ln.Addr().(*net.TCPAddr).Port
		seen[*np.port] = np.name
	}
	return errors.Join(errs...)
}

// namedPort is one port of the stack, for claimPorts and its messages.
type namedPort struct {
	name string // e.g. "entry"
	flag string // the `dukaan stack` flag that sets it
	port *int
}
