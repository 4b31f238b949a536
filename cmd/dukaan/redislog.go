package main

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// go-redis logs every failed dial of its pool on its own: with Redis down
// that is a line per request (hundreds a second under load), which buries
// everything else in the log and, in CI, the failing test's own output.
// redisLog sends those lines through slog as warnings, at most one per
// message format every redisLogEvery, counting the ones it held back.
const redisLogEvery = 10 * time.Second

type redisLog struct {
	logger *slog.Logger
	now    func() time.Time

	mu   sync.Mutex
	last map[string]time.Time // format → when it was last written
	held map[string]int       // format → lines held back since then
}

func newRedisLog(logger *slog.Logger) *redisLog {
	return &redisLog{logger: logger, now: time.Now, last: map[string]time.Time{}, held: map[string]int{}}
}

func (l *redisLog) Printf(ctx context.Context, format string, v ...any) {
	now := l.now()
	l.mu.Lock()
	if t, ok := l.last[format]; ok && now.Sub(t) < redisLogEvery {
		l.held[format]++
		l.mu.Unlock()
		return
	}
	held := l.held[format]
	l.last[format], l.held[format] = now, 0
	l.mu.Unlock()
	args := []any{"msg", fmt.Sprintf(format, v...)}
	if held > 0 {
		args = append(args, "repeated", held)
	}
	l.logger.Warn("redis client", args...)
}

var redisLogOnce sync.Once

// installRedisLog makes go-redis log through logger (process-wide: the
// library has one logger; the first Main of the process sets it).
func installRedisLog(logger *slog.Logger) {
	redisLogOnce.Do(func() { redis.SetLogger(newRedisLog(logger)) })
}
