package pagecache

import (
	"context"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// StoreTag and ProductTag name the tag sets.
func StoreTag(storeID int64) string     { return "s" + strconv.FormatInt(storeID, 10) }
func ProductTag(productID int64) string { return "p" + strconv.FormatInt(productID, 10) }

// tagShared records key under each tag in Redis, in one round trip. Tag
// sets live a little longer than the pages they point at.
func (c *Cache) tagShared(ctx context.Context, key string, tags []string) error {
	_, err := c.cfg.Redis.TxPipelined(ctx, func(p redis.Pipeliner) error {
		for _, t := range tags {
			p.SAdd(ctx, c.tagKey(t), key)
			p.Expire(ctx, c.tagKey(t), c.cfg.TTL+time.Minute)
		}
		return nil
	})
	return err
}

// maxLocalTags bounds the local tag index. Entries also expire after TTL,
// by which time no tier holds the page any more.
const maxLocalTags = 200_000

func (c *Cache) tagLocal(key string, tags []string) {
	now := time.Now()
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.tagCount >= maxLocalTags || now.Sub(c.tagSwept) > c.cfg.TTL {
		c.sweepTags(now)
	}
	for _, t := range tags {
		set := c.tags[t]
		if set == nil {
			set = map[string]time.Time{}
			c.tags[t] = set
		}
		if _, ok := set[key]; !ok {
			c.tagCount++
		}
		set[key] = now
	}
}

// sweepTags drops index entries older than TTL; if the index is still full
// it starts over (logged: until the TTL passes, purges then rely on Redis's
// index and the local TTL). Called with c.mu held.
func (c *Cache) sweepTags(now time.Time) {
	c.tagSwept = now
	n := 0
	for t, set := range c.tags {
		for k, at := range set {
			if now.Sub(at) > c.cfg.TTL {
				delete(set, k)
			}
		}
		if len(set) == 0 {
			delete(c.tags, t)
		}
		n += len(set)
	}
	if n >= maxLocalTags {
		c.log.Warn("pagecache: local tag index full; starting over", "entries", n)
		c.tags = map[string]map[string]time.Time{}
		n = 0
	}
	c.tagCount = n
}
