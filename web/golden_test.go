package web

import (
	"bytes"
	"flag"
	"net/url"
	"os"
	"path/filepath"
	"testing"

	"dukaan/app"
	"dukaan/tenant"
)

var updateGolden = flag.Bool("update-golden", false, "rewrite web/testdata/golden from the current templates")

// goldenProducts are a page's worth of cards covering every branch of a
// card: photo or tile, sold out, discounted, a name that tries to inject
// markup, an empty description.
func goldenProducts() []*app.Product {
	ps := testProducts()
	ps = append(ps,
		&app.Product{ID: 11, VendorID: 3, Name: "Rasgulla tin", Description: "", MRP: 25000, Price: 19900, Stock: 5, Available: true, Image: "3/abcdef0123456789"},
		&app.Product{ID: 12, VendorID: 3, Name: `"Quoted" & <b>bold</b>`, Description: "Line one\nline two & 'three'", MRP: 100, Price: 100, Stock: 0, Available: true, Image: "3/0123456789abcdef"},
		&app.Product{ID: 13, VendorID: 3, Name: "ñandú 🍬", Description: "Unicode", MRP: 99999, Price: 1, Stock: 1, Available: true},
	)
	for i := int64(14); i < 34; i++ {
		ps = append(ps, &app.Product{ID: i, VendorID: 3, Name: "Item " + itoa(i), Description: "About item " + itoa(i) + ".", MRP: app.Paise(1000 * i), Price: app.Paise(900 * i), Stock: i % 3, Available: true})
	}
	return ps
}

// goldenPages are the shop pages as they are cached, and the front page
// re-rendered after a refused order (never cached, but built from the
// same cards).
func goldenPages() map[string]shopPage {
	v := testVendor()
	ps := goldenProducts()
	refused := Form{
		Values:  map[string]string{"qty_7": "3", "qty_10": "<x>", "name": "Asha", "phone": "98765", "address": "12 MG Road"},
		Errors:  map[string]string{"qty_10": "Enter a whole number.", "phone": "Enter a 10-digit mobile number."},
		Message: "Please fix the marked fields.",
	}
	// The head tags and the row of categories, as the handlers make them
	// (shop_meta.go), on the https test hosts.
	s := &Server{cfg: Config{Resolver: mustResolver(), HTTPS: true}}
	cats := []*app.Category{{ID: 1, VendorID: 3, Name: "Sweets", Slug: "sweets"}, {ID: 2, VendorID: 3, Name: "मिठाई & more", Slug: "मिठाई-more"}}
	withMeta := func(title string, m *Meta) Page {
		p := testShopPage()
		p.Title, p.Meta = title, m
		return p
	}
	chai := &app.Product{ID: 40, VendorID: 3, Name: "Masala Chai", MRP: 18000, Price: 15000, Available: true, Variants: []app.Variant{
		{ID: 401, ProductID: 40, Label: "250 g", MRP: 18000, Price: 15000, Stock: 0, Available: true, Position: 1},
		{ID: 402, ProductID: 40, Label: "500 g", MRP: 30000, Price: 28000, Stock: 4, Available: true, Position: 2},
		{ID: 403, ProductID: 40, Label: "1 kg & more", MRP: 50000, Price: 50000, Stock: 9, Available: false, Position: 3},
	}}
	chaiGone := &app.Product{ID: 41, VendorID: 3, Name: "Kesar Chai", MRP: 100, Price: 100, Available: true, Variants: []app.Variant{
		{ID: 411, ProductID: 41, Label: "S", MRP: 100, Price: 100, Stock: 0, Available: true, Position: 1},
	}}
	front := withMeta("Sharma Sweets", s.listMeta(v, "/", storeDescription(v), ps[:24]))
	page2 := withMeta("Sharma Sweets (page 2)", s.listMeta(v, "/?page=2", storeDescription(v), ps[24:]))
	category := withMeta("मिठाई & more — Sharma Sweets", s.listMeta(v, "/c/"+url.PathEscape(cats[1].Slug), "मिठाई & more from Sharma Sweets.", ps[10:13]))
	return map[string]shopPage{
		"front":    {Page: front, Store: v, Products: ps[:24], Categories: cats, Pager: Pager{Page: 1, PerPage: 24, Total: len(ps)}, From: "/"},
		"page2":    {Page: page2, Store: v, Products: ps[24:], Categories: cats, Pager: Pager{Page: 2, PerPage: 24, Total: len(ps)}, From: "/?page=2"},
		"product":  {Page: withMeta(ps[0].Name+" — Sharma Sweets", s.productMeta(v, ps[0])), Store: v, Products: ps[:1], Product: ps[0], From: "/p/7"},
		"soldout":  {Page: withMeta(ps[5].Name+" — Sharma Sweets", s.productMeta(v, ps[5])), Store: v, Products: ps[5:6], Product: ps[5], From: "/p/12"},
		"refused":  {Page: front, Store: v, Products: ps[:24], Categories: cats, Pager: Pager{Page: 1, PerPage: 24, Total: len(ps)}, From: "/", Form: refused},
		"category": {Page: category, Store: v, Products: ps[10:13], Categories: cats, Category: cats[1], Pager: Pager{Page: 1, PerPage: 24, Total: 3}, From: "/c/" + url.PathEscape(cats[1].Slug)},
		// Variants (issue 15): the product page's choice, with a refused
		// line's message, and the cards' "from" price.
		"variants": {Page: withMeta(chai.Name+" — Sharma Sweets", s.productMeta(v, chai)), Store: v, Products: []*app.Product{chai}, Product: chai, From: "/p/40",
			Form: Form{Values: map[string]string{"qty_v402": "9"}, Errors: map[string]string{"qty_v402": "Masala Chai 500 g: only 4 left."}, Message: "Some items could not be ordered."}},
		"variants-list": {Page: withMeta("Sharma Sweets", s.listMeta(v, "/", storeDescription(v), []*app.Product{chai, chaiGone})), Store: v,
			Products: []*app.Product{chai, chaiGone}, Pager: Pager{Page: 1, PerPage: 24, Total: 2}, From: "/"},
		"empty-category": {Page: withMeta("Sweets — Sharma Sweets", s.listMeta(v, "/c/sweets", "Sweets from Sharma Sweets.", nil)), Store: v,
			Categories: cats, Category: cats[0], Pager: Pager{Page: 1, PerPage: 24}, From: "/c/sweets"},
	}
}

func mustResolver() *tenant.Resolver {
	r, err := tenant.NewResolver("dukaan.test", nil)
	if err != nil {
		panic(err)
	}
	return r
}

// TestShopGolden: shop pages are byte for byte what the templates gave
// before product cards were cached (testdata/golden was written from
// main's templates), with a fresh card cache and with a warm one.
func TestShopGolden(t *testing.T) {
	r := newTestRenderer(t)
	for name, p := range goldenPages() {
		file := filepath.Join("testdata", "golden", "shop-"+name+".html")
		if *updateGolden {
			b, err := r.render("shop.html", p)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(file, b, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		for _, pass := range []string{"fresh", "warm"} {
			if pass == "fresh" {
				r = newTestRenderer(t)
			}
			got, err := r.render("shop.html", p)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%s (%s card cache): %d bytes differ from %s (%d bytes); first difference at byte %d",
					name, pass, len(got), file, len(want), firstDiff(got, want))
			}
		}
	}
}

func firstDiff(a, b []byte) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}
