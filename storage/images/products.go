package images

import (
	"context"
	"log/slog"
	"slices"

	"dukaan/app"
)

// Products is a product service with the photo lifecycle in it: an update
// that replaces or removes a product's photo, and a delete that removes
// the product itself, also delete the photo's files once no product of the
// vendor (archived ones included) shows it. Every other method is the
// wrapped service's.
type Products struct {
	app.ProductService
	images *Images
	log    *slog.Logger
}

// NewProducts returns products with the photos of im kept in step; a nil
// im keeps no photos (and deletes none).
func NewProducts(products app.ProductService, im *Images, log *slog.Logger) *Products {
	if log == nil {
		log = slog.Default()
	}
	return &Products{ProductService: products, images: im, log: log}
}

// UpdateProduct updates the product and drops the photos it no longer
// shows (replaced or removed).
func (p *Products) UpdateProduct(ctx context.Context, vendorID, id int64, in app.ProductInput) (*app.Product, error) {
	before := p.photos(ctx, vendorID, id)
	updated, err := p.ProductService.UpdateProduct(ctx, vendorID, id, in)
	if err != nil {
		return nil, err
	}
	for _, key := range before {
		if key != updated.Image && !slices.Contains(updated.Photos, key) {
			p.drop(ctx, vendorID, key)
		}
	}
	return updated, nil
}

// DeleteProduct deletes or archives the product; a deleted product's photo
// is dropped (an archived one still shows it on its past orders).
func (p *Products) DeleteProduct(ctx context.Context, vendorID, id int64) (bool, error) {
	before := p.photos(ctx, vendorID, id)
	archived, err := p.ProductService.DeleteProduct(ctx, vendorID, id)
	if err != nil {
		return false, err
	}
	if !archived {
		for _, key := range before {
			p.drop(ctx, vendorID, key)
		}
	}
	return archived, nil
}

// photos are the product's photo keys before a change (none when it has
// none or cannot be read: the change itself will then report the error).
func (p *Products) photos(ctx context.Context, vendorID, id int64) []string {
	if p.images == nil {
		return nil
	}
	cur, err := p.ProductService.Product(ctx, vendorID, id)
	if err != nil {
		return nil
	}
	if cur.Image != "" && !slices.Contains(cur.Photos, cur.Image) {
		return append([]string{cur.Image}, cur.Photos...)
	}
	return cur.Photos
}

// drop deletes a photo's files once nothing of the vendor shows it (no
// photo of a product, nor the logo or banner: ImageInUse counts them all).
// The product event has purged the pages that showed it by then. A
// failure only leaves files behind, so it is logged, never returned.
func (p *Products) drop(ctx context.Context, vendorID int64, key string) {
	if p.images == nil || key == "" {
		return
	}
	used, err := p.ProductService.ImageInUse(ctx, vendorID, key)
	if err == nil && !used {
		err = p.images.Delete(ctx, key)
	}
	if err != nil {
		p.log.WarnContext(ctx, "dropping an unused product photo", "key", key, "err", err)
	}
}
