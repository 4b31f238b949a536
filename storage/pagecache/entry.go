package pagecache

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"strconv"
	"sync"

	"github.com/klauspost/compress/gzip"
)

// Page is a rendered page as cached: compressed once, when it is rendered,
// and served as it is to every client that accepts gzip (every browser and
// the edge). Nothing in it changes after it is made, so every tier hands out
// the same *Page to every request.
type Page struct {
	// Status is 200, or 404 for a shop's "no such page", cached briefly.
	Status int
	// Gzip is the page's body, gzip-compressed.
	Gzip []byte
	// Size is the length of the uncompressed body.
	Size int
	// ETag is the strong tag of the uncompressed body; GzipETag the one of
	// the compressed variant (the same opaque tag with "-gz" inside the
	// quotes), so a cache holding one variant never revalidates the other.
	ETag, GzipETag string
	// GzipLength is len(Gzip) as Content-Length spells it, made once.
	GzipLength string
}

// GzipLevel is the compression of stored pages. A page is compressed once
// per render and sent many times, but past 6 the size hardly moves: the
// 23 KB front page is 2,876 bytes at 6 (0.21 ms) and 2,830 at 9 (0.78 ms);
// 1 takes half the time of 6 for 13 % more bytes (web's BenchmarkGzipLevel).
const GzipLevel = 6

// Compressors and decompressors are reused: a fresh gzip writer
// allocates several hundred KB.
var (
	gzipWriters = sync.Pool{New: func() any {
		zw, err := gzip.NewWriterLevel(io.Discard, GzipLevel)
		if err != nil {
			panic(err) // GzipLevel is a valid level
		}
		return zw
	}}
	gzipReaders sync.Pool
	gzipBuffers = sync.Pool{New: func() any { return new(bytes.Buffer) }}
)

// NewPage compresses a rendered body and tags both variants.
func NewPage(body []byte) (*Page, error) { return newPage(http.StatusOK, body) }

func newPage(status int, body []byte) (*Page, error) {
	buf := gzipBuffers.Get().(*bytes.Buffer)
	defer gzipBuffers.Put(buf)
	buf.Reset()
	zw := gzipWriters.Get().(*gzip.Writer)
	zw.Reset(buf)
	_, err := zw.Write(body)
	if err == nil {
		err = zw.Close()
	}
	zw.Reset(io.Discard)
	gzipWriters.Put(zw)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(body)
	// An exact copy: the page is kept for minutes, the buffer's spare
	// capacity would be too.
	return makePage(status, bytes.Clone(buf.Bytes()), len(body), hex.EncodeToString(sum[:12])), nil
}

func makePage(status int, gz []byte, size int, tag string) *Page {
	return &Page{
		Status: status, Gzip: gz, Size: size,
		ETag: `"` + tag + `"`, GzipETag: `"` + tag + `-gz"`,
		GzipLength: strconv.Itoa(len(gz)),
	}
}

// Body decompresses the page, for the rare client that accepts no gzip.
func (p *Page) Body() ([]byte, error) {
	var zr *gzip.Reader
	if v := gzipReaders.Get(); v != nil {
		zr = v.(*gzip.Reader)
		if err := zr.Reset(bytes.NewReader(p.Gzip)); err != nil {
			return nil, err
		}
	} else {
		var err error
		if zr, err = gzip.NewReader(bytes.NewReader(p.Gzip)); err != nil {
			return nil, err
		}
	}
	defer gzipReaders.Put(zr)
	out := make([]byte, p.Size)
	if _, err := io.ReadFull(zr, out); err != nil {
		return nil, err
	}
	return out, nil
}

// The Redis entry is the page as it is served, behind a short header, so
// that a Redis hit decodes nothing but that header and shares the bytes
// Redis returned:
//
//	byte    entryVersion
//	uvarint status
//	uvarint size of the uncompressed body
//	uvarint len(tag), tag (the ETag's opaque part)
//	...     the gzip bytes
const entryVersion = 1

var errBadEntry = errors.New("pagecache: unreadable Redis entry")

func (p *Page) encode() []byte {
	tag := p.ETag[1 : len(p.ETag)-1]
	b := make([]byte, 0, 1+3*binary.MaxVarintLen64+len(tag)+len(p.Gzip))
	b = append(b, entryVersion)
	b = binary.AppendUvarint(b, uint64(p.Status))
	b = binary.AppendUvarint(b, uint64(p.Size))
	b = binary.AppendUvarint(b, uint64(len(tag)))
	b = append(b, tag...)
	return append(b, p.Gzip...)
}

func decodePage(b []byte) (*Page, error) {
	if len(b) == 0 || b[0] != entryVersion {
		return nil, errBadEntry
	}
	b = b[1:]
	var v [3]uint64
	for i := range v {
		n, k := binary.Uvarint(b)
		if k <= 0 {
			return nil, errBadEntry
		}
		v[i], b = n, b[k:]
	}
	status, size, tagLen := v[0], v[1], v[2]
	if tagLen > uint64(len(b)) || status < 100 || status > 999 || size > 1<<30 {
		return nil, errBadEntry
	}
	tag := string(b[:tagLen])
	return makePage(int(status), b[tagLen:], int(size), tag), nil
}
