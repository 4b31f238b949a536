package storage

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect"

	"dukaan/app"
)

type variantModel struct {
	bun.BaseModel `bun:"table:product_variants,alias:pv"`

	ID        int64  `bun:"id,pk,autoincrement"`
	VendorID  int64  `bun:"vendor_id"`
	ProductID int64  `bun:"product_id"`
	Label     string `bun:"label"`
	MRP       int64  `bun:"mrp"`
	Price     int64  `bun:"price"`
	Stock     int64  `bun:"stock"`
	Available bool   `bun:"available"`
	Archived  bool   `bun:"archived"`
	Position  int64  `bun:"position"`
}

func (m *variantModel) toApp() app.Variant {
	return app.Variant{ID: m.ID, ProductID: m.ProductID, Label: m.Label, MRP: app.Paise(m.MRP),
		Price: app.Paise(m.Price), Stock: m.Stock, Available: m.Available, Position: m.Position}
}

// withVariants fills the products' variants with one query for all of
// them (a page of products costs one extra query, not one per product).
func withVariants(ctx context.Context, db bun.IDB, vendorID int64, ps ...*app.Product) error {
	if len(ps) == 0 {
		return nil
	}
	ids := make([]int64, len(ps))
	byID := make(map[int64]*app.Product, len(ps))
	for i, p := range ps {
		ids[i] = p.ID
		byID[p.ID] = p
		p.Variants = nil
	}
	var ms []variantModel
	err := db.NewSelect().Model(&ms).
		Where("vendor_id = ?", vendorID).
		Where("product_id IN (?)", bun.In(ids)).
		Where("archived = FALSE").
		OrderExpr("product_id, position, id").
		Scan(ctx)
	if err != nil {
		return err
	}
	for i := range ms {
		p := byID[ms[i].ProductID]
		p.Variants = append(p.Variants, ms[i].toApp())
	}
	return nil
}

// variantListPrice is the MRP and price a product with variants keeps in
// its own row, for what lists products without reading variants (sort,
// JSON-LD's offer, the sitemap): the lowest-priced kept row's. ok is
// false when no row stays.
func variantListPrice(in []app.VariantInput) (mrp, price app.Paise, ok bool) {
	for _, v := range in {
		if v.Remove {
			continue
		}
		if !ok || v.Price < price {
			mrp, price, ok = v.MRP, v.Price, true
		}
	}
	return mrp, price, ok
}

// saveVariants makes the product's variants what the form's rows say, in
// the caller's transaction: rows without an id are added, rows marked
// Remove are deleted (archived instead when order lines point at them, so
// a cancellation can still restock them; lines keep their own copy of
// the label and price either way), the others edited, and positions
// renumbered 1…n in Position order. Messages are keyed by
// app.VariantField of the row's index.
func saveVariants(ctx context.Context, tx bun.IDB, vendorID, productID int64, rows []app.VariantInput) error {
	var existing []variantModel
	err := tx.NewSelect().Model(&existing).
		Where("vendor_id = ?", vendorID).
		Where("product_id = ?", productID).
		Where("archived = FALSE").
		Apply(forUpdate(tx, true)).
		Scan(ctx)
	if err != nil {
		return err
	}
	have := make(map[int64]variantModel, len(existing))
	for _, m := range existing {
		have[m.ID] = m
	}
	order := make([]int, len(rows))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(rows[a].Position, rows[b].Position) })
	pos := int64(0)
	for _, i := range order {
		in := rows[i]
		if in.ID != 0 {
			if _, ok := have[in.ID]; !ok {
				if in.Remove {
					continue // already gone
				}
				return app.Invalid("Please correct the highlighted fields.", map[string]string{
					app.VariantField(i, "label"): "This variant was removed meanwhile. Reload the page.",
				})
			}
		}
		switch {
		case in.Remove && in.ID == 0:
			continue
		case in.Remove:
			if err := removeVariant(ctx, tx, vendorID, productID, in.ID); err != nil {
				return err
			}
			continue
		}
		pos++
		if in.ID == 0 {
			m := &variantModel{VendorID: vendorID, ProductID: productID, Label: in.Label, MRP: int64(in.MRP),
				Price: int64(in.Price), Stock: in.Stock, Available: in.Available, Position: pos}
			if _, err := tx.NewInsert().Model(m).Returning("id").Exec(ctx); err != nil {
				return err
			}
			continue
		}
		q := tx.NewUpdate().Model((*variantModel)(nil)).
			Set("label = ?", in.Label).
			Set("mrp = ?", int64(in.MRP)).
			Set("price = ?", int64(in.Price)).
			Set("available = ?", in.Available).
			Set("position = ?", pos).
			Where("id = ?", in.ID).
			Where("vendor_id = ?", vendorID)
		// The StockWas rule of products, per variant: orders taken while
		// the form was open are not undone, and a number the vendor never
		// saw is not overwritten.
		switch {
		case in.StockWas == nil:
			q = q.Set("stock = ?", in.Stock)
		case in.Stock != *in.StockWas:
			q = q.Set("stock = ?", in.Stock).Where("stock = ?", *in.StockWas)
		}
		res, err := q.Exec(ctx)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			var now int64
			if err := tx.NewSelect().Model((*variantModel)(nil)).Column("stock").Where("id = ?", in.ID).Scan(ctx, &now); err != nil {
				return err
			}
			return &app.Error{Code: app.ECONFLICT,
				Message: fmt.Sprintf("Orders changed the stock of %s to %d while you were editing. Check it and save again.", in.Label, now),
				Fields:  map[string]string{app.VariantField(i, "stock"): fmt.Sprintf("Now %d. Check it and save again.", now)}}
		}
	}
	return nil
}

// removeVariant deletes a variant, or archives it when order lines point
// at it (the row lock from saveVariants' read keeps an order from adding
// a line in between on PostgreSQL; SQLite's write lock does on SQLite).
func removeVariant(ctx context.Context, tx bun.IDB, vendorID, productID, id int64) error {
	ordered, err := tx.NewSelect().Model((*orderItemModel)(nil)).
		Where("product_id = ?", productID).Where("variant_id = ?", id).Exists(ctx)
	if err != nil {
		return err
	}
	if ordered {
		_, err = tx.NewUpdate().Model((*variantModel)(nil)).
			Set("archived = TRUE").Set("available = FALSE").
			Where("id = ?", id).Where("vendor_id = ?", vendorID).Exec(ctx)
		return err
	}
	_, err = tx.NewDelete().Model((*variantModel)(nil)).
		Where("id = ?", id).Where("vendor_id = ?", vendorID).Exec(ctx)
	return err
}

// variantProducts fills in the product of each variant line (the form's
// qty_v<id> names only the variant). A variant that is not the vendor's
// leaves ProductID 0, which takeStock refuses as not sold.
func variantProducts(ctx context.Context, db bun.IDB, vendorID int64, lines []app.OrderLine) error {
	var ids []int64
	for _, l := range lines {
		if l.VariantID != 0 {
			ids = append(ids, l.VariantID)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	var ms []variantModel
	if err := db.NewSelect().Model(&ms).Column("id", "product_id").
		Where("vendor_id = ?", vendorID).Where("id IN (?)", bun.In(ids)).Scan(ctx); err != nil {
		return err
	}
	product := make(map[int64]int64, len(ms))
	for _, m := range ms {
		product[m.ID] = m.ProductID
	}
	for i := range lines {
		if lines[i].VariantID != 0 {
			lines[i].ProductID = product[lines[i].VariantID]
		}
	}
	return nil
}

// takeVariant is one variant line's conditional decrement: only if the
// variant has the units, is on sale, and its product is too (and at the
// shown price, if any). ok is false when nothing matched.
func takeVariant(ctx context.Context, tx bun.IDB, vendorID int64, l app.OrderLine, shown map[int64]app.Paise) (s takenStock, ok bool, err error) {
	// On PostgreSQL the product's row is share-locked first: orders of
	// its variants do not wait for each other, but an edit, hide or delete
	// of the product (FOR UPDATE) waits for them to commit, and sees
	// their lines (DeleteProduct then archives instead of deleting). Rows
	// are locked in ascending product id, each product's variants after
	// it, the order every writer follows, so no lock cycle can form.
	// SQLite's transaction holds the one write lock from BEGIN.
	if tx.Dialect().Name() == dialect.PG {
		var id int64
		err := tx.NewRaw("SELECT id FROM products WHERE id = ? AND vendor_id = ? FOR SHARE", l.ProductID, vendorID).Scan(ctx, &id)
		if errors.Is(err, sql.ErrNoRows) {
			return s, false, nil
		} else if err != nil {
			return s, false, err
		}
	}
	q := `UPDATE product_variants SET stock = stock - ?
WHERE id = ? AND vendor_id = ? AND stock >= ? AND available = TRUE AND archived = FALSE
AND EXISTS (SELECT 1 FROM products p WHERE p.id = product_variants.product_id AND p.available = TRUE AND p.archived = FALSE)`
	args := []any{l.Qty, l.VariantID, vendorID, l.Qty}
	if p, ok := shown[l.VariantID]; ok {
		q += " AND price = ?"
		args = append(args, int64(p))
	}
	err = tx.NewRaw(q+"\nRETURNING label, mrp, price, stock", args...).Scan(ctx, &s.Label, &s.MRP, &s.Price, &s.Stock)
	if errors.Is(err, sql.ErrNoRows) {
		return s, false, nil
	} else if err != nil {
		return s, false, err
	}
	// The card's sold-out state and "from" price are read with the
	// variants, so the product row itself is not written (which would
	// make every order of any variant wait on the product's row lock).
	if err := tx.NewSelect().Model((*productModel)(nil)).Column("name").
		Where("id = ?", l.ProductID).Where("vendor_id = ?", vendorID).Scan(ctx, &s.Name); err != nil {
		return s, false, err
	}
	s.Variant = true
	return s, true, nil
}

// whyNotVariant says why a variant line cannot be filled now (at its
// shown price, if any); bad is false when it can.
func whyNotVariant(ctx context.Context, db bun.IDB, vendorID int64, l app.OrderLine, shown map[int64]app.Paise) (r app.LineRefusal, bad bool, err error) {
	r = app.LineRefusal{ProductID: l.ProductID, VariantID: l.VariantID, Reason: app.RefusedNotSold}
	if l.ProductID == 0 {
		return r, true, nil
	}
	var row struct {
		Name             string `bun:"name"`
		Label            string `bun:"label"`
		Price            int64  `bun:"price"`
		Stock            int64  `bun:"stock"`
		Available        bool   `bun:"available"`
		Archived         bool   `bun:"archived"`
		ProductAvailable bool   `bun:"product_available"`
		ProductArchived  bool   `bun:"product_archived"`
	}
	err = db.NewRaw(`SELECT p.name, v.label, v.price, v.stock, v.available, v.archived,
p.available AS product_available, p.archived AS product_archived
FROM product_variants v JOIN products p ON p.id = v.product_id
WHERE v.id = ? AND v.vendor_id = ?`, l.VariantID, vendorID).Scan(ctx, &row)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return r, true, nil
	case err != nil:
		return app.LineRefusal{}, false, err
	}
	r.Name, r.Label = row.Name, row.Label
	switch {
	case row.Archived || row.ProductArchived:
		r.Reason = app.RefusedNotSold
	case !row.Available || !row.ProductAvailable:
		r.Reason = app.RefusedUnavailable
	case row.Stock <= 0:
		r.Reason = app.RefusedSoldOut
	case row.Stock < l.Qty:
		r.Reason, r.Left = app.RefusedNotEnough, row.Stock
	case hasShown(shown, l.VariantID) && shown[l.VariantID] != app.Paise(row.Price):
		r.Reason, r.Price, r.Was = app.RefusedPriceChanged, app.Paise(row.Price), shown[l.VariantID]
	default:
		return app.LineRefusal{}, false, nil
	}
	return r, true, nil
}
