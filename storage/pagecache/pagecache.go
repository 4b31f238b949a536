// Package pagecache is the app tier of Dukaan's page cache: rendered shop
// pages in an in-process TinyLFU and in Redis (github.com/go-redis/cache),
// a tag index that knows which pages show which store and product, and the
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
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"log/slog"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	rcache "github.com/go-redis/cache/v9"
	"github.com/redis/go-redis/v9"
	"golang.org/x/sync/singleflight"
)

// Result says which tier answered.
type Result string

const (
	HitLocal Result = "HIT-LOCAL"
	HitRedis Result = "HIT-REDIS"
	Miss     Result = "MISS"
)

// Config tunes the tiers. Zero values take the defaults.
type Config struct {
	// Redis is the shared tier; nil keeps the local tier alone (one
	// replica, the embedded default).
	Redis *redis.Client
	// TTL of a page in Redis (default 15 minutes). At least 1 s: the
	// library silently turns shorter TTLs into an hour.
	TTL time.Duration
	// LocalTTL of a page in each replica's memory (default 5 s); the
	// broadcast purges it early, the TTL bounds it when a broadcast is
	// missed.
	LocalTTL time.Duration
	// LocalSize is how many pages each replica keeps (default 10,000);
	// negative turns the local tier off, so every hit comes from Redis
	// (the benchmarks measure that tier alone with it).
	LocalSize int
	// Edges are nginx base URLs ("http://127.0.0.1:8000") to PURGE, or
	// names resolved to every edge address ("dns+http://name:8080", see
	// DNSEdgePrefix), looked up again every EdgeRefresh (default 10 s)
	// with EdgeLookup (default: the system resolver).
	Edges       []string
	EdgeRefresh time.Duration
	// EdgeToken is sent with every PURGE as X-Dukaan-Purge-Token, for
	// edges started with the same token (dukaan edge --purge-token).
	EdgeToken  string
	EdgeLookup LookupFunc
	// PurgeTimeout bounds how long a product event waits for its purge
	// before the admin's redirect goes out (default 2 s); what did not
	// finish is retried in the background.
	PurgeTimeout time.Duration
	// SettleDelay is how long after a purge the edges are PURGEd again,
	// before the purge returns, for responses that were on their way to
	// an edge (default 100 ms; negative turns it off).
	SettleDelay time.Duration
	// RepurgeAfter is when the edges are PURGEd once more, in the
	// background (default 1 s).
	RepurgeAfter time.Duration
	// Prefix namespaces every Redis key and the pub/sub channel.
	Prefix string
	Logger *slog.Logger
	// OnPurge, when set, is told about each step of every purge pass (a
	// purge runs twice, see RepurgeAfter): tier is PurgeLocal, PurgeRedis
	// or PurgeEdge, target what was purged (TargetStore, TargetProduct or
	// TargetPage), d how long the step took, err why it failed. It is
	// called from request and background goroutines and must be quick;
	// monitoring/ turns it into metrics, so this package needs none.
	OnPurge func(tier, target string, d time.Duration, err error)
}

func (c *Config) defaults() error {
	if c.TTL == 0 {
		c.TTL = 15 * time.Minute
	}
	if c.LocalTTL == 0 {
		c.LocalTTL = 5 * time.Second
	}
	if c.TTL < time.Second || c.LocalTTL < time.Second {
		return errors.New("pagecache: TTL and LocalTTL must be at least 1s (go-redis/cache turns shorter TTLs into 1h)")
	}
	if c.LocalSize == 0 {
		c.LocalSize = 10000
	}
	if c.PurgeTimeout == 0 {
		c.PurgeTimeout = 2 * time.Second
	}
	if c.RepurgeAfter == 0 {
		c.RepurgeAfter = time.Second
	}
	if c.SettleDelay == 0 {
		c.SettleDelay = 100 * time.Millisecond
	}
	if c.Prefix == "" {
		c.Prefix = "dukaan:"
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	return nil
}

// Page is a rendered page as cached.
type Page struct {
	Body []byte
	ETag string
}

// NewPage wraps a body with its strong ETag.
func NewPage(body []byte) *Page {
	sum := sha256.Sum256(body)
	return &Page{Body: body, ETag: `"` + hex.EncodeToString(sum[:12]) + `"`}
}

// Stats are counters since start. Local hits are counted here because
// go-redis/cache's own Stats miss them.
type Stats struct {
	HitsLocal, HitsRedis, Misses, Renders, Uncacheable uint64
	RedisErrors                                        uint64
	Purges, PurgedKeys, EdgePurges, EdgeFailures       uint64
	Retries                                            uint64
	// PendingPurges counts stores whose last purge has not reached Redis
	// yet; they skip Redis until it has.
	PendingPurges uint64
}

// Cache is the app tier of one replica.
type Cache struct {
	cfg   Config
	rc    *rcache.Cache // local + Redis
	local rcache.LocalCache
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
	// pending holds purges that could not reach Redis, per store; they
	// are retried until they do, and the store skips Redis meanwhile.
	pending map[int64]*pendingPurge

	stats struct {
		hitsLocal, hitsRedis, misses, renders, uncacheable, redisErrors atomic.Uint64
		purges, purgedKeys, retries                                     atomic.Uint64
	}

	flights singleflight.Group

	redisDownUntil atomic.Int64 // unix nanos; Redis is skipped until then
	sub            *redis.PubSub
	stop           context.CancelFunc
	wg             sync.WaitGroup
}

// noLocal is the local tier turned off: it keeps nothing.
type noLocal struct{}

func (noLocal) Set(string, []byte)        {}
func (noLocal) Get(string) ([]byte, bool) { return nil, false }
func (noLocal) Del(string)                {}

// New starts a cache; Close stops its background work.
func New(cfg Config) (*Cache, error) {
	if err := cfg.defaults(); err != nil {
		return nil, err
	}
	c := &Cache{
		cfg:     cfg,
		log:     cfg.Logger,
		local:   noLocal{},
		epochs:  map[int64]uint64{},
		tags:    map[string]map[string]time.Time{},
		pending: map[int64]*pendingPurge{},
	}
	if cfg.LocalSize > 0 {
		c.local = rcache.NewTinyLFU(cfg.LocalSize, cfg.LocalTTL)
	}
	opts := &rcache.Options{LocalCache: c.local}
	if cfg.Redis != nil {
		opts.Redis = cfg.Redis
	}
	c.rc = rcache.New(opts)
	ctx, cancel := context.WithCancel(context.Background())
	c.stop = cancel
	c.edges = newEdgePurger(cfg.Edges, cfg.EdgeLookup, cfg.EdgeRefresh, cfg.Logger)
	c.edges.token = cfg.EdgeToken
	c.edges.start(ctx, &c.wg)
	if cfg.Redis != nil {
		c.sub = cfg.Redis.Subscribe(ctx, c.channel())
		c.wg.Add(2)
		go func() {
			defer c.wg.Done()
			c.listen(ctx)
		}()
		go func() {
			defer c.wg.Done()
			c.retryPending(ctx)
		}()
	}
	return c, nil
}

// Close stops the subscriber and the purge retries.
func (c *Cache) Close() error {
	c.stop()
	if c.sub != nil {
		_ = c.sub.Close()
	}
	c.wg.Wait()
	return nil
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

// Key is the cache key of a page: the store, then the host and request URI
// exactly as the edge keys it ($host$request_uri), so that a tagged key
// names the edge entry to purge.
func (c *Cache) Key(storeID int64, host, requestURI string) string {
	return c.cfg.Prefix + "page:" + strconv.FormatInt(storeID, 10) + ":" + host + requestURI
}

// StoreTag and ProductTag name the tag sets.
func StoreTag(storeID int64) string     { return "s" + strconv.FormatInt(storeID, 10) }
func ProductTag(productID int64) string { return "p" + strconv.FormatInt(productID, 10) }

// Render produces a page and the tags of what it shows.
type Render func(ctx context.Context) (body []byte, tags []string, err error)

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

// errStaleRender carries a page rendered while a purge of its store ran:
// it is served once but stored nowhere.
type errStaleRender struct{ page *Page }

func (errStaleRender) Error() string { return "pagecache: render overtaken by a purge" }

// Get returns the page for key from the nearest tier, or renders it once
// per replica however many requests miss at the same time. cacheable is
// false when the page must not be stored downstream either (the edge).
func (c *Cache) Get(ctx context.Context, storeID int64, key string, render Render) (p *Page, res Result, cacheable bool, err error) {
	if b, ok := c.local.Get(key); ok {
		if p, err := c.decode(b); err == nil {
			c.stats.hitsLocal.Add(1)
			return p, HitLocal, true, nil
		}
	}
	// A store whose last purge could not reach Redis may have stale pages
	// there: it is rendered from the database until that purge went through.
	useRedis := c.redisUp() && !c.hasPending(storeID)
	if useRedis {
		var v Page
		// Read the epoch first: a purge landing during the GET must keep
		// what the GET returned out of local memory.
		epoch := c.epochLocal(storeID)
		// The request going away must not look like Redis going away.
		gctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Second)
		err := c.rc.GetSkippingLocalCache(gctx, key, &v)
		cancel()
		switch {
		case err == nil:
			c.storeLocal(storeID, epoch, key, &v)
			c.stats.hitsRedis.Add(1)
			return &v, HitRedis, true, nil
		case !errors.Is(err, rcache.ErrCacheMiss):
			c.redisFailed(err)
			useRedis = false
		}
	}
	c.stats.misses.Add(1)
	// Concurrent misses of a page render once per replica. The flight is
	// keyed by the store's purge epoch too: a request that arrives after a
	// purge must never join a render that began before it (that render
	// read the database before the change committed).
	flight := key + "\x00" + strconv.FormatUint(c.epochLocal(storeID), 10)
	v, err, _ := c.flights.Do(flight, func() (any, error) {
		// Requests waiting on this render share it: one leaving must not
		// cancel it for the others.
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		defer cancel()
		// A flight that finished a moment ago may have stored the page
		// after this request looked: look again before rendering.
		if b, ok := c.local.Get(key); ok {
			if p, err := c.decode(b); err == nil {
				return p, nil
			}
		}
		if useRedis {
			var p Page
			if err := c.rc.GetSkippingLocalCache(rctx, key, &p); err == nil {
				return &p, nil
			}
		}
		return c.render(rctx, storeID, key, render, useRedis)
	})
	var stale errStaleRender
	switch {
	case errors.As(err, &stale):
		c.stats.uncacheable.Add(1)
		return stale.page, Miss, false, nil
	case err != nil:
		return nil, Miss, false, err
	}
	return v.(*Page), Miss, true, nil
}

// render runs the page's render under the epoch rule and records its tags.
// go-redis/cache stores what it returns in Redis.
func (c *Cache) render(ctx context.Context, storeID int64, key string, render Render, useRedis bool) (*Page, error) {
	localEpoch := c.epochLocal(storeID)
	var sharedEpoch uint64
	var sharedOK bool
	if useRedis {
		sharedEpoch, sharedOK = c.epochShared(ctx, storeID)
	}
	c.stats.renders.Add(1)
	body, tags, err := render(ctx)
	if err != nil {
		return nil, err
	}
	p := NewPage(body)
	if c.epochLocal(storeID) != localEpoch {
		return nil, errStaleRender{p}
	}
	tags = append(tags, StoreTag(storeID))
	// This replica always indexes what it stores, so that a purge can still
	// drop its own copies, and PURGE them at the edges, while Redis is out.
	c.tagLocal(key, tags)
	if sharedOK {
		// Tag first: a purge that runs after the write below finds it.
		if err := c.tagShared(ctx, key, tags); err != nil {
			// An untagged page could never be purged: do not store it.
			c.redisFailed(err)
			return nil, errStaleRender{p}
		}
		b, err := c.rc.Marshal(p)
		if err != nil {
			return nil, err
		}
		// Written only if no purge of the store has run since the render
		// began, checked and written in one step inside Redis.
		stored, err := setIfEpoch.Run(ctx, c.cfg.Redis, []string{key, c.epochKey(storeID)},
			b, strconv.FormatUint(sharedEpoch, 10), c.cfg.TTL.Milliseconds()).Int()
		if err != nil {
			c.redisFailed(err)
			return nil, errStaleRender{p}
		}
		if stored == 0 {
			return nil, errStaleRender{p}
		}
	} else if useRedis {
		// Redis is configured but its epoch could not be read: storing in
		// Redis now could outlive a purge that cannot reach it.
		return nil, errStaleRender{p}
	}
	c.storeLocal(storeID, localEpoch, key, p)
	return p, nil
}

func (c *Cache) decode(b []byte) (*Page, error) {
	var p Page
	if err := c.rc.Unmarshal(b, &p); err != nil {
		return nil, err
	}
	return &p, nil
}

// storeLocal keeps a page in this replica's memory unless a purge of its
// store happened since epoch was read.
func (c *Cache) storeLocal(storeID int64, epoch uint64, key string, p *Page) {
	b, err := c.rc.Marshal(p)
	if err != nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.epochs[storeID] == epoch {
		c.local.Set(key, b)
	}
}

func (c *Cache) epochLocal(storeID int64) uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.epochs[storeID]
}

func (c *Cache) epochKey(storeID int64) string {
	return c.cfg.Prefix + "epoch:" + strconv.FormatInt(storeID, 10)
}

func (c *Cache) tagKey(tag string) string { return c.cfg.Prefix + "tag:" + tag }

func (c *Cache) channel() string { return c.cfg.Prefix + "purge" }

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

// keyHost splits a page key back into the host and request URI an edge
// keyed it by.
func (c *Cache) keyHost(key string) (host, uri string, ok bool) {
	rest := key[min(len(key), len(c.cfg.Prefix+"page:")):]
	_, hostURI, found := cutByte(rest, ':')
	if !found {
		return "", "", false
	}
	i := indexByte(hostURI, '/')
	if i <= 0 {
		return "", "", false
	}
	return hostURI[:i], hostURI[i:], true
}

func cutByte(s string, b byte) (string, string, bool) {
	if i := indexByte(s, b); i >= 0 {
		return s[:i], s[i+1:], true
	}
	return s, "", false
}

func indexByte(s string, b byte) int {
	for i := 0; i < len(s); i++ {
		if s[i] == b {
			return i
		}
	}
	return -1
}

func (c *Cache) pendingCount() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.pending)
}
