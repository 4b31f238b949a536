package main

// The shop in a real browser: headless chromium, through the nginx edge,
// as a vendor and a customer would use it. Helpers in
// browser_helpers_test.go; screenshots of every key step go to
// test-output/browser/ (or $DUKAAN_TEST_OUT).
//
//	go test -race -run Browser ./cmd/dukaan/

import (
	"fmt"
	"image/color"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"dukaan/nginx/nginxtest"
)

// browserProduct is a product the vendor adds in the browser.
type browserProduct struct {
	name, desc, mrp, price, stock string
	// what the shop must show
	wantPrice, wantMRP, wantOff string
	qty                         int // what the customer orders
	image                       string
	id                          int64
}

// TestBrowserShop: a vendor signs up, adds two products with photos, sets
// a delivery charge and UPI, and adds a discount code; a customer finds
// them in the shop through the edge and orders both with the code, by
// keyboard, to pay by UPI (link and QR); Back and "Place order" again show
// the same order; the vendor ships it and marks it paid in two steps; the
// customer's pages hold up at phone width. On SQLite and on PostgreSQL.
func TestBrowserShop(t *testing.T) {
	// Every program first: skip (or, under CI, fail) before starting any.
	chromiumBin(t)
	nginxtest.Require(t)
	for _, dialect := range dialects {
		t.Run(dialect, func(t *testing.T) { browserShopScenario(t, dialect) })
	}
}

func browserShopScenario(t *testing.T, dialect string) {
	began := time.Now()
	// Once (on PostgreSQL) through Caddy over HTTPS, as in production.
	start := startBrowserStack
	if dialect == "postgres" {
		start = startBrowserStackTLS
	}
	s := start(t, dialect, map[string]string{"DUKAAN_IMAGE_DIR": t.TempDir()})
	out := browserOutDir(t)
	b := startBrowser(t, out, s.browserFlags(t)...)
	t.Logf("stack and browser up in %s", time.Since(began).Round(time.Millisecond))

	const (
		store     = "chai-corner"
		storeName = "Chai Corner"
		email     = "owner@chai-corner.example"
		customer  = "Asha Rao"
		phone     = "98765 43210"
		address   = "12 MG Road, Indiranagar, Bengaluru 560038"
	)
	imgs := t.TempDir()
	products := []*browserProduct{
		{name: "Kaju katli 500 g", desc: "Cashew fudge with silver leaf.", mrp: "599", price: "499", stock: "25",
			wantPrice: "₹499", wantMRP: "₹599", wantOff: "16% off", qty: 2,
			image: browserGradientPNG(t, imgs, "kaju.png", 800, 600, color.RGBA{0xf9, 0x73, 0x16, 0xff}, color.RGBA{0x7c, 0x2d, 0x12, 0xff})},
		{name: "Masala chai 250 g", desc: "Assam tea with cardamom and ginger.", mrp: "250", price: "200", stock: "40",
			wantPrice: "₹200", wantMRP: "₹250", wantOff: "20% off", qty: 3,
			image: browserGradientPNG(t, imgs, "chai.png", 800, 600, color.RGBA{0x0d, 0x94, 0x88, 0xff}, color.RGBA{0xfd, 0xe0, 0x47, 0xff})},
	}
	const wantSubtotal = "₹1,598" // 2 × 499 + 3 × 200
	// The checkout terms the vendor sets, and what they make of the order:
	// 10% off with the code, ₹40 delivery below ₹2,000.
	const (
		couponCode    = "FRESH10"
		upiID         = "chaicorner@okaxis"
		wantDiscount  = "−₹159.80"
		wantDelivery  = "₹40"
		wantTotal     = "₹1,478.20" // 1,598 − 159.80 + 40
		wantUPIAmount = "1478.20"
	)

	// ---- 1. The vendor signs up -----------------------------------------
	v := b.newTab("vendor")
	v.navigate("open signup", s.url(adminHost, "/signup"), 200)
	browserA11y(v, "signup")
	v.do("fill signup",
		chromedp.SendKeys(chromedp.ID("f-store"), store),
		chromedp.SendKeys(chromedp.ID("f-name"), storeName),
		chromedp.SendKeys(chromedp.ID("f-email"), email),
		chromedp.SendKeys(chromedp.ID("f-password"), password),
	)
	v.shot("signup")
	v.submit("create the shop", 200, "/products",
		chromedp.Click(chromedp.CSS(`form[action="/signup"] button[type="submit"]`)))
	v.shot("console-new-vendor")

	// ---- 2. Two products, each with an image ------------------------------
	for i, p := range products {
		v.submit("open the product form", 200, "/products/new",
			chromedp.Click(chromedp.CSS(`main a[href="/products/new"]`)))
		if i == 0 {
			browserA11y(v, "product form")
		}
		// The upload contract: a multipart form with an image field.
		attrs := browserRun(v, "image field", chromedp.Attributes(chromedp.ID("f-image")))
		if attrs["type"] != "file" || attrs["name"] != "image" || !strings.Contains(attrs["accept"], "image/png") {
			v.errorf("image field", "#f-image has %v, want type=file name=image accept with image/png", attrs)
		}
		enc := browserEval[string](v, "form encoding", `document.getElementById('f-image').form.enctype`)
		if enc != "multipart/form-data" {
			v.errorf("form encoding", "the product form's enctype is %q, want multipart/form-data", enc)
		}
		v.do("fill the product form",
			chromedp.SendKeys(chromedp.ID("f-name"), p.name),
			chromedp.SendKeys(chromedp.ID("f-description"), p.desc),
			chromedp.SendKeys(chromedp.ID("f-mrp"), p.mrp),
			chromedp.SendKeys(chromedp.ID("f-price"), p.price),
			chromedp.Clear(chromedp.ID("f-stock")),
			chromedp.SendKeys(chromedp.ID("f-stock"), p.stock),
		)
		if !browserEval[bool](v, "available?", `document.getElementById('f-available').checked`) {
			v.do("show in shop", chromedp.Click(chromedp.ID("f-available")))
		}
		v.do("choose the image", chromedp.SetUploadFiles(chromedp.ID("f-image"), []string{p.image}))
		if n := browserEval[int](v, "chosen files", `document.getElementById('f-image').files.length`); n != 1 {
			v.fatalf("choose the image", "the file input holds %d files, want 1", n)
		}
		// admin.js previews the chosen photo before it is sent (CSP img-src blob:).
		previewed := browserEval[bool](v, "photo preview", `new Promise(function (done) {
			var t0 = Date.now();
			(function check() {
				var img = document.querySelector('[data-photo-preview]');
				if (img && !img.hidden && img.complete && img.naturalWidth > 0) return done(true);
				if (Date.now() - t0 > 3000) return done(false);
				setTimeout(check, 50);
			})();
		})`)
		if !previewed {
			v.errorf("photo preview", "the chosen photo is not previewed in the form")
		}
		if i == 0 {
			v.shot("product-form")
		}
		v.submit("add "+p.name, 200, "/products",
			chromedp.Click(chromedp.CSS(`form[action="/products/new"] button[type="submit"]`)))
	}
	// The console's product list links each product to its edit page.
	ids := browserEval[map[string]int64](v, "product ids", `(() => {
  const out = {};
  for (const a of document.querySelectorAll('a[href$="/edit"]')) {
    const m = a.getAttribute('href').match(/^\/products\/(\d+)\/edit$/);
    const name = a.textContent.trim();
    if (m && name && !name.startsWith('Edit')) out[name] = Number(m[1]);
  }
  return out;
})()`)
	for _, p := range products {
		if p.id = ids[p.name]; p.id == 0 {
			v.fatalf("product list", "%q is not in the console's product list (found %v)", p.name, ids)
		}
	}
	// The console's list shows each product's photo.
	browserImagesLoad(v, "console thumbnails", `img[src^="/images/"]`, len(products))
	v.shot("console-products")

	// A category, and the first product put in it from its edit form.
	const category, categorySlug = "Sweets", "sweets"
	v.submit("open the categories", 200, "/categories",
		chromedp.Click(chromedp.CSS(`nav a[href="/categories"]`)))
	v.do("name the category", chromedp.SendKeys(chromedp.CSS(`form[action="/categories/new"] input[name="name"]`), category))
	v.submit("add the category", 200, "/categories",
		chromedp.Click(chromedp.CSS(`form[action="/categories/new"] button[type="submit"]`)))
	if n := browserEval[int](v, "category row", fmt.Sprintf(`document.querySelectorAll('.category-row[data-slug=%q]').length`, categorySlug)); n != 1 {
		v.fatalf("category row", "the console lists %d categories with the link /c/%s, want 1", n, categorySlug)
	}
	browserA11y(v, "categories")
	inCategory := products[0]
	v.navigate("edit "+inCategory.name, s.url(adminHost, fmt.Sprintf("/products/%d/edit", inCategory.id)), 200)
	if !browserEval[bool](v, "choose the category", fmt.Sprintf(`(() => {
  const sel = document.getElementById('f-category_id');
  for (const o of sel.options) if (o.text.trim() === %q) { sel.value = o.value; return o.value !== ''; }
  return false;
})()`, category)) {
		v.fatalf("choose the category", "the product form's category list has no %q", category)
	}
	v.submit("save "+inCategory.name+" in "+category, 200, "/products",
		chromedp.Click(chromedp.CSS(fmt.Sprintf(`form[action="/products/%d/edit"] button[type="submit"]`, inCategory.id))))

	// The shop's header: a line about the shop and a WhatsApp number.
	v.navigate("settings", s.url(adminHost, "/settings"), 200)
	browserA11y(v, "settings")
	v.do("fill the settings",
		chromedp.SendKeys(chromedp.ID("f-description"), "Tea and sweets, made fresh every morning in Jayanagar."),
		chromedp.SendKeys(chromedp.ID("f-whatsapp"), "98765 43210"),
		// Delivery terms, and UPI besides cash on delivery.
		chromedp.Clear(chromedp.ID("f-delivery_fee")),
		chromedp.SendKeys(chromedp.ID("f-delivery_fee"), "40"),
		chromedp.SendKeys(chromedp.ID("f-free_delivery_above"), "2000"),
		chromedp.SendKeys(chromedp.ID("f-upi_id"), upiID),
	)
	for _, id := range []string{"f-cod", "f-upi"} {
		if !browserEval[bool](v, "payment modes", fmt.Sprintf(`document.getElementById(%q).checked`, id)) {
			v.do("tick "+id, chromedp.Click(chromedp.ID(id)))
		}
	}
	// A logo, through the photo pipeline like a product's photo.
	v.do("choose a logo", chromedp.SetUploadFiles(chromedp.ID("f-logo"),
		[]string{browserGradientPNG(t, imgs, "logo.png", 256, 256, color.RGBA{0xc2, 0x41, 0x0c, 0xff}, color.RGBA{0xfe, 0xd7, 0xaa, 0xff})}))
	v.submit("save the settings", 200, "/settings",
		chromedp.Click(chromedp.CSS(`form[action="/settings"] button[type="submit"]`)))
	if msg := v.text("settings saved", ".flash"); !strings.Contains(msg, "Saved") {
		v.errorf("settings saved", "flash after saving the settings is %q", msg)
	}
	v.shot("console-settings")

	// A discount code: 10% off, five uses.
	v.submit("open the discount codes", 200, "/coupons",
		chromedp.Click(chromedp.CSS(`nav a[href="/coupons"]`)))
	browserA11y(v, "coupons (none yet)")
	v.submit("open the code form", 200, "/coupons/new",
		chromedp.Click(chromedp.CSS(`main a[href="/coupons/new"]`)))
	browserA11y(v, "coupon form")
	if !browserEval[bool](v, "percent kind", `document.getElementById('f-kind-percent').checked && document.getElementById('f-active').checked`) {
		v.errorf("percent kind", "a new code is not a percent, active, by default")
	}
	v.do("fill the code form",
		chromedp.SendKeys(chromedp.ID("f-code"), couponCode),
		chromedp.SendKeys(chromedp.ID("f-value"), "10"),
		chromedp.SendKeys(chromedp.ID("f-max_uses"), "5"),
	)
	v.shot("coupon-form")
	v.submit("add the code", 200, "/coupons",
		chromedp.Click(chromedp.CSS(`form[action="/coupons/new"] button[type="submit"]`)))
	browserCheckCoupon(v, couponCode, "0", "5")
	browserA11y(v, "coupons")
	v.shot("console-coupons")

	// ---- 3. The customer opens the shop through the edge --------------------
	c := b.newTab("customer")
	shopURL := s.url(shopHost(store), "/")
	hdr := c.navigate("open the shop", shopURL, 200)
	if hdr["X-Cache-Status"] == "" || !strings.Contains(hdr["Server"], "nginx") {
		c.errorf("open the shop", "the shop did not come through the edge: headers %v", hdr)
	}
	if h := c.text("shop name", "h1"); h != storeName {
		c.errorf("shop name", "the shop's heading is %q, want %q", h, storeName)
	}
	browserImagesLoad(c, "shop logo", "header a.store-brand img.store-logo", 1)
	if d := c.text("shop description", ".store-desc"); !strings.Contains(d, "Jayanagar") {
		c.errorf("shop description", "the shop's description is %q", d)
	}
	if href := browserEval[string](c, "whatsapp link", `(document.querySelector('a.btn-whatsapp') || {}).href || ''`); href != "https://wa.me/919876543210" {
		c.errorf("whatsapp link", "the shop's WhatsApp link is %q", href)
	}
	for _, p := range products {
		browserCheckCard(c, p, fmt.Sprintf(`a[href="/p/%d"]`, p.id), ".product-card, li")
	}
	// The delivery terms saved a moment ago, not a page the edge kept.
	terms := c.text("delivery terms", "[data-checkout-terms]")
	for _, want := range []string{"Delivery ₹40, free on orders of ₹2,000 or more", "cash on delivery or UPI"} {
		if !strings.Contains(terms, want) {
			c.errorf("delivery terms", "the shop's checkout terms read %q, want %q in them", terms, want)
		}
	}
	browserA11y(c, "shop")
	c.shot("shop")

	// The category from the shop's row of links: its page shows the product
	// put in it and not the other one.
	c.submit("open the category", 200, "/c/"+categorySlug,
		chromedp.Click(chromedp.CSS(fmt.Sprintf(`nav.category-nav a[href="/c/%s"]`, categorySlug))))
	if h := c.text("category title", "h1"); h != category {
		c.errorf("category title", "the category page's heading is %q, want %q", h, category)
	}
	if cur := browserEval[string](c, "current category", `(document.querySelector('nav.category-nav a[aria-current="page"]') || {}).textContent || ''`); strings.TrimSpace(cur) != category {
		c.errorf("current category", "the row of links marks %q as the current page, want %q", cur, category)
	}
	for _, p := range products {
		n := browserEval[int](c, "category products", fmt.Sprintf(`document.querySelectorAll('.product-card a[href="/p/%d"]').length`, p.id))
		if want := p == inCategory; (n > 0) != want {
			c.errorf("category products", "%s on the %s page: %v, want %v", p.name, category, n > 0, want)
		}
	}
	browserCheckCard(c, inCategory, fmt.Sprintf(`a[href="/p/%d"]`, inCategory.id), ".product-card, li")
	browserA11y(c, "category page")
	c.shot("shop-category")

	// The product page of the first product, from its category's page.
	first := products[0]
	c.submit("open a product page", 200, fmt.Sprintf("/p/%d", first.id),
		chromedp.Click(chromedp.CSS(fmt.Sprintf(`a[href="/p/%d"]:not([tabindex="-1"])`, first.id))))
	if h := c.text("product title", "h1"); h != first.name {
		c.errorf("product title", "the product page's heading is %q, want %q", h, first.name)
	}
	browserCheckCard(c, first, "h1", "article, main")
	browserA11y(c, "product page")
	c.shot("product-page")
	browserGallery(v, c, s.url(adminHost, fmt.Sprintf("/products/%d/edit", first.id)), s.url(shopHost(store), fmt.Sprintf("/p/%d", first.id)),
		browserGradientPNG(t, imgs, "kaju-box.png", 700, 700, color.RGBA{0xfe, 0xf3, 0xc7, 0xff}, color.RGBA{0x92, 0x40, 0x0e, 0xff}), first.name)

	// Back to every product, and order both: quantities with the steppers
	// (shop.js), and the running total follows.
	c.submit("back to all products", 200, "/",
		chromedp.Click(`//a[contains(., "All products")]`))
	if got := c.text("empty total", "[data-order-total]"); got != "₹0" {
		c.errorf("empty total", "the running total shows %q before any quantity, want ₹0", got)
	}
	for _, p := range products {
		plus := fmt.Sprintf(`#f-qty_%d + button`, p.id)
		if l := browserEval[string](c, "stepper", fmt.Sprintf(`(document.querySelector(%q) || {}).ariaLabel || ''`, plus)); !strings.HasPrefix(l, "One more") {
			c.fatalf("stepper", "the button after the quantity of %s is labelled %q, want a + stepper (\"One more …\")", p.name, l)
		}
		for range p.qty {
			c.do("step up "+p.name, chromedp.Click(chromedp.CSS(plus)))
		}
		if got := browserRun(c, "quantity", chromedp.Value(chromedp.ID(fmt.Sprintf("f-qty_%d", p.id)))); got != strconv.Itoa(p.qty) {
			c.errorf("quantity", "%s: the field shows %q after %d clicks on +, want %d", p.name, got, p.qty, p.qty)
		}
	}
	if got := c.text("running total", "[data-order-total]"); got != wantSubtotal {
		c.errorf("running total", "the running total shows %q, want %s", got, wantSubtotal)
	}
	// (The sticky cart bar is for narrow screens; at phone width below.)

	// The customer's details by keyboard only: Tab from the last stepper
	// into the form, type, Tab on, and Enter on the order button.
	last := products[len(products)-1]
	c.do("focus the last stepper", chromedp.Focus(chromedp.CSS(fmt.Sprintf(`#f-qty_%d + button`, last.id))))
	browserTabTo(c, "f-name", 6)
	c.do("type the name", chromedp.KeyEvent(customer))
	browserTabTo(c, "f-phone", 3)
	c.do("type the phone", chromedp.KeyEvent(phone))
	browserTabTo(c, "f-address", 3)
	c.do("type the address", chromedp.KeyEvent(address))
	// The code in small letters (codes match either way), then UPI:
	// Tab into the payment choice, arrow down from cash to UPI.
	browserTabTo(c, "f-coupon", 2)
	c.do("type the code", chromedp.KeyEvent(strings.ToLower(couponCode)))
	browserTabTo(c, "f-payment-cod", 2)
	c.do("choose UPI", chromedp.KeyEvent(kb.ArrowDown))
	if !browserEval[bool](c, "UPI chosen", `document.getElementById('f-payment-upi').checked`) {
		c.fatalf("UPI chosen", "ArrowDown in the payment choice did not choose UPI")
	}
	browserTabToSel(c, "[data-order-submit]", 4)
	c.shot("shop-order-filled")
	confirmPath := c.submit("place the order with Enter", 200, "/orders/*", chromedp.KeyEvent("\r"))

	// The confirmation page.
	if h := c.text("thanks", "h1"); h != "Thank you, "+customer+"!" {
		c.errorf("thanks", "the confirmation says %q", h)
	}
	ref := c.text("order number", ".order-ref-id")
	m := regexp.MustCompile(`^#(\d+)$`).FindStringSubmatch(ref)
	if m == nil {
		c.fatalf("order number", "the order number reads %q, want #<number>", ref)
	}
	orderID, _ := strconv.ParseInt(m[1], 10, 64)
	lines := c.text("order lines", "table")
	for _, p := range products {
		if !strings.Contains(lines, p.name) {
			c.errorf("order lines", "the order summary %q lacks %s", lines, p.name)
		}
	}
	for _, row := range []struct{ sel, want string }{
		{"tfoot .subtotal td", wantSubtotal},
		{"tfoot .discount td", wantDiscount},
		{"tfoot .delivery td", wantDelivery},
		{"tfoot .total", wantTotal},
		{".payment-mode", "UPI"},
		{".payment-status", "Not paid yet"},
	} {
		if got := c.text("order money", row.sel); got != row.want {
			c.errorf("order money", "the confirmation's %s reads %q, want %s", row.sel, got, row.want)
		}
	}
	if got := c.text("discount code", "tfoot .discount th"); !strings.Contains(got, couponCode) {
		c.errorf("discount code", "the discount line reads %q, want the code %s in it", got, couponCode)
	}
	// Pay by UPI: the link opens the customer's UPI app, straight to the
	// shop's UPI address, for the total, named by the order's number.
	wantUPI := "upi://pay?pa=" + upiID + "&pn=Chai%20Corner&am=" + wantUPIAmount + "&cu=INR&tn=Chai%20Corner%20order%20" + m[1]
	pay := browserEval[map[string]string](c, "UPI link", `(() => {
  const a = document.querySelector('a.upi-pay');
  return a ? {href: a.getAttribute('href'), text: a.textContent.replace(/\s+/g, ' ').trim()} : {};
})()`)
	if pay["href"] != wantUPI {
		c.errorf("UPI link", "the UPI button's href is %q, want %q", pay["href"], wantUPI)
	}
	if pay["text"] != "Pay "+wantTotal+" with UPI" {
		c.errorf("UPI link", "the UPI button reads %q, want %q", pay["text"], "Pay "+wantTotal+" with UPI")
	}
	browserQRLoads(c, strings.TrimPrefix(confirmPath, "/orders/"))
	// The shop's WhatsApp number is one tap away after ordering too.
	if href := browserEval[string](c, "whatsapp on confirmation", `(document.querySelector('.site-header a.header-whatsapp') || {}).href || ''`); href != "https://wa.me/919876543210" {
		c.errorf("whatsapp on confirmation", "the confirmation page's header WhatsApp link is %q", href)
	}
	browserA11y(c, "confirmation")
	c.shot("confirmation")
	t.Logf("order #%d placed; confirmation at %s", orderID, confirmPath)

	// Back, and "Place order" again, as a customer unsure it went through:
	// the form comes back with its key, says the order is placed, and
	// placing it again shows that same order.
	t.Logf("Back: the shop page was %s", c.back("press Back"))
	if loc := c.path("back on the shop"); loc != "/" {
		c.fatalf("back on the shop", "Back landed on %s, want /", loc)
	}
	back := browserEval[map[string]string](c, "placed note", `(() => {
  const n = document.querySelector('[data-order-note]');
  const out = {note: n && !n.hidden ? n.textContent.trim() : '(hidden)', key: document.querySelector('[data-order-key]').value};
  for (let i = 0; i < sessionStorage.length; i++) out['storage ' + sessionStorage.key(i)] = sessionStorage.getItem(sessionStorage.key(i));
  return out;
})()`)
	if !strings.Contains(back["note"], "You placed order #"+m[1]) {
		c.errorf("placed note", "the form after Back says %q, want \"You placed order #%s\" (page state %v)", back["note"], m[1], back)
	}
	c.shot("shop-after-back")
	// A click from the page itself: chromedp's element queries hold the
	// nodes of the page it saw load last, not of one the browser restored.
	again := c.submit("place the order again", 200, "/orders/*",
		chromedp.Evaluate[chromedp.Void](`document.querySelector('[data-order-submit]').click()`))
	if again != confirmPath {
		c.errorf("place the order again", "placing it again after Back landed on %s, want the same order's %s", again, confirmPath)
	}
	if got := c.text("same order", ".order-ref-id"); got != ref {
		c.errorf("same order", "placing it again after Back shows order %s, want %s", got, ref)
	}

	// ---- 4. The vendor ships it -----------------------------------------------
	v.submit("open orders", 200, "/orders",
		chromedp.Click(chromedp.CSS(`nav a[href="/orders"]`)))
	orderLink := fmt.Sprintf(`a[href="/orders/%d"]`, orderID)
	rowText := browserEval[string](v, "order row", fmt.Sprintf(`(() => {
  const a = document.querySelector(%q);
  return a ? (a.closest('tr') || a.parentElement).innerText : '';
})()`, orderLink))
	for _, want := range []string{"#" + m[1], customer, wantTotal, "Pending", "UPI", "Unpaid"} {
		if !strings.Contains(rowText, want) {
			v.errorf("order row", "the orders list row for #%d reads %q, want %q in it", orderID, rowText, want)
		}
	}
	// One order, not two: the second "Place order" placed nothing.
	if n := browserEval[int](v, "orders count", `document.querySelectorAll('a.order-link').length`); n != 1 {
		v.errorf("orders count", "the console lists %d orders, want 1", n)
	}
	if got := v.text("orders count", ".page-head .muted"); got != "1 order" {
		v.errorf("orders count", "the orders list's count reads %q, want \"1 order\"", got)
	}
	browserA11y(v, "orders")
	v.shot("console-orders")
	v.submit("open the order", 200, fmt.Sprintf("/orders/%d", orderID),
		chromedp.Click(chromedp.CSS(orderLink)))
	// Along the workflow, one allowed step at a time.
	for _, next := range []string{"confirmed", "shipped"} {
		btn := fmt.Sprintf(`form[action="/orders/%d/status"]:has(input[name="status"][value=%q]) button[type="submit"]`, orderID, next)
		v.submit("mark "+next, 200, fmt.Sprintf("/orders/%d", orderID), chromedp.Click(chromedp.CSS(btn)))
		if got := v.text("status after "+next, "h1 .status"); !strings.EqualFold(got, next) {
			v.errorf("status after "+next, "the order's status badge reads %q, want %s", got, next)
		}
	}
	browserA11y(v, "order")
	v.shot("console-order-shipped")

	// The money arrives in the shop's UPI app: the vendor marks it paid,
	// in two steps.
	payForm := fmt.Sprintf(`form[action="/orders/%d/payment"]`, orderID)
	v.submit("mark paid", 200, fmt.Sprintf("/orders/%d/payment", orderID),
		chromedp.Click(chromedp.CSS(payForm+` button[type="submit"]`)))
	if q := v.text("confirm paid", "h1"); !strings.Contains(q, "#"+m[1]) {
		v.errorf("confirm paid", "the confirmation step asks %q, want the order's number #%s in it", q, m[1])
	}
	browserA11y(v, "confirm paid")
	v.shot("console-confirm-paid")
	v.submit("confirm paid", 200, fmt.Sprintf("/orders/%d", orderID),
		chromedp.Click(chromedp.CSS(payForm+`:has(input[name="confirm"][value="yes"]) button[type="submit"]`)))
	if got := v.text("payment after marking", ".order-payment"); got != "UPI Paid" {
		v.errorf("payment after marking", "the order's payment reads %q, want UPI Paid", got)
	}
	if msg := v.text("paid flash", ".flash"); !strings.Contains(msg, "#"+m[1]) {
		v.errorf("paid flash", "the flash after marking paid reads %q, want the order's number #%s in it", msg, m[1])
	}
	v.shot("console-order-paid")
	// The code was used once: placing the order again used it no more.
	v.submit("open the discount codes", 200, "/coupons",
		chromedp.Click(chromedp.CSS(`nav a[href="/coupons"]`)))
	browserCheckCoupon(v, couponCode, "1", "4")

	// ---- 4b. A product with two variants; the customer orders one --------------
	v.navigate("open the product form", s.url(adminHost, "/products/new"), 200)
	v.do("fill a product with variants",
		chromedp.SendKeys(chromedp.ID("f-name"), "Elaichi chai"),
		chromedp.SendKeys(chromedp.ID("f-v0_label"), "250 g"),
		chromedp.SendKeys(chromedp.ID("f-v0_mrp"), "180"),
		chromedp.SendKeys(chromedp.ID("f-v0_price"), "150"),
		chromedp.SendKeys(chromedp.ID("f-v0_stock"), "5"),
		chromedp.SendKeys(chromedp.ID("f-v1_label"), "500 g"),
		chromedp.SendKeys(chromedp.ID("f-v1_mrp"), "300"),
		chromedp.SendKeys(chromedp.ID("f-v1_price"), "280"),
		chromedp.SendKeys(chromedp.ID("f-v1_stock"), "9"),
	)
	if !browserEval[bool](v, "available?", `document.getElementById('f-available').checked`) {
		v.do("show in shop", chromedp.Click(chromedp.ID("f-available")))
	}
	browserA11y(v, "product form with variants")
	v.shot("console-product-variants")
	v.submit("add the product with variants", 200, "/products",
		chromedp.Click(chromedp.CSS(`form[action="/products/new"] button[type="submit"]`)))
	chaiID := browserEval[int64](v, "variant product id", `(() => {
  for (const a of document.querySelectorAll('a[href$="/edit"]')) {
    const m = a.getAttribute('href').match(/^\/products\/(\d+)\/edit$/);
    if (m && a.textContent.trim() === 'Elaichi chai') return Number(m[1]);
  }
  return 0;
})()`)
	if chaiID == 0 {
		v.fatalf("variant product id", "Elaichi chai is not in the console's product list")
	}
	c.navigate("open the shop again", s.url(shopHost(store), "/"), 200)
	if got := browserEval[string](c, "from price", fmt.Sprintf(`(() => {
  const a = document.querySelector('.product-card a[href="/p/%d"]');
  const card = a && a.closest('.product-card');
  return card ? card.querySelector('.product-price').textContent.replace(/\s+/g, ' ').trim() : '';
})()`, chaiID)); got != "from ₹150" {
		c.errorf("from price", "the card of the product with variants shows %q, want from ₹150", got)
	}
	c.submit("choose a variant", 200, fmt.Sprintf("/p/%d", chaiID),
		chromedp.Click(chromedp.CSS(fmt.Sprintf(`.product-card a.btn[href="/p/%d"]`, chaiID))))
	browserA11y(c, "product page with variants")
	big := browserEval[string](c, "500 g field", `(() => {
  for (const li of document.querySelectorAll('.variant')) {
    if (li.querySelector('.variant-label').textContent.trim() === '500 g') return li.querySelector('input.qty-input').id;
  }
  return '';
})()`)
	if big == "" {
		c.fatalf("500 g field", "the product page has no quantity for 500 g")
	}
	c.do("step up 500 g", chromedp.Click(chromedp.CSS("#"+big+" + button")))
	if got := c.text("variant total", "[data-order-total]"); got != "₹280" {
		c.errorf("variant total", "the running total shows %q after one 500 g, want ₹280", got)
	}
	c.do("fill the details for the variant order",
		chromedp.SendKeys(chromedp.ID("f-name"), customer),
		chromedp.SendKeys(chromedp.ID("f-phone"), phone),
		chromedp.SendKeys(chromedp.ID("f-address"), address),
		chromedp.Click(chromedp.ID("f-payment-cod")),
	)
	c.shot("shop-variant-filled")
	c.submit("order the 500 g", 200, "/orders/*",
		chromedp.Click(chromedp.CSS(`[data-order-submit]`)))
	if lines := c.text("variant line", "table"); !strings.Contains(lines, "Elaichi chai — 500 g") {
		c.errorf("variant line", "the confirmation's lines %q lack Elaichi chai — 500 g", lines)
	}
	c.shot("confirmation-variant")

	// ---- 5. The customer's pages at phone width ---------------------------------
	c.do("phone viewport", chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2), chromedp.EmulateMobile, chromedp.EmulateTouch))
	phonePages := []struct{ name, path, button string }{
		{"phone-shop", "/", "[data-order-submit]"},
		{"phone-product-page", fmt.Sprintf("/p/%d", products[1].id), "[data-order-submit]"},
		{"phone-confirmation", confirmPath, ".order-ref-id"},
	}
	for _, pg := range phonePages {
		c.navigate("open "+pg.name, s.url(shopHost(store), pg.path), 200)
		if pg.path != confirmPath {
			browserImagesLoad(c, pg.name, `img[src^="/images/"]`, 1)
		}
		o := browserEval[browserOverflow](c, pg.name+" overflow", browserJSOverflow)
		if o.ScrollWidth > o.InnerWidth {
			c.errorf(pg.name+" overflow", "the page is %d px wide in a %d px viewport; sticking out: %v", o.ScrollWidth, o.InnerWidth, o.Culprits)
		}
		if got := browserEval[string](c, pg.name+" button", browserJSVisible(pg.button)); got != "ok" {
			c.errorf(pg.name+" button", "%s: %s", pg.button, got)
		}
		c.shot(pg.name)
		if pg.path == "/" {
			// One tap on + brings up the sticky cart bar with the total.
			c.do("tap +", chromedp.Tap(chromedp.CSS(fmt.Sprintf(`#f-qty_%d + button`, first.id))))
			bar := browserEval[string](c, "cart bar", `(() => {
  const b = document.querySelector('[data-cart-bar]');
  return b && !b.hidden && b.getClientRects().length ? b.innerText.replace(/\s+/g, ' ').trim() : 'not shown';
})()`)
			if !strings.Contains(bar, "1 item") || !strings.Contains(bar, first.wantPrice) {
				c.errorf("cart bar", "after one tap on + the cart bar shows %q, want 1 item and %s", bar, first.wantPrice)
			}
			c.shotViewport("phone-shop-cart-bar")
		}
	}
	// The customer sees the order moving, and paid: no more UPI button.
	if got := c.text("status on the confirmation", ".order-ref .status"); !strings.EqualFold(got, "shipped") {
		c.errorf("status on the confirmation", "the confirmation page shows status %q, want Shipped", got)
	}
	if got := c.text("paid on the confirmation", ".payment-status"); got != "Paid" {
		c.errorf("paid on the confirmation", "the confirmation page's payment reads %q, want Paid", got)
	}
	if n := browserEval[int](c, "no UPI button", `document.querySelectorAll('a.upi-pay, img.upi-qr').length`); n != 0 {
		c.errorf("no UPI button", "the paid order's confirmation still shows %d UPI button/QR", n)
	}

	// ---- 6. No script errors anywhere ---------------------------------------------
	for _, tb := range []*browserTab{v, c} {
		tb.saveConsole()
		if errs := tb.consoleErrors(); len(errs) > 0 {
			t.Errorf("%s: the console has errors:\n  %s", tb.name, strings.Join(errs, "\n  "))
		}
	}
	t.Logf("browser scenario done in %s", time.Since(began).Round(time.Millisecond))
}

// browserCheckCard checks the prices the page shows for p around anchor
// (the first element anchorSel matches, widened to its closest container
// matching within): the selling price, the MRP struck through, the
// discount; and, with images on, a loaded image.
func browserCheckCard(tb *browserTab, p *browserProduct, anchorSel, within string) {
	tb.b.t.Helper()
	step := "prices of " + p.name
	type card struct {
		Found  bool     `json:"found"`
		Text   string   `json:"text"`
		Price  string   `json:"price"`
		Struck []string `json:"struck"`
	}
	got := browserEval[card](tb, step, fmt.Sprintf(`(() => {
  const a = document.querySelector(%q);
  if (!a) return {found: false};
  const c = a.closest(%q) || a.parentElement;
  const price = c.querySelector('.price');
  return {found: true, text: c.innerText.replace(/\s+/g, ' ').trim(),
    price: price ? price.textContent.trim() : '',
    struck: Array.from(c.querySelectorAll('s, del')).map(e => e.textContent.replace(/\s+/g, ' ').trim())};
})()`, anchorSel, within))
	if !got.Found {
		tb.fatalf(step, "no %s on the page", anchorSel)
	}
	if got.Price != p.wantPrice {
		tb.errorf(step, "price %q, want %s (card: %q)", got.Price, p.wantPrice, got.Text)
	}
	if !slices.ContainsFunc(got.Struck, func(s string) bool { return strings.HasSuffix(s, p.wantMRP) }) {
		tb.errorf(step, "struck-through %q, want the MRP %s (card: %q)", got.Struck, p.wantMRP, got.Text)
	}
	if !strings.Contains(got.Text, p.wantOff) {
		tb.errorf(step, "no %q in the card %q", p.wantOff, got.Text)
	}
	sel := fmt.Sprintf(`:is(%s):has(%s) img`, within, anchorSel)
	if anchorSel == "h1" {
		sel = `main img[src^="/images/"]`
	}
	browserImagesLoad(tb, "image of "+p.name, sel, 1)
}

// browserCheckCoupon checks the console's row of the discount code: uses
// so far and uses left.
func browserCheckCoupon(tb *browserTab, code, used, left string) {
	tb.b.t.Helper()
	step := "code " + code
	row := browserEval[map[string]string](tb, step, fmt.Sprintf(`(() => {
  const r = document.querySelector('tr.coupon-row[data-code=%q]');
  const t = s => (r.querySelector(s) || {}).textContent || '';
  return r ? {used: t('.coupon-uses').trim(), left: t('.coupon-left').trim(), state: t('.coupon-state').trim()} : {};
})()`, code))
	if row["used"] != used || row["left"] != left || row["state"] != "active" {
		tb.errorf(step, "the console's row of %s is %v, want used %s, left %s, active", code, row, used, left)
	}
}

// browserQRLoads checks that the confirmation's UPI QR code is the order's
// upi.svg and loads as an image.
func browserQRLoads(tb *browserTab, token string) {
	tb.b.t.Helper()
	imgs := browserEval[[]browserImage](tb, "UPI QR", browserJSImages("img.upi-qr"))
	if len(imgs) != 1 {
		tb.errorf("UPI QR", "%d UPI QR images on the page, want 1", len(imgs))
		return
	}
	im := imgs[0]
	if im.Src != "/orders/"+token+"/upi.svg" || im.W == 0 || im.H == 0 || im.Alt == nil || *im.Alt == "" {
		tb.errorf("UPI QR", "the UPI QR is %+v, want /orders/%s/upi.svg, loaded, with an alt", im, token)
	}
}

// browserImagesLoad checks that at least n images sel matches are served
// from /images/ and load (naturalWidth > 0).
func browserImagesLoad(tb *browserTab, step, sel string, n int) {
	tb.b.t.Helper()
	imgs := browserEval[[]browserImage](tb, step, browserJSImages(sel))
	if len(imgs) < n {
		tb.errorf(step, "%d images match %s, want at least %d", len(imgs), sel, n)
		return
	}
	for _, im := range imgs {
		if !strings.HasPrefix(im.Src, "/images/") {
			tb.errorf(step, "image src %q does not start with /images/", im.Src)
		}
		if im.W == 0 || im.H == 0 {
			tb.errorf(step, "image %s did not load (natural size %d×%d)", im.Current, im.W, im.H)
		}
		if im.Alt == nil {
			tb.errorf(step, "image %s has no alt", im.Src)
		}
	}
}

// browserA11y checks the page: every rendered form control has a label,
// every image an alt, all text AA contrast.
func browserA11y(tb *browserTab, page string) {
	tb.b.t.Helper()
	browserAxe(tb, page)
	if bad := browserEval[[]string](tb, page+": labels", browserJSUnlabelled); len(bad) > 0 {
		tb.errorf(page+": labels", "%d form controls without a label:\n  %s", len(bad), strings.Join(bad, "\n  "))
	}
	if bad := browserEval[[]string](tb, page+": alt", browserJSNoAlt); len(bad) > 0 {
		tb.errorf(page+": alt", "%d images without alt:\n  %s", len(bad), strings.Join(bad, "\n  "))
	}
	if bad := browserEval[[]string](tb, page+": contrast", browserJSLowContrast); len(bad) > 0 {
		tb.errorf(page+": contrast", "text below WCAG AA contrast:\n  %s", strings.Join(bad, "\n  "))
	}
}

// browserTabTo presses Tab (at most max times) until the element with id
// has the focus.
func browserTabTo(tb *browserTab, id string, max int) {
	tb.b.t.Helper()
	browserTabToSel(tb, "#"+id, max)
}

func browserTabToSel(tb *browserTab, sel string, max int) {
	tb.b.t.Helper()
	step := "Tab to " + sel
	var path []string
	for range max {
		tb.do(step, chromedp.KeyEvent("\t"))
		at := browserEval[string](tb, step, fmt.Sprintf(`(() => {
  const e = document.activeElement;
  if (e && e.matches(%q)) return '';
  return e ? e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') + (e.getAttribute('aria-label') ? '[' + e.getAttribute('aria-label') + ']' : '') : 'nothing';
})()`, sel))
		if at == "" {
			return
		}
		path = append(path, at)
	}
	tb.fatalf(step, "%d Tabs went through %v without reaching %s", max, path, sel)
}

// browserGallery adds a second photo to a product through the console's
// several-file field, then on the shop's product page (purged by the
// edit) Tabs to the second thumbnail and presses Enter: without any
// script of ours, that photo shows and the cover hides.
func browserGallery(v, c *browserTab, editURL, pageURL, photo, name string) {
	v.b.t.Helper()
	v.navigate("gallery: edit the product", editURL, 200)
	v.do("gallery: choose a second photo", chromedp.SetUploadFiles(chromedp.ID("f-photos"), []string{photo}))
	v.submit("gallery: save", 200, "/products",
		chromedp.Click(chromedp.CSS(`form[action$="/edit"] button[type="submit"]`)))
	c.navigate("gallery: the product page", pageURL, 200)
	if n := browserEval[int](c, "gallery thumbnails", `document.querySelectorAll('.gallery a.gallery-thumb').length`); n != 2 {
		c.fatalf("gallery thumbnails", "%d thumbnails on the product page, want 2", n)
	}
	browserA11y(c, "product page with a gallery")
	c.do("gallery: focus the back link", chromedp.Focus(chromedp.CSS(`.product-detail .back a`)))
	browserTabToSel(c, `a.gallery-thumb[href="#photo-2"]`, 4)
	if label := browserEval[string](c, "gallery: thumbnail name", `document.activeElement.querySelector('img').alt`); label != name+", photo 2 of 2" {
		c.errorf("gallery: thumbnail name", "the focused thumbnail is %q, want %q", label, name+", photo 2 of 2")
	}
	c.do("gallery: activate the thumbnail", chromedp.KeyEvent("\r"))
	shown := browserEval[map[string]any](c, "gallery: second photo shown", `new Promise(function (done) {
		var t0 = Date.now();
		(function check() {
			var one = document.getElementById('photo-1'), two = document.getElementById('photo-2');
			var img = two && two.querySelector('img');
			var st = {hash: location.hash, one: one ? getComputedStyle(one).display : '', two: two ? getComputedStyle(two).display : '',
				loaded: !!(img && img.complete && img.naturalWidth > 0)};
			if ((st.two !== 'none' && st.loaded && st.one === 'none') || Date.now() - t0 > 3000) return done(st);
			setTimeout(check, 50);
		})();
	})`)
	if shown["hash"] != "#photo-2" || shown["two"] == "none" || shown["one"] != "none" || shown["loaded"] != true {
		c.errorf("gallery: second photo shown", "after Enter on the second thumbnail: %v; want #photo-2 shown and loaded, #photo-1 hidden", shown)
	}
	c.shot("product-gallery")
}
