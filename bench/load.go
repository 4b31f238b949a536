package bench

import (
	"context"
	"net/http"
	"sort"
	"sync/atomic"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// closedLoop is a vegeta attack with exactly conc workers, each sending its
// next request as soon as the last one is answered (like pgbench's
// clients), for at most max requests and at most limit. stop, when given,
// sees every result and may end the attack early.
type closedLoop struct {
	conc  int
	max   int
	limit time.Duration
	next  func(i int) vegeta.Target // i counts from 0
	stop  func(r *vegeta.Result) bool
	// keepBodies keeps response bodies (otherwise they are read and
	// dropped).
	keepBodies bool
}

// countPacer sends as fast as the workers take requests, and stops after n.
type countPacer struct{ n uint64 }

func (p countPacer) Pace(_ time.Duration, hits uint64) (time.Duration, bool) {
	return 0, hits >= p.n
}

func (p countPacer) Rate(time.Duration) float64 { return 0 }

// loopResult is what a closed loop did.
type loopResult struct {
	Results []*vegeta.Result
	Begin   time.Time
	// Wall is from the first request sent to the last answer received.
	Wall time.Duration
}

func runLoop(ctx context.Context, l closedLoop) loopResult {
	opts := []func(*vegeta.Attacker){
		vegeta.Workers(uint64(l.conc)), vegeta.MaxWorkers(uint64(l.conc)),
		vegeta.Connections(l.conc), vegeta.KeepAlive(true),
		vegeta.Redirects(vegeta.NoFollow), vegeta.Timeout(30 * time.Second),
		vegeta.HTTP2(false),
	}
	if !l.keepBodies {
		opts = append(opts, vegeta.MaxBody(0))
	}
	atk := vegeta.NewAttacker(opts...)
	var n atomic.Int64
	targeter := func(t *vegeta.Target) error {
		i := int(n.Add(1) - 1)
		if i >= l.max {
			return vegeta.ErrNoTargets
		}
		*t = l.next(i)
		return nil
	}
	var out loopResult
	out.Begin = time.Now()
	results := atk.Attack(targeter, countPacer{n: uint64(l.max)}, l.limit, "bench")
	var first, last time.Time
	for r := range results {
		if r.Error == vegeta.ErrNoTargets.Error() {
			continue
		}
		out.Results = append(out.Results, r)
		if first.IsZero() || r.Timestamp.Before(first) {
			first = r.Timestamp
		}
		if e := r.End(); e.After(last) {
			last = e
		}
		if (l.stop != nil && l.stop(r)) || ctx.Err() != nil {
			atk.Stop()
		}
	}
	if !first.IsZero() {
		out.Wall = last.Sub(first)
	}
	return out
}

// latencies returns the sorted latencies of the results that pass keep.
func latencies(rs []*vegeta.Result, keep func(*vegeta.Result) bool) []time.Duration {
	var out []time.Duration
	for _, r := range rs {
		if keep == nil || keep(r) {
			out = append(out, r.Latency)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

// getTarget is a GET of path on addr with the given Host.
func getTarget(addr, host, path string) vegeta.Target {
	return vegeta.Target{Method: http.MethodGet, URL: "http://" + addr + path, Header: http.Header{"Host": {host}}}
}
