package pagecache

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
)

type redisPipe = redis.Pipeliner

// target is one edge cache entry: nginx keys it $scheme$host$request_uri.
type target struct{ host, uri string }

// edgePurger sends PURGE for each target to each edge. A failure gets its
// own retry timer with exponential backoff (several retries run at once,
// one per edge and page at a time); the edge's TTL bounds what is never
// purged.
type edgePurger struct {
	edges  *edgeSet // static and discovered base URLs (discovery.go)
	token  string   // X-Dukaan-Purge-Token, when the edges want one
	client *http.Client
	log    *slog.Logger

	ctx     context.Context
	sem     chan struct{} // bounds concurrent retries
	mu      sync.Mutex
	waiting map[retryKey]bool // scheduled retries, de-duplicated

	ok, failed, retries atomic.Uint64
}

type retryKey struct {
	edge string
	t    target
}

type edgeStats struct{ ok, failed, retries uint64 }

const (
	maxEdgeAttempts = 6
	maxRetrying     = 10000 // distinct (edge, page) retries scheduled at once
)

func newEdgePurger(edges []string, lookup LookupFunc, refresh time.Duration, log *slog.Logger) *edgePurger {
	e := &edgePurger{
		edges:   newEdgeSet(edges, lookup, refresh, log),
		log:     log,
		ctx:     context.Background(),
		sem:     make(chan struct{}, 8),
		waiting: map[retryKey]bool{},
		client: &http.Client{
			Timeout: 2 * time.Second,
			Transport: &http.Transport{
				MaxIdleConnsPerHost: 16,
				IdleConnTimeout:     30 * time.Second,
			},
		},
	}
	return e
}

// active reports whether there is any edge to purge right now.
func (e *edgePurger) active() bool { return len(e.edges.list()) > 0 }

func (e *edgePurger) stats() edgeStats {
	return edgeStats{ok: e.ok.Load(), failed: e.failed.Load(), retries: e.retries.Load()}
}

// purge sends every PURGE in parallel (bounded) and waits for all. The
// error names the first few failures and counts the rest.
func (e *edgePurger) purge(ctx context.Context, targets []target) error {
	edges := e.edges.list()
	if len(edges) == 0 || len(targets) == 0 {
		return nil
	}
	var (
		wg     sync.WaitGroup
		mu     sync.Mutex
		errs   []error
		failed int
		sem    = make(chan struct{}, 16)
	)
	for _, edge := range edges {
		for _, t := range targets {
			wg.Add(1)
			sem <- struct{}{}
			go func() {
				defer wg.Done()
				defer func() { <-sem }()
				if err := e.send(ctx, edge, t); err != nil {
					mu.Lock()
					failed++
					if len(errs) < 3 {
						errs = append(errs, err)
					}
					mu.Unlock()
					e.schedule(retryKey{edge, t}, 1)
				}
			}()
		}
	}
	wg.Wait()
	if failed > len(errs) {
		errs = append(errs, fmt.Errorf("and %d more PURGEs failed", failed-len(errs)))
	}
	return errors.Join(errs...)
}

// send issues one PURGE. 200 (purged) and 404 (not cached) both mean the
// edge holds no copy any more.
func (e *edgePurger) send(ctx context.Context, edge string, t target) error {
	req, err := http.NewRequestWithContext(ctx, "PURGE", edge+t.uri, nil)
	if err != nil {
		e.failed.Add(1)
		return err
	}
	req.Host = t.host
	if e.token != "" {
		req.Header.Set("X-Dukaan-Purge-Token", e.token)
	}
	resp, err := e.client.Do(req)
	if err != nil {
		e.failed.Add(1)
		return fmt.Errorf("edge %s PURGE %s%s: %w", edge, t.host, t.uri, err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusNotFound {
		e.failed.Add(1)
		return fmt.Errorf("edge %s PURGE %s%s: %s", edge, t.host, t.uri, resp.Status)
	}
	e.ok.Add(1)
	return nil
}

// schedule retries one PURGE after 250 ms × 2^(attempt-1), unless the
// same one is already waiting.
func (e *edgePurger) schedule(k retryKey, attempt int) {
	e.mu.Lock()
	if e.ctx.Err() != nil || e.waiting[k] {
		e.mu.Unlock()
		return
	}
	if len(e.waiting) >= maxRetrying {
		e.mu.Unlock()
		e.log.Error("pagecache: too many edge purges waiting for a retry; the edge TTL bounds staleness", "edge", k.edge, "host", k.t.host, "uri", k.t.uri)
		return
	}
	e.waiting[k] = true
	e.mu.Unlock()
	delay := time.Duration(1<<(attempt-1)) * 250 * time.Millisecond
	time.AfterFunc(delay, func() { e.retry(k, attempt) })
}

func (e *edgePurger) retry(k retryKey, attempt int) {
	e.mu.Lock()
	delete(e.waiting, k)
	ctx := e.ctx
	e.mu.Unlock()
	if ctx.Err() != nil {
		return
	}
	if !e.edges.has(k.edge) {
		// A discovered edge that went away: nothing left to purge there.
		return
	}
	select {
	case e.sem <- struct{}{}:
	case <-ctx.Done():
		return
	}
	defer func() { <-e.sem }()
	e.retries.Add(1)
	rctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	err := e.send(rctx, k.edge, k.t)
	cancel()
	switch {
	case err == nil:
	case attempt+1 >= maxEdgeAttempts:
		e.log.Error("pagecache: giving up purging an edge; its TTL bounds staleness", "edge", k.edge, "host", k.t.host, "uri", k.t.uri, "err", err)
	default:
		e.schedule(k, attempt+1)
	}
}

// start ties the retries to ctx: when it ends, no retry runs any more.
// With dns+ entries it looks them up once before returning, then again
// every refresh interval until ctx ends (counted in wg).
func (e *edgePurger) start(ctx context.Context, wg *sync.WaitGroup) {
	e.mu.Lock()
	e.ctx = ctx
	e.mu.Unlock()
	if len(e.edges.dns) == 0 {
		return
	}
	e.edges.update(ctx)
	wg.Add(1)
	go func() {
		defer wg.Done()
		e.edges.run(ctx)
	}()
}
