package storage_test

import (
	"strings"
	"testing"

	"dukaan/storage"
	"dukaan/storage/storagetest"
)

// TestTodayQueryUsesIndex: today's figures on the orders page read the
// vendor's orders of one day through (vendor_id, created_at), not every
// order the vendor ever had.
func TestTodayQueryUsesIndex(t *testing.T) {
	storagetest.ForEachDialect(t, func(t *testing.T, db *storage.DB) {
		ctx := t.Context()
		q := "SELECT COUNT(*) FROM orders WHERE vendor_id = 1 AND created_at >= '2026-11-24' AND created_at < '2026-11-25'"
		var plan []string
		if db.Dialect() == storage.DialectPostgres {
			// A tiny table is read sequentially whatever the indexes: ask
			// for the plan with sequential scans off, on one connection.
			conn, err := db.Bun().Conn(ctx)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			if _, err := conn.ExecContext(ctx, "SET enable_seqscan = off"); err != nil {
				t.Fatal(err)
			}
			rows, err := conn.QueryContext(ctx, "EXPLAIN "+q)
			if err != nil {
				t.Fatal(err)
			}
			defer rows.Close()
			for rows.Next() {
				var line string
				if err := rows.Scan(&line); err != nil {
					t.Fatal(err)
				}
				plan = append(plan, line)
			}
		} else {
			rows, err := db.Bun().QueryContext(ctx, "EXPLAIN QUERY PLAN "+q)
			if err != nil {
				t.Fatal(err)
			}
			defer rows.Close()
			for rows.Next() {
				var id, parent, notused int
				var detail string
				if err := rows.Scan(&id, &parent, &notused, &detail); err != nil {
					t.Fatal(err)
				}
				plan = append(plan, detail)
			}
		}
		if got := strings.Join(plan, "\n"); !strings.Contains(got, "orders_vendor_created_at_idx") {
			t.Errorf("plan does not use orders_vendor_created_at_idx:\n%s", got)
		}
	})
}
