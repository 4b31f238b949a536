package storage

import (
	"time"

	"github.com/uptrace/bun"

	"dukaan/app"
)

// The models below mirror the tables column for column. They stay
// unexported so that bun tags never leak into app's types; each has a
// conversion to the app type it stores.

type vendorModel struct {
	bun.BaseModel `bun:"table:vendors,alias:v"`

	ID           int64     `bun:"id,pk,autoincrement"`
	Slug         string    `bun:"slug"`
	Name         string    `bun:"name"`
	Email        string    `bun:"email"`
	PasswordHash string    `bun:"password_hash"`
	Description  string    `bun:"description"`
	WhatsApp     string    `bun:"whatsapp"`
	CreatedAt    time.Time `bun:"created_at"`

	// The checkout columns (migration 20261204000004) are scanonly: a
	// "RETURNING *" fills them, but inserts and selects of vendorModel
	// leave them to the column defaults (accept_cod TRUE) and to
	// vendorCheckoutModel, which reads and writes them.
	DeliveryFee       int64  `bun:"delivery_fee,scanonly"`
	FreeDeliveryAbove *int64 `bun:"free_delivery_above,scanonly"`
	MinOrder          int64  `bun:"min_order,scanonly"`
	UPIID             string `bun:"upi_id,scanonly"`
	AcceptCOD         bool   `bun:"accept_cod,scanonly"`
	AcceptUPI         bool   `bun:"accept_upi,scanonly"`
	OrderSeq          int64  `bun:"order_seq,scanonly"`
	// OrderEmails (migration 20261206000001) is scanonly too: inserts
	// leave it to its default (on); UpdateOrderEmails writes it.
	OrderEmails bool `bun:"order_emails,scanonly"`
	// SessionEpoch (migration 20261206000003) is scanonly: it starts at
	// 0 and only setPasswordTx raises it.
	SessionEpoch int64 `bun:"session_epoch,scanonly"`
	// PrimaryDomain is not a column: vendorColumns reads the shop's
	// primary custom domain with it (domains_one_primary_idx: at most one).
	PrimaryDomain string `bun:"primary_domain,scanonly"`
	// Logo and Banner (migration 20261206000006) are scanonly: inserts
	// leave them empty; UpdateSettings writes them.
	Logo   string `bun:"logo,scanonly"`
	Banner string `bun:"banner,scanonly"`
}

func (m *vendorModel) toApp() *app.Vendor {
	return &app.Vendor{
		ID:          m.ID,
		Slug:        m.Slug,
		Name:        m.Name,
		Email:       m.Email,
		Description: m.Description,
		WhatsApp:    m.WhatsApp,
		CreatedAt:   m.CreatedAt.UTC(),
		Checkout:    m.checkout(),
		OrderEmails: m.OrderEmails,

		SessionEpoch: m.SessionEpoch,
		Domain:       m.PrimaryDomain,
		Logo:         m.Logo,
		Banner:       m.Banner,
	}
}

// checkout is the vendor's checkout settings. The columns are scanonly:
// reads of a vendor select them with "v.*" (vendorColumns).
func (m *vendorModel) checkout() app.CheckoutSettings {
	return *(&vendorCheckoutModel{
		ID: m.ID, DeliveryFee: m.DeliveryFee, FreeDeliveryAbove: m.FreeDeliveryAbove, MinOrder: m.MinOrder,
		UPIID: m.UPIID, AcceptCOD: m.AcceptCOD, AcceptUPI: m.AcceptUPI,
	}).toApp()
}

// vendorColumns selects every column of a vendor, the scanonly checkout
// columns included.
const vendorColumns = "v.*, (SELECT dm.name FROM domains AS dm WHERE dm.vendor_id = v.id AND dm.is_primary AND dm.verified) AS primary_domain"

type productModel struct {
	bun.BaseModel `bun:"table:products,alias:p"`

	ID          int64     `bun:"id,pk,autoincrement"`
	VendorID    int64     `bun:"vendor_id"`
	Name        string    `bun:"name"`
	Description string    `bun:"description"`
	MRP         int64     `bun:"mrp"`
	Price       int64     `bun:"price"`
	Stock       int64     `bun:"stock"`
	Available   bool      `bun:"available"`
	Archived    bool      `bun:"archived"`
	Image       string    `bun:"image"`
	LowStockAt  int64     `bun:"low_stock_at"`
	CreatedAt   time.Time `bun:"created_at"`
	UpdatedAt   time.Time `bun:"updated_at"`
	// CategoryID is NULL for none (migration 20261206000004).
	CategoryID int64 `bun:"category_id,nullzero"`
	// The folded text shop search matches (storage/search.go).
	SearchName string `bun:"search_name"`
	SearchText string `bun:"search_text"`
}

// productColumns is the RETURNING list that fills a productModel.
const productColumns = "id, vendor_id, name, description, mrp, price, stock, available, archived, image, low_stock_at, created_at, updated_at, category_id"

func (m *productModel) toApp() *app.Product {
	return &app.Product{
		ID:          m.ID,
		VendorID:    m.VendorID,
		Name:        m.Name,
		Description: m.Description,
		MRP:         app.Paise(m.MRP),
		Price:       app.Paise(m.Price),
		Stock:       m.Stock,
		Available:   m.Available,
		Archived:    m.Archived,
		Image:       m.Image,
		LowStockAt:  m.LowStockAt,
		CategoryID:  m.CategoryID,
		CreatedAt:   m.CreatedAt.UTC(),
		UpdatedAt:   m.UpdatedAt.UTC(),
	}
}

type orderModel struct {
	bun.BaseModel `bun:"table:orders,alias:o"`

	ID           int64     `bun:"id,pk,autoincrement"`
	VendorID     int64     `bun:"vendor_id"`
	Token        string    `bun:"token"`
	OrderKey     string    `bun:"order_key"`
	CustomerName string    `bun:"customer_name"`
	Phone        string    `bun:"phone"`
	Address      string    `bun:"address"`
	Status       string    `bun:"status"`
	Total        int64     `bun:"total"`
	CreatedAt    time.Time `bun:"created_at"`
	UpdatedAt    time.Time `bun:"updated_at"`

	// Checkout (migration 20261204000004). Zero values insert the
	// column defaults, so an insert that does not know about checkout
	// yet stores an unnumbered cash order: Number is nullzero (NULL, which
	// the unique (vendor_id, number) index allows many of), and the
	// payment columns fall back to 'cod' and 'unpaid'.
	Number        int64  `bun:"number,nullzero"`
	Subtotal      int64  `bun:"subtotal"`
	Discount      int64  `bun:"discount"`
	DeliveryFee   int64  `bun:"delivery_fee"`
	CouponCode    string `bun:"coupon_code"`
	PaymentMode   string `bun:"payment_mode,default:'cod'"`
	PaymentStatus string `bun:"payment_status,default:'unpaid'"`
}

// checkout is the order's checkout part (app.Order embeds it).
func (m *orderModel) checkout() app.OrderCheckout {
	return app.OrderCheckout{
		Number: m.Number,
		Totals: app.Totals{
			Subtotal: app.Paise(m.Subtotal),
			Discount: app.Paise(m.Discount),
			Delivery: app.Paise(m.DeliveryFee),
			Total:    app.Paise(m.Total),
		},
		CouponCode:    m.CouponCode,
		PaymentMode:   app.PaymentMode(m.PaymentMode),
		PaymentStatus: app.PaymentStatus(m.PaymentStatus),
	}
}

func (m *orderModel) toApp() *app.Order {
	return &app.Order{
		ID:       m.ID,
		VendorID: m.VendorID,
		Token:    m.Token,
		OrderKey: m.OrderKey,
		Customer: app.Customer{
			Name:    m.CustomerName,
			Phone:   m.Phone,
			Address: m.Address,
		},
		Status:        app.OrderStatus(m.Status),
		Total:         app.Paise(m.Total),
		CreatedAt:     m.CreatedAt.UTC(),
		UpdatedAt:     m.UpdatedAt.UTC(),
		OrderCheckout: m.checkout(),
	}
}

type orderItemModel struct {
	bun.BaseModel `bun:"table:order_items,alias:oi"`

	ID        int64  `bun:"id,pk,autoincrement"`
	OrderID   int64  `bun:"order_id"`
	ProductID int64  `bun:"product_id"`
	Name      string `bun:"name"`
	MRP       int64  `bun:"mrp"`
	Price     int64  `bun:"price"`
	Qty       int64  `bun:"qty"`
	// The variant bought (migration 20261206000005): NULL and '' for none.
	VariantID    int64  `bun:"variant_id,nullzero"`
	VariantLabel string `bun:"variant_label"`
}

func (m *orderItemModel) toApp() app.OrderItem {
	return app.OrderItem{
		ID:        m.ID,
		OrderID:   m.OrderID,
		ProductID: m.ProductID,
		Name:      m.Name,
		MRP:       app.Paise(m.MRP),
		Price:     app.Paise(m.Price),
		Qty:       m.Qty,

		VariantID:    m.VariantID,
		VariantLabel: m.VariantLabel,
	}
}

type sessionModel struct {
	bun.BaseModel `bun:"table:sessions,alias:s"`

	Token  string    `bun:"token,pk"`
	Data   []byte    `bun:"data"`
	Expiry time.Time `bun:"expiry"`
	// VendorID is who is signed in (migration 20261206000003); nil is
	// nobody, or not known yet.
	VendorID *int64 `bun:"vendor_id"`
}
