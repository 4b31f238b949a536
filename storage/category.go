package storage

import (
	"context"
	"database/sql"
	"errors"

	"github.com/uptrace/bun"

	"dukaan/app"
)

var _ app.CategoryService = (*DB)(nil)

var uniqueCategorySlug = constraint{"categories_vendor_slug_key", "categories.vendor_id, categories.slug"}

func errCategoryNotFound() error { return app.Errorf(app.ENOTFOUND, "Category not found.") }

type categoryModel struct {
	bun.BaseModel `bun:"table:categories,alias:cat"`

	ID       int64  `bun:"id,pk,autoincrement"`
	VendorID int64  `bun:"vendor_id"`
	Name     string `bun:"name"`
	Slug     string `bun:"slug"`
	Position int64  `bun:"position"`
}

func (m *categoryModel) toApp() *app.Category {
	return &app.Category{ID: m.ID, VendorID: m.VendorID, Name: m.Name, Slug: m.Slug, Position: m.Position}
}

func validateCategory(in *app.CategoryInput) error {
	if fields := in.Validate(); len(fields) > 0 {
		return app.Invalid("Please correct the highlighted fields.", fields)
	}
	return nil
}

// Categories lists the vendor's categories in shop order.
func (d *DB) Categories(ctx context.Context, vendorID int64) ([]*app.Category, error) {
	cs, err := categories(ctx, d.db, vendorID)
	return cs, wrap("Categories", err)
}

func categories(ctx context.Context, db bun.IDB, vendorID int64) ([]*app.Category, error) {
	var ms []categoryModel
	err := db.NewSelect().Model(&ms).Where("vendor_id = ?", vendorID).OrderExpr("position, id").Scan(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]*app.Category, len(ms))
	for i := range ms {
		out[i] = ms[i].toApp()
	}
	return out, nil
}

// Category returns one of the vendor's categories.
func (d *DB) Category(ctx context.Context, vendorID, id int64) (*app.Category, error) {
	c, err := categoryWhere(ctx, d.db, vendorID, "id = ?", id)
	return c, wrap("Category", err)
}

// CategoryBySlug returns the vendor's category at /c/{slug}.
func (d *DB) CategoryBySlug(ctx context.Context, vendorID int64, slug string) (*app.Category, error) {
	c, err := categoryWhere(ctx, d.db, vendorID, "slug = ?", slug)
	return c, wrap("CategoryBySlug", err)
}

func categoryWhere(ctx context.Context, db bun.IDB, vendorID int64, where string, arg any) (*app.Category, error) {
	var m categoryModel
	err := db.NewSelect().Model(&m).Where("vendor_id = ?", vendorID).Where(where, arg).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errCategoryNotFound()
	} else if err != nil {
		return nil, err
	}
	return m.toApp(), nil
}

// lockCategories serialises the shop's category changes: the limit, the
// free slug and the positions are read and then written, so two changes
// at once must not both read the same state. PostgreSQL locks the shop's
// vendor row; on SQLite the transaction holds the write lock from BEGIN.
func lockCategories(ctx context.Context, tx bun.Tx, vendorID int64) error {
	var id int64
	err := tx.NewSelect().Model((*vendorModel)(nil)).Column("id").Where("id = ?", vendorID).
		Apply(forUpdate(tx, true)).Scan(ctx, &id)
	if errors.Is(err, sql.ErrNoRows) {
		return app.Errorf(app.ENOTFOUND, "Store not found.")
	}
	return err
}

// freeSlug is slug, or the first numbered spelling of it ("sweets-2") no
// other category of the shop has; except is the category being renamed.
func freeSlug(ctx context.Context, tx bun.Tx, vendorID, except int64, slug string) (string, error) {
	var taken []string
	err := tx.NewSelect().Model((*categoryModel)(nil)).Column("slug").
		Where("vendor_id = ?", vendorID).Where("id <> ?", except).Scan(ctx, &taken)
	if err != nil {
		return "", err
	}
	used := make(map[string]bool, len(taken))
	for _, s := range taken {
		used[s] = true
	}
	// At most MaxCategories are taken, so one of the first MaxCategories+1
	// spellings is free.
	for n := 1; ; n++ {
		if s := app.SlugWithSuffix(slug, n); !used[s] {
			return s, nil
		}
	}
}

// CreateCategory adds a category at the end of the shop's row.
func (d *DB) CreateCategory(ctx context.Context, vendorID int64, in app.CategoryInput) (*app.Category, error) {
	if err := validateCategory(&in); err != nil {
		return nil, err
	}
	m := &categoryModel{VendorID: vendorID, Name: in.Name}
	err := d.db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		if err := lockCategories(ctx, tx, vendorID); err != nil {
			return err
		}
		var count int
		var last sql.NullInt64
		err := tx.NewSelect().Model((*categoryModel)(nil)).ColumnExpr("COUNT(*)").ColumnExpr("MAX(position)").
			Where("vendor_id = ?", vendorID).Scan(ctx, &count, &last)
		if err != nil {
			return err
		}
		if count >= app.MaxCategories {
			return app.Invalid("A shop can have at most 50 categories.", map[string]string{
				"name": "You have 50 categories already. Delete one to add another.",
			})
		}
		m.Position = last.Int64 + 1
		if m.Slug, err = freeSlug(ctx, tx, vendorID, 0, app.CategorySlug(in.Name)); err != nil {
			return err
		}
		if _, err := tx.NewInsert().Model(m).Returning("id").Exec(ctx); err != nil {
			return categoryWriteError(err)
		}
		return d.owe(ctx, tx, app.ProductEvent{Kind: app.CategoryChanged, VendorID: vendorID})
	})
	if err != nil {
		return nil, wrap("CreateCategory", err)
	}
	d.publish(ctx, app.ProductEvent{Kind: app.CategoryChanged, VendorID: vendorID})
	return m.toApp(), nil
}

func categoryWriteError(err error) error {
	switch {
	case isUniqueViolation(err, uniqueCategorySlug):
		// Only when the shop's lock was bypassed; the caller may retry.
		return &app.Error{Code: app.ECONFLICT, Message: "Another category has this name's link. Try again.",
			Fields: map[string]string{"name": "Another category has this name's link. Try again."}}
	case isForeignKeyViolation(err):
		return app.Errorf(app.ENOTFOUND, "Store not found.")
	}
	return err
}

// RenameCategory changes the name and derives the slug again.
func (d *DB) RenameCategory(ctx context.Context, vendorID, id int64, in app.CategoryInput) (*app.Category, error) {
	if err := validateCategory(&in); err != nil {
		return nil, err
	}
	var c *app.Category
	err := d.db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		if err := lockCategories(ctx, tx, vendorID); err != nil {
			return err
		}
		var err error
		if c, err = categoryWhere(ctx, tx, vendorID, "id = ?", id); err != nil {
			return err
		}
		slug, err := freeSlug(ctx, tx, vendorID, id, app.CategorySlug(in.Name))
		if err != nil {
			return err
		}
		_, err = tx.NewUpdate().Model((*categoryModel)(nil)).Set("name = ?", in.Name).Set("slug = ?", slug).
			Where("id = ?", id).Where("vendor_id = ?", vendorID).Exec(ctx)
		if err != nil {
			return categoryWriteError(err)
		}
		c.Name, c.Slug = in.Name, slug
		return d.owe(ctx, tx, app.ProductEvent{Kind: app.CategoryChanged, VendorID: vendorID})
	})
	if err != nil {
		return nil, wrap("RenameCategory", err)
	}
	d.publish(ctx, app.ProductEvent{Kind: app.CategoryChanged, VendorID: vendorID})
	return c, nil
}

// MoveCategory swaps the category's position with its neighbour's. At
// either end it changes nothing and publishes nothing.
func (d *DB) MoveCategory(ctx context.Context, vendorID, id int64, up bool) error {
	moved := false
	err := d.db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		if err := lockCategories(ctx, tx, vendorID); err != nil {
			return err
		}
		cs, err := categories(ctx, tx, vendorID)
		if err != nil {
			return err
		}
		i := -1
		for j, c := range cs {
			if c.ID == id {
				i = j
			}
		}
		if i < 0 {
			return errCategoryNotFound()
		}
		j := i + 1
		if up {
			j = i - 1
		}
		if j < 0 || j >= len(cs) {
			return nil
		}
		// Positions are renumbered 0…n-1 in the new order, so equal
		// positions (never written by this code, but allowed) sort out too.
		cs[i], cs[j] = cs[j], cs[i]
		for k, c := range cs {
			if c.Position == int64(k) {
				continue
			}
			if _, err := tx.NewUpdate().Model((*categoryModel)(nil)).Set("position = ?", k).
				Where("id = ?", c.ID).Where("vendor_id = ?", vendorID).Exec(ctx); err != nil {
				return err
			}
		}
		moved = true
		return d.owe(ctx, tx, app.ProductEvent{Kind: app.CategoryChanged, VendorID: vendorID})
	})
	if err != nil {
		return wrap("MoveCategory", err)
	}
	if moved {
		d.publish(ctx, app.ProductEvent{Kind: app.CategoryChanged, VendorID: vendorID})
	}
	return nil
}

// DeleteCategory removes a category. Its products stay, uncategorised:
// their category_id is cleared in this transaction on both databases (the
// foreign key's ON DELETE SET NULL would do it on PostgreSQL, and on
// SQLite only with foreign keys enforced), and archived ones too, so the
// row can go.
func (d *DB) DeleteCategory(ctx context.Context, vendorID, id int64) error {
	err := d.db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		if err := lockCategories(ctx, tx, vendorID); err != nil {
			return err
		}
		if _, err := categoryWhere(ctx, tx, vendorID, "id = ?", id); err != nil {
			return err
		}
		if _, err := tx.NewUpdate().Model((*productModel)(nil)).Set("category_id = NULL").
			Where("vendor_id = ?", vendorID).Where("category_id = ?", id).Exec(ctx); err != nil {
			return err
		}
		if _, err := tx.NewDelete().Model((*categoryModel)(nil)).
			Where("id = ?", id).Where("vendor_id = ?", vendorID).Exec(ctx); err != nil {
			return err
		}
		return d.owe(ctx, tx, app.ProductEvent{Kind: app.CategoryChanged, VendorID: vendorID})
	})
	if err != nil {
		return wrap("DeleteCategory", err)
	}
	d.publish(ctx, app.ProductEvent{Kind: app.CategoryChanged, VendorID: vendorID})
	return nil
}

// checkProductCategory refuses a category id that is not one of the
// vendor's (a forged form, or one deleted meanwhile) with a message for
// the product form's select. Inside the product's transaction: on
// PostgreSQL the foreign key catches a delete that commits after this
// read; on SQLite the transaction holds the write lock.
func checkProductCategory(ctx context.Context, tx bun.Tx, vendorID, categoryID int64) error {
	if categoryID == 0 {
		return nil
	}
	if _, err := categoryWhere(ctx, tx, vendorID, "id = ?", categoryID); app.ErrorCode(err) == app.ENOTFOUND {
		return app.Invalid("Please correct the highlighted fields.", map[string]string{
			"category_id": "Choose one of your categories.",
		})
	} else if err != nil {
		return err
	}
	return nil
}
