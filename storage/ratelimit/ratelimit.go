// Package ratelimit counts events per key against a Rate: on the shared
// Redis (redis_rate), so every replica counts together, and in this
// process (golang.org/x/time/rate, a bounded LRU of keys) when there is no
// Redis or it fails. Callers name a scope and a key; what the keys mean
// (a client address, an account) is theirs.
package ratelimit

import (
	"container/list"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-redis/redis_rate/v10"
	"github.com/redis/go-redis/v9"
	"golang.org/x/time/rate"
)

// Rate is a limit of N events per Per, in bursts of up to N. The zero Rate
// is no limit.
type Rate struct {
	N   int
	Per time.Duration
}

// Off reports whether the rate limits nothing.
func (r Rate) Off() bool { return r.N <= 0 || r.Per <= 0 }

func (r Rate) String() string {
	if r.Off() {
		return "off"
	}
	switch r.Per {
	case time.Second:
		return strconv.Itoa(r.N) + "/s"
	case time.Minute:
		return strconv.Itoa(r.N) + "/m"
	case time.Hour:
		return strconv.Itoa(r.N) + "/h"
	}
	return strconv.Itoa(r.N) + "/" + r.Per.String()
}

// ParseRate reads "5/m", "20/min", "10/h", "3/10s" (N per a Go duration)
// or "off".
func ParseRate(s string) (Rate, error) {
	s = strings.TrimSpace(s)
	if s == "off" || s == "0" {
		return Rate{}, nil
	}
	ns, per, ok := strings.Cut(s, "/")
	n, err := strconv.Atoi(strings.TrimSpace(ns))
	if !ok || err != nil || n < 1 || n > 1_000_000 {
		return Rate{}, fmt.Errorf("rate %q: want N/period such as 5/m, 20/1m, 10/h, or off", s)
	}
	var d time.Duration
	switch per = strings.TrimSpace(per); per {
	case "s", "sec", "second":
		d = time.Second
	case "m", "min", "minute":
		d = time.Minute
	case "h", "hour":
		d = time.Hour
	default:
		if d, err = time.ParseDuration(per); err != nil || d < time.Second || d > 24*time.Hour {
			return Rate{}, fmt.Errorf("rate %q: the period must be s, m, h or a duration from 1s to 24h", s)
		}
	}
	return Rate{N: n, Per: d}, nil
}

// UnmarshalText lets configuration parsers read a Rate.
func (r *Rate) UnmarshalText(b []byte) error {
	v, err := ParseRate(string(b))
	if err != nil {
		return err
	}
	*r = v
	return nil
}

// Stats are a Limiter's counters since start.
type Stats struct {
	Allowed, Limited uint64
	// RedisErrors counts Redis calls that failed; each one was decided by
	// the in-process fallback instead.
	RedisErrors uint64
}

// Limiter applies rates with redis_rate on the shared Redis, so every
// replica counts together, and with golang.org/x/time/rate in this process
// when there is no Redis or it fails. The fallback is per replica: during a
// Redis outage a client can get (replicas × limit) tries, never unlimited.
type Limiter struct {
	redis  *redis_rate.Limiter // nil without Redis
	prefix string
	log    *slog.Logger

	mu  sync.Mutex
	mem map[string]*memLimiter // scope → its keys

	redisDownUntil atomic.Int64 // unix nanos; Redis is skipped until then
	allowed        atomic.Uint64
	limited        atomic.Uint64
	redisErrors    atomic.Uint64
}

// memKeys bounds each scope's in-process table: past it the least recently
// used key is forgotten (which only ever gives that key a fresh allowance).
const memKeys = 50_000

// New returns a Limiter that counts on rdb, its keys under prefix
// (default "dukaan:"); with a nil rdb every replica counts alone.
func New(rdb *redis.Client, prefix string, log *slog.Logger) *Limiter {
	if prefix == "" {
		prefix = "dukaan:"
	}
	if log == nil {
		log = slog.Default()
	}
	l := &Limiter{prefix: prefix, log: log, mem: map[string]*memLimiter{}}
	if rdb != nil {
		l.redis = redis_rate.NewLimiter(rdb)
	}
	return l
}

// Stats are the counters since start.
func (l *Limiter) Stats() Stats {
	return Stats{Allowed: l.allowed.Load(), Limited: l.limited.Load(), RedisErrors: l.redisErrors.Load()}
}

// Allow takes one event of key in scope at rate r and reports whether it
// may happen; when not, retry says when the next one may.
func (l *Limiter) Allow(ctx context.Context, scope, key string, r Rate) (ok bool, retry time.Duration) {
	if r.Off() {
		return true, 0
	}
	defer func() {
		if ok {
			l.allowed.Add(1)
		} else {
			l.limited.Add(1)
		}
	}()
	if l.redis != nil && time.Now().UnixNano() >= l.redisDownUntil.Load() {
		// A login must not hang on a sick cache: a short deadline, then
		// the fallback decides.
		rctx, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
		res, err := l.redis.Allow(rctx, l.redisKey(scope, key), redis_rate.Limit{Rate: r.N, Burst: r.N, Period: r.Per})
		cancel()
		if err == nil {
			// Keep the fallback roughly in step, so that an outage does
			// not hand out a whole fresh allowance.
			l.memFor(scope, r).allow(key, r, time.Now())
			if res.Allowed > 0 {
				return true, 0
			}
			return false, max(res.RetryAfter, time.Second)
		}
		l.redisFailed(err)
	}
	return l.memFor(scope, r).allow(key, r, time.Now())
}

// Reset forgets key's past events (a successful login clears its
// account's failures).
func (l *Limiter) Reset(ctx context.Context, scope, key string, r Rate) {
	if r.Off() {
		return
	}
	l.memFor(scope, r).reset(key)
	if l.redis != nil && time.Now().UnixNano() >= l.redisDownUntil.Load() {
		rctx, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
		defer cancel()
		if err := l.redis.Reset(rctx, l.redisKey(scope, key)); err != nil {
			l.redisFailed(err)
		}
	}
}

func (l *Limiter) redisFailed(err error) {
	l.redisErrors.Add(1)
	l.redisDownUntil.Store(time.Now().Add(time.Second).UnixNano())
	if !errors.Is(err, context.Canceled) {
		l.log.Warn("rate limit: redis unavailable, limiting in process", "err", err)
	}
}

// redisKey names a counter in Redis (redis_rate puts "rate:" in front).
func (l *Limiter) redisKey(scope, key string) string { return l.prefix + scope + ":" + key }

func (l *Limiter) memFor(scope string, r Rate) *memLimiter {
	l.mu.Lock()
	defer l.mu.Unlock()
	m := l.mem[scope]
	if m == nil {
		m = newMemLimiter(memKeys, r)
		l.mem[scope] = m
	}
	return m
}

// memLimiter is one scope's token buckets, most recently used first.
// Buckets untouched for a whole period are full again, the same as no
// bucket, so they are dropped; the table never exceeds max keys.
type memLimiter struct {
	mu   sync.Mutex
	max  int
	rate Rate
	ll   *list.List // of *memEntry
	keys map[string]*list.Element
}

type memEntry struct {
	key  string
	lim  *rate.Limiter
	seen time.Time
}

func newMemLimiter(max int, r Rate) *memLimiter {
	return &memLimiter{max: max, rate: r, ll: list.New(), keys: map[string]*list.Element{}}
}

func (m *memLimiter) allow(key string, r Rate, now time.Time) (bool, time.Duration) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.expire(now)
	var e *memEntry
	if el, ok := m.keys[key]; ok {
		e = el.Value.(*memEntry)
		m.ll.MoveToFront(el)
	} else {
		every := rate.Every(r.Per / time.Duration(r.N))
		e = &memEntry{key: key, lim: rate.NewLimiter(every, r.N)}
		m.keys[key] = m.ll.PushFront(e)
		for m.ll.Len() > m.max {
			m.remove(m.ll.Back())
		}
	}
	e.seen = now
	res := e.lim.ReserveN(now, 1)
	if d := res.DelayFrom(now); d > 0 {
		res.CancelAt(now)
		return false, max(d, time.Second)
	}
	return true, 0
}

func (m *memLimiter) reset(key string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if el, ok := m.keys[key]; ok {
		m.remove(el)
	}
}

func (m *memLimiter) expire(now time.Time) {
	for el := m.ll.Back(); el != nil; el = m.ll.Back() {
		if now.Sub(el.Value.(*memEntry).seen) < m.rate.Per {
			return
		}
		m.remove(el)
	}
}

func (m *memLimiter) remove(el *list.Element) {
	m.ll.Remove(el)
	delete(m.keys, el.Value.(*memEntry).key)
}

func (m *memLimiter) len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.ll.Len()
}
