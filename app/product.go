package app

import (
	"context"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Limits on what a vendor may enter for a product. They bound storage,
// page size and the work one request can cause.
const (
	MaxProductNameLen = 120
	MaxDescriptionLen = 4000
	MaxStock          = 1e6 // units a product can hold
	MaxPhotos         = 8   // photos a product can have; the first is the cover
)

// TooManyPhotosMessage is the one message for a product over MaxPhotos.
var TooManyPhotosMessage = "A product can have at most " + strconv.Itoa(MaxPhotos) + " photos. Remove some and save again."

// StockRangeMessage is the one message for a stock outside 0…MaxStock, on
// the console's form and in Validate alike.
var StockRangeMessage = "Enter a whole number of units from 0 to " + groupIndian(strconv.FormatInt(MaxStock, 10)) + "."

// LowStockRangeMessage is the one message for a threshold out of range.
var LowStockRangeMessage = "Enter a whole number from 0 (no alert) to " + groupIndian(strconv.Itoa(MaxLowStockAt)) + "."

// Product is something a vendor sells. Money is integer paise.
type Product struct {
	ID          int64
	VendorID    int64
	Name        string
	Description string
	MRP         Paise  // maximum retail price, shown struck through
	Price       Paise  // selling price, never above MRP
	Stock       int64  // units left, never below zero
	Available   bool   // the vendor's switch: hidden from the shop when false
	Archived    bool   // deleted by the vendor but kept because orders point at it
	Image       string // key of the cover photo (see storage/images), or empty: Photos[0]
	// Photos are the product's photo keys in the vendor's order, at most
	// MaxPhotos; the first is the cover, which Image repeats for every
	// reader that shows one photo (cards, og:image, orders).
	Photos []string
	// LowStockAt is the low-stock alert's threshold: the order that takes
	// Stock from above it to at or below it tells the vendor once. 0 is off.
	LowStockAt int64
	CategoryID int64 // the product's category, 0 for none
	// Variants are the product's choices in Position order; empty for a
	// product sold as itself. A product with variants is sold only by
	// them: its own MRP and Price are the lowest-priced variant's, kept
	// by storage for listings, and its own Stock is not sold.
	Variants  []Variant
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Low-stock alert thresholds: a new product's, and the largest a form takes.
const (
	DefaultLowStockAt = 3
	MaxLowStockAt     = 100_000
)

// LowStockCrossed reports whether stock going from before to after crosses
// the threshold at (from above it to at or below it): the one moment the
// low-stock alert is sent. A restock above it re-arms the alert.
func LowStockCrossed(at, before, after int64) bool {
	return at > 0 && before > at && after <= at
}

// SoldOut reports whether the shop should show the product as sold out:
// no stock, or for a product with variants every variant out of stock or
// unavailable.
func (p *Product) SoldOut() bool {
	if p.HasVariants() {
		for i := range p.Variants {
			if !p.Variants[i].SoldOut() {
				return false
			}
		}
		return true
	}
	return p.Stock <= 0
}

// LowStock reports whether the stock is at or below the alert threshold
// (never when the alert is off, nor for a product sold by variants).
func (p *Product) LowStock() bool {
	return !p.HasVariants() && p.LowStockAt > 0 && p.Stock <= p.LowStockAt
}

// OnSale reports whether customers can see and order the product.
func (p *Product) OnSale() bool { return p.Available && !p.Archived }

// DiscountPercent is the whole-percent saving of Price against MRP.
func (p *Product) DiscountPercent() int64 {
	if p.MRP <= 0 || p.Price >= p.MRP {
		return 0
	}
	return int64((p.MRP - p.Price) * 100 / p.MRP)
}

// ProductInput is what a vendor submits for a product, already parsed.
type ProductInput struct {
	Name        string
	Description string
	MRP         Paise
	Price       Paise
	Stock       int64
	Available   bool
	// Image is the cover photo's key: nil leaves it as it is, a pointer
	// to "" removes the cover (the next photo becomes the cover), another
	// key replaces the cover. Photos, when set, wins over it.
	Image *string
	// Photos is the whole ordered list of photo keys (the first the
	// cover): nil leaves the photos as they are (or as Image changes
	// them), a pointer to an empty list removes them all.
	Photos *[]string
	// StockWas is the stock the edit form showed. When set and Stock equals
	// it, an update leaves stock alone, so orders placed while the vendor
	// was editing are not undone; when Stock differs but the stored stock
	// has moved away from StockWas, the update is ECONFLICT.
	StockWas *int64
	// LowStockAt is the low-stock threshold (0 off): nil keeps it on an
	// update and is DefaultLowStockAt on a create.
	LowStockAt *int64
	// CategoryID is the product's category: nil leaves it as it is (none
	// for a new product), a pointer to 0 removes it. Storage refuses an id
	// that is not one of the vendor's categories (EINVALID on
	// "category_id").
	CategoryID *int64
	// Variants is the product's whole variant list as the form shows it:
	// nil leaves the variants as they are; rows without an ID are added,
	// rows with Remove dropped, the rest edited, all in Position order.
	// When any row stays, the product's own MRP, Price and Stock are not
	// asked for (storage keeps MRP and Price at the lowest-priced
	// variant's).
	Variants *[]VariantInput
}

// Validate normalises the input (one-line name, trimmed description) and
// checks it, returning a message per form field. The console's form and
// storage both apply it, so the rules live in one place.
func (in *ProductInput) Validate() map[string]string {
	fields := map[string]string{}
	in.Name = CleanText(in.Name)
	in.Description = strings.TrimSpace(strings.ReplaceAll(in.Description, "\r\n", "\n"))
	switch n := utf8.RuneCountInString(in.Name); {
	case n == 0:
		fields["name"] = "Enter a product name."
	case n > MaxProductNameLen:
		fields["name"] = atMostChars(MaxProductNameLen)
	}
	if utf8.RuneCountInString(in.Description) > MaxDescriptionLen {
		fields["description"] = atMostChars(MaxDescriptionLen)
	}
	if in.LowStockAt != nil && (*in.LowStockAt < 0 || *in.LowStockAt > MaxLowStockAt) {
		fields["low_stock_at"] = LowStockRangeMessage
	}
	if in.Photos != nil {
		*in.Photos = dedupe(*in.Photos)
		if len(*in.Photos) > MaxPhotos {
			fields["photos"] = TooManyPhotosMessage
		}
	}
	if in.Variants != nil {
		validateVariants(*in.Variants, fields)
	}
	if in.KeptVariants() > 0 {
		// Sold by its variants: the product's own prices and stock are
		// not offered, so they are not asked for.
		return fields
	}
	switch {
	case in.MRP <= 0:
		fields["mrp"] = "MRP must be more than ₹0."
	case in.MRP > MaxPaise:
		fields["mrp"] = tooLargeMessage()
	}
	switch {
	case in.Price <= 0:
		fields["price"] = "Price must be more than ₹0."
	case in.Price > in.MRP && fields["mrp"] == "":
		fields["price"] = "Price cannot be more than the MRP (" + in.MRP.String() + ")."
	}
	if in.Stock < 0 || in.Stock > MaxStock {
		fields["stock"] = StockRangeMessage
	}
	return fields
}

// dedupe drops empty keys and repeats, keeping the first of each.
func dedupe(keys []string) []string {
	out := make([]string, 0, len(keys))
	seen := map[string]bool{}
	for _, k := range keys {
		if k == "" || seen[k] {
			continue
		}
		seen[k] = true
		out = append(out, k)
	}
	return out
}

// WithCover is photos with the cover changed as ProductInput.Image says:
// "" removes the first photo, another key becomes the first (and is not
// repeated further down).
func WithCover(photos []string, cover string) []string {
	if cover == "" {
		if len(photos) > 0 {
			return append([]string(nil), photos[1:]...)
		}
		return nil
	}
	out := []string{cover}
	for i, k := range photos {
		if i == 0 || k == cover {
			continue
		}
		out = append(out, k)
	}
	return out
}

// ProductFilter selects products of one vendor.
type ProductFilter struct {
	VendorID   int64
	OnSaleOnly bool   // available and not archived (the shop's view)
	Query      string // case-insensitive substring of the name
	CategoryID int64  // only this category's products; 0 for all
	// Search is a shop search (NormalizeSearch'd): products whose name or
	// description contain every word, accents and case aside for Latin
	// letters, best matches first (name before description).
	Search string
	Offset int
	Limit  int // 0 means no limit
}

// ProductService manages a vendor's catalogue. Every method is scoped by
// vendor: another vendor's id is ENOTFOUND. Each committed change that
// alters a shop page is published as a ProductEvent after the commit.
// Input that Validate refuses is EINVALID with its Fields.
type ProductService interface {
	CreateProduct(ctx context.Context, vendorID int64, in ProductInput) (*Product, error)
	UpdateProduct(ctx context.Context, vendorID, id int64, in ProductInput) (*Product, error)
	SetAvailability(ctx context.Context, vendorID, id int64, available bool) (*Product, error)
	// DeleteProduct removes the product, or archives it when orders point
	// at it; archived reports which.
	DeleteProduct(ctx context.Context, vendorID, id int64) (archived bool, err error)
	// Product returns a product that is not archived.
	Product(ctx context.Context, vendorID, id int64) (*Product, error)
	// Products returns a page of products, newest first, and the total count.
	Products(ctx context.Context, f ProductFilter) ([]*Product, int, error)
	// ImageInUse reports whether any of the vendor's products (any of its
	// photos), archived ones included, or the shop's logo or banner still
	// shows the photo key.
	ImageInUse(ctx context.Context, vendorID int64, key string) (bool, error)
}
