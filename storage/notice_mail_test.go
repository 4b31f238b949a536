package storage_test

import (
	"encoding/json"
	"errors"
	"regexp"
	"testing"

	"dukaan/app"
	"dukaan/storage"
	"dukaan/storage/jobs"
	"dukaan/storage/storagetest"
)

// mailJobs are the mail jobs in the queue, oldest first (no worker runs in
// storage tests, so every job written is still there).
func mailJobs(tb testing.TB, db *storage.DB) []jobs.MailArgs {
	tb.Helper()
	q := "SELECT args FROM river_job WHERE kind = 'mail' ORDER BY id"
	if db.Dialect() == storage.DialectSQLite {
		q = "SELECT json(args) FROM river_job WHERE kind = 'mail' ORDER BY id" // stored as JSONB
	}
	rows, err := db.Bun().DB.QueryContext(tb.Context(), q)
	if err != nil {
		tb.Fatalf("mail jobs: %v", err)
	}
	defer rows.Close()
	var out []jobs.MailArgs
	for rows.Next() {
		var raw []byte
		if err := rows.Scan(&raw); err != nil {
			tb.Fatal(err)
		}
		var a jobs.MailArgs
		if err := json.Unmarshal(raw, &a); err != nil {
			tb.Fatalf("mail job args %s: %v", raw, err)
		}
		out = append(out, a)
	}
	if err := rows.Err(); err != nil {
		tb.Fatal(err)
	}
	return out
}

var mailIDRE = regexp.MustCompile(`^(order-created|low-stock)\.\d+\.[a-z0-9]{16}@dukaan$`)

// TestOrderMailJob: placing an order writes its mail job in the order's
// transaction, to the vendor's email, unless the shop turned order
// emails off; an order that is refused (rolled back) or repeated writes
// none.
func TestOrderMailJob(t *testing.T) {
	storagetest.ForEachDialect(t, func(t *testing.T, db *storage.DB) {
		ctx := t.Context()
		v := storagetest.Vendor(t, db, "mailer")
		if !v.OrderEmails {
			got, err := db.VendorByID(ctx, v.ID)
			if err != nil || !got.OrderEmails {
				t.Fatalf("a new shop's order emails are off (%v)", err)
			}
		}
		p := storagetest.Product(t, db, v.ID, "Gur", 9900, 50)
		req := order(v.ID, app.OrderLine{ProductID: p.ID, Qty: 1})
		req.OrderKey = "key-1"
		o, _, err := db.PlaceOrder(ctx, req)
		if err != nil {
			t.Fatal(err)
		}
		js := mailJobs(t, db)
		if len(js) != 1 {
			t.Fatalf("%d mail jobs after one order, want 1: %+v", len(js), js)
		}
		j := js[0]
		if j.Template != jobs.MailOrderCreated || j.OrderID != o.ID || j.VendorID != v.ID || j.To != "mailer@example.com" || !mailIDRE.MatchString(j.MessageID) {
			t.Errorf("job = %+v", j)
		}

		// The same order key again: the existing order, no second mail.
		if _, dup, err := db.PlaceOrder(ctx, req); err != nil || !dup {
			t.Fatalf("repeat: dup %v err %v", dup, err)
		}
		// Refused (rolled back) orders write nothing.
		_, _, err = db.PlaceOrder(ctx, order(v.ID, app.OrderLine{ProductID: p.ID, Qty: 100}))
		wantCode(t, err, app.EINVALID)
		if n := len(mailJobs(t, db)); n != 1 {
			t.Errorf("%d mail jobs after a repeat and a refused order, want still 1", n)
		}

		// Off: orders write no mail job; a save without the switch keeps it.
		if _, err := db.UpdateStore(ctx, v.ID, app.StoreSettings{Name: v.Name, OrderEmails: ptr(false)}); err != nil {
			t.Fatal(err)
		}
		if _, err := db.UpdateStore(ctx, v.ID, app.StoreSettings{Name: v.Name + " renamed"}); err != nil {
			t.Fatal(err)
		}
		if got, _ := db.VendorByID(ctx, v.ID); got.OrderEmails {
			t.Fatal("a save without OrderEmails turned order emails back on")
		}
		if _, _, err := db.PlaceOrder(ctx, order(v.ID, app.OrderLine{ProductID: p.ID, Qty: 1})); err != nil {
			t.Fatal(err)
		}
		if n := len(mailJobs(t, db)); n != 1 {
			t.Errorf("%d mail jobs after an order with emails off, want still 1", n)
		}
		if _, _, err := db.UpdateSettings(ctx, v.ID, app.StoreSettings{Name: v.Name, OrderEmails: ptr(true)}, nil); err != nil {
			t.Fatal(err)
		}
		o2, _, err := db.PlaceOrder(ctx, order(v.ID, app.OrderLine{ProductID: p.ID, Qty: 1}))
		if err != nil {
			t.Fatal(err)
		}
		js = mailJobs(t, db)
		if len(js) != 2 || js[1].OrderID != o2.ID || js[1].MessageID == js[0].MessageID {
			t.Errorf("jobs after switching back on = %+v", js)
		}

		// Another shop's order mails its own vendor only.
		w := storagetest.Vendor(t, db, "other")
		q := storagetest.Product(t, db, w.ID, "Tea", 100, 50)
		if _, _, err := db.PlaceOrder(ctx, order(w.ID, app.OrderLine{ProductID: q.ID, Qty: 1})); err != nil {
			t.Fatal(err)
		}
		js = mailJobs(t, db)
		if len(js) != 3 || js[2].VendorID != w.ID || js[2].To != "other@example.com" {
			t.Errorf("other shop's job = %+v", js[len(js)-1])
		}
	})
}

// TestLowStockJob: the order whose decrement takes stock from above the
// threshold to at or below it writes one low-stock mail; orders below it
// write none; a restock above re-arms it; 0 is off.
func TestLowStockJob(t *testing.T) {
	storagetest.ForEachDialect(t, func(t *testing.T, db *storage.DB) {
		ctx := t.Context()
		v := storagetest.Vendor(t, db, "lowstock")
		if _, err := db.UpdateStore(ctx, v.ID, app.StoreSettings{Name: v.Name, OrderEmails: ptr(false)}); err != nil {
			t.Fatal(err)
		}
		p := storagetest.Product(t, db, v.ID, "Ghee", 50000, 6)
		if p.LowStockAt != app.DefaultLowStockAt {
			t.Fatalf("new product's LowStockAt = %d, want %d", p.LowStockAt, app.DefaultLowStockAt)
		}
		other := storagetest.Product(t, db, v.ID, "Tea", 100, 100)
		alerts := func() []jobs.MailArgs {
			var out []jobs.MailArgs
			for _, j := range mailJobs(t, db) {
				if j.Template == jobs.MailLowStock {
					out = append(out, j)
				}
			}
			return out
		}
		buy := func(n int64) {
			t.Helper()
			if _, _, err := db.PlaceOrder(ctx, order(v.ID, app.OrderLine{ProductID: p.ID, Qty: n}, app.OrderLine{ProductID: other.ID, Qty: 1})); err != nil {
				t.Fatal(err)
			}
		}
		for _, step := range []struct {
			qty  int64
			want int
		}{{2, 0}, {1, 1}, {1, 1}, {2, 1}} { // 6→4, 4→3 (crosses), 3→2, 2→0
			buy(step.qty)
			if got := len(alerts()); got != step.want {
				t.Fatalf("after buying %d (stock %d): %d alerts, want %d", step.qty, stockOf(t, db, p.ID), got, step.want)
			}
		}
		a := alerts()[0]
		if a.ProductID != p.ID || a.VendorID != v.ID || a.To != "lowstock@example.com" || !mailIDRE.MatchString(a.MessageID) {
			t.Errorf("alert = %+v", a)
		}

		// An edit that keeps LowStockAt nil leaves it; a restock re-arms.
		upd, err := db.UpdateProduct(ctx, v.ID, p.ID, app.ProductInput{Name: "Ghee", MRP: 50000, Price: 50000, Stock: 4, Available: true})
		if err != nil {
			t.Fatal(err)
		}
		if upd.LowStockAt != 3 {
			t.Errorf("update without LowStockAt set it to %d", upd.LowStockAt)
		}
		if n := len(alerts()); n != 1 {
			t.Errorf("a restock wrote an alert (%d)", n)
		}
		buy(1) // 4 → 3: crosses again
		if got := alerts(); len(got) != 2 || got[1].MessageID == got[0].MessageID {
			t.Errorf("alerts after the restock's crossing = %+v", got)
		}

		// Off.
		if _, err := db.UpdateProduct(ctx, v.ID, p.ID, app.ProductInput{Name: "Ghee", MRP: 50000, Price: 50000, Stock: 10, Available: true, LowStockAt: ptr(int64(0))}); err != nil {
			t.Fatal(err)
		}
		buy(9)
		if n := len(alerts()); n != 2 {
			t.Errorf("%d alerts with the threshold off, want 2", n)
		}
		// Out of range is refused.
		_, err = db.UpdateProduct(ctx, v.ID, p.ID, app.ProductInput{Name: "Ghee", MRP: 50000, Price: 50000, Stock: 10, Available: true, LowStockAt: ptr(int64(-1))})
		wantCode(t, err, app.EINVALID)
	})
}

// TestLowStockConcurrentOrders: of many orders racing past the threshold,
// exactly one writes the alert.
func TestLowStockConcurrentOrders(t *testing.T) {
	storagetest.ForEachDialect(t, func(t *testing.T, db *storage.DB) {
		ctx := t.Context()
		v := storagetest.Vendor(t, db, "race")
		if _, err := db.UpdateStore(ctx, v.ID, app.StoreSettings{Name: v.Name, OrderEmails: ptr(false)}); err != nil {
			t.Fatal(err)
		}
		p := storagetest.Product(t, db, v.ID, "Laddoo", 1000, 18) // 16 orders: 18 → 2
		errs := make(chan error, 16)
		for range 16 {
			go func() {
				_, _, err := db.PlaceOrder(ctx, order(v.ID, app.OrderLine{ProductID: p.ID, Qty: 1}))
				errs <- err
			}()
		}
		for range 16 {
			if err := <-errs; err != nil && app.ErrorCode(err) != app.EINVALID {
				t.Error(err)
			}
		}
		n := 0
		for _, j := range mailJobs(t, db) {
			if j.Template == jobs.MailLowStock {
				n++
			}
		}
		if stock := stockOf(t, db, p.ID); stock != 2 || n != 1 {
			t.Errorf("stock %d, %d alerts; want stock 2 and one alert", stock, n)
		}
	})
}

// TestMailJobRollsBack: the mail job is written in the change's
// transaction: a transaction that fails after writing it leaves no job,
// one that commits leaves exactly one.
func TestMailJobRollsBack(t *testing.T) {
	storagetest.ForEachDialect(t, func(t *testing.T, db *storage.DB) {
		ctx := t.Context()
		v := storagetest.Vendor(t, db, "rollback")
		p := storagetest.Product(t, db, v.ID, "Jaggery", 100, 2)
		o, _, err := db.PlaceOrder(ctx, order(v.ID, app.OrderLine{ProductID: p.ID, Qty: 1}))
		if err != nil {
			t.Fatal(err)
		}
		before := len(mailJobs(t, db))
		boom := errors.New("boom")
		for _, n := range []app.Notice{
			{Kind: app.NoticeOrderCreated, VendorID: v.ID, Order: o},
			{Kind: app.NoticeProductLowStock, VendorID: v.ID, Product: p},
		} {
			if err := db.NoticeThenFail(ctx, n, boom); !errors.Is(err, boom) {
				t.Fatalf("%s: %v", n.Kind, err)
			}
			if got := len(mailJobs(t, db)); got != before {
				t.Errorf("%s: a rolled-back transaction left %d mail job(s)", n.Kind, got-before)
			}
			if err := db.NoticeThenFail(ctx, n, nil); err != nil {
				t.Fatal(err)
			}
			before++
			if got := len(mailJobs(t, db)); got != before {
				t.Errorf("%s: a committed transaction left %d mail jobs, want %d", n.Kind, got, before)
			}
		}
		// Notices that owe no email write none.
		for _, k := range []app.NoticeKind{app.NoticeOrderStatusChanged, app.NoticeOrderPaymentChanged} {
			if err := db.NoticeThenFail(ctx, app.Notice{Kind: k, VendorID: v.ID, Order: o}, nil); err != nil {
				t.Fatal(err)
			}
		}
		if err := db.NoticeThenFail(ctx, app.Notice{Kind: app.NoticeProductUpdated, VendorID: v.ID, Product: p}, nil); err != nil {
			t.Fatal(err)
		}
		if got := len(mailJobs(t, db)); got != before {
			t.Errorf("status, payment and product notices wrote %d mail jobs", got-before)
		}
	})
}
