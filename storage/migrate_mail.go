package storage

import (
	"context"

	"github.com/uptrace/bun/migrate"
)

// mailMigration is 20261206000001 (issue 14, email): the shop's switch
// for the new-order email (on for every shop, existing ones included) and
// each product's low-stock threshold (3 for every product; 0 is off).
// The alert needs no "already sent" flag: PlaceOrder sends it when an
// order's decrement crosses the threshold, which a restock re-arms.
func (d *DB) mailMigration() migrate.Migration {
	return migrate.Migration{
		Name:    "20261206000001",
		Comment: "email: order emails switch, low-stock threshold",
		Up: func(ctx context.Context, _ *migrate.Migrator, _ *migrate.Migration) error {
			return d.execInTx(ctx, []string{
				`ALTER TABLE vendors ADD COLUMN order_emails BOOLEAN NOT NULL DEFAULT TRUE`,
				`ALTER TABLE products ADD COLUMN low_stock_at BIGINT NOT NULL DEFAULT 3
	CONSTRAINT products_low_stock_at_check CHECK (low_stock_at >= 0)`,
			})
		},
		Down: func(ctx context.Context, _ *migrate.Migrator, _ *migrate.Migration) error {
			return d.execInTx(ctx, []string{
				`ALTER TABLE products DROP COLUMN low_stock_at`,
				`ALTER TABLE vendors DROP COLUMN order_emails`,
			})
		},
	}
}
