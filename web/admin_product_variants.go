package web

import (
	"strconv"
	"strings"

	"dukaan/app"
)

// The product form's inline variant rows (issue 15). Row i's fields are
// app.VariantField(i, name): v<i>_id (empty for a new row), _label, _mrp,
// _price, _stock, _stock_was, _available, _position and _remove. The form
// carries "variants=1" so that a form without the section (a tool older
// than variants) leaves them as they are. It works without JavaScript:
// empty rows to add, a "remove" box and a position per row.

// variantFieldNames are the fields of one row, in the form's order.
var variantFieldNames = []string{"id", "label", "mrp", "price", "stock", "stock_was", "available", "position", "remove"}

// maxVariantRows bounds the rows a POST is read for: the limit's worth of
// kept rows and as many again removed or empty.
const maxVariantRows = 2 * app.MaxVariants

// emptyVariantRows is how many blank rows the form offers to add.
const emptyVariantRows = 3

// variantRow is one row as the template shows it.
type variantRow struct {
	I                                                int
	ID, Label, MRP, Price, Stock, StockWas, Position string
	Available, Remove                                bool
	Errors                                           map[string]string // by field name ("label")
}

// Name is the row's field name for name ("v2_label").
func (r variantRow) Name(name string) string { return app.VariantField(r.I, name) }

// variantFormValues puts a product's variants into the form's values.
func variantFormValues(form Form, p *app.Product) {
	for i, v := range p.Variants {
		f := func(name string) string { return app.VariantField(i, name) }
		form.Values[f("id")] = itoa(v.ID)
		form.Values[f("label")] = v.Label
		form.Values[f("mrp")] = v.MRP.Input()
		form.Values[f("price")] = v.Price.Input()
		form.Values[f("stock")] = strconv.FormatInt(v.Stock, 10)
		form.Values[f("stock_was")] = strconv.FormatInt(v.Stock, 10)
		form.Values[f("position")] = strconv.Itoa(i + 1)
		if v.Available {
			form.Values[f("available")] = "on"
		}
	}
}

// variantRowCount is how many rows the form's values hold.
func variantRowCount(form Form) int {
	n := 0
	for n < maxVariantRows {
		if _, ok := form.Values[app.VariantField(n, "label")]; !ok {
			break
		}
		n++
	}
	return n
}

// variantRows are the form's rows, then blank ones to add (positions after
// the last), up to the parse bound.
func variantRows(form Form) []variantRow {
	n := variantRowCount(form)
	total := min(n+emptyVariantRows, maxVariantRows)
	rows := make([]variantRow, total)
	for i := range rows {
		f := func(name string) string { return form.Values[app.VariantField(i, name)] }
		r := variantRow{I: i, ID: f("id"), Label: f("label"), MRP: f("mrp"), Price: f("price"), Stock: f("stock"),
			StockWas: f("stock_was"), Position: f("position"), Available: f("available") == "on", Remove: f("remove") == "on",
			Errors: map[string]string{}}
		if i >= n {
			r.Position, r.Available = strconv.Itoa(i+1), true
		}
		for _, name := range variantFieldNames {
			if msg := form.Errors[app.VariantField(i, name)]; msg != "" {
				r.Errors[name] = msg
			}
		}
		rows[i] = r
	}
	return rows
}

// hasKeptVariants reports whether the form's rows keep any variant: then
// the product's own price and stock are not asked for.
func hasKeptVariants(form Form) bool {
	for i := range variantRowCount(form) {
		f := func(name string) string { return strings.TrimSpace(form.Values[app.VariantField(i, name)]) }
		if f("remove") != "on" && (f("id") != "" || f("label") != "" || f("mrp") != "" || f("price") != "") {
			return true
		}
	}
	return false
}

// parseVariantRows reads the rows of a form that has the section; nil
// when it has not. A row without an id whose fields are all blank is
// an unused "add" row and kept as removed, so indexes stay the form's.
func parseVariantRows(post func(string) (string, bool), form Form) *[]app.VariantInput {
	if v, _ := post("variants"); v != "1" {
		return nil
	}
	form.Values["variants"] = "1"
	var rows []app.VariantInput
	for i := range maxVariantRows {
		if _, ok := post(app.VariantField(i, "label")); !ok {
			break
		}
		val := func(name string) string {
			v, _ := post(app.VariantField(i, name))
			if name == "available" || name == "remove" {
				if v == "on" || v == "true" || v == "1" {
					v = "on"
				} else {
					v = ""
				}
			}
			form.Values[app.VariantField(i, name)] = v
			return strings.TrimSpace(v)
		}
		for _, name := range variantFieldNames {
			val(name)
		}
		get := func(name string) string { return strings.TrimSpace(form.Values[app.VariantField(i, name)]) }
		errs := func(name, msg string) { form.Errors[app.VariantField(i, name)] = msg }
		in := app.VariantInput{Label: get("label"), Available: get("available") == "on", Remove: get("remove") == "on"}
		if id := get("id"); id != "" {
			n, err := strconv.ParseInt(id, 10, 64)
			if err != nil || n <= 0 {
				errs("label", "The form is damaged. Please reload the page.")
			}
			in.ID = n
		} else if get("label") == "" && get("mrp") == "" && get("price") == "" && (get("stock") == "" || get("stock") == "0") {
			in.Remove = true // an unused blank row
		}
		if p, err := strconv.ParseInt(get("position"), 10, 64); err == nil {
			in.Position = p
		} else {
			in.Position = int64(i + 1)
		}
		if !in.Remove {
			var err error
			if in.MRP, err = app.ParseRupees(get("mrp")); err != nil {
				errs("mrp", app.ErrorMessage(err))
			}
			if in.Price, err = app.ParseRupees(get("price")); err != nil {
				errs("price", app.ErrorMessage(err))
			}
			if in.Stock, err = parseCount(get("stock"), app.MaxStock); err != nil {
				errs("stock", app.StockRangeMessage)
			}
			if was := get("stock_was"); was != "" && in.ID != 0 {
				if n, err := strconv.ParseInt(was, 10, 64); err == nil && n >= 0 {
					in.StockWas = &n
				}
			}
		}
		rows = append(rows, in)
	}
	return &rows
}
