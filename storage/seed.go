package storage

import (
	"context"
	"fmt"
	"time"

	"github.com/uptrace/bun"
	"golang.org/x/crypto/bcrypt"

	"dukaan/app"
)

// DemoSlug is the store SeedDemo creates.
const DemoSlug = "demo"

// demoProducts is a small kirana and spice shop: prices in paise, some
// discounted below MRP, one sold out, stock varied so the shop shows
// "only a few left" as well as plenty.
var demoProducts = []app.ProductInput{
	{Name: "Toor Dal (Arhar), 1 kg", Description: "Unpolished split pigeon peas from Latur. Cooks soft for everyday sambar and dal tadka.",
		MRP: 18900, Price: 16500, Stock: 40, Available: true},
	{Name: "Chakki Fresh Whole Wheat Atta, 5 kg", Description: "Stone-ground sharbati wheat flour for soft rotis and phulkas.",
		MRP: 29500, Price: 27900, Stock: 25, Available: true},
	{Name: "Kachi Ghani Mustard Oil, 1 L", Description: "Cold-pressed mustard oil with the sharp aroma of a traditional kolhu. Ideal for pickles and tadka.",
		MRP: 21000, Price: 19500, Stock: 18, Available: true},
	{Name: "Aged Basmati Rice, 1 kg", Description: "Long-grain basmati aged for a year, so every grain stays separate in biryani and pulao.",
		MRP: 19900, Price: 16900, Stock: 30, Available: true},
	{Name: "Garam Masala, 100 g", Description: "Our own blend of roasted cardamom, clove, cinnamon, black pepper and nutmeg, ground in small batches.",
		MRP: 9000, Price: 9000, Stock: 50, Available: true},
	{Name: "Kasuri Methi, 50 g", Description: "Sun-dried fenugreek leaves from Nagaur. Crush a pinch over butter chicken or paratha dough.",
		MRP: 6000, Price: 5500, Stock: 0, Available: true},
	{Name: "Aloo Bhujia, 400 g", Description: "Crisp potato and moth-bean sev with a gentle kick of black pepper. The tea-time favourite.",
		MRP: 11000, Price: 9900, Stock: 35, Available: true},
	{Name: "Desi Cow Ghee, 500 ml", Description: "Slow-cooked from cultured cream the bilona way. Grainy, golden and fragrant.",
		MRP: 42000, Price: 42000, Stock: 12, Available: true},
	{Name: "Assam CTC Tea, 500 g", Description: "Strong, malty leaf from Dibrugarh gardens that stands up to milk and sugar in a proper kadak chai.",
		MRP: 32000, Price: 28500, Stock: 20, Available: true},
	{Name: "Homemade Mango Pickle, 500 g", Description: "Raw mango pieces in mustard oil with fennel and nigella, made by Amma every summer. Limited batch.",
		MRP: 25000, Price: 22000, Stock: 6, Available: true},
	{Name: "Organic Jaggery (Gur), 1 kg", Description: "Chemical-free sugarcane jaggery from Kolhapur. Melts into chikki, kheer and your evening chai.",
		MRP: 12000, Price: 9900, Stock: 22, Available: true},
	{Name: "Kashmiri Red Chilli Powder, 200 g", Description: "Deep red colour with mild heat, for rogan josh and tandoori marinades.",
		MRP: 12000, Price: 10500, Stock: 15, Available: true},
}

// demoOrders are placed through PlaceOrder so the stock shown in the shop
// is what is left after them; status is where each ends up.
var demoOrders = []struct {
	customer app.Customer
	lines    []struct{ product, qty int } // product is an index into demoProducts
	status   app.OrderStatus
}{
	{
		customer: app.Customer{Name: "Priya Sharma", Phone: "+919876543210",
			Address: "Flat 304, Shanti Apartments, 12th Cross, Indiranagar, Bengaluru 560038"},
		lines:  []struct{ product, qty int }{{0, 2}, {3, 1}, {4, 1}},
		status: app.StatusDelivered,
	},
	{
		customer: app.Customer{Name: "Rahul Verma", Phone: "+919812345678",
			Address: "H.No. 56, Pocket B, Sector 15, Rohini, New Delhi 110085"},
		lines:  []struct{ product, qty int }{{1, 1}, {7, 1}},
		status: app.StatusShipped,
	},
	{
		customer: app.Customer{Name: "Anjali Iyer", Phone: "+919900112233",
			Address: "22/7, Dr. Radhakrishnan Salai, Mylapore, Chennai 600004"},
		lines:  []struct{ product, qty int }{{8, 2}, {9, 3}, {11, 1}},
		status: app.StatusConfirmed,
	},
	{
		customer: app.Customer{Name: "Mohammed Farooq", Phone: "+917012345678",
			Address: "Room 9, Noor Manzil, L.J. Road, Mahim West, Mumbai 400016"},
		lines:  []struct{ product, qty int }{{6, 3}, {10, 2}},
		status: app.StatusPending,
	},
}

// SeedDemo fills an empty database with a demo shop a visitor can browse
// and its owner can log into. It does nothing, and returns created=false,
// once any vendor exists, so it is safe to run at every start.
func SeedDemo(ctx context.Context, db *DB, email, password string) (created bool, err error) {
	n, err := db.db.NewSelect().Model((*vendorModel)(nil)).Count(ctx)
	if err != nil {
		return false, fmt.Errorf("storage.SeedDemo: %w", err)
	}
	if n > 0 {
		return false, nil
	}
	v := &app.Vendor{
		Slug:        DemoSlug,
		Name:        "Demo Kirana & Spices",
		Email:       email,
		Description: "Dals, atta, oils and our own masalas, packed fresh and delivered across the city.",
	}
	if err := db.CreateVendor(ctx, v, password); err != nil {
		if app.ErrorCode(err) == app.ECONFLICT {
			return false, nil // another process seeded first
		}
		return false, fmt.Errorf("storage.SeedDemo: %w", err)
	}
	ids := make([]int64, len(demoProducts))
	for i, in := range demoProducts {
		p, err := db.CreateProduct(ctx, v.ID, in)
		if err != nil {
			return true, fmt.Errorf("storage.SeedDemo: product %q: %w", in.Name, err)
		}
		ids[i] = p.ID
	}
	for i, do := range demoOrders {
		req := app.PlaceOrder{VendorID: v.ID, OrderKey: fmt.Sprintf("demo-%d", i+1), Customer: do.customer}
		for _, l := range do.lines {
			req.Lines = append(req.Lines, app.OrderLine{ProductID: ids[l.product], Qty: int64(l.qty)})
		}
		o, _, err := db.PlaceOrder(ctx, req)
		if err != nil {
			return true, fmt.Errorf("storage.SeedDemo: order %d: %w", i+1, err)
		}
		for _, next := range []app.OrderStatus{app.StatusConfirmed, app.StatusShipped, app.StatusDelivered} {
			if !o.Status.CanMoveTo(next) || o.Status == do.status {
				break
			}
			if o, err = db.SetOrderStatus(ctx, v.ID, o.ID, next); err != nil {
				return true, fmt.Errorf("storage.SeedDemo: order %d to %s: %w", i+1, next, err)
			}
		}
	}
	return true, nil
}

// BenchPassword is the password of every SeedBulk vendor.
const BenchPassword = "bench-password"

// bulkBatch is how many stores SeedBulk writes per transaction: large
// enough that commits do not dominate, small enough that one products
// statement stays around a megabyte at 50 products a store.
const bulkBatch = 100

// bulkItems are the names SeedBulk combines into products.
var bulkItems = []struct {
	name string
	mrp  int64
}{
	{"Toor Dal", 16000}, {"Moong Dal", 14000}, {"Chana Dal", 11000}, {"Masoor Dal", 12000},
	{"Basmati Rice", 18000}, {"Sona Masoori Rice", 7000}, {"Wheat Atta", 5500}, {"Besan", 9000},
	{"Turmeric Powder", 6000}, {"Red Chilli Powder", 7500}, {"Coriander Powder", 5000},
	{"Cumin Seeds", 9500}, {"Mustard Oil", 19000}, {"Groundnut Oil", 21000}, {"Ghee", 32000},
	{"Jaggery", 8000}, {"Tea", 26000}, {"Poha", 6000}, {"Sooji", 5000}, {"Sabudana", 9000},
}

var bulkSizes = []struct {
	label  string
	factor int64 // percent of the 1 kg price
}{{"250 g", 30}, {"500 g", 55}, {"1 kg", 100}, {"2 kg", 190}, {"5 kg", 460}}

// SeedBulk creates stores store-00001 … store-NNNNN with productsPerStore
// products each, for benchmarks. Existing store names are skipped, so an
// interrupted run can simply be repeated. It writes batches of stores and
// their products with multi-row inserts, one transaction per batch, and
// hashes the shared password once: bcrypt per vendor would take minutes
// for a thousand stores. No events are published: a bulk load precedes
// any cached page.
func SeedBulk(ctx context.Context, db *DB, stores, productsPerStore int, progress func(done, total int)) error {
	hash, err := bcrypt.GenerateFromPassword([]byte(BenchPassword), db.bcryptCost)
	if err != nil {
		return fmt.Errorf("storage.SeedBulk: %w", err)
	}
	for start := 1; start <= stores; start += bulkBatch {
		end := min(start+bulkBatch-1, stores)
		if err := seedBulkBatch(ctx, db, start, end, productsPerStore, string(hash)); err != nil {
			return fmt.Errorf("storage.SeedBulk: stores %d–%d: %w", start, end, err)
		}
		if progress != nil {
			progress(end, stores)
		}
	}
	return nil
}

func seedBulkBatch(ctx context.Context, db *DB, start, end, productsPerStore int, hash string) error {
	return db.db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		slugs := make([]string, 0, end-start+1)
		for i := start; i <= end; i++ {
			slugs = append(slugs, fmt.Sprintf("store-%05d", i))
		}
		var existing []string
		if err := tx.NewSelect().Model((*vendorModel)(nil)).Column("slug").
			Where("slug IN (?)", bun.List(slugs)).Scan(ctx, &existing); err != nil {
			return err
		}
		skip := make(map[string]bool, len(existing))
		for _, s := range existing {
			skip[s] = true
		}
		t := now()
		var vendors []vendorModel
		for _, s := range slugs {
			if skip[s] {
				continue
			}
			vendors = append(vendors, vendorModel{
				Slug:         s,
				Name:         "Bench Store " + s[len("store-"):],
				Email:        "owner@" + s + ".bench.example",
				PasswordHash: hash,
				Description:  "A store created for load tests.",
				CreatedAt:    t,
			})
		}
		if len(vendors) == 0 {
			return nil
		}
		if _, err := tx.NewInsert().Model(&vendors).Returning("NULL").Exec(ctx); err != nil {
			return err
		}
		// Read the ids back by name: RETURNING order is unspecified for
		// multi-row inserts.
		var created []vendorModel
		if err := tx.NewSelect().Model(&created).Column("id", "slug").
			Where("slug IN (?)", bun.List(slugs)).Scan(ctx); err != nil {
			return err
		}
		if productsPerStore <= 0 {
			return nil
		}
		products := make([]productModel, 0, len(vendors)*productsPerStore)
		for _, v := range created {
			if skip[v.Slug] {
				continue
			}
			for j := 0; j < productsPerStore; j++ {
				products = append(products, bulkProduct(v.ID, j, t))
			}
		}
		_, err := tx.NewInsert().Model(&products).Returning("NULL").Exec(ctx)
		return err
	})
}

// bulkProduct makes the j-th product of a store: varied names, prices,
// discounts and stock, with a few sold out and a few switched off, so
// benchmarks render the same variety real shops do.
func bulkProduct(vendorID int64, j int, t time.Time) productModel {
	item := bulkItems[j%len(bulkItems)]
	size := bulkSizes[(j/len(bulkItems))%len(bulkSizes)]
	mrp := item.mrp * size.factor / 100
	price := mrp
	if j%3 == 0 {
		price = mrp * 90 / 100
	}
	name := fmt.Sprintf("%s, %s", item.name, size.label)
	if round := j / (len(bulkItems) * len(bulkSizes)); round > 0 {
		name = fmt.Sprintf("%s (pack %d)", name, round+1)
	}
	desc := fmt.Sprintf("Fresh stock of %s, packed in the shop.", item.name)
	searchName, searchText := searchColumns(name, desc)
	return productModel{
		VendorID:    vendorID,
		Name:        name,
		Description: desc,
		SearchName:  searchName,
		SearchText:  searchText,
		MRP:         mrp,
		Price:       price,
		Stock:       int64((j*37 + int(vendorID)*11) % 120),
		Available:   j%17 != 16,
		CreatedAt:   t,
		UpdatedAt:   t,
	}
}
