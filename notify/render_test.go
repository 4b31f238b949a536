package notify

import (
	"html"
	"log/slog"
	"regexp"
	"strings"
	"testing"

	"dukaan/app"
)

func testOrder() (*app.Vendor, *app.Order) {
	v := &app.Vendor{ID: 7, Name: "Chai Corner", Email: "owner@example.in"}
	o := &app.Order{
		ID: 42, VendorID: 7, Total: 123450,
		Customer: app.Customer{Name: `Asha <script>alert(1)</script>`, Phone: "+919876543210", Address: "12 MG Road\nBengaluru 560001"},
		Items: []app.OrderItem{
			{Name: "Masala chai 250g", Price: 49900, Qty: 2},
			{Name: "Ginger & honey", Price: 23650, Qty: 1, VariantID: 9, VariantLabel: "500 g"},
		},
	}
	o.Number = 17
	o.PaymentMode = app.PaymentUPI
	o.Totals = app.Totals{Subtotal: 123450, Delivery: 0, Total: 123450}
	return v, o
}

func TestRenderOrderCreated(t *testing.T) {
	v, o := testOrder()
	m, err := RenderOrderCreated(OrderCreated{Shop: v, Order: o, Console: "https://admin.shops.example.in/"})
	if err != nil {
		t.Fatal(err)
	}
	if want := "Order #17 — ₹1,234.50 — Asha <script>alert(1)</script>"; m.Subject != want {
		t.Errorf("subject = %q, want %q", m.Subject, want)
	}
	for name, part := range map[string]string{"text": m.Text, "html": visible(m.HTML)} {
		for _, want := range []string{"Chai Corner", "#17", "Masala chai 250g", "Ginger & honey — 500 g", "₹499", "₹998", "₹1,234.50", "+919876543210", "12 MG Road", "Bengaluru 560001", "UPI", "https://admin.shops.example.in/orders/42"} {
			if !strings.Contains(part, want) {
				t.Errorf("%s part lacks %q:\n%s", name, want, part)
			}
		}
	}
	if !strings.Contains(m.Text, "Asha <script>alert(1)</script>") {
		t.Errorf("text part should carry the name as typed:\n%s", m.Text)
	}
	if strings.Contains(m.HTML, "<script>") {
		t.Errorf("html part carries an unescaped <script>:\n%s", m.HTML)
	}
	if !strings.Contains(m.HTML, "Asha &lt;script&gt;alert(1)&lt;/script&gt;") {
		t.Errorf("html part lacks the escaped name:\n%s", m.HTML)
	}
	if !strings.Contains(m.HTML, "Ginger &amp; honey — 500 g") {
		t.Errorf("html part lacks the escaped product name")
	}
	if m.Headers["X-Dukaan-Template"] != "order_created" {
		t.Errorf("headers = %v", m.Headers)
	}
}

func TestOrderSubjectOneLine(t *testing.T) {
	_, o := testOrder()
	o.Customer.Name = "Asha\r\nBcc: evil@example.com"
	if got := OrderSubject(o); strings.ContainsAny(got, "\r\n") {
		t.Errorf("subject %q spans lines", got)
	}
}

func TestRenderOrderCreatedDiscountAndDelivery(t *testing.T) {
	v, o := testOrder()
	o.CouponCode = "DIWALI10"
	o.PaymentMode = app.PaymentCOD
	o.Totals = app.Totals{Subtotal: 123450, Discount: 12345, Delivery: 4000, Total: 115105}
	o.Total = 115105
	m, err := RenderOrderCreated(OrderCreated{Shop: v, Order: o, Console: "http://admin.localhost:8080"})
	if err != nil {
		t.Fatal(err)
	}
	for _, part := range []string{m.Text, visible(m.HTML)} {
		for _, want := range []string{"DIWALI10", "-₹123.45", "₹40", "₹1,151.05", "Cash on delivery", "http://admin.localhost:8080/orders/42"} {
			if !strings.Contains(part, want) {
				t.Errorf("part lacks %q:\n%s", want, part)
			}
		}
	}
}

func TestRenderLowStock(t *testing.T) {
	v := &app.Vendor{Name: "Chai Corner"}
	p := &app.Product{ID: 9, Name: "Tulsi <green> tea", Stock: 2, LowStockAt: 3}
	m, err := RenderLowStock(LowStock{Shop: v, Product: p, Console: "http://admin.localhost:8080"})
	if err != nil {
		t.Fatal(err)
	}
	if want := "Low stock: Tulsi <green> tea — 2 left"; m.Subject != want {
		t.Errorf("subject = %q, want %q", m.Subject, want)
	}
	for _, part := range []string{m.Text, visible(m.HTML)} {
		for _, want := range []string{"Stock left: ", "2", "3 or fewer", "http://admin.localhost:8080/products/9/edit", "Chai Corner"} {
			if !strings.Contains(part, want) {
				t.Errorf("part lacks %q:\n%s", want, part)
			}
		}
	}
	if strings.Contains(m.HTML, "<green>") || !strings.Contains(m.HTML, "Tulsi &lt;green&gt; tea") {
		t.Errorf("html not escaped:\n%s", m.HTML)
	}
	p.Stock = 0
	m, _ = RenderLowStock(LowStock{Shop: v, Product: p, Console: "x"})
	if m.Subject != "Sold out: Tulsi <green> tea" {
		t.Errorf("sold-out subject = %q", m.Subject)
	}
}

func TestRenderAccountLinks(t *testing.T) {
	link := "https://admin.example.in/reset/abc?x=1&y=2"
	for name, f := range map[string]func(AccountLink) (Message, error){
		"password_reset": RenderPasswordReset, "email_confirm": RenderEmailConfirm,
	} {
		t.Run(name, func(t *testing.T) {
			m, err := f(AccountLink{Shop: &app.Vendor{Name: "Chai Corner"}, Link: link})
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(m.Text, link) {
				t.Errorf("text lacks the link:\n%s", m.Text)
			}
			if !strings.Contains(m.HTML, `href="https://admin.example.in/reset/abc?x=1&amp;y=2"`) {
				t.Errorf("html lacks the link:\n%s", m.HTML)
			}
			for _, part := range []string{m.Text, visible(m.HTML)} {
				if !strings.Contains(part, "one hour") || !strings.Contains(part, "nothing happens") {
					t.Errorf("part does not say the link's lifetime and that ignoring it is safe:\n%s", part)
				}
			}
			if m.Subject == "" || m.Headers["X-Dukaan-Template"] != name {
				t.Errorf("subject %q headers %v", m.Subject, m.Headers)
			}
			if _, err := f(AccountLink{}); err == nil {
				t.Error("no link: want an error")
			}
		})
	}
}

func TestParseSMTPURL(t *testing.T) {
	for _, tc := range []struct {
		in       string
		ok       bool
		port     int
		implicit bool
		user     string
	}{
		{"smtp://mail.example.in", true, 587, false, ""},
		{"smtp://u:p%40ss@mail.example.in:2525", true, 2525, false, "u"},
		{"smtps://u:p@mail.example.in", true, 465, true, "u"},
		{"http://mail.example.in", false, 0, false, ""},
		{"smtp://:25", false, 0, false, ""},
		{"smtp://host:0", false, 0, false, ""},
		{"smtp://host:99999", false, 0, false, ""},
		{"smtp://host/path", false, 0, false, ""},
		{"mail.example.in:587", false, 0, false, ""},
	} {
		e, err := ParseSMTPURL(tc.in)
		if (err == nil) != tc.ok {
			t.Errorf("%q: err = %v, want ok=%v", tc.in, err, tc.ok)
			continue
		}
		if tc.ok && (e.Port != tc.port || e.Implicit != tc.implicit || e.User != tc.user) {
			t.Errorf("%q = %+v", tc.in, e)
		}
	}
	if _, err := ParseSMTPURL("smtp://u:secret@host:x"); err == nil || strings.Contains(err.Error(), "secret") {
		t.Errorf("error %v should exist and not carry the password", err)
	}
}

var tagRE = regexp.MustCompile(`<[^>]*>`)

// visible is what a reader of the HTML part sees (tags dropped, entities
// decoded) plus every link's target, so both parts are checked alike.
func visible(h string) string {
	var hrefs []string
	for _, m := range regexp.MustCompile(`href="([^"]*)"`).FindAllStringSubmatch(h, -1) {
		hrefs = append(hrefs, html.UnescapeString(m[1]))
	}
	return html.UnescapeString(tagRE.ReplaceAllString(h, "")) + "\n" + strings.Join(hrefs, "\n")
}

func TestLogMailer(t *testing.T) {
	var buf strings.Builder
	m := LogMailer{Log: slog.New(slog.NewTextHandler(&buf, nil))}
	msg := Message{To: "owner@example.in", Subject: "Order #3 — ₹10 — A", Text: "open http://admin.x/orders/3", MessageID: "order-created.3.x@dukaan",
		Headers: map[string]string{"X-Dukaan-Template": "order_created"}}
	if err := m.Send(t.Context(), msg); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"owner@example.in", "Order #3", "order-created.3.x@dukaan", "http://admin.x/orders/3", "order_created"} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("log lacks %q: %s", want, buf.String())
		}
	}
	if err := m.Send(t.Context(), Message{}); err == nil {
		t.Error("no recipient: want an error")
	}
}
