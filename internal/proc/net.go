package proc

import (
	"bufio"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"
)

// FreeAddr is a loopback address, "127.0.0.1:port", whose port was free a
// moment ago. Another process can take it before it is used; only where a
// port must be known before its server starts (an app must know its
// edges, an edge its app) is this short window worth it.
func FreeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("free port: %w", err)
	}
	defer ln.Close()
	return ln.Addr().String(), nil
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
