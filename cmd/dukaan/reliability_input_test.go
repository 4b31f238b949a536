package main

// Hostile input: bodies too large, fields too long, orders too
// big, amounts that would overflow, HTML and script in every text a vendor
// or customer types, SQL metacharacters in names and searches. Each gets a
// clear answer and changes nothing, on SQLite and PostgreSQL.

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"dukaan/app"
	"dukaan/storage/storagetest"
)

func TestReliabilityHostileInput(t *testing.T) {
	for _, dialect := range dialects {
		t.Run(dialect, func(t *testing.T) {
			t.Parallel()
			a := startApp(t, dialect, nil)
			for _, f := range []struct {
				name string
				fn   func(*testing.T, *testApp)
			}{
				{"BodyLimits", testBodyLimits},
				{"FieldLimits", testFieldLimits},
				{"OrderLimits", testOrderLimits},
				{"Escaping", testEscaping},
				{"SQLMetacharacters", testSQLMetacharacters},
			} {
				t.Run(f.name, func(t *testing.T) {
					t.Parallel()
					f.fn(t, a)
				})
			}
		})
	}
}

// noActiveContent checks that nothing a person typed became markup that
// runs: no inline script, no event handler, no javascript: URL.
func noActiveContent(t *testing.T, r *response) {
	t.Helper()
	// The product's JSON-LD is the one script without src, and a data
	// block: a name that ended it would start a second script, found here.
	if n := r.doc.Find(`script:not([src]):not([type="application/ld+json"])`).Length(); n > 0 {
		t.Errorf("%s: %d inline <script> elements", r, n)
	}
	if n := r.doc.Find(`script[type="application/ld+json"]`).Length(); n > 1 {
		t.Errorf("%s: %d JSON-LD scripts, want at most 1", r, n)
	}
	r.doc.Find("*").Each(func(_ int, s *goquery.Selection) {
		for _, attr := range s.Nodes[0].Attr {
			if strings.HasPrefix(attr.Key, "on") {
				t.Errorf("%s: <%s %s=%q>", r, goquery.NodeName(s), attr.Key, attr.Val)
			}
			if (attr.Key == "href" || attr.Key == "src" || attr.Key == "action") && strings.HasPrefix(strings.ToLower(strings.TrimSpace(attr.Val)), "javascript:") {
				t.Errorf("%s: <%s %s=%q>", r, goquery.NodeName(s), attr.Key, attr.Val)
			}
		}
	})
	if n := r.doc.Find("img[src=x], iframe, object, embed").Length(); n > 0 {
		t.Errorf("%s: %d injected elements", r, n)
	}
}

// chunked is a body net/http cannot measure, so it is sent chunked.
type chunked struct{ io.Reader }

func testBodyLimits(t *testing.T, a *testApp) {
	v := a.signup(t, "body-limits")
	before := v.productList(t)
	post := func(t *testing.T, body io.Reader, length int64) *response {
		t.Helper()
		page := v.c.get(t, adminHost, "/products/new")
		req, err := http.NewRequest(http.MethodPost, "http://"+a.addr+"/products/new", body)
		if err != nil {
			t.Fatal(err)
		}
		req.ContentLength = length
		req.Host = v.c.hostPort(adminHost)
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Origin", v.c.origin(adminHost))
		req.Header.Set("X-CSRF-Token", csrfToken(t, page))
		for _, ck := range v.c.jar[adminHost] {
			req.AddCookie(&http.Cookie{Name: ck.Name, Value: ck.Value})
		}
		res, err := a.hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		doc, _ := goquery.NewDocumentFromReader(bytes.NewReader(b))
		return &response{method: "POST", host: adminHost, path: "/products/new", status: res.StatusCode, header: res.Header, body: b, doc: doc}
	}
	form := func(pad int) string {
		f := productFields("Padded Pickle", "100", "90", "5", true)
		f.Set("padding", strings.Repeat("p", pad))
		return f.Encode()
	}
	for _, tt := range []struct {
		name    string
		body    string
		chunked bool
		want    int
	}{
		{"2 MiB", form(2 << 20), false, http.StatusRequestEntityTooLarge},
		{"2 MiB chunked", form(2 << 20), true, http.StatusRequestEntityTooLarge},
		{"just over 1 MiB chunked", form(1 << 20), true, http.StatusRequestEntityTooLarge},
		{"just under 1 MiB", form(1<<20 - 200), false, http.StatusSeeOther},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var r *response
			if tt.chunked {
				r = post(t, chunked{strings.NewReader(tt.body)}, -1)
			} else {
				r = post(t, strings.NewReader(tt.body), int64(len(tt.body)))
			}
			if r.status != tt.want {
				t.Fatalf("%d-byte form: status %d, want %d (%s)", len(tt.body), r.status, tt.want, r.summary())
			}
			if tt.want == http.StatusRequestEntityTooLarge {
				wantHeader(t, r, "Cache-Control", "private, no-store")
				if h := text(r.doc.Find("h1")); !strings.Contains(h, "too large") {
					t.Errorf("413 page heading %q, want it to say the form is too large", h)
				}
			}
		})
	}
	if got := v.productList(t); len(got) != len(before)+1 {
		t.Errorf("products %v, want one more than %v (only the form under the limit)", got, before)
	}
	t.Logf("figures: case=body-limits db=%s console-bodies: 2MiB→413, 2MiB-chunked→413, 1MiB+-chunked→413, 1MiB−→303; products created=%d (want 1)",
		a.dialect, len(v.productList(t))-len(before))

	t.Run("order body", func(t *testing.T) {
		f := orderForm(map[int64]int{1: 1})
		f.Set("address", strings.Repeat("a", 70<<10))
		r := a.newClient().postForm(t, v.shop(), "/order", f)
		wantStatus(t, r, http.StatusRequestEntityTooLarge)
		if h := text(r.doc.Find("h1")); h == "" {
			t.Errorf("%s: an empty page", r)
		}
		// A malformed body is not "too large": it is a bad request.
		c := a.newClient()
		req, _ := http.NewRequest(http.MethodPost, "http://"+a.addr+"/order", strings.NewReader("qty_1=%zz&name=x"))
		req.Host = c.hostPort(v.shop())
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		resp, err := a.hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("order body with a broken %%-escape: status %d, want 400", resp.StatusCode)
		}
	})
}

func testFieldLimits(t *testing.T, a *testApp) {
	t.Run("signup", func(t *testing.T) {
		for _, tt := range []struct {
			name  string
			form  url.Values
			field string
		}{
			{"display name of 121", url.Values{"store": {"long-name"}, "name": {strings.Repeat("n", 121)}, "email": {"ln@example.com"}, "password": {password}}, "name"},
			{"email of 255", url.Values{"store": {"long-email"}, "email": {strings.Repeat("e", 243) + "@example.com"}, "password": {password}}, "email"},
			{"password of 1000", url.Values{"store": {"long-pass"}, "email": {"lp@example.com"}, "password": {strings.Repeat("p", 1000)}}, "password"},
		} {
			t.Run(tt.name, func(t *testing.T) {
				c := a.newClient()
				r := c.submit(t, "/signup", "/signup", tt.form)
				wantStatus(t, r, http.StatusUnprocessableEntity)
				if fieldError(r.doc, tt.field) == "" {
					t.Errorf("%s: no message for %s (%v)", r, tt.field, fieldErrors(r.doc))
				}
				if r := c.get(t, shopHost(tt.form.Get("store")), "/"); r.status != http.StatusNotFound {
					t.Errorf("the refused signup opened a shop: %d", r.status)
				}
			})
		}
	})
	t.Run("login", func(t *testing.T) {
		for _, f := range []url.Values{
			{"email": {strings.Repeat("e", 5000) + "@example.com"}, "password": {password}},
			{"email": {"someone@example.com"}, "password": {strings.Repeat("p", 100_000)}},
		} {
			r := a.newClient().submit(t, "/login", "/login", f)
			wantStatus(t, r, http.StatusUnauthorized)
		}
	})
	t.Run("product names count characters", func(t *testing.T) {
		v := a.signup(t, "unicode-limits")
		ok := strings.Repeat("अ", 120) // 360 bytes, 120 characters
		wantRedirect(t, v.c.submit(t, "/products/new", "/products/new", productFields(ok, "10", "10", "1", true)), "/products")
		r := v.c.submit(t, "/products/new", "/products/new", productFields(ok+"अ", "10", "10", "1", true))
		wantStatus(t, r, http.StatusUnprocessableEntity)
		if fieldError(r.doc, "name") == "" {
			t.Errorf("%s: no message for the name", r)
		}
	})
	t.Run("customer", func(t *testing.T) {
		v := a.signup(t, "customer-limits")
		pid := v.addProduct(t, "Limit Lassi", "40", "35", 10, true)
		for _, tt := range []struct{ field, value string }{
			{"name", strings.Repeat("n", 121)},
			{"address", strings.Repeat("a", 501)},
			{"phone", strings.Repeat("9", 1000)},
		} {
			f := orderForm(map[int64]int{pid: 1})
			f.Set(tt.field, tt.value)
			r := a.newClient().postForm(t, v.shop(), "/order", f)
			wantStatus(t, r, http.StatusUnprocessableEntity)
			if fieldError(r.doc, tt.field) == "" {
				t.Errorf("%s with a long %s: no message for it (%v)", r, tt.field, fieldErrors(r.doc))
			}
		}
		if got := v.orderIDs(t, ""); len(got) != 0 {
			t.Errorf("orders %v after refused forms", got)
		}
		if got := v.stock(t, pid); got != 10 {
			t.Errorf("stock %d after refused forms, want 10", got)
		}
	})
}

func testOrderLimits(t *testing.T, a *testApp) {
	v := a.signup(t, "order-limits")
	vendor, err := a.main.DB.VendorBySlug(t.Context(), v.store)
	if err != nil {
		t.Fatal(err)
	}
	// 51 products at the highest price a form accepts, 100 of each in stock.
	var ids []int64
	for i := range app.MaxOrderLines + 1 {
		p := storagetest.Product(t, a.main.DB, vendor.ID, fmt.Sprintf("Gold Bar %02d", i), app.MaxPaise, app.MaxQty)
		ids = append(ids, p.ID)
	}
	shop := a.newClient()
	all := func(qty int) map[int64]int {
		m := map[int64]int{}
		for _, id := range ids[:app.MaxOrderLines] {
			m[id] = qty
		}
		return m
	}
	for _, tt := range []struct {
		name  string
		form  url.Values
		field string
	}{
		{"51 lines", orderForm(func() map[int64]int { m := all(1); m[ids[50]] = 1; return m }()), "items"},
		{"qty 101", orderForm(map[int64]int{ids[50]: 101}), fmt.Sprintf("qty_%d", ids[50])},
		{"qty beyond int64", with(orderForm(nil), fmt.Sprintf("qty_%d", ids[50]), "99999999999999999999"), fmt.Sprintf("qty_%d", ids[50])},
		{"negative qty", with(orderForm(nil), fmt.Sprintf("qty_%d", ids[50]), "-1"), fmt.Sprintf("qty_%d", ids[50])},
		{"qty 1e2", with(orderForm(nil), fmt.Sprintf("qty_%d", ids[50]), "1e2"), fmt.Sprintf("qty_%d", ids[50])},
		{"qty 0x10", with(orderForm(nil), fmt.Sprintf("qty_%d", ids[50]), "0x10"), fmt.Sprintf("qty_%d", ids[50])},
		{"unknown product", orderForm(map[int64]int{99_999_999: 1}), "qty_99999999"},
		{"non-canonical id", with(orderForm(nil), fmt.Sprintf("qty_0%d", ids[0]), "1"), fmt.Sprintf("qty_0%d", ids[0])},
		{"product id beyond int64", with(orderForm(nil), "qty_99999999999999999999", "1"), "qty_99999999999999999999"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := shop.postForm(t, v.shop(), "/order", tt.form)
			wantStatus(t, r, http.StatusUnprocessableEntity)
			// A field the page shows gets its own message; one it does not
			// (a forged name) gets the form's.
			msg := fieldError(r.doc, tt.field)
			if r.doc.Find(fmt.Sprintf("[name=%q]", tt.field)).Length() == 0 {
				msg = formMessage(r.doc)
			}
			if msg == "" {
				t.Errorf("%s: no message for %s (fields %v, form %q)", r, tt.field, fieldErrors(r.doc), formMessage(r.doc))
			}
		})
	}
	if got := v.orderIDs(t, ""); len(got) != 0 {
		t.Fatalf("orders %v after refused forms", got)
	}

	t.Run("largest order", func(t *testing.T) {
		// 50 lines × 100 × ₹1 crore: ₹5,000 crore, 5×10¹² paise, far
		// inside int64 and shown whole.
		tok := order(t, shop, v.store, all(app.MaxQty))
		conf := shop.get(t, v.shop(), "/orders/"+tok)
		wantStatus(t, conf, http.StatusOK)
		const want = "₹50,00,00,00,000"
		if got := text(conf.doc.Find(".total")); got != want {
			t.Errorf("confirmation total %q, want %q", got, want)
		}
		oid := v.orderIDs(t, "")[0]
		if r := v.c.get(t, adminHost, fmt.Sprintf("/orders/%d", oid)); !strings.Contains(text(r.doc.Find(".total")), want) {
			t.Errorf("console total %q, want %q", text(r.doc.Find(".total")), want)
		}
		if got := v.stock(t, ids[0]); got != 0 {
			t.Errorf("stock %d, want 0", got)
		}
	})

	t.Run("money", func(t *testing.T) {
		before := v.productList(t)
		for _, amount := range []string{"99999999999999999999", "1e30", "१००", "NaN", "Infinity", "-0", "0.001",
			"1,00,00,000.01", "9223372036854775807", "₹ -5", "0x10", "10 000", "5.", ".5.5"} {
			r := v.c.submit(t, "/products/new", "/products/new", productFields("Overflow Oil", amount, "1", "1", true))
			if r.status != http.StatusUnprocessableEntity || fieldError(r.doc, "mrp") == "" {
				t.Errorf("MRP %q: status %d, mrp message %q, want 422 with a message", amount, r.status, fieldError(r.doc, "mrp"))
			}
		}
		if got := v.productList(t); !slices.Equal(got, before) {
			t.Errorf("products %v after refused amounts, want %v", got, before)
		}
	})
	t.Logf("figures: case=order-and-money-limits db=%s refused-orders=9 stored-after-refusals=0 largest-order=50×100×₹1 crore=₹50,00,00,00,000 (5×10¹² paise) refused-amounts=14", a.dialect)
}

func testEscaping(t *testing.T, a *testApp) {
	const (
		storeName = `<b onmouseover="alert(0)">Bold</b> & "Quoted" Shop`
		name      = `<script>alert("name")</script> Chai`
		desc      = `<img src=x onerror=alert(1)><a href="javascript:alert(2)">click</a></textarea><script>alert(3)</script>`
		customer  = `<svg onload=alert(4)> Asha`
		address   = `12 MG Road <iframe src="//evil.example"></iframe> Bengaluru`
	)
	c := a.newClient()
	r := c.submit(t, "/signup", "/signup", url.Values{"store": {"escape-shop"}, "name": {storeName}, "email": {"escape@example.com"}, "password": {password}})
	wantRedirect(t, r, "/products")
	v := &vendor{c: c, store: "escape-shop", email: "escape@example.com"}
	f := productFields(name, "100", "90", "10", true)
	f.Set("description", desc)
	wantRedirect(t, v.c.submit(t, "/products/new", "/products/new", f), "/products")
	pid := v.productIDs(t)[name]
	if pid == 0 {
		t.Fatalf("product %q not listed by its literal name: %v", name, v.productIDs(t))
	}
	shop := a.newClient()
	of := orderForm(map[int64]int{pid: 1})
	of.Set("name", customer)
	of.Set("address", address)
	r = shop.postForm(t, v.shop(), "/order", of)
	confirmation := order303(t, r)
	oid := v.orderIDs(t, "")[0]

	pages := []*response{
		shop.get(t, v.shop(), "/"),
		shop.get(t, v.shop(), fmt.Sprintf("/p/%d", pid)),
		shop.get(t, v.shop(), confirmation),
		v.c.get(t, adminHost, "/products"),
		v.c.get(t, adminHost, fmt.Sprintf("/products/%d/edit", pid)),
		v.c.get(t, adminHost, "/orders"),
		v.c.get(t, adminHost, fmt.Sprintf("/orders/%d", oid)),
	}
	// A refused order re-shows what the customer typed: escaped as well.
	bad := orderForm(map[int64]int{pid: 1})
	bad.Set("name", customer)
	bad.Set("phone", `"><script>alert(5)</script>`)
	pages = append(pages, shop.postForm(t, v.shop(), "/order", bad))
	for _, r := range pages {
		t.Run(r.String(), func(t *testing.T) {
			if r.status != http.StatusOK && r.status != http.StatusUnprocessableEntity {
				t.Fatalf("%s: status %d (%s)", r, r.status, r.summary())
			}
			noActiveContent(t, r)
			wantSecurityHeaders(t, r)
		})
	}
	// The text reads as typed, wherever it is shown.
	has := func(r *response, sel, want string) {
		t.Helper()
		var texts []string
		r.doc.Find(sel).Each(func(_ int, s *goquery.Selection) { texts = append(texts, s.Text()) })
		for _, s := range texts {
			if strings.Contains(strings.Join(strings.Fields(s), " "), strings.Join(strings.Fields(want), " ")) {
				return
			}
		}
		t.Errorf("%s: no %s shows %q literally (got %q)", r, sel, want, texts)
	}
	has(pages[0], ".store-brand-name", storeName)
	has(pages[0], "body", name)
	has(pages[1], "body", desc)
	has(pages[1], "title", name)
	has(pages[2], "body", customer)
	has(pages[2], ".address", address)
	has(pages[3], "body", name)
	has(pages[6], "body", customer)
	has(pages[6], "body", name)
	if got, _ := inputValue(pages[4].doc, "name"); got != name {
		t.Errorf("edit form name %q, want %q", got, name)
	}
	if got, _ := inputValue(pages[4].doc, "description"); got != desc {
		t.Errorf("edit form description %q, want %q", got, desc)
	}
	if got, _ := inputValue(pages[7].doc, "phone"); got != `"><script>alert(5)</script>` {
		t.Errorf("refused form phone re-shown as %q", got)
	}
	t.Logf("figures: case=escaping db=%s pages-checked=%d (shop, product, confirmation, console list/edit/orders/order, refused form) injected-elements-or-handlers=0 text-shown-literally=yes", a.dialect, len(pages))
}

func testSQLMetacharacters(t *testing.T, a *testApp) {
	v := a.signup(t, "sql-shop")
	names := []string{
		`'; DROP TABLE products; --`,
		`Robert"); DELETE FROM orders WHERE ("1"="1`,
		`100% Cotton`,
		`Cotton_Blend`,
		`Back\slash Brush`,
		`Odd %_\ Name`,
		`Plain Pot`,
	}
	ids := map[string]int64{}
	for _, n := range names {
		ids[n] = v.addProduct(t, n, "10", "10", 5, true)
	}
	search := func(q string) []string {
		t.Helper()
		r := v.c.get(t, adminHost, "/products?q="+url.QueryEscape(q))
		wantStatus(t, r, http.StatusOK)
		var out []string
		for n, id := range ids {
			if slices.Contains(ids2(r), id) {
				out = append(out, n)
			}
		}
		slices.Sort(out)
		return out
	}
	for _, tt := range []struct {
		q    string
		want []string
	}{
		{`%`, []string{`100% Cotton`, `Odd %_\ Name`}},
		{`_`, []string{`Cotton_Blend`, `Odd %_\ Name`}},
		{`\`, []string{`Back\slash Brush`, `Odd %_\ Name`}},
		{`%_\`, []string{`Odd %_\ Name`}},
		{`'; DROP`, []string{`'; DROP TABLE products; --`}},
		{`"1"="1`, []string{`Robert"); DELETE FROM orders WHERE ("1"="1`}},
		{`cotton`, []string{`100% Cotton`, `Cotton_Blend`}},
		{`' OR '1'='1`, nil},
		{`*`, nil},
	} {
		if got := search(tt.q); !slices.Equal(got, tt.want) {
			t.Errorf("search %q found %q, want %q", tt.q, got, tt.want)
		}
	}
	// The shop lists them all, and orders of them are taken and stored as
	// typed.
	shop := a.newClient()
	r := shop.get(t, v.shop(), "/")
	for _, n := range names {
		if !slices.Contains(shopProductIDs(r.doc), ids[n]) {
			t.Errorf("the shop does not list %q", n)
		}
	}
	f := orderForm(map[int64]int{ids[names[0]]: 1, ids[names[1]]: 2})
	f.Set("name", `Bobby'); DROP TABLE orders; --`)
	f.Set("address", `1 Main St'; UPDATE products SET stock = 0; --`)
	conf := shop.get(t, v.shop(), order303(t, shop.postForm(t, v.shop(), "/order", f)))
	if got := text(conf.doc.Find(".address")); got != f.Get("address") {
		t.Errorf("confirmation address %q, want %q", got, f.Get("address"))
	}
	if got := v.stock(t, ids["Plain Pot"]); got != 5 {
		t.Errorf("stock of an untouched product %d, want 5", got)
	}
	if got := v.stock(t, ids[names[1]]); got != 3 {
		t.Errorf("stock %d, want 3", got)
	}
	if got := len(v.productList(t)); got != len(names) {
		t.Errorf("%d products listed, want %d", got, len(names))
	}
	t.Logf("figures: case=sql-metacharacters db=%s products=%d searches=9 (%%, _, \\, %%_\\, '; DROP, \"1\"=\"1, cotton, ' OR '1'='1, *) all-exact=%v", a.dialect, len(names), !t.Failed())
}

// ids2 are the product ids a console list links to.
func ids2(r *response) []int64 { return ids(r.doc, "a[href]", "href", productEditHref) }
