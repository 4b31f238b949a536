package web

import (
	"encoding/json"
	"strings"
	"testing"

	"dukaan/app"
)

// TestProductMeta: a product page's head tags and JSON-LD, with a name
// that tries to end the script element, on a shop with a port.
func TestProductMeta(t *testing.T) {
	r := newTestRenderer(t)
	s := &Server{cfg: Config{Resolver: mustResolver(), Port: ":8080"}}
	v := testVendor()
	p := &app.Product{ID: 42, VendorID: v.ID, Name: `Laddoo </script><script>alert(1)</script> & "more"`,
		Description: strings.Repeat("Besan laddoo in ghee. ", 20), MRP: 50000, Price: 44950, Stock: 2, Available: true, Image: "3/abcdef0123456789"}
	for _, soldOut := range []bool{false, true} {
		if soldOut {
			p.Stock = 0
		}
		page := s.singlePage(v, p)
		b, err := r.render("shop.html", page)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(b), "<script>alert(1)") {
			t.Fatal("the product name broke out of the JSON-LD script")
		}
		doc := renderDoc(t, r, "shop.html", page)
		head := doc.Find("head")
		wantText(t, mustOne(t, head, "title"), p.Name+" — Sharma Sweets")
		url := "http://sharma-sweets.dukaan.test:8080/p/42"
		wantAttr(t, mustOne(t, head, `link[rel=canonical]`), "href", url)
		wantAttr(t, mustOne(t, head, `meta[property="og:url"]`), "content", url)
		wantAttr(t, mustOne(t, head, `meta[property="og:type"]`), "content", "product")
		wantAttr(t, mustOne(t, head, `meta[property="og:title"]`), "content", p.Name+" — Sharma Sweets")
		wantAttr(t, mustOne(t, head, `meta[property="og:image"]`), "content", "http://sharma-sweets.dukaan.test:8080/images/3/abcdef0123456789-1200.jpg")
		wantAttr(t, mustOne(t, head, `meta[property="product:price:amount"]`), "content", "449.50")
		wantAttr(t, mustOne(t, head, `meta[property="product:price:currency"]`), "content", "INR")
		wantAttr(t, mustOne(t, head, `meta[name="twitter:card"]`), "content", "summary_large_image")
		desc, _ := mustOne(t, head, `meta[name=description]`).Attr("content")
		if n := len([]rune(desc)); n > metaDescriptionLen+1 || !strings.HasPrefix(desc, "Besan laddoo in ghee.") || !strings.HasSuffix(desc, "…") {
			t.Errorf("description (%d runes) = %q", n, desc)
		}
		ld := mustOne(t, head, `script[type="application/ld+json"]`).Text()
		var got struct {
			Type   string   `json:"@type"`
			Name   string   `json:"name"`
			Image  []string `json:"image"`
			SKU    string   `json:"sku"`
			URL    string   `json:"url"`
			Offers struct {
				Type          string `json:"@type"`
				Price         string `json:"price"`
				PriceCurrency string `json:"priceCurrency"`
				Availability  string `json:"availability"`
			} `json:"offers"`
		}
		if err := json.Unmarshal([]byte(ld), &got); err != nil {
			t.Fatalf("JSON-LD %q: %v", ld, err)
		}
		want := "https://schema.org/InStock"
		if soldOut {
			want = "https://schema.org/OutOfStock"
		}
		if got.Type != "Product" || got.Name != p.Name || got.SKU != "42" || got.URL != url || len(got.Image) != 1 ||
			got.Offers.Type != "Offer" || got.Offers.Price != "449.50" || got.Offers.PriceCurrency != "INR" || got.Offers.Availability != want {
			t.Errorf("JSON-LD = %+v (sold out %v)", got, soldOut)
		}
	}
}

// TestListMetaWithoutPhoto: a front page without photos has no og:image
// and a plain summary card; https and the default port leave no port.
func TestListMetaWithoutPhoto(t *testing.T) {
	r := newTestRenderer(t)
	s := &Server{cfg: Config{Resolver: mustResolver(), HTTPS: true, Port: ":443"}}
	v := testVendor()
	page := shopPage{Page: s.shopBase(v, v.Name), Store: v, Products: testProducts()[:1], Pager: Pager{Page: 1, PerPage: 24, Total: 1}, From: "/"}
	page.Products[0].Image = ""
	page.Meta = s.listMeta(v, "/", storeDescription(v), page.Products)
	head := renderDoc(t, r, "shop.html", page).Find("head")
	if n := head.Find(`meta[property="og:image"]`).Length(); n != 0 {
		t.Errorf("%d og:image without a photo", n)
	}
	wantAttr(t, mustOne(t, head, `link[rel=canonical]`), "href", "https://sharma-sweets.dukaan.test/")
	wantAttr(t, mustOne(t, head, `meta[property="og:type"]`), "content", "website")
	wantAttr(t, mustOne(t, head, `meta[name="twitter:card"]`), "content", "summary")
	if n := head.Find(`script[type="application/ld+json"]`).Length(); n != 0 {
		t.Errorf("front page has %d JSON-LD scripts", n)
	}
}
