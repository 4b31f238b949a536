package pagecache

// Stats are counters since start.
type Stats struct {
	HitsLocal, HitsRedis, Misses, Renders, Uncacheable uint64
	RedisErrors                                        uint64
	Purges, PurgedKeys, EdgePurges, EdgeFailures       uint64
	Retries                                            uint64
	// PendingPurges counts stores whose last purge has not reached Redis
	// yet; they skip Redis until it has.
	PendingPurges uint64
}

// Stats returns the counters.
func (c *Cache) Stats() Stats {
	e := c.edges.stats()
	return Stats{
		HitsLocal: c.stats.hitsLocal.Load(), HitsRedis: c.stats.hitsRedis.Load(),
		Misses: c.stats.misses.Load(), Renders: c.stats.renders.Load(),
		Uncacheable: c.stats.uncacheable.Load(), RedisErrors: c.stats.redisErrors.Load(),
		Purges: c.stats.purges.Load(), PurgedKeys: c.stats.purgedKeys.Load(),
		EdgePurges: e.ok, EdgeFailures: e.failed, Retries: e.retries + c.stats.retries.Load(),
		PendingPurges: uint64(c.pendingCount()),
	}
}
