package main

// Concurrent edits: two people of one shop editing the same
// product from two browsers, a restock and cancellations, all while
// customers order it. No stock movement may be lost: in the end
//
//	stock = initial − units ordered + units of cancelled orders + restocks
//
// on SQLite and PostgreSQL.

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestReliabilityConcurrentEdits(t *testing.T) {
	for _, dialect := range dialects {
		t.Run(dialect, func(t *testing.T) {
			t.Parallel()
			testConcurrentEdits(t, startApp(t, dialect, nil))
		})
	}
}

func testConcurrentEdits(t *testing.T, a *testApp) {
	const initial = 300
	v := a.signup(t, "busy-shop")
	pid := v.addProduct(t, "Festival Sweets Box", "500", "450", initial, true)
	// A second person of the shop, signed in from another browser.
	colleague := a.newClient()
	wantRedirect(t, colleague.submit(t, "/login", "/login", url.Values{"email": {v.email}, "password": {password}}), "/products")
	other := &vendor{c: colleague, store: v.store, email: v.email}
	vendor, err := a.main.DB.VendorBySlug(t.Context(), v.store)
	if err != nil {
		t.Fatal(err)
	}
	editPath := fmt.Sprintf("/products/%d/edit", pid)

	run := newLoadRun()
	var (
		edits, restocks, conflicts, cancels atomic.Int64
		mu                                  sync.Mutex
		unexpected                          []string
	)
	bad := func(format string, args ...any) {
		mu.Lock()
		defer mu.Unlock()
		if len(unexpected) < 10 {
			unexpected = append(unexpected, fmt.Sprintf(format, args...))
		}
	}
	shop := loadClient(t, a.addr)
	runLoad(7, 2*time.Second, func(ctx context.Context, w int) {
		switch w {
		case 0:
			// Edits everything but stock, from the form as shown: must
			// never undo an order placed meanwhile, and never conflict.
			f := v.productForm(t, pid)
			f.Set("description", "Fresh batch "+strconv.FormatInt(edits.Load(), 10))
			r := v.submit(t, editPath, editPath, f)
			if r.status != http.StatusSeeOther {
				bad("description edit: %d %s", r.status, r.summary())
				return
			}
			edits.Add(1)
		case 1:
			// The colleague restocks by 5 from the form as shown: saved,
			// or refused (409) when orders moved the stock meanwhile.
			f := other.productForm(t, pid)
			was, _ := strconv.Atoi(f.Get("stock_was"))
			f.Set("stock", strconv.Itoa(was+5))
			f.Set("price", []string{"450", "440"}[restocks.Load()%2])
			r := other.submit(t, editPath, editPath, f)
			switch r.status {
			case http.StatusSeeOther:
				restocks.Add(1)
			case http.StatusConflict:
				conflicts.Add(1)
				if fieldError(r.doc, "stock") == "" {
					bad("409 without a message on stock: %s", r.summary())
				}
			default:
				bad("restock: %d %s", r.status, r.summary())
			}
		case 2:
			// The shop cancels the newest pending order now and then,
			// which puts its stock back.
			time.Sleep(100 * time.Millisecond)
			ids := v.orderIDs(t, "?status=pending")
			if len(ids) == 0 {
				return
			}
			r := v.setStatus(t, ids[0], "cancelled")
			switch r.status {
			case http.StatusSeeOther:
				cancels.Add(1)
			case http.StatusUnprocessableEntity: // cancelled by the other tab first
			default:
				bad("cancel: %d %s", r.status, r.summary())
			}
		default:
			run.shopOrder(shop, v.shop(), pid, 1+w%2, false)
			// Gaps between orders, so that some restocks land (with orders
			// back to back every restock would be refused, see docs).
			time.Sleep(time.Duration(10+10*w) * time.Millisecond)
		}
	})
	for _, u := range unexpected {
		t.Error(u)
	}
	if n := run.failed.Load(); n > 0 {
		t.Errorf("%d of %d orders failed (%s):\n%s", n, run.sent.Load(), run.summary(), run.failuresText())
	}
	if edits.Load() == 0 || restocks.Load()+conflicts.Load() == 0 {
		t.Errorf("edits %d, restocks %d, conflicts %d: the editors did not run", edits.Load(), restocks.Load(), conflicts.Load())
	}

	var ordered, cancelled int64
	err = a.main.DB.Bun().NewRaw(`SELECT COALESCE(SUM(oi.qty), 0) FROM order_items oi JOIN orders o ON o.id = oi.order_id WHERE o.vendor_id = ?`, vendor.ID).Scan(context.Background(), &ordered)
	if err == nil {
		err = a.main.DB.Bun().NewRaw(`SELECT COALESCE(SUM(oi.qty), 0) FROM order_items oi JOIN orders o ON o.id = oi.order_id WHERE o.vendor_id = ? AND o.status = 'cancelled'`, vendor.ID).Scan(context.Background(), &cancelled)
	}
	if err != nil {
		t.Fatal(err)
	}
	want := initial - ordered + cancelled + 5*restocks.Load()
	got := stockOf(t, a.main.DB, pid)
	if got != want {
		t.Errorf("stock %d, want initial %d − ordered %d + cancelled %d + restocked 5×%d = %d", got, initial, ordered, cancelled, restocks.Load(), want)
	}
	if n := len(storedOrders(t, a.main.DB, vendor.ID)); n != len(run.orders) {
		t.Errorf("%d orders stored, %d confirmed", n, len(run.orders))
	}
	t.Logf("figures: case=concurrent-edits db=%s orders=%d units-ordered=%d description-edits=%d restocks=%d conflicts-409=%d cancels=%d units-back=%d stock=%d (want %d)",
		a.dialect, len(run.orders), ordered, edits.Load(), restocks.Load(), conflicts.Load(), cancels.Load(), cancelled, got, want)
}
