package web

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/gin-gonic/gin"

	"dukaan/app"
)

const productsPerPage = 25

func (s *Server) listProducts(c *gin.Context) error {
	v := currentVendor(c)
	q := strings.TrimSpace(c.Query("q"))
	if utf8.RuneCountInString(q) > app.MaxProductNameLen {
		q = string([]rune(q)[:app.MaxProductNameLen])
	}
	page := pageNumber(c)
	products, total, err := s.cfg.Products.Products(c.Request.Context(), app.ProductFilter{
		VendorID: v.ID, Query: q, Offset: (page - 1) * productsPerPage, Limit: productsPerPage,
	})
	if err != nil {
		return err
	}
	base := ""
	if q != "" {
		base = "q=" + url.QueryEscape(q) + "&"
	}
	s.write(c.Writer, http.StatusOK, "products.html", productsPage{
		Page:     s.adminPage(c, "products", "Products"),
		Products: products, Query: q,
		Pager: Pager{Page: page, PerPage: productsPerPage, Total: total, BaseQuery: base},
	})
	return nil
}

func (s *Server) newProductForm(c *gin.Context) error {
	form := Form{Values: map[string]string{"available": "on", "stock": "0", "low_stock_at": strconv.Itoa(app.DefaultLowStockAt)}}
	return s.writeProductForm(c, http.StatusOK, "Add product", nil, form)
}

func (s *Server) createProduct(c *gin.Context) error {
	in, form := parseProductForm(c)
	var rows []photoRow
	in.Photos, rows = s.productPhotos(c, &form, nil)
	putRows(&form, rows)
	if len(form.Errors) > 0 {
		return s.productFormError(c, nil, form, http.StatusUnprocessableEntity)
	}
	p, err := s.cfg.Products.CreateProduct(c.Request.Context(), currentVendor(c).ID, in)
	if err != nil {
		return s.productSaveError(c, nil, form, err)
	}
	s.flash(c, "Added “"+p.Name+"”.")
	c.Redirect(http.StatusSeeOther, "/products")
	return nil
}

// pathProduct is the logged-in vendor's product named by the path's id;
// anything else (another vendor's, archived, not a number) is not found.
func (s *Server) pathProduct(c *gin.Context) (*app.Product, error) {
	id, err := pathID(c)
	if err != nil {
		return nil, err
	}
	return s.cfg.Products.Product(c.Request.Context(), currentVendor(c).ID, id)
}

func (s *Server) editProductForm(c *gin.Context) error {
	p, err := s.pathProduct(c)
	if err != nil {
		return err
	}
	form := Form{Values: map[string]string{
		"name": p.Name, "description": p.Description,
		"mrp": p.MRP.Input(), "price": p.Price.Input(),
		"stock": strconv.FormatInt(p.Stock, 10), "stock_was": strconv.FormatInt(p.Stock, 10),
		"low_stock_at": strconv.FormatInt(p.LowStockAt, 10),
	}}
	if p.Available {
		form.Values["available"] = "on"
	}
	if p.CategoryID != 0 {
		form.Values["category_id"] = itoa(p.CategoryID)
	}
	variantFormValues(form, p)
	putRows(&form, rowsOf(p.Photos))
	return s.writeProductForm(c, http.StatusOK, "Edit "+p.Name, p, form)
}

func (s *Server) updateProduct(c *gin.Context) error {
	// Look the product up first so another vendor's id is a 404 even when
	// the form is invalid.
	p, err := s.pathProduct(c)
	if err != nil {
		return err
	}
	vendorID, id := currentVendor(c).ID, p.ID
	in, form := parseProductForm(c)
	var rows []photoRow
	in.Photos, rows = s.productPhotos(c, &form, p)
	putRows(&form, rows)
	if len(form.Errors) > 0 {
		return s.productFormError(c, p, form, http.StatusUnprocessableEntity)
	}
	updated, err := s.cfg.Products.UpdateProduct(c.Request.Context(), vendorID, id, in)
	if err != nil {
		if app.ErrorCode(err) == app.ECONFLICT {
			// Orders moved the stock while the vendor was editing: show the
			// current stock and let them decide again.
			if cur, err2 := s.cfg.Products.Product(c.Request.Context(), vendorID, id); err2 == nil {
				form.Values["stock_was"] = strconv.FormatInt(cur.Stock, 10)
				for i := range variantRowCount(form) {
					vid, _ := strconv.ParseInt(form.Values[app.VariantField(i, "id")], 10, 64)
					if v := cur.Variant(vid); v != nil {
						form.Values[app.VariantField(i, "stock_was")] = strconv.FormatInt(v.Stock, 10)
					}
				}
			}
		}
		return s.productSaveError(c, p, form, err)
	}
	s.flash(c, "Saved “"+updated.Name+"”.")
	c.Redirect(http.StatusSeeOther, "/products")
	return nil
}

// productSaveError re-renders the form for errors the vendor can fix and
// passes any other error up.
func (s *Server) productSaveError(c *gin.Context, p *app.Product, form Form, err error) error {
	switch app.ErrorCode(err) {
	case app.EINVALID, app.ECONFLICT:
		if form.Errors == nil {
			form.Errors = map[string]string{}
		}
		for k, v := range app.ErrorFields(err) {
			form.Errors[k] = v
		}
		form.Message = app.ErrorMessage(err)
		return s.productFormError(c, p, form, statusOf(err))
	}
	return err
}

func (s *Server) productFormError(c *gin.Context, p *app.Product, form Form, status int) error {
	if form.Message == "" {
		form.Message = "Please fix the highlighted fields."
	}
	title := "Add product"
	if p != nil {
		title = "Edit " + p.Name
	}
	return s.writeProductForm(c, status, title, p, form)
}

// parseProductForm reads and checks the product fields. Money is typed in
// rupees and kept in paise.
func parseProductForm(c *gin.Context) (app.ProductInput, Form) {
	form := Form{Values: map[string]string{}, Errors: map[string]string{}}
	for _, k := range []string{"name", "description", "mrp", "price", "stock", "stock_was", "available", "category_id"} {
		form.Values[k] = c.PostForm(k)
	}
	in := app.ProductInput{Name: form.Values["name"], Description: form.Values["description"]}
	var err error
	in.Variants = parseVariantRows(c.GetPostForm, form)
	// A product sold by its variants has no price or stock of its own to
	// parse (app.ProductInput.Validate does not ask for them either).
	sold := in.KeptVariants() == 0
	if in.MRP, err = app.ParseRupees(form.Values["mrp"]); err != nil && sold {
		form.Errors["mrp"] = app.ErrorMessage(err)
	}
	if in.Price, err = app.ParseRupees(form.Values["price"]); err != nil && sold {
		form.Errors["price"] = app.ErrorMessage(err)
	}
	if in.Stock, err = parseCount(form.Values["stock"], app.MaxStock); err != nil && sold {
		form.Errors["stock"] = app.StockRangeMessage
	}
	if was := strings.TrimSpace(form.Values["stock_was"]); was != "" {
		if n, err := strconv.ParseInt(was, 10, 64); err == nil && n >= 0 {
			in.StockWas = &n
		}
	}
	// The category: absent leaves it as it is (tools from before
	// categories), empty is none, else an id storage checks is the
	// vendor's.
	if _, sent := c.Request.PostForm["category_id"]; sent {
		var id int64
		if cat := strings.TrimSpace(form.Values["category_id"]); cat != "" {
			n, err := strconv.ParseInt(cat, 10, 64)
			if err != nil || n <= 0 {
				form.Errors["category_id"] = "Choose one of your categories."
			}
			id = n
		}
		in.CategoryID = &id
	}
	// The shared rules, for every field that parsed.
	// A form without the threshold (a tool older than it) keeps it; an
	// empty one is off.
	if _, ok := c.GetPostForm("low_stock_at"); ok {
		form.Values["low_stock_at"] = c.PostForm("low_stock_at")
		n := int64(0)
		if !blank(form.Values["low_stock_at"]) {
			if n, err = parseCount(form.Values["low_stock_at"], app.MaxLowStockAt); err != nil {
				form.Errors["low_stock_at"] = app.LowStockRangeMessage
			}
		}
		in.LowStockAt = &n
	}
	for k, msg := range in.Validate() {
		if form.Errors[k] == "" {
			form.Errors[k] = msg
		}
	}
	form.Values["name"] = in.Name
	switch form.Values["available"] {
	case "on", "true", "1":
		in.Available = true
		form.Values["available"] = "on"
	default:
		form.Values["available"] = ""
	}
	return in, form
}

// parseCount parses a whole number in [0, max].
func parseCount(s string, max int64) (int64, error) {
	n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	if err != nil || n < 0 || n > max {
		return 0, app.Errorf(app.EINVALID, "out of range")
	}
	return n, nil
}

func (s *Server) setAvailability(c *gin.Context) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	var available bool
	switch c.PostForm("available") {
	case "true", "on", "1":
		available = true
	case "false", "off", "0":
	default:
		// Check the id first: another vendor's product is 404 whatever the body.
		if _, err := s.pathProduct(c); err != nil {
			return err
		}
		return app.Errorf(app.EINVALID, "available must be true or false.")
	}
	p, err := s.cfg.Products.SetAvailability(c.Request.Context(), currentVendor(c).ID, id, available)
	if err != nil {
		return err
	}
	if available {
		s.flash(c, "“"+p.Name+"” is now on sale.")
	} else {
		s.flash(c, "“"+p.Name+"” is hidden from your shop.")
	}
	c.Redirect(http.StatusSeeOther, "/products")
	return nil
}

func (s *Server) deleteProduct(c *gin.Context) error {
	p, err := s.pathProduct(c)
	if err != nil {
		return err
	}
	archived, err := s.cfg.Products.DeleteProduct(c.Request.Context(), currentVendor(c).ID, p.ID)
	if err != nil {
		return err
	}
	if archived {
		s.flash(c, "Removed “"+p.Name+"” from your shop. It stays on its past orders.")
	} else {
		s.flash(c, "Deleted “"+p.Name+"”.")
	}
	c.Redirect(http.StatusSeeOther, "/products")
	return nil
}

// writeProductForm renders the add or edit form. The shop's categories
// are read for the select: when they cannot be, the form is not shown
// (a select without the product's category would clear it on save).
func (s *Server) writeProductForm(c *gin.Context, status int, title string, p *app.Product, form Form) error {
	page := productFormPage{Page: s.adminPage(c, "products", title), Product: p, Form: form,
		Variants: variantRows(form), HasVariants: hasKeptVariants(form)}
	if s.cfg.Images != nil {
		page.Photos, page.PhotoMaxMB = true, s.cfg.Images.MaxBytes()>>20
		page.PhotoRows, page.MaxPhotos = formRows(form), app.MaxPhotos
	}
	if s.cfg.Categories != nil {
		cs, err := s.cfg.Categories.Categories(c.Request.Context(), currentVendor(c).ID)
		if err != nil {
			return err
		}
		page.Categories = cs
	}
	s.write(c.Writer, status, "product_form.html", page)
	return nil
}
