package web

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"dukaan/app"
	"dukaan/storage/pagecache"
)

// cachedPage serves a shop page through the page cache. The page is keyed
// by store, host and request URI exactly as the edge keys it, and tagged
// with the store and every product it shows so a product event finds it.
// Only successful renders are cached; an error is rendered as usual.
//
// Each page has one canonical URI ("/", "/?page=N", "/p/{id}") and is
// cached under it whatever the request's spelling, so junk query strings
// ("?utm=…", "?page=abc") cannot multiply entries, force renders, or crowd
// the real page out of a purge. Only a request for the canonical URI itself
// may be stored by the edge: the edge keys by the raw URI, and a purge
// PURGEs canonical URIs only.
func (s *Server) cachedPage(c *gin.Context, v *app.Vendor, canonical string, build func(ctx context.Context) (shopPage, error)) error {
	ctx := c.Request.Context()
	key := s.cfg.Pages.Key(v.ID, hostFrom(ctx).Name, canonical)
	page, res, cacheable, err := s.cfg.Pages.Get(ctx, v.ID, key, func(ctx context.Context) ([]byte, []string, error) {
		p, err := build(ctx)
		if err != nil {
			return nil, nil, err
		}
		tags := make([]string, 0, len(p.Products)+1)
		for _, pr := range p.Products {
			tags = append(tags, pagecache.ProductTag(pr.ID))
		}
		b, err := s.render.render("shop.html", p)
		return b, tags, err
	})
	if err != nil {
		return err
	}
	h := c.Writer.Header()
	h.Set("X-App-Cache", string(res))
	h.Set("ETag", page.ETag)
	switch {
	case cacheable && c.Request.URL.RequestURI() != canonical:
		// Same bytes as the canonical page, but the edge must not keep
		// them under a URI no purge will name.
		h.Set("Cache-Control", "public, max-age=0, must-revalidate")
	case cacheable:
		// Browsers revalidate every time (cheap: 304); the edge keeps the
		// page for EdgeTTL unless a purge removes it first.
		h.Set("Cache-Control", "public, max-age=0, must-revalidate, s-maxage="+strconv.Itoa(int(s.cfg.EdgeTTL/time.Second)))
	default:
		// Rendered while a purge of this store ran: correct for this
		// request, too old to keep.
		h.Set("Cache-Control", "no-store")
	}
	if etagMatch(c.GetHeader("If-None-Match"), page.ETag) {
		c.Status(http.StatusNotModified)
		return nil
	}
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Length", strconv.Itoa(len(page.Body)))
	c.Status(http.StatusOK)
	if c.Request.Method != http.MethodHead {
		_, _ = c.Writer.Write(page.Body)
	}
	return nil
}

// etagMatch implements If-None-Match's weak comparison.
func etagMatch(header, etag string) bool {
	if header == "" {
		return false
	}
	for _, t := range strings.Split(header, ",") {
		t = strings.TrimPrefix(strings.TrimSpace(t), "W/")
		if t == "*" || t == etag {
			return true
		}
	}
	return false
}
