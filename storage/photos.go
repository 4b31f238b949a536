package storage

import (
	"context"
	"slices"

	"github.com/uptrace/bun"

	"dukaan/app"
)

// photoModel is one photo of a product (migration 20261206000006):
// position 0 is the cover, which products.image repeats.
type photoModel struct {
	bun.BaseModel `bun:"table:product_photos,alias:ph"`

	VendorID  int64  `bun:"vendor_id"`
	ProductID int64  `bun:"product_id"`
	Key       string `bun:"key"`
	Position  int64  `bun:"position"`
}

// withPhotos fills each product's Photos, one query per 500 products (a
// page of a listing is one; the sitemap's 10,000 are 20). A product with
// an image and no rows (a row written by something older than the photos
// table, such as a seed) shows its image as its only photo.
func withPhotos(ctx context.Context, db bun.IDB, vendorID int64, ps ...*app.Product) error {
	byID := map[int64][]string{}
	for chunk := range slices.Chunk(ps, 500) {
		ids := make([]int64, len(chunk))
		for i, p := range chunk {
			ids[i] = p.ID
		}
		var rows []photoModel
		err := db.NewSelect().Model(&rows).
			Where("vendor_id = ?", vendorID).
			Where("product_id IN (?)", bun.In(ids)).
			OrderExpr("product_id, position").
			Scan(ctx)
		if err != nil {
			return err
		}
		for _, r := range rows {
			byID[r.ProductID] = append(byID[r.ProductID], r.Key)
		}
	}
	for _, p := range ps {
		p.Photos = byID[p.ID]
		if len(p.Photos) == 0 && p.Image != "" {
			p.Photos = []string{p.Image}
		}
	}
	return nil
}

// newPhotos is the photo list an input asks for, given the current one:
// Photos when set, else the current list with Image as its cover, else
// nil for "unchanged" (a change to no photos is an empty, non-nil list).
func newPhotos(in *app.ProductInput, current []string) []string {
	var out []string
	switch {
	case in.Photos != nil:
		out = slices.Clone(*in.Photos)
	case in.Image != nil:
		out = app.WithCover(current, *in.Image)
	default:
		return nil
	}
	if out == nil {
		out = []string{}
	}
	return out
}

// cover is the first key or "".
func cover(keys []string) string {
	if len(keys) == 0 {
		return ""
	}
	return keys[0]
}

// savePhotos replaces the product's photo rows with keys, in order, inside
// the change's transaction (products.image is set to the cover by the
// same change).
func savePhotos(ctx context.Context, tx bun.Tx, vendorID, productID int64, keys []string) error {
	if _, err := tx.NewDelete().Model((*photoModel)(nil)).
		Where("vendor_id = ?", vendorID).
		Where("product_id = ?", productID).
		Exec(ctx); err != nil {
		return err
	}
	if len(keys) == 0 {
		return nil
	}
	rows := make([]photoModel, len(keys))
	for i, k := range keys {
		rows[i] = photoModel{VendorID: vendorID, ProductID: productID, Key: k, Position: int64(i)}
	}
	_, err := tx.NewInsert().Model(&rows).Exec(ctx)
	return err
}

// ImagesInUse reports which of keys something (of any vendor) still
// shows: a photo of a product (archived ones included), a product's cover
// column, a shop's logo or banner. images.SweepOrphans asks it in batches;
// each question is an index probe per key.
func (d *DB) ImagesInUse(ctx context.Context, keys []string) (map[string]bool, error) {
	used := map[string]bool{}
	if len(keys) == 0 {
		return used, nil
	}
	for _, q := range []*bun.SelectQuery{
		d.db.NewSelect().Model((*photoModel)(nil)).Distinct().Column("key").Where("key IN (?)", bun.In(keys)),
		d.db.NewSelect().Model((*productModel)(nil)).Distinct().Column("image").Where("image IN (?)", bun.In(keys)),
		d.db.NewSelect().Model((*vendorModel)(nil)).Column("logo").Where("logo IN (?)", bun.In(keys)),
		d.db.NewSelect().Model((*vendorModel)(nil)).Column("banner").Where("banner IN (?)", bun.In(keys)),
	} {
		var found []string
		if err := q.Scan(ctx, &found); err != nil {
			return nil, wrap("ImagesInUse", err)
		}
		for _, k := range found {
			used[k] = true
		}
	}
	return used, nil
}

// ImageInUse reports whether the vendor still shows the photo anywhere:
// on a product (archived included), as its logo or as its banner.
func (d *DB) ImageInUse(ctx context.Context, vendorID int64, key string) (bool, error) {
	for _, q := range []*bun.SelectQuery{
		d.db.NewSelect().Model((*photoModel)(nil)).Where("vendor_id = ?", vendorID).Where("key = ?", key),
		d.db.NewSelect().Model((*productModel)(nil)).Where("vendor_id = ?", vendorID).Where("image = ?", key),
		d.db.NewSelect().Model((*vendorModel)(nil)).Where("id = ?", vendorID).WhereGroup(" AND ", func(q *bun.SelectQuery) *bun.SelectQuery {
			return q.Where("logo = ?", key).WhereOr("banner = ?", key)
		}),
	} {
		used, err := q.Exists(ctx)
		if err != nil {
			return false, wrap("ImageInUse", err)
		}
		if used {
			return true, nil
		}
	}
	return false, nil
}
