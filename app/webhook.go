package app

import (
	"context"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Webhooks: a shop's endpoint, the deliveries owed to it, and the JSON body
// of a delivery (its schema is documented in docs/http.md, "Webhooks").

// WebhookPing is the event type of the console's "Send test event".
const WebhookPing = "ping"

// MaxWebhookURLLen bounds the endpoint URL a vendor may save.
const MaxWebhookURLLen = 2000

// WebhookEndpoint is a shop's endpoint as the console shows it. It never
// carries the secret: HasSecret says whether one exists, and the raw value
// is shown only once, when it is generated (RotateWebhookSecret).
type WebhookEndpoint struct {
	VendorID  int64
	URL       string // "" when the shop has no endpoint
	Events    []NoticeKind
	HasSecret bool
	UpdatedAt time.Time
}

// Subscribed reports whether the endpoint wants events of kind k.
func (e *WebhookEndpoint) Subscribed(k NoticeKind) bool {
	if e == nil || e.URL == "" {
		return false
	}
	for _, s := range e.Events {
		if s == k {
			return true
		}
	}
	return false
}

// WebhookInput is the console's endpoint form.
type WebhookInput struct {
	URL    string
	Events []NoticeKind
}

// Validate checks the form's shape (the address policy — https only in
// production, no private addresses — is the webhook client's, checked
// where it is configured). Field keys: "url", "events".
func (in *WebhookInput) Validate() map[string]string {
	fields := map[string]string{}
	in.URL = strings.TrimSpace(in.URL)
	switch u, err := url.Parse(in.URL); {
	case in.URL == "":
		fields["url"] = "Enter the address of your endpoint, like https://example.com/dukaan."
	case len(in.URL) > MaxWebhookURLLen:
		fields["url"] = "That address is too long (at most 2000 characters)."
	case err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.Hostname() == "":
		fields["url"] = "Enter a full address starting with https://."
	case u.User != nil:
		fields["url"] = "Leave the user name and password out of the address; check the signature instead."
	case u.Fragment != "":
		fields["url"] = "Leave the #part out of the address."
	}
	seen := map[NoticeKind]bool{}
	for _, k := range in.Events {
		if !k.Valid() {
			fields["events"] = "Choose among the events listed."
			continue
		}
		seen[k] = true
	}
	// Once each, in the console's order, whatever order the form sent.
	in.Events = nil
	for _, k := range NoticeKinds {
		if seen[k] {
			in.Events = append(in.Events, k)
		}
	}
	if len(in.Events) == 0 && fields["events"] == "" {
		fields["events"] = "Choose at least one event."
	}
	return fields
}

// Valid reports whether k is one of NoticeKinds.
func (k NoticeKind) Valid() bool {
	for _, v := range NoticeKinds {
		if k == v {
			return true
		}
	}
	return false
}

// DeliveryState is where a webhook delivery is.
type DeliveryState string

const (
	DeliveryPending   DeliveryState = "pending"   // owed: the first try or a retry is waiting
	DeliveryDelivered DeliveryState = "delivered" // the endpoint answered 2xx
	DeliveryFailed    DeliveryState = "failed"    // retried for a day (or the endpoint is gone)
)

// WebhookDelivery is one event owed to the shop's endpoint, with its last
// attempt. DeliveryID is the X-Dukaan-Delivery header: the same on every
// retry and on a re-send, so a receiver can drop repeats.
type WebhookDelivery struct {
	ID          int64 // the console's handle (/webhooks/deliveries/{id}/resend)
	VendorID    int64
	DeliveryID  string
	EventID     string // the body's "id"
	Event       string // a NoticeKind or WebhookPing
	State       DeliveryState
	Attempts    int
	StatusCode  int           // of the last attempt; 0 when none answered
	Duration    time.Duration // of the last attempt
	LastError   string        // of the last attempt; "" after a 2xx
	CreatedAt   time.Time
	AttemptedAt time.Time // zero before the first attempt
}

// WebhookRequest is what one attempt sends: the body stored when the
// delivery was written (a snapshot at commit time, the same bytes on every
// retry) to the endpoint's URL, signed with its secret as of now.
type WebhookRequest struct {
	URL        string
	Secret     string
	DeliveryID string
	Event      string
	Body       []byte
}

// WebhookResult is one attempt's outcome.
type WebhookResult struct {
	StatusCode int // 0 when no response came (refused, timeout)
	Duration   time.Duration
	Err        error // nil only for a 2xx
}

// OK reports whether the endpoint took the delivery.
func (r WebhookResult) OK() bool { return r.Err == nil }

// WebhookService keeps a shop's endpoint and shows its deliveries.
//
// Errors: EINVALID with Fields ("url", "events") for a form to fix, and
// for a test or a secret asked of a shop without an endpoint; ENOTFOUND for
// a delivery that is not the vendor's (another vendor's id looks missing);
// ECONFLICT for a re-send of a delivery that has not failed; EUNAVAILABLE
// when the database is down.
type WebhookService interface {
	// WebhookEndpoint is the shop's endpoint; a zero one (URL "") when it
	// has none.
	WebhookEndpoint(ctx context.Context, vendorID int64) (*WebhookEndpoint, error)
	// SaveWebhook validates and saves the URL and events. A shop's first
	// save also generates the secret and returns it (the only time it is
	// shown); later saves keep the secret and return "".
	SaveWebhook(ctx context.Context, vendorID int64, in WebhookInput) (ep *WebhookEndpoint, newSecret string, err error)
	// RotateWebhookSecret replaces the secret and returns the new one.
	// Attempts from now on (retries included) are signed with it.
	RotateWebhookSecret(ctx context.Context, vendorID int64) (string, error)
	// SendWebhookTest owes a ping delivery through the same job path as
	// every event.
	SendWebhookTest(ctx context.Context, vendorID int64) (*WebhookDelivery, error)
	// WebhookDeliveries lists the newest deliveries first, at most limit.
	WebhookDeliveries(ctx context.Context, vendorID int64, limit int) ([]*WebhookDelivery, error)
	// ResendWebhook owes a failed delivery again: a new job, the same
	// delivery id and body, retried for another day.
	ResendWebhook(ctx context.Context, vendorID, id int64) (*WebhookDelivery, error)
}

// The JSON body of a delivery. Field names and types are a published
// contract (docs/http.md): add fields, never rename or retype them.
type WebhookBody struct {
	ID        string       `json:"id"`         // the event's id, "evt_…"
	Type      string       `json:"type"`       // a NoticeKind or "ping"
	CreatedAt string       `json:"created_at"` // RFC 3339, UTC: when the change committed
	Store     WebhookStore `json:"store"`
	Data      WebhookData  `json:"data"`
}

// WebhookStore names the shop the event is about.
type WebhookStore struct {
	Slug string `json:"slug"`
	Name string `json:"name"`
}

// WebhookData holds the object: an order for order.*, a product for
// product.*, a message for ping.
type WebhookData struct {
	Order   *WebhookOrder   `json:"order,omitempty"`
	Product *WebhookProduct `json:"product,omitempty"`
	Message string          `json:"message,omitempty"`
}

// WebhookMoney is an amount twice: integer paise (exact, for programs) and
// rupees with two decimals as a string ("1299.50", never a float).
type WebhookMoney struct {
	Paise  int64  `json:"paise"`
	Rupees string `json:"rupees"`
}

// Money is p in the webhook's form.
func Money(p Paise) WebhookMoney {
	abs, neg := p, ""
	if p < 0 {
		abs, neg = -p, "-"
	}
	return WebhookMoney{Paise: int64(p), Rupees: neg + strconv.FormatInt(int64(abs/100), 10) + "." + strconv.FormatInt(100+int64(abs%100), 10)[1:]}
}

// WebhookOrder is an order as the webhook sends it.
type WebhookOrder struct {
	ID            int64              `json:"id"`
	Number        int64              `json:"number"`
	Status        string             `json:"status"`
	PaymentMode   string             `json:"payment_mode"`
	PaymentStatus string             `json:"payment_status"`
	Customer      WebhookCustomer    `json:"customer"`
	Items         []WebhookOrderItem `json:"items"`
	Subtotal      WebhookMoney       `json:"subtotal"`
	Discount      WebhookMoney       `json:"discount"`
	DeliveryFee   WebhookMoney       `json:"delivery_fee"`
	Total         WebhookMoney       `json:"total"`
	CouponCode    string             `json:"coupon_code"`
	CreatedAt     string             `json:"created_at"`
	UpdatedAt     string             `json:"updated_at"`
}

// WebhookCustomer is who ordered.
type WebhookCustomer struct {
	Name    string `json:"name"`
	Phone   string `json:"phone"`
	Address string `json:"address"`
}

// WebhookOrderItem is one line, at the prices of the order.
type WebhookOrderItem struct {
	ProductID int64        `json:"product_id"`
	Name      string       `json:"name"`
	Qty       int64        `json:"qty"`
	Price     WebhookMoney `json:"price"`
	MRP       WebhookMoney `json:"mrp"`
	LineTotal WebhookMoney `json:"line_total"`
	// The variant bought; absent for a product without variants.
	VariantID    int64  `json:"variant_id,omitempty"`
	VariantLabel string `json:"variant_label,omitempty"`
}

// WebhookProduct is a product as the webhook sends it.
type WebhookProduct struct {
	ID        int64        `json:"id"`
	Name      string       `json:"name"`
	Price     WebhookMoney `json:"price"`
	MRP       WebhookMoney `json:"mrp"`
	Stock     int64        `json:"stock"`
	Available bool         `json:"available"`
	Archived  bool         `json:"archived"`
	UpdatedAt string       `json:"updated_at"`
}

func rfc3339(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// NewWebhookBody is the body of notice n for the shop, as event eventID.
func NewWebhookBody(eventID string, n Notice, store WebhookStore) WebhookBody {
	b := WebhookBody{ID: eventID, Type: string(n.Kind), CreatedAt: rfc3339(n.At), Store: store}
	if o := n.Order; o != nil {
		wo := &WebhookOrder{
			ID: o.ID, Number: o.Number, Status: string(o.Status),
			PaymentMode: string(o.PaymentMode), PaymentStatus: string(o.PaymentStatus),
			Customer: WebhookCustomer{Name: o.Customer.Name, Phone: o.Customer.Phone, Address: o.Customer.Address},
			Items:    make([]WebhookOrderItem, 0, len(o.Items)),
			Subtotal: Money(o.Totals.Subtotal), Discount: Money(o.Totals.Discount),
			DeliveryFee: Money(o.Totals.Delivery), Total: Money(o.Total),
			CouponCode: o.CouponCode, CreatedAt: rfc3339(o.CreatedAt), UpdatedAt: rfc3339(o.UpdatedAt),
		}
		for _, it := range o.Items {
			wo.Items = append(wo.Items, WebhookOrderItem{
				ProductID: it.ProductID, Name: it.Name, Qty: it.Qty,
				Price: Money(it.Price), MRP: Money(it.MRP), LineTotal: Money(it.LineTotal()),
				VariantID: it.VariantID, VariantLabel: it.VariantLabel,
			})
		}
		b.Data.Order = wo
	}
	if p := n.Product; p != nil {
		b.Data.Product = &WebhookProduct{
			ID: p.ID, Name: p.Name, Price: Money(p.Price), MRP: Money(p.MRP), Stock: p.Stock,
			Available: p.Available, Archived: p.Archived, UpdatedAt: rfc3339(p.UpdatedAt),
		}
	}
	return b
}
