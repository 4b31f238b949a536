package web

import (
	"container/list"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net"
	"net/http"
	"net/netip"
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

// RateLimits bound how fast one account or one client address may try
// passwords or open shops. Zero values are no limit.
type RateLimits struct {
	LoginPerAccount Rate // sign-in attempts per email address
	LoginPerIP      Rate // sign-in attempts per client address
	SignupPerIP     Rate // signup attempts per client address
}

// LimiterStats are counters since start.
type LimiterStats struct {
	Allowed, Limited uint64
	// RedisErrors counts Redis calls that failed; each one was decided by
	// the in-process fallback instead.
	RedisErrors uint64
}

// Rate-limit scopes: part of every key and of the log line.
const (
	scopeLoginAccount = "login-account"
	scopeLoginIP      = "login-ip"
	scopeSignupIP     = "signup-ip"
)

// limiter applies RateLimits with redis_rate on the shared Redis, so every
// replica counts together, and with golang.org/x/time/rate in this process
// when there is no Redis or it fails. The fallback is per replica: during a
// Redis outage a client can get (replicas × limit) tries, never unlimited.
type limiter struct {
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

func newLimiter(rdb *redis.Client, prefix string, log *slog.Logger) *limiter {
	if prefix == "" {
		prefix = "dukaan:"
	}
	l := &limiter{prefix: prefix, log: log, mem: map[string]*memLimiter{}}
	if rdb != nil {
		l.redis = redis_rate.NewLimiter(rdb)
	}
	return l
}

func (l *limiter) stats() LimiterStats {
	return LimiterStats{Allowed: l.allowed.Load(), Limited: l.limited.Load(), RedisErrors: l.redisErrors.Load()}
}

// allow takes one event of key in scope at rate r and reports whether it
// may happen; when not, retry says when the next one may.
func (l *limiter) allow(ctx context.Context, scope, key string, r Rate) (ok bool, retry time.Duration) {
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

// reset forgets key's past events (a successful login clears its
// account's failures).
func (l *limiter) reset(ctx context.Context, scope, key string, r Rate) {
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

func (l *limiter) redisFailed(err error) {
	l.redisErrors.Add(1)
	l.redisDownUntil.Store(time.Now().Add(time.Second).UnixNano())
	if !errors.Is(err, context.Canceled) {
		l.log.Warn("rate limit: redis unavailable, limiting in process", "err", err)
	}
}

// redisKey names a counter in Redis (redis_rate puts "rate:" in front).
func (l *limiter) redisKey(scope, key string) string { return l.prefix + scope + ":" + key }

func (l *limiter) memFor(scope string, r Rate) *memLimiter {
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

// accountKey keeps email addresses out of Redis keys and memory dumps.
func accountKey(email string) string {
	sum := sha256.Sum256([]byte(strings.ToLower(strings.TrimSpace(email))))
	return hex.EncodeToString(sum[:16])
}

// clientIP is the address a request came from: the peer, or, when the
// peer is a trusted proxy, the nearest address in X-Forwarded-For that is
// not one of ours (entries further left are whatever the client claimed).
// IPv6 clients are counted by their /64, which one subscriber usually holds
// whole.
func (s *Server) clientIP(r *http.Request) string {
	peer, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		peer = r.RemoteAddr
	}
	ip := peer
	if s.cfg.Resolver.FromTrusted(r) {
		hops := strings.Split(strings.Join(r.Header.Values("X-Forwarded-For"), ","), ",")
		for i := len(hops) - 1; i >= 0; i-- {
			h := strings.TrimSpace(hops[i])
			a, err := netip.ParseAddr(h)
			if err != nil {
				break // a garbled chain: trust nothing past our proxy
			}
			ip = a.Unmap().String()
			if !s.cfg.Resolver.Trusted(ip) {
				break
			}
		}
	}
	if a, err := netip.ParseAddr(ip); err == nil && a.Unmap().Is6() {
		if p, err := a.Prefix(64); err == nil {
			return p.String()
		}
	}
	return ip
}

// limitedMessage tells someone over a limit when to try again.
func (s *Server) limitedMessage(retry time.Duration) string {
	return "Too many attempts. Please wait " + waitText(retry) + " and try again."
}

func retryAfterSeconds(d time.Duration) string {
	return strconv.Itoa(int(math.Ceil(max(d, time.Second).Seconds())))
}

func waitText(d time.Duration) string {
	switch secs := int(math.Ceil(d.Seconds())); {
	case secs <= 1:
		return "a second"
	case secs < 60:
		return strconv.Itoa(secs) + " seconds"
	case secs < 120:
		return "a minute"
	default:
		return strconv.Itoa((secs+59)/60) + " minutes"
	}
}

// RateLimitStats are the login and signup limiter's counters.
func (s *Server) RateLimitStats() LimiterStats { return s.limiter.stats() }

// overLimit counts one attempt at action ("login" or "signup") from the
// request's client, and for a login against the account too, and says
// whether the attempt must be refused and when to try again. Limits are
// checked before any password is hashed, so a flood costs no bcrypt.
func (s *Server) overLimit(r *http.Request, action, email string) (time.Duration, bool) {
	ctx := r.Context()
	ip := s.clientIP(r)
	type check struct {
		scope, key string
		rate       Rate
	}
	var checks []check
	switch action {
	case "login":
		checks = append(checks, check{scopeLoginIP, ip, s.cfg.RateLimits.LoginPerIP})
		if email != "" {
			checks = append(checks, check{scopeLoginAccount, accountKey(email), s.cfg.RateLimits.LoginPerAccount})
		}
	case "signup":
		checks = append(checks, check{scopeSignupIP, ip, s.cfg.RateLimits.SignupPerIP})
	}
	for _, ch := range checks {
		if ok, retry := s.limiter.allow(ctx, ch.scope, ch.key, ch.rate); !ok {
			s.log.WarnContext(ctx, "rate limited", "action", action, "scope", ch.scope,
				"client", ip, "limit", ch.rate.String(), "retry_after", retry.Round(time.Second))
			return retry, true
		}
	}
	return 0, false
}

// loginSucceeded clears the account's failed attempts: a vendor who signs
// in has nothing left to guess.
func (s *Server) loginSucceeded(r *http.Request, email string) {
	s.limiter.reset(r.Context(), scopeLoginAccount, accountKey(email), s.cfg.RateLimits.LoginPerAccount)
}
