package notify

import (
	"bytes"
	"embed"
	"fmt"
	htmltemplate "html/template"
	"strconv"
	"strings"
	texttemplate "text/template"

	"dukaan/app"
)

// The templates: <name>.txt (text/template) and <name>.html
// (html/template, which escapes what customers typed) per mail, and the
// subject built in Go, where the issue fixes its exact words.
//
//go:embed templates/*.txt templates/*.html
var files embed.FS

var funcs = map[string]any{
	"payment": paymentWords,
	"lines":   func(s string) []string { return strings.Split(strings.ReplaceAll(s, "\r\n", "\n"), "\n") },
}

var (
	textT = texttemplate.Must(texttemplate.New("").Funcs(funcs).ParseFS(files, "templates/*.txt"))
	htmlT = htmltemplate.Must(htmltemplate.New("").Funcs(funcs).ParseFS(files, "templates/*.html"))
)

// ConsoleBase is the console's absolute URL without a trailing slash, e.g.
// https://admin.shops.example.in (web's AdminURL, port included).
type ConsoleBase string

func (b ConsoleBase) link(path string) string { return strings.TrimSuffix(string(b), "/") + path }

// OrderCreated is what the new-order mail to the vendor shows.
type OrderCreated struct {
	Shop    *app.Vendor
	Order   *app.Order
	Console ConsoleBase
}

// OrderLink is the order's page in the console.
func (d OrderCreated) OrderLink() string {
	return d.Console.link("/orders/" + strconv.FormatInt(d.Order.ID, 10))
}

// OrderSubject is the new-order mail's subject: "Order #N — ₹total —
// customer" (the shop's number, the amount as the shop writes it).
func OrderSubject(o *app.Order) string {
	return fmt.Sprintf("Order #%d — %s — %s", o.Number, o.Total, oneLine(o.Customer.Name))
}

// RenderOrderCreated renders the new-order mail (To and MessageID are the
// caller's).
func RenderOrderCreated(d OrderCreated) (Message, error) {
	if d.Shop == nil || d.Order == nil {
		return Message{}, fmt.Errorf("notify: order mail needs the shop and the order")
	}
	return render("order_created", OrderSubject(d.Order), d)
}

// LowStock is what the low-stock alert shows.
type LowStock struct {
	Shop    *app.Vendor
	Product *app.Product
	Console ConsoleBase
}

// ProductLink is the product's edit page in the console (where stock is
// topped up).
func (d LowStock) ProductLink() string {
	return d.Console.link("/products/" + strconv.FormatInt(d.Product.ID, 10) + "/edit")
}

// RenderLowStock renders the low-stock alert.
func RenderLowStock(d LowStock) (Message, error) {
	if d.Shop == nil || d.Product == nil {
		return Message{}, fmt.Errorf("notify: low-stock mail needs the shop and the product")
	}
	subj := fmt.Sprintf("Low stock: %s — %d left", oneLine(d.Product.Name), d.Product.Stock)
	if d.Product.Stock <= 0 {
		subj = fmt.Sprintf("Sold out: %s", oneLine(d.Product.Name))
	}
	return render("low_stock", subj, d)
}

// AccountLink is what the password-reset and email-confirmation mails
// show: a one-time link, valid for an hour.
type AccountLink struct {
	Shop *app.Vendor // may be nil (the mail then names no shop)
	Link string
}

// RenderPasswordReset renders the password-reset mail.
func RenderPasswordReset(d AccountLink) (Message, error) {
	if d.Link == "" {
		return Message{}, fmt.Errorf("notify: password reset mail needs its link")
	}
	return render("password_reset", "Reset your Dukaan password", d)
}

// RenderEmailConfirm renders the mail that confirms a new login email.
func RenderEmailConfirm(d AccountLink) (Message, error) {
	if d.Link == "" {
		return Message{}, fmt.Errorf("notify: email confirmation mail needs its link")
	}
	return render("email_confirm", "Confirm your new Dukaan login email", d)
}

func render(name, subject string, data any) (Message, error) {
	var text, html bytes.Buffer
	if err := textT.ExecuteTemplate(&text, name+".txt", data); err != nil {
		return Message{}, fmt.Errorf("notify: render %s text: %w", name, err)
	}
	if err := htmlT.ExecuteTemplate(&html, name+".html", data); err != nil {
		return Message{}, fmt.Errorf("notify: render %s html: %w", name, err)
	}
	return Message{
		Subject: subject, Text: text.String(), HTML: html.String(),
		Headers: map[string]string{"X-Dukaan-Template": name},
	}, nil
}

// oneLine keeps a typed value from breaking a header onto a second line.
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

func paymentWords(m app.PaymentMode) string {
	switch m {
	case app.PaymentUPI:
		return "UPI (to your UPI ID; mark it paid when the money arrives)"
	case app.PaymentCOD:
		return "Cash on delivery"
	}
	return string(m)
}
