package web

import (
	"context"
	"encoding/csv"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"dukaan/app"
)

// The orders export: GET /orders.csv, one row per order (so the Total
// column sums to the takings, and a spreadsheet's row count is the number
// of orders), the lines of the order in one "Items" cell.

// exportFlushEvery is how many rows go out before the writer flushes, so
// a long export reaches the browser as it is read.
const exportFlushEvery = 100

// csvDateLayout is ISO 8601 date and time without the offset, which
// spreadsheets read as a date; the header names the zone.
const csvDateLayout = "2006-01-02 15:04:05"

// csvHeader names the columns of the export.
func csvHeader(loc *time.Location) []string {
	// Checkout's columns come after the first nine, which stay as they
	// were: merchants' spreadsheets and tools read them by position.
	return []string{"Order", "Placed (" + loc.String() + ")", "Status", "Customer", "Phone", "Address", "Items", "Units", "Total (INR)",
		"Number", "Subtotal (INR)", "Discount (INR)", "Coupon", "Delivery (INR)", "Payment", "Payment status"}
}

// csvRow is one order as a row of the export.
func csvRow(o *app.Order, loc *time.Location) []string {
	var items []string
	var units int64
	for _, it := range o.Items {
		items = append(items, strconv.FormatInt(it.Qty, 10)+" × "+it.DisplayName()+" @ "+plainRupees(it.Price))
		units += it.Qty
	}
	number := ""
	if o.Number > 0 {
		number = strconv.FormatInt(o.Number, 10)
	}
	return []string{
		strconv.FormatInt(o.ID, 10),
		o.CreatedAt.In(loc).Format(csvDateLayout),
		safeCell(string(o.Status)),
		safeCell(o.Customer.Name),
		safeCell(o.Customer.Phone),
		safeCell(o.Customer.Address),
		safeCell(strings.Join(items, "; ")),
		strconv.FormatInt(units, 10),
		plainRupees(o.Total),
		number,
		plainRupees(o.Totals.Subtotal),
		plainRupees(o.Totals.Discount),
		safeCell(o.CouponCode),
		plainRupees(o.Totals.Delivery),
		string(o.PaymentMode),
		string(o.PaymentStatus),
	}
}

// plainRupees is an amount as a spreadsheet reads a number: 1234.50, no
// ₹ and no grouping.
func plainRupees(p app.Paise) string {
	neg := ""
	if p < 0 {
		neg, p = "-", -p
	}
	return neg + strconv.FormatInt(int64(p/100), 10) + "." + strconv.FormatInt(int64(100+p%100), 10)[1:]
}

// safeCell defuses CSV (formula) injection: a spreadsheet runs a cell
// that starts with = + - @ (or a tab or carriage return before one) as a
// formula, so such text gets a leading apostrophe and stays text. A
// customer's name or address is anyone's input.
func safeCell(s string) string {
	if s == "" {
		return s
	}
	switch s[0] {
	case '=', '+', '-', '@', '\t', '\r':
		return "'" + s
	}
	return s
}

// exportOrders streams the vendor's orders, newest first, as CSV. The
// filters (status, payment, number search) are the orders page's. A
// database error before anything was sent is an ordinary error page; one
// after the first bytes aborts the connection, so the browser reports a
// failed download instead of saving a silently truncated file.
func (s *Server) exportOrders(c *gin.Context) error {
	lq, err := parseOrderListQuery(c)
	if err != nil {
		return err
	}
	v := currentVendor(c)
	loc := s.cfg.Location
	name := v.Slug + "-orders-" + time.Now().In(loc).Format("2006-01-02") + ".csv"
	out := &lazyHeaderWriter{w: c.Writer, header: func(h http.Header) {
		h.Set("Content-Type", "text/csv; charset=utf-8")
		h.Set("Content-Disposition", `attachment; filename="`+name+`"`)
		h.Set("Cache-Control", "private, no-store")
	}}
	cw := csv.NewWriter(out)
	if err := cw.Write(csvHeader(loc)); err != nil {
		return err
	}
	rows := 0
	each := s.cfg.Orders.EachOrder
	if lq.BadQ {
		// A search that names no order number finds no order.
		each = func(context.Context, app.OrderFilter, func(*app.Order) error) error { return nil }
	}
	err = each(c.Request.Context(), lq.filter(v.ID), func(o *app.Order) error {
		if err := cw.Write(csvRow(o, loc)); err != nil {
			return err
		}
		if rows++; rows%exportFlushEvery == 0 {
			cw.Flush()
			return cw.Error()
		}
		return nil
	})
	if err == nil {
		cw.Flush()
		err = cw.Error()
	}
	if err != nil && !out.started {
		return err
	}
	if err != nil {
		s.log.WarnContext(c.Request.Context(), "orders export broken off", "err", err, "rows", rows, "vendor", v.ID)
		panic(http.ErrAbortHandler)
	}
	return nil
}

// lazyHeaderWriter sets the download's headers and its 200 status only
// when the first bytes are written, so that an error before then can
// still be answered with an error page.
type lazyHeaderWriter struct {
	w       gin.ResponseWriter
	header  func(http.Header)
	started bool
}

func (l *lazyHeaderWriter) Write(b []byte) (int, error) {
	if !l.started {
		l.started = true
		l.header(l.w.Header())
		l.w.WriteHeader(http.StatusOK)
	}
	n, err := l.w.Write(b)
	if err == nil {
		l.w.Flush()
	}
	return n, err
}
