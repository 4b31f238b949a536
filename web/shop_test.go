package web

import (
	"net/url"
	"testing"

	"dukaan/app"
)

func TestParseOrderForm(t *testing.T) {
	valid := func() url.Values {
		return url.Values{
			"name": {"Asha Rao"}, "phone": {"+91 98765 43210"}, "address": {"12 MG Road, Bengaluru 560001"},
			"order_key": {"0b6f7f4e-5a4b-4c1e-9a53-1b2c3d4e5f60"}, "from": {"/"},
		}
	}
	tests := []struct {
		name      string
		edit      func(v url.Values)
		wantLines []app.OrderLine
		wantErr   []string // fields with messages
		wantKey   bool
	}{
		{"two products", func(v url.Values) { v.Set("qty_7", "2"); v.Set("qty_3", "1"); v.Set("qty_9", "0"); v.Set("qty_11", "") },
			[]app.OrderLine{{ProductID: 3, Qty: 1}, {ProductID: 7, Qty: 2}}, nil, true},
		{"no quantity", func(v url.Values) {}, nil, []string{"items"}, true},
		{"all zero", func(v url.Values) { v.Set("qty_7", "0") }, nil, []string{"items"}, true},
		{"negative", func(v url.Values) { v.Set("qty_7", "-1") }, nil, []string{"qty_7"}, true},
		{"not a number", func(v url.Values) { v.Set("qty_7", "two") }, nil, []string{"qty_7"}, true},
		{"too many", func(v url.Values) { v.Set("qty_7", "101") }, nil, []string{"qty_7"}, true},
		{"bad id", func(v url.Values) { v.Set("qty_x", "1") }, nil, []string{"qty_x"}, true},
		{"padded id", func(v url.Values) { v.Set("qty_07", "1"); v.Set("qty_7", "1") },
			[]app.OrderLine{{ProductID: 7, Qty: 1}}, []string{"qty_07"}, true},
		{"bad phone", func(v url.Values) { v.Set("qty_7", "1"); v.Set("phone", "12345") },
			[]app.OrderLine{{ProductID: 7, Qty: 1}}, []string{"phone"}, true},
		{"missing customer", func(v url.Values) { v.Set("qty_7", "1"); v.Del("name"); v.Del("address") },
			[]app.OrderLine{{ProductID: 7, Qty: 1}}, []string{"name", "address"}, true},
		{"variants beside a product", func(v url.Values) {
			v.Set("qty_v12", "2")
			v.Set("qty_v5", "1")
			v.Set("qty_7", "1")
			v.Set("qty_v9", "0")
		},
			[]app.OrderLine{{VariantID: 5, Qty: 1}, {VariantID: 12, Qty: 2}, {ProductID: 7, Qty: 1}}, nil, true},
		{"padded variant id", func(v url.Values) { v.Set("qty_v012", "1"); v.Set("qty_v12", "1") },
			[]app.OrderLine{{VariantID: 12, Qty: 1}}, []string{"qty_v012"}, true},
		{"bad variant id", func(v url.Values) { v.Set("qty_v", "1"); v.Set("qty_vx", "1"); v.Set("qty_v-3", "1") }, nil, []string{"qty_v", "qty_vx", "qty_v-3"}, true},
		{"variant too many", func(v url.Values) { v.Set("qty_v12", "101") }, nil, []string{"qty_v12"}, true},
		{"damaged variant price", func(v url.Values) { v.Set("qty_v12", "1"); v.Set("price_v12", "x") },
			[]app.OrderLine{{VariantID: 12, Qty: 1}}, []string{"qty_v12"}, true},
		{"junk order key dropped", func(v url.Values) { v.Set("qty_7", "1"); v.Set("order_key", "<script>") },
			[]app.OrderLine{{ProductID: 7, Qty: 1}}, nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := valid()
			tt.edit(v)
			req, form := parseOrderForm(v)
			if got, want := len(req.Lines), len(tt.wantLines); got != want {
				t.Fatalf("lines = %v, want %v", req.Lines, tt.wantLines)
			}
			for i := range tt.wantLines {
				if req.Lines[i] != tt.wantLines[i] {
					t.Errorf("line %d = %v, want %v", i, req.Lines[i], tt.wantLines[i])
				}
			}
			if len(form.Errors) != len(tt.wantErr) {
				t.Errorf("errors = %v, want messages for %v", form.Errors, tt.wantErr)
			}
			for _, k := range tt.wantErr {
				if form.Errors[k] == "" {
					t.Errorf("no message for %s (errors %v)", k, form.Errors)
				}
			}
			if got := req.OrderKey != ""; got != tt.wantKey {
				t.Errorf("order key kept = %v, want %v", got, tt.wantKey)
			}
		})
	}
}

// FuzzParseOrderForm: no form makes the parser panic, and whatever it
// accepts is within the limits storage relies on.
func FuzzParseOrderForm(f *testing.F) {
	f.Add("qty_7=2&qty_3=1&name=Asha&phone=9876543210&address=12+MG+Road+Bengaluru&order_key=abcdefgh-1234")
	f.Add("qty_07=1&qty_7=1&qty_-1=5&qty_99999999999999999999=1")
	f.Add("qty_1=100&qty_2=101&qty_3=1e2&phone=%2B91+98765+43210")
	f.Add("qty_v7=2&qty_7=1&qty_v07=1&price_v7=100&qty_v-1=1")
	f.Fuzz(func(t *testing.T, body string) {
		v, err := url.ParseQuery(body)
		if err != nil {
			return
		}
		req, form := parseOrderForm(v)
		seen := map[string]bool{}
		for _, l := range req.Lines {
			if (l.ProductID <= 0) == (l.VariantID <= 0) || l.Qty < 1 || l.Qty > app.MaxQty {
				t.Fatalf("accepted line %+v", l)
			}
			if seen[l.Field()] {
				t.Fatalf("%s twice in %v", l.Field(), req.Lines)
			}
			seen[l.Field()] = true
		}
		if len(form.Errors) == 0 {
			if len(req.Lines) == 0 || len(req.Lines) > app.MaxOrderLines {
				t.Fatalf("no errors but %d lines", len(req.Lines))
			}
			if _, ok := app.NormalizePhone(req.Customer.Phone); !ok {
				t.Fatalf("no errors but phone %q", req.Customer.Phone)
			}
		}
		if req.OrderKey != "" && !validOrderKey(req.OrderKey) {
			t.Fatalf("kept order key %q", req.OrderKey)
		}
	})
}
