// Command dukaan-lab holds what runs Dukaan on a developer's machine but
// is not shipped in the image: the benchmarks and the local
// production-like stack. Both run the dukaan binary (bin/dukaan, built by
// `make build`) as the app under test, so the load generators (vegeta,
// wrk's parsers, tdigest) and the HTML parsing of the bench stay out of
// cmd/dukaan.
//
//	dukaan-lab bench [flags]   the benchmarks (bench/, make bench)
//	dukaan-lab stack [flags]   the local production-like stack (stack/, make stack)
//	dukaan-lab lighthouse [flags]  Lighthouse scores of the demo shop (make lighthouse)
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"dukaan/bench"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "dukaan-lab:", err)
		os.Exit(1)
	}
}

const usage = "usage: dukaan-lab bench [flags] | stack [flags] | lighthouse [flags] (-h after any lists its flags)"

func run(ctx context.Context, args []string, out io.Writer) error {
	if len(args) == 0 {
		fmt.Fprintln(out, usage)
		return fmt.Errorf("a command is required")
	}
	cmd, args := args[0], args[1:]
	switch cmd {
	case "bench":
		// The bench starts its own stack from the dukaan binary.
		return bench.Main(ctx, args, appBinary(), out)
	case "goceiling":
		// The bench's Go ceiling, run by the bench as a process of its own.
		return bench.GoCeilingMain(ctx, args, out)
	case "stack":
		// The stack configures each replica it starts, not itself.
		return runStack(ctx, args, out)
	case "lighthouse":
		// The stack's app and edge, measured by Lighthouse.
		return runLighthouse(ctx, args, out)
	case "help", "-h", "--help":
		fmt.Fprintln(out, usage)
		return nil
	}
	return fmt.Errorf("unknown command %q (want bench, stack or lighthouse)", cmd)
}

// appBinary is the default app under test: the dukaan beside this
// executable (make puts both in bin/), else bin/dukaan.
func appBinary() string {
	if exe, err := os.Executable(); err == nil {
		bin := filepath.Join(filepath.Dir(exe), "dukaan")
		if fi, err := os.Stat(bin); err == nil && !fi.IsDir() {
			return bin
		}
	}
	return filepath.Join("bin", "dukaan")
}
