package pagecache

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"dukaan/app"
)

// Publish is the app.EventSink: it purges the pages an event changed.
// Store-wide changes (a product added, removed, shown or hidden, store
// settings) touch every page of the store, because listings and
// pagination move; a change to one product touches the pages showing it.
func (c *Cache) Publish(ctx context.Context, ev app.ProductEvent) error {
	switch ev.Kind {
	case app.ProductUpdated, app.ProductSoldOut, app.ProductRestocked:
		if ev.ProductID != 0 {
			return c.Purge(ctx, ev.VendorID, ProductTag(ev.ProductID))
		}
	}
	return c.Purge(ctx, ev.VendorID, StoreTag(ev.VendorID))
}

var _ app.EventSink = (*Cache)(nil)

// Purge removes every page carrying one of tags from every tier: this
// replica's memory, every other replica's (broadcast), Redis, then every
// edge, so an edge can never refill from a stale inner copy. It returns
// when done or after PurgeTimeout; whatever failed is retried in the
// background, and the whole purge runs once more after RepurgeAfter.
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
	purged, err := c.purgeOnce(ctx, storeID, tags, keys)
	// The second pass catches a page stored by a render that passed its
	// epoch check just before the first pass bumped the epoch.
	again := append(append([]string(nil), keys...), purged...)
	time.AfterFunc(c.cfg.RepurgeAfter, func() {
		ctx, cancel := context.WithTimeout(context.Background(), c.cfg.PurgeTimeout)
		defer cancel()
		if _, err := c.purgeOnce(ctx, storeID, tags, again); err != nil {
			c.log.Warn("pagecache: second purge failed; TTL bounds staleness", "store", storeID, "err", err)
		}
	})
	if err != nil {
		c.log.Warn("pagecache: purge incomplete, retrying in background", "store", storeID, "err", err)
	}
	return err
}

// purgeOnce runs one pass and returns the keys it found.
func (c *Cache) purgeOnce(ctx context.Context, storeID int64, tags, keys []string) ([]string, error) {
	var errs []error
	// 1. No render that started before now may store its page.
	c.bumpLocal(storeID)
	keys = append(keys, c.takeLocalTags(tags)...)
	redisOK := c.cfg.Redis != nil
	if redisOK {
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
			errs = append(errs, fmt.Errorf("redis epoch/tags: %w", err))
			c.redisFailed(err)
			redisOK = false
		}
		keys = append(keys, members...)
	}
	keys = dedupe(keys)
	c.stats.purgedKeys.Add(uint64(len(keys)))

	// 2. This replica's memory.
	for _, k := range keys {
		c.local.Del(k)
	}
	// 3. Redis, and every other replica's memory.
	if redisOK {
		if err := c.purgeRedis(ctx, storeID, tags, keys); err != nil {
			errs = append(errs, err)
			c.redisFailed(err)
		}
	}
	// 4. The edges, last.
	var targets []target
	for _, k := range keys {
		if host, uri, ok := c.keyHost(k); ok {
			targets = append(targets, target{host: host, uri: uri})
		}
	}
	if err := c.edges.purge(ctx, targets); err != nil {
		errs = append(errs, err)
	}
	return keys, errors.Join(errs...)
}

func (c *Cache) purgeRedis(ctx context.Context, storeID int64, tags, keys []string) error {
	msg, _ := json.Marshal(broadcast{Store: storeID, Keys: keys})
	_, err := c.cfg.Redis.TxPipelined(ctx, func(p redisPipe) error {
		if len(keys) > 0 {
			p.Del(ctx, keys...)
			for _, t := range tags {
				p.SRem(ctx, c.tagKey(t), toAny(keys)...)
			}
			p.SRem(ctx, c.tagKey(StoreTag(storeID)), toAny(keys)...)
		}
		p.Publish(ctx, c.channel(), msg)
		return nil
	})
	if err != nil {
		return fmt.Errorf("redis purge: %w", err)
	}
	return nil
}

// broadcast tells every replica which pages of a store to drop.
type broadcast struct {
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
		}
	}
}

func (c *Cache) bumpLocal(storeID int64) {
	c.mu.Lock()
	c.epochs[storeID]++
	c.mu.Unlock()
}

// takeLocalTags returns and forgets the keys of the local tag index.
func (c *Cache) takeLocalTags(tags []string) []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var keys []string
	for _, t := range tags {
		for k := range c.tags[t] {
			keys = append(keys, k)
		}
		delete(c.tags, t)
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
