package monitoring

import (
	"context"
	"database/sql"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"

	"dukaan/storage/jobs"
	"dukaan/storage/pagecache"
)

// pageCacheCollector reads pagecache.Stats once per scrape, so every
// counter of a scrape comes from the same moment.
type pageCacheCollector struct {
	stats func() pagecache.Stats
}

func pcDesc(name, help string, labels ...string) *prometheus.Desc {
	return prometheus.NewDesc(Namespace+"_pagecache_"+name, help, labels, nil)
}

var (
	pcRequests = pcDesc("requests_total",
		"Shop page lookups in the app's cache by the tier that answered: hit_local (this replica's memory), hit_redis (the shared tier) or miss (rendered, or waited on a render).", "result")
	pcRenders     = pcDesc("renders_total", "Pages rendered from the database (one per key per replica however many requests missed at once).")
	pcUncacheable = pcDesc("uncacheable_total", "Renders overtaken by a purge of their store: served once with no-store, stored nowhere.")
	pcRedisErrors = pcDesc("redis_errors_total", "Redis operations of the page cache that failed; Redis is then skipped for a second.")
	pcPurges      = pcDesc("purges_total", "Purges requested (product events and ops PURGE); each runs twice.")
	pcPurgedKeys  = pcDesc("purged_keys_total", "Page keys removed by purges, both passes.")
	pcEdgePurges  = pcDesc("edge_purge_requests_total", "HTTP PURGE requests to edges by result: ok (purged or not cached) or failed (queued for retry).", "result")
	pcEdgeRetries = pcDesc("edge_purge_retries_total", "PURGE requests to edges sent again after a failure.")
)

func (c *pageCacheCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{pcRequests, pcRenders, pcUncacheable, pcRedisErrors, pcPurges, pcPurgedKeys, pcEdgePurges, pcEdgeRetries} {
		ch <- d
	}
}

func (c *pageCacheCollector) Collect(ch chan<- prometheus.Metric) {
	s := c.stats()
	counter := func(d *prometheus.Desc, v uint64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(v), labels...)
	}
	counter(pcRequests, s.HitsLocal, "hit_local")
	counter(pcRequests, s.HitsRedis, "hit_redis")
	counter(pcRequests, s.Misses, "miss")
	counter(pcRenders, s.Renders)
	counter(pcUncacheable, s.Uncacheable)
	counter(pcRedisErrors, s.RedisErrors)
	counter(pcPurges, s.Purges)
	counter(pcPurgedKeys, s.PurgedKeys)
	counter(pcEdgePurges, s.EdgePurges, "ok")
	counter(pcEdgePurges, s.EdgeFailures, "failed")
	counter(pcEdgeRetries, s.Retries)
}

// RedisPool is what the Redis pool collector reads: *redis.Client.
type RedisPool interface {
	PoolStats() *redis.PoolStats
}

type redisPoolCollector struct {
	pool RedisPool
}

func rpDesc(name, help string, labels ...string) *prometheus.Desc {
	return prometheus.NewDesc(Namespace+"_redis_pool_"+name, help, labels, nil)
}

var (
	rpHits        = rpDesc("hits_total", "Times a free connection was found in the pool.")
	rpMisses      = rpDesc("misses_total", "Times no free connection was in the pool (one was dialled or waited for).")
	rpTimeouts    = rpDesc("timeouts_total", "Times waiting for a connection timed out (PoolTimeout).")
	rpWaits       = rpDesc("waits_total", "Times a request waited for a connection.")
	rpWaitSeconds = rpDesc("wait_seconds_total", "Total time requests waited for a connection.")
	rpConns       = rpDesc("connections", "Connections in the pool by state: idle or in_use.", "state")
	rpStale       = rpDesc("stale_connections_total", "Stale connections removed from the pool.")
	rpPending     = rpDesc("pending_requests", "Requests waiting for a connection now.")
)

func (c *redisPoolCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{rpHits, rpMisses, rpTimeouts, rpWaits, rpWaitSeconds, rpConns, rpStale, rpPending} {
		ch <- d
	}
}

func (c *redisPoolCollector) Collect(ch chan<- prometheus.Metric) {
	s := c.pool.PoolStats()
	if s == nil {
		return
	}
	counter := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, v, labels...)
	}
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}
	counter(rpHits, float64(s.Hits))
	counter(rpMisses, float64(s.Misses))
	counter(rpTimeouts, float64(s.Timeouts))
	counter(rpWaits, float64(s.WaitCount))
	counter(rpWaitSeconds, float64(s.WaitDurationNs)/1e9)
	inUse := float64(s.TotalConns) - float64(s.IdleConns)
	if inUse < 0 {
		inUse = 0
	}
	gauge(rpConns, float64(s.IdleConns), "idle")
	gauge(rpConns, inUse, "in_use")
	counter(rpStale, float64(s.StaleConns))
	gauge(rpPending, float64(s.PendingRequests))
}

// jobsCollector reads the job queue (river_job) with one query per scrape.
// Every known kind is exported, zero included, so a query over an idle
// queue returns 0 rather than nothing.
type jobsCollector struct {
	db      *sql.DB
	dialect string
}

func jobDesc(name, help string, labels ...string) *prometheus.Desc {
	return prometheus.NewDesc(Namespace+"_jobs_"+name, help, labels, nil)
}

var (
	jobsQueueDepth = jobDesc("queue_depth",
		"Jobs waiting to run by kind: available, scheduled (a later run time) and retryable (waiting for their next attempt).", "kind")
	jobsByState = prometheus.NewDesc(Namespace+"_jobs",
		"Jobs in the queue by kind and state (available, scheduled, retryable, running, discarded). Discarded jobs gave up after their last attempt and are kept for a week.", []string{"kind", "state"}, nil)
	jobsOldest = jobDesc("oldest_available_age_seconds",
		"Seconds the oldest available job of the kind has waited for a worker (0 when none waits). Above a second or two, no replica is working the queue.", "kind")
	jobsErrored = jobDesc("failing",
		"Unfinished jobs by kind whose earlier attempts failed (retryable, or available or running again after a failure).", "kind")
	jobsRetries = jobDesc("retries",
		"Attempts beyond the first, summed over the unfinished and discarded jobs of the kind.", "kind")
	jobsUp = jobDesc("query_up", "1 when the queue could be read at scrape time, else 0 (the job metrics are then absent).")
)

const jobsQueryTimeout = 2 * time.Second

func (c *jobsCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{jobsQueueDepth, jobsByState, jobsOldest, jobsErrored, jobsRetries, jobsUp} {
		ch <- d
	}
}

func (c *jobsCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), jobsQueryTimeout)
	defer cancel()
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}
	stats, err := jobs.QueueStats(ctx, c.db, c.dialect)
	if err != nil {
		gauge(jobsUp, 0)
		return
	}
	gauge(jobsUp, 1)
	type perKind struct {
		depth, errored, retries, oldest float64
		state                           map[string]float64
	}
	states := []string{"available", "scheduled", "retryable", "running", "discarded"}
	kinds := map[string]*perKind{}
	var order []string
	kind := func(k string) *perKind {
		if kinds[k] == nil {
			kinds[k] = &perKind{state: map[string]float64{}}
			order = append(order, k)
		}
		return kinds[k]
	}
	for _, k := range jobs.Kinds() {
		kind(k)
	}
	for _, s := range stats {
		k := kind(s.Kind)
		k.state[s.State] += float64(s.Jobs)
		k.retries += float64(s.Retries)
		switch s.State {
		case "available", "scheduled", "retryable":
			k.depth += float64(s.Jobs)
		}
		if s.State != "discarded" {
			k.errored += float64(s.Errored)
		}
		if s.State == "available" {
			k.oldest = s.OldestSeconds
		}
	}
	for _, name := range order {
		k := kinds[name]
		gauge(jobsQueueDepth, k.depth, name)
		for _, st := range states {
			gauge(jobsByState, k.state[st], name, st)
		}
		gauge(jobsOldest, k.oldest, name)
		gauge(jobsErrored, k.errored, name)
		gauge(jobsRetries, k.retries, name)
	}
}
