package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"dukaan/storage"
	"dukaan/storage/jobs"
)

// jobsFlags are `dukaan jobs`' flags.
type jobsFlags struct {
	waiting, running, discarded *time.Duration
}

func addJobsFlags(fs *flag.FlagSet, out io.Writer) jobsFlags {
	fs.Usage = func() {
		fmt.Fprint(out, "usage: dukaan jobs [--waiting D] [--running D] [--discarded D]\n\n"+
			"Lists the stuck jobs of the queue: available or retryable for longer than --waiting,\n"+
			"running longer than --running, and discarded within --discarded, with their kind,\n"+
			"store, attempts and last error. The database comes from the environment (README.md).\n\n")
		fs.PrintDefaults()
	}
	return jobsFlags{
		waiting:   fs.Duration("waiting", time.Minute, "a job waiting (available) or failing (retryable) longer than this is stuck"),
		running:   fs.Duration("running", 0, "an attempt running longer than this is stuck (default DUKAAN_JOB_TIMEOUT)"),
		discarded: fs.Duration("discarded", 24*time.Hour, "list the jobs discarded within this"),
	}
}

// listJobs prints the stuck jobs. It reads the queue only: no migration,
// no workers, so it is safe to run beside live replicas.
func (m *Main) listJobs(ctx context.Context, f jobsFlags) error {
	if *f.waiting < 0 || *f.running < 0 || *f.discarded < 0 {
		return fmt.Errorf("jobs: durations must not be negative")
	}
	running := *f.running
	if running == 0 {
		running = m.Config.JobTimeout
	}
	db, err := storage.Open(ctx, storage.Config{DSN: m.Config.DatabaseURL, Logger: m.Logger, MaxOpenConns: 2})
	if err != nil {
		return err
	}
	m.DB = db
	stuck, err := jobs.Stuck(ctx, db.Bun().DB, db.Dialect(), jobs.StuckOpts{
		Waiting: *f.waiting, Running: running, Discarded: *f.discarded,
	})
	if err != nil {
		return fmt.Errorf("%w (has `dukaan migrate` run on this database?)", err)
	}
	criteria := fmt.Sprintf("available or retryable for over %s, running over %s, discarded in the last %s",
		*f.waiting, running, *f.discarded)
	if len(stuck) == 0 {
		fmt.Fprintf(m.out, "no stuck jobs (%s)\n", criteria)
		return nil
	}
	slugs := map[int64]string{}
	tw := tabwriter.NewWriter(m.out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tKIND\tSTATE\tSTORE\tATTEMPTS\tFOR\tLAST ERROR")
	for _, j := range stuck {
		store := "-"
		if j.StoreID != 0 {
			if _, ok := slugs[j.StoreID]; !ok {
				slugs[j.StoreID] = strconv.FormatInt(j.StoreID, 10)
				if v, err := db.VendorByID(ctx, j.StoreID); err == nil {
					slugs[j.StoreID] = v.Slug + " (" + slugs[j.StoreID] + ")"
				}
			}
			store = slugs[j.StoreID]
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%d/%d\t%s\t%s\n", j.ID, j.Kind, j.State, store,
			j.Attempt, j.MaxAttempts, j.Age, oneLine(j.LastError, 120))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(m.out, "%d stuck job(s) (%s)\n", len(stuck), criteria)
	return nil
}

// oneLine is s on one line, cut to at most n runes ("-" when empty).
func oneLine(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if s == "" {
		return "-"
	}
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}
