package main

import (
	"maps"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"dukaan/nginx/nginxtest"
)

// TestBrowserWebhooks: the webhooks page in Chromium, through the edge:
// reached from the navigation, accessible (labels, contrast, axe), the
// secret shown once after the first save, a test event listed as
// delivered.
func TestBrowserWebhooks(t *testing.T) {
	chromiumBin(t)
	nginxtest.Require(t)
	env := maps.Clone(webhookEnv)
	s := startBrowserStack(t, "sqlite", env)
	b := startBrowser(t, browserOutDir(t))
	rc := newHookReceiver(t)

	v := b.newTab("vendor")
	v.navigate("open signup", s.url(adminHost, "/signup"), 200)
	v.do("fill signup",
		chromedp.SendKeys(chromedp.ID("f-store"), "chai-corner"),
		chromedp.SendKeys(chromedp.ID("f-email"), "owner@chai-corner.example"),
		chromedp.SendKeys(chromedp.ID("f-password"), password),
	)
	v.submit("create the shop", 200, "/products", chromedp.Click(chromedp.CSS(`form[action="/signup"] button[type="submit"]`)))
	v.submit("open webhooks", 200, "/webhooks", chromedp.Click(chromedp.CSS(`nav a[href="/webhooks"]`)))
	browserA11y(v, "webhooks (none yet)")
	v.shot("webhooks-empty")

	v.do("fill the endpoint", chromedp.SendKeys(chromedp.ID("f-url"), rc.srv.URL+"/dukaan"))
	v.submit("save the endpoint", 200, "/webhooks", chromedp.Click(chromedp.CSS(`form[action="/webhooks"] button[type="submit"]`)))
	secret := v.text("secret shown", ".webhook-secret-value")
	if !strings.HasPrefix(secret, "whsec_") {
		v.fatalf("secret shown", "the page shows secret %q", secret)
	}
	rc.mu.Lock()
	rc.secret = secret
	rc.mu.Unlock()
	browserA11y(v, "webhooks (secret shown)")
	v.shot("webhooks-secret")

	v.submit("send a test event", 200, "/webhooks", chromedp.Click(chromedp.CSS(`form[action="/webhooks/test"] button[type="submit"]`)))
	if got := rc.waitRequests(t, 1, 15*time.Second); !got[0].sigOK || got[0].parsed.Type != "ping" {
		t.Errorf("the receiver got %s, signature ok %v", got[0].body, got[0].sigOK)
	}
	deadline := time.Now().Add(15 * time.Second)
	for {
		v.navigate("reload", s.url(adminHost, "/webhooks"), 200)
		if v.text("delivery", ".delivery-state") == "delivered" {
			break
		}
		if time.Now().After(deadline) {
			v.fatalf("delivery", "the test event is not listed as delivered")
		}
		time.Sleep(100 * time.Millisecond)
	}
	if n := browserEval[int](v, "secret gone", `document.querySelectorAll('.webhook-secret-value').length`); n != 0 {
		v.errorf("secret gone", "the secret is still shown after a reload")
	}
	browserA11y(v, "webhooks (a delivery)")
	v.shot("webhooks-delivered")
}
