package pagecache

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
)

type redisPipe = redis.Pipeliner

// target is one edge cache entry: nginx keys it $scheme$host$request_uri.
type target struct{ host, uri string }

// edgePurger sends PURGE for each target to each edge. A failure is queued
// for retries with backoff; the edge's TTL bounds what is never purged.
type edgePurger struct {
	edges  []string
	client *http.Client
	log    *slog.Logger
	retry  chan retryJob

	ok, failed, retries atomic.Uint64
}

type retryJob struct {
	edge    string
	t       target
	attempt int
}

type edgeStats struct{ ok, failed, retries uint64 }

const maxEdgeAttempts = 5

func newEdgePurger(edges []string, log *slog.Logger) *edgePurger {
	e := &edgePurger{
		log:   log,
		retry: make(chan retryJob, 4096),
		client: &http.Client{
			Timeout: 2 * time.Second,
			Transport: &http.Transport{
				MaxIdleConnsPerHost: 16,
				IdleConnTimeout:     30 * time.Second,
			},
		},
	}
	for _, s := range edges {
		if s = strings.TrimRight(strings.TrimSpace(s), "/"); s != "" {
			e.edges = append(e.edges, s)
		}
	}
	return e
}

func (e *edgePurger) stats() edgeStats {
	return edgeStats{ok: e.ok.Load(), failed: e.failed.Load(), retries: e.retries.Load()}
}

// purge sends every PURGE in parallel (bounded) and waits for all.
func (e *edgePurger) purge(ctx context.Context, targets []target) error {
	if len(e.edges) == 0 || len(targets) == 0 {
		return nil
	}
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs []error
		sem  = make(chan struct{}, 16)
	)
	for _, edge := range e.edges {
		for _, t := range targets {
			wg.Add(1)
			sem <- struct{}{}
			go func() {
				defer wg.Done()
				defer func() { <-sem }()
				if err := e.send(ctx, edge, t); err != nil {
					mu.Lock()
					errs = append(errs, err)
					mu.Unlock()
					e.enqueue(retryJob{edge: edge, t: t, attempt: 1})
				}
			}()
		}
	}
	wg.Wait()
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

func (e *edgePurger) enqueue(j retryJob) {
	select {
	case e.retry <- j:
	default:
		e.log.Error("pagecache: purge retry queue full; the edge TTL bounds staleness", "edge", j.edge, "host", j.t.host, "uri", j.t.uri)
	}
}

// start runs the retry loop until ctx ends.
func (e *edgePurger) start(ctx context.Context, wg *sync.WaitGroup) {
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-ctx.Done():
				return
			case j := <-e.retry:
				delay := time.Duration(1<<(j.attempt-1)) * 250 * time.Millisecond
				select {
				case <-ctx.Done():
					return
				case <-time.After(delay):
				}
				e.retries.Add(1)
				rctx, cancel := context.WithTimeout(ctx, 2*time.Second)
				err := e.send(rctx, j.edge, j.t)
				cancel()
				switch {
				case err == nil:
				case j.attempt+1 >= maxEdgeAttempts:
					e.log.Error("pagecache: giving up purging an edge; its TTL bounds staleness", "edge", j.edge, "host", j.t.host, "uri", j.t.uri, "err", err)
				default:
					j.attempt++
					e.enqueue(j)
				}
			}
		}
	}()
}
