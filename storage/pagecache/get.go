package pagecache

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// Result says which tier answered.
type Result string

const (
	HitLocal Result = "HIT-LOCAL"
	HitRedis Result = "HIT-REDIS"
	Miss     Result = "MISS"
)

// Render produces a page and the tags of what it shows.
type Render func(ctx context.Context) (body []byte, tags []string, err error)

// NotFound is what a Render returns for a page that does not exist (an
// out-of-range page number, a product that is gone): Body is the rendered
// 404 page, kept in every tier for Config.NotFoundTTL under the store's tag
// and Tags, so that a burst of requests for it renders once, and the purge
// that makes the page exist (a new product, a product shown again) finds
// it.
type NotFound struct {
	Body []byte
	Tags []string
}

func (*NotFound) Error() string { return "pagecache: no such page" }

// errStaleRender carries a page rendered while a purge of its store ran:
// it is served once but stored nowhere.
type errStaleRender struct{ page *Page }

func (errStaleRender) Error() string { return "pagecache: render overtaken by a purge" }

// Get returns the page for key from the nearest tier, or renders it once
// per replica however many requests miss at the same time. cacheable is
// false when the page must not be stored downstream either (the edge).
func (c *Cache) Get(ctx context.Context, storeID int64, key string, render Render) (p *Page, res Result, cacheable bool, err error) {
	if p, ok := c.local.get(key); ok {
		c.stats.hitsLocal.Add(1)
		return p, HitLocal, true, nil
	}
	// A store whose last purge could not reach Redis may have stale pages
	// there: it is rendered from the database until that purge went through.
	useRedis := c.redisUp() && !c.hasPending(storeID)
	if useRedis {
		// Read the epoch first: a purge landing during the GET must keep
		// what the GET returned out of local memory.
		epoch := c.epochLocal(storeID)
		// The request going away must not look like Redis going away.
		gctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Second)
		p, err := c.getRedis(gctx, key)
		cancel()
		switch {
		case err == nil:
			c.storeLocal(storeID, epoch, key, p)
			c.stats.hitsRedis.Add(1)
			return p, HitRedis, true, nil
		case !errors.Is(err, redis.Nil):
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
		if p, ok := c.local.get(key); ok {
			return p, nil
		}
		if useRedis {
			if p, err := c.getRedis(rctx, key); err == nil {
				return p, nil
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

// getRedis reads a page from Redis; redis.Nil is a miss. An entry this
// version cannot read (written by another) counts as a miss too, and is
// replaced by the render that follows.
func (c *Cache) getRedis(ctx context.Context, key string) (*Page, error) {
	b, err := c.cfg.Redis.Get(ctx, key).Bytes()
	if err != nil {
		return nil, err
	}
	p, err := decodePage(b)
	if err != nil {
		return nil, redis.Nil
	}
	return p, nil
}

// render runs the page's render under the epoch rule, compresses it once
// and records its tags.
func (c *Cache) render(ctx context.Context, storeID int64, key string, render Render, useRedis bool) (*Page, error) {
	localEpoch := c.epochLocal(storeID)
	var sharedEpoch uint64
	var sharedOK bool
	if useRedis {
		sharedEpoch, sharedOK = c.epochShared(ctx, storeID)
	}
	c.stats.renders.Add(1)
	body, tags, err := render(ctx)
	status, ttl := http.StatusOK, c.cfg.TTL
	var nf *NotFound
	if errors.As(err, &nf) {
		body, tags, status, ttl = nf.Body, nf.Tags, http.StatusNotFound, c.cfg.NotFoundTTL
	} else if err != nil {
		return nil, err
	}
	p, err := newPage(status, body)
	if err != nil {
		return nil, err
	}
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
		// Written only if no purge of the store has run since the render
		// began, checked and written in one step inside Redis.
		stored, err := setIfEpoch.Run(ctx, c.cfg.Redis, []string{key, c.epochKey(storeID)},
			p.encode(), strconv.FormatUint(sharedEpoch, 10), ttl.Milliseconds()).Int()
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

// storeLocal keeps a page in this replica's memory unless a purge of its
// store happened since epoch was read; a 404 only for NotFoundTTL.
func (c *Cache) storeLocal(storeID int64, epoch uint64, key string, p *Page) {
	if c.local == nil {
		return
	}
	var ttl time.Duration // the tier's own
	if p.Status != http.StatusOK {
		ttl = c.cfg.NotFoundTTL
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.epochs[storeID] == epoch {
		c.local.set(key, p, ttl)
	}
}
