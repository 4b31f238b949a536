package storage

import (
	"cmp"
	"context"
	"crypto/rand"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"dukaan/app"
)

// errDuplicateOrder unwinds PlaceOrder's transaction when the order key is
// already taken; it never leaves this file.
var errDuplicateOrder = errors.New("duplicate order key")

// newToken returns 26 base32 characters (130 random bits), lower-cased so
// that it reads well in a URL: the customer's only handle on their order,
// so it must not be guessable.
func newToken() string { return strings.ToLower(rand.Text()) }

// takenStock is what a successful stock decrement reports back: the
// product as it was sold, and what is left.
type takenStock struct {
	Name  string
	MRP   int64
	Price int64
	Stock int64 // after the decrement
	// LowStockAt is the product's low-stock threshold (0: no alert; a
	// variant's line has none).
	LowStockAt int64
	// Variant is set for a variant's line; Label is the variant's.
	Variant bool
	Label   string
}

// PlaceOrder takes a customer's order in one transaction. The order row is
// inserted first so that a repeated order key (a double-submitted form)
// fails before any stock moves; on PostgreSQL a racing duplicate blocks on
// the unique index until the first commits, then fails, and is answered
// with the committed order. Each line then decrements stock only if enough
// is left, so concurrent orders can never oversell; if any line cannot be
// filled, nothing is kept.
func (d *DB) PlaceOrder(ctx context.Context, req app.PlaceOrder) (*app.Order, bool, error) {
	if err := app.ValidateOrderLines(req.Lines); err != nil {
		return nil, false, err
	}
	// Every order locks product and variant rows in ascending (product
	// id, variant id) order, so two orders that share products or
	// variants wait for each other instead of deadlocking. A variant's
	// product is known once variantProducts has read it (inside the
	// transaction, below).
	reqLines := slices.Clone(req.Lines)
	var lines []app.OrderLine
	key := req.OrderKey
	switch {
	case key == "":
		// Unique (vendor_id, order_key) must still hold for orders that
		// came without a key: give each its own.
		key = "auto:" + newToken()
	case len(key) > app.MaxOrderKeyLen:
		return nil, false, app.Invalid("The order form is damaged. Please reload the page.",
			map[string]string{"order_key": "Too long."})
	}
	t := now()
	om := &orderModel{
		VendorID:      req.VendorID,
		Token:         newToken(),
		OrderKey:      key,
		CustomerName:  req.Customer.Name,
		Phone:         req.Customer.Phone,
		Address:       req.Customer.Address,
		Status:        string(app.StatusPending),
		PaymentMode:   string(app.PaymentCOD),
		PaymentStatus: string(app.PaymentUnpaid),
		CreatedAt:     t,
		UpdatedAt:     t,
	}
	zone := req.Zone
	if zone == nil {
		zone = time.UTC
	}
	var (
		items   []app.OrderItem
		soldOut []int64
	)
	ctx = owing(ctx) // publish settles the purge jobs owe writes
	err := d.db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		_, err := tx.NewInsert().Model(om).Returning("id").Exec(ctx)
		switch {
		case isUniqueViolation(err, uniqueOrderKey):
			return errDuplicateOrder
		case isForeignKeyViolation(err):
			return app.Errorf(app.ENOTFOUND, "Store not found.")
		case err != nil:
			return err
		}
		if req.CheckRepeat {
			prev, err := repeatOf(ctx, tx, req, om.ID, t)
			if err != nil {
				return err
			}
			if prev != nil {
				return &app.RepeatOrder{Order: prev}
			}
		}
		// The settings the order is priced with are the ones this
		// transaction sees.
		settings, err := checkoutSettings(ctx, tx, req.VendorID)
		if err != nil {
			return err
		}
		payment, payErr := settings.ChoosePayment(req.Payment)
		if err := variantProducts(ctx, tx, req.VendorID, reqLines); err != nil {
			return err
		}
		lines = slices.Clone(reqLines)
		slices.SortFunc(lines, func(a, b app.OrderLine) int {
			return cmp.Or(cmp.Compare(a.ProductID, b.ProductID), cmp.Compare(a.VariantID, b.VariantID))
		})
		taken, err := takeStock(ctx, tx, req.VendorID, lines, req.Shown, req.ShownVariant, t)
		if err != nil {
			return err
		}
		// Lines keep the customer's order; stock was taken in id order.
		rows := make([]orderItemModel, len(reqLines))
		var subtotal int64
		for i, l := range reqLines {
			s := taken[l.Field()]
			rows[i] = orderItemModel{OrderID: om.ID, ProductID: l.ProductID,
				Name: s.Name, MRP: s.MRP, Price: s.Price, Qty: l.Qty,
				VariantID: l.VariantID, VariantLabel: s.Label}
			subtotal += s.Price * l.Qty
		}
		for _, l := range lines {
			// A variant reaching 0 changes its product's card and page
			// (the variant's state, maybe "sold out"): one event for the
			// product however many of its variants did.
			if taken[l.Field()].Stock == 0 && !slices.Contains(soldOut, l.ProductID) {
				soldOut = append(soldOut, l.ProductID)
			}
		}
		// Every problem with the order as a whole is reported at once.
		var refusals []error
		if payErr != nil {
			refusals = append(refusals, payErr)
		}
		if err := settings.CheckMinOrder(app.Paise(subtotal)); err != nil {
			refusals = append(refusals, err)
		}
		// The coupon and then the number come last: each holds a row
		// lock (the coupon's, the shop's) until commit.
		var coupon *app.Coupon
		if code := strings.TrimSpace(req.Coupon); code != "" {
			coupon, err = redeemCoupon(ctx, tx, req.VendorID, code, app.Paise(subtotal), t.In(zone))
			var ce *app.CouponError
			if errors.As(err, &ce) {
				refusals = append(refusals, ce)
			} else if err != nil {
				return err
			}
		}
		if err := joinRefusals(refusals); err != nil {
			return err
		}
		totals := app.Price(app.Paise(subtotal), *settings, coupon)
		number, err := nextOrderNumber(ctx, tx, req.VendorID)
		if err != nil {
			return err
		}
		om.Number, om.Total, om.Subtotal = number, int64(totals.Total), int64(totals.Subtotal)
		om.Discount, om.DeliveryFee, om.PaymentMode = int64(totals.Discount), int64(totals.Delivery), string(payment)
		if coupon != nil {
			om.CouponCode = coupon.Code
		}
		// RETURNING order is unspecified for multi-row inserts, so ids
		// come from reading the lines back, not from the insert.
		if _, err := tx.NewInsert().Model(&rows).Returning("NULL").Exec(ctx); err != nil {
			return err
		}
		if _, err := tx.NewUpdate().Model((*orderModel)(nil)).
			Set("number = ?", om.Number).
			Set("total = ?", om.Total).
			Set("subtotal = ?", om.Subtotal).
			Set("discount = ?", om.Discount).
			Set("delivery_fee = ?", om.DeliveryFee).
			Set("coupon_code = ?", om.CouponCode).
			Set("payment_mode = ?", om.PaymentMode).
			Where("id = ?", om.ID).
			Exec(ctx); err != nil {
			return err
		}
		if items, err = orderItems(ctx, tx, om.ID); err != nil {
			return err
		}
		placed := om.toApp()
		placed.Items = items
		if err := d.noticeTx(ctx, tx, app.Notice{Kind: app.NoticeOrderCreated, VendorID: req.VendorID, At: t, Order: placed}); err != nil {
			return err
		}
		for _, id := range soldOut {
			if err := d.owe(ctx, tx, app.ProductEvent{Kind: app.ProductSoldOut, VendorID: req.VendorID, ProductID: id}); err != nil {
				return err
			}
		}
		return d.lowStockTx(ctx, tx, req.VendorID, lines, taken, t)
	})
	var repeat *app.RepeatOrder
	if errors.As(err, &repeat) {
		return nil, false, err
	}
	if errors.Is(err, errDuplicateOrder) {
		o, err := findOrder(ctx, d.db, req.VendorID, "order_key = ?", key)
		if app.ErrorCode(err) == app.ENOTFOUND {
			// Not the customer's fault: the row that took the key is gone.
			err = errors.New("order holding the key vanished")
		}
		if err != nil {
			// wrap: the database dropping out here is a 503 like anywhere
			// else, and the customer's retry with the same key finds it.
			return nil, false, wrap("PlaceOrder", fmt.Errorf("load duplicate: %w", err))
		}
		return o, true, nil
	}
	if err != nil {
		return nil, false, wrap("PlaceOrder", err)
	}
	for _, id := range soldOut {
		d.publish(ctx, app.ProductEvent{Kind: app.ProductSoldOut, VendorID: req.VendorID, ProductID: id})
	}
	o := om.toApp()
	o.Items = items
	return o, false, nil
}

// takeStock decrements stock for each line (lines in ascending (product
// id, variant id) order) and returns what each decrement reported, by the
// line's Field. A variant's line decrements the variant's row
// (takeVariant); a plain line the product's, which refuses a product sold
// by variants. When a line cannot be
// filled it keeps checking the remaining lines without writing, so the
// customer learns about every problem at once, and returns an
// *app.OrderRefusal; the caller's rollback undoes the decrements already
// made.
//
// A line with a shown price (the page's price_<id>) is decremented only at
// that price; when the price is another, the line is refused with
// RefusedPriceChanged and the order stores nothing.
func takeStock(ctx context.Context, tx bun.IDB, vendorID int64, lines []app.OrderLine, shown, shownVariant map[int64]app.Paise, t time.Time) (map[string]takenStock, error) {
	taken := make(map[string]takenStock, len(lines))
	var refused []app.LineRefusal
	why := func(l app.OrderLine) (app.LineRefusal, bool, error) {
		if l.VariantID != 0 {
			return whyNotVariant(ctx, tx, vendorID, l, shownVariant)
		}
		return whyNotOrderable(ctx, tx, vendorID, l, shown)
	}
	for _, l := range lines {
		if len(refused) > 0 || l.VariantID != 0 && l.ProductID == 0 {
			r, bad, err := why(l)
			if err != nil {
				return nil, err
			}
			if bad {
				refused = append(refused, r)
			}
			continue
		}
		// A decrement can find nothing while a later read finds enough:
		// on PostgreSQL each statement sees the data committed when it
		// started, and a restock may commit in between. One retry covers
		// that; the second miss is reported.
		for attempt := 0; ; attempt++ {
			var s takenStock
			var err error
			if l.VariantID != 0 {
				var ok bool
				s, ok, err = takeVariant(ctx, tx, vendorID, l, shownVariant)
				if err == nil && !ok {
					err = sql.ErrNoRows
				}
			} else {
				// A product sold by its variants is not sold as itself.
				q := `UPDATE products SET stock = stock - ?, updated_at = ?
WHERE id = ? AND vendor_id = ? AND stock >= ? AND available = TRUE AND archived = FALSE
AND NOT EXISTS (SELECT 1 FROM product_variants v WHERE v.product_id = products.id AND v.archived = FALSE)`
				args := []any{l.Qty, t, l.ProductID, vendorID, l.Qty}
				if p, ok := shown[l.ProductID]; ok {
					q += " AND price = ?"
					args = append(args, int64(p))
				}
				err = tx.NewRaw(q+"\nRETURNING name, mrp, price, stock, low_stock_at", args...).Scan(ctx, &s.Name, &s.MRP, &s.Price, &s.Stock, &s.LowStockAt)
			}
			if err == nil {
				taken[l.Field()] = s
				break
			}
			if !errors.Is(err, sql.ErrNoRows) {
				return nil, err
			}
			r, bad, err := why(l)
			if err != nil {
				return nil, err
			}
			if !bad && attempt == 1 {
				r, bad = app.LineRefusal{ProductID: l.ProductID, VariantID: l.VariantID, Reason: app.RefusedChanged}, true
			}
			if bad {
				refused = append(refused, r)
				break
			}
		}
	}
	if len(refused) > 0 {
		return nil, app.RefuseOrder("Some items could not be ordered.", refused)
	}
	return taken, nil
}

// whyNotOrderable says why a line cannot be filled now (at its shown
// price, if any); bad is false when it can.
func whyNotOrderable(ctx context.Context, db bun.IDB, vendorID int64, l app.OrderLine, shown map[int64]app.Paise) (r app.LineRefusal, bad bool, err error) {
	var m productModel
	err = db.NewSelect().Model(&m).
		Column("name", "price", "stock", "available", "archived").
		Where("id = ?", l.ProductID).
		Where("vendor_id = ?", vendorID).
		Scan(ctx)
	r = app.LineRefusal{ProductID: l.ProductID}
	switch {
	case errors.Is(err, sql.ErrNoRows):
		r.Reason = app.RefusedNotSold
	case err != nil:
		return app.LineRefusal{}, false, err
	case m.Archived:
		r.Reason = app.RefusedNotSold
	case !m.Available:
		r.Reason = app.RefusedUnavailable
	case hasVariants(ctx, db, l.ProductID, &err):
		r.Reason = app.RefusedChooseVariant
	case err != nil:
		return app.LineRefusal{}, false, err
	case m.Stock <= 0:
		r.Reason = app.RefusedSoldOut
	case m.Stock < l.Qty:
		r.Reason, r.Left = app.RefusedNotEnough, m.Stock
	case hasShown(shown, l.ProductID) && shown[l.ProductID] != app.Paise(m.Price):
		r.Reason, r.Name, r.Price, r.Was = app.RefusedPriceChanged, m.Name, app.Paise(m.Price), shown[l.ProductID]
	default:
		return app.LineRefusal{}, false, nil
	}
	return r, true, nil
}

// hasVariants reports whether the product is sold by variants; a failed
// read sets *errp and reports false.
func hasVariants(ctx context.Context, db bun.IDB, productID int64, errp *error) bool {
	ok, err := db.NewSelect().Model((*variantModel)(nil)).
		Where("product_id = ?", productID).Where("archived = FALSE").Exists(ctx)
	if err != nil {
		*errp = err
	}
	return ok
}

func hasShown(shown map[int64]app.Paise, id int64) bool {
	_, ok := shown[id]
	return ok
}

// joinRefusals is nil for no refusals, the one refusal as it is (a
// *app.CouponError stays one), or one EINVALID carrying every field's
// message.
func joinRefusals(refusals []error) error {
	switch len(refusals) {
	case 0:
		return nil
	case 1:
		return refusals[0]
	}
	fields := map[string]string{}
	for _, err := range refusals {
		for k, msg := range app.ErrorFields(err) {
			fields[k] = msg
		}
	}
	return app.Invalid("Please check the highlighted fields.", fields)
}

// repeatOf finds the newest order of the shop, other than the one being
// placed (self), with the same phone and exactly the same lines, placed
// within app.RepeatWindow and not cancelled; nil when there is none.
func repeatOf(ctx context.Context, tx bun.IDB, req app.PlaceOrder, self int64, t time.Time) (*app.Order, error) {
	var ms []orderModel
	err := tx.NewSelect().Model(&ms).
		Where("vendor_id = ?", req.VendorID).
		Where("created_at >= ?", t.Add(-app.RepeatWindow)).
		Where("phone = ?", req.Customer.Phone).
		Where("status <> ?", string(app.StatusCancelled)).
		Where("id <> ?", self).
		OrderExpr("id DESC").
		Limit(5).
		Scan(ctx)
	if err != nil {
		return nil, err
	}
	want := make(map[string]int64, len(req.Lines))
	for _, l := range req.Lines {
		want[l.Field()] = l.Qty
	}
	for i := range ms {
		items, err := orderItems(ctx, tx, ms[i].ID)
		if err != nil {
			return nil, err
		}
		same := len(items) == len(want)
		for _, it := range items {
			same = same && want[app.OrderLine{ProductID: it.ProductID, VariantID: it.VariantID}.Field()] == it.Qty
		}
		if same {
			o := ms[i].toApp()
			o.Items = items
			return o, nil
		}
	}
	return nil, nil
}

// lowStockTx writes a product.low_stock notice for each line whose
// decrement took the product's stock from above its threshold to at or
// below it. Before and after are this transaction's own decrement (each
// product is on one line, and the row stays locked until commit), so of
// concurrent orders exactly one crosses; an order after it starts at or
// below and sends nothing, until a restock lifts the stock above again.
//
// A variant's line sends none: the threshold is the product's, and per
// variant alerts are left for later (the console's list shows each
// variant's stock).
func (d *DB) lowStockTx(ctx context.Context, tx bun.Tx, vendorID int64, lines []app.OrderLine, taken map[string]takenStock, t time.Time) error {
	for _, l := range lines {
		s := taken[l.Field()]
		if s.Variant || !app.LowStockCrossed(s.LowStockAt, s.Stock+l.Qty, s.Stock) {
			continue
		}
		p, err := productByID(ctx, tx, vendorID, l.ProductID, false)
		if err != nil {
			return err
		}
		if err := d.noticeTx(ctx, tx, app.Notice{Kind: app.NoticeProductLowStock, VendorID: vendorID, At: t, Product: p}); err != nil {
			return err
		}
	}
	return nil
}
