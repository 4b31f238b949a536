package tenant

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"

	"dukaan/app"
)

func TestResolve(t *testing.T) {
	r, err := NewResolver("Dukaan.Test", nil)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		host     string
		wantKind Kind
		wantSlug string
	}{
		{"dukaan.test", Landing, ""},
		{"www.dukaan.test", Landing, ""},
		{"WWW.Dukaan.Test:8080", Landing, ""},
		{"admin.dukaan.test", Admin, ""},
		{"admin.dukaan.test.", Admin, ""},
		{"ADMIN.DUKAAN.TEST:443", Admin, ""},
		{"chai-wala.dukaan.test", Shop, "chai-wala"},
		{"Chai-Wala.dukaan.test.:8080", Shop, "chai-wala"},
		{"abc.dukaan.test", Shop, "abc"},
		{"ab.dukaan.test", Unknown, ""},                         // too short
		{strings.Repeat("a", 31) + ".dukaan.test", Unknown, ""}, // too long
		{"-chai.dukaan.test", Unknown, ""},                      // leading hyphen
		{"chai-.dukaan.test", Unknown, ""},                      // trailing hyphen
		{"chai_wala.dukaan.test", Unknown, ""},                  // underscore
		{"api.dukaan.test", Unknown, ""},                        // reserved
		{"static.dukaan.test", Unknown, ""},                     // reserved
		{"a.b.dukaan.test", Unknown, ""},                        // nested
		{"shop.other.test", Unknown, ""},                        // other domain
		{"evildukaan.test", Unknown, ""},                        // suffix trick
		{"chai.dukaan.test.evil.com", Unknown, ""},              // prefix trick
		{"", Unknown, ""},                                       // empty
		{"127.0.0.1:8080", Unknown, ""},                         // bare IP
		{"[::1]:8080", Unknown, ""},                             // IPv6
		{"chai.dukaan.test..", Unknown, ""},                     // two dots
		{"chai..dukaan.test", Unknown, ""},                      // empty label
		{"chai.dukaan.test:80:80", Unknown, ""},                 // junk port
		{"chai wala.dukaan.test", Unknown, ""},                  // space
		{"chai.dukaan.test/evil", Unknown, ""},                  // path
		{"xn--chai.dukaan.test", Shop, "xn--chai"},              // punycode is a plain label
		{"chai.dukaan.test:", Shop, "chai"},                     // empty port
	}
	for _, tt := range tests {
		t.Run(tt.host, func(t *testing.T) {
			got := r.Resolve(tt.host)
			if got.Kind != tt.wantKind || got.Slug != tt.wantSlug {
				t.Errorf("Resolve(%q) = %v %q, want %v %q", tt.host, got.Kind, got.Slug, tt.wantKind, tt.wantSlug)
			}
		})
	}
}

func TestValidateStoreName(t *testing.T) {
	tests := []struct {
		name string
		ok   bool
	}{
		{"chai", true},
		{"chai-wala-2", true},
		{"abc", true},
		{strings.Repeat("a", 30), true},
		{"ab", false},
		{strings.Repeat("a", 31), false},
		{"Chai", false},
		{"-chai", false},
		{"chai-", false},
		{"chai wala", false},
		{"chai.wala", false},
		{"admin", false},
		{"www", false},
		{"metrics", false},
		{"चाय", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			msg := ValidateStoreName(tt.name)
			if got := msg == ""; got != tt.ok {
				t.Errorf("ValidateStoreName(%q) = %q, want ok=%v", tt.name, msg, tt.ok)
			}
		})
	}
}

func TestRequestHostTrustsOnlyConfiguredProxies(t *testing.T) {
	r, err := NewResolver("dukaan.test", []string{"10.0.0.0/8", "127.0.0.1"})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		remote, fwd, want string
	}{
		{"10.1.2.3:5555", "chai.dukaan.test", "chai.dukaan.test"},
		{"127.0.0.1:5555", "chai.dukaan.test, proxy.internal", "chai.dukaan.test"},
		{"192.0.2.1:5555", "chai.dukaan.test", "host.dukaan.test"}, // untrusted peer
		{"[::ffff:10.0.0.9]:1", "chai.dukaan.test", "chai.dukaan.test"},
		{"10.1.2.3:5555", "", "host.dukaan.test"},
	}
	for _, tt := range tests {
		t.Run(tt.remote+"/"+tt.fwd, func(t *testing.T) {
			req := httptest.NewRequest("GET", "/", nil)
			req.Host = "host.dukaan.test"
			req.RemoteAddr = tt.remote
			if tt.fwd != "" {
				req.Header.Set("X-Forwarded-Host", tt.fwd)
			}
			if got := r.RequestHost(req); got != tt.want {
				t.Errorf("RequestHost = %q, want %q", got, tt.want)
			}
		})
	}
	if _, err := NewResolver("dukaan.test", []string{"not-an-ip"}); err == nil {
		t.Error("NewResolver accepted a malformed trusted proxy")
	}
	if _, err := NewResolver("bad domain", nil); err == nil {
		t.Error("NewResolver accepted a malformed base domain")
	}
}

func TestContextFailsClosed(t *testing.T) {
	if _, err := FromContext(context.Background()); err != ErrNoTenant {
		t.Fatalf("FromContext(empty) err = %v, want ErrNoTenant", err)
	}
	v := &app.Vendor{ID: 7, Slug: "chai"}
	got, err := FromContext(NewContext(context.Background(), v))
	if err != nil || got != v {
		t.Fatalf("FromContext = %v, %v; want the vendor", got, err)
	}
	if _, err := FromContext(NewContext(context.Background(), nil)); err != ErrNoTenant {
		t.Fatalf("FromContext(nil vendor) err = %v, want ErrNoTenant", err)
	}
}

// FuzzResolve checks that no host makes the resolver panic, that a shop
// host always yields a valid, non-reserved store name that maps back to a
// host resolving to the same store, and that only hosts under the base
// domain resolve to anything but Unknown.
func FuzzResolve(f *testing.F) {
	for _, s := range []string{"chai.dukaan.test", "ADMIN.dukaan.test.:80", "a.b.dukaan.test", "[::1]:80", "dukaan.test", "x..y", "chai.dukaan.test:"} {
		f.Add(s)
	}
	r, err := NewResolver("dukaan.test", nil)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, host string) {
		got := r.Resolve(host)
		if got.Kind == Unknown {
			return
		}
		if got.Name != "dukaan.test" && !strings.HasSuffix(got.Name, ".dukaan.test") {
			t.Fatalf("Resolve(%q) = %v for a host outside the base", host, got)
		}
		if got.Kind == Shop {
			if msg := ValidateStoreName(got.Slug); msg != "" {
				t.Fatalf("Resolve(%q) gave slug %q: %s", host, got.Slug, msg)
			}
			if again := r.Resolve(r.ShopHost(got.Slug)); again.Kind != Shop || again.Slug != got.Slug {
				t.Fatalf("round trip of %q gave %v", got.Slug, again)
			}
		}
	})
}
