package testsvc

import (
	"fmt"
	"net"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"dukaan/internal/proc"
)

// Redis is a redis-server of one test's own (proc.RedisArgs: loopback,
// nothing saved). DUKAAN_REDIS_PREFIX (pagecache.Config.Prefix) would
// keep a test's keys and purge channel apart on the machine's shared
// Redis, but a fault test kills and restarts its server, and a test that
// counts keys or commands must see no one else's: a private server gives
// both.
type Redis struct {
	bin  string
	port int
	dir  string

	mu sync.Mutex
	p  *proc.Proc
}

// StartRedis starts a private redis-server on a free loopback port and
// kills it when tb ends.
func StartRedis(tb testing.TB) *Redis {
	tb.Helper()
	bin := Require(tb, "redis-server", "apt-get install redis-server")
	r := &Redis{bin: bin, port: FreePort(tb), dir: tb.TempDir()}
	r.Start(tb)
	tb.Cleanup(func() { r.Kill(tb) })
	return r
}

// Addr is 127.0.0.1:port.
func (r *Redis) Addr() string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(r.port)) }

// URL is REDIS_URL for the server.
func (r *Redis) URL() string { return fmt.Sprintf("redis://%s/0", r.Addr()) }

// Start runs the (killed) server again on its port and waits until it
// answers PING.
func (r *Redis) Start(tb testing.TB) {
	tb.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.p != nil {
		return
	}
	p, err := proc.Start(proc.Spec{Name: "redis-server", Bin: r.bin,
		Args: proc.RedisArgs(r.port, r.dir, "--loglevel", "warning"),
		Log:  r.dir + "/redis.log", StopSig: syscall.SIGKILL})
	if err != nil {
		tb.Fatalf("testsvc: %v", err)
	}
	r.p = p
	WaitFor(tb, p, 10*time.Second, "redis-server on port "+strconv.Itoa(r.port), func() error { return proc.PingRedis(r.Addr()) })
}

// Kill stops the server at once (SIGKILL), as a crash or a lost network
// would. Killing a killed server is a no-op.
func (r *Redis) Kill(tb testing.TB) {
	tb.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.p == nil {
		return
	}
	_ = r.p.Stop(5 * time.Second)
	r.p = nil
}
