package app

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func TestWebhookMoney(t *testing.T) {
	for p, want := range map[Paise]string{0: "0.00", 5: "0.05", 12950: "129.50", 100: "1.00", 1_00_00_000_00: "10000000.00", -250: "-2.50"} {
		if got := Money(p); got.Rupees != want || got.Paise != int64(p) {
			t.Errorf("Money(%d) = %+v, want rupees %q", p, got, want)
		}
	}
}

func TestWebhookInputValidate(t *testing.T) {
	for _, tt := range []struct {
		url    string
		events []NoticeKind
		want   []string
	}{
		{"https://hooks.example.com/x", []NoticeKind{NoticeOrderCreated}, nil},
		{"http://10.0.0.1:8080/x", []NoticeKind{NoticeProductLowStock}, nil}, // the address policy is the client's
		{"", []NoticeKind{NoticeOrderCreated}, []string{"url"}},
		{"hooks.example.com/x", []NoticeKind{NoticeOrderCreated}, []string{"url"}},
		{"ftp://hooks.example.com/x", []NoticeKind{NoticeOrderCreated}, []string{"url"}},
		{"https://user:pw@hooks.example.com/x", []NoticeKind{NoticeOrderCreated}, []string{"url"}},
		{"https://hooks.example.com/x#frag", []NoticeKind{NoticeOrderCreated}, []string{"url"}},
		{"https://" + strings.Repeat("a", MaxWebhookURLLen) + ".com", []NoticeKind{NoticeOrderCreated}, []string{"url"}},
		{"https://hooks.example.com/x", nil, []string{"events"}},
		{"https://hooks.example.com/x", []NoticeKind{"order.deleted", NoticeOrderCreated}, []string{"events"}},
	} {
		in := WebhookInput{URL: tt.url, Events: tt.events}
		got := in.Validate()
		if len(got) != len(tt.want) {
			t.Errorf("%q %v: %v, want errors on %v", tt.url, tt.events, got, tt.want)
			continue
		}
		for _, k := range tt.want {
			if got[k] == "" {
				t.Errorf("%q %v: no message on %s (%v)", tt.url, tt.events, k, got)
			}
		}
	}
	in := WebhookInput{URL: " https://x.example/h ", Events: []NoticeKind{NoticeProductUpdated, NoticeOrderCreated, NoticeProductUpdated}}
	if len(in.Validate()) != 0 || in.URL != "https://x.example/h" || len(in.Events) != 2 || in.Events[0] != NoticeOrderCreated {
		t.Errorf("normalised to %+v", in)
	}
}

func TestNewWebhookBody(t *testing.T) {
	at := time.Date(2026, 12, 6, 21, 0, 0, 0, time.FixedZone("IST", 19800))
	o := &Order{ID: 7, Status: StatusPending, Total: 25900, Customer: Customer{Name: "Asha", Phone: "+919876543210"},
		Items:         []OrderItem{{ProductID: 3, Name: "Chai", MRP: 15000, Price: 12950, Qty: 2}, {ProductID: 5, Name: "Tea", MRP: 100, Price: 100, Qty: 1, VariantID: 8, VariantLabel: "250 g"}},
		OrderCheckout: OrderCheckout{Number: 4, Totals: Totals{Subtotal: 25900, Total: 25900}, PaymentMode: PaymentCOD, PaymentStatus: PaymentUnpaid},
		CreatedAt:     at, UpdatedAt: at}
	b := NewWebhookBody("evt_1", Notice{Kind: NoticeOrderCreated, At: at, Order: o}, WebhookStore{Slug: "chai", Name: "Chai"})
	raw, err := json.Marshal(b)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	_ = json.Unmarshal(raw, &m)
	if m["created_at"] != "2026-12-06T15:30:00Z" || m["type"] != "order.created" || m["id"] != "evt_1" {
		t.Errorf("envelope %s", raw)
	}
	data := m["data"].(map[string]any)
	if _, ok := data["product"]; ok {
		t.Errorf("an order event carries a product: %s", raw)
	}
	order := data["order"].(map[string]any)
	item := order["items"].([]any)[0].(map[string]any)
	if _, ok := item["variant_id"]; ok {
		t.Errorf("a line without a variant carries variant fields: %s", raw)
	}
	if vi := order["items"].([]any)[1].(map[string]any); vi["variant_id"] != 8.0 || vi["variant_label"] != "250 g" {
		t.Errorf("variant line %v", vi)
	}
	if order["number"] != 4.0 || item["line_total"].(map[string]any)["rupees"] != "259.00" || order["customer"].(map[string]any)["phone"] != "+919876543210" {
		t.Errorf("order %s", raw)
	}
	p := NewWebhookBody("evt_2", Notice{Kind: NoticeProductLowStock, At: at, Product: &Product{ID: 3, Name: "Chai", Price: 12950, MRP: 15000, Stock: 2, Available: true}}, WebhookStore{Slug: "chai"})
	if p.Data.Order != nil || p.Data.Product == nil || p.Data.Product.Stock != 2 || p.Type != "product.low_stock" {
		t.Errorf("product body %+v", p)
	}
}
