package pagecache

import (
	"errors"
	"log/slog"
	"time"

	"github.com/redis/go-redis/v9"
)

// Config tunes the tiers. Zero values take the defaults.
type Config struct {
	// Redis is the shared tier; nil keeps the local tier alone (one
	// replica, the embedded default).
	Redis *redis.Client
	// TTL of a page in Redis (default 15 minutes), at least 1 s.
	TTL time.Duration
	// LocalTTL of a page in each replica's memory (default 5 s); the
	// broadcast purges it early, the TTL bounds it when a broadcast is
	// missed.
	LocalTTL time.Duration
	// NotFoundTTL is how long a shop's 404 page (see NotFound) is kept in
	// each tier (default 5 s); its store's purges remove it sooner.
	NotFoundTTL time.Duration
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
	// StoreHosts, when set, returns every host name a store answers on
	// (its subdomain and its verified custom domains). The edges key by
	// host, so each edge PURGE of a page is sent under every one of its
	// store's names, not only the host it was rendered for. It is called
	// once per store per edge pass and must be quick (cmd caches it);
	// nil PURGEs the rendered host alone.
	StoreHosts func(storeID int64) []string
}

func (c *Config) defaults() error {
	if c.TTL == 0 {
		c.TTL = 15 * time.Minute
	}
	if c.LocalTTL == 0 {
		c.LocalTTL = 5 * time.Second
	}
	if c.TTL < time.Second || c.LocalTTL < time.Second {
		return errors.New("pagecache: TTL and LocalTTL must be at least 1s")
	}
	if c.NotFoundTTL <= 0 {
		c.NotFoundTTL = 5 * time.Second
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
