package pagecache

import (
	"context"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"
)

// purgeLog records what OnPurge is told.
type purgeLog struct {
	mu    sync.Mutex
	steps []purgeStep
}

type purgeStep struct {
	tier, target string
	failed       bool
}

func (l *purgeLog) observe(tier, target string, d time.Duration, err error) {
	if d < 0 {
		panic("negative purge duration")
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.steps = append(l.steps, purgeStep{tier, target, err != nil})
}

func (l *purgeLog) take() []purgeStep {
	l.mu.Lock()
	defer l.mu.Unlock()
	s := l.steps
	l.steps = nil
	return s
}

func TestOnPurgeReportsEachStep(t *testing.T) {
	rdb := testRedis(t)
	edgeStatus := http.StatusNotFound // not cached: a successful purge
	var mu sync.Mutex
	edge := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		w.WriteHeader(edgeStatus)
	}))
	defer edge.Close()
	var log purgeLog
	c := newCache(t, Config{Redis: rdb, Edges: []string{edge.URL}, RepurgeAfter: time.Hour, OnPurge: log.observe})
	var r counter
	ctx := context.Background()
	page := c.Key(1, "chai.dukaan.test", "/p/7")
	get(t, c, 1, page, r.render(ProductTag(7)))

	tests := []struct {
		name       string
		purge      func() error
		edgeStatus int
		want       []purgeStep
	}{
		{
			name:  "product",
			purge: func() error { return c.Purge(ctx, 1, ProductTag(7)) },
			want:  []purgeStep{{PurgeLocal, TargetProduct, false}, {PurgeRedis, TargetProduct, false}, {PurgeEdge, TargetProduct, false}},
		},
		{
			name:  "store",
			purge: func() error { return c.Purge(ctx, 1, StoreTag(1)) },
			// Nothing is cached any more: no page to PURGE at the edge.
			want: []purgeStep{{PurgeLocal, TargetStore, false}, {PurgeRedis, TargetStore, false}},
		},
		{
			name:       "page, the edge failing",
			purge:      func() error { return c.PurgeKeys(ctx, 1, page) },
			edgeStatus: http.StatusBadGateway,
			want:       []purgeStep{{PurgeLocal, TargetPage, false}, {PurgeRedis, TargetPage, false}, {PurgeEdge, TargetPage, true}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mu.Lock()
			edgeStatus = http.StatusNotFound
			if tt.edgeStatus != 0 {
				edgeStatus = tt.edgeStatus
			}
			mu.Unlock()
			err := tt.purge()
			if got := log.take(); !slices.Equal(got, tt.want) {
				t.Errorf("OnPurge saw %+v, want %+v", got, tt.want)
			}
			if wantErr := tt.edgeStatus != 0; (err != nil) != wantErr {
				t.Errorf("purge error %v, want an error: %v", err, wantErr)
			}
		})
	}
}
