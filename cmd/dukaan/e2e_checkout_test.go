package main

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/PuerkitoBio/goquery"
	"github.com/skip2/go-qrcode"

	"dukaan/app"
)

// TestShopCheckout: delivery, minimum order, coupons, payment modes, UPI,
// shown prices, per-shop numbers and repeat orders, end to end on both
// databases. The console's checkout pages are another change: settings and
// coupons are made through storage here.
func TestShopCheckout(t *testing.T) {
	for _, dialect := range dialects {
		t.Run(dialect, func(t *testing.T) {
			t.Parallel()
			a := startApp(t, dialect, nil)
			testCheckout(t, a)
		})
	}
}

// checkoutVendor opens a shop with a ₹40 delivery fee waived from ₹500, a
// ₹200 minimum, cash and UPI, and returns it with its id.
func checkoutVendor(t *testing.T, a *testApp, store string) (*vendor, int64) {
	t.Helper()
	v := a.signup(t, store)
	sv, err := a.main.DB.VendorBySlug(t.Context(), store)
	if err != nil {
		t.Fatal(err)
	}
	free := app.Paise(50000)
	if _, err := a.main.DB.UpdateCheckoutSettings(t.Context(), sv.ID, app.CheckoutSettings{DeliveryFee: 4000, FreeDeliveryAbove: &free,
		MinOrder: 20000, UPIID: "chaicorner@okaxis", AcceptCOD: true, AcceptUPI: true}); err != nil {
		t.Fatal(err)
	}
	return v, sv.ID
}

var orderNumberText = regexp.MustCompile(`^#(\d+)$`)

// confirmationOf is the customer's order page, checked personal.
func confirmationOf(t *testing.T, c *client, host, token string) *goquery.Document {
	t.Helper()
	r := c.get(t, host, "/orders/"+token)
	wantStatus(t, r, http.StatusOK)
	wantHeader(t, r, "Cache-Control", "private, no-store")
	return r.doc
}

func orderNumber(t *testing.T, doc *goquery.Document) int64 {
	t.Helper()
	m := orderNumberText.FindStringSubmatch(text(doc.Find(".order-ref-id")))
	if m == nil {
		t.Fatalf("order number %q", text(doc.Find(".order-ref-id")))
	}
	n, _ := strconv.ParseInt(m[1], 10, 64)
	return n
}

func countOrders(t *testing.T, a *testApp, vendorID int64) int {
	t.Helper()
	n, err := a.main.DB.Bun().NewSelect().Table("orders").Where("vendor_id = ?", vendorID).Count(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return int(n)
}

func testCheckout(t *testing.T, a *testApp) {
	ctx := context.Background()
	v, vid := checkoutVendor(t, a, "chai-corner")
	chai := v.addProduct(t, "Masala Chai", "129", "129", 500, true)
	c := a.newClient()
	host := v.shop()
	if _, err := a.main.DB.CreateCoupon(ctx, vid, app.CouponInput{Code: "CHAI10", Kind: app.CouponPercent, Value: 10, Active: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := a.main.DB.CreateCoupon(ctx, vid, app.CouponInput{Code: "FIRST3", Kind: app.CouponFlat, Value: 5000, MaxUses: 3, Active: true}); err != nil {
		t.Fatal(err)
	}
	form := func(qty int, extra ...string) url.Values {
		f := orderForm(map[int64]int{chai: qty})
		for i := 0; i+1 < len(extra); i += 2 {
			f.Set(extra[i], extra[i+1])
		}
		return f
	}

	t.Run("shop shows terms", func(t *testing.T) {
		r := c.get(t, host, "/")
		wantStatus(t, r, http.StatusOK)
		terms := text(r.doc.Find("form [data-checkout-terms]"))
		for _, want := range []string{"Delivery ₹40, free on orders of ₹500 or more", "Minimum order ₹200", "Pay by cash on delivery or UPI"} {
			if !strings.Contains(terms, want) {
				t.Errorf("terms %q lack %q", terms, want)
			}
		}
		if n := r.doc.Find(`input[type=radio][name=payment]`).Length(); n != 2 {
			t.Errorf("%d payment radios, want 2", n)
		}
		if p, _ := inputValue(r.doc, fmt.Sprintf("price_%d", chai)); p != "12900" {
			t.Errorf("price_%d = %q, want 12900", chai, p)
		}
	})

	t.Run("totals", func(t *testing.T) {
		for _, tt := range []struct {
			name        string
			f           url.Values
			rows        map[string]string // tfoot row class → amount
			total, mode string
		}{
			{"with delivery", form(2, "payment", "cod"), map[string]string{"subtotal": "₹258", "delivery": "₹40"}, "₹298", "Cash on delivery"},
			{"free delivery", form(4, "payment", "cod"), map[string]string{}, "₹516", "Cash on delivery"},
			{"coupon and delivery", form(4, "payment", "upi", "coupon", "chai10"),
				map[string]string{"subtotal": "₹516", "discount": "−₹51.60", "delivery": "₹40"}, "₹504.40", "UPI"},
		} {
			r := c.postForm(t, host, "/order", tt.f)
			m := orderLocation.FindStringSubmatch(r.header.Get("Location"))
			if r.status != http.StatusSeeOther || m == nil {
				t.Fatalf("%s: %d %s", tt.name, r.status, r.summary())
			}
			doc := confirmationOf(t, c, host, m[1])
			for class, want := range tt.rows {
				if got := text(doc.Find("table.lines tfoot tr." + class + " .num")); got != want {
					t.Errorf("%s: %s = %q, want %q", tt.name, class, got, want)
				}
			}
			if n := doc.Find("table.lines tfoot tr.delivery").Length(); len(tt.rows) == 0 && n != 0 {
				t.Errorf("%s: a delivery row on a free-delivery order", tt.name)
			}
			if got := text(doc.Find("table.lines tfoot .total")); got != tt.total {
				t.Errorf("%s: total = %q, want %q", tt.name, got, tt.total)
			}
			if got := text(doc.Find(".payment-mode")); got != tt.mode {
				t.Errorf("%s: payment = %q, want %q", tt.name, got, tt.mode)
			}
		}
	})

	place := func(t *testing.T, c *client, f url.Values) string {
		t.Helper()
		r := c.postForm(t, host, "/order", f)
		m := orderLocation.FindStringSubmatch(r.header.Get("Location"))
		if r.status != http.StatusSeeOther || m == nil {
			t.Fatalf("order: %d %s", r.status, r.summary())
		}
		return m[1]
	}

	t.Run("refusals", func(t *testing.T) {
		before := countOrders(t, a, vid)
		for _, tt := range []struct {
			name, field, msg string
			f                url.Values
		}{
			{"below minimum", "lines", "The minimum order is ₹200: add ₹71 more.", form(1, "payment", "cod")},
			{"no payment", "payment", "Choose how you will pay.", form(2)},
			{"unknown coupon", "coupon", `There is no discount code "NOPE" in this shop.`, form(2, "payment", "cod", "coupon", "nope")},
		} {
			r := c.postForm(t, host, "/order", tt.f)
			wantStatus(t, r, http.StatusUnprocessableEntity)
			if got := text(r.doc.Find("#f-" + tt.field + "-error")); got != tt.msg {
				t.Errorf("%s: %s error = %q, want %q (%s)", tt.name, tt.field, got, tt.msg, r.summary())
			}
			if q, _ := inputValue(r.doc, fmt.Sprintf("qty_%d", chai)); q != tt.f.Get(fmt.Sprintf("qty_%d", chai)) {
				t.Errorf("%s: quantity came back as %q", tt.name, q)
			}
			if got, _ := inputValue(r.doc, "name"); got != "Asha Rao" {
				t.Errorf("%s: name came back as %q", tt.name, got)
			}
			if tt.field == "coupon" {
				if got, _ := inputValue(r.doc, "coupon"); got != "nope" {
					t.Errorf("coupon came back as %q", got)
				}
			}
		}
		if n := countOrders(t, a, vid); n != before {
			t.Errorf("refused orders stored %d orders", n-before)
		}
	})

	t.Run("UPI link and QR", func(t *testing.T) {
		token := place(t, c, form(4, "payment", "upi", "coupon", "CHAI10"))
		doc := confirmationOf(t, c, host, token)
		n := orderNumber(t, doc)
		link := app.UPILink("chaicorner@okaxis", "chai-corner", 50440, n)
		if !strings.HasPrefix(link, "upi://pay?pa=chaicorner@okaxis&pn=chai-corner&am=504.40&cu=INR&tn=chai-corner%20order%20") {
			t.Errorf("link = %q", link)
		}
		pay := doc.Find("a.upi-pay")
		if href, _ := pay.Attr("href"); href != link {
			t.Errorf("pay href = %q, want %q", href, link)
		}
		if got := text(pay); got != "Pay ₹504.40 with UPI" {
			t.Errorf("pay button = %q", got)
		}
		r := c.get(t, host, "/orders/"+token+"/upi.svg")
		wantStatus(t, r, http.StatusOK)
		wantHeader(t, r, "Content-Type", "image/svg+xml")
		wantHeader(t, r, "Cache-Control", "private, no-store")
		// The code is the link's: as many modules, as many dark ones.
		q, err := qrcode.New(link, qrcode.Medium)
		if err != nil {
			t.Fatal(err)
		}
		bm := q.Bitmap()
		dark := 0
		for _, row := range bm {
			for _, on := range row {
				if on {
					dark++
				}
			}
		}
		body := string(r.body)
		if !strings.Contains(body, fmt.Sprintf(`viewBox="0 0 %d %d"`, len(bm), len(bm))) {
			t.Errorf("QR is not %d modules wide", len(bm))
		}
		got := 0
		for _, m := range regexp.MustCompile(`h(\d+)v1`).FindAllStringSubmatch(body, -1) {
			k, _ := strconv.Atoi(m[1])
			got += k
		}
		if got != dark {
			t.Errorf("QR has %d dark modules, the link's code %d", got, dark)
		}
		// Another shop's host does not know the token; a cash order has no QR.
		other := a.signup(t, "other-shop")
		r = c.get(t, other.shop(), "/orders/"+token+"/upi.svg")
		wantStatus(t, r, http.StatusNotFound)
		cod := place(t, c, form(2, "payment", "cod"))
		wantStatus(t, c.get(t, host, "/orders/"+cod+"/upi.svg"), http.StatusNotFound)
		if confirmationOf(t, c, host, cod).Find("a.upi-pay").Length() != 0 {
			t.Error("a cash order shows a UPI button")
		}
	})

	t.Run("price change", func(t *testing.T) {
		tea := v.addProduct(t, "Assam Tea", "300", "300", 50, true)
		page := c.get(t, host, "/")
		f := formValues(page.doc, "/order")
		f.Set(fmt.Sprintf("qty_%d", tea), "1")
		for k, val := range map[string]string{"name": "Asha Rao", "phone": "98765 43210", "address": "12 MG Road, Bengaluru 560038", "payment": "cod", "order_key": newOrderKey()} {
			f.Set(k, val)
		}
		edit := fmt.Sprintf("/products/%d/edit", tea)
		pf := v.productForm(t, tea)
		pf.Set("mrp", "349")
		pf.Set("price", "349")
		wantRedirect(t, v.c.submit(t, edit, edit, pf), "/products")
		before := countOrders(t, a, vid)
		r := c.postForm(t, host, "/order", f)
		wantStatus(t, r, http.StatusConflict)
		if msg := formMessage(r.doc); !strings.Contains(msg, "Assam Tea is now ₹349, was ₹300") {
			t.Errorf("message = %q", msg)
		}
		if q, _ := inputValue(r.doc, fmt.Sprintf("qty_%d", tea)); q != "1" {
			t.Errorf("quantity came back as %q", q)
		}
		if p, _ := inputValue(r.doc, fmt.Sprintf("price_%d", tea)); p != "34900" {
			t.Errorf("price field came back as %q, want the new 34900", p)
		}
		if countOrders(t, a, vid) != before {
			t.Error("a refused order was stored")
		}
		// The form as it came back orders at the new price.
		again := formValues(r.doc, "/order")
		again.Set("order_key", newOrderKey())
		doc := confirmationOf(t, c, host, place(t, c, again))
		if got := text(doc.Find("table.lines tfoot .total")); got != "₹389" {
			t.Errorf("re-posted total = %q, want ₹389 (₹349 and ₹40 delivery)", got)
		}
		// Without price fields: the current price, as before.
		plain := orderForm(map[int64]int{tea: 1})
		plain.Set("payment", "cod")
		place(t, c, plain)
	})

	t.Run("repeat without a key", func(t *testing.T) {
		f := form(3, "payment", "cod")
		f.Set("phone", "98450 11111")
		f.Del("order_key")
		first := place(t, c, f)
		n := orderNumber(t, confirmationOf(t, c, host, first))
		before := countOrders(t, a, vid)
		r := c.postForm(t, host, "/order", f)
		wantStatus(t, r, http.StatusConflict)
		if h := text(r.doc.Find("h1")); h != fmt.Sprintf("You already placed order #%d — place it again?", n) {
			t.Errorf("h1 = %q", h)
		}
		if countOrders(t, a, vid) != before {
			t.Error("a repeat was stored")
		}
		again := formValues(r.doc, "/order")
		if again.Get("confirm_repeat") != "1" {
			t.Errorf("the confirm form posts %v", again)
		}
		second := place(t, c, again)
		if second == first || orderNumber(t, confirmationOf(t, c, host, second)) != n+1 {
			t.Error("the confirmed repeat is not a new order")
		}
		// The same key again is the same order, as always.
		k := form(3, "payment", "cod")
		if a1, a2 := place(t, c, k), place(t, c, k); a1 != a2 {
			t.Errorf("the same order_key placed two orders")
		}
	})

	t.Run("coupon race", func(t *testing.T) {
		before := countOrders(t, a, vid)
		var (
			mu             sync.Mutex
			placed, usedUp int
			wg             sync.WaitGroup
		)
		for i := range 20 {
			wg.Go(func() {
				f := form(2, "payment", "cod", "coupon", "FIRST3", "phone", fmt.Sprintf("98450%05d", i))
				r, err := a.newClient().do(http.MethodPost, host, "/order", f, nil)
				mu.Lock()
				defer mu.Unlock()
				switch {
				case err != nil:
					t.Error(err)
				case r.status == http.StatusSeeOther:
					placed++
				case r.status == http.StatusUnprocessableEntity && text(r.doc.Find("#f-coupon-error")) == "The code FIRST3 has been used up.":
					usedUp++
				default:
					t.Errorf("order %d: %d %s", i, r.status, r.summary())
				}
			})
		}
		wg.Wait()
		if placed != 3 || usedUp != 17 || countOrders(t, a, vid) != before+3 {
			t.Errorf("placed %d, used up %d, stored %d; want 3, 17, 3", placed, usedUp, countOrders(t, a, vid)-before)
		}
		var discounted int
		if err := a.main.DB.Bun().NewSelect().Table("orders").ColumnExpr("COUNT(*)").
			Where("vendor_id = ? AND coupon_code = 'FIRST3' AND discount = 5000", vid).Scan(t.Context(), &discounted); err != nil || discounted != 3 {
			t.Errorf("%d orders with the FIRST3 discount (%v), want 3", discounted, err)
		}
	})

	t.Run("number race", func(t *testing.T) {
		w, _ := checkoutVendor(t, a, "number-shop")
		p := w.addProduct(t, "Ginger Tea", "250", "250", 1000, true)
		var (
			mu     sync.Mutex
			tokens []string
			wg     sync.WaitGroup
		)
		for i := range 40 {
			wg.Go(func() {
				f := orderForm(map[int64]int{p: 1})
				f.Set("payment", "cod")
				f.Set("phone", fmt.Sprintf("98451%05d", i))
				r, err := a.newClient().do(http.MethodPost, w.shop(), "/order", f, nil)
				if err != nil {
					t.Error(err)
					return
				}
				m := orderLocation.FindStringSubmatch(r.header.Get("Location"))
				if m == nil {
					t.Errorf("order %d: %d %s", i, r.status, r.summary())
					return
				}
				mu.Lock()
				tokens = append(tokens, m[1])
				mu.Unlock()
			})
		}
		wg.Wait()
		var nums []int64
		for _, tok := range tokens {
			nums = append(nums, orderNumber(t, confirmationOf(t, c, w.shop(), tok)))
		}
		slices.Sort(nums)
		if len(nums) != 40 {
			t.Fatalf("%d orders placed, want 40: numbers %v", len(nums), nums)
		}
		for i, n := range nums {
			if n != int64(i+1) {
				t.Fatalf("numbers = %v, want 1–40 once each", nums)
			}
		}
	})
}
