package main

import (
	"bytes"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
)

// upload is one file of a multipart form.
type upload struct {
	field, name string
	data        []byte
}

// submitUploads is submitMultipart with several files, several per field
// if need be (the product form's "photos").
func (c *client) submitUploads(tb testing.TB, page, action string, form url.Values, files []upload) *response {
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
	for _, f := range files {
		fw, err := mw.CreateFormFile(f.field, f.name)
		if err != nil {
			tb.Fatal(err)
		}
		fw.Write(f.data)
	}
	mw.Close()
	r, err := c.doBody(http.MethodPost, adminHost, action, &body, mw.FormDataContentType(), nil)
	if err != nil {
		tb.Fatal(err)
	}
	return r
}

// galleryKeys are the photo keys of a product page's gallery in order,
// checking its markup on the way: slides photo-1…N, the first loaded
// eagerly and the others lazily, each with width, height and a srcset of
// every size; a thumbnail link to each slide with the alt text
// "<name>, photo i of N".
func galleryKeys(tb testing.TB, doc *goquery.Document, name string) []string {
	tb.Helper()
	var keys []string
	slides := doc.Find(".gallery .gallery-slide")
	thumbs := doc.Find(".gallery a.gallery-thumb")
	if thumbs.Length() != slides.Length() {
		tb.Errorf("%d slides but %d thumbnails", slides.Length(), thumbs.Length())
	}
	n := slides.Length()
	slides.Each(func(i int, s *goquery.Selection) {
		if id, _ := s.Attr("id"); id != "photo-"+strconv.Itoa(i+1) {
			tb.Errorf("slide %d id %q", i+1, id)
		}
		img := s.Find("img")
		src, _ := img.Attr("src")
		key := strings.TrimSuffix(src, "-640.jpg")
		keys = append(keys, key)
		srcset, _ := img.Attr("srcset")
		for _, w := range []string{"320", "640", "1200"} {
			if !strings.Contains(srcset, key+"-"+w+".jpg "+w+"w") {
				tb.Errorf("slide %d srcset %q lacks %s", i+1, srcset, w)
			}
		}
		if _, ok := img.Attr("width"); !ok {
			tb.Errorf("slide %d img has no width", i+1)
		}
		if _, ok := img.Attr("height"); !ok {
			tb.Errorf("slide %d img has no height", i+1)
		}
		lazy, _ := img.Attr("loading")
		if (i == 0) != (lazy == "") {
			tb.Errorf("slide %d loading=%q (only the first is eager)", i+1, lazy)
		}
		want := fmt.Sprintf("%s, photo %d of %d", name, i+1, n)
		if alt, _ := img.Attr("alt"); alt != want {
			tb.Errorf("slide %d alt %q, want %q", i+1, alt, want)
		}
		th := thumbs.Eq(i)
		if href, _ := th.Attr("href"); href != "#photo-"+strconv.Itoa(i+1) {
			tb.Errorf("thumbnail %d href %q", i+1, href)
		}
		if alt, _ := th.Find("img").Attr("alt"); alt != want {
			tb.Errorf("thumbnail %d alt %q, want %q", i+1, alt, want)
		}
		if tsrc, _ := th.Find("img").Attr("src"); tsrc != key+"-320.jpg" {
			tb.Errorf("thumbnail %d src %q, want the 320 px file of %s", i+1, tsrc, key)
		}
	})
	return keys
}

// TestProductGallery: several photos uploaded through the console form,
// reordered and one removed in one save; the product page (warm in the
// app's tiers) shows the new order right after the redirect, the removed
// photo's files are gone, a ninth photo and a bad file are refused with
// nothing lost, and the logo and banner show on the shop.
func TestProductGallery(t *testing.T) {
	s := cacheStart(t, cacheOpts{})
	a := s.apps[0]
	v := a.signup(t, "chai-corner")
	shopper := a.newClient()
	photo := func(w int) []byte { return testPhoto(t, w, 200, false) }

	r := v.c.submitUploads(t, "/products/new", "/products/new", productFields("Masala Chai", "300", "250", "9", true), []upload{
		{"photos", "one.png", photo(201)}, {"photos", "two.png", photo(202)}, {"photos", "three.png", photo(203)},
	})
	wantRedirect(t, r, "/products")
	id := v.productIDs(t)["Masala Chai"]
	path := fmt.Sprintf("/p/%d", id)
	page := shopper.get(t, v.shop(), path)
	wantStatus(t, page, http.StatusOK)
	keys := galleryKeys(t, page.doc, "Masala Chai")
	if len(keys) != 3 {
		t.Fatalf("gallery shows %d photos, want 3: %v", len(keys), keys)
	}
	if card := cardPhoto(shopper.get(t, v.shop(), "/").doc, id); card != keys[0]+"-320.jpg" {
		t.Errorf("card photo %q, want the cover %s", card, keys[0])
	}
	if og, _ := page.doc.Find(`meta[property="og:image"]`).Attr("content"); !strings.HasSuffix(og, keys[0]+"-1200.jpg") {
		t.Errorf("og:image %q, want the cover", og)
	}
	if hit := shopper.get(t, v.shop(), path); !strings.HasPrefix(appCache(hit), "HIT") {
		t.Fatalf("product page not cached by the app: X-App-Cache %q", appCache(hit))
	}

	// Reorder (third first, first second) and remove the second, in one save.
	form := v.productForm(t, id)
	for n, key := range keys {
		if got := form.Get("photo_" + strconv.Itoa(n+1)); "/images/"+got != key {
			t.Fatalf("edit form photo_%d = %q, want %s", n+1, got, key)
		}
	}
	form.Set("photo_3_pos", "1")
	form.Set("photo_1_pos", "2")
	form.Set("photo_2_remove", "on")
	edit := fmt.Sprintf("/products/%d/edit", id)
	wantRedirect(t, v.c.submit(t, edit, edit, form), "/products")
	page = shopper.get(t, v.shop(), path)
	got := galleryKeys(t, page.doc, "Masala Chai")
	if len(got) != 2 || got[0] != keys[2] || got[1] != keys[0] {
		t.Fatalf("after reorder the gallery is %v (X-App-Cache %q), want [%s %s]", got, appCache(page), keys[2], keys[0])
	}
	if card := cardPhoto(shopper.get(t, v.shop(), "/").doc, id); card != keys[2]+"-320.jpg" {
		t.Errorf("card photo after reorder %q, want the new cover", card)
	}
	for _, w := range []string{"320", "640", "1200"} {
		wantStatus(t, shopper.get(t, v.shop(), keys[1]+"-"+w+".jpg"), http.StatusNotFound)
		wantStatus(t, shopper.get(t, v.shop(), keys[0]+"-"+w+".jpg"), http.StatusOK)
	}

	// Seven more make nine: refused with the limit's message, nothing
	// saved, every upload kept on the form; untick one and it saves eight.
	var more []upload
	for i := range 7 {
		more = append(more, upload{"photos", fmt.Sprintf("more-%d.png", i), photo(210 + i)})
	}
	form = v.productForm(t, id)
	r = v.c.submitUploads(t, edit, edit, form, more)
	wantStatus(t, r, http.StatusUnprocessableEntity)
	if msg := fieldError(r.doc, "photos"); !strings.Contains(msg, "at most 8 photos") {
		t.Errorf("nine photos: photos error %q; errors %v", msg, fieldErrors(r.doc))
	}
	if got := galleryKeys(t, shopper.get(t, v.shop(), path).doc, "Masala Chai"); len(got) != 2 {
		t.Errorf("a refused ninth photo changed the product: %v", got)
	}
	refused := formValues(r.doc, edit)
	if refused.Get("photo_9") == "" {
		t.Fatalf("the refused form did not keep the nine photos: %v", refused)
	}
	refused.Set("photo_9_remove", "on")
	wantRedirect(t, v.c.submit(t, edit, edit, refused), "/products")
	if got := galleryKeys(t, shopper.get(t, v.shop(), path).doc, "Masala Chai"); len(got) != 8 || got[0] != keys[2] {
		t.Errorf("after unticking one: %d photos, cover %v", len(got), got)
	}

	// A bad file among good ones names the file; the good one is kept.
	r = v.c.submitUploads(t, "/products/new", "/products/new", productFields("Ginger Tea", "200", "180", "4", true), []upload{
		{"photos", "ginger.png", photo(230)}, {"photos", "notes.txt", []byte("not a photo at all")},
	})
	wantStatus(t, r, http.StatusUnprocessableEntity)
	if msg := fieldError(r.doc, "photos"); !strings.Contains(msg, "“notes.txt”") || !strings.Contains(msg, "JPEG, PNG or WebP") {
		t.Errorf("bad file: photos error %q", msg)
	}
	if _, ok := v.productIDs(t)["Ginger Tea"]; ok {
		t.Fatal("a form with a bad photo added the product")
	}
	again := formValues(r.doc, "/products/new")
	if again.Get("photo_1") == "" || again.Get("name") != "Ginger Tea" {
		t.Fatalf("the refused form lost the good photo or the typed name: %v", again)
	}
	wantRedirect(t, v.c.submit(t, "/products/new", "/products/new", again), "/products")
	ginger := v.productIDs(t)["Ginger Tea"]
	if card := cardPhoto(shopper.get(t, v.shop(), "/").doc, ginger); card != "/images/"+again.Get("photo_1")+"-320.jpg" {
		t.Errorf("ginger tea card %q, want the kept upload %s", card, again.Get("photo_1"))
	}

	// Nine files in one post: eight are taken (and kept on the refused
	// form), the ninth is named as not added; nothing is saved.
	var nine []upload
	for i := range 9 {
		nine = append(nine, upload{"photos", fmt.Sprintf("batch-%d.png", i), photo(240 + i)})
	}
	r = v.c.submitUploads(t, "/products/new", "/products/new", productFields("Tulsi Tea", "200", "180", "4", true), nine)
	wantStatus(t, r, http.StatusUnprocessableEntity)
	if msg := fieldError(r.doc, "photos"); !strings.Contains(msg, "at most 8 photos at a time") || !strings.Contains(msg, "“batch-8.png”") {
		t.Errorf("nine files at once: photos error %q", msg)
	}
	batch := formValues(r.doc, "/products/new")
	if batch.Get("photo_8") == "" || batch.Get("photo_9") != "" {
		t.Errorf("the refused form should keep exactly the eight taken: %v", batch)
	}
	if _, ok := v.productIDs(t)["Tulsi Tea"]; ok {
		t.Error("a refused batch added the product")
	}
	wantRedirect(t, v.c.submit(t, "/products/new", "/products/new", batch), "/products")
	tulsi := v.productIDs(t)["Tulsi Tea"]
	if got := galleryKeys(t, shopper.get(t, v.shop(), fmt.Sprintf("/p/%d", tulsi)).doc, "Tulsi Tea"); len(got) != 8 {
		t.Errorf("the batch saved %d photos, want 8", len(got))
	}

	// Logo and banner: the header (every page) and the front page, at once.
	shopper.get(t, v.shop(), "/")
	r = v.c.submitUploads(t, "/settings", "/settings", url.Values{"name": {"Chai Corner"}}, []upload{
		{"logo", "logo.png", testPhoto(t, 128, 128, false)}, {"banner", "banner.png", testPhoto(t, 1500, 400, false)},
	})
	wantRedirect(t, r, "/settings")
	front := shopper.get(t, v.shop(), "/")
	logo, _ := front.doc.Find("header img.store-logo").Attr("src")
	if !photoSrc.MatchString(logo) {
		t.Fatalf("no logo in the shop header (X-App-Cache %q): %q", appCache(front), logo)
	}
	if alt, _ := front.doc.Find("header img.store-logo").Attr("alt"); !strings.Contains(alt, "Chai Corner") {
		t.Errorf("logo alt %q", alt)
	}
	banner, _ := front.doc.Find("img.store-banner").Attr("src")
	if !strings.HasSuffix(banner, "-1200.jpg") || !photoSrc.MatchString(banner) {
		t.Errorf("front page banner %q", banner)
	}
	wantStatus(t, shopper.get(t, v.shop(), banner), http.StatusOK)
	product := shopper.get(t, v.shop(), path)
	if l, _ := product.doc.Find("header img.store-logo").Attr("src"); l != logo {
		t.Errorf("product page header logo %q, want %q", l, logo)
	}
	if product.doc.Find("img.store-banner").Length() != 0 {
		t.Error("the banner shows on a product page")
	}
	// The settings form shows them, and a save without files keeps them.
	set := v.c.get(t, adminHost, "/settings")
	if set.doc.Find(`input[name="logo_remove"]`).Length() != 1 || set.doc.Find(`input[name="banner_remove"]`).Length() != 1 {
		t.Error("settings show no remove boxes for the logo and banner")
	}
	keep := formValues(set.doc, "/settings")
	wantRedirect(t, v.c.submit(t, "/settings", "/settings", keep), "/settings")
	if l, _ := shopper.get(t, v.shop(), "/").doc.Find("header img.store-logo").Attr("src"); l != logo {
		t.Errorf("a save without files changed the logo: %q", l)
	}
	// A bad logo: the message, and nothing changed.
	r = v.c.submitUploads(t, "/settings", "/settings", url.Values{"name": {"Renamed"}}, []upload{{"logo", "logo.txt", []byte("nope")}})
	wantStatus(t, r, http.StatusUnprocessableEntity)
	if msg := fieldError(r.doc, "logo"); !strings.Contains(msg, "JPEG, PNG or WebP") {
		t.Errorf("bad logo error %q", msg)
	}
	if got := text(shopper.get(t, v.shop(), "/").doc.Find(".store-brand-name")); got != "Chai Corner" {
		t.Errorf("a refused settings form changed the shop: %q", got)
	}

	// A shop whose products have no photo shares its banner.
	w := a.signup(t, "plain-shop")
	w.addProduct(t, "Plain biscuit", "50", "40", 3, true)
	r = w.c.submitUploads(t, "/settings", "/settings", url.Values{"name": {"Plain Shop"}}, []upload{{"banner", "b.png", testPhoto(t, 1300, 300, false)}})
	wantRedirect(t, r, "/settings")
	og, _ := shopper.get(t, w.shop(), "/").doc.Find(`meta[property="og:image"]`).Attr("content")
	if !strings.HasSuffix(og, "-1200.jpg") || !strings.Contains(og, "/images/v") {
		t.Errorf("og:image of a shop without product photos %q, want its banner", og)
	}
}
