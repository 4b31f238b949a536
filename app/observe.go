package app

// The words that the web layer reports and monitoring counts by. They live
// here, at the bottom of the import graph, so that web need not import
// monitoring to name them and monitoring need not import web.

// KindOps is the host_kind of the operational endpoints (/metrics,
// /healthz, /readyz) whatever host they were asked on, so probes do not
// blur the traffic of the shops. Other host kinds are tenant.Kind's names.
const KindOps = "ops"

// Reasons an order post stored no new order: the reason label of
// dukaan_orders_refused_total.
const (
	OrderRefusedSoldOut     = "sold_out"    // more than the stock
	OrderRefusedUnavailable = "unavailable" // hidden, archived or unknown product
	OrderRefusedInvalid     = "invalid"     // a bad field, no quantity, too large
	OrderRefusedDuplicate   = "duplicate"   // an order_key already used: no new order
	OrderRefusedForbidden   = "forbidden"   // posted from another site
	OrderRefusedError       = "error"       // the database failed (5xx)
	// A line's price is not the one the page showed (409): the customer
	// sees the new prices and may order again.
	OrderRefusedPriceChanged = "price_changed"
	OrderRefusedCoupon       = "coupon" // an unknown, inactive, expired, used-up or below-minimum coupon
)

// OrderRefusedReasons lists every reason, for metrics that start each
// series at zero.
var OrderRefusedReasons = []string{
	OrderRefusedSoldOut, OrderRefusedUnavailable, OrderRefusedInvalid,
	OrderRefusedDuplicate, OrderRefusedForbidden, OrderRefusedError,
	OrderRefusedPriceChanged, OrderRefusedCoupon,
}
