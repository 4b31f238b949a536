//go:build pprof

package main

import (
	"log"
	"net/http"
	_ "net/http/pprof" // registers /debug/pprof/ on http.DefaultServeMux
)

// A binary built with -tags pprof (`make bench-profile`) serves Go's
// profiler on DUKAAN_PPROF_ADDR (Config.PprofAddr), a listener of its own
// that the app's routes never share, so the benchmarks can show where a
// tier's time goes. Builds without the tag do not contain this file.
func init() {
	startPprof = func(addr string) {
		go func() {
			if err := http.ListenAndServe(addr, nil); err != nil {
				log.Printf("pprof on %s: %v", addr, err)
			}
		}()
	}
}
