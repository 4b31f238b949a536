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

// errOrderNotFound is a function, not a shared value, so that no caller
// can change the error every other caller receives.
func errOrderNotFound() error { return app.Errorf(app.ENOTFOUND, "Order not found.") }

// errDuplicateOrder unwinds PlaceOrder's transaction when the order key is
// already taken; it never leaves this file.
var errDuplicateOrder = errors.New("duplicate order key")

// newToken returns 26 base32 characters (130 random bits), lower-cased so
// that it reads well in a URL: the customer's only handle on their order,
// so it must not be guessable.
func newToken() string { return strings.ToLower(rand.Text()) }

// checkOrderLines validates the shape of an order and returns its lines in
// ascending product id order: every order locks product rows in the same
// order, so two orders that share products wait for each other instead of
// deadlocking.
//
// A product listed twice is refused rather than merged: the order form
// has one quantity field per product, so a repeat is a broken or forged
// request, and merging would hide it.
func checkOrderLines(lines []app.OrderLine) ([]app.OrderLine, error) {
	switch {
	case len(lines) == 0:
		return nil, app.Invalid("Your order is empty.",
			map[string]string{"lines": "Choose at least one product."})
	case len(lines) > app.MaxOrderLines:
		msg := fmt.Sprintf("An order can have at most %d different products.", app.MaxOrderLines)
		return nil, app.Invalid(msg, map[string]string{"lines": msg})
	}
	fields := map[string]string{}
	seen := make(map[int64]bool, len(lines))
	for _, l := range lines {
		key := qtyField(l.ProductID)
		switch {
		case l.ProductID <= 0:
			fields["lines"] = "The order names a product that does not exist."
		case seen[l.ProductID]:
			fields[key] = "This product is listed twice."
		case l.Qty < 1:
			fields[key] = "Order at least 1."
		case l.Qty > app.MaxQty:
			fields[key] = fmt.Sprintf("At most %d per order.", app.MaxQty)
		}
		seen[l.ProductID] = true
	}
	if len(fields) > 0 {
		return nil, app.Invalid("Please check the quantities.", fields)
	}
	sorted := slices.Clone(lines)
	slices.SortFunc(sorted, func(a, b app.OrderLine) int { return cmp.Compare(a.ProductID, b.ProductID) })
	return sorted, nil
}

func qtyField(productID int64) string { return fmt.Sprintf("qty_%d", productID) }

// takenStock is what a successful stock decrement reports back: the
// product as it was sold, and what is left.
type takenStock struct {
	Name  string
	MRP   int64
	Price int64
	Stock int64
}

// PlaceOrder takes a customer's order in one transaction. The order row is
// inserted first so that a repeated order key (a double-submitted form)
// fails before any stock moves; on PostgreSQL a racing duplicate blocks on
// the unique index until the first commits, then fails, and is answered
// with the committed order. Each line then decrements stock only if enough
// is left, so concurrent orders can never oversell; if any line cannot be
// filled, nothing is kept.
func (d *DB) PlaceOrder(ctx context.Context, req app.PlaceOrder) (*app.Order, bool, error) {
	lines, err := checkOrderLines(req.Lines)
	if err != nil {
		return nil, false, err
	}
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
		VendorID:     req.VendorID,
		Token:        newToken(),
		OrderKey:     key,
		CustomerName: req.Customer.Name,
		Phone:        req.Customer.Phone,
		Address:      req.Customer.Address,
		Status:       string(app.StatusPending),
		CreatedAt:    t,
		UpdatedAt:    t,
	}
	var (
		items   []app.OrderItem
		soldOut []int64
	)
	err = d.db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		_, err := tx.NewInsert().Model(om).Returning("id").Exec(ctx)
		switch {
		case isUniqueViolation(err, uniqueOrderKey):
			return errDuplicateOrder
		case isForeignKeyViolation(err):
			return app.Errorf(app.ENOTFOUND, "Store not found.")
		case err != nil:
			return err
		}
		taken, err := takeStock(ctx, tx, req.VendorID, lines, t)
		if err != nil {
			return err
		}
		// Lines keep the customer's order; stock was taken in id order.
		rows := make([]orderItemModel, len(req.Lines))
		for i, l := range req.Lines {
			s := taken[l.ProductID]
			rows[i] = orderItemModel{OrderID: om.ID, ProductID: l.ProductID,
				Name: s.Name, MRP: s.MRP, Price: s.Price, Qty: l.Qty}
			om.Total += s.Price * l.Qty
		}
		for _, l := range lines {
			if taken[l.ProductID].Stock == 0 {
				soldOut = append(soldOut, l.ProductID)
			}
		}
		// RETURNING order is unspecified for multi-row inserts, so ids
		// come from reading the lines back, not from the insert.
		if _, err := tx.NewInsert().Model(&rows).Returning("NULL").Exec(ctx); err != nil {
			return err
		}
		if _, err := tx.NewUpdate().Model((*orderModel)(nil)).
			Set("total = ?", om.Total).
			Where("id = ?", om.ID).
			Exec(ctx); err != nil {
			return err
		}
		items, err = orderItems(ctx, tx, om.ID)
		return err
	})
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

// takeStock decrements stock for each line (lines in ascending product id
// order) and returns what each decrement reported. When a line cannot be
// filled it keeps checking the remaining lines without writing, so the
// customer learns about every problem at once, and returns EINVALID; the
// caller's rollback undoes the decrements already made.
func takeStock(ctx context.Context, tx bun.IDB, vendorID int64, lines []app.OrderLine, t time.Time) (map[int64]takenStock, error) {
	taken := make(map[int64]takenStock, len(lines))
	refused := map[string]string{}
	for _, l := range lines {
		if len(refused) > 0 {
			msg, err := whyNotOrderable(ctx, tx, vendorID, l)
			if err != nil {
				return nil, err
			}
			if msg != "" {
				refused[qtyField(l.ProductID)] = msg
			}
			continue
		}
		// A decrement can find nothing while a later read finds enough:
		// on PostgreSQL each statement sees the data committed when it
		// started, and a restock may commit in between. One retry covers
		// that; the second miss is reported.
		var msg string
		for attempt := 0; ; attempt++ {
			var s takenStock
			err := tx.NewRaw(`UPDATE products SET stock = stock - ?, updated_at = ?
WHERE id = ? AND vendor_id = ? AND stock >= ? AND available = TRUE AND archived = FALSE
RETURNING name, mrp, price, stock`,
				l.Qty, t, l.ProductID, vendorID, l.Qty).Scan(ctx, &s.Name, &s.MRP, &s.Price, &s.Stock)
			if err == nil {
				taken[l.ProductID] = s
				break
			}
			if !errors.Is(err, sql.ErrNoRows) {
				return nil, err
			}
			if msg, err = whyNotOrderable(ctx, tx, vendorID, l); err != nil {
				return nil, err
			}
			if msg != "" {
				break
			}
			if attempt == 1 {
				msg = "This product changed just now. Please try again."
				break
			}
		}
		if msg != "" {
			refused[qtyField(l.ProductID)] = msg
		}
	}
	if len(refused) > 0 {
		return nil, app.Invalid("Some items could not be ordered.", refused)
	}
	return taken, nil
}

// whyNotOrderable explains, in the customer's words, why a line cannot be
// filled now, or returns "" when it can.
func whyNotOrderable(ctx context.Context, db bun.IDB, vendorID int64, l app.OrderLine) (string, error) {
	var m productModel
	err := db.NewSelect().Model(&m).
		Column("stock", "available", "archived").
		Where("id = ?", l.ProductID).
		Where("vendor_id = ?", vendorID).
		Scan(ctx)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return "This product is no longer sold.", nil
	case err != nil:
		return "", err
	case m.Archived:
		return "This product is no longer sold.", nil
	case !m.Available:
		return "This product is not available right now.", nil
	case m.Stock <= 0:
		return "Sold out.", nil
	case m.Stock < l.Qty:
		return fmt.Sprintf("Only %d left.", m.Stock), nil
	}
	return "", nil
}

// OrderByToken returns the order, with its lines, whose token the
// customer holds.
func (d *DB) OrderByToken(ctx context.Context, vendorID int64, token string) (*app.Order, error) {
	o, err := findOrder(ctx, d.db, vendorID, "token = ?", token)
	return o, wrap("OrderByToken", err)
}

// Order returns one of the vendor's orders with its lines.
func (d *DB) Order(ctx context.Context, vendorID, id int64) (*app.Order, error) {
	o, err := findOrder(ctx, d.db, vendorID, "id = ?", id)
	return o, wrap("Order", err)
}

func findOrder(ctx context.Context, db bun.IDB, vendorID int64, where string, arg any) (*app.Order, error) {
	var m orderModel
	err := db.NewSelect().Model(&m).
		Where("vendor_id = ?", vendorID).
		Where(where, arg).
		Limit(1).
		Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errOrderNotFound()
	} else if err != nil {
		return nil, err
	}
	o := m.toApp()
	if o.Items, err = orderItems(ctx, db, m.ID); err != nil {
		return nil, err
	}
	return o, nil
}

func orderItems(ctx context.Context, db bun.IDB, orderID int64) ([]app.OrderItem, error) {
	var ms []orderItemModel
	if err := db.NewSelect().Model(&ms).Where("order_id = ?", orderID).OrderExpr("id ASC").Scan(ctx); err != nil {
		return nil, err
	}
	items := make([]app.OrderItem, len(ms))
	for i := range ms {
		items[i] = ms[i].toApp()
	}
	return items, nil
}

// Orders returns a page of the vendor's orders, newest first, without
// their lines, and how many match in all.
func (d *DB) Orders(ctx context.Context, f app.OrderFilter) ([]*app.Order, int, error) {
	if f.Status != "" && !f.Status.Valid() {
		return nil, 0, app.Invalid("Unknown order status.", map[string]string{"status": "Unknown order status."})
	}
	filter := func(q *bun.SelectQuery) *bun.SelectQuery {
		q = q.Where("vendor_id = ?", f.VendorID)
		if f.Status != "" {
			q = q.Where("status = ?", string(f.Status))
		}
		return q
	}
	total, err := d.db.NewSelect().Model((*orderModel)(nil)).Apply(filter).Count(ctx)
	if err != nil {
		return nil, 0, wrap("Orders", err)
	}
	var ms []orderModel
	err = d.db.NewSelect().Model(&ms).Apply(filter, page(f.Offset, f.Limit)).OrderExpr("id DESC").Scan(ctx)
	if err != nil {
		return nil, 0, wrap("Orders", err)
	}
	out := make([]*app.Order, len(ms))
	for i := range ms {
		out[i] = ms[i].toApp()
	}
	return out, int(total), nil
}

// SetOrderStatus moves an order one step along the workflow. The order row
// is locked and the update is conditioned on the status just read, so of
// two vendors' clicks racing on the same order exactly one wins; the other
// sees the new status and is told why its move no longer applies.
// Cancelling returns every line's units to stock, archived products
// included, so the numbers always add up.
func (d *DB) SetOrderStatus(ctx context.Context, vendorID, id int64, status app.OrderStatus) (*app.Order, error) {
	if !status.Valid() {
		return nil, app.Invalid("Unknown order status.", map[string]string{"status": "Unknown order status."})
	}
	var (
		o         *app.Order
		restocked []int64
	)
	err := d.db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		var m orderModel
		err := tx.NewSelect().Model(&m).
			Where("id = ?", id).
			Where("vendor_id = ?", vendorID).
			Apply(forUpdate(tx, true)).
			Scan(ctx)
		if errors.Is(err, sql.ErrNoRows) {
			return errOrderNotFound()
		} else if err != nil {
			return err
		}
		from := app.OrderStatus(m.Status)
		if !from.CanMoveTo(status) {
			msg := statusMoveRefusal(from, status)
			return app.Invalid(msg, map[string]string{"status": msg})
		}
		t := now()
		res, err := tx.NewUpdate().Model((*orderModel)(nil)).
			Set("status = ?", string(status)).
			Set("updated_at = ?", t).
			Where("id = ?", id).
			Where("vendor_id = ?", vendorID).
			Where("status = ?", string(from)).
			Exec(ctx)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n != 1 {
			return app.Errorf(app.ECONFLICT, "This order changed while you were looking at it. Reload it and try again.")
		}
		m.Status, m.UpdatedAt = string(status), t
		o = m.toApp()
		if o.Items, err = orderItems(ctx, tx, id); err != nil {
			return err
		}
		if status == app.StatusCancelled {
			restocked, err = returnStock(ctx, tx, vendorID, o.Items, t)
		}
		return err
	})
	if err != nil {
		return nil, wrap("SetOrderStatus", err)
	}
	for _, pid := range restocked {
		d.publish(ctx, app.ProductEvent{Kind: app.ProductRestocked, VendorID: vendorID, ProductID: pid})
	}
	return o, nil
}

// returnStock adds the items' units back, in ascending product id order
// like PlaceOrder, and returns the products that were sold out before.
func returnStock(ctx context.Context, tx bun.IDB, vendorID int64, items []app.OrderItem, t time.Time) ([]int64, error) {
	qty := map[int64]int64{}
	for _, it := range items {
		qty[it.ProductID] += it.Qty
	}
	ids := make([]int64, 0, len(qty))
	for id := range qty {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	var restocked []int64
	for _, id := range ids {
		var stock int64
		err := tx.NewRaw(`UPDATE products SET stock = stock + ?, updated_at = ?
WHERE id = ? AND vendor_id = ? RETURNING stock`,
			qty[id], t, id, vendorID).Scan(ctx, &stock)
		if errors.Is(err, sql.ErrNoRows) {
			// Order lines keep products from being deleted, so this is
			// a broken invariant, not a user error.
			return nil, fmt.Errorf("restock product %d: missing", id)
		} else if err != nil {
			return nil, err
		}
		if stock == qty[id] {
			restocked = append(restocked, id)
		}
	}
	return restocked, nil
}

// statusMoveRefusal explains why the workflow forbids a move.
func statusMoveRefusal(from, to app.OrderStatus) string {
	switch {
	case from == to:
		return fmt.Sprintf("This order is already %s.", from)
	case from == app.StatusCancelled:
		return "A cancelled order cannot be changed."
	case to == app.StatusCancelled:
		return fmt.Sprintf("An order that is %s cannot be cancelled.", from)
	}
	return fmt.Sprintf("An order that is %s cannot be marked %s.", from, to)
}

// exportPageSize is how many orders EachOrder reads per query by default.
const exportPageSize = 200

// EachOrder calls fn with every order f selects, newest first, each with
// its lines. It pages by id (keyset: "id < the last one seen"), one query
// for a page of orders and one for all their lines, and holds no
// connection while fn runs, so a slow reader of an export ties up nothing.
// The pages are not one snapshot: an order placed during the export is
// not in it (its id is above the first page), and one whose status
// changes meanwhile may be missed or included by a status filter, but no
// order is ever given twice.
func (d *DB) EachOrder(ctx context.Context, f app.OrderFilter, fn func(*app.Order) error) error {
	if f.Status != "" && !f.Status.Valid() {
		return app.Invalid("Unknown order status.", map[string]string{"status": "Unknown order status."})
	}
	limit := f.Limit
	if limit <= 0 {
		limit = exportPageSize
	}
	var before int64
	for {
		var ms []orderModel
		q := d.db.NewSelect().Model(&ms).Where("vendor_id = ?", f.VendorID)
		if f.Status != "" {
			q = q.Where("status = ?", string(f.Status))
		}
		if before > 0 {
			q = q.Where("id < ?", before)
		}
		if err := q.OrderExpr("id DESC").Limit(int64(limit)).Scan(ctx); err != nil {
			return wrap("EachOrder", err)
		}
		if len(ms) == 0 {
			return nil
		}
		ids := make([]int64, len(ms))
		for i := range ms {
			ids[i] = ms[i].ID
		}
		var items []orderItemModel
		if err := d.db.NewSelect().Model(&items).
			Where("order_id IN (?)", bun.List(ids)).
			OrderExpr("order_id ASC, id ASC").
			Scan(ctx); err != nil {
			return wrap("EachOrder", err)
		}
		byOrder := make(map[int64][]app.OrderItem, len(ms))
		for i := range items {
			byOrder[items[i].OrderID] = append(byOrder[items[i].OrderID], items[i].toApp())
		}
		for i := range ms {
			o := ms[i].toApp()
			o.Items = byOrder[o.ID]
			if err := fn(o); err != nil {
				return err
			}
		}
		if len(ms) < limit {
			return nil
		}
		before = ms[len(ms)-1].ID
	}
}

// OrderStats counts the vendor's orders created in [from, to) and sums
// the totals of those not cancelled, in one aggregate query. Times are
// compared in UTC, as they are stored.
func (d *DB) OrderStats(ctx context.Context, vendorID int64, from, to time.Time) (app.OrderStats, error) {
	var s struct {
		Orders    int64
		Cancelled int64
		Revenue   int64
	}
	err := d.db.NewRaw(`SELECT COUNT(*),
	COALESCE(SUM(CASE WHEN status = ? THEN 1 ELSE 0 END), 0),
	COALESCE(SUM(CASE WHEN status = ? THEN 0 ELSE total END), 0)
FROM orders WHERE vendor_id = ? AND created_at >= ? AND created_at < ?`,
		string(app.StatusCancelled), string(app.StatusCancelled), vendorID, from.UTC(), to.UTC()).
		Scan(ctx, &s.Orders, &s.Cancelled, &s.Revenue)
	if err != nil {
		return app.OrderStats{}, wrap("OrderStats", err)
	}
	return app.OrderStats{Orders: int(s.Orders), Cancelled: int(s.Cancelled), Revenue: app.Paise(s.Revenue)}, nil
}
