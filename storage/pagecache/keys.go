package pagecache

import (
	"strconv"
	"strings"
)

// Key is the cache key of a page: the store, then the host and request URI
// exactly as the edge keys it ($host$request_uri), so that a tagged key
// names the edge entry to purge.
func (c *Cache) Key(storeID int64, host, requestURI string) string {
	return c.cfg.Prefix + "page:" + strconv.FormatInt(storeID, 10) + ":" + host + requestURI
}

func (c *Cache) epochKey(storeID int64) string {
	return c.cfg.Prefix + "epoch:" + strconv.FormatInt(storeID, 10)
}

func (c *Cache) tagKey(tag string) string { return c.cfg.Prefix + "tag:" + tag }

func (c *Cache) channel() string { return c.cfg.Prefix + "purge" }

// keyHost splits a page key back into the host and request URI an edge
// keyed it by.
func (c *Cache) keyHost(key string) (host, uri string, ok bool) {
	rest := key[min(len(key), len(c.cfg.Prefix+"page:")):]
	_, hostURI, found := strings.Cut(rest, ":")
	if !found {
		return "", "", false
	}
	i := strings.IndexByte(hostURI, '/')
	if i <= 0 {
		return "", "", false
	}
	return hostURI[:i], hostURI[i:], true
}

// keyStore is the store id a page key carries.
func (c *Cache) keyStore(key string) (int64, bool) {
	rest := key[min(len(key), len(c.cfg.Prefix+"page:")):]
	id, _, found := strings.Cut(rest, ":")
	if !found {
		return 0, false
	}
	n, err := strconv.ParseInt(id, 10, 64)
	return n, err == nil
}
