package storage

import (
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"

	"github.com/uptrace/bun"
)

// Shop search (issue 15). Each product keeps two folded copies of its
// text, written with the product: search_name (its name) and search_text
// (name and description). Folding lower-cases and drops the accents of
// Latin letters (é → e, ñ → n, ß stays), and leaves every other script as
// it is: Devanagari's vowel signs are combining marks too, and dropping
// them would make "मिठाई" match "मठ". The query is folded the same way, so
// matching is a plain substring test on the folded text — accent- and
// case-insensitive for Latin, exact substrings for Devanagari — on both
// databases. PostgreSQL answers it from a pg_trgm GIN index on
// search_text; SQLite scans the shop's products through the
// (vendor_id, id) index, which stays a few milliseconds for a shop of
// thousands (BenchmarkShopSearch).

// maxSearchWords bounds the words of one query that are matched (each is
// a LIKE): a 60-character query could otherwise carry 30.
const maxSearchWords = 5

// foldSearch is s as search_name and search_text store it.
func foldSearch(s string) string {
	d := norm.NFD.String(strings.ToLower(s))
	var b strings.Builder
	b.Grow(len(d))
	latin := false
	for _, r := range d {
		if unicode.Is(unicode.Mn, r) {
			if latin {
				continue // an accent on a Latin letter
			}
		} else {
			latin = unicode.Is(unicode.Latin, r)
		}
		b.WriteRune(r)
	}
	return norm.NFC.String(b.String())
}

// searchColumns are a product's folded search columns.
func searchColumns(name, description string) (searchName, searchText string) {
	searchName = foldSearch(name)
	return searchName, searchName + "\n" + foldSearch(description)
}

// searchFilter restricts a product query to the matches of q (already
// normalised by app.NormalizeSearch): every word of it in search_text.
func searchFilter(q string) func(*bun.SelectQuery) *bun.SelectQuery {
	words := strings.Fields(foldSearch(q))
	if len(words) > maxSearchWords {
		words = words[:maxSearchWords]
	}
	return func(sq *bun.SelectQuery) *bun.SelectQuery {
		for _, w := range words {
			sq = sq.Where(`search_text LIKE ? ESCAPE '\'`, "%"+escapeLike(w)+"%")
		}
		return sq
	}
}

// searchOrder ranks matches: the whole query at the start of the name,
// then anywhere in the name, then only in the description; newest first
// within each.
func searchOrder(q string) func(*bun.SelectQuery) *bun.SelectQuery {
	phrase := escapeLike(strings.Join(strings.Fields(foldSearch(q)), " "))
	return func(sq *bun.SelectQuery) *bun.SelectQuery {
		return sq.OrderExpr(`CASE WHEN search_name LIKE ? ESCAPE '\' THEN 0 WHEN search_name LIKE ? ESCAPE '\' THEN 1 ELSE 2 END`,
			phrase+"%", "%"+phrase+"%")
	}
}

// searchIndex is the PostgreSQL index search uses; SQLite has none to add
// (see above).
func searchIndex(d string) []string {
	if d != DialectPostgres {
		return nil
	}
	return []string{
		// In public, whatever the connection's search_path: the extension
		// is one per database (a per-schema copy would be dropped with
		// its schema under the others' indexes). pg_trgm is a trusted
		// extension (PostgreSQL 13+): a database owner may create it.
		`CREATE EXTENSION IF NOT EXISTS pg_trgm SCHEMA public`,
		`CREATE INDEX IF NOT EXISTS products_search_text_trgm_idx ON products USING gin (search_text public.gin_trgm_ops)`,
	}
}
