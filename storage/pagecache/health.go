package pagecache

import (
	"context"
	"errors"
	"time"
)

// redisUp reports whether Redis is worth asking: after an error it is left
// alone for a second, so an outage costs one timeout per second rather than
// one per request.
func (c *Cache) redisUp() bool {
	return c.cfg.Redis != nil && time.Now().UnixNano() >= c.redisDownUntil.Load()
}

func (c *Cache) redisFailed(err error) {
	if errors.Is(err, context.Canceled) {
		return // our caller gave up; Redis did not fail
	}
	c.stats.redisErrors.Add(1)
	c.redisDownUntil.Store(time.Now().Add(time.Second).UnixNano())
	c.log.Warn("pagecache: redis unavailable, serving from the database", "err", err)
}
