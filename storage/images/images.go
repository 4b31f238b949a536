// Package images turns a vendor's uploaded product photo into the few
// JPEG widths the shop serves, and keeps them in a Store: a local
// directory by default, or anything else behind the same three methods (an
// S3-compatible bucket is the intended second implementation).
//
// Names are content-addressed ("v<vendor>/<hash>-<width>.jpg"), so a file
// never changes once written: the app and the edge serve them with a
// one-year immutable Cache-Control and nothing ever needs purging. A new
// photo is a new name; the product's own pages are purged by the product
// event its edit raises.
package images

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	_ "image/gif" // decoders, registered for image.Decode
	"image/jpeg"
	_ "image/png"
	"io"
	"io/fs"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	xdraw "golang.org/x/image/draw"
	_ "golang.org/x/image/webp"

	"dukaan/app"
)

// Widths are the sizes every photo is stored in, smallest first: a shop
// card on a phone, a card on a wide screen or the product page, and the
// product page on a large or high-density screen.
var Widths = []int{320, 640, 1200}

// Limits of an upload.
const (
	DefaultMaxBytes = 5 << 20 // 5 MiB: a phone photo
	// MaxPixels bounds the decoded size: a small file can claim a huge
	// canvas (a decompression bomb) and take gigabytes to decode.
	MaxPixels = 40_000_000
	MinSide   = 64 // smaller is not a product photo
	quality   = 82
)

// Store keeps image files by name. Implementations must be safe for
// concurrent use. Put of an existing name may overwrite it with the same
// bytes (names are content-addressed).
type Store interface {
	Put(ctx context.Context, name string, data []byte) error
	// Open returns the file, or an error wrapping fs.ErrNotExist.
	Open(ctx context.Context, name string) (io.ReadSeekCloser, error)
	Delete(ctx context.Context, name string) error
	// List calls fn for every stored file (in no particular order) with
	// its last modification time; an error fn returns stops the listing
	// and is returned.
	List(ctx context.Context, fn func(name string, modTime time.Time) error) error
}

// Images processes uploads into a Store.
type Images struct {
	store    Store
	maxBytes int64
}

// New returns an Images over store that accepts uploads up to maxBytes
// (DefaultMaxBytes when 0).
func New(store Store, maxBytes int64) *Images {
	if maxBytes <= 0 {
		maxBytes = DefaultMaxBytes
	}
	return &Images{store: store, maxBytes: maxBytes}
}

// MaxBytes is the largest upload accepted.
func (im *Images) MaxBytes() int64 { return im.maxBytes }

// keyRe is a stored photo's key: the vendor, then a content hash.
var keyRe = regexp.MustCompile(`^v([1-9][0-9]{0,18})/([0-9a-f]{20})$`)

// nameRe is one file of a photo: its key, then a width from Widths.
var nameRe = regexp.MustCompile(`^(v[1-9][0-9]{0,18}/[0-9a-f]{20})-([0-9]{3,4})\.jpg$`)

// ValidKey reports whether key is a photo key this package made.
func ValidKey(key string) bool { return keyRe.MatchString(key) }

// KeyVendor is the vendor id a key belongs to (0 when it is not a key).
func KeyVendor(key string) int64 {
	m := keyRe.FindStringSubmatch(key)
	if m == nil {
		return 0
	}
	id, _ := strconv.ParseInt(m[1], 10, 64)
	return id
}

// FileName is the name of key's file at width w.
func FileName(key string, w int) string { return key + "-" + strconv.Itoa(w) + ".jpg" }

// ParseFileName splits a file name into its key and width; ok is false
// for anything this package did not name (including other widths).
func ParseFileName(name string) (key string, width int, ok bool) {
	m := nameRe.FindStringSubmatch(name)
	if m == nil {
		return "", 0, false
	}
	w, _ := strconv.Atoi(m[2])
	for _, want := range Widths {
		if w == want {
			return m[1], w, true
		}
	}
	return "", 0, false
}

// invalid is the form error for the image field.
func invalid(msg string) error {
	return app.Invalid(msg, map[string]string{"image": msg})
}

// Save checks an upload, resizes it to every width and stores the files
// under the vendor. It returns the key to keep on the product. A file that
// is not a JPEG, PNG, WebP or GIF photo of sensible size is EINVALID with
// a message for the "image" field.
func (im *Images) Save(ctx context.Context, vendorID int64, r io.Reader) (string, error) {
	if vendorID <= 0 {
		return "", errors.New("images: vendor id required")
	}
	data, err := io.ReadAll(io.LimitReader(r, im.maxBytes+1))
	if err != nil {
		return "", fmt.Errorf("images: reading upload: %w", err)
	}
	if len(data) == 0 {
		return "", invalid("That file is empty. Choose a photo.")
	}
	if int64(len(data)) > im.maxBytes {
		return "", invalid(fmt.Sprintf("That photo is larger than %d MB. Choose a smaller one, or a lower resolution.", im.maxBytes>>20))
	}
	files, err := Process(data)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(data)
	key := "v" + strconv.FormatInt(vendorID, 10) + "/" + hex.EncodeToString(sum[:10])
	for i, w := range Widths {
		if err := im.store.Put(ctx, FileName(key, w), files[i]); err != nil {
			return "", fmt.Errorf("images: storing %s: %w", FileName(key, w), err)
		}
	}
	return key, nil
}

// Open returns one stored file by name (as ParseFileName accepts).
func (im *Images) Open(ctx context.Context, name string) (io.ReadSeekCloser, error) {
	if _, _, ok := ParseFileName(name); !ok {
		return nil, fs.ErrNotExist
	}
	return im.store.Open(ctx, name)
}

// Has reports whether key is a photo of the vendor's whose files are
// here (not on another replica without the shared directory, not deleted
// meanwhile).
func (im *Images) Has(ctx context.Context, vendorID int64, key string) bool {
	if !ValidKey(key) || KeyVendor(key) != vendorID {
		return false
	}
	f, err := im.store.Open(ctx, FileName(key, Widths[0]))
	if err != nil {
		return false
	}
	f.Close()
	return true
}

// Delete removes every file of key. Missing files are not an error.
func (im *Images) Delete(ctx context.Context, key string) error {
	if !ValidKey(key) {
		return nil
	}
	var errs []error
	for _, w := range Widths {
		if err := im.store.Delete(ctx, FileName(key, w)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// Process decodes a photo and returns it as a JPEG at each of Widths
// (never enlarged: a narrow photo keeps its own width in the larger
// files). Transparent areas become white, EXIF orientation is applied, and
// metadata (camera, GPS position) is dropped.
func Process(data []byte) ([][]byte, error) {
	switch ct := http.DetectContentType(data); ct {
	case "image/jpeg", "image/png", "image/gif", "image/webp":
	default:
		return nil, invalid("That file is not a photo we can use. Upload a JPEG, PNG or WebP image.")
	}
	cfg, format, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		return nil, invalid("That photo could not be read; it may be damaged. Try another file.")
	}
	if cfg.Width < MinSide || cfg.Height < MinSide {
		return nil, invalid(fmt.Sprintf("That image is only %d×%d pixels. Use a photo at least %d pixels on each side.", cfg.Width, cfg.Height, MinSide))
	}
	if int64(cfg.Width)*int64(cfg.Height) > MaxPixels {
		return nil, invalid(fmt.Sprintf("That photo is %d×%d pixels, too large to process. Use one under 40 megapixels.", cfg.Width, cfg.Height))
	}
	src, _, err := image.Decode(bytes.NewReader(data))
	if err != nil {
		return nil, invalid("That photo could not be read; it may be damaged. Try another file.")
	}
	if format == "jpeg" {
		src = orient(src, jpegOrientation(data))
	}
	// Flatten onto white once, at full size, so every width shares it.
	b := src.Bounds()
	flat := image.NewRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
	draw.Draw(flat, flat.Bounds(), &image.Uniform{C: color.White}, image.Point{}, draw.Src)
	draw.Draw(flat, flat.Bounds(), src, b.Min, draw.Over)

	out := make([][]byte, len(Widths))
	var prev image.Image = flat
	// Largest first, each from the one above it: the expensive filter runs
	// over the full photo once.
	for i := len(Widths) - 1; i >= 0; i-- {
		img := scaleTo(prev, Widths[i])
		var buf bytes.Buffer
		if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: quality}); err != nil {
			return nil, fmt.Errorf("images: encoding: %w", err)
		}
		out[i] = buf.Bytes()
		prev = img
	}
	return out, nil
}

// scaleTo returns img scaled to width w keeping its aspect ratio, or img
// itself when it is not wider than w.
func scaleTo(img image.Image, w int) image.Image {
	b := img.Bounds()
	if b.Dx() <= w {
		return img
	}
	h := max(1, int(int64(b.Dy())*int64(w)/int64(b.Dx())))
	dst := image.NewRGBA(image.Rect(0, 0, w, h))
	xdraw.CatmullRom.Scale(dst, dst.Bounds(), img, b, xdraw.Src, nil)
	return dst
}

// ContentTypeOf is the Content-Type of a stored file.
func ContentTypeOf(name string) string {
	if strings.HasSuffix(name, ".jpg") {
		return "image/jpeg"
	}
	return "application/octet-stream"
}
