package web

import (
	"context"
	"errors"
	"testing"
	"time"

	"dukaan/app"
)

func TestVendorCache(t *testing.T) {
	calls := map[string]int{}
	fail := false
	c := newVendorCache(func(ctx context.Context, slug string) (*app.Vendor, error) {
		calls[slug]++
		if fail {
			return nil, errors.New("database down")
		}
		if slug == "chai" {
			return &app.Vendor{ID: 1, Slug: "chai"}, nil
		}
		return nil, app.Errorf(app.ENOTFOUND, "no")
	})
	c.negTTL = 20 * time.Millisecond
	ctx := context.Background()
	for i := 0; i < 3; i++ {
		if v, err := c.get(ctx, "chai"); err != nil || v.ID != 1 {
			t.Fatalf("get(chai) = %v, %v", v, err)
		}
		if _, err := c.get(ctx, "nope"); app.ErrorCode(err) != app.ENOTFOUND {
			t.Fatalf("get(nope) err = %v, want ENOTFOUND", err)
		}
	}
	if calls["chai"] != 1 || calls["nope"] != 1 {
		t.Errorf("lookups = %v, want one each", calls)
	}
	time.Sleep(30 * time.Millisecond)
	if _, err := c.get(ctx, "nope"); app.ErrorCode(err) != app.ENOTFOUND || calls["nope"] != 2 {
		t.Errorf("an unknown store is remembered past its TTL: calls %v", calls)
	}
	fail = true
	c.forget("chai")
	if _, err := c.get(ctx, "chai"); err == nil {
		t.Error("error swallowed")
	}
	fail = false
	if _, err := c.get(ctx, "chai"); err != nil {
		t.Errorf("an error was remembered: %v", err)
	}
	c.maxSize = 2
	c.get(ctx, "a1")
	c.get(ctx, "a2")
	c.get(ctx, "a3")
	if n := len(c.entries); n > 2 {
		t.Errorf("cache holds %d entries, bound is 2", n)
	}
}
