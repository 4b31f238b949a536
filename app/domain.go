package app

import (
	"context"
	"time"
)

// Custom domains: a shop's own host names (shop.example.com, example.com),
// proven by DNS, then served beside <store>.<base> with TLS issued on
// demand. Names are stored in ASCII (punycode for IDNs, lower case, no
// trailing dot); tenant.(*Resolver).NormalizeDomain makes them from what a
// vendor types, since the IDNA tables are not in the standard library.

// MaxDomainsPerShop bounds a shop's custom domains.
const MaxDomainsPerShop = 5

// DomainTXTPrefix is the label of the verification record: the TXT record
// _dukaan.<name> must hold the domain's token.
const DomainTXTPrefix = "_dukaan."

// Domain is one custom domain of a shop.
type Domain struct {
	ID       int64
	VendorID int64
	Name     string // ASCII, e.g. "shop.example.com" or "xn--…"
	Token    string // the TXT record's value
	// Verified is set by a check that found every record; a later check
	// that fails clears it and says why in CheckResult (the domain is
	// flagged, not dropped: it comes back with the next good check).
	Verified bool
	// Primary: the shop's canonical host. Only a verified domain can be
	// primary; at most one per shop.
	Primary     bool
	CheckedAt   time.Time // zero: never checked
	CheckResult string    // "" when the last check passed (or none ran)
	CreatedAt   time.Time
}

// DomainCheck is the outcome of looking a domain's records up.
type DomainCheck struct {
	// Problems says, one sentence each, which record is missing or wrong;
	// empty when the domain points at us and the token matches.
	Problems []string
}

// OK reports whether every record was right.
func (c DomainCheck) OK() bool { return len(c.Problems) == 0 }

// DomainRecords are the DNS records a vendor is asked to create for a
// domain: A/AAAA to the platform's addresses, or (below an apex) a CNAME
// to its target, and the TXT record with the token.
type DomainRecords struct {
	A, AAAA []string
	CNAME   string // "" when a CNAME is not an option (an apex, or none set)
	TXTName string // _dukaan.<name>
	TXT     string
}

// DomainService keeps the shops' custom domains.
type DomainService interface {
	// Domains lists a shop's domains, oldest first.
	Domains(ctx context.Context, vendorID int64) ([]*Domain, error)
	// AddDomain adds an unverified domain with a fresh token. name must be
	// normalised already. ECONFLICT when any shop has it; EINVALID beyond
	// MaxDomainsPerShop.
	AddDomain(ctx context.Context, vendorID int64, name string) (*Domain, error)
	// RemoveDomain deletes one of the shop's domains (ENOTFOUND for
	// another shop's). Removing the primary makes the store subdomain
	// canonical again.
	RemoveDomain(ctx context.Context, vendorID, id int64) (*Domain, error)
	// RecordDomainCheck stores a check's outcome: verified or not, when,
	// and why not. A domain that fails stops being primary.
	RecordDomainCheck(ctx context.Context, vendorID, id int64, check DomainCheck) (*Domain, error)
	// SetPrimaryDomain makes a verified domain the shop's primary (id 0:
	// none). EINVALID for an unverified one.
	SetPrimaryDomain(ctx context.Context, vendorID, id int64) error
	// VerifiedDomain returns the verified domain called name and its
	// shop's slug (one lookup on the unique index), or ENOTFOUND.
	VerifiedDomain(ctx context.Context, name string) (d *Domain, slug string, err error)
	// VerifiedDomains lists every verified domain (the daily re-check).
	VerifiedDomains(ctx context.Context) ([]*Domain, error)
	// ShopDomains returns the names of a shop's verified domains, primary
	// first (the page cache's per-name purges, links).
	ShopDomains(ctx context.Context, vendorID int64) ([]string, error)
}
