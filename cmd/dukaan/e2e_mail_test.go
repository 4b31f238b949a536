package main

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"dukaan/internal/testsvc"
)

// mailEnv points the app at an SMTP server of the tests.
func mailEnv(s *testsvc.SMTPServer) map[string]string {
	return map[string]string{"DUKAAN_SMTP_URL": s.URL(), "DUKAAN_MAIL_FROM": "Dukaan <orders@dukaan.test>"}
}

var (
	messageIDRE = regexp.MustCompile(`^order-created\.\d+\.[a-z0-9]{16}@dukaan$`)
	subjectRE   = regexp.MustCompile(`^Order #(\d+) — `)
)

// setOrderEmails posts the settings form as the browser shows it, with the
// order-email box ticked or not.
func (v *vendor) setOrderEmails(tb testing.TB, on bool) {
	tb.Helper()
	r := v.c.get(tb, adminHost, "/settings")
	f := formValues(r.doc, "/settings")
	if f.Get("order_emails_shown") == "" {
		tb.Fatalf("the settings form has no order_emails_shown marker: %v", f)
	}
	if on {
		f.Set("order_emails", "on")
	} else {
		f.Del("order_emails")
	}
	wantRedirect(tb, v.c.submit(tb, "/settings", "/settings", f), "/settings")
	if got := v.orderEmailsBox(tb); got != on {
		tb.Fatalf("after saving order emails %v, the box shows %v", on, got)
	}
}

// orderEmailsBox is whether the settings page ticks the order-email box.
func (v *vendor) orderEmailsBox(tb testing.TB) bool {
	tb.Helper()
	r := v.c.get(tb, adminHost, "/settings")
	box := r.doc.Find(`input[type=checkbox][name=order_emails]`)
	if box.Length() != 1 {
		tb.Fatalf("settings page: %d order_emails boxes", box.Length())
	}
	_, on := box.Attr("checked")
	return on
}

// TestOrderEmail: a new order is mailed to the vendor within seconds, over
// real SMTP, with everything the vendor needs; the settings switch stops
// it, and a settings POST without the switch keeps it as it is.
func TestOrderEmail(t *testing.T) {
	smtp := testsvc.SharedSMTP(t)
	for _, dialect := range dialects {
		t.Run(dialect, func(t *testing.T) {
			a := startApp(t, dialect, mailEnv(smtp))
			v := a.signup(t, "mail-"+dialect)
			chai := v.addProduct(t, "Masala <b>chai</b>", "250", "199.50", 20, true)
			ghee := v.addProduct(t, "Desi ghee 500 ml", "650", "600", 20, true)
			if !v.orderEmailsBox(t) {
				t.Fatal("a new shop's order emails are off; want on")
			}

			customer := a.newClient()
			form := orderForm(map[int64]int{chai: 2, ghee: 1})
			form.Set("name", "Asha <script>x</script> Rao")
			start := time.Now()
			r := customer.postForm(t, v.shop(), "/order", form)
			wantStatus(t, r, http.StatusSeeOther)
			ms := smtp.WaitMails(t, v.email, 10*time.Second, func(ms []testsvc.Mail) bool { return len(ms) >= 1 })
			t.Logf("order email arrived %s after the order was posted", time.Since(start).Round(time.Millisecond))
			m := ms[0]
			ids := v.orderIDs(t, "")
			if len(ids) != 1 {
				t.Fatalf("console lists orders %v, want one", ids)
			}
			if want := "Order #1 — ₹999 — Asha <script>x</script> Rao"; m.Subject != want {
				t.Errorf("subject = %q, want %q", m.Subject, want)
			}
			if !messageIDRE.MatchString(m.MessageID) {
				t.Errorf("Message-ID = %q, want order-created.<id>.<random>@dukaan", m.MessageID)
			}
			if m.From != "orders@dukaan.test" {
				t.Errorf("envelope from %q", m.From)
			}
			link := fmt.Sprintf("http://%s:%s/orders/%d", adminHost, a.port, ids[0])
			for _, want := range []string{"New order #1", "mail-" + dialect, "2 × Masala <b>chai</b>", "₹199.50", "₹399",
				"1 × Desi ghee 500 ml", "₹600", "Total: ₹999", "Cash on delivery", "Asha <script>x</script> Rao",
				"+919876543210", "12 MG Road, Indiranagar, Bengaluru 560038", link} {
				if !strings.Contains(m.Text, want) {
					t.Errorf("text part lacks %q:\n%s", want, m.Text)
				}
			}
			doc, err := goquery.NewDocumentFromReader(strings.NewReader(m.HTML))
			if err != nil {
				t.Fatal(err)
			}
			if n := doc.Find("script").Length(); n != 0 {
				t.Errorf("html part has %d <script> elements: the customer's name is not escaped", n)
			}
			var lines []string
			doc.Find("tr.line").Each(func(_ int, s *goquery.Selection) {
				var cells []string
				s.Find("td").Each(func(_ int, td *goquery.Selection) { cells = append(cells, text(td)) })
				lines = append(lines, strings.Join(cells, " "))
			})
			if want := []string{"Masala <b>chai</b> 2 ₹199.50 ₹399", "Desi ghee 500 ml 1 ₹600 ₹600"}; !slices.Equal(lines, want) {
				t.Errorf("html lines = %q, want %q", lines, want)
			}
			if got := text(doc.Find(".total")); got != "₹999" {
				t.Errorf("html total = %q", got)
			}
			if got := text(doc.Find(".customer")); !strings.Contains(got, "Asha <script>x</script> Rao") || !strings.Contains(got, "Bengaluru 560038") {
				t.Errorf("html customer = %q", got)
			}
			if doc.Find(fmt.Sprintf(`a[href=%q]`, link)).Length() != 1 {
				t.Errorf("html part has no link to %s", link)
			}

			// Off: no mail. A POST of the older fields (no marker) keeps it
			// off; then on again, and the next order is mailed.
			v.setOrderEmails(t, false)
			old := url.Values{"name": {"mail-" + dialect}, "description": {"still here"}, "whatsapp": {""}}
			wantRedirect(t, v.c.submit(t, "/settings", "/settings", old), "/settings")
			if v.orderEmailsBox(t) {
				t.Fatal("a settings POST without order_emails_shown switched order emails on")
			}
			wantStatus(t, customer.postForm(t, v.shop(), "/order", orderForm(map[int64]int{chai: 1})), http.StatusSeeOther)
			v.setOrderEmails(t, true)
			wantRedirect(t, v.c.submit(t, "/settings", "/settings", old), "/settings")
			if !v.orderEmailsBox(t) {
				t.Fatal("a settings POST without order_emails_shown switched order emails off")
			}
			wantStatus(t, customer.postForm(t, v.shop(), "/order", orderForm(map[int64]int{ghee: 1})), http.StatusSeeOther)
			ms = smtp.WaitMails(t, v.email, 10*time.Second, func(ms []testsvc.Mail) bool { return len(ms) >= 2 })
			time.Sleep(500 * time.Millisecond) // a mail of order #2 would have come by now
			ms = smtp.MailsTo(v.email)
			var subjects []string
			for _, m := range ms {
				subjects = append(subjects, m.Subject)
			}
			if len(ms) != 2 || !strings.HasPrefix(ms[1].Subject, "Order #3 — ₹600 — ") {
				t.Errorf("subjects = %q, want orders #1 and #3 (order #2 was placed with emails off)", subjects)
			}
		})
	}
}

// TestLowStockEmail: one alert per crossing of the threshold, however
// many orders follow below it; a restock re-arms it.
func TestLowStockEmail(t *testing.T) {
	smtp := testsvc.SharedSMTP(t)
	for _, dialect := range dialects {
		t.Run(dialect, func(t *testing.T) {
			a := startApp(t, dialect, mailEnv(smtp))
			v := a.signup(t, "low-"+dialect)
			v.setOrderEmails(t, false) // only the alerts go to this inbox
			tea := v.addProduct(t, "Tulsi tea", "100", "90", 6, true)
			if got := v.productForm(t, tea).Get("low_stock_at"); got != "3" {
				t.Fatalf("new product's low_stock_at = %q, want 3", got)
			}
			customer := a.newClient()
			alerts := func() []testsvc.Mail { return smtp.MailsTo(v.email) }
			buy := func(n int) { order(t, customer, v.store, map[int64]int{tea: n}) }

			buy(2) // 6 → 4: above
			buy(1) // 4 → 3: crosses
			got := smtp.WaitMails(t, v.email, 10*time.Second, func(ms []testsvc.Mail) bool { return len(ms) >= 1 })
			if got[0].Subject != "Low stock: Tulsi tea — 3 left" && got[0].Subject != "Low stock: Tulsi tea — 2 left" {
				t.Errorf("subject = %q", got[0].Subject)
			}
			link := fmt.Sprintf("http://%s:%s/products/%d/edit", adminHost, a.port, tea)
			if !strings.Contains(got[0].Text, link) || !strings.Contains(got[0].HTML, link) || !strings.Contains(got[0].Text, "Alert at: 3 or fewer") {
				t.Errorf("alert lacks the threshold or the link %s:\n%s", link, got[0].Text)
			}
			buy(1) // 3 → 2: already below
			buy(2) // 2 → 0: already below
			// Restock above the threshold, then cross again.
			f := v.productForm(t, tea)
			f.Set("stock", "10")
			wantRedirect(t, v.c.submit(t, fmt.Sprintf("/products/%d/edit", tea), fmt.Sprintf("/products/%d/edit", tea), f), "/products")
			buy(7) // 10 → 3: crosses
			got = smtp.WaitMails(t, v.email, 10*time.Second, func(ms []testsvc.Mail) bool { return len(ms) >= 2 })
			time.Sleep(time.Second) // an alert of the orders below would have come by now
			if n := len(alerts()); n != 2 {
				t.Errorf("%d low-stock mails, want 2 (one per crossing)", n)
			}
			if got[0].MessageID == got[1].MessageID {
				t.Errorf("both alerts carry Message-ID %s", got[0].MessageID)
			}

			// The threshold is the vendor's: 0 turns the alert off, and a
			// value out of range is refused with the typed value kept.
			f = v.productForm(t, tea)
			f.Set("low_stock_at", "100001")
			r := v.c.submit(t, fmt.Sprintf("/products/%d/edit", tea), fmt.Sprintf("/products/%d/edit", tea), f)
			wantStatus(t, r, http.StatusUnprocessableEntity)
			if fieldError(r.doc, "low_stock_at") == "" {
				t.Error("low_stock_at=100001: no field error")
			}
			if got, _ := inputValue(r.doc, "low_stock_at"); got != "100001" {
				t.Errorf("re-rendered low_stock_at = %q, want the typed 100001", got)
			}
			if got := v.productForm(t, tea).Get("low_stock_at"); got != "3" {
				t.Errorf("a refused form changed low_stock_at to %q", got)
			}
			f.Set("low_stock_at", "0")
			f.Set("stock", "10")
			wantRedirect(t, v.c.submit(t, fmt.Sprintf("/products/%d/edit", tea), fmt.Sprintf("/products/%d/edit", tea), f), "/products")
			buy(9) // 10 → 1, alert off
			time.Sleep(time.Second)
			if n := len(alerts()); n != 2 {
				t.Errorf("%d low-stock mails after an order with the alert off, want still 2", n)
			}
		})
	}
}

// TestOrderEmailSMTPOutage: the SMTP server is down for 30 s while 20
// orders come in. Every order is placed at once (the mail is a job in the
// order's transaction, not a call in its request), and every mail arrives
// after the server is back, each once.
func TestOrderEmailSMTPOutage(t *testing.T) {
	if testing.Short() {
		t.Skip("takes a minute")
	}
	// Mostly waiting (30 s down, then the mail job's backoff): beside the
	// other tests, and the two databases at once, each with its own server.
	t.Parallel()
	for _, dialect := range dialects {
		t.Run(dialect, func(t *testing.T) {
			t.Parallel()
			smtp := testsvc.StartSMTP(t)
			a := startApp(t, dialect, mailEnv(smtp))
			v := a.signup(t, "outage-"+dialect)
			p := v.addProduct(t, "Ghee", "500", "450", 1000, true)

			smtp.Stop()
			down := time.Now()
			const orders = 20
			var (
				mu        sync.Mutex
				latencies []time.Duration
			)
			customer := a.newClient()
			for i := 0; i < orders; i++ {
				start := time.Now()
				order(t, customer, v.store, map[int64]int{p: 1})
				mu.Lock()
				latencies = append(latencies, time.Since(start))
				mu.Unlock()
				time.Sleep(time.Until(down.Add(time.Duration(i+1) * 1200 * time.Millisecond)))
			}
			if n := len(smtp.MailsTo(v.email)); n != 0 {
				t.Fatalf("%d mails while the server was down", n)
			}
			time.Sleep(time.Until(down.Add(30 * time.Second)))
			smtp.Start(t)
			back := time.Now()
			ms := smtp.WaitMails(t, v.email, 3*time.Minute, func(ms []testsvc.Mail) bool { return len(ms) >= orders })
			last := ms[len(ms)-1].At.Sub(back)
			time.Sleep(3 * time.Second) // a repeat would come in this while
			ms = smtp.MailsTo(v.email)

			sort.Slice(latencies, func(i, j int) bool { return latencies[i] < latencies[j] })
			t.Logf("%s: SMTP down %s; %d orders placed, latency median %s, max %s; after the server returned the first mail came in %s, the last in %s",
				dialect, back.Sub(down).Round(time.Millisecond), orders, latencies[orders/2].Round(time.Millisecond),
				latencies[orders-1].Round(time.Millisecond), ms[0].At.Sub(back).Round(time.Millisecond), last.Round(time.Millisecond))
			if latencies[orders-1] > 2*time.Second {
				t.Errorf("slowest order took %s while SMTP was down; the mail must not be in the order's way", latencies[orders-1])
			}
			byID, byNumber := map[string]int{}, map[string]int{}
			for _, m := range ms {
				byID[m.MessageID]++
				if sm := subjectRE.FindStringSubmatch(m.Subject); sm != nil {
					byNumber[sm[1]]++
				}
			}
			if len(ms) != orders || len(byID) != orders || len(byNumber) != orders {
				t.Errorf("%d mails, %d Message-IDs, %d order numbers; want %d of each, none twice", len(ms), len(byID), len(byNumber), orders)
			}
			for n := 1; n <= orders; n++ {
				if byNumber[fmt.Sprint(n)] != 1 {
					t.Errorf("order #%d mailed %d times", n, byNumber[fmt.Sprint(n)])
				}
			}
		})
	}
}

// TestEmailNotSetUpNotice: without an SMTP server (mail goes to the log)
// the settings page says that no email is sent; with one it does not.
func TestEmailNotSetUpNotice(t *testing.T) {
	for name, env := range map[string]map[string]string{
		"no smtp":  nil,
		"mail off": {"DUKAAN_MAIL": "off", "DUKAAN_SMTP_URL": testsvc.SharedSMTP(t).URL(), "DUKAAN_MAIL_FROM": "orders@dukaan.test"},
		"smtp":     mailEnv(testsvc.SharedSMTP(t)),
	} {
		t.Run(name, func(t *testing.T) {
			a := startApp(t, "sqlite", env)
			v := a.signup(t, "notice-"+strings.ReplaceAll(name, " ", "-"))
			r := v.c.get(t, adminHost, "/settings")
			wantStatus(t, r, http.StatusOK)
			shown := r.doc.Find("#email-not-set-up").Length() == 1
			if want := name != "smtp"; shown != want {
				t.Errorf("notice shown = %v, want %v", shown, want)
			}
		})
	}
}
