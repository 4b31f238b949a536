package app

import (
	"context"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Limits on a shop's categories: they bound the front page's row of links,
// the sitemap and the work a rename (a store-wide purge) causes.
const (
	MaxCategoryNameLen = 60
	MaxCategories      = 50
	// MaxCategorySlugLen bounds a slug in runes; a suffix (-2, -3 …) for a
	// name another category already has comes on top.
	MaxCategorySlugLen = 60
)

// Category groups a shop's products. Position orders them on the shop's
// row of links (lowest first); Slug is the category's path, /c/{slug}.
type Category struct {
	ID       int64
	VendorID int64
	Name     string
	Slug     string
	Position int64
}

// CategoryInput is what a vendor types for a category.
type CategoryInput struct {
	Name string
}

// Validate normalises the name (one line, spaces collapsed) and checks it,
// with a message per form field ("name").
func (in *CategoryInput) Validate() map[string]string {
	fields := map[string]string{}
	in.Name = CleanText(in.Name)
	switch n := utf8.RuneCountInString(in.Name); {
	case n == 0:
		fields["name"] = "Enter a category name."
	case n > MaxCategoryNameLen:
		fields["name"] = atMostChars(MaxCategoryNameLen)
	}
	return fields
}

// CategorySlug derives a category's path from its name. Slugs are kept as
// UTF-8, not transliterated: letters and digits of every script stay
// (lower-cased), with their combining marks (Devanagari's vowel signs),
// and every run of anything else becomes one "-". So "Sweets & Snacks" is
// "sweets-snacks" and "मिठाई" stays "मिठाई" (percent-encoded in links). A
// name with no letter or digit ("!!!") gets "category". Storage adds a
// suffix when another category of the shop has the slug already.
func CategorySlug(name string) string {
	var b strings.Builder
	dash := false
	n := 0
	for _, r := range strings.ToLower(name) {
		if n >= MaxCategorySlugLen {
			break
		}
		if unicode.IsLetter(r) || unicode.IsDigit(r) || (unicode.In(r, unicode.Mn, unicode.Mc) && b.Len() > 0 && !dash) {
			if dash && b.Len() > 0 {
				b.WriteByte('-')
				n++
			}
			dash = false
			b.WriteRune(r)
			n++
			continue
		}
		dash = true
	}
	s := strings.Trim(b.String(), "-")
	if s == "" {
		return "category"
	}
	return s
}

// SlugWithSuffix is the n-th spelling of a taken slug: "sweets-2" for n=2.
func SlugWithSuffix(slug string, n int) string {
	if n <= 1 {
		return slug
	}
	return slug + "-" + strconv.Itoa(n)
}

// CategoryService manages a shop's categories. Every method is scoped by
// vendor: another vendor's category id is ENOTFOUND. Input that Validate
// refuses is EINVALID with Fields["name"]; a shop that has MaxCategories
// already is EINVALID on "name" too. A name whose slug another category of
// the shop has gets a numbered slug, never an error. Each committed change
// publishes a store-wide CategoryChanged event (the shop's row of links is
// on every page).
type CategoryService interface {
	// Categories lists the vendor's categories in their shop order.
	Categories(ctx context.Context, vendorID int64) ([]*Category, error)
	Category(ctx context.Context, vendorID, id int64) (*Category, error)
	// CategoryBySlug finds one by its path; ENOTFOUND if there is none.
	CategoryBySlug(ctx context.Context, vendorID int64, slug string) (*Category, error)
	CreateCategory(ctx context.Context, vendorID int64, in CategoryInput) (*Category, error)
	// RenameCategory changes the name and derives the slug again (old
	// links to the category then answer 404).
	RenameCategory(ctx context.Context, vendorID, id int64, in CategoryInput) (*Category, error)
	// MoveCategory swaps the category with its neighbour above (up) or
	// below; at the end of the list it changes nothing.
	MoveCategory(ctx context.Context, vendorID, id int64, up bool) error
	// DeleteCategory removes it; its products stay, uncategorised.
	DeleteCategory(ctx context.Context, vendorID, id int64) error
}
