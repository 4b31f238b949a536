package main

// End-to-end tests of the console's side of checkout, on SQLite and
// PostgreSQL through real HTTP: the settings form's delivery terms and
// payment modes, discount codes, payment marking, the unpaid-UPI filter,
// the number search, the export's new columns and the confirmation step.

import (
	"context"
	"fmt"
	"github.com/PuerkitoBio/goquery"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestConsoleSettingsCheckout(t *testing.T) {
	for _, d := range dialects {
		t.Run(d, func(t *testing.T) {
			a := startApp(t, d, nil)
			v := a.signup(t, "chai-corner")
			ctx := context.Background()

			page := v.c.get(t, adminHost, "/settings")
			wantStatus(t, page, http.StatusOK)
			f := formValues(page.doc, "/settings")
			if f.Get("cod") != "on" || f.Has("upi") || f.Get("delivery_fee") != "0" || f.Get("free_delivery_above") != "" || f.Get("min_order") != "" {
				t.Errorf("a new shop's form = %v, want cash only, free delivery, no minimum", f)
			}

			// Refused: every typed value comes back, nothing is saved.
			bad := cloneValues(f)
			bad.Set("name", "Chai Corner")
			bad.Set("delivery_fee", "-5")
			bad.Set("free_delivery_above", "499")
			bad.Set("upi_id", "")
			bad.Set("upi", "on")
			bad.Del("cod")
			r := v.c.submit(t, "/settings", "/settings", bad)
			wantStatus(t, r, http.StatusUnprocessableEntity)
			for _, field := range []string{"delivery_fee", "upi_id"} {
				if fieldError(r.doc, field) == "" {
					t.Errorf("no message on %s; errors %v", field, fieldErrors(r.doc))
				}
			}
			kept := formValues(r.doc, "/settings")
			for _, k := range []string{"name", "delivery_fee", "free_delivery_above", "upi"} {
				if kept.Get(k) != bad.Get(k) {
					t.Errorf("refused form: %s = %q, want %q as typed", k, kept.Get(k), bad.Get(k))
				}
			}
			if kept.Has("cod") {
				t.Errorf("refused form ticked cash on delivery again")
			}
			vend, err := a.main.DB.VendorBySlug(ctx, "chai-corner")
			if err != nil {
				t.Fatal(err)
			}
			if vend.Name == "Chai Corner" || vend.Checkout.AcceptUPI || !vend.Checkout.AcceptCOD {
				t.Errorf("a refused form saved something: %+v", vend)
			}
			// At least one payment mode.
			none := cloneValues(f)
			none.Del("cod")
			r = v.c.submit(t, "/settings", "/settings", none)
			wantStatus(t, r, http.StatusUnprocessableEntity)
			if fieldError(r.doc, "cod") == "" {
				t.Errorf("no message for no payment mode; errors %v", fieldErrors(r.doc))
			}

			// Saved: the shop shows the new name right after the redirect.
			shopper := a.newClient()
			terms := func(when string) string {
				t.Helper()
				r := shopper.get(t, v.shop(), "/")
				wantStatus(t, r, http.StatusOK)
				got := strings.Join(r.doc.Find("[data-checkout-terms] li").Map(func(_ int, li *goquery.Selection) string { return text(li) }), " | ")
				if got == "" {
					t.Fatalf("%s: the shop shows no delivery terms", when)
				}
				return got
			}
			if got := terms("before"); got != "Free delivery | Pay by cash on delivery" {
				t.Errorf("a new shop's terms = %q", got)
			}
			good := cloneValues(f)
			good.Set("name", "Chai Corner")
			good.Set("delivery_fee", "30")
			good.Set("free_delivery_above", "499")
			good.Set("min_order", "₹150.50")
			good.Set("upi_id", "chaicorner@okaxis")
			good.Set("upi", "on")
			wantRedirect(t, v.c.submit(t, "/settings", "/settings", good), "/settings")
			after := v.c.get(t, adminHost, "/settings")
			if !strings.Contains(text(after.doc.Find(".flash")), "Saved") {
				t.Errorf("no flash after saving")
			}
			saved := formValues(after.doc, "/settings")
			want := url.Values{"delivery_fee": {"30"}, "free_delivery_above": {"499"}, "min_order": {"150.50"}, "upi_id": {"chaicorner@okaxis"}, "cod": {"on"}, "upi": {"on"}}
			for k := range want {
				if saved.Get(k) != want.Get(k) {
					t.Errorf("saved %s = %q, want %q", k, saved.Get(k), want.Get(k))
				}
			}
			vend, _ = a.main.DB.VendorBySlug(ctx, "chai-corner")
			if c := vend.Checkout; c.DeliveryFee != 3000 || c.FreeDeliveryAbove == nil || *c.FreeDeliveryAbove != 49900 || c.MinOrder != 15050 || !c.AcceptUPI || !c.AcceptCOD {
				t.Errorf("stored checkout = %+v", c)
			}
			// The settings change purged the shop's pages.
			if got := text(shopper.get(t, v.shop(), "/").doc.Find(".store-brand-name")); got != "Chai Corner" {
				t.Errorf("shop header after the redirect = %q, want the new name", got)
			}
			if got, want := terms("after saving"), "Delivery ₹30, free on orders of ₹499 or more | Minimum order ₹150.50 | Pay by cash on delivery or UPI"; got != want {
				t.Errorf("shop's terms right after the redirect = %q, want %q", got, want)
			}

			// A POST without the checkout fields (a tool from before them)
			// keeps the checkout settings.
			wantRedirect(t, v.c.submit(t, "/settings", "/settings", url.Values{"name": {"Chai Corner 2"}, "description": {""}, "whatsapp": {""}}), "/settings")
			vend, _ = a.main.DB.VendorBySlug(ctx, "chai-corner")
			if vend.Name != "Chai Corner 2" || vend.Checkout.DeliveryFee != 3000 || !vend.Checkout.AcceptUPI {
				t.Errorf("details-only POST: %+v", vend)
			}
			// Emptying the optional amounts means "never free", "no minimum".
			clear := cloneValues(good)
			clear.Set("free_delivery_above", "")
			clear.Set("min_order", "")
			wantRedirect(t, v.c.submit(t, "/settings", "/settings", clear), "/settings")
			vend, _ = a.main.DB.VendorBySlug(ctx, "chai-corner")
			if vend.Checkout.FreeDeliveryAbove != nil || vend.Checkout.MinOrder != 0 {
				t.Errorf("cleared amounts stored as %+v", vend.Checkout)
			}
			if got, want := terms("after clearing"), "Delivery ₹30 | Pay by cash on delivery or UPI"; got != want {
				t.Errorf("shop's terms right after clearing = %q, want %q", got, want)
			}
		})
	}
}

// couponRow is the coupon list's row of code.
func couponRow(tb testing.TB, v *vendor, code string) map[string]string {
	tb.Helper()
	r := v.c.get(tb, adminHost, "/coupons")
	wantStatus(tb, r, http.StatusOK)
	row := r.doc.Find(fmt.Sprintf(`tr.coupon-row[data-code=%q]`, code))
	if row.Length() == 0 {
		return nil
	}
	href, _ := row.Find("a.coupon-link").Attr("href")
	return map[string]string{
		"href": href, "offer": text(row.Find(".coupon-offer")), "uses": text(row.Find(".coupon-uses")),
		"left": text(row.Find(".coupon-left")), "expires": text(row.Find(".coupon-expires")), "state": text(row.Find(".coupon-state")),
		"min": text(row.Find(".coupon-min")),
	}
}

var couponEditHref = regexp.MustCompile(`^/coupons/(\d+)/edit$`)

func TestConsoleCoupons(t *testing.T) {
	for _, d := range dialects {
		t.Run(d, func(t *testing.T) {
			a := startApp(t, d, nil)
			v := a.signup(t, "coupon-shop")
			ctx := context.Background()

			empty := v.c.get(t, adminHost, "/coupons")
			wantStatus(t, empty, http.StatusOK)
			if got := text(empty.doc.Find(".empty h2")); got != "No discount codes yet" {
				t.Errorf("empty state %q", got)
			}
			if empty.doc.Find(`.admin-nav a[href="/coupons"][aria-current="page"]`).Length() != 1 {
				t.Errorf("no current Coupons link in the console nav")
			}

			// Refused: messages, typed values kept, nothing stored.
			bad := url.Values{"code": {"di wali"}, "kind": {"percent"}, "value": {"95"}, "min_order": {"abc"}, "max_uses": {"0"}, "expires": {"31/12/2026"}, "active": {"on"}}
			r := v.c.submit(t, "/coupons/new", "/coupons/new", bad)
			wantStatus(t, r, http.StatusUnprocessableEntity)
			for _, field := range []string{"code", "value", "min_order", "max_uses", "expires"} {
				if fieldError(r.doc, field) == "" {
					t.Errorf("no message on %s; errors %v", field, fieldErrors(r.doc))
				}
			}
			if got, _ := inputValue(r.doc, "expires"); got != "31/12/2026" {
				t.Errorf("refused form lost the date: %q", got)
			}
			if cs, _ := a.main.DB.Coupons(ctx, 1); len(cs) != 0 {
				t.Errorf("a refused form stored %d coupons", len(cs))
			}

			good := url.Values{"code": {"diwali10"}, "kind": {"percent"}, "value": {"10"}, "min_order": {"500"}, "max_uses": {"3"}, "expires": {"2099-12-31"}, "active": {"on"}}
			wantRedirect(t, v.c.submit(t, "/coupons/new", "/coupons/new", good), "/coupons")
			row := couponRow(t, v, "DIWALI10")
			if row == nil {
				t.Fatal("DIWALI10 not in the list (codes are stored upper-cased)")
			}
			if row["offer"] != "10% off" || row["uses"] != "0" || row["left"] != "3" || row["expires"] != "2099-12-31" || row["state"] != "active" || row["min"] != "₹500" {
				t.Errorf("row = %v", row)
			}
			flat := url.Values{"code": {"FLAT50"}, "kind": {"flat"}, "value": {"50"}, "expires": {time.Now().AddDate(0, 0, -2).Format("2006-01-02")}}
			wantRedirect(t, v.c.submit(t, "/coupons/new", "/coupons/new", flat), "/coupons")
			if row := couponRow(t, v, "FLAT50"); row["offer"] != "₹50 off" || row["state"] != "off" || row["left"] != "No limit" {
				t.Errorf("FLAT50 row = %v", row)
			}

			// The same code, whatever its case, is a conflict.
			dup := cloneValues(good)
			dup.Set("code", "Diwali10")
			r = v.c.submit(t, "/coupons/new", "/coupons/new", dup)
			wantStatus(t, r, http.StatusConflict)
			if !strings.Contains(fieldError(r.doc, "code"), "already has the code DIWALI10") {
				t.Errorf("duplicate code message %q", fieldError(r.doc, "code"))
			}

			// Edit.
			edit := couponEditHref.FindStringSubmatch(couponRow(t, v, "DIWALI10")["href"])
			if edit == nil {
				t.Fatal("no edit link")
			}
			id, _ := strconv.ParseInt(edit[1], 10, 64)
			form := v.c.get(t, adminHost, fmt.Sprintf("/coupons/%d/edit", id))
			wantStatus(t, form, http.StatusOK)
			vals := formValues(form.doc, fmt.Sprintf("/coupons/%d/edit", id))
			if vals.Get("code") != "DIWALI10" || vals.Get("value") != "10" || vals.Get("min_order") != "500" || vals.Get("max_uses") != "3" || vals.Get("active") != "on" {
				t.Errorf("edit form = %v", vals)
			}
			vals.Set("kind", "flat")
			vals.Set("value", "75.50")
			vals.Del("active")
			wantRedirect(t, v.c.submit(t, fmt.Sprintf("/coupons/%d/edit", id), fmt.Sprintf("/coupons/%d/edit", id), vals), "/coupons")
			if row := couponRow(t, v, "DIWALI10"); row["offer"] != "₹75.50 off" || row["state"] != "off" {
				t.Errorf("edited row = %v", row)
			}
			// Renaming onto another code is a conflict too.
			vals.Set("code", "flat50")
			r = v.c.submit(t, fmt.Sprintf("/coupons/%d/edit", id), fmt.Sprintf("/coupons/%d/edit", id), vals)
			wantStatus(t, r, http.StatusConflict)

			// Another vendor's coupon is a 404 on every route.
			other := a.signup(t, "other-shop")
			wantStatus(t, other.c.get(t, adminHost, fmt.Sprintf("/coupons/%d/edit", id)), http.StatusNotFound)
			wantStatus(t, other.c.submit(t, "/coupons", fmt.Sprintf("/coupons/%d/edit", id), good), http.StatusNotFound)
			wantStatus(t, other.c.submit(t, "/coupons", fmt.Sprintf("/coupons/%d/delete", id), nil), http.StatusNotFound)
			if couponRow(t, other, "DIWALI10") != nil {
				t.Errorf("another vendor lists DIWALI10")
			}
			// CSRF: a POST without the token changes nothing.
			if r := v.c.postForm(t, adminHost, fmt.Sprintf("/coupons/%d/delete", id), url.Values{}); r.status != http.StatusForbidden {
				t.Errorf("delete without CSRF token: status %d, want 403", r.status)
			}

			// Delete.
			wantRedirect(t, v.c.submit(t, "/coupons", fmt.Sprintf("/coupons/%d/delete", id), nil), "/coupons")
			after := v.c.get(t, adminHost, "/coupons")
			if !strings.Contains(text(after.doc.Find(".flash")), "Deleted the code DIWALI10") {
				t.Errorf("flash after delete = %q", text(after.doc.Find(".flash")))
			}
			if couponRow(t, v, "DIWALI10") != nil || couponRow(t, v, "FLAT50") == nil {
				t.Errorf("after delete: DIWALI10 still listed or FLAT50 gone")
			}
			wantStatus(t, v.c.get(t, adminHost, fmt.Sprintf("/coupons/%d/edit", id)), http.StatusNotFound)
		})
	}
}

// acceptUPI has the vendor take UPI as well as cash on delivery, through
// the console's settings form.
func acceptUPI(tb testing.TB, v *vendor, upiID string) {
	tb.Helper()
	page := v.c.get(tb, adminHost, "/settings")
	wantStatus(tb, page, http.StatusOK)
	f := formValues(page.doc, "/settings")
	f.Set("cod", "on")
	f.Set("upi", "on")
	f.Set("upi_id", upiID)
	wantRedirect(tb, v.c.submit(tb, "/settings", "/settings", f), "/settings")
}

func TestConsoleOrderPayment(t *testing.T) {
	for _, d := range dialects {
		t.Run(d, func(t *testing.T) {
			a := startApp(t, d, nil)
			// Another shop's orders first, so ids and numbers differ.
			other := a.signup(t, "other-shop")
			op := other.addProduct(t, "Other Thing", "10", "10", 10, true)
			placeOrder(t, a, other, map[int64]int{op: 1}, "", "")
			placeOrder(t, a, other, map[int64]int{op: 1}, "", "")
			var theirs int64

			v := a.signup(t, "chai-corner")
			p := v.addProduct(t, "Masala Chai", "150", "129", 100, true)
			acceptUPI(t, v, "chaicorner@okaxis")
			acceptUPI(t, other, "othershop@okicici")
			// Real orders: PlaceOrder numbers them 1, 2, 3 in this shop and
			// stores the payment chosen on the form.
			var ids []int64
			for _, pay := range []string{"upi", "cod", "upi"} {
				ids = append(ids, placeOrderPaying(t, a, v, map[int64]int{p: 1}, pay))
			}
			theirs = placeOrderPaying(t, a, other, map[int64]int{op: 1}, "upi")

			list := v.c.get(t, adminHost, "/orders")
			wantStatus(t, list, http.StatusOK)
			if got := text(list.doc.Find(fmt.Sprintf(`a[href="/orders/%d"]`, ids[1]))); got != "#2" {
				t.Errorf("list shows order %d as %q, want its number #2", ids[1], got)
			}
			if got := text(row(list.doc, "#1").Find(".cell-payment")); got != "UPI Unpaid" {
				t.Errorf("payment cell %q", got)
			}

			// The number search, and its export.
			if got := v.orderIDs(t, "?q=%232"); !slices.Equal(got, []int64{ids[1]}) {
				t.Errorf("search #2: %v, want %d", got, ids[1])
			}
			if got := v.orderIDs(t, "?q=3"); !slices.Equal(got, []int64{ids[2]}) {
				t.Errorf("search 3: %v, want %d", got, ids[2])
			}
			for _, q := range []string{"?q=9", "?q=chai"} {
				r := v.c.get(t, adminHost, "/orders"+q)
				wantStatus(t, r, http.StatusOK)
				if got := v.orderIDs(t, q); len(got) != 0 || !strings.Contains(text(r.doc.Find(".empty h2")), "No order") {
					t.Errorf("search %s: %v, %q", q, got, text(r.doc.Find(".empty h2")))
				}
			}
			if recs := readCSV(t, v.c.get(t, adminHost, "/orders.csv?q=2")); len(recs) != 2 || recs[1][0] != strconv.FormatInt(ids[1], 10) {
				t.Errorf("export of search 2 = %q", recs)
			}

			// Marking paid asks first; the confirmed step marks it.
			ask := v.c.submit(t, fmt.Sprintf("/orders/%d", ids[0]), fmt.Sprintf("/orders/%d/payment", ids[0]), url.Values{"status": {"paid"}, "confirm": {"ask"}})
			wantStatus(t, ask, http.StatusOK)
			if got := text(ask.doc.Find("h1")); got != "Mark order #1 paid?" {
				t.Errorf("confirmation asks %q", got)
			}
			confirm := formValues(ask.doc, fmt.Sprintf("/orders/%d/payment", ids[0]))
			if confirm.Get("confirm") != "yes" || confirm.Get("status") != "paid" {
				t.Errorf("confirmation form = %v", confirm)
			}
			if got := v.orderIDs(t, "?payment=unpaid-upi"); !slices.Equal(got, []int64{ids[2], ids[0]}) {
				t.Errorf("unpaid UPI before marking: %v, want %v (asking changed nothing)", got, []int64{ids[2], ids[0]})
			}
			r := v.c.submit(t, fmt.Sprintf("/orders/%d", ids[0]), fmt.Sprintf("/orders/%d/payment", ids[0]), confirm)
			wantRedirect(t, r, fmt.Sprintf("/orders/%d", ids[0]))
			page := v.c.get(t, adminHost, fmt.Sprintf("/orders/%d", ids[0]))
			if got := text(page.doc.Find(".order-payment")); got != "UPI Paid" || !strings.Contains(text(page.doc.Find(".flash")), "#1 is marked paid") {
				t.Errorf("order page payment %q, flash %q", got, text(page.doc.Find(".flash")))
			}
			if got := text(page.doc.Find("h1")); !strings.HasPrefix(got, "Order #1") {
				t.Errorf("order page heading %q", got)
			}
			if got := v.orderIDs(t, "?payment=unpaid-upi"); !slices.Equal(got, []int64{ids[2]}) {
				t.Errorf("unpaid UPI after marking: %v, want %d", got, ids[2])
			}
			if recs := readCSV(t, v.c.get(t, adminHost, "/orders.csv?payment=unpaid-upi")); len(recs) != 2 {
				t.Errorf("unpaid UPI export has %d records, want header + 1", len(recs))
			}
			wantStatus(t, v.c.get(t, adminHost, "/orders?payment=later"), http.StatusUnprocessableEntity)

			// Another vendor's order: 404, and unchanged.
			wantStatus(t, v.c.submit(t, "/orders", fmt.Sprintf("/orders/%d/payment", theirs), url.Values{"status": {"paid"}}), http.StatusNotFound)
			wantStatus(t, v.c.submit(t, "/orders", fmt.Sprintf("/orders/%d/payment", theirs), url.Values{"status": {"paid"}, "confirm": {"ask"}}), http.StatusNotFound)
			if got := other.orderIDs(t, "?payment=unpaid-upi"); !slices.Equal(got, []int64{theirs}) {
				t.Errorf("the other shop's unpaid UPI: %v, want %d", got, theirs)
			}
			// A tool's direct POST (no confirm) marks at once; a bad status is 422.
			wantRedirect(t, v.c.submit(t, "/orders", fmt.Sprintf("/orders/%d/payment", ids[2]), url.Values{"status": {"paid"}}), fmt.Sprintf("/orders/%d", ids[2]))
			wantStatus(t, v.c.submit(t, "/orders", fmt.Sprintf("/orders/%d/payment", ids[2]), url.Values{"status": {"refunded"}}), http.StatusUnprocessableEntity)

			// The export's checkout columns, after the original nine.
			recs := readCSV(t, v.c.get(t, adminHost, "/orders.csv"))
			if got := recs[0][9:]; !slices.Equal(got, []string{"Number", "Subtotal (INR)", "Discount (INR)", "Coupon", "Delivery (INR)", "Payment", "Payment status"}) {
				t.Errorf("new columns %q", got)
			}
			byID := map[string][]string{}
			for _, rec := range recs[1:] {
				byID[rec[0]] = rec
			}
			if got := byID[strconv.FormatInt(ids[0], 10)][9:]; !slices.Equal(got, []string{"1", "129.00", "0.00", "", "0.00", "upi", "paid"}) {
				t.Errorf("order #1 checkout cells %q", got)
			}
			if got := byID[strconv.FormatInt(ids[1], 10)][9:]; got[0] != "2" || got[5] != "cod" || got[6] != "unpaid" {
				t.Errorf("order #2 checkout cells %q", got)
			}

			// Cancelling asks first, then puts the stock back.
			before := v.stock(t, p)
			ask = v.c.submit(t, fmt.Sprintf("/orders/%d", ids[1]), fmt.Sprintf("/orders/%d/status", ids[1]), url.Values{"status": {"cancelled"}, "confirm": {"ask"}})
			wantStatus(t, ask, http.StatusOK)
			if got := text(ask.doc.Find("h1")); got != "Cancel order #2?" || !strings.Contains(text(ask.doc.Find(".confirm-detail")), "puts the stock back") {
				t.Errorf("cancel confirmation: %q, %q", got, text(ask.doc.Find(".confirm-detail")))
			}
			if s := v.orderStatus(t, ids[1]); s != "pending" || v.stock(t, p) != before {
				t.Errorf("asking cancelled the order (%s) or moved stock", s)
			}
			confirm = formValues(ask.doc, fmt.Sprintf("/orders/%d/status", ids[1]))
			wantRedirect(t, v.c.submit(t, fmt.Sprintf("/orders/%d", ids[1]), fmt.Sprintf("/orders/%d/status", ids[1]), confirm), fmt.Sprintf("/orders/%d", ids[1]))
			if s := v.orderStatus(t, ids[1]); s != "cancelled" || v.stock(t, p) != before+1 {
				t.Errorf("after confirming: %s, stock %d (was %d)", s, v.stock(t, p), before)
			}
			// The order page's buttons ask (confirm=ask) for cancel and paid.
			page = v.c.get(t, adminHost, fmt.Sprintf("/orders/%d", ids[2]))
			for _, sel := range []string{fmt.Sprintf(`form[action="/orders/%d/status"]:has(input[name=status][value=cancelled]) input[name=confirm][value=ask]`, ids[2])} {
				if page.doc.Find(sel).Length() != 1 {
					t.Errorf("order page has no %s", sel)
				}
			}
		})
	}
}
