package main

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"math/rand/v2"
	"mime/multipart"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
)

// testPhoto is a w×h PNG: a gradient, or noise (which compresses badly,
// for size limits).
func testPhoto(tb testing.TB, w, h int, noise bool) []byte {
	tb.Helper()
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	rng := rand.New(rand.NewPCG(uint64(w), uint64(h)))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			c := color.NRGBA{uint8(x * 255 / w), uint8(y * 255 / h), 160, 255}
			if noise {
				c = color.NRGBA{uint8(rng.Uint32()), uint8(rng.Uint32()), uint8(rng.Uint32()), 255}
			}
			img.Set(x, y, c)
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

// submitMultipart is submit for a form with files: GET the page, take its
// csrf_token, POST multipart/form-data.
func (c *client) submitMultipart(tb testing.TB, page, action string, form url.Values, files map[string][]byte) *response {
	tb.Helper()
	p := c.get(tb, adminHost, page)
	wantStatus(tb, p, http.StatusOK)
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	vals := cloneValues(form)
	vals.Set("csrf_token", csrfToken(tb, p))
	for k, vs := range vals {
		for _, v := range vs {
			_ = mw.WriteField(k, v)
		}
	}
	for field, data := range files {
		fw, err := mw.CreateFormFile(field, field+".png")
		if err != nil {
			tb.Fatal(err)
		}
		fw.Write(data)
	}
	mw.Close()
	r, err := c.doBody(http.MethodPost, adminHost, action, &body, mw.FormDataContentType(), nil)
	if err != nil {
		tb.Fatal(err)
	}
	return r
}

var photoSrc = regexp.MustCompile(`^/images/v[0-9]+/[0-9a-f]{20}-(320|640|1200)\.jpg$`)

// cardPhoto is the src of product id's photo on a shop page, or "".
func cardPhoto(doc *goquery.Document, id int64) string {
	src, _ := productCard(doc, id).Find("img.product-img").Attr("src")
	return src
}

// jpegWidth fetches a photo and returns its decoded width.
func jpegWidth(tb testing.TB, r *response) int {
	tb.Helper()
	img, err := jpeg.Decode(bytes.NewReader(r.body))
	if err != nil {
		tb.Fatalf("%s %s: not a JPEG: %v", r.host, r.path, err)
	}
	return img.Bounds().Dx()
}

func TestProductPhotos(t *testing.T) {
	for _, dialect := range dialects {
		t.Run(dialect, func(t *testing.T) {
			a := startApp(t, dialect, map[string]string{"DUKAAN_IMAGE_DIR": t.TempDir(), "DUKAAN_IMAGE_MAX_MB": "1"})
			v := a.signup(t, "photo-shop")
			other := a.signup(t, "other-shop")
			shopper := a.newClient()

			// Added with a photo.
			r := v.c.submitMultipart(t, "/products/new", "/products/new",
				productFields("Brass lamp", "1200", "999", "5", true), map[string][]byte{"image": testPhoto(t, 800, 600, false)})
			wantRedirect(t, r, "/products")
			id := v.productIDs(t)["Brass lamp"]
			list := v.c.get(t, adminHost, "/products")
			thumb, _ := row(list.doc, "Brass lamp").Find("img").Attr("src")
			if !photoSrc.MatchString(thumb) {
				t.Fatalf("console thumbnail src %q", thumb)
			}
			if img := v.c.get(t, adminHost, thumb); img.status != http.StatusOK || !strings.HasPrefix(img.header.Get("Cache-Control"), "private") {
				t.Errorf("console photo: %d, Cache-Control %q", img.status, img.header.Get("Cache-Control"))
			}

			shop := shopper.get(t, v.shop(), "/")
			src := cardPhoto(shop.doc, id)
			if !photoSrc.MatchString(src) || !strings.HasSuffix(src, "-320.jpg") {
				t.Fatalf("shop card photo src %q", src)
			}
			srcset, _ := productCard(shop.doc, id).Find("img.product-img").Attr("srcset")
			key := strings.TrimSuffix(src, "-320.jpg")
			for _, w := range []string{"320", "640", "1200"} {
				if !strings.Contains(srcset, key+"-"+w+".jpg "+w+"w") {
					t.Errorf("srcset %q lacks width %s", srcset, w)
				}
			}
			page := shopper.get(t, v.shop(), fmt.Sprintf("/p/%d", id))
			if alt, _ := page.doc.Find("img.product-img-lg").Attr("alt"); alt != "Brass lamp" {
				t.Errorf("product page photo alt %q, want the product name", alt)
			}
			for w, want := range map[string]int{"320": 320, "640": 640, "1200": 800} { // never enlarged
				img := shopper.get(t, v.shop(), key+"-"+w+".jpg")
				wantStatus(t, img, http.StatusOK)
				wantHeader(t, img, "Content-Type", "image/jpeg")
				wantHeader(t, img, "Cache-Control", "public, max-age=31536000, immutable")
				if got := jpegWidth(t, img); got != want {
					t.Errorf("width %s file is %d pixels wide, want %d", w, got, want)
				}
			}
			// Only the store's own photos, on its own host or its own console.
			wantStatus(t, shopper.get(t, other.shop(), key+"-320.jpg"), http.StatusNotFound)
			wantStatus(t, other.c.get(t, adminHost, key+"-320.jpg"), http.StatusNotFound)
			wantRedirect(t, a.newClient().get(t, adminHost, key+"-320.jpg"), "/login")
			wantStatus(t, shopper.get(t, v.shop(), key+"-321.jpg"), http.StatusNotFound)
			wantStatus(t, shopper.get(t, v.shop(), "/images/../../etc/passwd"), http.StatusNotFound)

			// Not a photo: the form comes back with the message, nothing is added.
			before := len(v.productIDs(t))
			r = v.c.submitMultipart(t, "/products/new", "/products/new",
				productFields("Fake", "100", "90", "1", true), map[string][]byte{"image": []byte("MZ this is not an image at all")})
			wantStatus(t, r, http.StatusUnprocessableEntity)
			if msg := fieldError(r.doc, "image"); !strings.Contains(msg, "JPEG, PNG or WebP") {
				t.Errorf("image error %q", msg)
			}
			if got := len(v.productIDs(t)); got != before {
				t.Errorf("a refused photo added a product: %d products, want %d", got, before)
			}
			// Over the limit (1 MB here) but within the body limit: a field message.
			big := testPhoto(t, 700, 700, true)
			if len(big) < 1<<20 || len(big) > 2<<20 {
				t.Fatalf("noise photo is %d bytes; want 1–2 MB", len(big))
			}
			r = v.c.submitMultipart(t, "/products/new", "/products/new", productFields("Big", "100", "90", "1", true), map[string][]byte{"image": big})
			wantStatus(t, r, http.StatusUnprocessableEntity)
			if msg := fieldError(r.doc, "image"); !strings.Contains(msg, "larger than 1 MB") {
				t.Errorf("oversized photo error %q", msg)
			}
			// Far over: the body limit answers before anything is parsed.
			r = v.c.submitMultipart(t, "/products/new", "/products/new", productFields("Huge", "100", "90", "1", true),
				map[string][]byte{"image": append(big, bytes.Repeat([]byte{0}, 2<<20)...)})
			wantStatus(t, r, http.StatusRequestEntityTooLarge)

			// A good photo with a bad price: the photo is kept for the
			// second attempt, which sends no file.
			r = v.c.submitMultipart(t, "/products/new", "/products/new",
				productFields("Clay pot", "100", "150", "3", true), map[string][]byte{"image": testPhoto(t, 300, 300, false)})
			wantStatus(t, r, http.StatusUnprocessableEntity)
			if fieldError(r.doc, "price") == "" {
				t.Fatalf("want a price error; form errors %v", fieldErrors(r.doc))
			}
			kept, ok := inputValue(r.doc, "image_key")
			if !ok || kept == "" {
				t.Fatal("the refused form did not keep the uploaded photo")
			}
			fixed := productFields("Clay pot", "100", "90", "3", true)
			fixed.Set("image_key", kept)
			wantRedirect(t, v.c.submit(t, "/products/new", "/products/new", fixed), "/products")
			pot := v.productIDs(t)["Clay pot"]
			if src := cardPhoto(shopper.get(t, v.shop(), "/").doc, pot); !strings.Contains(src, kept) {
				t.Errorf("clay pot photo %q, want key %s", src, kept)
			}
			// Another vendor's key cannot be smuggled in.
			theirs := productFields("Stolen", "100", "90", "1", true)
			theirs.Set("image_key", kept)
			r = other.c.submit(t, "/products/new", "/products/new", theirs)
			wantStatus(t, r, http.StatusUnprocessableEntity)
			if msg := fieldError(r.doc, "image"); !strings.Contains(msg, "choose it again") {
				t.Errorf("another vendor's photo key: image error %q", msg)
			}
			if _, ok := other.productIDs(t)["Stolen"]; ok {
				t.Error("a product was created with another vendor's photo key")
			}

			// The same photo on a second product is one set of files.
			r = v.c.submitMultipart(t, "/products/new", "/products/new",
				productFields("Brass lamp, pair", "2400", "1900", "2", true), map[string][]byte{"image": testPhoto(t, 800, 600, false)})
			wantRedirect(t, r, "/products")
			pair := v.productIDs(t)["Brass lamp, pair"]
			if got := cardPhoto(shopper.get(t, v.shop(), "/").doc, pair); got != src {
				t.Fatalf("the same photo got another name: %q, want %q", got, src)
			}

			// Edited without a file: the photo stays. Removed: the shop
			// (purged by the product event) shows the letter tile again.
			form := v.productForm(t, id)
			wantRedirect(t, v.c.submit(t, fmt.Sprintf("/products/%d/edit", id), fmt.Sprintf("/products/%d/edit", id), form), "/products")
			if src := cardPhoto(shopper.get(t, v.shop(), "/").doc, id); src == "" {
				t.Error("saving the form without a file dropped the photo")
			}
			// Removal ticked on a form refused for another field stays ticked.
			refused := cloneValues(form)
			refused.Set("image_remove", "on")
			refused.Set("price", "99999")
			r = v.c.submit(t, fmt.Sprintf("/products/%d/edit", id), fmt.Sprintf("/products/%d/edit", id), refused)
			wantStatus(t, r, http.StatusUnprocessableEntity)
			if _, ok := r.doc.Find(`input[name="image_remove"]`).Attr("checked"); !ok {
				t.Error("the refused form lost the ticked “Remove this photo”")
			}
			form.Set("image_remove", "on")
			wantRedirect(t, v.c.submit(t, fmt.Sprintf("/products/%d/edit", id), fmt.Sprintf("/products/%d/edit", id), form), "/products")
			shop = shopper.get(t, v.shop(), "/")
			if src := cardPhoto(shop.doc, id); src != "" {
				t.Errorf("photo still on the shop after removal: %q", src)
			}
			if productCard(shop.doc, id).Find(".thumb").Length() != 1 {
				t.Error("no letter tile in place of the removed photo")
			}
			// Its files stay while the pair still shows them, and go with
			// the last product that does.
			wantStatus(t, shopper.get(t, v.shop(), src), http.StatusOK)
			edit := fmt.Sprintf("/products/%d/edit", pair)
			wantRedirect(t, v.c.submit(t, edit, fmt.Sprintf("/products/%d/delete", pair), url.Values{}), "/products")
			for _, w := range []string{"320", "640", "1200"} {
				wantStatus(t, shopper.get(t, v.shop(), key+"-"+w+".jpg"), http.StatusNotFound)
			}
		})
	}
}

// TestStoreSettings: the settings page changes the shop's header at once,
// through the edge and on a replica whose store lookup was cached before
// the change.
func TestStoreSettings(t *testing.T) {
	s := cacheStart(t, cacheOpts{replicas: 2, edges: 1})
	edge := s.via[0]
	v := edge.signup(t, "asha-sweets")
	v.addProduct(t, "Kaju katli", "600", "540", 10, true)
	shopper := edge.newClient()
	direct := s.apps[1].newClient() // the second replica, not through the edge

	warm := func(c *client) *response {
		c.get(t, v.shop(), "/")
		return c.get(t, v.shop(), "/")
	}
	if r := warm(shopper); edgeCache(r) != "HIT" {
		t.Fatalf("edge did not cache the shop: %s", edgeCache(r))
	}
	warm(direct)

	page := v.c.get(t, adminHost, "/settings")
	wantStatus(t, page, http.StatusOK)
	if got, _ := inputValue(page.doc, "name"); got != "asha-sweets" {
		t.Errorf("settings name = %q, want the signup's default", got)
	}

	bad := url.Values{"name": {"Asha Sweets"}, "description": {"x"}, "whatsapp": {"12345"}}
	r := v.c.submit(t, "/settings", "/settings", bad)
	wantStatus(t, r, http.StatusUnprocessableEntity)
	if fieldError(r.doc, "whatsapp") == "" {
		t.Errorf("no whatsapp error; errors %v", fieldErrors(r.doc))
	}
	if got, _ := inputValue(r.doc, "name"); got != "Asha Sweets" {
		t.Errorf("refused form lost what was typed: name %q", got)
	}
	if strings.Contains(text(shopper.get(t, v.shop(), "/").doc.Find("header")), "Asha Sweets") {
		t.Error("a refused settings form changed the shop")
	}

	good := url.Values{"name": {"Asha Sweets"}, "description": {"Fresh mithai every morning, Jayanagar."}, "whatsapp": {"98765 43210"}}
	wantRedirect(t, v.c.submit(t, "/settings", "/settings", good), "/settings")
	after := v.c.get(t, adminHost, "/settings")
	if !strings.Contains(text(after.doc.Find(".flash")), "Saved") {
		t.Errorf("no flash after saving; got %q", text(after.doc.Find(".flash")))
	}
	for name, c := range map[string]*client{"through the edge": shopper, "on the other replica": direct} {
		r := c.get(t, v.shop(), "/")
		wantStatus(t, r, http.StatusOK)
		if got := text(r.doc.Find(".store-brand-name")); got != "Asha Sweets" {
			t.Errorf("%s: header name %q, want the new one", name, got)
		}
		if got := text(r.doc.Find(".store-desc")); got != good.Get("description") {
			t.Errorf("%s: description %q", name, got)
		}
		if href, _ := r.doc.Find("a.btn-whatsapp").Attr("href"); href != "https://wa.me/919876543210" {
			t.Errorf("%s: WhatsApp link %q", name, href)
		}
	}
}

// TestProductPhotosThroughEdge: an upload on one replica is served by the
// other (one shared directory) and kept by the edge.
func TestProductPhotosThroughEdge(t *testing.T) {
	s := cacheStart(t, cacheOpts{replicas: 2, edges: 1})
	edge := s.via[0]
	v := edge.signup(t, "photo-edge")
	// A photo over nginx's default 1 MB body limit, as phones take them.
	photo := testPhoto(t, 700, 700, true)
	if len(photo) < 1<<20 {
		t.Fatalf("test photo is only %d bytes; want over 1 MiB", len(photo))
	}
	r := v.c.submitMultipart(t, "/products/new", "/products/new",
		productFields("Silk scarf", "900", "750", "4", true), map[string][]byte{"image": photo})
	wantRedirect(t, r, "/products")
	id := v.productIDs(t)["Silk scarf"]
	shopper := edge.newClient()
	src := cardPhoto(shopper.get(t, v.shop(), "/").doc, id)
	if src == "" {
		t.Fatal("no photo on the shop through the edge")
	}
	first := shopper.get(t, v.shop(), src)
	wantStatus(t, first, http.StatusOK)
	second := shopper.get(t, v.shop(), src)
	wantStatus(t, second, http.StatusOK)
	if got := edgeCache(second); got != "HIT" {
		t.Errorf("second fetch of a photo: X-Cache-Status %q, want HIT", got)
	}
	wantHeader(t, second, "Cache-Control", "public, max-age=31536000, immutable")
	for i, a := range s.apps {
		img := a.newClient().get(t, v.shop(), src)
		wantStatus(t, img, http.StatusOK)
		if w := jpegWidth(t, img); w != 320 {
			t.Errorf("replica %d served a photo %d wide", i, w)
		}
	}
}
