package storage

import (
	"context"
	"database/sql/driver"
	"errors"
	"io"
	"net"
	"strings"
	"syscall"

	"github.com/jackc/pgx/v5/pgconn"
)

// Constraint names, shared by both dialects' DDL. PostgreSQL reports the
// name of the violated constraint; SQLite reports "table.column" lists
// instead, so each constraint also records the columns SQLite would name.
type constraint struct {
	name    string // PostgreSQL constraint name
	columns string // SQLite's "UNIQUE constraint failed: <columns>"
}

var (
	uniqueVendorSlug  = constraint{"vendors_slug_key", "vendors.slug"}
	uniqueVendorEmail = constraint{"vendors_email_key", "vendors.email"}
	uniqueOrderKey    = constraint{"orders_vendor_order_key_key", "orders.vendor_id, orders.order_key"}
)

// SQLite extended result codes (sqlite3.h); the driver's error type is
// reached through an interface so the cgo driver would work as well.
const (
	sqliteConstraintForeignKey = 787
	sqliteConstraintUnique     = 2067
	sqliteConstraintPrimaryKey = 1555
)

// isUniqueViolation reports whether err is a unique-constraint violation of c.
func isUniqueViolation(err error, c constraint) bool {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return pgErr.Code == "23505" && pgErr.ConstraintName == c.name
	}
	if !isSQLiteCode(err, sqliteConstraintUnique, sqliteConstraintPrimaryKey, "UNIQUE constraint failed") {
		return false
	}
	// The message ends "…failed: orders.vendor_id, orders.order_key (2067)";
	// match the whole column list so vendors.slug never matches a longer
	// column name that merely starts with it.
	msg := err.Error()
	const marker = "constraint failed: "
	i := strings.LastIndex(msg, marker)
	if i < 0 {
		return false
	}
	cols := msg[i+len(marker):]
	if j := strings.LastIndex(cols, " ("); j >= 0 {
		cols = cols[:j]
	}
	return strings.TrimSpace(cols) == c.columns
}

// isForeignKeyViolation reports whether err is a foreign-key violation,
// which for a vendor-scoped insert means the vendor does not exist.
func isForeignKeyViolation(err error) bool {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return pgErr.Code == "23503"
	}
	return isSQLiteCode(err, sqliteConstraintForeignKey, 0, "FOREIGN KEY constraint failed")
}

func isSQLiteCode(err error, code1, code2 int, text string) bool {
	var coded interface{ Code() int }
	if errors.As(err, &coded) {
		c := coded.Code()
		return c == code1 || (code2 != 0 && c == code2)
	}
	return err != nil && strings.Contains(err.Error(), text)
}

// isUnavailable reports whether err means the database could not be
// reached or is shutting down, rather than that the query was wrong.
func isUnavailable(err error) bool {
	var netErr net.Error
	var pgErr *pgconn.PgError
	var connectErr *pgconn.ConnectError
	switch {
	case errors.As(err, &pgErr):
		// Checked first: pgx wraps a server's refusal to connect (57P03
		// while starting) in a ConnectError. Class 08: connection
		// exception; 57P01–57P03: shutting down or not yet accepting
		// connections; 53300: too many connections.
		code := pgErr.Code
		return strings.HasPrefix(code, "08") || code == "57P01" || code == "57P02" || code == "57P03" || code == "53300"
	case errors.Is(err, driver.ErrBadConn), errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF),
		errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE),
		errors.Is(err, context.DeadlineExceeded), errors.As(err, &netErr),
		// pgx: the dial failed, the connection was closed under the
		// query, or a timeout interrupted the round trip.
		errors.As(err, &connectErr), errors.Is(err, pgconn.ErrConnClosed), errors.Is(err, net.ErrClosed), pgconn.Timeout(err):
		return true
	}
	// SQLite: the database stayed locked past the busy timeout.
	return isSQLiteCode(err, 5, 6, "database is locked")
}
