//go:build faultinject

package storage

import (
	"fmt"
	"os"
	"syscall"

	"dukaan/app"
)

// faultKillAfterCommit names the event kind ("updated", …) after whose
// commit a test build kills itself.
const faultKillAfterCommit = "DUKAAN_FAULT_KILL_AFTER_COMMIT"

// faultAfterCommit kills this process with SIGKILL right after a commit
// that owes a purge and before any cache tier was purged, when
// DUKAAN_FAULT_KILL_AFTER_COMMIT names the event's kind: the crash the job
// queue exists for (cmd/dukaan's reliability_crash_test.go). Only binaries
// built with -tags faultinject have it, which is why it may read the
// environment itself; production builds compile fault_off.go instead.
func faultAfterCommit(events []app.ProductEvent) {
	kind := os.Getenv(faultKillAfterCommit)
	for _, ev := range events {
		if kind != "" && string(ev.Kind) == kind {
			fmt.Fprintf(os.Stderr, "faultinject: SIGKILL after the commit of %s product %d\n", ev.Kind, ev.ProductID)
			_ = syscall.Kill(os.Getpid(), syscall.SIGKILL)
			select {} // never run another instruction of the request
		}
	}
}
