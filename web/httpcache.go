package web

import (
	"context"
	"errors"
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
	return s.cachedBody(c, v, canonical, htmlType, func(ctx context.Context) ([]byte, []string, error) {
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
}

// cachedBody is cachedPage for any body: render returns the bytes and the
// product tags (the store's is added by the cache), and contentType is
// what the page is sent as (the sitemap is XML, robots.txt plain text).
func (s *Server) cachedBody(c *gin.Context, v *app.Vendor, canonical string, contentType []string, render pagecache.Render) error {
	ctx := c.Request.Context()
	key := s.cfg.Pages.Key(v.ID, hostFrom(ctx).Name, canonical)
	page, res, cacheable, err := s.cfg.Pages.Get(ctx, v.ID, key, func(ctx context.Context) ([]byte, []string, error) {
		b, tags, err := render(ctx)
		if kept := (keptNotFound{}); errors.As(err, &kept) {
			// A shop's "no such page" is kept briefly too, under the
			// store's tag: bursts of it render once, and the purge that
			// creates the page (a new product makes page 2) removes it.
			// It shows the shop's header, read fresh as any cached page.
			heading, msg := notFoundText(err)
			store, verr := s.freshVendor(ctx, v)
			if verr != nil {
				return nil, nil, verr
			}
			b, rerr := s.render.render("error.html", s.shopErrorPage(store, http.StatusNotFound, heading, msg))
			if rerr != nil {
				return nil, nil, rerr
			}
			return nil, nil, &pagecache.NotFound{Body: b}
		}
		return b, tags, err
	})
	if err != nil {
		return err
	}
	gz := acceptsGzip(c.Request.Header["Accept-Encoding"])
	found := page.Status == http.StatusOK
	etag := page.ETag
	if gz {
		etag = page.GzipETag
	}
	h := c.Writer.Header()
	h["X-App-Cache"] = resultHeader(res)
	if found {
		// A 404 has no validator: conditions apply to 2xx answers only.
		h["Etag"] = []string{etag}
	}
	// The same URI answers gzip or identity by Accept-Encoding.
	h["Vary"] = varyEncoding
	switch {
	case cacheable && c.Request.URL.RequestURI() != canonical:
		// Same bytes as the canonical page, but the edge must not keep
		// them under a URI no purge will name.
		h["Cache-Control"] = revalidateOnly
	case cacheable && found:
		// Browsers revalidate every time (cheap: 304); the edge keeps the
		// page for EdgeTTL unless a purge removes it first.
		h["Cache-Control"] = s.edgeCacheControl
	case cacheable:
		// A 404, kept by the app tiers for a few seconds. What the edge
		// does with it is the edge's (its proxy_cache_valid): the header
		// is still that of every error page.
		h["Cache-Control"] = noStore
	default:
		// Rendered while a purge of this store ran: correct for this
		// request, too old to keep.
		h["Cache-Control"] = noStore
	}
	if found && etagMatch(c.GetHeader("If-None-Match"), etag) {
		c.Status(http.StatusNotModified)
		return nil
	}
	h["Content-Type"] = contentType
	if page.Status != http.StatusOK {
		h["Content-Type"] = htmlType // the 404 page
	}
	if gz {
		// Compressed once when rendered; every hit sends those bytes.
		h["Content-Encoding"] = gzipEncoding
		h["Content-Length"] = []string{page.GzipLength}
		c.Status(page.Status)
		if c.Request.Method != http.MethodHead {
			_, _ = c.Writer.Write(page.Gzip)
		}
		return nil
	}
	h["Content-Length"] = []string{strconv.Itoa(page.Size)}
	if c.Request.Method == http.MethodHead {
		c.Status(page.Status)
		return nil
	}
	// The rare client without gzip (the edge never is one: it asks for
	// gzip and gunzips itself): decompressed for this request.
	body, err := page.Body()
	if err != nil {
		return err
	}
	c.Status(page.Status)
	_, _ = c.Writer.Write(body)
	return nil
}

// Header values shop pages share; nothing writes into them.
var (
	varyEncoding   = []string{"Accept-Encoding"}
	gzipEncoding   = []string{"gzip"}
	htmlType       = []string{"text/html; charset=utf-8"}
	xmlType        = []string{"application/xml; charset=utf-8"}
	textType       = []string{"text/plain; charset=utf-8"}
	revalidateOnly = []string{"public, max-age=0, must-revalidate"}
	noStore        = []string{"no-store"}
	resultHeaders  = map[pagecache.Result][]string{
		pagecache.HitLocal: {string(pagecache.HitLocal)},
		pagecache.HitRedis: {string(pagecache.HitRedis)},
		pagecache.Miss:     {string(pagecache.Miss)},
	}
)

func resultHeader(r pagecache.Result) []string {
	if v, ok := resultHeaders[r]; ok {
		return v
	}
	return []string{string(r)}
}

// edgeCacheControlValue is the Cache-Control of a cacheable shop page
// kept by the edge for ttl.
func edgeCacheControlValue(ttl time.Duration) []string {
	return []string{"public, max-age=0, must-revalidate, s-maxage=" + strconv.Itoa(int(ttl/time.Second))}
}

// acceptsGzip reports whether an Accept-Encoding allows gzip: named (or
// x-gzip, or *) without q=0.
func acceptsGzip(values []string) bool {
	for _, v := range values {
		for v != "" {
			var item string
			item, v, _ = strings.Cut(v, ",")
			name, params, _ := strings.Cut(item, ";")
			name = strings.TrimSpace(name)
			if !strings.EqualFold(name, "gzip") && !strings.EqualFold(name, "x-gzip") && name != "*" {
				continue
			}
			if q, ok := qValue(params); ok && q == 0 {
				continue
			}
			return true
		}
	}
	return false
}

// qValue reads q= from an Accept-Encoding item's parameters.
func qValue(params string) (float64, bool) {
	for params != "" {
		var p string
		p, params, _ = strings.Cut(params, ";")
		k, val, ok := strings.Cut(strings.TrimSpace(p), "=")
		if ok && strings.EqualFold(strings.TrimSpace(k), "q") {
			q, err := strconv.ParseFloat(strings.TrimSpace(val), 64)
			return q, err == nil
		}
	}
	return 1, false
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
