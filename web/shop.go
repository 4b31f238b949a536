package web

import (
	"context"
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"
	"golang.org/x/sync/errgroup"

	"dukaan/app"
	"dukaan/tenant"
)

const shopPerPage = 24

// loadStore resolves the store of the request's host with one indexed
// lookup. An unknown store is a 404 page, and nothing below runs.
func (s *Server) loadStore(c *gin.Context) {
	host := hostFrom(c.Request.Context())
	v, err := s.vendors.get(c.Request.Context(), host.Slug)
	if app.ErrorCode(err) == app.ENOTFOUND {
		s.errorPage(c.Writer, c.Request, "error", http.StatusNotFound, "No shop here", "There is no shop at this address. Check the spelling of the link.")
		c.Abort()
		return
	} else if err != nil {
		s.fail(c.Writer, c.Request, "error", err)
		c.Abort()
		return
	}
	if v.Domain != "" && !host.Custom && (c.Request.Method == http.MethodGet || c.Request.Method == http.MethodHead) {
		// The shop moved to its primary domain: the subdomain answers 301
		// there (never stored: a redirect is not a page). Other methods
		// (an order posted from a page opened before the move) are served.
		c.Header("Cache-Control", "no-store")
		c.Redirect(http.StatusMovedPermanently, s.url(v.Domain, c.Request.URL.RequestURI()))
		c.Abort()
		return
	}
	c.Request = c.Request.WithContext(tenant.NewContext(c.Request.Context(), v))
	c.Next()
}

func (s *Server) shopBase(v *app.Vendor, title string) Page {
	p := s.basePage(nil, "shop", title)
	p.ShopURL = s.shopURL(v)
	return p
}

// storeFront is the shop's home: available products and the order form.
func (s *Server) storeFront(c *gin.Context) error {
	v, err := tenant.FromContext(c.Request.Context())
	if err != nil {
		return err
	}
	page := pageNumber(c)
	canonical := "/"
	if page > 1 {
		canonical = "/?page=" + strconv.Itoa(page)
	}
	return s.cachedPage(c, v, canonical, func(ctx context.Context) (shopPage, error) {
		return s.frontPage(ctx, v, page)
	})
}

func (s *Server) frontPage(ctx context.Context, v *app.Vendor, page int) (shopPage, error) {
	return s.listPage(ctx, v, nil, "/", page)
}

// listingReads reads what a listing shows: the store as it is now, one page
// of its products (filter) with their total, and its categories. They are
// independent reads, made at once, so a render waits for one database round
// trip, not three.
func (s *Server) listingReads(ctx context.Context, v *app.Vendor, filter app.ProductFilter) (*app.Vendor, []*app.Product, int, []*app.Category, error) {
	var products []*app.Product
	var categories []*app.Category
	var total int
	storeID := v.ID
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() (err error) {
		products, total, err = s.cfg.Products.Products(gctx, filter)
		return err
	})
	if s.cfg.Categories != nil {
		g.Go(func() (err error) {
			categories, err = s.cfg.Categories.Categories(gctx, storeID)
			return err
		})
	}
	v, err := s.freshVendor(gctx, v)
	if werr := g.Wait(); werr != nil {
		// The products' error first: when it failed (the database is
		// down), it cancelled gctx, and the store's read then reports only
		// "context canceled", which would turn a 503 into a 500.
		err = werr
	}
	return v, products, total, categories, err
}

// listPage is a page of the store's available products: all of them
// (cat nil, the front page at path "/") or one category's (path
// "/c/{slug}"), with the row of categories.
func (s *Server) listPage(ctx context.Context, v *app.Vendor, cat *app.Category, path string, page int) (shopPage, error) {
	filter := app.ProductFilter{VendorID: v.ID, OnSaleOnly: true, Offset: (page - 1) * shopPerPage, Limit: shopPerPage}
	if cat != nil {
		filter.CategoryID = cat.ID
	}
	v, products, total, categories, err := s.listingReads(ctx, v, filter)
	if err != nil {
		return shopPage{}, err
	}
	pager := Pager{Page: page, PerPage: shopPerPage, Total: total}
	if page > pager.Pages() {
		// Not a page of this shop: a 404. The few numbers just past the
		// last page (where a page that emptied was, or a new product's
		// page will be) are kept briefly and purged with the store's
		// pages; beyond them a 404 is not cached, so page numbers cannot
		// fill the cache or the store's tag.
		err := app.Errorf(app.ENOTFOUND, "This shop has no page %d.", page)
		if page <= pager.Pages()+keptNotFoundPages {
			return shopPage{}, keptNotFound{err}
		}
		return shopPage{}, err
	}
	from := path
	if page > 1 {
		from = path + "?page=" + strconv.Itoa(page)
	}
	title, desc := v.Name, storeDescription(v)
	if cat != nil {
		title = cat.Name + " — " + storeName(v)
		desc = cat.Name + " from " + storeName(v) + ". " + desc
	}
	if page > 1 {
		title += " (page " + strconv.Itoa(page) + ")"
	}
	base := s.shopBase(v, title)
	base.Meta = s.listMeta(v, from, metaText(desc, metaDescriptionLen), products)
	return shopPage{
		Page: base, Store: v, Products: products, Categories: categories, Category: cat,
		Pager: pager, From: from,
	}, nil
}

// productPage is one product with the order form for it.
func (s *Server) productPage(c *gin.Context) error {
	v, err := tenant.FromContext(c.Request.Context())
	if err != nil {
		return err
	}
	id, err := pathID(c)
	if err != nil {
		return err
	}
	return s.cachedPage(c, v, "/p/"+itoa(id), func(ctx context.Context) (shopPage, error) {
		var p *app.Product
		host := v // the host lookup's copy; only its id is read
		g, gctx := errgroup.WithContext(ctx)
		g.Go(func() (err error) {
			p, err = s.onSaleProduct(gctx, host, id)
			return err
		})
		v, err := s.freshVendor(gctx, host)
		if werr := g.Wait(); werr != nil {
			// The product's answer (a 404 the cache may keep) first.
			err = werr
		}
		if err != nil {
			return shopPage{}, err
		}
		return s.singlePage(v, p), nil
	})
}

func (s *Server) singlePage(v *app.Vendor, p *app.Product) shopPage {
	base := s.shopBase(v, p.Name+" — "+storeName(v))
	base.Meta = s.productMeta(v, p)
	return shopPage{
		Page: base, Store: v,
		Products: []*app.Product{p}, Product: p, From: "/p/" + itoa(p.ID),
	}
}

// freshVendor reads the store again for a render that will be cached.
// The host lookup (vendorCache) may be a few seconds old on this replica;
// a page built from it after a settings change would be stored under the
// new purge epoch and keep the old name for the page's whole TTL.
func (s *Server) freshVendor(ctx context.Context, v *app.Vendor) (*app.Vendor, error) {
	return s.cfg.Vendors.VendorByID(ctx, v.ID)
}

func (s *Server) onSaleProduct(ctx context.Context, v *app.Vendor, id int64) (*app.Product, error) {
	p, err := s.cfg.Products.Product(ctx, v.ID, id)
	if err != nil {
		return nil, err
	}
	if !p.OnSale() {
		// A product of this store that is hidden: its 404 is kept briefly
		// (one per product, bounded by the store's catalogue); showing it
		// purges the store's pages. An id the store does not have is not
		// cached, so ids cannot fill the cache.
		return nil, keptNotFound{app.Errorf(app.ENOTFOUND, "This product is not on sale right now.")}
	}
	return p, nil
}

// keptNotFoundPages is how many page numbers past the last one answer a
// cached 404.
const keptNotFoundPages = 10

// keptNotFound marks a shop 404 that the page cache may keep for a few
// seconds under the store's tag (cachedPage): one of a bounded set of URIs
// per store, so neither the tiers nor the store's tag grow with requests.
type keptNotFound struct{ error }

func (e keptNotFound) Unwrap() error { return e.error }

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
