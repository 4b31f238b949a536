package web

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"math"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"dukaan/storage/ratelimit"
)

// RateLimiter counts attempts per scope and key (storage/ratelimit's
// Limiter: shared through Redis, per replica without it).
type RateLimiter interface {
	// Allow takes one event of key in scope at rate r and reports whether
	// it may happen; when not, retry says when the next one may.
	Allow(ctx context.Context, scope, key string, r ratelimit.Rate) (ok bool, retry time.Duration)
	// Reset forgets key's past events in scope.
	Reset(ctx context.Context, scope, key string, r ratelimit.Rate)
}

// RateLimits bound how fast one account or one client address may try
// passwords or open shops. Zero values are no limit.
type RateLimits struct {
	LoginPerAccount ratelimit.Rate // sign-in attempts per email address
	LoginPerIP      ratelimit.Rate // sign-in attempts per client address
	SignupPerIP     ratelimit.Rate // signup attempts per client address
}

// Rate-limit scopes: part of every key and of the log line.
const (
	scopeLoginAccount = "login-account"
	scopeLoginIP      = "login-ip"
	scopeSignupIP     = "signup-ip"
	// Password-reset requests count at the sign-in rates, in scopes of
	// their own: asking for links does not use up sign-in attempts.
	scopeResetAccount = "reset-account"
	scopeResetIP      = "reset-ip"
)

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

// overLimit counts one attempt at action ("login", "signup" or "reset")
// from the request's client, and for a login or a reset request against
// the account too, and says
// whether the attempt must be refused and when to try again. Limits are
// checked before any password is hashed, so a flood costs no bcrypt.
func (s *Server) overLimit(r *http.Request, action, email string) (time.Duration, bool) {
	if s.cfg.Limiter == nil {
		return 0, false // New allows that only when every limit is off
	}
	ctx := r.Context()
	ip := s.clientIP(r)
	type check struct {
		scope, key string
		rate       ratelimit.Rate
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
	case "reset":
		checks = append(checks, check{scopeResetIP, ip, s.cfg.RateLimits.LoginPerIP})
		if email != "" {
			checks = append(checks, check{scopeResetAccount, accountKey(email), s.cfg.RateLimits.LoginPerAccount})
		}
	}
	for _, ch := range checks {
		if ok, retry := s.cfg.Limiter.Allow(ctx, ch.scope, ch.key, ch.rate); !ok {
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
	if s.cfg.Limiter == nil {
		return
	}
	s.cfg.Limiter.Reset(r.Context(), scopeLoginAccount, accountKey(email), s.cfg.RateLimits.LoginPerAccount)
}
