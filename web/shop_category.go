package web

import (
	"context"
	"html/template"
	"net/url"
	"strconv"

	"github.com/gin-gonic/gin"

	"dukaan/app"
	"dukaan/tenant"
)

// categoryPage is GET /c/{slug}: the category's available products,
// paginated like the front page (same size, same ?page=N rules, the same
// bounded cached 404 past the last page). The page is tagged with the
// store and every product it shows, so an edit of one of them purges it
// and an edit of another category's product does not; every change to
// categories, or of a product's category, is store-wide.
//
// An unknown slug is the shop's 404 page, not cached: slugs are
// arbitrary text, and a cached 404 per slug would let requests fill the
// cache and the store's tag.
func (s *Server) categoryPage(c *gin.Context) error {
	v, err := tenant.FromContext(c.Request.Context())
	if err != nil {
		return err
	}
	if s.cfg.Categories == nil {
		return app.Errorf(app.ENOTFOUND, "This shop has no such category.")
	}
	slug := c.Param("slug")
	page := pageNumber(c)
	path := string(categoryPath(slug))
	canonical := path
	if page > 1 {
		canonical += "?page=" + strconv.Itoa(page)
	}
	return s.cachedPage(c, v, canonical, func(ctx context.Context) (shopPage, error) {
		// Read inside the render, so a rename or delete (store-wide
		// purges) is never overtaken by a stale lookup; an unknown slug
		// is a plain ENOTFOUND, which the cache does not keep.
		cat, err := s.cfg.Categories.CategoryBySlug(ctx, v.ID, slug)
		if err != nil {
			return shopPage{}, notFoundCategory(err)
		}
		return s.listPage(ctx, v, cat, path, page)
	})
}

func notFoundCategory(err error) error {
	if app.ErrorCode(err) == app.ENOTFOUND {
		return app.Errorf(app.ENOTFOUND, "This shop has no such category. It may have been renamed.")
	}
	return err
}

// categoryPath is the canonical path of a category's page: the slug
// percent-encoded with upper-case hex, as the cache keys it. Links use it
// as a template.URL, since html/template would write its own (lower-case)
// escapes, a different request URI at the edge.
func categoryPath(slug string) template.URL {
	return template.URL("/c/" + url.PathEscape(slug))
}
