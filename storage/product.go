package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect"

	"dukaan/app"
)

func errProductNotFound() error { return app.Errorf(app.ENOTFOUND, "Product not found.") }

// validateProduct is the last line behind the form's own validation: it
// keeps a caller that skipped it (a script, a future API) from storing a
// product the shop cannot show or sell correctly, with an error a form can
// display rather than a CHECK constraint's.
func validateProduct(in *app.ProductInput) error {
	if fields := in.Validate(); len(fields) > 0 {
		return app.Invalid("Please correct the highlighted fields.", fields)
	}
	return nil
}

// CreateProduct adds a product to the vendor's catalogue.
func (d *DB) CreateProduct(ctx context.Context, vendorID int64, in app.ProductInput) (*app.Product, error) {
	if err := validateProduct(&in); err != nil {
		return nil, err
	}
	t := now()
	photos := newPhotos(&in, nil)
	image := cover(photos)
	lowStockAt := int64(app.DefaultLowStockAt)
	if in.LowStockAt != nil {
		lowStockAt = *in.LowStockAt
	}
	m := &productModel{
		Image:       image,
		LowStockAt:  lowStockAt,
		VendorID:    vendorID,
		Name:        in.Name,
		Description: in.Description,
		MRP:         int64(in.MRP),
		Price:       int64(in.Price),
		Stock:       in.Stock,
		Available:   in.Available,
		CategoryID:  deref(in.CategoryID),
		CreatedAt:   t,
		UpdatedAt:   t,
	}
	ctx = owing(ctx) // publish settles the purge jobs owe writes
	m.SearchName, m.SearchText = searchColumns(in.Name, in.Description)
	if in.Variants != nil {
		if mrp, price, ok := variantListPrice(*in.Variants); ok {
			m.MRP, m.Price, m.Stock = int64(mrp), int64(price), 0
		}
	}
	var p *app.Product
	err := d.db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		if err := checkProductCategory(ctx, tx, vendorID, deref(in.CategoryID)); err != nil {
			return err
		}
		_, err := tx.NewInsert().Model(m).Returning("id").Exec(ctx)
		if isForeignKeyViolation(err) {
			return app.Errorf(app.ENOTFOUND, "Store not found.")
		} else if err != nil {
			return err
		}
		p = m.toApp()
		if in.Variants != nil {
			if err := saveVariants(ctx, tx, vendorID, m.ID, *in.Variants); err != nil {
				return err
			}
			if err := withVariants(ctx, tx, vendorID, p); err != nil {
				return err
			}
		}
		if err := savePhotos(ctx, tx, vendorID, m.ID, photos); err != nil {
			return err
		}
		return d.owe(ctx, tx, app.ProductEvent{Kind: app.ProductCreated, VendorID: vendorID, ProductID: m.ID})
	})
	if err != nil {
		return nil, wrap("CreateProduct", err)
	}
	d.publish(ctx, app.ProductEvent{Kind: app.ProductCreated, VendorID: vendorID, ProductID: m.ID})
	if len(photos) > 0 {
		p.Photos = photos
	}
	return p, nil
}

// UpdateProduct saves the vendor's edit. Stock follows ProductInput's
// StockWas rule: a vendor who saves a form without touching stock must not
// undo the orders that came in while the form was open, and a vendor who
// did change it must not overwrite a number they never saw.
func (d *DB) UpdateProduct(ctx context.Context, vendorID, id int64, in app.ProductInput) (*app.Product, error) {
	if err := validateProduct(&in); err != nil {
		return nil, err
	}
	var m productModel
	var p *app.Product
	var wasAvailable bool
	ctx = owing(ctx) // publish settles the purge jobs owe writes
	mrp, price, stock := in.MRP, in.Price, &in.Stock
	if in.Variants != nil {
		// Sold by variants: the row keeps the lowest-priced variant's
		// prices for listings, and its own stock is left alone.
		if vm, vp, ok := variantListPrice(*in.Variants); ok {
			mrp, price, stock = vm, vp, nil
		}
	}
	var wasCategory int64
	var photos []string
	searchName, searchText := searchColumns(in.Name, in.Description)
	err := d.db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		// What the shop showed before: showing or hiding a product moves
		// every listing page, not just the pages that show it.
		before, err := productByID(ctx, tx, vendorID, id, true)
		if err != nil {
			return err
		}
		wasAvailable, wasCategory = before.Available, before.CategoryID
		if err := withPhotos(ctx, tx, vendorID, before); err != nil {
			return err
		}
		photos = before.Photos
		changePhotos := newPhotos(&in, before.Photos)
		if changePhotos != nil {
			photos = changePhotos
		}
		if err := checkProductCategory(ctx, tx, vendorID, deref(in.CategoryID)); err != nil {
			return err
		}
		q := tx.NewUpdate().Model((*productModel)(nil)).
			Set("name = ?", in.Name).
			Set("description = ?", in.Description).
			Set("search_name = ?", searchName).
			Set("search_text = ?", searchText).
			Set("mrp = ?", int64(mrp)).
			Set("price = ?", int64(price)).
			Set("available = ?", in.Available).
			Set("updated_at = ?", now()).
			Where("id = ?", id).
			Where("vendor_id = ?", vendorID).
			Where("archived = FALSE")
		if changePhotos != nil {
			q = q.Set("image = ?", cover(photos))
		}
		if in.LowStockAt != nil {
			q = q.Set("low_stock_at = ?", *in.LowStockAt)
		}
		if in.CategoryID != nil {
			q = q.Set("category_id = ?", nullID(*in.CategoryID))
		}
		switch {
		case stock == nil:
		case in.StockWas == nil:
			q = q.Set("stock = ?", in.Stock)
		case in.Stock != *in.StockWas:
			q = q.Set("stock = ?", in.Stock).Where("stock = ?", *in.StockWas)
		}
		err = q.Returning(productColumns).Scan(ctx, &m)
		if err == nil && changePhotos != nil && !slices.Equal(changePhotos, before.Photos) {
			err = savePhotos(ctx, tx, vendorID, id, photos)
			if err != nil {
				return err
			}
		}
		if err == nil {
			kind := updateKind(&m, wasAvailable, wasCategory)
			// A variant edit is an edit of the product: the same event.
			if in.Variants != nil {
				if err := saveVariants(ctx, tx, vendorID, id, *in.Variants); err != nil {
					return err
				}
			}
			p = m.toApp()
			if err := withVariants(ctx, tx, vendorID, p); err != nil {
				return err
			}
			if err := d.noticeTx(ctx, tx, app.Notice{Kind: app.NoticeProductUpdated, VendorID: vendorID, Product: p}); err != nil {
				return err
			}
			return d.owe(ctx, tx, app.ProductEvent{Kind: kind, VendorID: vendorID, ProductID: id})
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		// Nothing matched: either the product is not this vendor's to
		// edit, or its stock moved away from what the form showed.
		cur, err := productByID(ctx, tx, vendorID, id, false)
		if err != nil {
			return err
		}
		if stock == nil || in.StockWas == nil || in.Stock == *in.StockWas {
			return errProductNotFound() // gone between the update and the read
		}
		msg := fmt.Sprintf("Orders changed the stock to %d while you were editing. Check it and save again.", cur.Stock)
		return &app.Error{Code: app.ECONFLICT, Message: msg, Fields: map[string]string{
			"stock": fmt.Sprintf("Now %d. Check it and save again.", cur.Stock),
		}}
	})
	if err != nil {
		return nil, wrap("UpdateProduct", err)
	}
	d.publish(ctx, app.ProductEvent{Kind: updateKind(&m, wasAvailable, wasCategory), VendorID: vendorID, ProductID: id})
	if len(photos) > 0 {
		p.Photos = photos
	}
	return p, nil
}

// updateKind is the event of an edit: showing or hiding the product, or
// moving it to another category, moves listings (store-wide); anything
// else changes only the pages that show it.
func updateKind(m *productModel, wasAvailable bool, wasCategory int64) app.ProductEventKind {
	switch {
	case m.Available != wasAvailable:
		return app.ProductAvailability
	case m.CategoryID != wasCategory:
		return app.ProductCategorized
	}
	return app.ProductUpdated
}

func deref(p *int64) int64 {
	if p == nil {
		return 0
	}
	return *p
}

// nullID is an optional id as a query argument: NULL for 0.
func nullID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

// SetAvailability flips the vendor's on-sale switch. Setting it to what it
// already is changes nothing and publishes nothing, so a double-clicked
// toggle does not purge caches twice.
func (d *DB) SetAvailability(ctx context.Context, vendorID, id int64, available bool) (*app.Product, error) {
	var (
		p       *app.Product
		changed bool
	)
	ctx = owing(ctx) // publish settles the purge jobs owe writes
	err := d.db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		var m productModel
		err := tx.NewUpdate().Model((*productModel)(nil)).
			Set("available = ?", available).
			Set("updated_at = ?", now()).
			Where("id = ?", id).
			Where("vendor_id = ?", vendorID).
			Where("archived = FALSE").
			Where("available <> ?", available).
			Returning(productColumns).
			Scan(ctx, &m)
		switch {
		case err == nil:
			p, changed = m.toApp(), true
			if err := withVariants(ctx, tx, vendorID, p); err != nil {
				return err
			}
			if err := d.noticeTx(ctx, tx, app.Notice{Kind: app.NoticeProductUpdated, VendorID: vendorID, Product: p}); err != nil {
				return err
			}
			return d.owe(ctx, tx, app.ProductEvent{Kind: app.ProductAvailability, VendorID: vendorID, ProductID: id})
		case errors.Is(err, sql.ErrNoRows):
			p, err = productByID(ctx, tx, vendorID, id, false)
			return err
		default:
			return err
		}
	})
	if err != nil {
		return nil, wrap("SetAvailability", err)
	}
	if changed {
		d.publish(ctx, app.ProductEvent{Kind: app.ProductAvailability, VendorID: vendorID, ProductID: id})
	}
	return p, nil
}

// DeleteProduct removes a product, or archives it when order lines point
// at it: past orders must keep showing what was bought, so the row stays
// but disappears from the shop and the catalogue.
func (d *DB) DeleteProduct(ctx context.Context, vendorID, id int64) (archived bool, err error) {
	ctx = owing(ctx) // publish settles the purge jobs owe writes
	err = d.db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		// Lock the row first so an order in flight either commits its
		// lines before we look for them, or finds the product gone.
		if _, err := productByID(ctx, tx, vendorID, id, true); err != nil {
			return err
		}
		ordered, err := tx.NewSelect().Model((*orderItemModel)(nil)).Where("product_id = ?", id).Exists(ctx)
		if err != nil {
			return err
		}
		if ordered {
			archived = true
			_, err = tx.NewUpdate().Model((*productModel)(nil)).
				Set("archived = TRUE").
				Set("available = FALSE").
				Set("updated_at = ?", now()).
				Where("id = ?", id).
				Where("vendor_id = ?", vendorID).
				Exec(ctx)
			if err != nil {
				return err
			}
			return d.owe(ctx, tx, app.ProductEvent{Kind: app.ProductDeleted, VendorID: vendorID, ProductID: id})
		}
		if _, err = tx.NewDelete().Model((*photoModel)(nil)).
			Where("vendor_id = ?", vendorID).
			Where("product_id = ?", id).
			Exec(ctx); err != nil {
			return err
		}
		if _, err = tx.NewDelete().Model((*productModel)(nil)).
			Where("id = ?", id).
			Where("vendor_id = ?", vendorID).
			Exec(ctx); err != nil {
			return err
		}
		return d.owe(ctx, tx, app.ProductEvent{Kind: app.ProductDeleted, VendorID: vendorID, ProductID: id})
	})
	if err != nil {
		return false, wrap("DeleteProduct", err)
	}
	d.publish(ctx, app.ProductEvent{Kind: app.ProductDeleted, VendorID: vendorID, ProductID: id})
	return archived, nil
}

// Product returns one of the vendor's products unless it is archived.
func (d *DB) Product(ctx context.Context, vendorID, id int64) (*app.Product, error) {
	p, err := productByID(ctx, d.db, vendorID, id, false)
	if err == nil {
		err = withPhotos(ctx, d.db, vendorID, p)
	}
	if err != nil {
		return nil, wrap("Product", err)
	}
	return p, nil
}

// productByID loads a product that is not archived, optionally locking
// its row until the transaction ends.
func productByID(ctx context.Context, db bun.IDB, vendorID, id int64, lock bool) (*app.Product, error) {
	var m productModel
	err := db.NewSelect().Model(&m).
		Where("id = ?", id).
		Where("vendor_id = ?", vendorID).
		Where("archived = FALSE").
		Apply(forUpdate(db, lock)).
		Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errProductNotFound()
	} else if err != nil {
		return nil, err
	}
	p := m.toApp()
	if err := withVariants(ctx, db, vendorID, p); err != nil {
		return nil, err
	}
	return p, nil
}

// Products returns a page of the vendor's products, newest first, and how
// many match in all. Archived products never appear: they exist only for
// the orders that point at them.
func (d *DB) Products(ctx context.Context, f app.ProductFilter) ([]*app.Product, int, error) {
	filter := func(q *bun.SelectQuery) *bun.SelectQuery {
		q = q.Where("vendor_id = ?", f.VendorID).Where("archived = FALSE")
		if f.OnSaleOnly {
			q = q.Where("available = TRUE")
		}
		if f.CategoryID != 0 {
			q = q.Where("category_id = ?", f.CategoryID)
		}
		if s := strings.TrimSpace(f.Query); s != "" {
			q = q.Where(`LOWER(name) LIKE ? ESCAPE '\'`, "%"+escapeLike(strings.ToLower(s))+"%")
		}
		if f.Search != "" {
			q = q.Apply(searchFilter(f.Search))
		}
		return q
	}
	order := func(q *bun.SelectQuery) *bun.SelectQuery {
		if f.Search != "" {
			q = q.Apply(searchOrder(f.Search))
		}
		return q.OrderExpr("id DESC")
	}
	// One statement: the page, each row carrying the total matched
	// (COUNT(*) OVER (), computed before LIMIT). A page past the end has no
	// row to carry it, and counts separately. Outside a transaction: on
	// SQLite every transaction takes the write lock, and a total that is
	// one off for a moment is harmless on a page of products.
	var rows []productPageRow
	err := d.db.NewSelect().Model(&rows).ColumnExpr("p.*").ColumnExpr("COUNT(*) OVER () AS total_matched").
		Apply(filter, page(f.Offset, f.Limit), order).Scan(ctx)
	if err != nil {
		return nil, 0, wrap("Products", err)
	}
	var total int
	switch {
	case len(rows) > 0:
		total = int(rows[0].TotalMatched)
	case f.Offset > 0:
		n, err := d.db.NewSelect().Model((*productModel)(nil)).Apply(filter).Count(ctx)
		if err != nil {
			return nil, 0, wrap("Products", err)
		}
		total = int(n)
	}
	ms := make([]productModel, len(rows))
	for i := range rows {
		ms[i] = rows[i].productModel
	}
	out := make([]*app.Product, len(ms))
	for i := range ms {
		out[i] = ms[i].toApp()
	}
	if err := withVariants(ctx, d.db, f.VendorID, out...); err != nil {
		return nil, 0, wrap("Products", err)
	}
	if err := withPhotos(ctx, d.db, f.VendorID, out...); err != nil {
		return nil, 0, wrap("Products", err)
	}
	return out, total, nil
}

// productPageRow is a product with the total of its query (Products).
type productPageRow struct {
	productModel `bun:",extend"`
	TotalMatched int64 `bun:"total_matched,scanonly"`
}

// escapeLike makes s match literally inside a LIKE pattern that declares
// ESCAPE '\': a customer searching "50%" means the characters, not a
// wildcard.
func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

// page applies an offset and a limit; a limit of zero means all rows.
func page(offset, limit int) func(*bun.SelectQuery) *bun.SelectQuery {
	return func(q *bun.SelectQuery) *bun.SelectQuery {
		if limit > 0 {
			q = q.Limit(int64(limit))
		}
		if offset > 0 {
			q = q.Offset(int64(offset))
		}
		return q
	}
}

// forUpdate locks the selected rows until the transaction ends on
// PostgreSQL. SQLite has no row locks and needs none: with
// _txlock=immediate a write transaction holds the database's only write
// lock from BEGIN.
func forUpdate(db bun.IDB, lock bool) func(*bun.SelectQuery) *bun.SelectQuery {
	return func(q *bun.SelectQuery) *bun.SelectQuery {
		if lock && db.Dialect().Name() == dialect.PG {
			q = q.For("UPDATE")
		}
		return q
	}
}
