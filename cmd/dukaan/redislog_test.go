package main

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"
)

func TestRedisLogHoldsBackRepeats(t *testing.T) {
	var buf bytes.Buffer
	l := newRedisLog(slog.New(slog.NewTextHandler(&buf, nil)))
	now := time.Date(2026, 12, 6, 10, 0, 0, 0, time.UTC)
	l.now = func() time.Time { return now }
	const dial = "redis: connection pool: failed to dial after %d attempts: %v"
	for i := 0; i < 500; i++ {
		l.Printf(context.Background(), dial, 1, "connection refused")
	}
	l.Printf(context.Background(), "other %s", "line")
	if got := strings.Count(buf.String(), "\n"); got != 2 {
		t.Fatalf("500 dial failures and one other line wrote %d lines, want 2:\n%s", got, buf.String())
	}
	now = now.Add(redisLogEvery)
	l.Printf(context.Background(), dial, 1, "connection refused")
	out := buf.String()
	if got := strings.Count(out, "\n"); got != 3 {
		t.Fatalf("after %v a repeat wrote %d lines in all, want 3:\n%s", redisLogEvery, got, out)
	}
	if !strings.Contains(out, "repeated=499") {
		t.Fatalf("the line after the pause does not count the 499 held back:\n%s", out)
	}
	if !strings.Contains(out, "failed to dial after 1 attempts: connection refused") {
		t.Fatalf("the message is not formatted:\n%s", out)
	}
}
