package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"dukaan/stack"
)

// runStack is `dukaan-lab stack`: it starts the production-like local stack (stack/) and stops it
// when ctx ends (Ctrl-C, SIGTERM) or one of its processes dies.
func runStack(ctx context.Context, args []string, out io.Writer) error {
	o := stack.Defaults()
	o.Binary = appBinary()
	fs := flag.NewFlagSet("stack", flag.ContinueOnError)
	fs.SetOutput(out)
	fs.Usage = func() {
		fmt.Fprintln(out, "usage: dukaan-lab stack [flags]\n\nThe production topology on loopback (stack/). Its replicas run as DUKAAN_ENV=development:\nproduction requires DUKAAN_HTTPS=true, and the stack speaks plain HTTP.\n\nFlags:")
		fs.PrintDefaults()
	}
	fs.StringVar(&o.Binary, "binary", o.Binary, "the dukaan binary the replicas and edges run")
	fs.StringVar(&o.DataDir, "dir", o.DataDir, "configurations, logs, caches, images and private databases")
	fs.StringVar(&o.MonitoringDir, "monitoring", o.MonitoringDir, "directory of the Prometheus rules and the mtail program")
	fs.StringVar(&o.Domain, "domain", o.Domain, "base domain: shops at <store>.<domain>, the console at admin.<domain>")
	fs.StringVar(&o.Postgres, "postgres", o.Postgres, `"auto" (127.0.0.1:5432 if it answers, else private), "private", or the postgres:// URL of a server to create -database on`)
	fs.StringVar(&o.Database, "database", o.Database, "database the stack creates and uses")
	fs.StringVar(&o.Redis, "redis", o.Redis, `"auto" (127.0.0.1:6379 if it answers, else private), "private", or a redis:// URL`)
	fs.StringVar(&o.RedisPrefix, "redis-prefix", o.RedisPrefix, "key prefix of the stack on Redis (cleared at start)")
	fs.IntVar(&o.Entry, "entry-port", o.Entry, "the public port (nginx in front of the edges)")
	fs.IntVar(&o.Prometheus, "prometheus-port", o.Prometheus, "Prometheus (web UI and API)")
	fs.IntVar(&o.TLS, "tls-port", o.TLS, "Caddy's HTTPS port in front of the edges, internal CA (-1: no Caddy)")
	fs.IntVar(&o.TLSHTTP, "tls-http-port", o.TLSHTTP, "Caddy's HTTP port (redirects to HTTPS)")
	fs.IntVar(&o.PostgresPort, "postgres-port", o.PostgresPort, "a private PostgreSQL's port (0: a free one)")
	fs.IntVar(&o.RedisPort, "redis-port", o.RedisPort, "a private redis-server's port (0: a free one)")
	ports := map[string]*[]int{"app-ports": &o.Apps, "edge-ports": &o.Edges, "mtail-ports": &o.Mtail, "exporter-ports": &o.Exporters}
	usage := map[string]string{
		"app-ports": "app replicas, comma-separated (one replica per port)", "edge-ports": "nginx edges (one edge per port)",
		"mtail-ports": "mtail, one per edge", "exporter-ports": "prometheus-nginx-exporter, one per edge",
	}
	for name, p := range ports {
		fs.Func(name, usage[name]+" (default "+joinPorts(*p)+")", func(v string) error {
			list, err := parsePorts(v)
			*p = list
			return err
		})
	}
	fs.DurationVar(&o.ScrapeInterval, "scrape-interval", o.ScrapeInterval, "Prometheus scrape and rule interval")
	fs.StringVar(&o.NginxWorkers, "nginx-workers", o.NginxWorkers, `worker processes of the entry and of each edge ("auto" or a number)`)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil // the flags were printed
		}
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("stack: unexpected arguments %q", fs.Args())
	}
	o.Log = out
	began := time.Now()
	fmt.Fprintln(out, "Starting the stack…")
	s, err := stack.Start(ctx, o)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "started in %s\n", time.Since(began).Round(100*time.Millisecond))
	s.Summary(out)
	werr := s.Wait(ctx)
	if werr != nil {
		fmt.Fprintln(out, "\nA process of the stack exited on its own (below): stopping the others.")
	}
	fmt.Fprintln(out, "\nStopping the stack…")
	began = time.Now()
	cerr := s.Close()
	if cerr == nil {
		fmt.Fprintf(out, "stopped in %s; data and logs kept in %s\n", time.Since(began).Round(100*time.Millisecond), o.DataDir)
	}
	return errors.Join(werr, cerr)
}

func parsePorts(v string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(v, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 0 || n > 65535 {
			return nil, fmt.Errorf("port %q: want a number 0..65535", f)
		}
		out = append(out, n)
	}
	return out, nil
}

func joinPorts(ps []int) string {
	s := make([]string, len(ps))
	for i, p := range ps {
		s[i] = strconv.Itoa(p)
	}
	return strings.Join(s, ",")
}
