package web

import (
	"net/http/httptest"
	"testing"

	"dukaan/tenant"
)

func TestClientIP(t *testing.T) {
	res, err := tenant.NewResolver("dukaan.test", []string{"127.0.0.1", "10.0.0.0/8"})
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{cfg: Config{Resolver: res}}
	for _, tt := range []struct {
		name, remote, xff, want string
	}{
		{"direct client, XFF ignored", "198.51.100.7:5000", "203.0.113.1", "198.51.100.7"},
		{"through the edge", "127.0.0.1:5000", "203.0.113.1", "203.0.113.1"},
		{"spoofed entries left of the real one", "127.0.0.1:5000", "1.2.3.4, 203.0.113.1", "203.0.113.1"},
		{"two of our proxies", "127.0.0.1:5000", "203.0.113.1, 10.1.2.3", "203.0.113.1"},
		{"garbage from the client", "127.0.0.1:5000", "not-an-ip, 203.0.113.1", "203.0.113.1"},
		{"only our proxies", "127.0.0.1:5000", "10.1.2.3", "10.1.2.3"},
		{"no XFF", "127.0.0.1:5000", "", "127.0.0.1"},
		{"IPv6 by /64", "[2001:db8:1:2:3:4:5:6]:443", "", "2001:db8:1:2::/64"},
		{"IPv6 client behind the edge", "127.0.0.1:5000", "2001:db8:1:2::9", "2001:db8:1:2::/64"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/", nil)
			r.RemoteAddr = tt.remote
			if tt.xff != "" {
				r.Header.Set("X-Forwarded-For", tt.xff)
			}
			if got := s.clientIP(r); got != tt.want {
				t.Errorf("clientIP = %q, want %q", got, tt.want)
			}
		})
	}
}
