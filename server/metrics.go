package main

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"

	"egovpm/internal/metrics"
	"egovpm/internal/store"
)

// ctxErrorCode is the error code respondError answered with, for the metrics.
const ctxErrorCode = "error_code"

// decisionRoute is the route whose requests count as decisions (egovpm_decisions_total).
const decisionRoute = taskRoute + "/decision"

// gatewayMetrics are the gateway's own metrics (deps.Metrics holds them beside the Temporal
// SDK's and the pools').
type gatewayMetrics struct {
	requests  *prometheus.CounterVec
	duration  *prometheus.HistogramVec
	decisions *prometheus.CounterVec
	limited   *prometheus.CounterVec
	// checkpointAt is when this gateway last anchored the audit chain's head (checkpoint).
	checkpointAt prometheus.Gauge
}

// newGatewayMetrics defines the gateway's metrics; reg nil keeps them unregistered.
func newGatewayMetrics(reg prometheus.Registerer) (*gatewayMetrics, []prometheus.Collector) {
	m := &gatewayMetrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: metrics.Namespace, Subsystem: "http", Name: "requests_total",
			Help: "HTTP requests by route template, method and status.",
		}, []string{"route", "method", "status"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: metrics.Namespace, Subsystem: "http", Name: "request_duration_seconds",
			Help:    "HTTP request latency by route template and method, from the first middleware to the response.",
			Buckets: []float64{.0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
		}, []string{"route", "method"}),
		decisions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: metrics.Namespace, Name: "decisions_total",
			Help: "Task decisions (POST /api/v1/tasks/{id}/decision) by task kind and outcome: applied, or the error code.",
		}, []string{"kind", "outcome"}),
		limited: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: metrics.Namespace, Name: "rate_limited_total",
			Help: "Requests refused with 429 by route template and code (rate_limited: the decision rate limit; the login throttle's own code).",
		}, []string{"route", "code"}),
		checkpointAt: prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: metrics.Namespace, Subsystem: "audit", Name: "checkpoint_timestamp_seconds",
			Help: "When this gateway last anchored the audit chain's head (R18): signed a checkpoint, or found the head where its last checkpoint put it (Unix time).",
		}),
	}
	cs := []prometheus.Collector{m.requests, m.duration, m.decisions, m.limited, m.checkpointAt}
	if reg != nil {
		reg.MustRegister(cs...)
	}
	return m, cs
}

// knownMethods bounds the method label: a client may send any token as a method.
var knownMethods = map[string]bool{http.MethodGet: true, http.MethodHead: true, http.MethodPost: true, http.MethodPut: true,
	http.MethodPatch: true, http.MethodDelete: true, http.MethodOptions: true}

// observe counts and times every request by its route template (never the raw path: ids would
// make a series each), and the decisions and 429 refusals among them.
// A Server built without New (tests) counts into metrics of its own, registered nowhere.
func (s *Server) observe() gin.HandlerFunc {
	m := s.metrics
	if m == nil {
		m, _ = newGatewayMetrics(nil)
	}
	return func(c *gin.Context) {
		start := time.Now()
		c.Next()
		route := c.FullPath()
		if route == "" {
			route = "unmatched"
		}
		method := c.Request.Method
		if !knownMethods[method] {
			method = "OTHER"
		}
		status := c.Writer.Status()
		code := c.GetString(ctxErrorCode)
		m.requests.WithLabelValues(route, method, strconv.Itoa(status)).Inc()
		m.duration.WithLabelValues(route, method).Observe(time.Since(start).Seconds())
		if status == http.StatusTooManyRequests {
			m.limited.WithLabelValues(route, code).Inc()
		}
		if route == decisionRoute && method == http.MethodPost {
			kind := "unknown"
			if t, ok := c.Value(ctxTask).(store.Task); ok {
				kind = t.Kind
			}
			outcome := "applied"
			if status >= 300 {
				outcome = code
				if outcome == "" {
					outcome = strconv.Itoa(status)
				}
			}
			m.decisions.WithLabelValues(kind, outcome).Inc()
		}
	}
}

// readinessCollector exports the /readyz checks at each scrape: egovpm_ready (1 ready, 0 not)
// and egovpm_ready_check{check} for each dependency (postgres, temporal, search_attributes,
// worker), so an alert needs no probe of its own.
type readinessCollector struct {
	s            *Server
	ready, check *prometheus.Desc
}

func newReadinessCollector(s *Server) *readinessCollector {
	return &readinessCollector{
		s: s,
		ready: prometheus.NewDesc(prometheus.BuildFQName(metrics.Namespace, "", "ready"),
			"1 when /readyz answers 200: PostgreSQL and Temporal reachable, the search attributes registered, a worker polling the task queue.", nil, nil),
		check: prometheus.NewDesc(prometheus.BuildFQName(metrics.Namespace, "ready", "check"),
			"1 when the readiness check passes, by check.", []string{"check"}, nil),
	}
}

// Describe implements prometheus.Collector.
func (r *readinessCollector) Describe(ch chan<- *prometheus.Desc) { ch <- r.ready; ch <- r.check }

// Collect implements prometheus.Collector.
func (r *readinessCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	failed, _ := r.s.readiness(ctx)
	b := func(ok bool) float64 {
		if ok {
			return 1
		}
		return 0
	}
	ch <- prometheus.MustNewConstMetric(r.ready, prometheus.GaugeValue, b(len(failed) == 0))
	for _, name := range readinessChecks {
		_, bad := failed[name]
		ch <- prometheus.MustNewConstMetric(r.check, prometheus.GaugeValue, b(!bad), name)
	}
}
