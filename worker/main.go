// Command worker runs the egovpm Temporal worker: it registers the lifecycle workflows and the
// activities and polls the task queue until SIGINT/SIGTERM.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"go.temporal.io/sdk/worker"
	"go.uber.org/zap"

	"egovpm/activities"
	"egovpm/internal/audit"
	"egovpm/internal/config"
	"egovpm/internal/logging"
	"egovpm/internal/metrics"
	"egovpm/internal/monitor"
	"egovpm/internal/notify"
	"egovpm/internal/ops"
	"egovpm/internal/platform"
	"egovpm/internal/tracing"
	"egovpm/worker/setup"
	"egovpm/workflows"
)

// mailSweepEvery is how often the worker mails the notifications left unsent
// (activities.MailSweep).
const mailSweepEvery = time.Minute

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "worker:", err)
		os.Exit(1)
	}
}

func run() error {
	cfg, err := config.Load(os.Getenv)
	if err != nil {
		return err
	}
	cfg.Component = "worker"
	log, err := logging.New(cfg.LogLevel)
	if err != nil {
		return err
	}
	defer func() { _ = log.Sync() }()
	platform.TuneGC(os.LookupEnv, platform.WorkerGC(cfg.WorkflowCache), log)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	tr, err := tracing.Setup(ctx, os.Getenv, "egovpm-worker", log)
	if err != nil {
		return err
	}
	defer func() { _ = tr.Shutdown(context.WithoutCancel(ctx)) }()

	deps, err := platform.Connect(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer deps.Close()
	platform.ServePprof(ctx, cfg.PprofAddr, log)
	// Without the search attributes every workflow start fails: refuse to poll, naming them and
	// the command that registers them.
	if err := platform.CheckSearchAttributes(ctx, deps.Temporal, cfg.TemporalNamespace); err != nil {
		return err
	}
	runMonitor(ctx, cfg, deps, log)

	sender := notify.New(cfg.SMTPAddr, cfg.SMTPFrom, cfg.MailDir, cfg.NotifyLinkBase, log)
	// The sticky cache bounds the worker's memory: it holds at most WorkflowCache workflows;
	// an evicted workflow replays its history at its next event.
	worker.SetStickyWorkflowCacheSize(cfg.WorkflowCache)
	// R19: the annual cycle starts plans under cfg.Policy; a version not yet in force is refused.
	if err := deps.Store.CheckPolicyInForce(ctx, cfg.Policy, time.Now()); err != nil {
		return err
	}
	w := setup.NewWorker(deps.Temporal, cfg.TaskQueue, deps.Store, log, sender)
	// Mail of the notifications nobody sent at once (issue 19 item 1: derived notices), and the
	// daily digests, whose items link into the web UI when NOTIFY_LINK_BASE is set.
	go activities.MailSweep{Store: deps.Store, Sender: sender, Log: log, Every: mailSweepEvery,
		RecordEvery: activities.MailRecordEvery, LinkBase: cfg.NotifyLinkBase}.Run(ctx)
	// T1: the yearly Schedule that opens next year's plan (idempotent).
	if err := setup.EnsureSchedule(ctx, deps.Temporal, setup.AnnualScheduleID, cfg.TaskQueue, cfg.Policy); err != nil {
		return err
	}
	if err := w.Start(); err != nil {
		return fmt.Errorf("start worker: %w", err)
	}
	log.Info("worker polling", zap.String("task_queue", cfg.TaskQueue), zap.String("temporal", cfg.TemporalAddress))
	<-ctx.Done()
	log.Info("worker stopping")
	w.Stop()
	return nil
}

// runMonitor runs the reconciliation of resets and terminations made outside egovpm every
// EGOVPM_RECONCILE_EVERY (their audit rows do not wait for metrics), and serves the worker's
// /metrics (EGOVPM_METRICS_ADDR, default config.DefaultWorkerMetricsAddr): the Temporal SDK's
// metrics, the read model's pools, and the monitor's gauges (stuck list, failed mails, audit
// chain, the reconciliation's findings), which it scans only while metrics are served. A
// listen failure is logged: the worker polls regardless.
func runMonitor(ctx context.Context, cfg config.Config, deps *platform.Deps, log *zap.Logger) {
	// The gateway writes the audit checkpoints into DATA_DIR; the worker only reads them.
	mon := monitor.New(ops.New(deps.Temporal, deps.Store, log, ops.Options{Namespace: cfg.TemporalNamespace, Register: workflows.Register}), deps.Store, log).
		WithAnchor(audit.AnchorAt(filepath.Join(cfg.DataDir, audit.AnchorFile)))
	every := monitor.Every{Reconcile: cfg.ReconcileEvery}
	if serveMetrics(ctx, cfg, deps, log) {
		deps.Metrics.MustRegister(mon.Collectors()...)
		every.Stuck, every.Audit = cfg.OpsScanEvery, cfg.AuditVerifyEvery
	}
	go mon.Run(ctx, every)
}

// serveMetrics serves deps.Metrics on the worker's metrics address and reports whether it does.
func serveMetrics(ctx context.Context, cfg config.Config, deps *platform.Deps, log *zap.Logger) bool {
	addr := cfg.MetricsListen(config.DefaultWorkerMetricsAddr)
	if addr == "" {
		return false
	}
	if _, err := metrics.Serve(ctx, addr, deps.Metrics, log); err != nil {
		log.Error("metrics not served", zap.String("addr", addr), zap.Error(err))
		return false
	}
	return true
}
