package stack

import (
	"context"
	"errors"
	"fmt"
	"net"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	iproc "dukaan/internal/proc"
)

// proc is one child of the stack (internal/proc): in a process group of
// its own, so that a Ctrl-C at the terminal reaches `dukaan-lab stack` alone,
// which then stops the children in order, and killing the group also
// kills what a child started (`dukaan edge`'s nginx and its workers). If
// the stack itself dies, the kernel sends the child SIGTERM (Pdeathsig).
type proc = iproc.Proc

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

// spawn starts a child logging to logs/NAME.log; if it exits before the
// stack stops it, Wait reports it.
func (s *Stack) spawn(sp spawnSpec) (*proc, error) {
	p, err := iproc.Start(iproc.Spec{
		Name: sp.name, Bin: sp.bin, Args: sp.args, Env: sp.env, Dir: sp.dir, Cred: sp.cred, StopSig: sp.stopSig,
		Log:    filepath.Join(s.logDir, sp.name+".log"),
		Header: fmt.Sprintf("# %s %s — %s", sp.bin, strings.Join(sp.args, " "), time.Now().Format(time.RFC3339)),
		OnExit: func(p *iproc.Proc, stopping bool) {
			if !stopping {
				s.fail(fmt.Errorf("%s exited unexpectedly (%v); %s", p.Name(), p.Err(), p.LogEnd()))
			}
		},
	})
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	s.procs = append(s.procs, p)
	s.mu.Unlock()
	return p, nil
}

// waitFor polls check every 50 ms until it succeeds, p exits, ctx ends, or
// timeout passes.
func waitFor(ctx context.Context, p *proc, timeout time.Duration, what string, check func() error) error {
	return iproc.Await(ctx, p, timeout, 50*time.Millisecond, what, check)
}

// httpOK checks that GET url answers 200.
var httpOK = iproc.HTTPOK

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
	flag string // the `dukaan-lab stack` flag that sets it
	port *int
}
