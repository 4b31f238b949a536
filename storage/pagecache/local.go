package pagecache

import (
	"sync"
	"time"

	"github.com/vmihailenco/go-tinylfu"
)

// localPages is the in-process tier: a TinyLFU of ready-to-serve pages.
// A hit is a map lookup under a mutex and hands out the stored *Page
// itself (pages never change after they are made), so it decodes and
// copies nothing, and a cached page costs memory close to its compressed
// size. A nil *localPages is the tier turned off.
type localPages struct {
	mu  sync.Mutex
	lfu *tinylfu.T
	ttl time.Duration
}

func newLocalPages(size int, ttl time.Duration) *localPages {
	return &localPages{lfu: tinylfu.New(size, 100_000), ttl: ttl}
}

func (l *localPages) get(key string) (*Page, bool) {
	if l == nil {
		return nil, false
	}
	l.mu.Lock()
	v, ok := l.lfu.Get(key)
	l.mu.Unlock()
	if !ok {
		return nil, false
	}
	return v.(*Page), true
}

// set keeps p for the tier's TTL, or for ttl if that is shorter.
func (l *localPages) set(key string, p *Page, ttl time.Duration) {
	if l == nil {
		return
	}
	if ttl <= 0 || ttl > l.ttl {
		ttl = l.ttl
	}
	l.mu.Lock()
	l.lfu.Set(&tinylfu.Item{Key: key, Value: p, ExpireAt: time.Now().Add(ttl)})
	l.mu.Unlock()
}

// Del drops a page (a purge).
func (l *localPages) Del(key string) {
	if l == nil {
		return
	}
	l.mu.Lock()
	l.lfu.Del(key)
	l.mu.Unlock()
}
