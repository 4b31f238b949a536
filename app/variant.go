package app

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// Limits on a product's variants ("250 g" / "500 g", sizes S/M/L).
const (
	MaxVariants        = 20 // variants of one product
	MaxVariantLabelLen = 40
)

// Variant is one choice of a product with its own label, prices and
// stock. A product with variants is sold only by its variants: the
// product's own price and stock are not offered.
type Variant struct {
	ID        int64
	ProductID int64
	Label     string
	MRP       Paise
	Price     Paise
	Stock     int64
	Available bool
	Position  int64 // the order the shop and the console list them in
}

// SoldOut reports whether the shop shows the variant as not orderable.
func (v *Variant) SoldOut() bool { return v.Stock <= 0 || !v.Available }

// HasVariants reports whether the product is sold by its variants.
func (p *Product) HasVariants() bool { return len(p.Variants) > 0 }

// FromPrice is the lowest price of the variants the shop can sell now
// ("from ₹X"), or of all variants when none can be: the card's price.
// For a product without variants it is Price.
func (p *Product) FromPrice() Paise {
	if !p.HasVariants() {
		return p.Price
	}
	var low Paise
	for _, onlyOrderable := range []bool{true, false} {
		for i := range p.Variants {
			v := &p.Variants[i]
			if onlyOrderable && v.SoldOut() {
				continue
			}
			if low == 0 || v.Price < low {
				low = v.Price
			}
		}
		if low > 0 {
			break
		}
	}
	return low
}

// Variant returns the product's variant with the id, or nil.
func (p *Product) Variant(id int64) *Variant {
	for i := range p.Variants {
		if p.Variants[i].ID == id {
			return &p.Variants[i]
		}
	}
	return nil
}

// VariantInput is one row of the product form's variant list. ID 0 adds a
// variant; Remove drops an existing one. The list is saved in Position
// order (ties keep the rows' order).
type VariantInput struct {
	ID        int64
	Label     string
	MRP       Paise
	Price     Paise
	Stock     int64
	Available bool
	Position  int64
	Remove    bool
	// StockWas follows ProductInput.StockWas, per variant.
	StockWas *int64
}

// VariantField is the form field name of variant row i's field name
// ("v3_label"), and the key of its message in Fields.
func VariantField(i int, name string) string { return "v" + strconv.Itoa(i) + "_" + name }

// Validate normalises the row (one-line label) and checks it, adding a
// message per field to fields under VariantField(i, …).
func (in *VariantInput) Validate(i int, fields map[string]string) {
	if in.Remove {
		return
	}
	in.Label = CleanText(in.Label)
	switch n := utf8.RuneCountInString(in.Label); {
	case n == 0:
		fields[VariantField(i, "label")] = "Enter a label, like 250 g or M."
	case n > MaxVariantLabelLen:
		fields[VariantField(i, "label")] = atMostChars(MaxVariantLabelLen)
	}
	switch {
	case in.MRP <= 0:
		fields[VariantField(i, "mrp")] = "MRP must be more than ₹0."
	case in.MRP > MaxPaise:
		fields[VariantField(i, "mrp")] = tooLargeMessage()
	}
	switch {
	case in.Price <= 0:
		fields[VariantField(i, "price")] = "Price must be more than ₹0."
	case in.Price > in.MRP && fields[VariantField(i, "mrp")] == "":
		fields[VariantField(i, "price")] = "Price cannot be more than the MRP (" + in.MRP.String() + ")."
	}
	if in.Stock < 0 || in.Stock > MaxStock {
		fields[VariantField(i, "stock")] = StockRangeMessage
	}
}

// validateVariants checks every row, the count kept, and that no two kept
// rows share a label (case aside) or an id.
func validateVariants(vs []VariantInput, fields map[string]string) {
	kept := 0
	labels := map[string]int{}
	ids := map[int64]bool{}
	for i := range vs {
		vs[i].Validate(i, fields)
		if vs[i].Remove {
			continue
		}
		kept++
		if vs[i].ID != 0 {
			if ids[vs[i].ID] {
				fields[VariantField(i, "label")] = "This variant is listed twice."
			}
			ids[vs[i].ID] = true
		}
		key := strings.ToLower(vs[i].Label)
		if j, ok := labels[key]; ok && key != "" {
			fields[VariantField(i, "label")] = "Variant " + strconv.Itoa(j+1) + " already has this label."
		}
		labels[key] = i
	}
	if kept > MaxVariants {
		fields["variants"] = "A product can have at most " + strconv.Itoa(MaxVariants) + " variants."
	}
}

// KeptVariants is the number of rows that stay (not removed).
func (in *ProductInput) KeptVariants() int {
	if in.Variants == nil {
		return 0
	}
	n := 0
	for _, v := range *in.Variants {
		if !v.Remove {
			n++
		}
	}
	return n
}

// VariantQtyFieldPrefix starts the order form's quantity field of a
// variant: qty_v<variant id>.
const VariantQtyFieldPrefix = QtyFieldPrefix + "v"

// VariantQtyField is the order form's quantity field of a variant, and the
// key of its line's message in an order refusal's Fields.
func VariantQtyField(variantID int64) string {
	return VariantQtyFieldPrefix + strconv.FormatInt(variantID, 10)
}
