package app

import (
	"strings"
	"testing"
)

func TestStoreSettingsValidate(t *testing.T) {
	tests := []struct {
		name       string
		in         StoreSettings
		wantFields []string
		wantWA     string
		wantName   string
	}{
		{"ok with number", StoreSettings{Name: "  Asha   Sweets ", WhatsApp: "098765 43210"}, nil, "+919876543210", "Asha Sweets"},
		{"ok without number", StoreSettings{Name: "Asha", WhatsApp: "  "}, nil, "", "Asha"},
		{"empty name", StoreSettings{Name: " \t"}, []string{"name"}, "", ""},
		{"bad number", StoreSettings{Name: "Asha", WhatsApp: "12345"}, []string{"whatsapp"}, "12345", "Asha"},
		{"long description", StoreSettings{Name: "Asha", Description: strings.Repeat("ब", 301)}, []string{"description"}, "", "Asha"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := tt.in
			fields := in.Validate()
			var got []string
			for k := range fields {
				got = append(got, k)
			}
			if strings.Join(got, ",") != strings.Join(tt.wantFields, ",") {
				t.Errorf("fields %v, want %v", fields, tt.wantFields)
			}
			if in.WhatsApp != tt.wantWA || in.Name != tt.wantName {
				t.Errorf("normalised to %q/%q, want %q/%q", in.Name, in.WhatsApp, tt.wantName, tt.wantWA)
			}
		})
	}
	v := &Vendor{WhatsApp: "+919876543210"}
	if got := v.WhatsAppLink(); got != "https://wa.me/919876543210" {
		t.Errorf("WhatsAppLink = %q", got)
	}
	if got := (&Vendor{}).WhatsAppLink(); got != "" {
		t.Errorf("no number: WhatsAppLink = %q", got)
	}
}
