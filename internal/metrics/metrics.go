// Package metrics is the Prometheus side of every egovpm process: one registry per process,
// served on its own loopback /metrics (EGOVPM_METRICS_ADDR), the read model's connection pools
// as gauges and counters, and the Temporal SDK's own metrics through its tally handler.
//
// Names follow Prometheus conventions: the egovpm_ prefix for the platform's own, temporal_ for
// the SDK's (as Temporal documents them), _total on counters and _seconds on durations.
package metrics

import (
	"context"
	"database/sql"
	"errors"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.uber.org/zap"
)

// Namespace prefixes every metric the platform defines itself.
const Namespace = "egovpm"

// NewRegistry returns a process's registry with the Go runtime and process collectors.
func NewRegistry() *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return reg
}

// Handler is the /metrics handler of g.
func Handler(g prometheus.Gatherer) http.Handler {
	return promhttp.HandlerFor(g, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError})
}

// Serve listens on addr (EGOVPM_METRICS_ADDR; config.Load keeps it on loopback) and serves
// /metrics of g until ctx ends. Empty addr: nothing, and "" is returned. It returns the
// address it listens on (a port 0 is chosen by the kernel). A listen failure is an error:
// an operator who asked for metrics must not get a process that silently has none.
func Serve(ctx context.Context, addr string, g prometheus.Gatherer, log *zap.Logger) (string, error) {
	if addr == "" {
		return "", nil
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return "", err
	}
	mux := http.NewServeMux()
	mux.Handle("/metrics", Handler(g))
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Warn("metrics listener failed", zap.Error(err))
		}
	}()
	go func() {
		<-ctx.Done()
		_ = srv.Close()
	}()
	log.Info("metrics listening", zap.String("addr", ln.Addr().String()))
	return ln.Addr().String(), nil
}

// dbCollector reads sql.DB.Stats of the read model's pools at each scrape.
type dbCollector struct {
	pools  func() map[string]*sql.DB
	queued func() map[string]int

	maxOpen, open, inUse, idle, queuedReads *prometheus.Desc
	waits, waitSeconds, closedIdle          *prometheus.Desc
}

// dbDesc names the pool metrics; DescribeAll lists them for the alert and dashboard checks.
func dbDesc(name, help string) *prometheus.Desc {
	return prometheus.NewDesc(prometheus.BuildFQName(Namespace, "db", name), help, []string{"pool"}, nil)
}

// NewDBCollector reports the connection pools by name ("main", "inbox"; read at each scrape,
// store.Store.Pools): connections open, in use and idle, the pool's limit, how often and how
// long a query waited for a connection (database/sql), and queued, the reads waiting at the
// store's own gate in front of a pool (store.Store.QueuedReads); queued may be nil.
func NewDBCollector(pools func() map[string]*sql.DB, queued func() map[string]int) prometheus.Collector {
	return &dbCollector{
		pools:  pools,
		queued: queued,
		maxOpen: dbDesc("max_open_connections",
			"Connections the pool may open (DATABASE_MAX_CONNS)."),
		open:  dbDesc("open_connections", "Connections open, in use or idle."),
		inUse: dbDesc("connections_in_use", "Connections running a query or transaction."),
		idle:  dbDesc("connections_idle", "Open connections waiting for work."),
		queuedReads: dbDesc("reads_queued",
			"Reads waiting at the store's gate for a connection of the pool (arrival order)."),
		waits:       dbDesc("wait_count_total", "Queries that waited for a free connection."),
		waitSeconds: dbDesc("wait_duration_seconds_total", "Time queries spent waiting for a free connection."),
		closedIdle:  dbDesc("closed_max_idle_total", "Connections closed because the idle pool was full."),
	}
}

// Describe implements prometheus.Collector.
func (c *dbCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.maxOpen, c.open, c.inUse, c.idle, c.queuedReads, c.waits, c.waitSeconds, c.closedIdle} {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (c *dbCollector) Collect(ch chan<- prometheus.Metric) {
	var queued map[string]int
	if c.queued != nil {
		queued = c.queued()
	}
	for name, db := range c.pools() {
		s := db.Stats()
		g := func(d *prometheus.Desc, v float64) {
			ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, name)
		}
		n := func(d *prometheus.Desc, v float64) {
			ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, v, name)
		}
		g(c.maxOpen, float64(s.MaxOpenConnections))
		g(c.open, float64(s.OpenConnections))
		g(c.inUse, float64(s.InUse))
		g(c.idle, float64(s.Idle))
		g(c.queuedReads, float64(queued[name]))
		n(c.waits, float64(s.WaitCount))
		n(c.waitSeconds, s.WaitDuration.Seconds())
		n(c.closedIdle, float64(s.MaxIdleClosed))
	}
}

// DescribedNames returns the metric names cs describe, for the checks that alert rules and
// dashboards name only exported metrics.
func DescribedNames(cs ...prometheus.Collector) []string {
	ch := make(chan *prometheus.Desc, 64)
	go func() {
		for _, c := range cs {
			c.Describe(ch)
		}
		close(ch)
	}()
	var names []string
	for d := range ch {
		// Desc has no accessor for its name; its String is `Desc{fqName: "name", ...}`.
		s := d.String()
		if _, rest, ok := strings.Cut(s, `fqName: "`); ok {
			if name, _, ok := strings.Cut(rest, `"`); ok {
				names = append(names, name)
			}
		}
	}
	return names
}
