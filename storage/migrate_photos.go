package storage

import (
	"context"

	"github.com/uptrace/bun/migrate"
)

// photosMigration is migration 20261206000006 (issue 15, several photos;
// shop logo and banner).
//
// Choices that the code relies on:
//   - a product's photos are rows of product_photos (vendor_id,
//     product_id, key, position), not a list in a column: the sweep asks
//     "which of these 500 keys does anything show" (ImagesInUse), which
//     is one probe of product_photos_key_idx per key, where a JSON or text
//     column would be a scan of every product with a LIKE per key;
//   - position is 0 for the cover and counts up; (product_id, position)
//     is the primary key, and a save rewrites the product's rows in its
//     own transaction (delete, then insert), so no temporary positions;
//   - products.image stays, and always equals the position-0 key (or ”):
//     cards, og:image, orders and every reader from before read it;
//   - existing products' image becomes their first photo here;
//   - a deleted product's rows go with it (ON DELETE CASCADE, and
//     DeleteProduct deletes them too); an archived product keeps them, as
//     it keeps image, so its files stay for its past orders;
//   - vendors.logo and vendors.banner are photo keys or ”.
func (d *DB) photosMigration() migrate.Migration {
	return migrate.Migration{
		Name:    "20261206000006",
		Comment: "photos: product_photos, vendors.logo and banner",
		Up: func(ctx context.Context, _ *migrate.Migrator, _ *migrate.Migration) error {
			return d.execInTx(ctx, []string{
				`CREATE TABLE IF NOT EXISTS product_photos (
	vendor_id BIGINT NOT NULL REFERENCES vendors (id),
	product_id BIGINT NOT NULL REFERENCES products (id) ON DELETE CASCADE,
	key TEXT NOT NULL,
	position BIGINT NOT NULL,
	PRIMARY KEY (product_id, position)
)`,
				`CREATE INDEX IF NOT EXISTS product_photos_key_idx ON product_photos (key, vendor_id)`,
				`INSERT INTO product_photos (vendor_id, product_id, key, position)
	SELECT vendor_id, id, image, 0 FROM products WHERE image <> ''`,
				`ALTER TABLE vendors ADD COLUMN logo TEXT NOT NULL DEFAULT ''`,
				`ALTER TABLE vendors ADD COLUMN banner TEXT NOT NULL DEFAULT ''`,
			})
		},
		Down: func(ctx context.Context, _ *migrate.Migrator, _ *migrate.Migration) error {
			return d.execInTx(ctx, []string{
				"ALTER TABLE vendors DROP COLUMN banner",
				"ALTER TABLE vendors DROP COLUMN logo",
				"DROP TABLE IF EXISTS product_photos",
			})
		},
	}
}
