package web

import (
	"cmp"
	"slices"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"dukaan/app"
)

// The product form's gallery (issue 15). The form shows the product's
// photos in order, each as hidden "photo_N" (its key) with a position
// input "photo_N_pos" and a "photo_N_remove" checkbox — the cover's (N=1)
// checkbox is the older "image_remove", so a tool that ticks it still
// removes the cover. "photos_shown" marks a form that carries the rows;
// without it (a tool older than the gallery) the product's photos stay as
// they are and only the older fields act on the cover. The older single
// "image" upload (and its "image_key") replaces the cover; "photos" takes
// several files, each checked and stored like "image" and added after the
// others. A refused form re-renders every row, the new uploads included as
// rows with their keys, so nothing chosen is lost.

const photosMarker = "photos_shown"

// maxPhotoRows bounds the rows one post is read for: a refused form can
// show more than MaxPhotos (saved ones and new uploads, for the vendor to
// choose from), never this many.
const maxPhotoRows = 64

// photoRow is one photo on the form: its key, the position typed, and the
// removal box.
type photoRow struct {
	N      int
	Key    string
	Pos    string
	Remove bool
}

// RemoveName is the field name of the row's removal checkbox.
func (r photoRow) RemoveName() string {
	if r.N == 1 {
		return "image_remove"
	}
	return "photo_" + strconv.Itoa(r.N) + "_remove"
}

// rowsOf is the form's rows for saved photos.
func rowsOf(keys []string) []photoRow {
	rows := make([]photoRow, len(keys))
	for i, k := range keys {
		rows[i] = photoRow{N: i + 1, Key: k, Pos: strconv.Itoa(i + 1)}
	}
	return rows
}

// productPhotos reads the photo fields of a product form. It returns the
// photo list to save (nil: leave the photos as they are) and the rows the
// form shows again if refused; problems go in form.Errors ("image" for
// the cover upload, "photos" for the gallery). At most MaxPhotos new files
// are processed per post (each is a decode and three resizes).
func (s *Server) productPhotos(c *gin.Context, form *Form, p *app.Product) (*[]string, []photoRow) {
	var saved []string
	if p != nil {
		saved = p.Photos
	}
	if s.cfg.Images == nil {
		return nil, rowsOf(saved)
	}
	ctx := c.Request.Context()
	vendorID := currentVendor(c).ID
	_, shown := c.GetPostForm(photosMarker)
	var rows []photoRow
	if shown {
		for n := 1; n <= maxPhotoRows; n++ {
			name := "photo_" + strconv.Itoa(n)
			key := c.PostForm(name)
			if key == "" {
				continue
			}
			// A saved photo of this product, or one this vendor uploaded
			// with an earlier attempt of the form whose files are here.
			if !slices.Contains(saved, key) && !s.cfg.Images.Has(ctx, vendorID, key) {
				form.Errors["photos"] = "A photo you chose earlier is no longer here. Please choose it again."
				continue
			}
			row := photoRow{Key: key, Pos: strings.TrimSpace(c.PostForm(name + "_pos"))}
			if n == 1 {
				row.Remove = c.PostForm("image_remove") == "on"
			} else {
				row.Remove = c.PostForm(name+"_remove") == "on"
			}
			rows = append(rows, row)
		}
	} else {
		rows = rowsOf(saved)
		if len(rows) > 0 && c.PostForm("image_remove") == "on" {
			rows[0].Remove = true
		}
	}
	touched := shown || (len(rows) > 0 && rows[0].Remove)
	// The older single upload: it becomes the cover.
	cover := s.productImage(c, form)
	if cover != nil && *cover == "" {
		cover = nil // "image_remove", handled on the rows above
	}
	touched = touched || cover != nil
	// Several new photos, each through the same checks.
	var badNames []string
	if mf, err := c.MultipartForm(); err == nil && mf != nil {
		added := 0
		for _, fh := range mf.File["photos"] {
			if fh.Size == 0 {
				continue
			}
			if added == app.MaxPhotos || len(rows) == maxPhotoRows {
				badNames = append(badNames, "Choose at most "+strconv.Itoa(app.MaxPhotos)+" photos at a time; “"+fh.Filename+"” and any after it were not added.")
				break
			}
			name := fh.Filename
			f, err := fh.Open()
			if err != nil {
				badNames = append(badNames, "“"+name+"” did not arrive whole. Please choose it again.")
				continue
			}
			key, err := s.cfg.Images.Save(ctx, vendorID, f)
			f.Close()
			if err != nil {
				msg := app.ErrorFields(err)["image"]
				if msg == "" {
					s.log.ErrorContext(ctx, "saving a product photo", "err", err)
					msg = "We could not save it just now. Please try again."
				}
				badNames = append(badNames, "“"+name+"”: "+msg)
				continue
			}
			rows = append(rows, photoRow{Key: key, Pos: strconv.Itoa(len(rows) + 1)})
			added++
			touched = true
		}
	}
	for i := range rows {
		rows[i].N = i + 1
	}
	if len(badNames) > 0 {
		form.Errors["photos"] = strings.Join(badNames, " ")
	}
	// The order: by the typed position (a blank or unreadable one keeps
	// its place), ties in the order shown.
	type ranked struct {
		pos float64
		key string
	}
	var kept []ranked
	for i, r := range rows {
		if r.Remove {
			continue
		}
		pos, err := strconv.ParseFloat(r.Pos, 64)
		if err != nil {
			pos = float64(i + 1)
		}
		kept = append(kept, ranked{pos, r.Key})
	}
	slices.SortStableFunc(kept, func(a, b ranked) int { return cmp.Compare(a.pos, b.pos) })
	keys := make([]string, 0, len(kept)+1)
	for _, k := range kept {
		keys = append(keys, k.key)
	}
	if cover != nil {
		keys = app.WithCover(keys, *cover)
	}
	unique := map[string]bool{}
	for _, k := range keys {
		unique[k] = true
	}
	if len(unique) > app.MaxPhotos && form.Errors["photos"] == "" {
		form.Errors["photos"] = app.TooManyPhotosMessage + " This form has " + strconv.Itoa(len(unique)) + "."
	}
	if !touched {
		return nil, rows // a form without the gallery that changed nothing of it
	}
	return &keys, rows
}

// putRows records the rows in the form's values, for writeProductForm.
func putRows(form *Form, rows []photoRow) {
	for k := range form.Values {
		if strings.HasPrefix(k, "photo_") {
			delete(form.Values, k)
		}
	}
	for _, r := range rows {
		n := "photo_" + strconv.Itoa(r.N)
		form.Values[n] = r.Key
		form.Values[n+"_pos"] = r.Pos
		if r.Remove {
			form.Values[n+"_remove"] = "on"
		}
	}
}

// formRows are the rows putRows recorded.
func formRows(form Form) []photoRow {
	var rows []photoRow
	for n := 1; ; n++ {
		name := "photo_" + strconv.Itoa(n)
		key := form.Values[name]
		if key == "" {
			return rows
		}
		rows = append(rows, photoRow{N: n, Key: key, Pos: form.Values[name+"_pos"], Remove: form.Values[name+"_remove"] == "on"})
	}
}
