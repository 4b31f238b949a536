package app

import "time"

// NoticeKind names something the vendor is told about: by email, and to
// the webhook endpoint of the shop (the words are the webhook's event types,
// part of its documented schema).
type NoticeKind string

const (
	NoticeOrderCreated        NoticeKind = "order.created"
	NoticeOrderStatusChanged  NoticeKind = "order.status_changed"
	NoticeOrderPaymentChanged NoticeKind = "order.payment_changed"
	NoticeProductUpdated      NoticeKind = "product.updated"
	NoticeProductLowStock     NoticeKind = "product.low_stock"
)

// NoticeKinds lists every kind, in the order the console shows them.
var NoticeKinds = []NoticeKind{
	NoticeOrderCreated, NoticeOrderStatusChanged, NoticeOrderPaymentChanged,
	NoticeProductUpdated, NoticeProductLowStock,
}

// Notice is one committed change the vendor hears about. storage writes the
// messages it owes (email, webhook deliveries) as jobs in the transaction
// of the change, so a crash loses none and an outage only delays them.
// Exactly one of Order and Product is set, as the kind says.
type Notice struct {
	Kind     NoticeKind
	VendorID int64
	At       time.Time
	Order    *Order
	Product  *Product
}
