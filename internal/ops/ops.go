// Package ops is the operations toolkit for stuck workflows (SPEC.md O1–O3): it lists
// workflows that need a person (failing activities, failing or stalled workflow tasks, failed
// runs, overdue human tasks), resets a workflow to its last good workflow task, retries a failing activity now,
// and replays recorded or live histories against this build's workflow code.
//
// The HTTP handlers (role ops) and the CLI (ops-* commands) are thin callers of Service; every
// action that changes a workflow or checks a build writes an audit row (R18).
package ops

import (
	"cmp"
	"context"
	"fmt"
	"time"

	"go.temporal.io/sdk/client"
	"go.uber.org/zap"

	"egovpm/internal/audit"
	"egovpm/internal/store"
)

// Defaults of Options.
const (
	// DefaultMinAttempts is N of O1: an activity on its Nth attempt or later is failing.
	DefaultMinAttempts = 3
	// DefaultMaxScan caps the open (and, apart, the failed) runs one Stuck call describes.
	DefaultMaxScan = 5000
	// DefaultMaxLiveReplay caps the live histories one Replay call fetches and replays.
	DefaultMaxLiveReplay = 500
	// DefaultHeartbeatStall is how long a workflow task may stay scheduled without a worker,
	// or keep heartbeating (a local activity retrying inside it), before it counts as stalled.
	DefaultHeartbeatStall = 2 * time.Minute
)

// Audit actions.
const (
	ActionReset  = "ops.reset"
	ActionRetry  = "ops.retry"
	ActionReplay = "ops.replay"
)

// Options tune a Service; zero values take the defaults above.
type Options struct {
	// Namespace is the Temporal namespace (raw workflow-service calls need it).
	Namespace string
	// MinAttempts is the default N of O1.
	MinAttempts int32
	// OverdueGrace is how long past its due date an open human task must be to count as
	// overdue past escalation (0: any task past its due date).
	OverdueGrace time.Duration
	// HeartbeatStall: see DefaultHeartbeatStall.
	HeartbeatStall time.Duration
	// MaxScan: see DefaultMaxScan.
	MaxScan int
	// MaxLiveReplay: see DefaultMaxLiveReplay.
	MaxLiveReplay int
	// Register registers the workflows histories are replayed against: this build's
	// (workflows.Register, handed in by the worker, the gateway and the CLI). Without it Replay
	// refuses.
	Register func(Registry)
	// Now is the clock; nil: time.Now.
	Now func() time.Time
}

// Service runs the ops actions against Temporal and the read model.
type Service struct {
	temporal client.Client
	store    *store.Store
	log      *zap.Logger
	opts     Options
}

// New returns a Service over the Temporal client tc (nil is allowed when only posted
// histories are replayed) and the store st (overdue tasks, audit rows).
func New(tc client.Client, st *store.Store, log *zap.Logger, opts Options) *Service {
	opts.Namespace = cmp.Or(opts.Namespace, "default")
	opts.MinAttempts = cmp.Or(opts.MinAttempts, DefaultMinAttempts)
	opts.HeartbeatStall = cmp.Or(opts.HeartbeatStall, DefaultHeartbeatStall)
	opts.MaxScan = cmp.Or(opts.MaxScan, DefaultMaxScan)
	opts.MaxLiveReplay = cmp.Or(opts.MaxLiveReplay, DefaultMaxLiveReplay)
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if log == nil {
		log = zap.NewNop()
	}
	return &Service{temporal: tc, store: st, log: log, opts: opts}
}

// Registry is what Options.Register registers workflows in (a replayer); the same type as
// workflows.Registry, so that workflows.Register is an Options.Register.
type Registry = interface{ RegisterWorkflow(w any) }

// Actor is who performs an ops action, as the audit log records it.
type Actor struct {
	ID        string
	OrgID     string
	RequestID string
	ClientIP  string
	// OSUser is the operating-system user running a CLI action.
	OSUser string
}

// identity is what Temporal records as the requester of a reset or an activity reset.
func (a Actor) identity() string { return "egovpm-ops:" + a.ID }

// audit writes one audit row for an ops action on a workflow in its own transaction.
func (s *Service) audit(ctx context.Context, a Actor, action, workflowID, outcome string, detail map[string]any) error {
	if a.OSUser != "" {
		detail["os_user"] = a.OSUser
	}
	err := s.store.WithTx(ctx, func(tx *store.Tx) error {
		return s.store.AppendAudit(ctx, tx, audit.Entry{ActorID: a.ID, OrgID: a.OrgID, Action: action,
			ObjectType: "workflow", ObjectID: workflowID, Outcome: outcome, RequestID: a.RequestID,
			ClientIP: a.ClientIP, Detail: detail})
	})
	if err != nil {
		return fmt.Errorf("audit %s of %s: %w", action, workflowID, err)
	}
	return nil
}

// auditFailure records a refused or failed action; the action's own error is what the
// caller reports, so an audit failure here is only logged.
func (s *Service) auditFailure(ctx context.Context, a Actor, action, workflowID string, detail map[string]any, cause error) {
	detail["error"] = cause.Error()
	if err := s.audit(ctx, a, action, workflowID, "failed", detail); err != nil {
		s.log.Error("ops audit failed", zap.String("action", action), zap.String("workflow_id", workflowID), zap.Error(err))
	}
}
