package bench

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"dukaan/internal/pgutil"
)

// openPG opens the server at dsn (internal/pgutil).
func openPG(dsn string) (*sql.DB, error) { return pgutil.Open(dsn, 4) }

// withDatabase returns base with its database (and optionally search_path)
// replaced.
func withDatabase(base, database, schema string) (string, error) {
	dsn, err := pgutil.WithDatabase(base, database)
	if err != nil {
		return "", err
	}
	return pgutil.WithSearchPath(dsn, schema)
}

// ensureDatabase creates the bench's own database when it is missing. The
// bench never touches any other database.
func (b *runner) ensureDatabase(ctx context.Context) error {
	if !pgutil.ValidIdent(b.opts.Database) {
		return fmt.Errorf("--database %q: want a lower-case identifier", b.opts.Database)
	}
	pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	created, err := pgutil.EnsureDatabase(pctx, b.opts.PostgresURL, b.opts.Database)
	if err != nil {
		return err
	}
	if created {
		b.logf("created database %s", b.opts.Database)
	}
	dsn, err := withDatabase(b.opts.PostgresURL, b.opts.Database, "")
	if err != nil {
		return err
	}
	if b.db, err = openPG(dsn); err != nil {
		return err
	}
	return b.db.PingContext(pctx)
}

// schemaDSN is the DATABASE_URL of an app working in schema.
func (b *runner) schemaDSN(schema string) string {
	dsn, _ := withDatabase(b.opts.PostgresURL, b.opts.Database, schema)
	return dsn
}

func (b *runner) schema(name string) string { return b.opts.SchemaPrefix + name }

// exec runs statements in the bench database.
func (b *runner) exec(ctx context.Context, stmts ...string) error {
	for _, s := range stmts {
		if _, err := b.db.ExecContext(ctx, s); err != nil {
			return fmt.Errorf("%w\n%s", err, s)
		}
	}
	return nil
}

// ensurePGSeed makes schema hold exactly stores × products bench stores:
// kept from an earlier run when the counts match, else dropped and seeded
// again with `dukaan seed` (which also migrates).
func (b *runner) ensurePGSeed(ctx context.Context, schema string, stores, products int) error {
	if !pgutil.ValidIdent(schema) {
		return fmt.Errorf("schema %q: want a lower-case identifier", schema)
	}
	if !b.opts.Reseed {
		var ok bool
		err := b.db.QueryRowContext(ctx, fmt.Sprintf(`SELECT
  (SELECT count(*) FROM %[1]s.vendors) = %[2]d
  AND (SELECT count(*) FROM %[1]s.products) = %[3]d
  AND (SELECT count(*) FROM %[1]s.vendors WHERE slug = 'store-%05[2]d') = 1`, schema, stores, stores*products)).Scan(&ok)
		if err == nil && ok {
			b.logf("seed: %s already holds %d stores × %d products", schema, stores, products)
			b.seeded = append(b.seeded, schema)
			return nil
		}
	}
	if err := b.exec(ctx, "DROP SCHEMA IF EXISTS "+schema+" CASCADE", "CREATE SCHEMA "+schema); err != nil {
		return err
	}
	b.seeded = append(b.seeded, schema)
	start := time.Now()
	if err := b.seed(ctx, "seed-"+schema, b.schemaDSN(schema), stores, products); err != nil {
		return err
	}
	// Plans as production would have them after autovacuum's analyze.
	if err := b.exec(ctx, "ANALYZE "+schema+".vendors", "ANALYZE "+schema+".products"); err != nil {
		return err
	}
	b.logf("seed: %s: %d stores × %d products in %s", schema, stores, products, time.Since(start).Round(100*time.Millisecond))
	return nil
}

// ensureSQLiteSeed seeds a SQLite file with the same stores, kept between
// runs next to a marker naming its size.
func (b *runner) ensureSQLiteSeed(ctx context.Context, stores, products int) (string, error) {
	dir := b.opts.DataDir
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	path, err := filepath.Abs(filepath.Join(dir, fmt.Sprintf("sqlite-%dx%d.db", stores, products)))
	if err != nil {
		return "", err
	}
	marker := path + ".seeded"
	want := fmt.Sprintf("%d stores × %d products\n", stores, products)
	if got, err := os.ReadFile(marker); err == nil && string(got) == want && !b.opts.Reseed {
		if _, err := os.Stat(path); err == nil {
			b.logf("seed: %s already holds %d stores × %d products", filepath.Base(path), stores, products)
			return path, nil
		}
	}
	for _, suffix := range []string{"", "-wal", "-shm", ".seeded"} {
		if err := os.Remove(path + suffix); err != nil && !errors.Is(err, os.ErrNotExist) {
			return "", err
		}
	}
	start := time.Now()
	if err := b.seed(ctx, "seed-sqlite", path, stores, products); err != nil {
		return "", err
	}
	b.logf("seed: %s: %d stores × %d products in %s", filepath.Base(path), stores, products, time.Since(start).Round(100*time.Millisecond))
	return path, os.WriteFile(marker, []byte(want), 0o644)
}

func (b *runner) seed(ctx context.Context, name, database string, stores, products int) error {
	p, err := b.spawn(name, b.appEnv(appSpec{database: database}), nil, b.opts.Binary,
		"seed", "--stores", fmt.Sprint(stores), "--products", fmt.Sprint(products))
	if err != nil {
		return err
	}
	select {
	case <-p.Done():
	case <-ctx.Done():
		_ = p.Stop(5 * time.Second)
		return ctx.Err()
	}
	if p.Err() != nil {
		return fmt.Errorf("dukaan seed (%s): %v\n%s", name, p.Err(), p.LogEnd())
	}
	return nil
}

// dropSchemas removes what this run created (the smoke test's schemas).
func (b *runner) dropSchemas(ctx context.Context) {
	for _, s := range b.seeded {
		if err := b.exec(ctx, "DROP SCHEMA IF EXISTS "+s+" CASCADE"); err != nil {
			b.logf("drop schema %s: %v", s, err)
		}
	}
}

// hotProduct returns the vendor id of a bench store and its newest product
// on sale (with stock, when inStock): the one page 1 of the shop shows
// first. The order rush restocks it, so it asks for any.
func (b *runner) hotProduct(ctx context.Context, schema, slug string, inStock bool) (vendorID, productID, price, mrp int64, err error) {
	stock := ""
	if inStock {
		stock = "AND p.stock > 0"
	}
	err = b.db.QueryRowContext(ctx, fmt.Sprintf(`SELECT v.id, p.id, p.price, p.mrp
FROM %[1]s.vendors v JOIN %[1]s.products p ON p.vendor_id = v.id
WHERE v.slug = '%[2]s' AND p.available AND NOT p.archived %[3]s
ORDER BY p.id DESC LIMIT 1`, schema, slug, stock)).Scan(&vendorID, &productID, &price, &mrp)
	if err != nil {
		err = fmt.Errorf("hot product of %s in %s: %w", slug, schema, err)
	}
	return
}
