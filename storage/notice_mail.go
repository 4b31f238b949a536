package storage

import (
	"context"
	"crypto/rand"
	"fmt"
	"strconv"
	"strings"

	"dukaan/app"
	"dukaan/storage/jobs"

	"github.com/uptrace/bun"
)

// mailNoticeTx writes the email jobs a notice owes: the new-order mail
// (when the shop's order emails are on) and the low-stock alert, each to
// the vendor's login email. The worker renders the message when it sends,
// from the ids in the job.
func (d *DB) mailNoticeTx(ctx context.Context, tx bun.Tx, n app.Notice) error {
	var a jobs.MailArgs
	switch {
	case n.Kind == app.NoticeOrderCreated && n.Order != nil:
		a = jobs.MailArgs{Template: jobs.MailOrderCreated, OrderID: n.Order.ID}
	case n.Kind == app.NoticeProductLowStock && n.Product != nil:
		a = jobs.MailArgs{Template: jobs.MailLowStock, ProductID: n.Product.ID}
	default:
		return nil
	}
	var email string
	var orderEmails bool
	if err := tx.NewSelect().Model((*vendorModel)(nil)).Column("email", "order_emails").
		Where("id = ?", n.VendorID).Scan(ctx, &email, &orderEmails); err != nil {
		return fmt.Errorf("mail notice: vendor: %w", err)
	}
	if a.Template == jobs.MailOrderCreated && !orderEmails {
		return nil
	}
	a.VendorID, a.To = n.VendorID, email
	id := a.OrderID
	if a.Template == jobs.MailLowStock {
		id = a.ProductID
	}
	a.MessageID = newMessageID(a.Template, id)
	return d.jobs.InsertMailTx(ctx, tx.Tx, a)
}

// newMessageID is a Message-ID (without its angle brackets) fixed when the
// job is written: template and id say what it is, the random part makes
// the second low-stock alert of a product (after a restock) a message of
// its own.
func newMessageID(template string, id int64) string {
	return strings.ReplaceAll(template, "_", "-") + "." + strconv.FormatInt(id, 10) + "." +
		strings.ToLower(rand.Text()[:16]) + "@dukaan"
}
