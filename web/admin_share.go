package web

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"
	"github.com/skip2/go-qrcode"

	"dukaan/app"
)

// The shop link's QR code, for the console's share card: GET /qr.svg
// (shown on the page, crisp at any size) and GET /qr.png (for printing).
// Each encodes only the logged-in vendor's own shop URL; nothing in the
// request chooses what is encoded.

// qrCacheControl lets the browser keep the code a few minutes: it changes
// only if the base domain, port or scheme of the deployment does.
const qrCacheControl = "private, max-age=300"

// qrPrintPixels is roughly the width of the PNG: about 8.5 cm at 300 dpi.
const qrPrintPixels = 1000

// shopQR encodes the vendor's shop URL. Medium error correction (15 %)
// survives a smudged print and keeps the code small.
func (s *Server) shopQR(c *gin.Context) (*qrcode.QRCode, *app.Vendor, error) {
	v := currentVendor(c)
	q, err := qrcode.New(s.shopURL(v), qrcode.Medium)
	return q, v, err
}

// qrSVG draws a QR bitmap (bitmap[y][x], quiet zone included) as SVG: one
// unit per module, each run of dark modules in a row one rectangle of the
// path, crispEdges so that no renderer blurs module edges.
func qrSVG(bitmap [][]bool, title string) []byte {
	n := len(bitmap)
	var b strings.Builder
	size := strconv.Itoa(n)
	b.WriteString(`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ` + size + " " + size +
		`" width="` + strconv.Itoa(n*8) + `" height="` + strconv.Itoa(n*8) + `" shape-rendering="crispEdges" role="img">`)
	b.WriteString("<title>" + svgEscape(title) + "</title>")
	b.WriteString(`<rect width="` + size + `" height="` + size + `" fill="#fff"/>`)
	b.WriteString(`<path fill="#000" d="`)
	for y, row := range bitmap {
		for x := 0; x < len(row); {
			if !row[x] {
				x++
				continue
			}
			start := x
			for x < len(row) && row[x] {
				x++
			}
			b.WriteString("M" + strconv.Itoa(start) + " " + strconv.Itoa(y) + "h" + strconv.Itoa(x-start) + "v1h-" + strconv.Itoa(x-start) + "z")
		}
	}
	b.WriteString(`"/></svg>`)
	return []byte(b.String())
}

// svgEscape makes text safe inside an SVG element.
func svgEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;", "'", "&#39;").Replace(s)
}

// qrHeaders are the headers both formats share; ?download=1 makes the
// browser save the file instead of showing it.
func qrHeaders(c *gin.Context, v *app.Vendor, contentType, ext string) {
	h := c.Writer.Header()
	h.Set("Content-Type", contentType)
	h.Set("Cache-Control", qrCacheControl)
	if c.Query("download") != "" {
		h.Set("Content-Disposition", `attachment; filename="`+v.Slug+`-shop-qr.`+ext+`"`)
	}
}

func (s *Server) shopQRSVG(c *gin.Context) error {
	q, v, err := s.shopQR(c)
	if err != nil {
		return err
	}
	body := qrSVG(q.Bitmap(), "QR code for "+bareURL(s.shopURL(v)))
	qrHeaders(c, v, "image/svg+xml", "svg")
	c.Writer.Header().Set("Content-Length", strconv.Itoa(len(body)))
	c.Writer.WriteHeader(http.StatusOK)
	_, _ = c.Writer.Write(body)
	return nil
}

func (s *Server) shopQRPNG(c *gin.Context) error {
	q, v, err := s.shopQR(c)
	if err != nil {
		return err
	}
	// A whole number of pixels per module keeps every edge sharp.
	modules := len(q.Bitmap())
	body, err := q.PNG(-max(4, qrPrintPixels/modules))
	if err != nil {
		return err
	}
	qrHeaders(c, v, "image/png", "png")
	c.Writer.Header().Set("Content-Length", strconv.Itoa(len(body)))
	c.Writer.WriteHeader(http.StatusOK)
	_, _ = c.Writer.Write(body)
	return nil
}
