package main

import (
	"net/http"
	"testing"
)

// TestShopUnknownPaths: an unknown path on a shop host is 404 and a wrong
// method on a known one 405, whatever extra methods (the ops PURGE) the
// shop host answers.
func TestShopUnknownPaths(t *testing.T) {
	a := startApp(t, "sqlite", nil)
	v := a.signup(t, "paths-shop")
	c := a.newClient()
	tests := []struct {
		method, path string
		want         int
	}{
		{"GET", "/nope", http.StatusNotFound},
		{"GET", "/p/1/extra", http.StatusNotFound},
		{"GET", "/wp-admin.php", http.StatusNotFound},
		{"POST", "/", http.StatusMethodNotAllowed},
		{"DELETE", "/order", http.StatusMethodNotAllowed},
		{"PURGE", "/", http.StatusMethodNotAllowed}, // no purge token configured
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			r, err := c.do(tt.method, v.shop(), tt.path, nil, nil)
			if err != nil {
				t.Fatal(err)
			}
			wantStatus(t, r, tt.want)
		})
	}
}
