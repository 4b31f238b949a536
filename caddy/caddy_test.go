package caddy_test

import (
	"testing"

	"dukaan/caddy"
)

func TestRenderRefuses(t *testing.T) {
	ok := caddy.Params{Base: "dukaan.test", Upstreams: []string{"127.0.0.1:1"}, AskURL: "http://127.0.0.1:2/internal/tls-ask", Storage: "/tmp/x", InternalCA: true}
	if _, err := caddy.Render(ok); err != nil {
		t.Fatal(err)
	}
	for name, mut := range map[string]func(*caddy.Params){
		"no base": func(p *caddy.Params) { p.Base = "" }, "no upstream": func(p *caddy.Params) { p.Upstreams = nil },
		"ask not http": func(p *caddy.Params) { p.AskURL = "127.0.0.1:2" }, "no storage": func(p *caddy.Params) { p.Storage = "" },
		"ACME without DNS provider": func(p *caddy.Params) { p.InternalCA = false },
	} {
		p := ok
		mut(&p)
		if _, err := caddy.Render(p); err == nil {
			t.Errorf("%s: rendered", name)
		}
	}
}
