package storage_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/uptrace/bun"

	"dukaan/app"
	"dukaan/storage"
	"dukaan/storage/storagetest"
)

// webhookJobs counts the queue's webhook jobs.
func webhookJobs(tb testing.TB, db *storage.DB) int {
	tb.Helper()
	var n int
	if err := db.Bun().NewRaw("SELECT COUNT(*) FROM river_job WHERE kind = 'webhook'").Scan(context.Background(), &n); err != nil {
		tb.Fatal(err)
	}
	return n
}

// deliveryBody is the stored body of a delivery row.
func deliveryBody(tb testing.TB, db *storage.DB, id int64) app.WebhookBody {
	tb.Helper()
	var s string
	if err := db.Bun().NewRaw("SELECT body FROM webhook_deliveries WHERE id = ?", id).Scan(context.Background(), &s); err != nil {
		tb.Fatal(err)
	}
	var b app.WebhookBody
	if err := json.Unmarshal([]byte(s), &b); err != nil {
		tb.Fatalf("body %s: %v", s, err)
	}
	return b
}

func TestWebhookEndpointSettings(t *testing.T) {
	storagetest.ForEachDialect(t, func(t *testing.T, db *storage.DB) {
		ctx := t.Context()
		v := storagetest.Vendor(t, db, "chai-corner")
		other := storagetest.Vendor(t, db, "other-shop")

		ep, err := db.WebhookEndpoint(ctx, v.ID)
		if err != nil || ep.URL != "" || ep.HasSecret {
			t.Fatalf("new shop's endpoint = %+v, %v; want none", ep, err)
		}
		if _, err := db.RotateWebhookSecret(ctx, v.ID); app.ErrorCode(err) != app.EINVALID {
			t.Errorf("rotate without an endpoint: %v, want EINVALID", err)
		}
		if _, err := db.SendWebhookTest(ctx, v.ID); app.ErrorCode(err) != app.EINVALID {
			t.Errorf("test without an endpoint: %v, want EINVALID", err)
		}

		// Refused: nothing saved.
		_, _, err = db.SaveWebhook(ctx, v.ID, app.WebhookInput{URL: "ftp://example.com/x", Events: []app.NoticeKind{"order.deleted"}})
		e := wantCode(t, err, app.EINVALID)
		if e.Fields["url"] == "" || e.Fields["events"] == "" {
			t.Errorf("fields = %v, want url and events", e.Fields)
		}
		if n := countRows(t, db, "webhook_endpoints"); n != 0 {
			t.Fatalf("a refused form saved %d endpoint(s)", n)
		}

		ep, secret, err := db.SaveWebhook(ctx, v.ID, app.WebhookInput{
			URL:    " https://hooks.example.com/dukaan ",
			Events: []app.NoticeKind{app.NoticeProductUpdated, app.NoticeOrderCreated, app.NoticeOrderCreated},
		})
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(secret, "whsec_") || len(secret) != len("whsec_")+64 || !ep.HasSecret {
			t.Errorf("first save: secret %q, HasSecret %v; want a generated one", secret, ep.HasSecret)
		}
		if ep.URL != "https://hooks.example.com/dukaan" || len(ep.Events) != 2 || ep.Events[0] != app.NoticeOrderCreated || ep.Events[1] != app.NoticeProductUpdated {
			t.Errorf("saved %+v, want the trimmed URL and two events in the console's order", ep)
		}
		ep2, again, err := db.SaveWebhook(ctx, v.ID, app.WebhookInput{URL: "https://hooks.example.com/v2", Events: []app.NoticeKind{app.NoticeOrderCreated}})
		if err != nil || again != "" || !ep2.HasSecret {
			t.Errorf("second save: secret %q (want none shown again), %+v, %v", again, ep2, err)
		}
		rotated, err := db.RotateWebhookSecret(ctx, v.ID)
		if err != nil || rotated == secret || !strings.HasPrefix(rotated, "whsec_") {
			t.Errorf("rotated = %q, %v; want a new secret", rotated, err)
		}
		if got, _ := db.WebhookEndpoint(ctx, other.ID); got.URL != "" {
			t.Errorf("another shop sees endpoint %+v", got)
		}
	})
}

func TestWebhookNotices(t *testing.T) {
	storagetest.ForEachDialect(t, func(t *testing.T, db *storage.DB) {
		ctx := t.Context()
		v := storagetest.Vendor(t, db, "chai-corner")
		other := storagetest.Vendor(t, db, "other-shop")
		p := storagetest.Product(t, db, v.ID, "Masala Chai", 12950, 100)

		// No endpoint: an order writes no delivery and no job.
		if _, _, err := db.PlaceOrder(ctx, order(v.ID, app.OrderLine{ProductID: p.ID, Qty: 1})); err != nil {
			t.Fatal(err)
		}
		if n, j := countRows(t, db, "webhook_deliveries"), webhookJobs(t, db); n != 0 || j != 0 {
			t.Fatalf("no endpoint: %d deliveries, %d jobs", n, j)
		}

		if _, _, err := db.SaveWebhook(ctx, v.ID, app.WebhookInput{URL: "https://hooks.example.com/x", Events: []app.NoticeKind{app.NoticeOrderCreated, app.NoticeProductUpdated}}); err != nil {
			t.Fatal(err)
		}
		o, _, err := db.PlaceOrder(ctx, order(v.ID, app.OrderLine{ProductID: p.ID, Qty: 2}))
		if err != nil {
			t.Fatal(err)
		}
		ds, err := db.WebhookDeliveries(ctx, v.ID, 50)
		if err != nil || len(ds) != 1 || webhookJobs(t, db) != 1 {
			t.Fatalf("after an order: deliveries %v (%v), %d jobs; want one of each", ds, err, webhookJobs(t, db))
		}
		d := ds[0]
		if d.Event != string(app.NoticeOrderCreated) || d.State != app.DeliveryPending || d.Attempts != 0 || !strings.HasPrefix(d.DeliveryID, "dlv_") {
			t.Errorf("delivery = %+v", d)
		}
		b := deliveryBody(t, db, d.ID)
		if b.ID != d.EventID || b.Type != "order.created" || b.Store != (app.WebhookStore{Slug: "chai-corner", Name: v.Name}) || b.Data.Order == nil || b.Data.Product != nil {
			t.Fatalf("body = %+v", b)
		}
		if got := b.Data.Order; got.ID != o.ID || got.Number != o.Number || got.Total.Paise != int64(o.Total) || len(got.Items) != 1 ||
			got.Items[0].Qty != 2 || got.Items[0].Price != (app.WebhookMoney{Paise: 12950, Rupees: "129.50"}) || got.Customer.Phone != o.Customer.Phone {
			t.Errorf("order in body = %+v, placed %+v", got, o)
		}

		// Not subscribed: a status change writes nothing.
		if _, err := db.SetOrderStatus(ctx, v.ID, o.ID, app.StatusConfirmed); err != nil {
			t.Fatal(err)
		}
		if n := countRows(t, db, "webhook_deliveries"); n != 1 {
			t.Errorf("an unsubscribed event wrote a delivery (%d rows)", n)
		}
		// A product edit is subscribed.
		in := app.ProductInput{Name: "Masala Chai", MRP: 15000, Price: 14000, Stock: 50, Available: true}
		if _, err := db.UpdateProduct(ctx, v.ID, p.ID, in); err != nil {
			t.Fatal(err)
		}
		ds, _ = db.WebhookDeliveries(ctx, v.ID, 50)
		if len(ds) != 2 || ds[0].Event != "product.updated" {
			t.Fatalf("after a product edit: %+v", ds)
		}
		if pb := deliveryBody(t, db, ds[0].ID); pb.Data.Product == nil || pb.Data.Product.Price.Rupees != "140.00" || pb.Data.Product.Stock != 50 {
			t.Errorf("product body = %+v", pb.Data.Product)
		}

		// A rolled-back change writes neither row nor job.
		rows, jobsBefore := countRows(t, db, "webhook_deliveries"), webhookJobs(t, db)
		boom := errors.New("boom")
		err = db.Bun().RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
			if err := db.NoticeTx(ctx, tx, app.Notice{Kind: app.NoticeOrderCreated, VendorID: v.ID, Order: o}); err != nil {
				return err
			}
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatal(err)
		}
		if countRows(t, db, "webhook_deliveries") != rows || webhookJobs(t, db) != jobsBefore {
			t.Errorf("a rollback left a delivery or a job")
		}

		// Another vendor sees none, and cannot re-send or read them.
		if ds, err := db.WebhookDeliveries(ctx, other.ID, 50); err != nil || len(ds) != 0 {
			t.Errorf("another vendor's deliveries = %v, %v", ds, err)
		}
		if _, err := db.ResendWebhook(ctx, other.ID, ds[0].ID); app.ErrorCode(err) != app.ENOTFOUND {
			t.Errorf("another vendor's re-send: %v, want ENOTFOUND", err)
		}
		if _, err := db.WebhookRequest(ctx, other.ID, ds[0].ID); app.ErrorCode(err) != app.ENOTFOUND {
			t.Errorf("another vendor's request: %v, want ENOTFOUND", err)
		}
	})
}

func TestWebhookAttempts(t *testing.T) {
	storagetest.ForEachDialect(t, func(t *testing.T, db *storage.DB) {
		ctx := t.Context()
		v := storagetest.Vendor(t, db, "chai-corner")
		if _, _, err := db.SaveWebhook(ctx, v.ID, app.WebhookInput{URL: "https://hooks.example.com/x", Events: []app.NoticeKind{app.NoticeOrderCreated}}); err != nil {
			t.Fatal(err)
		}
		ping, err := db.SendWebhookTest(ctx, v.ID)
		if err != nil || ping.Event != app.WebhookPing || webhookJobs(t, db) != 1 {
			t.Fatalf("test event: %+v, %v, %d jobs", ping, err, webhookJobs(t, db))
		}
		req, err := db.WebhookRequest(ctx, v.ID, ping.ID)
		if err != nil || req.URL != "https://hooks.example.com/x" || !strings.HasPrefix(req.Secret, "whsec_") || req.DeliveryID != ping.DeliveryID {
			t.Fatalf("request = %+v, %v", req, err)
		}
		var body app.WebhookBody
		if err := json.Unmarshal(req.Body, &body); err != nil || body.Type != "ping" || body.ID != ping.EventID {
			t.Fatalf("ping body %s: %v", req.Body, err)
		}
		if _, err := db.ResendWebhook(ctx, v.ID, ping.ID); app.ErrorCode(err) != app.ECONFLICT {
			t.Errorf("re-send of a pending delivery: %v, want ECONFLICT", err)
		}
		fail := app.WebhookResult{StatusCode: 500, Duration: 1500 * 1e6, Err: errors.New("endpoint answered 500")}
		if err := db.RecordWebhookAttempt(ctx, v.ID, ping.ID, fail, false); err != nil {
			t.Fatal(err)
		}
		if err := db.RecordWebhookAttempt(ctx, v.ID, ping.ID, fail, true); err != nil {
			t.Fatal(err)
		}
		ds, _ := db.WebhookDeliveries(ctx, v.ID, 50)
		if d := ds[0]; d.State != app.DeliveryFailed || d.Attempts != 2 || d.StatusCode != 500 || d.Duration.Milliseconds() != 1500 || d.LastError != "endpoint answered 500" || d.AttemptedAt.IsZero() {
			t.Fatalf("after two failures = %+v", d)
		}
		again, err := db.ResendWebhook(ctx, v.ID, ping.ID)
		if err != nil || again.State != app.DeliveryPending || again.DeliveryID != ping.DeliveryID || webhookJobs(t, db) != 2 {
			t.Fatalf("re-send: %+v, %v, %d jobs; want pending, same delivery id, a second job", again, err, webhookJobs(t, db))
		}
		if err := db.RecordWebhookAttempt(ctx, v.ID, ping.ID, app.WebhookResult{StatusCode: 204}, false); err != nil {
			t.Fatal(err)
		}
		ds, _ = db.WebhookDeliveries(ctx, v.ID, 50)
		if d := ds[0]; d.State != app.DeliveryDelivered || d.Attempts != 3 || d.StatusCode != 204 || d.LastError != "" {
			t.Errorf("after a 2xx = %+v", d)
		}
	})
}

func TestWebhookPrune(t *testing.T) {
	storagetest.ForEachDialect(t, func(t *testing.T, db *storage.DB) {
		ctx := t.Context()
		v := storagetest.Vendor(t, db, "chai-corner")
		other := storagetest.Vendor(t, db, "other-shop")
		for _, id := range []int64{v.ID, other.ID} {
			if _, _, err := db.SaveWebhook(ctx, id, app.WebhookInput{URL: "https://hooks.example.com/x", Events: []app.NoticeKind{app.NoticeOrderCreated}}); err != nil {
				t.Fatal(err)
			}
		}
		otherPing, err := db.SendWebhookTest(ctx, other.ID)
		if err != nil {
			t.Fatal(err)
		}
		for range 502 {
			if _, err := db.SendWebhookTest(ctx, v.ID); err != nil {
				t.Fatal(err)
			}
		}
		ids := func() []int64 {
			var out []int64
			if err := db.Bun().NewRaw("SELECT id FROM webhook_deliveries WHERE vendor_id = ? ORDER BY id", v.ID).Scan(ctx, &out); err != nil {
				t.Fatal(err)
			}
			return out
		}
		all := ids()
		// The oldest stays pending (never pruned); the second-oldest,
		// beyond the newest 500, finishes and goes with the next prune.
		for _, id := range []int64{all[1], all[501]} {
			if err := db.RecordWebhookAttempt(ctx, v.ID, id, app.WebhookResult{StatusCode: 200}, false); err != nil {
				t.Fatal(err)
			}
		}
		if left := ids(); len(left) != 501 || left[0] != all[0] || left[1] != all[2] {
			t.Errorf("after the prune: %d rows starting %v; want 501 from %v (the pending oldest kept, the finished one beyond 500 gone)", len(left), left[:2], []int64{all[0], all[2]})
		}
		if ds, _ := db.WebhookDeliveries(ctx, v.ID, 50); len(ds) != 50 || ds[0].ID != all[501] {
			t.Errorf("the console's list: %d, newest first?", len(ds))
		}
		if _, err := db.WebhookRequest(ctx, other.ID, otherPing.ID); err != nil {
			t.Errorf("the prune touched another shop: %v", err)
		}
	})
}
