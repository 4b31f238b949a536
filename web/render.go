package web

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"path"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode"
	"unicode/utf8"

	"dukaan/app"
)

//go:embed templates static
var assets embed.FS

// pageFiles are the page templates; each is parsed with the layout and
// partials into its own set so that "content" blocks never collide.
var pageFiles = []string{
	"landing.html", "signup.html", "login.html",
	"products.html", "product_form.html", "orders.html", "order.html",
	"shop.html", "confirmation.html", "error.html", "settings.html",
	"repeat.html",
	"coupons.html", "coupon_form.html", "confirm.html",
	"webhooks.html",
	"domains.html",
	"password_forgot.html", "password_reset.html", "account.html", "email_confirm.html",
	"categories.html",
}

// renderer holds the parsed templates and the fingerprints of static files.
type renderer struct {
	pages  map[string]*template.Template
	hashes map[string]string // static file name → short content hash
	cards  *cardCache        // rendered product cards (cards.go)
	// sizes is the last size of each page, so that the next render's
	// buffer is allocated once (page name → *atomic.Int64).
	sizes sync.Map
}

// newRenderer parses the templates; dates are shown in loc, the shops'
// time zone (DUKAAN_TIMEZONE), not the server's.
func newRenderer(loc *time.Location) (*renderer, error) {
	if loc == nil {
		loc = time.UTC
	}
	r := &renderer{pages: map[string]*template.Template{}, hashes: map[string]string{}, cards: newCardCache()}
	err := fs.WalkDir(assets, "static", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := assets.ReadFile(p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		r.hashes[strings.TrimPrefix(p, "static/")] = hex.EncodeToString(sum[:])[:12]
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("web: hashing static files: %w", err)
	}
	funcs := template.FuncMap{
		"asset":             r.assetURL,
		"qtyField":          app.QtyField,
		"priceField":        PriceField,
		"variantQtyField":   app.VariantQtyField,
		"variantPriceField": VariantPriceField,
		"paymentName": func(m app.PaymentMode) string {
			if m == app.PaymentUPI {
				return "UPI"
			}
			return "Cash on delivery"
		},
		"maxQty": func() int { return app.MaxQty },
		"date": func(t time.Time) string {
			return t.In(loc).Format("2 Jan 2006, 3:04 PM")
		},
		"isoTime": func(t time.Time) string { return t.UTC().Format(time.RFC3339) },
		"title": func(s app.OrderStatus) string {
			if s == "" {
				return "All"
			}
			return strings.ToUpper(string(s[:1])) + string(s[1:])
		},
		"itemCount": func(items []app.OrderItem) int64 {
			var n int64
			for _, it := range items {
				n += it.Qty
			}
			return n
		},
		"dict":    dict,
		"pageURL": pageURL,
		"initial": initial,
		"tone": func(id int64) int64 {
			return (id%6 + 6) % 6
		},
		"storeHost":    storeHost,
		"bareURL":      bareURL,
		"phone":        displayPhone,
		"imageURL":     imageURL,
		"imageSrcset":  imageSrcset,
		"productCards": r.productCards,
		"orderNo":      orderNo,
		"duration":     durationText,
		"inc":          func(i int) int { return i + 1 },
		"list":         func(s ...string) []string { return s },
		"itoa":         itoa,
		"categoryPath": categoryPath,
	}
	for _, name := range pageFiles {
		t, err := template.New(name).Funcs(funcs).ParseFS(assets,
			"templates/layout.html", "templates/partials/*.html", "templates/"+name)
		if err != nil {
			return nil, fmt.Errorf("web: parsing %s: %w", name, err)
		}
		r.pages[name] = t
	}
	return r, nil
}

// assetURL returns a fingerprinted URL for a static file, so that it can be
// cached for a year and still change the moment the file does.
func (r *renderer) assetURL(name string) string {
	if h, ok := r.hashes[name]; ok {
		return "/static/" + name + "?v=" + h
	}
	return "/static/" + name
}

// render executes a page into a buffer first, so that a template error
// becomes a clean 500 instead of half a page.
func (r *renderer) render(name string, data any) ([]byte, error) {
	t, ok := r.pages[name]
	if !ok {
		return nil, fmt.Errorf("web: no page template %q", name)
	}
	v, _ := r.sizes.LoadOrStore(name, new(atomic.Int64))
	size := v.(*atomic.Int64)
	var buf bytes.Buffer
	buf.Grow(int(size.Load()) + 512)
	if err := t.ExecuteTemplate(&buf, "layout", data); err != nil {
		return nil, fmt.Errorf("web: rendering %s: %w", name, err)
	}
	size.Store(int64(buf.Len()))
	return buf.Bytes(), nil
}

// serveStatic serves an embedded static file. A request carrying the
// current fingerprint may be cached for a year.
func (r *renderer) serveStatic(w http.ResponseWriter, req *http.Request, name string) {
	name = path.Clean("/" + name)[1:]
	h, ok := r.hashes[name]
	if !ok {
		http.NotFound(w, req)
		return
	}
	if req.URL.Query().Get("v") == h {
		w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		w.Header().Set("Cache-Control", "public, max-age=300")
	}
	w.Header().Set("ETag", `"`+h+`"`)
	http.ServeFileFS(w, req, assets, "static/"+name)
}

// dict builds the map a partial receives, since a template call passes one
// value: {{template "field" (dict "name" "email" "label" "Email")}}.
func dict(kv ...any) (map[string]any, error) {
	if len(kv)%2 != 0 {
		return nil, fmt.Errorf("dict: odd number of arguments")
	}
	m := make(map[string]any, len(kv)/2)
	for i := 0; i < len(kv); i += 2 {
		k, ok := kv[i].(string)
		if !ok {
			return nil, fmt.Errorf("dict: key %v is not a string", kv[i])
		}
		m[k] = kv[i+1]
	}
	return m, nil
}

// pageURL is the relative link to page n of a list. BaseQuery is built by
// handlers with url.Values.Encode, so it is trusted as a URL; a plain
// {{.BaseQuery}} inside href would have its & and = escaped away.
func pageURL(p Pager, n int) template.URL {
	return template.URL("?" + p.BaseQuery + "page=" + strconv.Itoa(n))
}

// initial is the first letter of a product name, upper-cased, for the
// coloured tile that stands in for a photo.
func initial(s string) string {
	for _, r := range s {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			return string(unicode.ToUpper(r))
		}
	}
	if r, _ := utf8.DecodeRuneInString(s); r != utf8.RuneError {
		return string(r)
	}
	return "•"
}

// storeHost turns the console URL (https://admin.example.in) into the host
// shops live under (example.in), so signup can show <store>.example.in.
func storeHost(adminURL string) string {
	u, err := url.Parse(adminURL)
	if err != nil || u.Host == "" {
		return ""
	}
	return strings.TrimPrefix(u.Host, "admin.")
}

// bareURL is a URL as people say it: https://sharma.dukaan.in/ shows as
// sharma.dukaan.in.
func bareURL(u string) string {
	u = strings.TrimPrefix(strings.TrimPrefix(u, "https://"), "http://")
	return strings.TrimSuffix(u, "/")
}

// displayPhone spaces a normalised Indian mobile number for reading aloud:
// +919876543210 shows as +91 98765 43210. Anything else is shown as stored.
func displayPhone(p string) string {
	if len(p) == 13 && strings.HasPrefix(p, "+91") {
		return p[:3] + " " + p[3:8] + " " + p[8:]
	}
	return p
}

// StaticFiles are the embedded assets, for an edge to serve from disk.
func StaticFiles() fs.FS {
	sub, err := fs.Sub(assets, "static")
	if err != nil {
		panic(err) // the directory is embedded at build time
	}
	return sub
}
