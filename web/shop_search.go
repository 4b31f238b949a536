package web

import (
	"context"
	"net/http"
	"net/url"
	"strconv"

	"github.com/gin-gonic/gin"

	"dukaan/app"
	"dukaan/tenant"
)

// searchPage is GET /search?q=…: the shop's available products matching
// q (app.NormalizeSearch'd), best first, paginated like the front page.
//
// What is cached: nothing of a search. q is arbitrary text, so any entry
// keyed by it (edge, Redis, this replica's memory, the store's tag) would
// let requests grow the caches without bound, and purging them exactly
// would need every search tagged with every product it might match. A
// search is one indexed query (storage/search.go, its p50 in
// BenchmarkShopSearch) and is answered `Cache-Control: no-store`, which
// the edge does not store. An empty q is the front page itself, served
// from the front page's cache entry (canonical "/", so not kept at the
// edge under /search).
func (s *Server) searchPage(c *gin.Context) error {
	v, err := tenant.FromContext(c.Request.Context())
	if err != nil {
		return err
	}
	q := app.NormalizeSearch(c.Query("q"))
	if q == "" {
		return s.cachedPage(c, v, "/", func(ctx context.Context) (shopPage, error) {
			return s.frontPage(ctx, v, 1)
		})
	}
	page, err := s.searchResults(c.Request.Context(), v, q, pageNumber(c))
	if err != nil {
		return err
	}
	c.Header("Cache-Control", "no-store")
	s.write(c.Writer, http.StatusOK, "shop.html", page)
	return nil
}

func (s *Server) searchResults(ctx context.Context, v *app.Vendor, q string, page int) (shopPage, error) {
	v, products, total, categories, err := s.listingReads(ctx, v, app.ProductFilter{
		VendorID: v.ID, OnSaleOnly: true, Search: q, Offset: (page - 1) * shopPerPage, Limit: shopPerPage,
	})
	if err != nil {
		return shopPage{}, err
	}
	base := "q=" + url.QueryEscape(q) + "&"
	pager := Pager{Page: page, PerPage: shopPerPage, Total: total, BaseQuery: base}
	if page > pager.Pages() {
		return shopPage{}, app.Errorf(app.ENOTFOUND, "This search has no page %d.", page)
	}
	from := "/search?q=" + url.QueryEscape(q)
	if page > 1 {
		from += "&page=" + strconv.Itoa(page)
	}
	p := s.shopBase(v, "Search “"+q+"” — "+storeName(v))
	p.Meta = s.listMeta(v, from, "Products of "+storeName(v)+" matching “"+q+"”.", products)
	p.Meta.NoIndex = true // results pages are not for search engines
	return shopPage{Page: p, Store: v, Products: products, Categories: categories, Search: q, Pager: pager, From: from}, nil
}
