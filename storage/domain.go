package storage

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"time"

	"github.com/uptrace/bun"

	"dukaan/app"
)

var _ app.DomainService = (*DB)(nil)

var uniqueDomainName = constraint{"domains_name_key", "domains.name"}

type domainModel struct {
	bun.BaseModel `bun:"table:domains,alias:dm"`

	ID          int64     `bun:"id,pk,autoincrement"`
	VendorID    int64     `bun:"vendor_id"`
	Name        string    `bun:"name"`
	Token       string    `bun:"token"`
	Verified    bool      `bun:"verified"`
	Primary     bool      `bun:"is_primary"`
	CheckedAt   time.Time `bun:"checked_at,nullzero"`
	CheckResult string    `bun:"check_result"`
	CreatedAt   time.Time `bun:"created_at"`
}

func (m *domainModel) toApp() *app.Domain {
	d := &app.Domain{ID: m.ID, VendorID: m.VendorID, Name: m.Name, Token: m.Token, Verified: m.Verified,
		Primary: m.Primary, CheckResult: m.CheckResult, CreatedAt: m.CreatedAt.UTC()}
	if !m.CheckedAt.IsZero() {
		d.CheckedAt = m.CheckedAt.UTC()
	}
	return d
}

// newDomainToken is the TXT record's value: 16 random bytes, hex.
func newDomainToken() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b) // crypto/rand never fails (Go 1.24+)
	return "dukaan-verify=" + hex.EncodeToString(b)
}

// Domains lists a shop's domains, oldest first.
func (d *DB) Domains(ctx context.Context, vendorID int64) ([]*app.Domain, error) {
	var ms []domainModel
	if err := d.db.NewSelect().Model(&ms).Where("vendor_id = ?", vendorID).Order("id").Scan(ctx); err != nil {
		return nil, wrap("Domains", err)
	}
	out := make([]*app.Domain, len(ms))
	for i := range ms {
		out[i] = ms[i].toApp()
	}
	return out, nil
}

// AddDomain adds an unverified domain. Adding purges nothing (an
// unverified name serves no page), but it takes the shop's row lock so
// the limit holds under concurrent adds.
func (d *DB) AddDomain(ctx context.Context, vendorID int64, name string) (*app.Domain, error) {
	m := &domainModel{VendorID: vendorID, Name: name, Token: newDomainToken(), CreatedAt: now()}
	err := d.db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		if err := lockCategories(ctx, tx, vendorID); err != nil {
			return err
		}
		n, err := tx.NewSelect().Model((*domainModel)(nil)).Where("vendor_id = ?", vendorID).Count(ctx)
		if err != nil {
			return err
		}
		if n >= app.MaxDomainsPerShop {
			return app.Invalid("A shop can have at most 5 domains. Remove one first.", map[string]string{"name": "A shop can have at most 5 domains."})
		}
		if _, err := tx.NewInsert().Model(m).Exec(ctx); err != nil {
			if isUniqueViolation(err, uniqueDomainName) {
				return &app.Error{Code: app.ECONFLICT, Message: "That domain is already connected to a shop.",
					Fields: map[string]string{"name": "That domain is already connected to a shop."}}
			}
			return err
		}
		return nil
	})
	if err != nil {
		return nil, wrap("AddDomain", err)
	}
	return m.toApp(), nil
}

func domainOf(ctx context.Context, db bun.IDB, vendorID, id int64) (*domainModel, error) {
	m := new(domainModel)
	err := db.NewSelect().Model(m).Where("vendor_id = ?", vendorID).Where("id = ?", id).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, app.Errorf(app.ENOTFOUND, "Domain not found.")
	}
	return m, err
}

// RemoveDomain deletes a domain; a verified one purges the shop's pages
// (they were served under its name, and its links may have used it).
func (d *DB) RemoveDomain(ctx context.Context, vendorID, id int64) (*app.Domain, error) {
	ctx = owing(ctx)
	var out *app.Domain
	ev := app.ProductEvent{Kind: app.DomainChanged, VendorID: vendorID}
	err := d.db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		m, err := domainOf(ctx, tx, vendorID, id)
		if err != nil {
			return err
		}
		if _, err := tx.NewDelete().Model(m).WherePK().Exec(ctx); err != nil {
			return err
		}
		out = m.toApp()
		return d.owe(ctx, tx, ev)
	})
	if err != nil {
		return nil, wrap("RemoveDomain", err)
	}
	d.publish(ctx, ev)
	return out, nil
}

// maxCheckResult bounds the stored explanation of a failed check.
const maxCheckResult = 1000

// RecordDomainCheck stores a check's outcome. A change of verified (or a
// primary lost) is store-wide: pages start or stop answering under the
// name and canonical URLs move.
func (d *DB) RecordDomainCheck(ctx context.Context, vendorID, id int64, check app.DomainCheck) (*app.Domain, error) {
	ctx = owing(ctx)
	var out *app.Domain
	changed := false
	ev := app.ProductEvent{Kind: app.DomainChanged, VendorID: vendorID}
	err := d.db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		m, err := domainOf(ctx, tx, vendorID, id)
		if err != nil {
			return err
		}
		result := ""
		for i, p := range check.Problems {
			if i > 0 {
				result += " "
			}
			result += p
		}
		if len(result) > maxCheckResult {
			result = result[:maxCheckResult]
		}
		ok := check.OK()
		changed = m.Verified != ok
		m.Verified, m.CheckedAt, m.CheckResult = ok, now(), result
		if !ok {
			m.Primary = false
		}
		if _, err := tx.NewUpdate().Model(m).Column("verified", "is_primary", "checked_at", "check_result").WherePK().Exec(ctx); err != nil {
			return err
		}
		out = m.toApp()
		if changed {
			return d.owe(ctx, tx, ev)
		}
		return nil
	})
	if err != nil {
		return nil, wrap("RecordDomainCheck", err)
	}
	if changed {
		d.publish(ctx, ev)
	}
	return out, nil
}

// SetPrimaryDomain makes a verified domain primary (id 0: none).
func (d *DB) SetPrimaryDomain(ctx context.Context, vendorID, id int64) error {
	ctx = owing(ctx)
	ev := app.ProductEvent{Kind: app.DomainChanged, VendorID: vendorID}
	err := d.db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		if id != 0 {
			m, err := domainOf(ctx, tx, vendorID, id)
			if err != nil {
				return err
			}
			if !m.Verified {
				return app.Invalid("Verify the domain before making it primary.", nil)
			}
		}
		// Clear first: the partial unique index allows one primary a shop.
		if _, err := tx.NewUpdate().Model((*domainModel)(nil)).Set("is_primary = ?", false).
			Where("vendor_id = ?", vendorID).Where("is_primary").Exec(ctx); err != nil {
			return err
		}
		if id != 0 {
			if _, err := tx.NewUpdate().Model((*domainModel)(nil)).Set("is_primary = ?", true).
				Where("vendor_id = ?", vendorID).Where("id = ?", id).Exec(ctx); err != nil {
				return err
			}
		}
		return d.owe(ctx, tx, ev)
	})
	if err != nil {
		return wrap("SetPrimaryDomain", err)
	}
	d.publish(ctx, ev)
	return nil
}

// VerifiedDomain looks a host up by the unique index on name.
func (d *DB) VerifiedDomain(ctx context.Context, name string) (*app.Domain, string, error) {
	var row struct {
		domainModel `bun:",extend"`
		Slug        string `bun:"slug"`
	}
	err := d.db.NewSelect().Model(&row).ColumnExpr("dm.*").ColumnExpr("v.slug").
		Join("JOIN vendors AS v ON v.id = dm.vendor_id").
		Where("dm.name = ?", name).Where("dm.verified").Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, "", app.Errorf(app.ENOTFOUND, "There is no shop at this address.")
	}
	if err != nil {
		return nil, "", wrap("VerifiedDomain", err)
	}
	return row.domainModel.toApp(), row.Slug, nil
}

// VerifiedDomains lists every verified domain, for the daily re-check.
func (d *DB) VerifiedDomains(ctx context.Context) ([]*app.Domain, error) {
	var ms []domainModel
	if err := d.db.NewSelect().Model(&ms).Where("verified").Order("id").Scan(ctx); err != nil {
		return nil, wrap("VerifiedDomains", err)
	}
	out := make([]*app.Domain, len(ms))
	for i := range ms {
		out[i] = ms[i].toApp()
	}
	return out, nil
}

// ShopDomains returns a shop's verified names, primary first.
func (d *DB) ShopDomains(ctx context.Context, vendorID int64) ([]string, error) {
	var names []string
	err := d.db.NewSelect().Model((*domainModel)(nil)).Column("name").
		Where("vendor_id = ?", vendorID).Where("verified").
		OrderExpr("is_primary DESC, id").Scan(ctx, &names)
	if err != nil {
		return nil, wrap("ShopDomains", err)
	}
	return names, nil
}
