package web

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"dukaan/app"
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
	return map[string]shopPage{
		"front":   {Page: testShopPage(), Store: v, Products: ps[:24], Pager: Pager{Page: 1, PerPage: 24, Total: len(ps)}, From: "/"},
		"page2":   {Page: testShopPage(), Store: v, Products: ps[24:], Pager: Pager{Page: 2, PerPage: 24, Total: len(ps)}, From: "/?page=2"},
		"product": {Page: testShopPage(), Store: v, Products: ps[:1], Product: ps[0], From: "/p/7"},
		"soldout": {Page: testShopPage(), Store: v, Products: ps[5:6], Product: ps[5], From: "/p/12"},
		"refused": {Page: testShopPage(), Store: v, Products: ps[:24], Pager: Pager{Page: 1, PerPage: 24, Total: len(ps)}, From: "/", Form: refused},
	}
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
