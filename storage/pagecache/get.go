package pagecache

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strconv"
	"time"

	rcache "github.com/go-redis/cache/v9"
)

// Result says which tier answered.
type Result string

const (
	HitLocal Result = "HIT-LOCAL"
	HitRedis Result = "HIT-REDIS"
	Miss     Result = "MISS"
)

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

// Render produces a page and the tags of what it shows.
type Render func(ctx context.Context) (body []byte, tags []string, err error)

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
