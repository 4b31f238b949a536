package main

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/PuerkitoBio/goquery"
)

// TestVariants: a product with variants end to end on both databases —
// made and edited through the console's inline rows, shown on the card
// ("from") and the product page (one quantity per variant), ordered
// through the shop form (qty_v<id>, price_v<id>), a changed variant price
// refused with 409, the variant's label on the order page and in the CSV,
// and 30 customers racing over HTTP for a variant with 5 units.
func TestVariants(t *testing.T) {
	for _, dialect := range dialects {
		t.Run(dialect, func(t *testing.T) {
			t.Parallel()
			a := startApp(t, dialect, nil)
			testVariants(t, a)
		})
	}
}

var variantQty = regexp.MustCompile(`^qty_v(\d+)$`)

// variantIDs maps the product page's variant labels to their ids, from
// the quantity inputs (data-name is "<product> <label>").
func variantIDs(t *testing.T, doc *goquery.Document, product string) map[string]int64 {
	t.Helper()
	out := map[string]int64{}
	doc.Find(".variant").Each(func(_ int, s *goquery.Selection) {
		id, _ := strconv.ParseInt(s.AttrOr("data-variant", ""), 10, 64)
		out[text(s.Find(".variant-label"))] = id
	})
	doc.Find("input[name^=qty_v]").Each(func(_ int, s *goquery.Selection) {
		if m := variantQty.FindStringSubmatch(s.AttrOr("name", "")); m != nil {
			id, _ := strconv.ParseInt(m[1], 10, 64)
			if label := strings.TrimPrefix(s.AttrOr("data-name", ""), product+" "); out[label] != id {
				t.Errorf("variant %q: input qty_v%d, row says %d", label, id, out[label])
			}
		}
	})
	return out
}

// variantPrice is the price the product page shows for a variant.
func variantPrice(doc *goquery.Document, id int64) string {
	return text(doc.Find(fmt.Sprintf(`.variant[data-variant="%d"] .price`, id)))
}

func testVariants(t *testing.T, a *testApp) {
	v := a.signup(t, "chai-corner")
	fields := url.Values{"name": {"Masala Chai"}, "description": {"Strong."}, "available": {"on"}, "variants": {"1"},
		"v0_label": {"250 g"}, "v0_mrp": {"180"}, "v0_price": {"150"}, "v0_stock": {"5"}, "v0_available": {"on"}, "v0_position": {"1"},
		"v1_label": {"500 g"}, "v1_mrp": {"300"}, "v1_price": {"280"}, "v1_stock": {"100"}, "v1_available": {"on"}, "v1_position": {"2"},
		"v2_label": {""}, "v2_mrp": {""}, "v2_price": {""}, "v2_stock": {""}, "v2_position": {"3"},
	}

	t.Run("bad rows re-render with messages and typed values", func(t *testing.T) {
		bad := cloneValues(fields)
		bad.Set("v0_price", "200") // above the row's MRP
		bad.Set("v1_label", "250 G")
		r := v.c.submit(t, "/products/new", "/products/new", bad)
		wantStatus(t, r, http.StatusUnprocessableEntity)
		if fieldError(r.doc, "v0_price") == "" || fieldError(r.doc, "v1_label") == "" {
			t.Errorf("messages %v, want v0_price and v1_label", fieldErrors(r.doc))
		}
		for name, want := range map[string]string{"v0_price": "200", "v1_label": "250 G", "v1_stock": "100", "name": "Masala Chai"} {
			if got, _ := inputValue(r.doc, name); got != want {
				t.Errorf("%s = %q, want the typed %q", name, got, want)
			}
		}
		if _, ok := v.productIDs(t)["Masala Chai"]; ok {
			t.Errorf("a refused form created the product")
		}
	})

	r := v.c.submit(t, "/products/new", "/products/new", fields)
	wantRedirect(t, r, "/products")
	pid := v.productIDs(t)["Masala Chai"]
	plain := v.addProduct(t, "Gur", "99", "99", 50, true)
	shop := a.newClient()
	page := fmt.Sprintf("/p/%d", pid)
	p := shop.get(t, v.shop(), page)
	wantStatus(t, p, http.StatusOK)
	vids := variantIDs(t, p.doc, "Masala Chai")
	small, big := vids["250 g"], vids["500 g"]
	if small == 0 || big == 0 || len(vids) != 2 {
		t.Fatalf("variants on the page = %v", vids)
	}
	if got := variantPrice(p.doc, big); got != "₹280" {
		t.Errorf("500 g price = %q, want ₹280", got)
	}
	if _, ok := inputValue(p.doc, fmt.Sprintf("qty_%d", pid)); ok {
		t.Errorf("the product page offers a plain quantity for a product with variants")
	}
	if got := appCache(shop.get(t, v.shop(), page)); got != "HIT-LOCAL" {
		t.Errorf("second read from %q, want HIT-LOCAL", got)
	}
	if got := text(productCard(shop.get(t, v.shop(), "/").doc, pid).Find(".product-price")); got != "from ₹150" {
		t.Errorf("card price %q, want from ₹150", got)
	}

	t.Run("edit one variant's price: the page shows it right after the redirect", func(t *testing.T) {
		f := v.productForm(t, pid)
		if f.Get("v1_label") != "500 g" || f.Get("v1_id") != strconv.FormatInt(big, 10) {
			t.Fatalf("edit form rows: %v", f)
		}
		f.Set("v1_price", "260")
		edit := fmt.Sprintf("/products/%d/edit", pid)
		r := v.c.submit(t, edit, edit, f)
		wantRedirect(t, r, "/products")
		p := shop.get(t, v.shop(), page)
		if got := variantPrice(p.doc, big); got != "₹260" {
			t.Errorf("500 g price after the edit = %q (from %s), want ₹260", got, appCache(p))
		}
	})

	order := func(qty map[string]int, price map[string]string) *response {
		f := orderForm(nil)
		f.Set("from", page)
		for k, n := range qty {
			f.Set(k, strconv.Itoa(n))
		}
		for k, p := range price {
			f.Set(k, p)
		}
		return shop.postForm(t, v.shop(), "/order", f)
	}
	vq := func(id int64) string { return fmt.Sprintf("qty_v%d", id) }
	vp := func(id int64) string { return fmt.Sprintf("price_v%d", id) }

	t.Run("a changed variant price is 409 with today's price", func(t *testing.T) {
		r := order(map[string]int{vq(big): 1}, map[string]string{vp(big): "28000"})
		wantStatus(t, r, http.StatusConflict)
		if msg := formMessage(r.doc); !strings.Contains(msg, "Masala Chai 500 g is now ₹260, was ₹280") {
			t.Errorf("message %q", msg)
		}
		if got, _ := inputValue(r.doc, vq(big)); got != "1" {
			t.Errorf("quantity kept = %q, want 1", got)
		}
	})
	t.Run("a plain quantity for a product with variants is refused", func(t *testing.T) {
		r := order(map[string]int{fmt.Sprintf("qty_%d", pid): 1}, nil)
		wantStatus(t, r, http.StatusUnprocessableEntity)
		if !strings.Contains(r.doc.Text(), "Choose a variant of this product.") {
			t.Errorf("no message for the plain line: %v", fieldErrors(r.doc))
		}
	})

	r = order(map[string]int{vq(big): 2, fmt.Sprintf("qty_%d", plain): 1}, map[string]string{vp(big): "26000"})
	m := orderLocation.FindStringSubmatch(r.header.Get("Location"))
	if r.status != http.StatusSeeOther || m == nil {
		t.Fatalf("order: %d %s", r.status, r.summary())
	}
	conf := confirmationOf(t, shop, v.shop(), m[1])
	if !strings.Contains(text(conf.Find("body")), "Masala Chai — 500 g") {
		t.Errorf("confirmation does not name the variant")
	}
	oid := v.orderIDs(t, "")[0]
	op := v.c.get(t, adminHost, fmt.Sprintf("/orders/%d", oid))
	wantStatus(t, op, http.StatusOK)
	if line := text(op.doc.Find(".line-name").First()); !strings.HasPrefix(line, "Masala Chai — 500 g") {
		t.Errorf("order page line %q, want the variant", line)
	}
	csv := v.c.get(t, adminHost, "/orders.csv")
	wantStatus(t, csv, http.StatusOK)
	if !strings.Contains(string(csv.body), "2 × Masala Chai — 500 g @ 260") {
		t.Errorf("CSV does not show the variant line:\n%s", csv.body)
	}

	t.Run("30 customers race for a variant with 5 units", func(t *testing.T) {
		const customers = 30
		statuses := make([]int, customers)
		var wg sync.WaitGroup
		for i := range customers {
			wg.Go(func() {
				c := a.newClient()
				f := orderForm(nil)
				f.Set("from", page)
				f.Set(vq(small), "1")
				f.Set(vp(small), "15000")
				f.Set("phone", fmt.Sprintf("+91 98765 %05d", 10000+i))
				r, err := c.do(http.MethodPost, v.shop(), "/order", f, nil)
				if err != nil {
					t.Error(err)
					return
				}
				statuses[i] = r.status
			})
		}
		wg.Wait()
		placed := 0
		for i, s := range statuses {
			switch s {
			case http.StatusSeeOther:
				placed++
			case http.StatusUnprocessableEntity:
			default:
				t.Errorf("customer %d: status %d", i, s)
			}
		}
		if placed != 5 {
			t.Errorf("orders placed = %d, want 5", placed)
		}
		f := v.productForm(t, pid)
		if f.Get("v0_stock") != "0" || f.Get("v1_stock") != "98" {
			t.Errorf("stock after the race: 250 g %s (want 0), 500 g %s (want 98)", f.Get("v0_stock"), f.Get("v1_stock"))
		}
		list := v.c.get(t, adminHost, "/products")
		if got := text(list.doc.Find(".stock-variants")); got != "250 g: 0 · 500 g: 98" {
			t.Errorf("console list stock %q, want each variant's", got)
		}
		p := shop.get(t, v.shop(), page)
		if p.doc.Find(fmt.Sprintf(`.variant[data-variant="%d"].is-soldout`, small)).Length() != 1 {
			t.Errorf("the 250 g is not shown sold out after the race (from %s)", appCache(p))
		}
		if got := text(productCard(shop.get(t, v.shop(), "/").doc, pid).Find(".product-price")); got != "from ₹260" {
			t.Errorf("card price %q after the 250 g sold out, want from ₹260", got)
		}
	})
}

// TestCacheVariants: on two replicas sharing Redis, a variant edit in the
// console and a variant sold out by an order purge exactly the pages that
// show the product — read right after the redirect on either replica they
// are new — and not the page of another product.
func TestCacheVariants(t *testing.T) {
	t.Parallel()
	s := cacheStart(t, cacheOpts{replicas: 2})
	a, b := s.apps[0], s.apps[1]
	v := a.signup(t, "cached-chai")
	fields := url.Values{"name": {"Masala Chai"}, "available": {"on"}, "variants": {"1"},
		"v0_label": {"250 g"}, "v0_mrp": {"180"}, "v0_price": {"150"}, "v0_stock": {"2"}, "v0_available": {"on"}, "v0_position": {"1"},
		"v1_label": {"500 g"}, "v1_mrp": {"300"}, "v1_price": {"280"}, "v1_stock": {"100"}, "v1_available": {"on"}, "v1_position": {"2"},
	}
	wantRedirect(t, v.c.submit(t, "/products/new", "/products/new", fields), "/products")
	chaiID := v.productIDs(t)["Masala Chai"]
	gur := v.addProduct(t, "Gur", "99", "99", 50, true)
	ca, cb := a.newClient(), b.newClient()
	host := v.shop()
	chai, other := fmt.Sprintf("/p/%d", chaiID), fmt.Sprintf("/p/%d", gur)
	warm := func(t *testing.T) {
		t.Helper()
		settlePurgeJobs(t, a)
		for _, path := range []string{"/", chai, other} {
			ca.get(t, host, path)
			wantTiers(t, ca.get(t, host, path), http.StatusOK, "", "HIT-LOCAL")
			cb.get(t, host, path)
			wantTiers(t, cb.get(t, host, path), http.StatusOK, "", "HIT-LOCAL")
		}
	}
	cardPrice := func(r *response) string { return text(productCard(r.doc, chaiID).Find(".product-price")) }

	warm(t)
	small := variantIDs(t, ca.get(t, host, chai).doc, "Masala Chai")["250 g"]

	t.Run("VariantEdit", func(t *testing.T) {
		f := v.productForm(t, chaiID)
		f.Set("v0_price", "140")
		wantRedirect(t, v.c.submit(t, "/products", fmt.Sprintf("/products/%d/edit", chaiID), f), "/products")
		for _, c := range []*client{ca, cb} {
			r := c.get(t, host, chai)
			wantFresh(t, r, c == ca)
			if got := variantPrice(r.doc, small); got != "₹140" {
				t.Errorf("%s right after the edit: 250 g at %q, want ₹140", r, got)
			}
			if got := cardPrice(c.get(t, host, "/")); got != "from ₹140" {
				t.Errorf("card right after the edit: %q, want from ₹140", got)
			}
		}
		wantTiers(t, ca.get(t, host, other), http.StatusOK, "", "HIT-LOCAL")
		wantTiers(t, cb.get(t, host, other), http.StatusOK, "", "HIT-LOCAL")
	})

	t.Run("VariantSoldOut", func(t *testing.T) {
		warm(t)
		f := orderForm(nil)
		f.Set("from", chai)
		f.Set(fmt.Sprintf("qty_v%d", small), "2")
		f.Set(fmt.Sprintf("price_v%d", small), "14000")
		r := cb.postForm(t, host, "/order", f)
		if r.status != http.StatusSeeOther {
			t.Fatalf("order: %d %s", r.status, r.summary())
		}
		for _, c := range []*client{ca, cb} {
			p := c.get(t, host, chai)
			if p.doc.Find(fmt.Sprintf(`.variant[data-variant="%d"].is-soldout`, small)).Length() != 1 {
				t.Errorf("%s (%s) right after the order: 250 g not sold out", p, appCache(p))
			}
			if got := cardPrice(c.get(t, host, "/")); got != "from ₹280" {
				t.Errorf("card right after the 250 g sold out: %q, want from ₹280", got)
			}
		}
		wantTiers(t, ca.get(t, host, other), http.StatusOK, "", "HIT-LOCAL")
	})
}
