package storage_test

import (
	"slices"
	"testing"

	"dukaan/app"
	"dukaan/storage"
	"dukaan/storage/storagetest"
)

func TestOrders(t *testing.T) {
	storagetest.ForEachDialect(t, func(t *testing.T, db *storage.DB) {
		ctx := t.Context()
		v := storagetest.Vendor(t, db, "kirana")
		p := storagetest.Product(t, db, v.ID, "Dal", 16500, 100)
		var ids []int64
		for i := range 5 {
			o, _, err := db.PlaceOrder(ctx, order(v.ID, app.OrderLine{ProductID: p.ID, Qty: int64(i + 1)}))
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, o.ID)
		}
		for _, id := range ids[:2] {
			if _, err := db.SetOrderStatus(ctx, v.ID, id, app.StatusConfirmed); err != nil {
				t.Fatal(err)
			}
		}
		rev := slices.Clone(ids)
		slices.Reverse(rev)
		tests := []struct {
			name      string
			filter    app.OrderFilter
			want      []int64
			wantTotal int
		}{
			{"all newest first", app.OrderFilter{}, rev, 5},
			{"pending", app.OrderFilter{Status: app.StatusPending}, []int64{ids[4], ids[3], ids[2]}, 3},
			{"confirmed", app.OrderFilter{Status: app.StatusConfirmed}, []int64{ids[1], ids[0]}, 2},
			{"shipped", app.OrderFilter{Status: app.StatusShipped}, nil, 0},
			{"page", app.OrderFilter{Limit: 2, Offset: 2}, []int64{ids[2], ids[1]}, 5},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				f := tt.filter
				f.VendorID = v.ID
				got, total, err := db.Orders(ctx, f)
				if err != nil {
					t.Fatal(err)
				}
				var gotIDs []int64
				for _, o := range got {
					gotIDs = append(gotIDs, o.ID)
					if o.Items != nil {
						t.Errorf("order %d has items loaded", o.ID)
					}
					if o.Total == 0 || o.Token == "" {
						t.Errorf("order %d incomplete: %+v", o.ID, o)
					}
				}
				if !slices.Equal(gotIDs, tt.want) || total != tt.wantTotal {
					t.Errorf("ids = %v (total %d), want %v (total %d)", gotIDs, total, tt.want, tt.wantTotal)
				}
			})
		}
		t.Run("unknown status", func(t *testing.T) {
			_, _, err := db.Orders(ctx, app.OrderFilter{VendorID: v.ID, Status: "lost"})
			wantCode(t, err, app.EINVALID)
		})
	})
}
