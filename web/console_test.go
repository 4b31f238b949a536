package web

import (
	"bytes"
	"encoding/csv"
	"encoding/xml"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/skip2/go-qrcode"

	"dukaan/app"
)

func TestRenderOrdersToday(t *testing.T) {
	r := newTestRenderer(t)
	o := testOrder()
	o.Items = nil

	t.Run("with orders", func(t *testing.T) {
		doc := renderDoc(t, r, "orders.html", ordersPage{
			Page: testAdminPage("Orders", "orders"), Orders: []*app.Order{o}, Status: app.StatusPending,
			Statuses: app.OrderStatuses, Pager: Pager{Page: 1, PerPage: 25, Total: 1},
			Today: app.OrderStats{Orders: 3, Cancelled: 1, Revenue: 123450}, TimeZone: "Asia/Kolkata",
		})
		glance := mustOne(t, doc.Selection, `section.glance`)
		wantText(t, mustOne(t, glance, "h2"), "Today")
		wantText(t, mustOne(t, glance, ".glance-orders"), "3")
		wantText(t, mustOne(t, glance, ".glance-revenue"), "₹1,234.50")
		if got := text(mustOne(t, glance, ".glance-note")); !strings.Contains(got, "1 cancelled order is counted in orders, not in revenue") || !strings.Contains(got, "Asia/Kolkata") {
			t.Errorf("note = %q", got)
		}
		// The download keeps the filter.
		dl := mustOne(t, doc.Selection, `a[href="/orders.csv?status=pending"]`)
		if got := text(dl); !strings.HasPrefix(got, "⬇ Download CSV") {
			t.Errorf("download link text = %q", got)
		}
		mustOne(t, doc.Selection, `script[src^="/static/admin.js?v="]`)
	})

	t.Run("all, none cancelled", func(t *testing.T) {
		doc := renderDoc(t, r, "orders.html", ordersPage{
			Page: testAdminPage("Orders", "orders"), Orders: []*app.Order{o},
			Statuses: app.OrderStatuses, Pager: Pager{Page: 1, PerPage: 25, Total: 1},
			Today: app.OrderStats{Orders: 1, Revenue: 50000}, TimeZone: "UTC",
		})
		mustOne(t, doc.Selection, `a[href="/orders.csv"]`)
		wantText(t, mustOne(t, doc.Selection, ".glance-revenue"), "₹500")
		if got := text(mustOne(t, doc.Selection, ".glance-note")); strings.Contains(got, "cancelled") {
			t.Errorf("note mentions cancelled orders when there are none: %q", got)
		}
	})

	t.Run("new vendor", func(t *testing.T) {
		doc := renderDoc(t, r, "orders.html", ordersPage{
			Page: testAdminPage("Orders", "orders"), Statuses: app.OrderStatuses, Pager: Pager{Page: 1, PerPage: 25},
			TimeZone: "Asia/Kolkata",
		})
		wantText(t, mustOne(t, doc.Selection, ".glance-orders"), "0")
		wantText(t, mustOne(t, doc.Selection, ".glance-revenue"), "₹0")
		wantText(t, mustOne(t, doc.Selection, ".empty h2"), "No orders yet")
		if got := doc.Find(`a[href^="/orders.csv"]`).Length(); got != 0 {
			t.Errorf("an empty list offers %d CSV downloads, want 0", got)
		}
	})
}

func TestRenderShareCard(t *testing.T) {
	r := newTestRenderer(t)
	doc := renderDoc(t, r, "products.html", productsPage{
		Page: testAdminPage("Products", "products"), Products: testProducts(), Pager: Pager{Page: 1, PerPage: 20, Total: 4},
	})
	card := mustOne(t, doc.Selection, "section.share-card")
	link := mustOne(t, card, "a.share-url")
	wantAttr(t, link, "href", testShopURL)
	id, _ := link.Attr("id")

	btn := mustOne(t, card, "button[data-copy]")
	wantAttr(t, btn, "type", "button")
	wantAttr(t, btn, "data-copy", testShopURL)
	wantAttr(t, btn, "data-copy-from", id)
	wantText(t, btn, "Copy link")
	if _, ok := btn.Attr("hidden"); !ok {
		t.Errorf("the copy button is not hidden until admin.js shows it")
	}
	statusID, _ := btn.Attr("data-copy-status")
	status := mustOne(t, card, `[id="`+statusID+`"]`)
	wantAttr(t, status, "role", "status")
	wantAttr(t, status, "aria-live", "polite")

	img := mustOne(t, card, `img[src="/qr.svg"]`)
	wantAttr(t, img, "alt", "QR code for your shop link sharma-sweets.dukaan.test")
	dl := mustOne(t, card, `a[href="/qr.png?download=1"]`)
	if _, ok := dl.Attr("download"); !ok {
		t.Errorf("QR download link has no download attribute")
	}
	mustOne(t, doc.Selection, `script[src^="/static/admin.js?v="]`)
	if got := doc.Find(`script[src^="/static/shop.js"]`).Length(); got != 0 {
		t.Errorf("console page loads shop.js %d times", got)
	}

	// A shop page never loads the console's script.
	shop := renderDoc(t, r, "shop.html", shopPage{Page: testShopPage(), Store: testVendor(), Products: testProducts(), Pager: Pager{Page: 1, PerPage: 24, Total: 4}})
	if got := shop.Find(`script[src^="/static/admin.js"]`).Length(); got != 0 {
		t.Errorf("shop page loads admin.js %d times", got)
	}
}

func TestAdminJSServed(t *testing.T) {
	r := newTestRenderer(t)
	url := r.assetURL("admin.js")
	if !strings.HasPrefix(url, "/static/admin.js?v=") {
		t.Fatalf("assetURL(admin.js) = %q, want a fingerprinted URL", url)
	}
	b, err := assets.ReadFile("static/admin.js")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"navigator.clipboard", "writeText", `"Copied"`, "execCommand(\"copy\")", "b.hidden = false"} {
		if !bytes.Contains(b, []byte(want)) {
			t.Errorf("admin.js lacks %s", want)
		}
	}
}

func TestSafeCell(t *testing.T) {
	for in, want := range map[string]string{
		"":                      "",
		"Asha Rao":              "Asha Rao",
		"=HYPERLINK(\"x\")":     "'=HYPERLINK(\"x\")",
		"+919876543210":         "'+919876543210",
		"-2+3":                  "'-2+3",
		"@SUM(A1)":              "'@SUM(A1)",
		"\t=1":                  "'\t=1",
		"\r=1":                  "'\r=1",
		"a=1":                   "a=1",
		" =1":                   " =1",
		"१२ MG Road, Bengaluru": "१२ MG Road, Bengaluru",
	} {
		if got := safeCell(in); got != want {
			t.Errorf("safeCell(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestPlainRupees(t *testing.T) {
	for p, want := range map[app.Paise]string{0: "0.00", 5: "0.05", 99: "0.99", 100: "1.00", 123450: "1234.50", 1_00_00_000_00: "10000000.00", -150: "-1.50"} {
		if got := plainRupees(p); got != want {
			t.Errorf("plainRupees(%d) = %q, want %q", p, got, want)
		}
	}
}

// TestCSVRoundTrip: rows written the way the export writes them read back
// with encoding/csv to the same fields, whatever the customer typed.
func TestCSVRoundTrip(t *testing.T) {
	ist := defaultLocation()
	o := testOrder()
	o.Customer.Name = "=cmd|' /C calc'!A0"
	o.Customer.Address = "Flat 4, \"Lotus\", Sector 21\nDwarka, New Delhi"
	o.CreatedAt = time.Date(2026, 3, 13, 18, 31, 0, 0, time.UTC) // 00:01 IST on the 14th
	o.Number, o.CouponCode, o.PaymentMode, o.PaymentStatus = 7, "DIWALI10", app.PaymentUPI, app.PaymentPaid
	o.Totals = app.Totals{Subtotal: 239850, Discount: 23985, Delivery: 4000, Total: 219865}
	o.Total = o.Totals.Total
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	if err := w.Write(csvHeader(ist)); err != nil {
		t.Fatal(err)
	}
	if err := w.Write(csvRow(o, ist)); err != nil {
		t.Fatal(err)
	}
	w.Flush()
	recs, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatalf("reading back: %v", err)
	}
	if len(recs) != 2 {
		t.Fatalf("%d records, want 2", len(recs))
	}
	want := []string{"42", "2026-03-14 00:01:00", "pending", "'=cmd|' /C calc'!A0", "'+919876543210",
		"Flat 4, \"Lotus\", Sector 21\nDwarka, New Delhi",
		"2 × Kaju Katli 500 g @ 449.00; 1 × Motichoor Laddoo 1 kg @ 299.00; 3 × " + testXSS + " @ 350.50",
		"6", "2198.65",
		// Checkout's columns, after the original nine.
		"7", "2398.50", "239.85", "DIWALI10", "40.00", "upi", "paid"}
	if !slices.Equal(recs[1], want) {
		t.Errorf("row\n got %q\nwant %q", recs[1], want)
	}
	wantHeader := []string{"Order", "Placed (Asia/Kolkata)", "Status", "Customer", "Phone", "Address", "Items", "Units", "Total (INR)",
		"Number", "Subtotal (INR)", "Discount (INR)", "Coupon", "Delivery (INR)", "Payment", "Payment status"}
	if !slices.Equal(recs[0], wantHeader) {
		t.Errorf("header\n got %q\nwant %q", recs[0], wantHeader)
	}
	if got := recs[0][1]; got != "Placed (Asia/Kolkata)" {
		t.Errorf("date header = %q", got)
	}
}

func TestDayBounds(t *testing.T) {
	ist := defaultLocation()
	if ist.String() != "Asia/Kolkata" {
		t.Fatalf("default location = %s", ist)
	}
	midnight := time.Date(2026, 3, 14, 0, 0, 0, 0, ist)
	for _, now := range []time.Time{midnight, midnight.Add(time.Minute), midnight.Add(24*time.Hour - time.Nanosecond), midnight.UTC().Add(12 * time.Hour)} {
		from, to := dayBounds(now, ist)
		if !from.Equal(midnight) || !to.Equal(midnight.Add(24*time.Hour)) {
			t.Errorf("dayBounds(%s) = [%s, %s), want the 14th IST", now, from, to)
		}
	}
	// 23:59 IST on the 13th is still the 13th, although it is the same UTC
	// date as 00:01 IST on the 14th.
	from, _ := dayBounds(midnight.Add(-time.Minute), ist)
	if !from.Equal(midnight.AddDate(0, 0, -1)) {
		t.Errorf("23:59 IST: day starts %s, want the 13th", from)
	}
	// A zone with daylight saving: the day of the change has 23 hours.
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Skip("no zone database:", err)
	}
	from, to := dayBounds(time.Date(2026, 3, 8, 12, 0, 0, 0, ny), ny)
	if got := to.Sub(from); got != 23*time.Hour {
		t.Errorf("DST day is %s long, want 23h", got)
	}
}

// TestQRSVG: the SVG's dark modules are exactly go-qrcode's bitmap of the
// URL, on a white square of the bitmap's size.
func TestQRSVG(t *testing.T) {
	const url = "https://sharma-sweets.dukaan.test/"
	q, err := qrcode.New(url, qrcode.Medium)
	if err != nil {
		t.Fatal(err)
	}
	want := q.Bitmap()
	b := qrSVG(want, `QR code for <sharma> & "sons"`)
	got, title := svgModules(t, b)
	if title != `QR code for <sharma> & "sons"` {
		t.Errorf("title = %q", title)
	}
	if len(got) != len(want) {
		t.Fatalf("SVG is %d modules square, want %d", len(got), len(want))
	}
	for y := range want {
		if !slices.Equal(got[y], want[y]) {
			t.Fatalf("row %d differs:\n got %v\nwant %v", y, got[y], want[y])
		}
	}
}

var svgRun = regexp.MustCompile(`^M(\d+) (\d+)h(\d+)v1h-(\d+)z`)

// svgModules parses an SVG made by qrSVG back into a module matrix.
func svgModules(tb testing.TB, b []byte) ([][]bool, string) {
	tb.Helper()
	var doc struct {
		XMLName xml.Name `xml:"svg"`
		ViewBox string   `xml:"viewBox,attr"`
		Title   string   `xml:"title"`
		Rect    struct {
			Width  string `xml:"width,attr"`
			Height string `xml:"height,attr"`
			Fill   string `xml:"fill,attr"`
		} `xml:"rect"`
		Path struct {
			D    string `xml:"d,attr"`
			Fill string `xml:"fill,attr"`
		} `xml:"path"`
	}
	if err := xml.Unmarshal(b, &doc); err != nil {
		tb.Fatalf("SVG does not parse: %v\n%s", err, b)
	}
	var x0, y0, n int
	if _, err := fmtSscan(doc.ViewBox, &x0, &y0, &n); err != nil || x0 != 0 || y0 != 0 || n < 21 {
		tb.Fatalf("viewBox = %q", doc.ViewBox)
	}
	if doc.Rect.Width != strconv.Itoa(n) || doc.Rect.Height != strconv.Itoa(n) || doc.Rect.Fill != "#fff" {
		tb.Errorf("background rect = %+v, want a white %d square", doc.Rect, n)
	}
	if doc.Path.Fill != "#000" {
		tb.Errorf("path fill = %q", doc.Path.Fill)
	}
	m := make([][]bool, n)
	for i := range m {
		m[i] = make([]bool, n)
	}
	d := doc.Path.D
	for d != "" {
		s := svgRun.FindStringSubmatch(d)
		if s == nil {
			tb.Fatalf("path data not understood at %q", d[:min(len(d), 40)])
		}
		x, _ := strconv.Atoi(s[1])
		y, _ := strconv.Atoi(s[2])
		w, _ := strconv.Atoi(s[3])
		back, _ := strconv.Atoi(s[4])
		if w != back || w < 1 || x+w > n || y >= n {
			tb.Fatalf("bad run %q in a %d square", s[0], n)
		}
		for i := x; i < x+w; i++ {
			if m[y][i] {
				tb.Fatalf("module (%d,%d) drawn twice", i, y)
			}
			m[y][i] = true
		}
		d = d[len(s[0]):]
	}
	return m, doc.Title
}

// fmtSscan reads the three numbers of "0 0 N".
func fmtSscan(s string, a, b, c *int) (int, error) {
	f := strings.Fields(s)
	if len(f) != 4 {
		return 0, strconv.ErrSyntax
	}
	var err error
	for i, p := range []*int{a, b, c} {
		if *p, err = strconv.Atoi(f[i]); err != nil {
			return i, err
		}
	}
	if f[2] != f[3] {
		return 3, strconv.ErrSyntax
	}
	return 3, nil
}

// text is the white-space-folded text of a selection.
func text(s interface{ Text() string }) string { return strings.Join(strings.Fields(s.Text()), " ") }
