// Package monitor turns what an operator otherwise asks for by hand into gauges a Prometheus
// alert can watch: the stuck list (O1: failing activities, failing or stalled workflow tasks,
// failed runs, overdue tasks), mails that failed for good, and the audit chain's verify result
// (R18). It also runs the reconciliation of resets, terminations and cancellations made
// outside egovpm (ops.Service.Reconcile), counting what it finds. A worker runs it (worker/main.go): the
// reconciliation always, the scans while it serves metrics; several workers each scan, and
// their gauges agree (alert on max()).
package monitor

import (
	"context"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"

	"egovpm/internal/audit"
	"egovpm/internal/metrics"
	"egovpm/internal/ops"
	"egovpm/internal/store"
)

// StuckKinds are the reason kinds of the stuck list (ops.Kind*), each a series of
// egovpm_stuck_workflows even at zero.
var StuckKinds = []string{ops.KindActivityFailing, ops.KindWorkflowTaskFailing, ops.KindWorkflowTaskStalled,
	ops.KindTaskOverdue, ops.KindWorkflowFailed, ops.KindActivityGaveUp}

// Monitor holds the last scan's results and exports them.
type Monitor struct {
	ops   *ops.Service
	store *store.Store
	log   *zap.Logger
	// anchor holds the audit checkpoints VerifyAudit checks the chain against (nil: none).
	anchor *audit.Anchor
	// reconcile tunes Reconcile (zero: ops' defaults).
	reconcile ops.ReconcileOptions

	mu           sync.Mutex
	stuck        map[string]int
	stuckAt      time.Time
	mailFailed   int64
	auditOK      float64
	auditChecked int64
	auditAt      time.Time
	reconcileAt  time.Time

	scanErrors *prometheus.CounterVec
	// external counts the resets, terminations and cancellations made outside egovpm that this
	// process's reconciliation found and wrote audit rows for, by kind (ops.Finding*).
	external *prometheus.CounterVec
	descs    descs
}

type descs struct {
	stuck, stuckAt, mailFailed, auditOK, auditChecked, auditAt, reconcileAt *prometheus.Desc
}

// New returns a Monitor over the ops service and the store; Run fills it.
func New(o *ops.Service, st *store.Store, log *zap.Logger) *Monitor {
	d := func(name, help string, labels ...string) *prometheus.Desc {
		return prometheus.NewDesc(prometheus.BuildFQName(metrics.Namespace, "", name), help, labels, nil)
	}
	return &Monitor{
		ops: o, store: st, log: log, stuck: map[string]int{}, auditOK: -1,
		scanErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: metrics.Namespace, Name: "monitor_scan_errors_total",
			Help: "Scans of the stuck list, the mail failures or the audit chain that failed (the gauges keep their last values).",
		}, []string{"scan"}),
		external: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: metrics.Namespace, Name: "external_workflow_changes_total",
			Help: "Resets, terminations and cancellations made outside egovpm (Temporal Web UI or CLI) that the reconciliation found and audited, by kind.",
		}, []string{"kind"}),
		descs: descs{
			stuck:        d("stuck_workflows", "Workflows in the stuck list (O1) by reason kind at the last scan; a workflow with two reasons counts under each.", "kind"),
			stuckAt:      d("stuck_scan_timestamp_seconds", "When the stuck list was last scanned (Unix time)."),
			mailFailed:   d("notifications_mail_failed_total", "Notifications whose mail the relay refused for good (failed_at set), from the read model."),
			auditOK:      d("audit_chain_ok", "1 when the last audit chain verification found it intact, 0 when broken, -1 before the first."),
			auditChecked: d("audit_chain_rows", "Audit rows the last verification checked."),
			auditAt:      d("audit_verify_timestamp_seconds", "When the audit chain was last verified (Unix time)."),
			reconcileAt:  d("reconcile_timestamp_seconds", "When the reconciliation of changes made outside egovpm last completed (Unix time)."),
		},
	}
}

// Collectors returns what to register: the monitor itself and its error counter.
func (m *Monitor) Collectors() []prometheus.Collector {
	for _, k := range []string{ops.FindingReset, ops.FindingTerminate, ops.FindingCancel} {
		m.external.WithLabelValues(k) // every kind is a series, even at zero
	}
	return []prometheus.Collector{m, m.scanErrors, m.external}
}

// Describe implements prometheus.Collector.
func (m *Monitor) Describe(ch chan<- *prometheus.Desc) {
	d := m.descs
	for _, x := range []*prometheus.Desc{d.stuck, d.stuckAt, d.mailFailed, d.auditOK, d.auditChecked, d.auditAt, d.reconcileAt} {
		ch <- x
	}
}

// Collect implements prometheus.Collector.
func (m *Monitor) Collect(ch chan<- prometheus.Metric) {
	m.mu.Lock()
	defer m.mu.Unlock()
	g := func(d *prometheus.Desc, v float64, l ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, l...)
	}
	if !m.stuckAt.IsZero() {
		for _, k := range StuckKinds {
			g(m.descs.stuck, float64(m.stuck[k]), k)
		}
		g(m.descs.stuckAt, float64(m.stuckAt.Unix()))
		ch <- prometheus.MustNewConstMetric(m.descs.mailFailed, prometheus.CounterValue, float64(m.mailFailed))
	}
	g(m.descs.auditOK, m.auditOK)
	if !m.auditAt.IsZero() {
		g(m.descs.auditChecked, float64(m.auditChecked))
		g(m.descs.auditAt, float64(m.auditAt.Unix()))
	}
	if !m.reconcileAt.IsZero() {
		g(m.descs.reconcileAt, float64(m.reconcileAt.Unix()))
	}
}

// WithReconcile sets the options of Reconcile.
func (m *Monitor) WithReconcile(o ops.ReconcileOptions) *Monitor {
	m.reconcile = o
	return m
}

// Reconcile runs the reconciliation of changes made outside egovpm (ops.Service.Reconcile)
// and counts its findings.
func (m *Monitor) Reconcile(ctx context.Context) error {
	res, err := m.ops.Reconcile(ctx, m.reconcile)
	for _, f := range res.Findings {
		m.external.WithLabelValues(f.Kind).Inc()
	}
	if err != nil {
		m.scanErrors.WithLabelValues("reconcile").Inc()
		return err
	}
	m.mu.Lock()
	m.reconcileAt = time.Now()
	m.mu.Unlock()
	return nil
}

// ScanStuck reads the whole stuck list (every page) and the count of failed mails.
func (m *Monitor) ScanStuck(ctx context.Context) error {
	counts := map[string]int{}
	q := ops.StuckQuery{Limit: 500}
	for {
		page, err := m.ops.Stuck(ctx, q)
		if err != nil {
			m.scanErrors.WithLabelValues("stuck").Inc()
			return err
		}
		for _, w := range page.Items {
			seen := map[string]bool{}
			for _, r := range w.Reasons {
				if !seen[r.Kind] {
					seen[r.Kind] = true
					counts[r.Kind]++
				}
			}
		}
		if page.NextCursor == "" {
			break
		}
		q.Cursor = page.NextCursor
	}
	failed, err := m.store.FailedNotifications(ctx)
	if err != nil {
		m.scanErrors.WithLabelValues("mail").Inc()
		return err
	}
	m.mu.Lock()
	m.stuck, m.stuckAt, m.mailFailed = counts, time.Now(), failed
	m.mu.Unlock()
	return nil
}

// WithAnchor makes VerifyAudit check the chain against the signed checkpoints of a too
// (audit.Chain.VerifyAnchored): a truncation with the head moved back then shows in the gauge.
func (m *Monitor) WithAnchor(a *audit.Anchor) *Monitor {
	m.anchor = a
	return m
}

// VerifyAudit verifies the audit chain (R18) and records the result.
func (m *Monitor) VerifyAudit(ctx context.Context) error {
	res, err := m.store.VerifyAudit(ctx, m.anchor)
	if err != nil {
		m.scanErrors.WithLabelValues("audit").Inc()
		return err
	}
	m.mu.Lock()
	m.auditOK, m.auditChecked, m.auditAt = 0, res.Checked, time.Now()
	if res.OK {
		m.auditOK = 1
	}
	m.mu.Unlock()
	return nil
}

// Every says how often Run runs each job; zero leaves a job out.
type Every struct {
	// Stuck scans the stuck list and the failed mails, Audit verifies the audit chain,
	// Reconcile looks for changes made outside egovpm.
	Stuck, Audit, Reconcile time.Duration
}

// Run runs each job of every (the stuck and mail scan, the audit verification, the
// reconciliation) at its period, the first time at once, until ctx ends. A failed run is
// logged and counted.
func (m *Monitor) Run(ctx context.Context, every Every) {
	type job struct {
		name  string
		every time.Duration
		run   func(context.Context) error
	}
	jobs := []job{{"stuck", every.Stuck, m.ScanStuck}, {"audit", every.Audit, m.VerifyAudit}, {"reconcile", every.Reconcile, m.Reconcile}}
	var wg sync.WaitGroup
	for _, j := range jobs {
		if j.every <= 0 {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			t := time.NewTicker(j.every)
			defer t.Stop()
			for {
				sctx, cancel := context.WithTimeout(ctx, j.every)
				if err := j.run(sctx); err != nil && ctx.Err() == nil {
					m.log.Warn("monitor scan failed", zap.String("scan", j.name), zap.Error(err))
				}
				cancel()
				select {
				case <-ctx.Done():
					return
				case <-t.C:
				}
			}
		}()
	}
	wg.Wait()
}
