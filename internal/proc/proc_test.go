package proc

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

func start(t *testing.T, sp Spec) *Proc {
	t.Helper()
	if sp.Bin == "" {
		sp.Bin = "/bin/sh"
	}
	if sp.Log == "" {
		sp.Log = filepath.Join(t.TempDir(), "child.log")
	}
	p, err := Start(sp)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Stop(5 * time.Second) })
	return p
}

func waitDone(t *testing.T, p *Proc) {
	t.Helper()
	select {
	case <-p.Done():
	case <-time.After(10 * time.Second):
		t.Fatalf("%s did not exit", p.Name())
	}
}

// alive tells whether pid is a running (not zombie) process.
func alive(pid int) bool {
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	i := strings.LastIndexByte(string(stat), ')')
	return i < 0 || !strings.HasPrefix(string(stat[i+1:]), " Z")
}

func TestLogTailAndExit(t *testing.T) {
	log := filepath.Join(t.TempDir(), "child.log")
	if err := os.WriteFile(log, []byte("an earlier run\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var lines []string
	exits := make(chan bool, 1)
	p := start(t, Spec{Name: "child", Args: []string{"-c", "echo out1; echo err1 >&2; echo out2; exit 3"}, Log: log,
		OnLine: func(l string) { mu.Lock(); lines = append(lines, l); mu.Unlock() },
		OnExit: func(p *Proc, stopping bool) { exits <- stopping },
	})
	waitDone(t, p)
	if stopping := <-exits; stopping {
		t.Error("OnExit: stopping is true for a child that exited by itself")
	}
	var ee *exec.ExitError
	if err := p.Err(); !errors.As(err, &ee) || ee.ExitCode() != 3 {
		t.Errorf("Err = %v, want exit status 3", err)
	}
	mu.Lock()
	if strings.Join(lines, ",") != "out1,out2" {
		t.Errorf("OnLine got %q, want out1, out2 (stdout only)", lines)
	}
	mu.Unlock()
	tail := p.Tail(1000)
	for _, want := range []string{"# /bin/sh -c echo out1", "out1\n", "err1\n", "out2\n"} {
		if !strings.Contains(tail, want) {
			t.Errorf("Tail lacks %q:\n%s", want, tail)
		}
	}
	if strings.Contains(tail, "earlier run") {
		t.Errorf("Tail quotes an earlier run:\n%s", tail)
	}
	if got := p.Tail(5); got != "out2\n" {
		t.Errorf("Tail(5) = %q", got)
	}
	all, _ := os.ReadFile(log)
	if !strings.HasPrefix(string(all), "an earlier run\n") {
		t.Errorf("the log was not appended to:\n%s", all)
	}
}

func TestStopSignalGroupAndHeader(t *testing.T) {
	exits := make(chan bool, 1)
	// The shell leaves a sleep behind in its group when SIGINT ends it.
	p := start(t, Spec{Name: "shell", Header: "# my header", StopSig: syscall.SIGINT,
		Args:   []string{"-c", `sleep 60 & echo "bg $!"; trap 'echo got-INT-$((1+1)); exit 0' INT; while :; do sleep 0.05; done`},
		OnExit: func(p *Proc, stopping bool) { exits <- stopping },
	})
	if pgid, err := syscall.Getpgid(p.Pid()); err != nil || pgid != p.Pid() {
		t.Fatalf("process group %d (%v), want its own, %d", pgid, err, p.Pid())
	}
	var bg int
	err := WaitFor(context.Background(), p, 5*time.Second, 10*time.Millisecond, func() error {
		for _, l := range strings.Split(p.Tail(1000), "\n") {
			if n, ok := strings.CutPrefix(l, "bg "); ok {
				bg, _ = strconv.Atoi(n)
				return nil
			}
		}
		return errors.New("no pid yet")
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Stop(5 * time.Second); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	if !<-exits {
		t.Error("OnExit: stopping is false after Stop")
	}
	tail := p.Tail(1000)
	if !strings.HasPrefix(tail, "# my header\n") || !strings.Contains(tail, "\ngot-INT-2\n") {
		t.Errorf("want the header and the shell's answer to SIGINT in the log:\n%s", tail)
	}
	deadline := time.Now().Add(5 * time.Second)
	for alive(bg) {
		if time.Now().After(deadline) {
			t.Fatalf("the background sleep %d in the child's group survived Stop", bg)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := p.Stop(time.Second); err != nil {
		t.Errorf("a second Stop: %v", err)
	}
}

func TestStopKillsWhatIgnoresTheSignal(t *testing.T) {
	p := start(t, Spec{Name: "stubborn", Args: []string{"-c", `trap '' TERM; echo ready-$((1+1)); while :; do sleep 0.05; done`}})
	if err := WaitFor(context.Background(), p, 5*time.Second, 10*time.Millisecond, func() error {
		if !strings.Contains(p.Tail(200), "\nready-2\n") {
			return errors.New("not yet")
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	begin := time.Now()
	err := p.Stop(300 * time.Millisecond)
	if err == nil || err.Error() != "stubborn ignored SIGTERM for 300ms and was killed" {
		t.Fatalf("Stop = %v", err)
	}
	if d := time.Since(begin); d > 3*time.Second {
		t.Errorf("Stop took %s", d)
	}
	if !p.Exited() || alive(p.Pid()) {
		t.Error("the child still runs after Stop")
	}
}

func TestStartError(t *testing.T) {
	_, err := Start(Spec{Name: "nothing", Bin: "/nonexistent/bin", Log: filepath.Join(t.TempDir(), "x.log")})
	if err == nil || !strings.HasPrefix(err.Error(), "starting nothing (/nonexistent/bin): ") {
		t.Fatalf("Start = %v", err)
	}
}

func TestWaitFor(t *testing.T) {
	ctx := context.Background()
	n := 0
	if err := WaitFor(ctx, nil, time.Second, time.Millisecond, func() error {
		if n++; n < 3 {
			return errors.New("not yet")
		}
		return nil
	}); err != nil || n != 3 {
		t.Errorf("WaitFor = %v after %d checks, want nil after 3", err, n)
	}

	last := errors.New("still down")
	err := WaitFor(ctx, nil, 50*time.Millisecond, 5*time.Millisecond, func() error { return last })
	var nr *NotReadyError
	if !errors.As(err, &nr) || nr.Timeout != 50*time.Millisecond || !errors.Is(err, last) {
		t.Errorf("WaitFor past its timeout = %v, want a NotReadyError with the last error", err)
	}

	p := start(t, Spec{Name: "quitter", Args: []string{"-c", "exit 1"}})
	err = WaitFor(ctx, p, 10*time.Second, 5*time.Millisecond, func() error { return last })
	if !errors.Is(err, ErrExited) {
		t.Errorf("WaitFor on a child that exits = %v, want ErrExited", err)
	}

	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if err := WaitFor(cctx, nil, 10*time.Second, 5*time.Millisecond, func() error { return last }); !errors.Is(err, context.Canceled) {
		t.Errorf("WaitFor with a cancelled context = %v", err)
	}
}

func TestHTTPOK(t *testing.T) {
	status := http.StatusServiceUnavailable
	var mu sync.Mutex
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		w.WriteHeader(status)
	}))
	defer srv.Close()
	check := HTTPOK(srv.URL + "/readyz")
	if err := check(); err == nil || err.Error() != "GET "+srv.URL+"/readyz: 503 Service Unavailable" {
		t.Errorf("503: %v", err)
	}
	mu.Lock()
	status = http.StatusOK
	mu.Unlock()
	if err := check(); err != nil {
		t.Errorf("200: %v", err)
	}
}

func TestChildEnv(t *testing.T) {
	env := []string{"PATH=/bin", "DATABASE_URL=x", "REDIS_URL=y", "PGHOST=z", "DUKAAN_ADDR=a", "DUKAAN_LOG_LEVEL=debug", "HOME=/h"}
	got := strings.Join(ChildEnv(env, "DUKAAN_ADDR"), " ")
	if got != "PATH=/bin DUKAAN_LOG_LEVEL=debug HOME=/h" {
		t.Errorf("ChildEnv(DUKAAN_ADDR) = %s", got)
	}
	got = strings.Join(ChildEnv(env, "DUKAAN_*"), " ")
	if got != "PATH=/bin HOME=/h" {
		t.Errorf("ChildEnv(DUKAAN_*) = %s", got)
	}
}

func TestProcesses(t *testing.T) {
	ps, err := Processes()
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range ps {
		if p.Pid == os.Getpid() {
			if p.PPid != os.Getppid() || len(p.Args) == 0 || p.Args[0] != os.Args[0] || p.State == 'Z' {
				t.Errorf("ourselves: %+v, want ppid %d and args %q", p, os.Getppid(), os.Args)
			}
			return
		}
	}
	t.Errorf("pid %d not among %d processes", os.Getpid(), len(ps))
}
