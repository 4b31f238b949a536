package monitoring

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"

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
