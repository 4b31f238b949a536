package images_test

import (
	"bytes"
	"context"
	"image/color"
	"testing"

	"dukaan/app"
	"dukaan/storage/images"
)

// fakeProducts keeps products in a map, for the photo lifecycle alone.
type fakeProducts struct {
	app.ProductService
	byID     map[int64]*app.Product
	archives bool // DeleteProduct archives (the product has orders)
}

func (f *fakeProducts) Product(_ context.Context, vendorID, id int64) (*app.Product, error) {
	if p, ok := f.byID[id]; ok && p.VendorID == vendorID {
		c := *p
		return &c, nil
	}
	return nil, app.Errorf(app.ENOTFOUND, "no product")
}

func (f *fakeProducts) UpdateProduct(ctx context.Context, vendorID, id int64, in app.ProductInput) (*app.Product, error) {
	p, err := f.Product(ctx, vendorID, id)
	if err != nil {
		return nil, err
	}
	if in.Image != nil {
		p.Image = *in.Image
	}
	f.byID[id] = p
	return p, nil
}

func (f *fakeProducts) DeleteProduct(_ context.Context, vendorID, id int64) (bool, error) {
	if f.archives {
		return true, nil
	}
	delete(f.byID, id)
	return false, nil
}

func (f *fakeProducts) ImageInUse(_ context.Context, vendorID int64, key string) (bool, error) {
	for _, p := range f.byID {
		if p.VendorID == vendorID && p.Image == key {
			return true, nil
		}
	}
	return false, nil
}

// TestProductsPhotoLifecycle: a replaced or removed photo, or a deleted
// product's, loses its files once no product shows it; a photo another
// product still shows, or an archived product's, keeps them.
func TestProductsPhotoLifecycle(t *testing.T) {
	ctx := context.Background()
	im := newImages(t)
	save := func(c color.Color) string {
		key, err := im.Save(ctx, 7, bytes.NewReader(pngOf(t, 400, 400, solid(c))))
		if err != nil {
			t.Fatal(err)
		}
		return key
	}
	red, green, blue := save(color.NRGBA{200, 0, 0, 255}), save(color.NRGBA{0, 200, 0, 255}), save(color.NRGBA{0, 0, 200, 255})
	fake := &fakeProducts{byID: map[int64]*app.Product{
		1: {ID: 1, VendorID: 7, Image: red},
		2: {ID: 2, VendorID: 7, Image: green},
		3: {ID: 3, VendorID: 7, Image: green},
		4: {ID: 4, VendorID: 7, Image: blue},
	}}
	products := images.NewProducts(fake, im, nil)
	set := func(key string) app.ProductInput { return app.ProductInput{Image: &key} }

	if _, err := products.UpdateProduct(ctx, 7, 1, set(blue)); err != nil {
		t.Fatal(err)
	}
	if im.Has(ctx, 7, red) {
		t.Error("the replaced photo's files are still there")
	}
	if _, err := products.UpdateProduct(ctx, 7, 2, set("")); err != nil {
		t.Fatal(err)
	}
	if !im.Has(ctx, 7, green) {
		t.Error("a photo product 3 still shows lost its files")
	}
	if _, err := products.UpdateProduct(ctx, 7, 3, app.ProductInput{}); err != nil {
		t.Fatal(err)
	}
	if !im.Has(ctx, 7, green) {
		t.Error("an update that kept the photo dropped it")
	}
	if _, err := products.DeleteProduct(ctx, 7, 3); err != nil {
		t.Fatal(err)
	}
	if im.Has(ctx, 7, green) {
		t.Error("a deleted product's photo, shown nowhere else, is still there")
	}
	fake.archives = true
	delete(fake.byID, 1) // product 4 alone shows blue now
	if _, err := products.DeleteProduct(ctx, 7, 4); err != nil {
		t.Fatal(err)
	}
	if !im.Has(ctx, 7, blue) {
		t.Error("an archived product's photo lost its files")
	}
	if im.Has(ctx, 8, blue) {
		t.Error("Has answers for another vendor's photo")
	}
}
