package app

import "context"

// SettingsService saves the console's settings form: the shop's details
// and, when the form carried them, its checkout settings, together.
type SettingsService interface {
	// UpdateSettings validates both parts and saves them in one
	// transaction, publishing StoreUpdated once: a refusal (EINVALID with
	// every field's message, from both parts) or a failure saves neither.
	// checkout nil leaves the checkout settings as they are; the returned
	// settings are then the current ones.
	UpdateSettings(ctx context.Context, vendorID int64, store StoreSettings, checkout *CheckoutSettings) (*Vendor, *CheckoutSettings, error)
}
