package testsvc_test

import (
	"context"
	"testing"
	"time"

	"dukaan/internal/testsvc"
)

// TestPostgres starts a private cluster, writes, stops it as a crash
// would, and finds the committed row after the restart.
func TestPostgres(t *testing.T) {
	t.Parallel()
	start := time.Now()
	pg := testsvc.StartPostgres(t)
	t.Logf("cluster on port %d up in %s", pg.Port(), time.Since(start).Round(time.Millisecond))
	db, err := testsvc.OpenPostgres(pg.DSN())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	if _, err := db.ExecContext(ctx, "CREATE TABLE t (n int); INSERT INTO t VALUES (42)"); err != nil {
		t.Fatal(err)
	}
	pg.Stop(t, "immediate")
	if err := db.PingContext(ctx); err == nil {
		t.Fatal("ping succeeded with the cluster stopped")
	}
	pg.Start(t)
	var n int
	if err := db.QueryRowContext(ctx, "SELECT n FROM t").Scan(&n); err != nil || n != 42 {
		t.Fatalf("after restart: n=%d err=%v, want 42", n, err)
	}
}
