package web

import (
	"context"
	"encoding/xml"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"dukaan/app"
	"dukaan/storage/pagecache"
	"dukaan/tenant"
)

// sitemapMaxProducts bounds the products one sitemap lists (the protocol
// allows 50,000 URLs a file; every product listed is also a tag of the
// sitemap page). A shop with more would need a sitemap index.
const sitemapMaxProducts = 10_000

// sitemapURL is one <url> of the sitemap protocol (sitemaps.org 0.9).
type sitemapURL struct {
	Loc     string `xml:"loc"`
	LastMod string `xml:"lastmod,omitempty"`
}

type sitemapDoc struct {
	XMLName xml.Name     `xml:"urlset"`
	NS      string       `xml:"xmlns,attr"`
	URLs    []sitemapURL `xml:"url"`
}

// sitemap is GET /sitemap.xml: the front page, every category and every
// product on sale, each with lastmod from the newest updated_at of what it
// shows. Cached like a shop page, tagged with the store (every category
// change and every listing change is store-wide) and with every product
// it lists, so an edit of one product (its lastmod) purges it too.
func (s *Server) sitemap(c *gin.Context) error {
	v, err := tenant.FromContext(c.Request.Context())
	if err != nil {
		return err
	}
	return s.cachedBody(c, v, "/sitemap.xml", xmlType, func(ctx context.Context) ([]byte, []string, error) {
		products, _, err := s.cfg.Products.Products(ctx, app.ProductFilter{VendorID: v.ID, OnSaleOnly: true, Limit: sitemapMaxProducts})
		if err != nil {
			return nil, nil, err
		}
		var cats []*app.Category
		if s.cfg.Categories != nil {
			if cats, err = s.cfg.Categories.Categories(ctx, v.ID); err != nil {
				return nil, nil, err
			}
		}
		var newest time.Time
		newestIn := map[int64]time.Time{}
		tags := make([]string, 0, len(products))
		for _, p := range products {
			tags = append(tags, pagecache.ProductTag(p.ID))
			if p.UpdatedAt.After(newest) {
				newest = p.UpdatedAt
			}
			if p.CategoryID != 0 && p.UpdatedAt.After(newestIn[p.CategoryID]) {
				newestIn[p.CategoryID] = p.UpdatedAt
			}
		}
		doc := sitemapDoc{NS: "http://www.sitemaps.org/schemas/sitemap/0.9"}
		doc.URLs = append(doc.URLs, sitemapURL{Loc: s.shopAbs(v, "/"), LastMod: lastmod(newest)})
		for _, cat := range cats {
			doc.URLs = append(doc.URLs, sitemapURL{Loc: s.shopAbs(v, string(categoryPath(cat.Slug))), LastMod: lastmod(newestIn[cat.ID])})
		}
		for _, p := range products {
			doc.URLs = append(doc.URLs, sitemapURL{Loc: s.shopAbs(v, "/p/"+itoa(p.ID)), LastMod: lastmod(p.UpdatedAt)})
		}
		b, err := xml.MarshalIndent(doc, "", " ")
		if err != nil {
			return nil, nil, err
		}
		return append([]byte(xml.Header), append(b, '\n')...), tags, nil
	})
}

// lastmod is a W3C datetime in UTC, or "" (no lastmod) for the zero time.
func lastmod(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

// shopRobots is a shop's GET /robots.txt: everything but the order
// endpoints may be crawled, and the sitemap is named. Cached like a shop
// page under the store's tag (the host in it is the store's).
func (s *Server) shopRobots(c *gin.Context) error {
	v, err := tenant.FromContext(c.Request.Context())
	if err != nil {
		return err
	}
	return s.cachedBody(c, v, "/robots.txt", textType, func(ctx context.Context) ([]byte, []string, error) {
		body := "User-agent: *\nDisallow: /order\nDisallow: /orders/\n\nSitemap: " + s.shopAbs(v, "/sitemap.xml") + "\n"
		return []byte(body), nil, nil
	})
}

// consoleRobots is the console's GET /robots.txt: nothing there is for
// crawlers.
func (s *Server) consoleRobots(c *gin.Context) {
	c.Header("Cache-Control", "public, max-age=3600")
	c.Data(http.StatusOK, "text/plain; charset=utf-8", []byte("User-agent: *\nDisallow: /\n"))
}
