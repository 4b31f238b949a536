package main

// End-to-end tests of the console's orders export, today's figures and the
// shop link's QR code, on SQLite and PostgreSQL, through real HTTP.

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"image/png"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/skip2/go-qrcode"
)

// orderTotal reads an order's total, in paise, from its console page.
func orderTotal(tb testing.TB, v *vendor, id int64) int64 {
	tb.Helper()
	r := v.c.get(tb, adminHost, fmt.Sprintf("/orders/%d", id))
	wantStatus(tb, r, http.StatusOK)
	return parseRupees(tb, text(r.doc.Find(".lines tfoot .total").First()))
}

// parseRupees turns "₹1,234.50" into 123450.
func parseRupees(tb testing.TB, s string) int64 {
	tb.Helper()
	s = strings.ReplaceAll(strings.TrimPrefix(s, "₹"), ",", "")
	whole, frac, _ := strings.Cut(s, ".")
	for len(frac) < 2 {
		frac += "0"
	}
	n, err := strconv.ParseInt(whole+frac, 10, 64)
	if err != nil {
		tb.Fatalf("amount %q: %v", s, err)
	}
	return n
}

// placeOrder orders from the shop with the given customer and returns the
// order's id, the newest in the console.
func placeOrder(tb testing.TB, a *testApp, v *vendor, qty map[int64]int, name, address string) int64 {
	tb.Helper()
	f := orderForm(qty)
	if name != "" {
		f.Set("name", name)
	}
	if address != "" {
		f.Set("address", address)
	}
	return placeOrderForm(tb, a, v, f)
}

// placeOrderPaying orders qty from the shop to pay by payment ("cod" or
// "upi") and returns the order's id.
func placeOrderPaying(tb testing.TB, a *testApp, v *vendor, qty map[int64]int, payment string) int64 {
	tb.Helper()
	f := orderForm(qty)
	f.Set("payment", payment)
	return placeOrderForm(tb, a, v, f)
}

// placeOrderForm posts the order form f to the shop and returns the new
// order's id, the newest in the console.
func placeOrderForm(tb testing.TB, a *testApp, v *vendor, f url.Values) int64 {
	tb.Helper()
	r := a.newClient().postForm(tb, v.shop(), "/order", f)
	if r.status != http.StatusSeeOther {
		tb.Fatalf("%s: status %d (%s)", r, r.status, r.summary())
	}
	ids := v.orderIDs(tb, "")
	if len(ids) == 0 {
		tb.Fatal("no order in the console after ordering")
	}
	return slices.Max(ids)
}

func readCSV(tb testing.TB, r *response) [][]string {
	tb.Helper()
	recs, err := csv.NewReader(bytes.NewReader(r.body)).ReadAll()
	if err != nil {
		tb.Fatalf("%s: not CSV: %v\n%s", r, err, r.body)
	}
	if len(recs) == 0 {
		tb.Fatalf("%s: empty CSV", r)
	}
	return recs
}

func TestConsoleCSVExport(t *testing.T) {
	for _, d := range dialects {
		t.Run(d, func(t *testing.T) {
			a := startApp(t, d, nil)
			v := a.signup(t, "csv-shop")
			tea := v.addProduct(t, "Assam Tea", "320", "285.50", 500, true)
			gur := v.addProduct(t, "Jaggery, 1 kg", "99", "99", 500, true)

			const evilName = `=HYPERLINK("http://evil.example","Click")`
			const address = "Flat 4, \"Lotus\" Apartments\nSector 21, Dwarka\r\nNew Delhi 110075"
			special := placeOrder(t, a, v, map[int64]int{tea: 2, gur: 1}, evilName, address)
			// More orders than a page of the console (25) holds.
			for i := range 27 {
				placeOrder(t, a, v, map[int64]int{gur: i%3 + 1}, "", "")
			}
			cancelled := placeOrder(t, a, v, map[int64]int{tea: 1}, "-Minus Mehta", "")
			wantRedirect(t, v.setStatus(t, cancelled, "cancelled"), fmt.Sprintf("/orders/%d", cancelled))

			// Someone else's orders never appear.
			other := a.signup(t, "other-shop")
			oid := other.addProduct(t, "Other Thing", "10", "10", 10, true)
			placeOrder(t, a, other, map[int64]int{oid: 1}, "Not Yours", "")

			all := v.c.get(t, adminHost, "/orders.csv")
			wantStatus(t, all, http.StatusOK)
			wantHeader(t, all, "Content-Type", "text/csv; charset=utf-8")
			wantHeader(t, all, "Cache-Control", "private, no-store")
			today := time.Now().In(mustIST(t)).Format("2006-01-02")
			wantHeader(t, all, "Content-Disposition", `attachment; filename="csv-shop-orders-`+today+`.csv"`)
			recs := readCSV(t, all)
			wantHeaderRow := []string{"Order", "Placed (Asia/Kolkata)", "Status", "Customer", "Phone", "Address", "Items", "Units", "Total (INR)",
				"Number", "Subtotal (INR)", "Discount (INR)", "Coupon", "Delivery (INR)", "Payment", "Payment status"}
			if !slices.Equal(recs[0], wantHeaderRow) {
				t.Errorf("header %q, want %q", recs[0], wantHeaderRow)
			}
			rows := recs[1:]
			if len(rows) != 29 {
				t.Fatalf("%d rows, want 29 (one per order)", len(rows))
			}
			var ids []int64
			byID := map[int64][]string{}
			for _, r := range rows {
				if len(r) != len(wantHeaderRow) {
					t.Fatalf("row %q has %d cells", r, len(r))
				}
				id, err := strconv.ParseInt(r[0], 10, 64)
				if err != nil {
					t.Fatalf("order cell %q", r[0])
				}
				ids = append(ids, id)
				byID[id] = r
				if r[3] == "Not Yours" {
					t.Errorf("another vendor's order is in the export: %q", r)
				}
			}
			if !slices.IsSortedFunc(ids, func(x, y int64) int { return int(y - x) }) {
				t.Errorf("ids %v are not newest first", ids)
			}
			listed := v.orderIDs(t, "")
			if !slices.Equal(ids[:len(listed)], listed) {
				t.Errorf("export starts %v, console lists %v", ids[:len(listed)], listed)
			}

			s := byID[special]
			if s == nil {
				t.Fatalf("order %d is not in the export", special)
			}
			if s[3] != "'"+evilName {
				t.Errorf("customer cell = %q, want the formula defused with a leading '", s[3])
			}
			if want := strings.ReplaceAll(address, "\r\n", "\n"); s[5] != want && s[5] != address {
				t.Errorf("address cell = %q, want %q", s[5], address)
			}
			if s[4] != "'+919876543210" {
				t.Errorf("phone cell = %q", s[4])
			}
			if s[2] != "pending" {
				t.Errorf("status cell = %q", s[2])
			}
			if want := "2 × Assam Tea @ 285.50; 1 × Jaggery, 1 kg @ 99.00"; s[6] != want {
				t.Errorf("items cell = %q, want %q", s[6], want)
			}
			if s[7] != "3" || s[8] != "670.00" {
				t.Errorf("units, total = %q, %q; want 3, 670.00", s[7], s[8])
			}
			if placed, err := time.ParseInLocation("2006-01-02 15:04:05", s[1], mustIST(t)); err != nil || time.Since(placed).Abs() > 10*time.Minute {
				t.Errorf("placed cell = %q (%v), want about now in IST", s[1], err)
			}
			// Every total is a plain number that matches the order page.
			plain := regexp.MustCompile(`^\d+\.\d\d$`)
			for _, id := range []int64{special, cancelled, ids[5]} {
				cell := byID[id][8]
				if !plain.MatchString(cell) {
					t.Errorf("total %q is not a plain number", cell)
				}
				if got, want := parseRupees(t, cell), orderTotal(t, v, id); got != want {
					t.Errorf("order %d: total cell %q, page says %d paise", id, cell, want)
				}
			}
			if c := byID[cancelled]; c[2] != "cancelled" || c[3] != "'-Minus Mehta" {
				t.Errorf("cancelled row = %q", c)
			}

			// The filter, as on /orders.
			cr := v.c.get(t, adminHost, "/orders.csv?status=cancelled")
			wantStatus(t, cr, http.StatusOK)
			if got := readCSV(t, cr)[1:]; len(got) != 1 || got[0][0] != strconv.FormatInt(cancelled, 10) {
				t.Errorf("cancelled export = %q, want only order %d", got, cancelled)
			}
			empty := v.c.get(t, adminHost, "/orders.csv?status=delivered")
			wantStatus(t, empty, http.StatusOK)
			if got := readCSV(t, empty); len(got) != 1 {
				t.Errorf("delivered export has %d records, want the header only", len(got))
			}
			bad := v.c.get(t, adminHost, "/orders.csv?status=lost")
			wantStatus(t, bad, http.StatusUnprocessableEntity)
			wantHeader(t, bad, "Cache-Control", "private, no-store")

			// The orders page links the download, keeping its filter.
			page := v.c.get(t, adminHost, "/orders?status=pending")
			wantStatus(t, page, http.StatusOK)
			if page.doc.Find(`a[href="/orders.csv?status=pending"]`).Length() != 1 {
				t.Errorf("/orders?status=pending has no link to /orders.csv?status=pending")
			}

			anon := a.newClient().get(t, adminHost, "/orders.csv")
			wantRedirect(t, anon, "/login")
		})
	}
}

func mustIST(tb testing.TB) *time.Location {
	tb.Helper()
	loc, err := time.LoadLocation("Asia/Kolkata")
	if err != nil {
		tb.Fatal(err)
	}
	return loc
}

// backdate moves an order's creation time.
func backdate(tb testing.TB, a *testApp, id int64, at time.Time) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := a.main.DB.Bun().NewUpdate().Table("orders").Set("created_at = ?", at.UTC()).Where("id = ?", id).Exec(ctx); err != nil {
		tb.Fatalf("backdate order %d: %v", id, err)
	}
}

func TestConsoleToday(t *testing.T) {
	ist := mustIST(t)
	now := time.Now().In(ist)
	midnight := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, ist)
	if now.Sub(midnight) < 3*time.Minute || midnight.AddDate(0, 0, 1).Sub(now) < 3*time.Minute {
		t.Skip("too close to midnight in India for a test of today's orders")
	}
	for _, d := range dialects {
		t.Run(d, func(t *testing.T) {
			a := startApp(t, d, nil)
			v := a.signup(t, "today-shop")

			glance := func() (orders string, revenue int64) {
				t.Helper()
				r := v.c.get(t, adminHost, "/orders")
				wantStatus(t, r, http.StatusOK)
				return text(r.doc.Find(".glance .glance-orders")), parseRupees(t, text(r.doc.Find(".glance .glance-revenue")))
			}
			if n, rev := glance(); n != "0" || rev != 0 {
				t.Errorf("new shop: today %s orders, %d paise; want 0, 0", n, rev)
			}

			p := v.addProduct(t, "Kaju Katli", "500", "449.50", 100, true)
			yesterday := placeOrder(t, a, v, map[int64]int{p: 1}, "", "")
			early := placeOrder(t, a, v, map[int64]int{p: 2}, "", "")
			placeOrder(t, a, v, map[int64]int{p: 3}, "", "")
			cancelled := placeOrder(t, a, v, map[int64]int{p: 4}, "", "")
			wantRedirect(t, v.setStatus(t, cancelled, "cancelled"), fmt.Sprintf("/orders/%d", cancelled))
			backdate(t, a, yesterday, midnight.Add(-time.Minute)) // 23:59 IST yesterday
			backdate(t, a, early, midnight.Add(time.Minute))      // 00:01 IST today

			n, rev := glance()
			if n != "3" || rev != (2+3)*44950 {
				t.Errorf("today: %s orders, %d paise; want 3 (one cancelled), %d", n, rev, (2+3)*44950)
			}
			r := v.c.get(t, adminHost, "/orders?status=cancelled")
			if note := text(r.doc.Find(".glance-note")); !strings.Contains(note, "1 cancelled order is counted in orders, not in revenue") {
				t.Errorf("note = %q", note)
			}

			// Moving the 00:01 order back two minutes puts it in yesterday.
			backdate(t, a, early, midnight.Add(-time.Minute))
			if n, rev := glance(); n != "2" || rev != 3*44950 {
				t.Errorf("after backdating: %s orders, %d paise; want 2, %d", n, rev, 3*44950)
			}
		})
	}
}

func TestConsoleTodayTimeZone(t *testing.T) {
	// A zone where it is another date than in India for part of every day:
	// an order placed now counts as today in any zone, one backdated to
	// just before that zone's midnight does not.
	for _, zone := range []string{"UTC", "America/Los_Angeles"} {
		t.Run(zone, func(t *testing.T) {
			loc, err := time.LoadLocation(zone)
			if err != nil {
				t.Fatal(err)
			}
			now := time.Now().In(loc)
			midnight := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, loc)
			if now.Sub(midnight) < 3*time.Minute {
				t.Skip("too close to midnight")
			}
			a := startApp(t, "sqlite", map[string]string{"DUKAAN_TIMEZONE": zone})
			v := a.signup(t, "zone-shop")
			p := v.addProduct(t, "Tea", "10", "10", 100, true)
			placeOrder(t, a, v, map[int64]int{p: 1}, "", "")
			old := placeOrder(t, a, v, map[int64]int{p: 2}, "", "")
			backdate(t, a, old, midnight.Add(-time.Minute))
			r := v.c.get(t, adminHost, "/orders")
			wantStatus(t, r, http.StatusOK)
			if got := text(r.doc.Find(".glance-orders")); got != "1" {
				t.Errorf("today in %s: %s orders, want 1", zone, got)
			}
			if note := text(r.doc.Find(".glance-note")); !strings.Contains(note, zone) {
				t.Errorf("note %q does not name %s", note, zone)
			}
			csvr := v.c.get(t, adminHost, "/orders.csv")
			recs := readCSV(t, csvr)
			if recs[0][1] != "Placed ("+zone+")" {
				t.Errorf("date header %q", recs[0][1])
			}
			if want := midnight.Add(-time.Minute).Format("2006-01-02 15:04:05"); recs[1][1] != want {
				t.Errorf("backdated order placed %q, want %q in %s", recs[1][1], want, zone)
			}
		})
	}
}

func TestConsoleTimeZoneConfig(t *testing.T) {
	for value, ok := range map[string]bool{"Asia/Kolkata": true, "UTC": true, "Europe/London": true, "Mars/Phobos": false, "": false, "Local": false} {
		c, err := LoadConfig(map[string]string{"DUKAAN_TIMEZONE": value})
		if err != nil {
			t.Fatal(err)
		}
		if value == "" {
			c.TimeZone = "" // an explicitly empty variable
		}
		err = c.Validate()
		if got := err == nil || !strings.Contains(err.Error(), "DUKAAN_TIMEZONE"); got != ok {
			t.Errorf("DUKAAN_TIMEZONE=%q: Validate() = %v", value, err)
		}
	}
	c, err := LoadConfig(map[string]string{})
	if err != nil {
		t.Fatal(err)
	}
	if loc, err := c.Location(); err != nil || loc.String() != "Asia/Kolkata" {
		t.Errorf("default zone = %v, %v; want Asia/Kolkata", loc, err)
	}
}

var svgPathRun = regexp.MustCompile(`M(\d+) (\d+)h(\d+)v1h-\d+z`)

func TestConsoleQR(t *testing.T) {
	for _, d := range dialects {
		t.Run(d, func(t *testing.T) {
			a := startApp(t, d, nil)
			v := a.signup(t, "qr-shop")
			shopURL := "http://" + shopHost("qr-shop") + ":" + a.port + "/"
			q, err := qrcode.New(shopURL, qrcode.Medium)
			if err != nil {
				t.Fatal(err)
			}
			want := q.Bitmap()
			n := len(want)

			// The share card links both.
			page := v.c.get(t, adminHost, "/products")
			wantStatus(t, page, http.StatusOK)
			card := page.doc.Find("section.share-card")
			if alt, _ := card.Find(`img[src="/qr.svg"]`).Attr("alt"); alt != "QR code for your shop link "+shopHost("qr-shop")+":"+a.port {
				t.Errorf("QR img alt = %q", alt)
			}
			if got, _ := card.Find(`button[type="button"][data-copy]`).Attr("data-copy"); got != shopURL {
				t.Errorf("copy button copies %q, want %q", got, shopURL)
			}
			if card.Find(`a[href="/qr.png?download=1"]`).Length() != 1 {
				t.Errorf("no QR download link on the share card")
			}

			svg := v.c.get(t, adminHost, "/qr.svg")
			wantStatus(t, svg, http.StatusOK)
			wantHeader(t, svg, "Content-Type", "image/svg+xml")
			wantHeader(t, svg, "Cache-Control", "private, max-age=300")
			if !bytes.Contains(svg.body, []byte(fmt.Sprintf(`viewBox="0 0 %d %d"`, n, n))) {
				t.Errorf("SVG viewBox is not %d square: %.200s", n, svg.body)
			}
			got := make([][]bool, n)
			for i := range got {
				got[i] = make([]bool, n)
			}
			for _, m := range svgPathRun.FindAllSubmatch(svg.body, -1) {
				x, _ := strconv.Atoi(string(m[1]))
				y, _ := strconv.Atoi(string(m[2]))
				w, _ := strconv.Atoi(string(m[3]))
				for i := x; i < x+w && y < n && i < n; i++ {
					got[y][i] = true
				}
			}
			for y := range want {
				if !slices.Equal(got[y], want[y]) {
					t.Fatalf("SVG row %d is not the QR code of %s", y, shopURL)
				}
			}

			pr := v.c.get(t, adminHost, "/qr.png?download=1")
			wantStatus(t, pr, http.StatusOK)
			wantHeader(t, pr, "Content-Type", "image/png")
			wantHeader(t, pr, "Cache-Control", "private, max-age=300")
			wantHeader(t, pr, "Content-Disposition", `attachment; filename="qr-shop-shop-qr.png"`)
			img, err := png.Decode(bytes.NewReader(pr.body))
			if err != nil {
				t.Fatalf("PNG: %v", err)
			}
			b := img.Bounds()
			if b.Dx() != b.Dy() || b.Dx()%n != 0 || b.Dx() < 800 {
				t.Fatalf("PNG is %dx%d, want a square of at least 800 px, a whole number of pixels per module (%d)", b.Dx(), b.Dy(), n)
			}
			k := b.Dx() / n
			for y := range n {
				for x := range n {
					r, _, _, _ := img.At(x*k+k/2, y*k+k/2).RGBA()
					if dark := r < 0x8000; dark != want[y][x] {
						t.Fatalf("PNG module (%d,%d) dark=%v, want %v", x, y, dark, want[y][x])
					}
				}
			}

			anon := a.newClient()
			for _, p := range []string{"/qr.svg", "/qr.png"} {
				wantRedirect(t, anon.get(t, adminHost, p), "/login")
			}
			// A shop host has no such route.
			if r := anon.get(t, shopHost("qr-shop"), "/qr.svg"); r.status != http.StatusNotFound {
				t.Errorf("shop host /qr.svg: %d, want 404", r.status)
			}
		})
	}
}
