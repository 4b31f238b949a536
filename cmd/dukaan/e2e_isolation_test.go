package main

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// adminRoute is one request to the console.
type adminRoute struct {
	method, path string
	form         url.Values
}

func (r adminRoute) String() string { return r.method + " " + r.path }

// idRoutes is every console route that takes a product or order id, with
// bodies that would succeed on the owner's data and bodies that would not.
func idRoutes(pid, oid string) []adminRoute {
	return []adminRoute{
		{http.MethodGet, "/products/" + pid + "/edit", nil},
		{http.MethodPost, "/products/" + pid + "/edit", productFields("Taken Over", "100", "1", "0", false)},
		{http.MethodPost, "/products/" + pid + "/edit", productFields("", "abc", "", "-1", false)},
		{http.MethodPost, "/products/" + pid + "/edit", with(productFields("Taken Over", "100", "1", "50", true), "stock_was", "0")},
		{http.MethodPost, "/products/" + pid + "/availability", url.Values{"available": {"false"}}},
		{http.MethodPost, "/products/" + pid + "/availability", url.Values{"available": {"maybe"}}},
		{http.MethodPost, "/products/" + pid + "/delete", url.Values{}},
		{http.MethodGet, "/orders/" + oid, nil},
		{http.MethodPost, "/orders/" + oid + "/status", url.Values{"status": {"confirmed"}}},
		{http.MethodPost, "/orders/" + oid + "/status", url.Values{"status": {"cancelled"}}},
		{http.MethodPost, "/orders/" + oid + "/status", url.Values{"status": {"bogus"}}},
	}
}

// call sends a console request like a browser whose form came from page:
// POSTs carry the csrf_token of page.
func (c *client) call(t *testing.T, page string, rt adminRoute) *response {
	t.Helper()
	if rt.method == http.MethodGet {
		return c.get(t, adminHost, rt.path)
	}
	return c.submit(t, page, rt.path, rt.form)
}

// testIsolation: one vendor can neither see nor touch another's
// products and orders, and nobody without a session gets past /login.
func testIsolation(t *testing.T, a *testApp) {
	va := a.signup(t, "iso-a")
	vb := a.signup(t, "iso-b")
	pa := va.addProduct(t, "A Secret Spice", "100", "80", 10, true)
	pb := vb.addProduct(t, "B Plain Salt", "20", "20", 10, true)
	shop := a.newClient()
	tokA := order(t, shop, va.store, map[int64]int{pa: 1})
	tokB := order(t, shop, vb.store, map[int64]int{pb: 1})
	oa := va.orderIDs(t, "")[0]
	paID, oaID := strconv.FormatInt(pa, 10), strconv.FormatInt(oa, 10)

	productBefore := va.productForm(t, pa)
	intact := func(t *testing.T) {
		t.Helper()
		if got := va.productForm(t, pa); !equalValues(got, productBefore) {
			t.Errorf("A's product is now %v, want %v", got, productBefore)
		}
		if got := va.orderStatus(t, oa); got != "pending" {
			t.Errorf("A's order is %s, want pending", got)
		}
		if got := shopProductIDs(shop.get(t, va.shop(), "/").doc); !slices.Equal(got, []int64{pa}) {
			t.Errorf("A's shop offers %v, want [%d]", got, pa)
		}
	}

	t.Run("other vendor's ids", func(t *testing.T) {
		for _, rt := range idRoutes(paID, oaID) {
			t.Run(rt.String(), func(t *testing.T) {
				r := vb.c.call(t, "/products", rt)
				if r.status != http.StatusNotFound {
					t.Errorf("%s by vendor B: status %d Location %q, want 404", rt, r.status, r.header.Get("Location"))
				}
				if cc := r.header.Get("Cache-Control"); !strings.Contains(cc, "no-store") {
					t.Errorf("%s: Cache-Control %q, want no-store", rt, cc)
				}
			})
		}
		intact(t)
		if slices.Contains(vb.productList(t), pa) {
			t.Errorf("B's console lists A's product %d", pa)
		}
		if slices.Contains(vb.orderIDs(t, ""), oa) {
			t.Errorf("B's console lists A's order %d", oa)
		}
	})

	t.Run("bad ids", func(t *testing.T) {
		for _, id := range []string{"abc", "0", "-1", "1e3", paID + "x", "99999999999999999999", "999999"} {
			for _, rt := range idRoutes(id, id) {
				t.Run(rt.String(), func(t *testing.T) {
					if r := va.c.call(t, "/products", rt); r.status != http.StatusNotFound {
						t.Errorf("%s by the owner: status %d, want 404", rt, r.status)
					}
				})
			}
		}
		intact(t)
	})

	t.Run("no session", func(t *testing.T) {
		anon := a.newClient()
		locked := append([]adminRoute{
			{http.MethodGet, "/", nil},
			{http.MethodGet, "/products", nil},
			{http.MethodGet, "/products?q=spice&page=2", nil},
			{http.MethodGet, "/products/new", nil},
			{http.MethodPost, "/products/new", productFields("Anonymous", "10", "10", "1", true)},
			{http.MethodGet, "/orders", nil},
			{http.MethodGet, "/orders?status=pending", nil},
		}, idRoutes(paID, oaID)...)
		for _, rt := range locked {
			t.Run(rt.String(), func(t *testing.T) {
				// The form comes from the login page, the only one an
				// anonymous browser can reach.
				r := anon.call(t, "/login", rt)
				wantRedirect(t, r, "/login")
			})
		}
		intact(t)
		if got := va.productList(t); !slices.Equal(got, []int64{pa}) {
			t.Errorf("A's products %v, want [%d]", got, pa)
		}
	})

	t.Run("shops", func(t *testing.T) {
		for _, tt := range []struct{ host, path string }{
			{vb.shop(), fmt.Sprintf("/p/%d", pa)},
			{va.shop(), fmt.Sprintf("/p/%d", pb)},
			{vb.shop(), "/orders/" + tokA},
			{va.shop(), "/orders/" + tokB},
		} {
			if r := shop.get(t, tt.host, tt.path); r.status != http.StatusNotFound {
				t.Errorf("%s: status %d, want 404", r, r.status)
			}
		}
		ordersB := vb.orderIDs(t, "")
		r := shop.postForm(t, vb.shop(), "/order", orderForm(map[int64]int{pa: 1}))
		wantStatus(t, r, http.StatusUnprocessableEntity)
		if got := vb.orderIDs(t, ""); !slices.Equal(got, ordersB) {
			t.Errorf("B's orders %v after ordering A's product from B's shop, want %v", got, ordersB)
		}
		intact(t)
	})
}

// testConcurrency: many customers racing for the last units.
func testConcurrency(t *testing.T, a *testApp) {
	v := a.signup(t, "rush-shop")
	pid := v.addProduct(t, "Last Five Mangoes", "500", "450", 5, true)
	const customers, stock = 30, 5
	c := a.newClient()

	type result struct {
		status int
		loc    string
		err    error
	}
	results := make([]result, customers)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range customers {
		wg.Go(func() {
			<-start
			r, err := c.do(http.MethodPost, v.shop(), "/order", orderForm(map[int64]int{pid: 1}), nil)
			if err != nil {
				results[i].err = err
				return
			}
			results[i] = result{status: r.status, loc: r.header.Get("Location")}
		})
	}
	close(start)
	wg.Wait()

	counts := map[int]int{}
	locations := map[string]bool{}
	for _, r := range results {
		if r.err != nil {
			t.Errorf("order: %v", r.err)
			continue
		}
		counts[r.status]++
		if r.status == http.StatusSeeOther {
			if !orderLocation.MatchString(r.loc) {
				t.Errorf("303 to %q, want /orders/{token}", r.loc)
			}
			locations[r.loc] = true
		}
	}
	if counts[http.StatusSeeOther] != stock || counts[http.StatusUnprocessableEntity] != customers-stock {
		t.Errorf("%d customers ordering 1 of %d: statuses %v, want %d × 303 and %d × 422",
			customers, stock, counts, stock, customers-stock)
	}
	if len(locations) != counts[http.StatusSeeOther] {
		t.Errorf("%d orders went to %d distinct confirmations", counts[http.StatusSeeOther], len(locations))
	}
	if got := v.stock(t, pid); got != 0 {
		t.Errorf("stock %d after the rush, want 0", got)
	}
	if got := v.orderIDs(t, ""); len(got) != stock {
		t.Errorf("console lists %d orders, want %d", len(got), stock)
	}
	if card := productCard(c.get(t, v.shop(), "/").doc, pid); !hasText(card, "Sold out") {
		t.Errorf("card %q after the rush, want \"Sold out\"", text(card))
	}

	t.Run("double submit", func(t *testing.T) {
		// One customer's form posted several times at once (a double tap, a
		// retrying browser): one order, and every answer leads to it.
		jam := v.addProduct(t, "Jamun Jam", "200", "180", 10, true)
		before := v.orderIDs(t, "")
		f := orderForm(map[int64]int{jam: 2})
		const tries = 6
		locs := make([]string, tries)
		errs := make([]error, tries)
		start := make(chan struct{})
		var wg sync.WaitGroup
		for i := range tries {
			wg.Go(func() {
				<-start
				r, err := c.do(http.MethodPost, v.shop(), "/order", f, nil)
				if err != nil {
					errs[i] = err
					return
				}
				locs[i] = fmt.Sprintf("%d %s", r.status, r.header.Get("Location"))
			})
		}
		close(start)
		wg.Wait()
		for i := range tries {
			if errs[i] != nil {
				t.Fatal(errs[i])
			}
			if !strings.HasPrefix(locs[i], "303 /orders/") || locs[i] != locs[0] {
				t.Errorf("answers %q, want the same 303 /orders/{token} for every try", locs)
				break
			}
		}
		if got := v.orderIDs(t, ""); len(got) != len(before)+1 {
			t.Errorf("orders %v, want one more than %v", got, before)
		}
		if got := v.stock(t, jam); got != 8 {
			t.Errorf("stock %d, want 8 (one order of 2)", got)
		}
	})
}

// TestE2EDemo starts with DUKAAN_SEED_DEMO=true and checks the demo store.
func TestE2EDemo(t *testing.T) {
	for _, dialect := range dialects {
		t.Run(dialect, func(t *testing.T) {
			t.Parallel()
			a := startApp(t, dialect, map[string]string{"DUKAAN_SEED_DEMO": "true"})
			c := a.newClient()

			r := c.get(t, shopHost("demo"), "/")
			wantStatus(t, r, http.StatusOK)
			products := shopProductIDs(r.doc)
			if len(products) != 12 {
				t.Errorf("%s: %d products, want 12", r, len(products))
			}
			var soldOut []int64
			for _, id := range products {
				if hasText(productCard(r.doc, id), "Sold out") {
					soldOut = append(soldOut, id)
				}
			}
			if len(soldOut) != 1 {
				t.Errorf("%s: products %v are sold out, want exactly one", r, soldOut)
			}

			login := c.submit(t, "/login", "/login", url.Values{"email": {defaultDemoEmail}, "password": {defaultDemoPassword}})
			wantRedirect(t, login, "/products")
			v := &vendor{c: c, store: "demo", email: defaultDemoEmail}
			if got := v.productList(t); len(got) != 12 {
				t.Errorf("console lists %d products, want 12", len(got))
			}
			if got := v.orderIDs(t, ""); len(got) == 0 {
				t.Error("the demo store has no orders")
			}
		})
	}
}
