package proc

import (
	"bufio"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"strconv"
	"strings"
	"time"
)

// FreeAddr is a loopback address, "127.0.0.1:port", whose port was free a
// moment ago. Another process can take it before it is used; only where a
// port must be known before its server starts (an app must know its
// edges, an edge its app) is this short window worth it.
//
// The port is drawn at random from below the kernel's ephemeral range
// (ip_local_port_range), which the kernel never hands out by itself: a port
// from ":0" is an ephemeral one, and under load an outgoing connection of
// any other test took it before nginx bound it ("Address already in use").
// Only another FreeAddr can collide now, one draw in thousands, and the
// listen check below catches the ports in use.
func FreeAddr() (string, error) {
	lo, hi := freeRange()
	for range 64 {
		port := lo + rand.IntN(hi-lo)
		ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
		if err != nil {
			continue
		}
		ln.Close()
		return ln.Addr().String(), nil
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("free port: %w", err)
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// freeRange is where FreeAddr draws ports: from 10000 up to the start of
// the ephemeral range (Linux's default 32768 when it cannot be read), or
// 10000–20000 when that range starts too low to leave room.
func freeRange() (lo, hi int) {
	lo, hi = 10000, 32768
	if b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range"); err == nil {
		if f := strings.Fields(string(b)); len(f) == 2 {
			if n, err := strconv.Atoi(f[0]); err == nil {
				hi = n
			}
		}
	}
	if hi-lo < 2000 {
		lo, hi = 10000, 20000
	}
	return lo, hi
}

// FreePort is FreeAddr's port.
func FreePort() (int, error) {
	addr, err := FreeAddr()
	if err != nil {
		return 0, err
	}
	_, p, _ := net.SplitHostPort(addr)
	return strconv.Atoi(p)
}

// RedisArgs are the redis-server arguments of a private server: loopback
// only, in the foreground, nothing saved (the bench, the stack and the
// tests throw its data away), its files in dir. extra are appended.
func RedisArgs(port int, dir string, extra ...string) []string {
	return append([]string{"--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
		"--daemonize", "no", "--dir", dir}, extra...)
}

// PingRedis is a check for WaitFor: the Redis at addr (host:port) answers
// PING with PONG. It speaks the protocol itself, so a tool needs no client.
func PingRedis(addr string) error {
	c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
	if err != nil {
		return err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(time.Second))
	if _, err := c.Write([]byte("PING\r\n")); err != nil {
		return err
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		return err
	}
	if !strings.HasPrefix(line, "+PONG") {
		return fmt.Errorf("PING answered %q", line)
	}
	return nil
}
