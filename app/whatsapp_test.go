package app

import (
	"net/url"
	"strings"
	"testing"
)

func TestWhatsAppNumber(t *testing.T) {
	for in, want := range map[string]string{
		"+919876543210":    "919876543210",
		"98765 43210":      "919876543210",
		"098765-43210":     "919876543210",
		"+91 98765 43210":  "919876543210",
		"12345":            "",
		"5876543210":       "", // not a mobile number
		"+44 20 7946 0958": "",
		"":                 "",
	} {
		got, ok := WhatsAppNumber(in)
		if got != want || ok != (want != "") {
			t.Errorf("WhatsAppNumber(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
}

func TestWhatsAppLink(t *testing.T) {
	text := "Namaste Asha, order #7 & more: 50% off? A+B"
	link := WhatsAppLink("919876543210", text)
	if !strings.HasPrefix(link, "https://wa.me/919876543210?text=") {
		t.Fatalf("link %q", link)
	}
	if strings.ContainsAny(strings.TrimPrefix(link, "https://wa.me/919876543210?text="), " +&#?") {
		t.Errorf("link %q has an unescaped space, plus, ampersand, hash or question mark", link)
	}
	u, err := url.Parse(link)
	if err != nil {
		t.Fatal(err)
	}
	if got := u.Query().Get("text"); got != text {
		t.Errorf("text round-trips as %q, want %q", got, text)
	}
}

func TestWhatsAppText(t *testing.T) {
	o := &Order{ID: 99, Customer: Customer{Name: "Asha  Rao", Phone: "+919876543210"}, Total: 45000}
	o.Number = 7
	cases := map[OrderStatus][]string{
		StatusConfirmed: {"Namaste Asha Rao", "order #7 from Sharma Sweets", "is confirmed", "₹450"},
		StatusShipped:   {"order #7 from Sharma Sweets", "has been shipped", "Tracking: DTDC 123"},
		StatusDelivered: {"order #7 from Sharma Sweets", "has been delivered"},
		StatusCancelled: {"order #7 from Sharma Sweets", "has been cancelled"},
	}
	for step, wants := range cases {
		got := WhatsAppText("Sharma Sweets", o, step, "  DTDC\n123 ")
		for _, w := range wants {
			if !strings.Contains(got, w) {
				t.Errorf("%s: %q lacks %q", step, got, w)
			}
		}
		if step != StatusShipped && strings.Contains(got, "DTDC") {
			t.Errorf("%s: the tracking note is in %q", step, got)
		}
	}
	if got := WhatsAppText("S", o, StatusShipped, ""); strings.Contains(got, "Tracking") {
		t.Errorf("no note: %q", got)
	}
	long := strings.Repeat("é", MaxTrackingNoteLen+50)
	if got := CleanTrackingNote(long); len([]rune(got)) != MaxTrackingNoteLen {
		t.Errorf("note kept %d characters", len([]rune(got)))
	}
	o.Number = 0
	if got := WhatsAppText("S", o, StatusDelivered, ""); !strings.Contains(got, "#99") {
		t.Errorf("unnumbered order: %q", got)
	}
}

func TestCustomerWhatsApp(t *testing.T) {
	o := &Order{ID: 1, Customer: Customer{Name: "Asha", Phone: "+919876543210"}}
	msgs, reason := CustomerWhatsApp("Shop", o, "")
	if reason != "" || len(msgs) != 4 {
		t.Fatalf("got %d messages, reason %q", len(msgs), reason)
	}
	for i, m := range msgs {
		if m.Step != WhatsAppSteps[i] || m.Link != WhatsAppLink("919876543210", m.Text) {
			t.Errorf("message %d = %+v", i, m)
		}
	}
	o.Customer.Phone = "12345"
	if msgs, reason := CustomerWhatsApp("Shop", o, ""); msgs != nil || reason == "" {
		t.Errorf("bad phone: %d messages, reason %q", len(msgs), reason)
	}
}
