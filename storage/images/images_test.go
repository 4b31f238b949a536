package images_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"io"
	"io/fs"
	"math/rand/v2"
	"strings"
	"testing"

	"dukaan/app"
	"dukaan/storage/images"
)

func pngOf(tb testing.TB, w, h int, fill func(x, y int) color.Color) []byte {
	tb.Helper()
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			img.Set(x, y, fill(x, y))
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

func solid(c color.Color) func(x, y int) color.Color { return func(int, int) color.Color { return c } }

func decode(tb testing.TB, b []byte) image.Image {
	tb.Helper()
	img, format, err := image.Decode(bytes.NewReader(b))
	if err != nil {
		tb.Fatal(err)
	}
	if format != "jpeg" {
		tb.Fatalf("format %s, want jpeg", format)
	}
	return img
}

func near(c color.Color, r, g, b uint8) bool {
	cr, cg, cb, _ := c.RGBA()
	d := func(a uint32, b uint8) bool { x := int(a>>8) - int(b); return x > -24 && x < 24 }
	return d(cr, r) && d(cg, g) && d(cb, b)
}

func TestProcessWidths(t *testing.T) {
	tests := []struct {
		name   string
		w, h   int
		widths [][2]int
	}{
		{"landscape larger than every width", 1600, 1200, [][2]int{{320, 240}, {640, 480}, {1200, 900}}},
		{"narrow photo is never enlarged", 500, 500, [][2]int{{320, 320}, {500, 500}, {500, 500}}},
		{"portrait", 900, 1600, [][2]int{{320, 568}, {640, 1137}, {900, 1600}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			files, err := images.Process(pngOf(t, tt.w, tt.h, solid(color.NRGBA{200, 30, 30, 255})))
			if err != nil {
				t.Fatal(err)
			}
			if len(files) != len(images.Widths) {
				t.Fatalf("%d files, want %d", len(files), len(images.Widths))
			}
			for i, f := range files {
				b := decode(t, f).Bounds()
				if got := [2]int{b.Dx(), b.Dy()}; got != tt.widths[i] {
					t.Errorf("file %d: %v, want %v", i, got, tt.widths[i])
				}
			}
		})
	}
}

func TestProcessFlattensTransparencyOntoWhite(t *testing.T) {
	files, err := images.Process(pngOf(t, 200, 200, func(x, y int) color.Color {
		if x < 100 {
			return color.NRGBA{0, 0, 0, 0} // transparent
		}
		return color.NRGBA{0, 0, 255, 255}
	}))
	if err != nil {
		t.Fatal(err)
	}
	img := decode(t, files[0])
	if c := img.At(10, 100); !near(c, 255, 255, 255) {
		t.Errorf("transparent area is %v, want white", c)
	}
	if c := img.At(190, 100); !near(c, 0, 0, 255) {
		t.Errorf("opaque area is %v, want blue", c)
	}
}

// withOrientation inserts an EXIF APP1 segment with the given orientation
// right after a JPEG's SOI marker, as a phone camera writes it.
func withOrientation(jpg []byte, o uint16) []byte {
	var tiff bytes.Buffer
	tiff.WriteString("MM\x00\x2a")
	binary.Write(&tiff, binary.BigEndian, uint32(8))      // IFD0 offset
	binary.Write(&tiff, binary.BigEndian, uint16(1))      // one entry
	binary.Write(&tiff, binary.BigEndian, uint16(0x0112)) // Orientation
	binary.Write(&tiff, binary.BigEndian, uint16(3))      // SHORT
	binary.Write(&tiff, binary.BigEndian, uint32(1))      // count
	binary.Write(&tiff, binary.BigEndian, o)
	binary.Write(&tiff, binary.BigEndian, uint16(0))
	binary.Write(&tiff, binary.BigEndian, uint32(0)) // no next IFD
	seg := append([]byte("Exif\x00\x00"), tiff.Bytes()...)
	var out bytes.Buffer
	out.Write(jpg[:2])
	out.Write([]byte{0xFF, 0xE1})
	binary.Write(&out, binary.BigEndian, uint16(len(seg)+2))
	out.Write(seg)
	out.Write(jpg[2:])
	return out.Bytes()
}

func TestProcessAppliesEXIFOrientation(t *testing.T) {
	// Sensor image: left half red, right half blue, 400×200.
	src := image.NewRGBA(image.Rect(0, 0, 400, 200))
	for y := 0; y < 200; y++ {
		for x := 0; x < 400; x++ {
			if x < 200 {
				src.Set(x, y, color.RGBA{220, 0, 0, 255})
			} else {
				src.Set(x, y, color.RGBA{0, 0, 220, 255})
			}
		}
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, src, &jpeg.Options{Quality: 95}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		o             uint16
		w, h          int
		redAt, blueAt image.Point
	}{
		{1, 320, 160, image.Point{40, 80}, image.Point{280, 80}},
		{3, 320, 160, image.Point{280, 80}, image.Point{40, 80}},   // upside down
		{6, 200, 400, image.Point{100, 40}, image.Point{100, 360}}, // 90° clockwise: left → top
		{8, 200, 400, image.Point{100, 360}, image.Point{100, 40}}, // 90° counter-clockwise
	}
	for _, tt := range tests {
		files, err := images.Process(withOrientation(buf.Bytes(), tt.o))
		if err != nil {
			t.Fatal(err)
		}
		// files[0] is 320 wide at most; the 1200 file keeps the full size.
		img := decode(t, files[len(files)-1])
		if tt.o == 1 || tt.o == 3 {
			img = decode(t, files[0])
		}
		b := img.Bounds()
		if b.Dx() != tt.w || b.Dy() != tt.h {
			t.Errorf("orientation %d: %dx%d, want %dx%d", tt.o, b.Dx(), b.Dy(), tt.w, tt.h)
			continue
		}
		if c := img.At(tt.redAt.X, tt.redAt.Y); !near(c, 220, 0, 0) {
			t.Errorf("orientation %d: %v is %v, want red", tt.o, tt.redAt, c)
		}
		if c := img.At(tt.blueAt.X, tt.blueAt.Y); !near(c, 0, 0, 220) {
			t.Errorf("orientation %d: %v is %v, want blue", tt.o, tt.blueAt, c)
		}
	}
}

// hugePNG is a valid small PNG whose header claims w×h pixels.
func hugePNG(tb testing.TB, w, h uint32) []byte {
	b := pngOf(tb, 64, 64, solid(color.White))
	// IHDR data starts at 16: width, height; its CRC follows the 13 bytes.
	binary.BigEndian.PutUint32(b[16:], w)
	binary.BigEndian.PutUint32(b[20:], h)
	binary.BigEndian.PutUint32(b[29:], crc32.ChecksumIEEE(b[12:29]))
	return b
}

func TestProcessRefuses(t *testing.T) {
	tests := []struct {
		name string
		data []byte
		want string
	}{
		{"text", []byte("just some text, not a photo at all"), "not a photo"},
		{"svg", []byte(`<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>`), "not a photo"},
		{"tiny", pngOf(t, 20, 20, solid(color.White)), "at least 64"},
		{"decompression bomb", hugePNG(t, 20000, 20000), "too large"},
		{"truncated", pngOf(t, 300, 300, solid(color.Black))[:60], "could not be read"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := images.Process(tt.data)
			if app.ErrorCode(err) != app.EINVALID {
				t.Fatalf("err = %v, want EINVALID", err)
			}
			msg := app.ErrorFields(err)["image"]
			if !strings.Contains(msg, tt.want) {
				t.Errorf("image field message %q, want it to mention %q", msg, tt.want)
			}
		})
	}
}

// newImages is an Images over a fresh directory, uploads up to 1 MB.
func newImages(tb testing.TB) *images.Images {
	tb.Helper()
	dir, err := images.NewDir(tb.TempDir())
	if err != nil {
		tb.Fatal(err)
	}
	return images.New(dir, 1<<20)
}

func TestSaveOpenDelete(t *testing.T) {
	ctx := context.Background()
	im := newImages(t)
	photo := pngOf(t, 700, 700, solid(color.NRGBA{10, 120, 10, 255}))
	key, err := im.Save(ctx, 42, bytes.NewReader(photo))
	if err != nil {
		t.Fatal(err)
	}
	if !images.ValidKey(key) || images.KeyVendor(key) != 42 {
		t.Fatalf("key %q: valid %v vendor %d", key, images.ValidKey(key), images.KeyVendor(key))
	}
	again, err := im.Save(ctx, 42, bytes.NewReader(photo))
	if err != nil || again != key {
		t.Errorf("same photo saved again: %q, %v; want the same key %q", again, err, key)
	}
	for _, w := range images.Widths {
		f, err := im.Open(ctx, images.FileName(key, w))
		if err != nil {
			t.Fatalf("open width %d: %v", w, err)
		}
		b, _ := io.ReadAll(f)
		f.Close()
		if got := decode(t, b).Bounds().Dx(); got != min(w, 700) {
			t.Errorf("width %d file is %d wide", w, got)
		}
	}
	for _, name := range []string{"../etc/passwd", key + "-321.jpg", key + "-320.png", "v42/zz-320.jpg", images.FileName(key, 320) + "/x"} {
		if _, err := im.Open(ctx, name); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("Open(%q) = %v, want not exist", name, err)
		}
	}
	if err := im.Delete(ctx, key); err != nil {
		t.Fatal(err)
	}
	if _, err := im.Open(ctx, images.FileName(key, 320)); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("after Delete: %v, want not exist", err)
	}

	rng := rand.New(rand.NewPCG(1, 2))
	big := pngOf(t, 800, 800, func(x, y int) color.Color {
		return color.NRGBA{uint8(rng.Uint32()), uint8(rng.Uint32()), uint8(rng.Uint32()), 255}
	})
	if int64(len(big)) <= 1<<20 {
		t.Fatalf("test photo is only %d bytes", len(big))
	}
	if _, err := im.Save(ctx, 42, bytes.NewReader(big)); app.ErrorCode(err) != app.EINVALID || !strings.Contains(app.ErrorFields(err)["image"], "larger than 1 MB") {
		t.Errorf("oversized upload: %v", err)
	}
}

// BenchmarkProcess is one phone photo (4032×3024 JPEG, 12 MP) turned into
// the three widths: the work an upload costs the replica that takes it.
func BenchmarkProcess(b *testing.B) {
	src := image.NewRGBA(image.Rect(0, 0, 4032, 3024))
	rng := rand.New(rand.NewPCG(3, 4))
	for i := range src.Pix {
		src.Pix[i] = uint8(rng.Uint32()>>24) | 0x80
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, src, &jpeg.Options{Quality: 85}); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(buf.Len()))
	b.ResetTimer()
	for b.Loop() {
		if _, err := images.Process(buf.Bytes()); err != nil {
			b.Fatal(err)
		}
	}
}
