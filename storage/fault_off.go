//go:build !faultinject

package storage

import "dukaan/app"

// faultAfterCommit is a fault-injection point that exists only in test
// builds (fault_on.go, -tags faultinject); here it does nothing.
func faultAfterCommit([]app.ProductEvent) {}
