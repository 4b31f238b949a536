package storage

import (
	"context"
	"fmt"
	"log/slog"
	"strings"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/migrate"

	"dukaan/storage/jobs"
)

// migrationLockID keys the PostgreSQL advisory lock that lets many replicas
// run Migrate at start without racing each other ("dukaan" in hex-ish).
const migrationLockID = 0x64756b61616e

// migrations lists the schema changes in order. They are Go functions, not
// SQL files, because the DDL differs per dialect and the binary must carry
// its schema with it.
func (d *DB) migrations() *migrate.Migrations {
	ms := migrate.NewMigrations()
	ms.Add(migrate.Migration{
		Name:    "20251124000001",
		Comment: "init",
		Up: func(ctx context.Context, _ *migrate.Migrator, _ *migrate.Migration) error {
			return d.execInTx(ctx, initSchema(d.dialect))
		},
		Down: func(ctx context.Context, _ *migrate.Migrator, _ *migrate.Migration) error {
			return d.execInTx(ctx, []string{
				"DROP TABLE IF EXISTS sessions",
				"DROP TABLE IF EXISTS order_items",
				"DROP TABLE IF EXISTS orders",
				"DROP TABLE IF EXISTS products",
				"DROP TABLE IF EXISTS vendors",
			})
		},
	})
	ms.Add(migrate.Migration{
		Name:    "20261124000002",
		Comment: "product photos, store WhatsApp number",
		Up: func(ctx context.Context, _ *migrate.Migrator, _ *migrate.Migration) error {
			return d.execInTx(ctx, []string{
				"ALTER TABLE products ADD COLUMN image TEXT NOT NULL DEFAULT ''",
				"ALTER TABLE vendors ADD COLUMN whatsapp TEXT NOT NULL DEFAULT ''",
			})
		},
		Down: func(ctx context.Context, _ *migrate.Migrator, _ *migrate.Migration) error {
			return d.execInTx(ctx, []string{
				"ALTER TABLE products DROP COLUMN image",
				"ALTER TABLE vendors DROP COLUMN whatsapp",
			})
		},
	})
	ms.Add(migrate.Migration{
		Name:    "20261124000003",
		Comment: "orders by vendor and time (today's figures, exports by date)",
		Up: func(ctx context.Context, _ *migrate.Migrator, _ *migrate.Migration) error {
			return d.execInTx(ctx, []string{
				"CREATE INDEX IF NOT EXISTS orders_vendor_created_at_idx ON orders (vendor_id, created_at)",
			})
		},
		Down: func(ctx context.Context, _ *migrate.Migrator, _ *migrate.Migration) error {
			return d.execInTx(ctx, []string{"DROP INDEX IF EXISTS orders_vendor_created_at_idx"})
		},
	})
	ms.Add(migrate.Migration{
		Name:    "20261204000004",
		Comment: "checkout: coupons, delivery terms, payment modes, per-shop order numbers",
		Up: func(ctx context.Context, _ *migrate.Migrator, _ *migrate.Migration) error {
			return d.execInTx(ctx, checkoutSchema(d.dialect))
		},
		Down: func(ctx context.Context, _ *migrate.Migrator, _ *migrate.Migration) error {
			return d.execInTx(ctx, checkoutSchemaDown())
		},
	})
	ms.Add(d.mailMigration())
	ms.Add(d.webhooksMigration())
	ms.Add(d.accountMigration())
	ms.Add(d.catalogueMigration())
	ms.Add(d.variantsMigration())
	ms.Add(d.photosMigration())
	ms.Add(d.domainsMigration())
	return ms
}

func (d *DB) execInTx(ctx context.Context, stmts []string) error {
	return d.db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		for _, s := range stmts {
			if _, err := tx.ExecContext(ctx, s); err != nil {
				return fmt.Errorf("%w\n%s", err, s)
			}
		}
		return nil
	})
}

// Migrate brings the schema up to date. It is idempotent and safe to run
// from several replicas at once on PostgreSQL (they queue on an advisory
// lock); each migration's DDL runs in one transaction and is recorded only
// after it succeeded.
func (d *DB) Migrate(ctx context.Context) error {
	if err := d.migrate(ctx); err != nil {
		return fmt.Errorf("storage.Migrate: %w", err)
	}
	return nil
}

func (d *DB) migrate(ctx context.Context) error {
	if d.dialect == DialectPostgres {
		// A session-level advisory lock lives on one connection, held for
		// the whole run while the migrator uses others from the pool.
		conn, err := d.db.Conn(ctx)
		if err != nil {
			return err
		}
		defer conn.Close()
		if _, err := conn.ExecContext(ctx, "SELECT pg_advisory_lock(?)", int64(migrationLockID)); err != nil {
			return fmt.Errorf("lock: %w", err)
		}
		defer func() {
			// Unlock even if ctx is done: the lock would otherwise stay
			// with the pooled connection.
			_, _ = conn.ExecContext(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock(?)", int64(migrationLockID))
		}()
	}
	m := migrate.NewMigrator(d.db, d.migrations(), migrate.WithMarkAppliedOnSuccess(true))
	if err := m.Init(ctx); err != nil {
		return fmt.Errorf("init: %w", err)
	}
	group, err := m.Migrate(ctx)
	if err != nil {
		return err
	}
	if !group.IsZero() {
		d.log.LogAttrs(ctx, slog.LevelInfo, "storage: migrated",
			slog.String("dialect", d.dialect), slog.String("group", group.String()))
	}
	// The job queue's tables, in the same run (and under the same lock):
	// every change that owes a purge inserts into them.
	return jobs.Migrate(ctx, d.db.DB, d.dialect)
}

// initSchema is the first schema. Money is integer paise in BIGINT; stock
// and price rules are CHECK constraints so that no code path, present or
// future, can oversell or price above MRP.
func initSchema(dialect string) []string {
	id, ts := "INTEGER PRIMARY KEY", "TIMESTAMP"
	blob := "BLOB"
	if dialect == DialectPostgres {
		id, ts, blob = "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY", "TIMESTAMPTZ", "BYTEA"
	}
	r := strings.NewReplacer("{id}", id, "{ts}", ts, "{blob}", blob)
	stmts := []string{
		`CREATE TABLE IF NOT EXISTS vendors (
	id {id},
	slug TEXT NOT NULL CONSTRAINT vendors_slug_key UNIQUE,
	name TEXT NOT NULL,
	email TEXT NOT NULL CONSTRAINT vendors_email_key UNIQUE,
	password_hash TEXT NOT NULL,
	description TEXT NOT NULL DEFAULT '',
	created_at {ts} NOT NULL
)`,
		`CREATE TABLE IF NOT EXISTS products (
	id {id},
	vendor_id BIGINT NOT NULL REFERENCES vendors (id),
	name TEXT NOT NULL,
	description TEXT NOT NULL DEFAULT '',
	mrp BIGINT NOT NULL,
	price BIGINT NOT NULL,
	stock BIGINT NOT NULL,
	available BOOLEAN NOT NULL DEFAULT TRUE,
	archived BOOLEAN NOT NULL DEFAULT FALSE,
	created_at {ts} NOT NULL,
	updated_at {ts} NOT NULL,
	CONSTRAINT products_stock_check CHECK (stock >= 0),
	CONSTRAINT products_price_check CHECK (price >= 0 AND price <= mrp)
)`,
		`CREATE INDEX IF NOT EXISTS products_vendor_archived_id_idx ON products (vendor_id, archived, id)`,
		`CREATE TABLE IF NOT EXISTS orders (
	id {id},
	vendor_id BIGINT NOT NULL REFERENCES vendors (id),
	token TEXT NOT NULL CONSTRAINT orders_token_key UNIQUE,
	order_key TEXT NOT NULL,
	customer_name TEXT NOT NULL,
	phone TEXT NOT NULL,
	address TEXT NOT NULL,
	status TEXT NOT NULL CONSTRAINT orders_status_check
		CHECK (status IN ('pending', 'confirmed', 'shipped', 'delivered', 'cancelled')),
	total BIGINT NOT NULL DEFAULT 0,
	created_at {ts} NOT NULL,
	updated_at {ts} NOT NULL,
	CONSTRAINT orders_vendor_order_key_key UNIQUE (vendor_id, order_key)
)`,
		`CREATE INDEX IF NOT EXISTS orders_vendor_status_id_idx ON orders (vendor_id, status, id)`,
		// The admin's unfiltered order list: newest first within a vendor.
		`CREATE INDEX IF NOT EXISTS orders_vendor_id_idx ON orders (vendor_id, id)`,
		`CREATE TABLE IF NOT EXISTS order_items (
	id {id},
	order_id BIGINT NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
	product_id BIGINT NOT NULL REFERENCES products (id),
	name TEXT NOT NULL,
	mrp BIGINT NOT NULL,
	price BIGINT NOT NULL,
	qty BIGINT NOT NULL CONSTRAINT order_items_qty_check CHECK (qty > 0)
)`,
		`CREATE INDEX IF NOT EXISTS order_items_order_id_idx ON order_items (order_id)`,
		`CREATE INDEX IF NOT EXISTS order_items_product_id_idx ON order_items (product_id)`,
		`CREATE TABLE IF NOT EXISTS sessions (
	token TEXT PRIMARY KEY,
	data {blob} NOT NULL,
	expiry {ts} NOT NULL
)`,
		`CREATE INDEX IF NOT EXISTS sessions_expiry_idx ON sessions (expiry)`,
	}
	for i, s := range stmts {
		stmts[i] = r.Replace(s)
	}
	return stmts
}
