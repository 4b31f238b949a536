// Package pagecache is the app tier of Dukaan's page cache: rendered shop
// pages, gzip-compressed once per render, in an in-process TinyLFU and in
// Redis, a tag index that knows which pages show which store and product, and the
// purge of every tier — local in every replica (Redis pub/sub), Redis, then
// every nginx edge (HTTP PURGE) — when a product event says a page changed.
//
// Correctness over speed: a render that read the database before a change
// committed must not be stored after that change's purge. Every purge bumps
// a per-store epoch first; a render stores only if the epoch it saw before
// reading is still current, and otherwise tells the edge not to store it
// either. Each purge is repeated once shortly after, which catches a store
// that slipped between the epoch check and the write.
package pagecache

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
	"golang.org/x/sync/singleflight"
)

// Cache is the app tier of one replica.
type Cache struct {
	cfg   Config
	local *localPages // nil: the local tier is off
	log   *slog.Logger
	edges *edgePurger

	// epochs is the local view of each store's purge epoch; with Redis the
	// shared epoch is authoritative and this one guards the local tier.
	mu     sync.Mutex
	epochs map[int64]uint64
	// tags is this replica's own index of what it stored (tag → key →
	// when), used with or without Redis.
	tags     map[string]map[string]time.Time
	tagCount int
	tagSwept time.Time
	// Stores whose pages Redis may still hold stale, so they skip Redis
	// (purge.go, hasPending): failedAt marks a purge this replica could
	// not take through Redis; queueFailed is the job queue's view
	// (SetPendingStores): stores with a failed purge job still owed.
	failedAt    map[int64]time.Time
	queueFailed map[int64]bool
	// recent holds the keys purged per store in the last recentFor, for
	// the purge jobs' edge step (purge.go, recentKeys).
	recent map[int64][]recentPurge

	stats struct {
		hitsLocal, hitsRedis, misses, renders, uncacheable, redisErrors atomic.Uint64
		purges, purgedKeys, retries                                     atomic.Uint64
	}

	flights singleflight.Group

	// beforeRedisDel, when set (tests only), runs between a purge's local
	// step and its Redis DEL: the window in which a reader can still find
	// the old page in Redis.
	beforeRedisDel func()

	redisDownUntil atomic.Int64 // unix nanos; Redis is skipped until then
	sub            *redis.PubSub
	stop           context.CancelFunc
	wg             sync.WaitGroup
}

// New starts a cache; Close stops its background work.
func New(cfg Config) (*Cache, error) {
	if err := cfg.defaults(); err != nil {
		return nil, err
	}
	c := &Cache{
		cfg:      cfg,
		log:      cfg.Logger,
		epochs:   map[int64]uint64{},
		tags:     map[string]map[string]time.Time{},
		failedAt: map[int64]time.Time{},
		recent:   map[int64][]recentPurge{},
	}
	if cfg.LocalSize > 0 {
		c.local = newLocalPages(cfg.LocalSize, cfg.LocalTTL)
	}
	ctx, cancel := context.WithCancel(context.Background())
	c.stop = cancel
	c.edges = newEdgePurger(cfg.Edges, cfg.EdgeLookup, cfg.EdgeRefresh, cfg.Logger)
	c.edges.token = cfg.EdgeToken
	c.edges.start(ctx, &c.wg)
	if cfg.Redis != nil {
		c.sub = cfg.Redis.Subscribe(ctx, c.channel())
		c.wg.Add(1)
		go func() {
			defer c.wg.Done()
			c.listen(ctx)
		}()
	}
	return c, nil
}

// Close stops the subscriber and the edge retries.
func (c *Cache) Close() error {
	c.stop()
	if c.sub != nil {
		_ = c.sub.Close()
	}
	c.wg.Wait()
	return nil
}
