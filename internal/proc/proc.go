// Package proc is the process toolkit of the lab (cmd/dukaan-lab: the
// bench and the stack) and, through internal/testsvc, of the tests: it
// runs a child in a process group of its own (a Ctrl-C at the terminal
// reaches the parent alone, which stops its children in order, and killing
// the group also kills what the child started, e.g. `dukaan edge`'s nginx
// and its workers), with its output appended to a log file, and with
// SIGTERM from the kernel if the parent dies (Pdeathsig). Beside it: the
// child environment (ChildEnv), waiting for a child to answer (WaitFor,
// Await, HTTPOK, PingRedis), free ports, random ids, finding programs
// (LookPath, PostgresBin) and what is running (Processes).
package proc

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Spec is what to run.
type Spec struct {
	Name    string // for messages
	Bin     string
	Args    []string
	Env     []string // the whole environment; nil inherits ours
	Dir     string
	Cred    *syscall.Credential // run as another user (nil: as we are)
	StopSig syscall.Signal      // what Stop sends first; 0 is SIGTERM

	// Log is the file that receives the child's stdout and stderr. It is
	// appended to, so logs are kept across runs; Tail quotes this run's
	// part only. Its directory must exist.
	Log string
	// Header is the line written to Log before the child starts; empty
	// is "# Bin Args".
	Header string
	// OnLine, when set, also receives each line of the child's stdout.
	OnLine func(line string)
	// OnExit, when set, is called once the child has exited, before Done
	// is closed (what it sets is there for whoever waited on Done);
	// stopping tells whether Stop had been called.
	OnExit func(p *Proc, stopping bool)
}

// Proc is a started child.
type Proc struct {
	name     string
	cmd      *exec.Cmd
	log      string
	logStart int64 // where this run's lines begin in log
	stopSig  syscall.Signal

	done    chan struct{}
	waitErr error

	mu       sync.Mutex
	stopping bool
}

// Start starts the child described by sp.
func Start(sp Spec) (*Proc, error) {
	lf, err := os.OpenFile(sp.Log, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	var logStart int64
	if fi, err := lf.Stat(); err == nil {
		logStart = fi.Size()
	}
	header := sp.Header
	if header == "" {
		header = "# " + sp.Bin + " " + strings.Join(sp.Args, " ")
	}
	fmt.Fprintln(lf, header)
	cmd := exec.Command(sp.Bin, sp.Args...)
	cmd.Env = sp.Env
	cmd.Dir = sp.Dir
	cmd.Stderr = lf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGTERM, Credential: sp.Cred}
	var stdout io.ReadCloser
	if sp.OnLine != nil {
		if stdout, err = cmd.StdoutPipe(); err != nil {
			lf.Close()
			return nil, err
		}
	} else {
		cmd.Stdout = lf
	}
	if err := cmd.Start(); err != nil {
		lf.Close()
		return nil, fmt.Errorf("starting %s (%s): %w", sp.Name, sp.Bin, err)
	}
	if sp.StopSig == 0 {
		sp.StopSig = syscall.SIGTERM
	}
	p := &Proc{name: sp.Name, cmd: cmd, log: sp.Log, logStart: logStart, stopSig: sp.StopSig, done: make(chan struct{})}
	var copied sync.WaitGroup
	if stdout != nil {
		copied.Add(1)
		go func() {
			defer copied.Done()
			sc := bufio.NewScanner(stdout)
			for sc.Scan() {
				fmt.Fprintln(lf, sc.Text())
				sp.OnLine(sc.Text())
			}
		}()
	}
	go func() {
		copied.Wait() // Wait closes the pipe: read it all first
		err := cmd.Wait()
		lf.Close()
		p.mu.Lock()
		p.waitErr = err
		stopping := p.stopping
		p.mu.Unlock()
		if sp.OnExit != nil {
			sp.OnExit(p, stopping)
		}
		close(p.done)
	}()
	return p, nil
}

// Name is the Spec's name.
func (p *Proc) Name() string { return p.name }

// Log is the path of the log file.
func (p *Proc) Log() string { return p.log }

// Pid is the child's process id, which is also its process group's.
func (p *Proc) Pid() int { return p.cmd.Process.Pid }

// Done is closed when the child has exited.
func (p *Proc) Done() <-chan struct{} { return p.done }

// Err is how the child exited (exec.Cmd.Wait's error); nil before Done
// is closed.
func (p *Proc) Err() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.waitErr
}

// Exited tells whether the child has exited.
func (p *Proc) Exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// Tail is the last max bytes this run wrote to the log, for error
// messages.
func (p *Proc) Tail(max int) string {
	b, _ := os.ReadFile(p.log)
	if int64(len(b)) >= p.logStart {
		b = b[p.logStart:]
	}
	if len(b) > max {
		b = b[len(b)-max:]
	}
	return string(b)
}

// Stop sends the child its stop signal and waits for it; after timeout it
// is killed, with an error saying so. Either way, whatever the child left
// behind in its process group (nginx workers of an edge whose master
// died, …) is killed too. Stopping a child that has exited after an
// earlier Stop is a no-op.
func (p *Proc) Stop(timeout time.Duration) error {
	p.mu.Lock()
	if p.stopping && p.Exited() {
		p.mu.Unlock()
		return nil
	}
	p.stopping = true
	p.mu.Unlock()
	if !p.Exited() {
		_ = p.cmd.Process.Signal(p.stopSig)
	}
	var err error
	select {
	case <-p.done:
	case <-time.After(timeout):
		err = fmt.Errorf("%s ignored %s for %s and was killed", p.name, SignalName(p.stopSig), timeout)
	}
	_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
	<-p.done
	return err
}

// SignalName is the SIGxxx name of the signals children are stopped with.
func SignalName(s syscall.Signal) string {
	switch s {
	case syscall.SIGTERM:
		return "SIGTERM"
	case syscall.SIGINT:
		return "SIGINT"
	case syscall.SIGQUIT:
		return "SIGQUIT"
	case syscall.SIGHUP:
		return "SIGHUP"
	case syscall.SIGKILL:
		return "SIGKILL"
	}
	return s.String()
}

// ErrExited is what WaitFor returns when the child exits first.
var ErrExited = errors.New("the process exited")

// NotReadyError is what WaitFor returns when its timeout passes first.
type NotReadyError struct {
	Timeout time.Duration
	Last    error // check's last answer
}

func (e *NotReadyError) Error() string {
	return fmt.Sprintf("not ready within %s: %v", e.Timeout, e.Last)
}

func (e *NotReadyError) Unwrap() error { return e.Last }

// WaitFor calls check every interval until it returns nil (WaitFor then
// returns nil), p exits (ErrExited; p may be nil), timeout passes (a
// *NotReadyError) or ctx ends (its error).
func WaitFor(ctx context.Context, p *Proc, timeout, interval time.Duration, check func() error) error {
	deadline := time.Now().Add(timeout)
	for {
		err := check()
		if err == nil {
			return nil
		}
		if p != nil && p.Exited() {
			return ErrExited
		}
		if time.Now().After(deadline) {
			return &NotReadyError{Timeout: timeout, Last: err}
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(interval):
		}
	}
}

var probe = &http.Client{Timeout: 2 * time.Second}

// HTTPOK is a check for WaitFor: GET url answers 200.
func HTTPOK(url string) func() error {
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

// Await is WaitFor with the error a tool prints: what the check waited for,
// why it failed, and the end of p's log (p may be nil). The bench and the
// stack wait for every child they start with it.
func Await(ctx context.Context, p *Proc, timeout, interval time.Duration, what string, check func() error) error {
	err := WaitFor(ctx, p, timeout, interval, check)
	var late *NotReadyError
	switch {
	case errors.Is(err, ErrExited):
		return fmt.Errorf("%s exited while waiting for %s (%v); %s", p.Name(), what, p.Err(), p.LogEnd())
	case errors.As(err, &late):
		msg := ""
		if p != nil {
			msg = "\n" + p.LogEnd()
		}
		return fmt.Errorf("%s not ready within %s: %v%s", what, timeout, late.Last, msg)
	}
	return err
}

// LogEnd names p's log and quotes the end of this run's part, for error
// messages.
func (p *Proc) LogEnd() string {
	return fmt.Sprintf("its log, %s, ends with:\n%s", p.log, strings.TrimRight(p.Tail(1500), "\n"))
}
