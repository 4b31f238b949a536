package pagecache

import (
	"context"
	"errors"

	"github.com/redis/go-redis/v9"
)

// setIfEpoch stores a page only while the store's purge epoch is still the
// one its render began under (a missing epoch counts as 0).
var setIfEpoch = redis.NewScript(`
local e = redis.call('GET', KEYS[2])
if (e == false and ARGV[2] == '0') or e == ARGV[2] then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[3])
  return 1
end
return 0
`)

// bumpLocal starts a new epoch of the store in this replica.
func (c *Cache) bumpLocal(storeID int64) {
	c.mu.Lock()
	c.epochs[storeID]++
	c.mu.Unlock()
}

func (c *Cache) epochLocal(storeID int64) uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.epochs[storeID]
}

// epochShared reads the store's epoch in Redis; ok is false without Redis.
func (c *Cache) epochShared(ctx context.Context, storeID int64) (uint64, bool) {
	if c.cfg.Redis == nil || !c.redisUp() {
		return 0, false
	}
	n, err := c.cfg.Redis.Get(ctx, c.epochKey(storeID)).Uint64()
	if errors.Is(err, redis.Nil) {
		return 0, true
	} else if err != nil {
		c.redisFailed(err)
		return 0, false
	}
	return n, true
}
