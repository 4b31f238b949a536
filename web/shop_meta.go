package web

import (
	"encoding/json"
	"fmt"
	"html/template"
	"strings"
	"unicode/utf8"

	"dukaan/app"
)

// Head tags of shop pages, so a shared link previews (WhatsApp, Facebook
// and X read OpenGraph and Twitter tags) and search engines index the
// canonical page. Product pages say og:type "product" with the OpenGraph
// product object's product:price:amount and product:price:currency, and
// carry schema.org Product JSON-LD with an Offer.

// metaDescriptionLen is where a description is cut for meta tags: search
// results and previews show about this much.
const metaDescriptionLen = 160

// Meta is the head of a shop page. URLs are absolute (DUKAAN_HTTPS and
// DUKAAN_PUBLIC_PORT, as the shop's links).
type Meta struct {
	Description string
	Canonical   string // also og:url
	Type        string // og:type: "website" or "product"
	Image       string // og:image, the 1200 px photo; "" for none
	ImageAlt    string
	Price       string // product:price:amount, rupees as "499.00"; "" off product pages
	// JSONLD is the product's schema.org JSON-LD, escaped by encoding/json
	// (<, > and & as \u003c …) so no value can end the script element.
	JSONLD template.JS
	// NoIndex asks crawlers not to index the page (404 pages).
	NoIndex bool
}

// metaText is s on one line, cut at a word boundary to about n runes with
// an ellipsis.
func metaText(s string, n int) string {
	s = app.CleanText(s)
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)[:n]
	cut := string(r)
	if i := strings.LastIndexByte(cut, ' '); i > n/2 {
		cut = cut[:i]
	}
	return strings.TrimRight(cut, " ,.;:-") + "…"
}

// rupees is a price as schema.org and OpenGraph want it: "499.00".
func rupees(p app.Paise) string {
	return fmt.Sprintf("%d.%02d", int64(p)/100, int64(p)%100)
}

// shopAbs is the absolute URL of a path on the store's host.
func (s *Server) shopAbs(v *app.Vendor, path string) string {
	return s.url(s.shopHost(v), path)
}

// storeName is what a shop calls itself.
func storeName(v *app.Vendor) string {
	if v.Name != "" {
		return v.Name
	}
	return v.Slug
}

// storeDescription is the shop's meta description.
func storeDescription(v *app.Vendor) string {
	if d := metaText(v.Description, metaDescriptionLen); d != "" {
		return d
	}
	return "Order from " + storeName(v) + " online. No account needed; the shop confirms by phone."
}

// firstImage is the first product's photo with one ("" if none has).
func firstImage(ps []*app.Product) (key, alt string) {
	for _, p := range ps {
		if p.Image != "" {
			return p.Image, p.Name
		}
	}
	return "", ""
}

// listMeta is the head of a front or category page.
func (s *Server) listMeta(v *app.Vendor, canonical, description string, ps []*app.Product) *Meta {
	m := &Meta{Description: description, Canonical: s.shopAbs(v, canonical), Type: "website"}
	if key, alt := firstImage(ps); key != "" {
		m.Image, m.ImageAlt = s.shopAbs(v, imageURL(key, 1200)), alt
	} else if v.Banner != "" {
		// No listed product has a photo: the shop's banner.
		m.Image, m.ImageAlt = s.shopAbs(v, imageURL(v.Banner, 1200)), storeName(v)
	}
	return m
}

// productLD is schema.org's Product with one Offer.
type productLD struct {
	Context     string    `json:"@context"`
	Type        string    `json:"@type"`
	Name        string    `json:"name"`
	Description string    `json:"description,omitempty"`
	Image       []string  `json:"image,omitempty"`
	SKU         string    `json:"sku"`
	ProductID   string    `json:"productID"`
	URL         string    `json:"url"`
	Offers      productOf `json:"offers"`
}

type productOf struct {
	Type          string `json:"@type"`
	Price         string `json:"price"`
	PriceCurrency string `json:"priceCurrency"`
	Availability  string `json:"availability"`
	URL           string `json:"url"`
}

// productMeta is the head of /p/{id}.
func (s *Server) productMeta(v *app.Vendor, p *app.Product) *Meta {
	canonical := s.shopAbs(v, "/p/"+itoa(p.ID))
	desc := metaText(p.Description, metaDescriptionLen)
	if desc == "" {
		desc = p.Name + " from " + storeName(v) + ", " + p.FromPrice().String() + "."
	}
	m := &Meta{Description: desc, Canonical: canonical, Type: "product", Price: rupees(p.FromPrice())}
	ld := productLD{
		Context: "https://schema.org", Type: "Product", Name: p.Name, Description: metaText(p.Description, 5000),
		SKU: itoa(p.ID), ProductID: itoa(p.ID), URL: canonical,
		Offers: productOf{Type: "Offer", Price: rupees(p.FromPrice()), PriceCurrency: "INR",
			Availability: "https://schema.org/InStock", URL: canonical},
	}
	if p.SoldOut() {
		ld.Offers.Availability = "https://schema.org/OutOfStock"
	}
	if p.Image != "" {
		m.Image, m.ImageAlt = s.shopAbs(v, imageURL(p.Image, 1200)), p.Name
		ld.Image = []string{m.Image}
	}
	b, err := json.Marshal(ld) // cannot fail: strings only
	if err == nil {
		m.JSONLD = template.JS(b)
	}
	return m
}

// shopErrorPage is a shop's error page (a 404): its header, a title
// naming the shop, and noindex.
func (s *Server) shopErrorPage(v *app.Vendor, status int, heading, msg string) errorPage {
	p := s.shopBase(v, heading+" — "+storeName(v))
	p.Meta = &Meta{NoIndex: true}
	return errorPage{Page: p, Status: status, Heading: heading, Message: msg, Store: v}
}
