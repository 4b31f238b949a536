package web

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// maxAdminBody bounds a console request body. The largest form (a product
// with a 4,000-character description) is a few tens of kilobytes; the
// bound keeps one request from holding megabytes in memory or on disk
// (multipart parsing spills to temporary files).
const maxAdminBody = 1 << 20

// limitBody refuses request bodies over max bytes with 413 and a page
// that says so. The body is read here, before the CSRF check parses the
// form: a body cut off later would look like a missing token (403) and
// tell the vendor nothing useful.
func (s *Server) limitBody(next http.Handler, limit func(*http.Request) int64) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Body == nil || r.Body == http.NoBody || r.Method == http.MethodGet || r.Method == http.MethodHead {
			next.ServeHTTP(w, r)
			return
		}
		max := limit(r)
		if r.ContentLength > max {
			s.bodyTooLarge(w, r, max)
			return
		}
		b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, max))
		var tooLarge *http.MaxBytesError
		switch {
		case errors.As(err, &tooLarge):
			s.bodyTooLarge(w, r, max)
			return
		case err != nil:
			// The client went away or sent a broken body.
			s.errorPage(w, r, "admin", http.StatusBadRequest, "Bad request", "The form did not arrive whole. Please try again.")
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(b))
		next.ServeHTTP(w, r)
	})
}

func (s *Server) bodyTooLarge(w http.ResponseWriter, r *http.Request, max int64) {
	s.log.WarnContext(r.Context(), "request body too large", "path", r.URL.Path, "limit", max, "content_length", r.ContentLength)
	// The rest of the body is not worth reading: close after answering.
	w.Header().Set("Connection", "close")
	msg := "That form is larger than we accept (1 MB). Shorten the text and try again."
	if max > maxAdminBody && s.cfg.Images != nil {
		msg = fmt.Sprintf("That form is larger than we accept. Photos can be at most %d MB: choose a smaller one and try again.", s.cfg.Images.MaxBytes()>>20)
	}
	s.errorPage(w, r, "admin", http.StatusRequestEntityTooLarge, "Form too large", msg)
}

// adminBodyLimit is maxAdminBody, or room for one photo plus the form for
// a multipart post of a product form, or of the settings form (logo and
// banner), when photos are on. A form without a file keeps the 1 MiB
// limit.
func (s *Server) adminBodyLimit(r *http.Request) int64 {
	if s.cfg.Images != nil && r.Method == http.MethodPost && (isProductFormPath(r.URL.Path) || r.URL.Path == "/settings") &&
		strings.HasPrefix(strings.ToLower(r.Header.Get("Content-Type")), "multipart/form-data") {
		return s.cfg.Images.MaxBytes() + maxAdminBody
	}
	return maxAdminBody
}

// isProductFormPath matches /products/new and /products/{id}/edit.
func isProductFormPath(p string) bool {
	if p == "/products/new" {
		return true
	}
	rest, ok := strings.CutPrefix(p, "/products/")
	if !ok {
		return false
	}
	id, ok := strings.CutSuffix(rest, "/edit")
	if !ok || id == "" {
		return false
	}
	for _, c := range id {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}
