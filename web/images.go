package web

import (
	"errors"
	"io/fs"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"dukaan/app"
	"dukaan/storage/images"
	"dukaan/tenant"
)

// Product photos are served at /images/<key>-<width>.jpg on the shop's
// host (public, for the edge to keep) and on the console (private, the
// vendor's own only). A store serves only its own vendor's photos, so one
// shop's host can never be used to publish another's files.

// imageURL is the path of a photo at width w.
func imageURL(key string, w int) string {
	if key == "" {
		return ""
	}
	return "/images/" + images.FileName(key, w)
}

// imageSrcset lists every width for <img srcset>.
func imageSrcset(key string) string {
	if key == "" {
		return ""
	}
	parts := make([]string, len(images.Widths))
	for i, w := range images.Widths {
		parts[i] = imageURL(key, w) + " " + strconv.Itoa(w) + "w"
	}
	return strings.Join(parts, ", ")
}

// shopImage serves a photo of the shop's own vendor.
func (s *Server) shopImage(c *gin.Context) error {
	v, err := tenant.FromContext(c.Request.Context())
	if err != nil {
		return err
	}
	s.serveImage(c, v.ID, "public, max-age=31536000, immutable")
	return nil
}

// adminImage serves the logged-in vendor's photo to the console.
func (s *Server) adminImage(c *gin.Context) error {
	s.serveImage(c, currentVendor(c).ID, "private, max-age=31536000, immutable")
	return nil
}

func (s *Server) serveImage(c *gin.Context, vendorID int64, cacheControl string) {
	name := strings.TrimPrefix(c.Param("file"), "/")
	key, _, ok := images.ParseFileName(name)
	if s.cfg.Images == nil || !ok || images.KeyVendor(key) != vendorID {
		s.errorPage(c.Writer, c.Request, "shop", http.StatusNotFound, "Not found", "We could not find that photo.")
		return
	}
	f, err := s.cfg.Images.Open(c.Request.Context(), name)
	if errors.Is(err, fs.ErrNotExist) {
		s.errorPage(c.Writer, c.Request, "shop", http.StatusNotFound, "Not found", "We could not find that photo.")
		return
	} else if err != nil {
		s.fail(c.Writer, c.Request, "shop", err)
		return
	}
	defer f.Close()
	h := c.Writer.Header()
	h.Set("Content-Type", images.ContentTypeOf(name))
	// The name is the content's hash: it never changes, so it never
	// needs revalidating.
	h.Set("Cache-Control", cacheControl)
	h.Set("ETag", `"`+strings.ReplaceAll(strings.TrimSuffix(name, ".jpg"), "/", "-")+`"`)
	http.ServeContent(c.Writer, c.Request, "", time.Time{}, f)
}

// productImage handles the photo fields of a product form: a new upload
// ("image"), a photo uploaded with an earlier attempt of the same form
// that was refused for another field ("image_key"), or "image_remove". It
// returns what to store (nil: leave as it is) and records a refused
// upload in form. The form keeps a valid upload's key, so a vendor who
// mistyped the price does not have to choose the photo again.
func (s *Server) productImage(c *gin.Context, form *Form) *string {
	return s.photoField(c, form, "image")
}

// photoField is productImage for any one-photo field: the file field,
// field+"_key" and field+"_remove" (the product's "image", the settings'
// "logo" and "banner").
func (s *Server) photoField(c *gin.Context, form *Form, field string) *string {
	if s.cfg.Images == nil {
		return nil
	}
	vendorID := currentVendor(c).ID
	if fh, err := c.FormFile(field); err == nil && fh.Size > 0 {
		f, err := fh.Open()
		if err != nil {
			form.Errors[field] = "That photo did not arrive whole. Please choose it again."
			return nil
		}
		defer f.Close()
		key, err := s.cfg.Images.Save(c.Request.Context(), vendorID, f)
		if err != nil {
			if msg := app.ErrorFields(err)["image"]; msg != "" {
				form.Errors[field] = msg
			} else {
				s.log.ErrorContext(c.Request.Context(), "saving a photo", "field", field, "err", err)
				form.Errors[field] = "We could not save that photo just now. Please try again."
			}
			return nil
		}
		form.Values[field+"_key"] = key
		return &key
	}
	if c.PostForm(field+"_remove") == "on" {
		form.Values[field+"_remove"] = "on"
		empty := ""
		return &empty
	}
	if key := c.PostForm(field + "_key"); key != "" {
		// Only a key of this vendor's that this form made may come back,
		// and only while its files are there (another replica without the
		// shared directory, or a photo deleted meanwhile): the vendor is
		// told, not left with a product that silently has no photo.
		if s.cfg.Images.Has(c.Request.Context(), vendorID, key) {
			form.Values[field+"_key"] = key
			return &key
		}
		form.Errors[field] = "The photo you chose earlier is no longer here. Please choose it again."
	}
	return nil
}
