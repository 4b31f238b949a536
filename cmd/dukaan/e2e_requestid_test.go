package main

import (
	"net/http"
	"net/url"
	"strconv"
	"testing"
)

// TestOrderRequestIDFromTrustedEdge: an order form sent without the
// script's order_key, retried by the edge with the same X-Request-ID, is
// one order; the header counts only from a trusted proxy.
func TestOrderRequestIDFromTrustedEdge(t *testing.T) {
	for _, tt := range []struct {
		name       string
		trusted    string
		wantOrders int
	}{
		{"from a trusted edge", "127.0.0.1", 1},
		{"from anyone else", "", 2},
	} {
		t.Run(tt.name, func(t *testing.T) {
			env := map[string]string{}
			if tt.trusted != "" {
				env["DUKAAN_TRUSTED_PROXIES"] = tt.trusted
			}
			a := startApp(t, "sqlite", env)
			v := a.signup(t, "reqid-shop")
			p := v.addProduct(t, "Ghee", "500", "450", 10, true)
			form := url.Values{
				"qty_" + strconv.FormatInt(p, 10): {"1"}, "name": {"Asha Rao"}, "phone": {"9876543210"},
				"address": {"12 MG Road, Bengaluru 560001"},
			}
			hdr := http.Header{"X-Request-Id": {"0123456789abcdef0123456789abcdef"}}
			c := a.newClient()
			var locs []string
			for i := 0; i < 2; i++ {
				if i == 1 {
					// Past the "place it again?" page that a repeat
					// without a key of its own gets: what is left to
					// tell the cases apart is the key.
					form.Set("confirm_repeat", "1")
				}
				r, err := c.do("POST", v.shop(), "/order", form, hdr)
				if err != nil {
					t.Fatal(err)
				}
				wantStatus(t, r, http.StatusSeeOther)
				locs = append(locs, r.header.Get("Location"))
			}
			distinct := map[string]bool{locs[0]: true, locs[1]: true}
			if len(distinct) != tt.wantOrders {
				t.Errorf("two posts with one X-Request-ID made %d orders (%v), want %d", len(distinct), locs, tt.wantOrders)
			}
		})
	}
}
