package app

import "context"

// ProductEventKind says what happened to a product.
type ProductEventKind string

const (
	ProductCreated      ProductEventKind = "created"
	ProductUpdated      ProductEventKind = "updated"
	ProductDeleted      ProductEventKind = "deleted"
	ProductAvailability ProductEventKind = "availability"
	ProductSoldOut      ProductEventKind = "sold_out"
	ProductRestocked    ProductEventKind = "restocked"
	StoreUpdated        ProductEventKind = "store_updated"
	// CategoryChanged: a category created, renamed, moved or deleted
	// (every page shows the row of categories), store-wide.
	CategoryChanged ProductEventKind = "category_changed"
	// ProductCategorized: a product moved to another category (or to
	// none); store-wide, since two category listings move.
	ProductCategorized ProductEventKind = "product_categorized"
	// DomainChanged: a custom domain added, removed, verified, unverified
	// or made primary (canonical URLs and links move), store-wide.
	DomainChanged ProductEventKind = "domain_changed"
)

// ProductEvent is a committed change that alters what a shop page shows.
// ProductID is zero for store-wide events.
type ProductEvent struct {
	Kind      ProductEventKind
	VendorID  int64
	ProductID int64
}

// StoreWide reports whether the event changes every page of the store
// (listings and pagination move, or the header changed) rather than only the
// pages showing its product.
func (ev ProductEvent) StoreWide() bool {
	switch ev.Kind {
	case ProductUpdated, ProductSoldOut, ProductRestocked:
		return ev.ProductID == 0
	}
	return true
}

// EventSink receives product events after their transaction committed. It
// returns once the event has been acted on (caches purged) or has given up
// within its own bounded time; an error is logged by the caller, never
// undoes the change.
type EventSink interface {
	Publish(ctx context.Context, ev ProductEvent) error
}

// EventSinkFunc adapts a function to EventSink.
type EventSinkFunc func(ctx context.Context, ev ProductEvent) error

// Publish calls f.
func (f EventSinkFunc) Publish(ctx context.Context, ev ProductEvent) error { return f(ctx, ev) }
