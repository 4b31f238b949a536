package pagecache

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"dukaan/app"
)

// Publish is the app.EventSink: it purges the pages an event changed.
// Store-wide changes (a product added, removed, shown or hidden, store
// settings) touch every page of the store, because listings and
// pagination move; a change to one product touches the pages showing it.
func (c *Cache) Publish(ctx context.Context, ev app.ProductEvent) error {
	if !ev.StoreWide() {
		return c.Purge(ctx, ev.VendorID, ProductTag(ev.ProductID))
	}
	return c.Purge(ctx, ev.VendorID, StoreTag(ev.VendorID))
}

var _ app.EventSink = (*Cache)(nil)

// Purge removes every page carrying one of tags from every tier: this
// replica's memory, every other replica's (broadcast), Redis, then every
// edge, so an edge can never refill from a stale inner copy. It returns
// when done or after PurgeTimeout. It is the fast path the console's
// redirect waits for; what failed is retried by the purge job storage wrote
// in the change's transaction (PurgeDurable), and a store whose purge did
// not reach Redis skips Redis until that job went through.
//
// The app's tiers cannot take a stale page back after this (renders that
// began before it store nowhere), but an edge can: a response already on
// its way to an edge when the PURGE arrived is stored after it. So the
// edges are PURGEd again SettleDelay later, before returning, and once
// more RepurgeAfter later in the background; both repeat only the edge
// step, which costs the app a tier hit, never a render.
func (c *Cache) Purge(ctx context.Context, storeID int64, tags ...string) error {
	return c.purge(ctx, storeID, tags, nil)
}

// PurgeKeys removes single pages (an ops PURGE of one path).
func (c *Cache) PurgeKeys(ctx context.Context, storeID int64, keys ...string) error {
	return c.purge(ctx, storeID, nil, keys)
}

func (c *Cache) purge(ctx context.Context, storeID int64, tags, keys []string) error {
	c.stats.purges.Add(1)
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), c.cfg.PurgeTimeout)
	defer cancel()
	purged, _, err := c.purgeOnce(ctx, storeID, tags, keys)
	targets := c.targets(append(append([]string(nil), keys...), purged...))
	if len(targets) > 0 && c.edges.active() {
		if c.cfg.SettleDelay > 0 {
			select {
			case <-time.After(c.cfg.SettleDelay):
				_ = c.edges.purge(ctx, targets) // failures are retried by the purger
			case <-ctx.Done():
			}
		}
		time.AfterFunc(c.cfg.RepurgeAfter, func() {
			ctx, cancel := context.WithTimeout(context.Background(), c.cfg.PurgeTimeout)
			defer cancel()
			if err := c.edges.purge(ctx, targets); err != nil {
				c.log.Warn("pagecache: repeated edge purge failed; retrying", "store", storeID, "err", err)
			}
		})
	}
	if err != nil {
		c.log.Warn("pagecache: purge incomplete; its job retries it", "store", storeID, "err", err)
	}
	return err
}

// targets are the edge entries of page keys: each page under the host it
// was rendered for and, with StoreHosts, under every other name of its
// store (a custom domain's copy at the edge is an entry of its own).
func (c *Cache) targets(keys []string) []target {
	seen := map[target]bool{}
	var out []target
	add := func(t target) {
		if !seen[t] {
			seen[t] = true
			out = append(out, t)
		}
	}
	var names map[int64][]string
	for _, k := range keys {
		host, uri, ok := c.keyHost(k)
		if !ok {
			continue
		}
		add(target{host: host, uri: uri})
		if c.cfg.StoreHosts == nil {
			continue
		}
		id, ok := c.keyStore(k)
		if !ok {
			continue
		}
		if names == nil {
			names = map[int64][]string{}
		}
		hs, done := names[id]
		if !done {
			hs = c.cfg.StoreHosts(id)
			names[id] = hs
		}
		for _, h := range hs {
			add(target{host: h, uri: uri})
		}
	}
	return out
}

// purgeOnce runs one pass and returns the keys it found.
// redisDone reports whether the Redis step (shared tier and broadcast)
// succeeded, so the store's failed mark can be cleared even while an edge
// is still failing.
func (c *Cache) purgeOnce(ctx context.Context, storeID int64, tags, keys []string) (purged []string, redisDone bool, err error) {
	var errs []error
	scope := purgeTarget(storeID, tags)
	// 1. No render that started before now may store its page.
	c.bumpLocal(storeID)
	keys = append(keys, c.takeLocalTags(storeID, tags)...)
	redisOK := c.cfg.Redis != nil
	var redisTook time.Duration
	var redisErr error
	if redisOK {
		redisStart := time.Now()
		tagKeys := make([]string, len(tags))
		for i, t := range tags {
			tagKeys[i] = c.tagKey(t)
		}
		var members []string
		_, err := c.cfg.Redis.TxPipelined(ctx, func(p redisPipe) error {
			p.Incr(ctx, c.epochKey(storeID))
			return nil
		})
		if err == nil && len(tagKeys) > 0 {
			members, err = c.cfg.Redis.SUnion(ctx, tagKeys...).Result()
		}
		if err != nil {
			redisErr = fmt.Errorf("redis epoch/tags: %w", err)
			errs = append(errs, redisErr)
			c.redisFailed(err)
			redisOK = false
		}
		keys = append(keys, members...)
		redisTook = time.Since(redisStart)
	}
	keys = dedupe(keys)
	c.stats.purgedKeys.Add(uint64(len(keys)))
	c.noteRecentLocal(storeID, keys)

	// 2. This replica's memory.
	start := time.Now()
	for _, k := range keys {
		c.local.Del(k)
	}
	c.observePurge(PurgeLocal, scope, time.Since(start), nil)
	// 3. Redis, and every other replica's memory.
	if redisOK {
		if c.beforeRedisDel != nil {
			c.beforeRedisDel()
		}
		start := time.Now()
		if err := c.purgeRedis(ctx, storeID, tags, keys); err != nil {
			redisErr = err
			errs = append(errs, err)
			c.redisFailed(err)
		}
		redisTook += time.Since(start)
		// A request that read the (already bumped) epoch and then found the
		// old page in Redis before the DEL above could have stored it in
		// memory: bump again and drop our copies once more, now that Redis
		// no longer has them.
		c.bumpLocal(storeID)
		for _, k := range keys {
			c.local.Del(k)
		}
	}
	if c.cfg.Redis != nil {
		c.observePurge(PurgeRedis, scope, redisTook, redisErr)
		if redisErr != nil {
			c.markFailed(storeID)
		}
		redisDone = redisErr == nil
	}
	// 4. The edges, last.
	targets := c.targets(keys)
	if c.edges.active() && len(targets) > 0 {
		start := time.Now()
		err := c.edges.purge(ctx, targets)
		if err != nil {
			errs = append(errs, err)
		}
		c.observePurge(PurgeEdge, scope, time.Since(start), err)
	}
	return keys, redisDone, errors.Join(errs...)
}

// Purge steps and targets, as OnPurge reports them.
const (
	PurgeLocal = "local" // this replica's memory
	PurgeRedis = "redis" // the shared tier and the broadcast to other replicas
	PurgeEdge  = "edge"  // PURGE to every edge

	TargetStore   = "store"   // every page of a store
	TargetProduct = "product" // the pages showing a product
	TargetPage    = "page"    // named pages (an ops PURGE)
)

// purgeTarget names what a purge removes, for OnPurge.
func purgeTarget(storeID int64, tags []string) string {
	if len(tags) == 0 {
		return TargetPage
	}
	for _, t := range tags {
		if t == StoreTag(storeID) {
			return TargetStore
		}
	}
	return TargetProduct
}

func (c *Cache) observePurge(tier, target string, d time.Duration, err error) {
	if c.cfg.OnPurge != nil {
		c.cfg.OnPurge(tier, target, d, err)
	}
}

func (c *Cache) purgeRedis(ctx context.Context, storeID int64, tags, keys []string) error {
	id := newID()
	msg, _ := json.Marshal(broadcast{ID: id, Store: storeID, Keys: keys})
	var published *redis.IntCmd
	_, err := c.cfg.Redis.TxPipelined(ctx, func(p redisPipe) error {
		if len(keys) > 0 {
			// Remembered before the tag index forgets them: a purge job
			// that runs after this pass still PURGEs these at the edges
			// (recentKeys), whichever replica runs it.
			rk := c.recentKey(storeID)
			now := float64(time.Now().UnixMilli())
			for _, k := range keys {
				p.ZAdd(ctx, rk, redis.Z{Score: now, Member: k})
			}
			p.ZRemRangeByScore(ctx, rk, "-inf", strconv.FormatInt(time.Now().Add(-recentFor).UnixMilli(), 10))
			p.Expire(ctx, rk, recentFor+time.Minute)
			p.Del(ctx, keys...)
			for _, t := range tags {
				p.SRem(ctx, c.tagKey(t), toAny(keys)...)
			}
			p.SRem(ctx, c.tagKey(StoreTag(storeID)), toAny(keys)...)
		}
		published = p.Publish(ctx, c.channel(), msg)
		return nil
	})
	if err != nil {
		return fmt.Errorf("redis purge: %w", err)
	}
	// Wait until every replica (this one included) has dropped its copies,
	// so the admin's redirect cannot overtake them. Bounded: a replica
	// that does not answer in time still drops them moments later.
	wait := min(c.cfg.PurgeTimeout/2, 500*time.Millisecond)
	deadline := time.Now().Add(wait)
	ackKey := c.cfg.Prefix + "ack:" + id
	for n := published.Val(); n > 0; n-- {
		left := time.Until(deadline)
		if left <= 0 {
			c.log.Warn("pagecache: a replica did not confirm a purge in time", "store", storeID, "waited", wait)
			break
		}
		// go-redis rounds BLPop timeouts up to whole seconds; Redis itself
		// takes fractions.
		secs := strconv.FormatFloat(max(left.Seconds(), 0.001), 'f', 3, 64)
		if err := c.cfg.Redis.Do(ctx, "blpop", ackKey, secs).Err(); err != nil {
			c.log.Warn("pagecache: a replica did not confirm a purge in time", "store", storeID, "err", err)
			break
		}
	}
	return nil
}

func newID() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// broadcast tells every replica which pages of a store to drop.
type broadcast struct {
	ID    string   `json:"id"` // replicas acknowledge under this id
	Store int64    `json:"store"`
	Keys  []string `json:"keys"`
}

// listen applies other replicas' purges to this replica's memory.
func (c *Cache) listen(ctx context.Context) {
	ch := c.sub.Channel()
	for {
		select {
		case <-ctx.Done():
			return
		case m, ok := <-ch:
			if !ok {
				return
			}
			var b broadcast
			if err := json.Unmarshal([]byte(m.Payload), &b); err != nil {
				c.log.Warn("pagecache: bad purge broadcast", "err", err)
				continue
			}
			c.bumpLocal(b.Store)
			for _, k := range b.Keys {
				c.local.Del(k)
			}
			if b.ID != "" {
				ackKey := c.cfg.Prefix + "ack:" + b.ID
				actx, cancel := context.WithTimeout(ctx, time.Second)
				_, err := c.cfg.Redis.TxPipelined(actx, func(p redisPipe) error {
					p.RPush(actx, ackKey, 1)
					p.Expire(actx, ackKey, 10*time.Second)
					return nil
				})
				cancel()
				if err != nil {
					c.log.Warn("pagecache: could not confirm a purge", "err", err)
				}
			}
		}
	}
}

// pendingBridge is how long a purge this replica could not take through
// Redis keeps its store off Redis on its own word, before the job queue's
// view (SetPendingStores) has had time to show the job that owes it. After
// that the mark lasts while the queue still owes the store a purge.
const pendingBridge = 5 * time.Second

// hasPending reports whether the store's pages may be stale in Redis: a purge
// of it failed there and is still owed. Such a store is rendered from the
// database (get.go) until the purge job went through.
func (c *Cache) hasPending(storeID int64) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.queueFailed[storeID] {
		return true
	}
	_, ok := c.failedAt[storeID]
	return ok
}

func (c *Cache) pendingCount() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := len(c.failedAt)
	for id := range c.queueFailed {
		if _, ok := c.failedAt[id]; !ok {
			n++
		}
	}
	return n
}

// markFailed remembers that a purge of the store did not reach Redis.
func (c *Cache) markFailed(storeID int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.failedAt[storeID] = time.Now()
}

// SetPendingStores is the job queue's view, read every ~100 ms by the
// queue's watcher (storage/jobs): failed holds the stores with a purge job
// that failed and is still owed (on any replica), owed those with any purge
// job not yet done. This replica's own marks are dropped once the bridge
// time passed and the queue no longer owes their store a purge: the job that
// covered the failed purge has then gone through.
func (c *Cache) SetPendingStores(failed, owed map[int64]bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.queueFailed = failed
	for id, at := range c.failedAt {
		if time.Since(at) > pendingBridge && !owed[id] && !failed[id] {
			delete(c.failedAt, id)
		}
	}
}

// PurgeDurable is one attempt of a purge job (storage/jobs): every page of
// the store when store is set, else the pages showing products, plus known,
// the keys an earlier attempt found. Before it removes anything it hands the
// keys it found to save, which writes them into the job, so a retry (after
// an edge outage, or on another replica after this one died) still knows
// which edge entries to PURGE once the tag indexes forgot them. It is
// idempotent: purging a purged key again is harmless. It returns an error
// while Redis or an edge failed, and the job is retried with backoff.
func (c *Cache) PurgeDurable(ctx context.Context, storeID int64, store bool, products []int64, known []string, since time.Time, save func(context.Context, []string) error) error {
	tags := []string{StoreTag(storeID)}
	if !store {
		tags = tags[:0]
		for _, id := range products {
			tags = append(tags, ProductTag(id))
		}
	}
	// Without Redis the local index is all there is; the Redis step
	// below then fails too, and the job is retried.
	found, _ := c.peekKeys(ctx, storeID, tags)
	keys := dedupe(append(append([]string(nil), known...), found...))
	// The fast path after the commit may already have taken these pages
	// out of the tag indexes (and failed at an edge): the keys purged since
	// the job was written are PURGEd at the edges too. Only at the edges:
	// dropping them from the app's tiers again would cost renders.
	recent := c.recentKeys(ctx, storeID, since.Add(-recentSlack))
	if err := save(ctx, keys); err != nil {
		return err
	}
	c.stats.purges.Add(1)
	ctx, cancel := context.WithTimeout(ctx, c.cfg.PurgeTimeout)
	defer cancel()
	purged, redisDone, err := c.purgeOnce(ctx, storeID, tags, keys)
	if extra := c.targets(recent); len(extra) > 0 && c.edges.active() {
		if eerr := c.edges.purge(ctx, extra); eerr != nil {
			err = errors.Join(err, eerr)
		}
		purged = append(purged, recent...)
	}
	if redisDone {
		c.mu.Lock()
		delete(c.failedAt, storeID)
		c.mu.Unlock()
	}
	if err != nil {
		return err
	}
	// As in purge: responses on their way to an edge during the PURGE.
	if targets := c.targets(purged); len(targets) > 0 && c.edges.active() && c.cfg.SettleDelay > 0 {
		select {
		case <-time.After(c.cfg.SettleDelay):
			return c.edges.purge(ctx, targets)
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}

// PurgeEdgesSince PURGEs at the edges the store's keys purged since since:
// what a purge job does when the fast path of every edit it covers already
// purged the app's tiers (jobs.PurgeArgs.Settled). It repeats, durably, the
// edge PURGEs the fast path made and repeats in memory (SettleDelay,
// RepurgeAfter), for a response that was on its way to an edge; it costs
// the app tier hits, never a render.
func (c *Cache) PurgeEdgesSince(ctx context.Context, storeID int64, since time.Time) error {
	if !c.edges.active() {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, c.cfg.PurgeTimeout)
	defer cancel()
	targets := c.targets(c.recentKeys(ctx, storeID, since.Add(-recentSlack)))
	if len(targets) == 0 {
		return nil
	}
	return c.edges.purge(ctx, targets)
}

// recentFor is how long purged keys are remembered per store for the purge
// jobs' edge step; recentSlack covers the clocks of replicas and database.
const (
	recentFor   = 10 * time.Minute
	recentSlack = 5 * time.Second
)

func (c *Cache) recentKey(storeID int64) string {
	return c.cfg.Prefix + "recent:" + strconv.FormatInt(storeID, 10)
}

type recentPurge struct {
	key string
	at  time.Time
}

// noteRecentLocal remembers purged keys in this replica (the only record
// without Redis).
func (c *Cache) noteRecentLocal(storeID int64, keys []string) {
	if len(keys) == 0 {
		return
	}
	now := time.Now()
	c.mu.Lock()
	defer c.mu.Unlock()
	list := c.recent[storeID]
	for len(list) > 0 && now.Sub(list[0].at) > recentFor {
		list = list[1:]
	}
	for _, k := range keys {
		list = append(list, recentPurge{k, now})
	}
	if len(list) > 10000 {
		list = list[len(list)-10000:]
	}
	c.recent[storeID] = list
}

// recentKeys are the keys of the store purged since then, here and (with
// Redis) on every replica.
func (c *Cache) recentKeys(ctx context.Context, storeID int64, since time.Time) []string {
	var keys []string
	c.mu.Lock()
	for _, r := range c.recent[storeID] {
		if !r.at.Before(since) {
			keys = append(keys, r.key)
		}
	}
	c.mu.Unlock()
	if c.cfg.Redis != nil {
		members, err := c.cfg.Redis.ZRangeByScore(ctx, c.recentKey(storeID), &redis.ZRangeBy{
			Min: strconv.FormatInt(since.UnixMilli(), 10), Max: "+inf"}).Result()
		if err == nil {
			keys = append(keys, members...)
		}
	}
	return dedupe(keys)
}

// peekKeys lists the keys tagged with tags in this replica's index and in
// Redis without forgetting them.
func (c *Cache) peekKeys(ctx context.Context, storeID int64, tags []string) ([]string, error) {
	c.mu.Lock()
	var keys []string
	for _, t := range tags {
		for k := range c.tags[t] {
			keys = append(keys, k)
		}
	}
	c.mu.Unlock()
	if c.cfg.Redis == nil || len(tags) == 0 {
		return keys, nil
	}
	tagKeys := make([]string, len(tags))
	for i, t := range tags {
		tagKeys[i] = c.tagKey(t)
	}
	members, err := c.cfg.Redis.SUnion(ctx, tagKeys...).Result()
	if err != nil {
		return keys, err
	}
	return append(keys, members...), nil
}

// takeLocalTags returns and forgets the keys of the local tag index, and
// drops them from the store's own tag as well (as purgeRedis does in Redis).
func (c *Cache) takeLocalTags(storeID int64, tags []string) []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var keys []string
	for _, t := range tags {
		for k := range c.tags[t] {
			keys = append(keys, k)
		}
		c.tagCount -= len(c.tags[t])
		delete(c.tags, t)
	}
	if store := c.tags[StoreTag(storeID)]; store != nil {
		for _, k := range keys {
			if _, ok := store[k]; ok {
				delete(store, k)
				c.tagCount--
			}
		}
	}
	return keys
}

func dedupe(s []string) []string {
	seen := make(map[string]struct{}, len(s))
	out := s[:0]
	for _, v := range s {
		if _, ok := seen[v]; !ok {
			seen[v] = struct{}{}
			out = append(out, v)
		}
	}
	return out
}

func toAny(s []string) []any {
	out := make([]any, len(s))
	for i, v := range s {
		out[i] = v
	}
	return out
}
