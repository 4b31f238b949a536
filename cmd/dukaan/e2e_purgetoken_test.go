package main

import (
	"fmt"
	"testing"
)

// TestEdgePurgeToken: edges started with a purge token obey the app that
// has the same DUKAAN_EDGE_PURGE_TOKEN, and ignore one that has not (the
// page stays as the edge stored it until its TTL).
func TestEdgePurgeToken(t *testing.T) {
	const token = "edge-purge-token-0123456789abcdef"
	for _, tt := range []struct {
		name     string
		appToken string
		fresh    bool
	}{
		{"same token", token, true},
		{"app without the token", "", false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			env := map[string]string{}
			if tt.appToken != "" {
				env["DUKAAN_EDGE_PURGE_TOKEN"] = tt.appToken
			}
			s := cacheStart(t, cacheOpts{edges: 1, edgeToken: token, env: env})
			if !tt.fresh {
				cacheAllowErrors(s.apps[0]) // the refused PURGE is logged as a failed purge, as it should be
			}
			edge := s.via[0]
			v := edge.signup(t, "token-shop")
			id := v.addProduct(t, "Cardamom", "300", "250", 10, true)
			shopper := edge.newClient()
			settlePurgeJobs(t, s.apps[0]) // the new product's purge job, which would drop the warm page
			shopper.get(t, v.shop(), "/")
			if r := shopper.get(t, v.shop(), "/"); edgeCache(r) != "HIT" || cachePrice(r, id) != "₹250" {
				t.Fatalf("warm-up: %s %s", edgeCache(r), cachePrice(r, id))
			}
			f := v.productForm(t, id)
			f.Set("price", "199")
			edit := fmt.Sprintf("/products/%d/edit", id)
			wantRedirect(t, v.c.submit(t, edit, edit, f), "/products")
			r := shopper.get(t, v.shop(), "/")
			if got := cachePrice(r, id) == "₹199"; got != tt.fresh {
				t.Errorf("after the edit the edge shows %s (%s); fresh = %v, want %v", cachePrice(r, id), edgeCache(r), got, tt.fresh)
			}
		})
	}
}
