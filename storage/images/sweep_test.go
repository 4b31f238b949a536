package images_test

import (
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
	"time"

	"dukaan/app"
	"dukaan/storage"
	"dukaan/storage/images"
	"dukaan/storage/storagetest"
)

// TestSweepOrphans: with real files in a directory and the real product
// table, an unused photo older than the cutoff is deleted (every width), a
// fresh unused one and an old one a product shows are kept, as is a file
// the package did not name, and one only an archived product shows; a
// stale upload temporary goes.
func TestSweepOrphans(t *testing.T) {
	storagetest.ForEachDialect(t, func(t *testing.T, db *storage.DB) {
		ctx := t.Context()
		v := storagetest.Vendor(t, db, "kirana")
		p := storagetest.Product(t, db, v.ID, "Pickle", 20000, 5)
		dir, err := images.NewDir(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		old := time.Now().Add(-25 * time.Hour)
		put := func(name string, mod time.Time) {
			t.Helper()
			if err := dir.Put(ctx, name, []byte("jpeg bytes")); err != nil {
				t.Fatal(err)
			}
			if err := os.Chtimes(filepath.Join(dir.Root, filepath.FromSlash(name)), mod, mod); err != nil {
				t.Fatal(err)
			}
		}
		vk := func(hex string) string { return "v" + itoa(v.ID) + "/" + hex }
		orphan, fresh, used := vk("aaaaaaaaaaaaaaaaaaaa"), vk("bbbbbbbbbbbbbbbbbbbb"), vk("cccccccccccccccccccc")
		archived := vk("dddddddddddddddddddd")
		for _, w := range images.Widths {
			put(images.FileName(orphan, w), old)
			put(images.FileName(fresh, w), time.Now())
			put(images.FileName(used, w), old)
			put(images.FileName(archived, w), old)
		}
		// An archived product (deleted with an order pointing at it)
		// still shows its photo on that order.
		a := storagetest.Product(t, db, v.ID, "Jam", 15000, 5)
		if _, err := db.UpdateProduct(ctx, v.ID, a.ID, app.ProductInput{Name: "Jam", MRP: 15000, Price: 15000,
			Stock: 5, StockWas: ptr[int64](5), Available: true, Image: &archived}); err != nil {
			t.Fatal(err)
		}
		if _, _, err := db.PlaceOrder(ctx, app.PlaceOrder{VendorID: v.ID, OrderKey: "k1", Customer: storagetest.Customer(),
			Lines: []app.OrderLine{{ProductID: a.ID, Qty: 1}}}); err != nil {
			t.Fatal(err)
		}
		if gone, err := db.DeleteProduct(ctx, v.ID, a.ID); err != nil || !gone {
			t.Fatalf("deleting a product with an order: archived %v, %v; want archived", gone, err)
		}
		put("v"+itoa(v.ID)+"/.upload-123", old)
		put("notes.txt", old)
		if _, err := db.UpdateProduct(ctx, v.ID, p.ID, app.ProductInput{Name: "Pickle", MRP: 20000, Price: 20000,
			Stock: 5, StockWas: ptr[int64](5), Available: true, Image: &used}); err != nil {
			t.Fatal(err)
		}

		n, err := images.New(dir, 0).SweepOrphans(ctx, db, 24*time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		var left []string
		if err := dir.List(ctx, func(name string, _ time.Time) error { left = append(left, name); return nil }); err != nil {
			t.Fatal(err)
		}
		slices.Sort(left)
		var want []string
		for _, w := range images.Widths {
			want = append(want, images.FileName(fresh, w), images.FileName(used, w), images.FileName(archived, w))
		}
		want = append(want, "notes.txt")
		slices.Sort(want)
		if !slices.Equal(left, want) {
			t.Errorf("after the sweep: %q\nwant %q", left, want)
		}
		if n != len(images.Widths)+1 {
			t.Errorf("swept %d files, want %d", n, len(images.Widths)+1)
		}

		// Once no product shows it, the old photo goes on the next sweep.
		none := ""
		if _, err := db.UpdateProduct(ctx, v.ID, p.ID, app.ProductInput{Name: "Pickle", MRP: 20000, Price: 20000,
			Stock: 5, StockWas: ptr[int64](5), Available: true, Image: &none}); err != nil {
			t.Fatal(err)
		}
		if n, err := images.New(dir, 0).SweepOrphans(ctx, db, 24*time.Hour); err != nil || n != len(images.Widths) {
			t.Errorf("second sweep: %d, %v; want %d files", n, err, len(images.Widths))
		}
	})
}

func ptr[T any](v T) *T { return &v }

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
