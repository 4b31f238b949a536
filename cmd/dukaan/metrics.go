package main

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"dukaan/monitoring"
)

// version is the release, set at build time with
// -ldflags "-X main.version=v1.2.3"; empty reports the module version.
var version string

// openMetrics creates the program's own registry and metrics. It runs
// first, so the page cache can report its purges from the start.
func (m *Main) openMetrics() error {
	met, err := monitoring.New(prometheus.NewRegistry(), monitoring.Options{Version: version})
	if err != nil {
		return err
	}
	m.Metrics = met
	return nil
}

// watchMetrics exports what Run opened: the page cache's counters, the
// database and Redis pools, and whether each dependency answers.
func (m *Main) watchMetrics() error {
	if err := m.Metrics.WatchPageCache(m.Pages.Stats); err != nil {
		return err
	}
	if err := m.Metrics.WatchDB(m.DB.Bun().DB, "dukaan"); err != nil {
		return err
	}
	if err := m.Metrics.WatchJobs(m.DB.Bun().DB, m.DB.Dialect()); err != nil {
		return err
	}
	m.Metrics.WatchDependency("database", m.DB.Ping)
	if m.Redis != nil {
		if err := m.Metrics.WatchRedis(m.Redis); err != nil {
			return err
		}
		m.Metrics.WatchDependency("redis", func(ctx context.Context) error { return m.Redis.Ping(ctx).Err() })
	}
	return nil
}

// onPurge is the page cache's purge observer, nil without metrics.
func (m *Main) onPurge() func(tier, target string, d time.Duration, err error) {
	if m.Metrics == nil {
		return nil
	}
	return m.Metrics.ObservePurge
}
