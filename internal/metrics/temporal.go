package metrics

import (
	"io"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	tallyprom "github.com/uber-go/tally/v4/prometheus"
	"go.temporal.io/sdk/client"
	sdktally "go.temporal.io/sdk/contrib/tally"
	"go.uber.org/zap"

	"github.com/uber-go/tally/v4"
)

// TemporalReportEvery is how often the SDK's metrics reach the registry (tally reports on an
// interval; a scrape between two reports sees the previous values).
const TemporalReportEvery = time.Second

// TemporalSDK lists the Temporal SDK metrics (as this package names them: _total, _seconds)
// that deploy/prometheus/alerts.yml and the Grafana dashboard use. TestTemporalSDKNames checks
// each against the SDK's own metric names.
var TemporalSDK = []string{
	"temporal_workflow_task_execution_failed_total",
	"temporal_workflow_task_execution_latency_seconds",
	"temporal_workflow_task_schedule_to_start_latency_seconds",
	"temporal_workflow_completed_total",
	"temporal_workflow_failed_total",
	"temporal_activity_execution_failed_total",
	"temporal_activity_execution_latency_seconds",
	"temporal_local_activity_execution_failed_total",
	"temporal_sticky_cache_hit_total",
	"temporal_sticky_cache_miss_total",
	"temporal_sticky_cache_size",
	"temporal_request_failure_total",
	"temporal_worker_task_slots_available",
}

// TemporalBuckets are the latency buckets (seconds) of the SDK's timers: a decision's workflow
// task takes milliseconds, an activity up to its timeout.
var TemporalBuckets = []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60}

// NewTemporalHandler returns the SDK's metrics handler (client.Options.MetricsHandler) over a
// tally scope that reports to reg every TemporalReportEvery, with Prometheus naming (counters
// end in _total, timers are histograms in seconds ending in _seconds). Close the returned
// closer when the client is closed. Each metric is looked up in tally once per tag set and name
// (cachedHandler).
func NewTemporalHandler(reg prometheus.Registerer, log *zap.Logger) (client.MetricsHandler, io.Closer) {
	h, closer := tallyHandler(reg, log)
	return newCachedHandler(h), closer
}

// tallyHandler is NewTemporalHandler without the cache.
func tallyHandler(reg prometheus.Registerer, log *zap.Logger) (client.MetricsHandler, io.Closer) {
	reporter := tallyprom.NewReporter(tallyprom.Options{
		Registerer:              reg,
		DefaultTimerType:        tallyprom.HistogramTimerType,
		DefaultHistogramBuckets: TemporalBuckets,
		// The SDK reports one name with several tag sets only by mistake; such a metric is
		// dropped with a warning instead of panicking the process.
		OnRegisterError: func(err error) { log.Warn("temporal metric not registered", zap.Error(err)) },
	})
	scope, closer := tally.NewRootScope(tally.ScopeOptions{
		CachedReporter:  reporter,
		Separator:       tallyprom.DefaultSeparator,
		SanitizeOptions: &sanitize,
	}, TemporalReportEvery)
	return sdktally.NewMetricsHandler(sdktally.NewPrometheusNamingScope(scope)), closer
}

// sanitize keeps tally's names and tag values within Prometheus's character set.
var sanitize = tally.SanitizeOptions{
	NameCharacters:       tally.ValidCharacters{Ranges: tally.AlphanumericRange, Characters: []rune{'_'}},
	KeyCharacters:        tally.ValidCharacters{Ranges: tally.AlphanumericRange, Characters: []rune{'_'}},
	ValueCharacters:      tally.ValidCharacters{Ranges: tally.AlphanumericRange, Characters: []rune{'_'}},
	ReplacementCharacter: tally.DefaultReplacementCharacter,
}
