package main

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gin-gonic/gin"
	"go.temporal.io/sdk/client"
	"go.uber.org/zap"

	"egovpm/internal/audit"
	"egovpm/internal/auth"
	"egovpm/internal/config"
	"egovpm/internal/docstore"
	"egovpm/internal/domain"
	"egovpm/internal/notify"
	"egovpm/internal/platform"
	"egovpm/internal/store"
)

// Server holds the gateway's dependencies; handlers are its methods.
type Server struct {
	cfg      config.Config
	temporal client.Client
	store    *store.Store
	auth     *auth.Service
	docs     *docstore.Store
	log      *zap.Logger
	policy   domain.Policy
	// policyFrom is when policy takes effect (R19): nothing is submitted under it before.
	policyFrom time.Time
	// now is the clock of business rules (R2 deadline); tests replace it.
	now    func() time.Time
	engine *gin.Engine
	// decisions limits state-changing workflow requests per user (issue 3: unbounded resource use).
	decisions *auth.Limiter
	// metrics are the gateway's own metrics, in deps.Metrics.
	metrics *gatewayMetrics
	// searchAttrsOK is set once /readyz found the search attributes registered.
	searchAttrsOK atomic.Bool
	// anchor keeps the signed checkpoints of the audit chain's head (R18, checkpoint).
	anchor *audit.Anchor
	// checkpointMu guards lastCheckpoint, the checkpoint this process last wrote.
	checkpointMu   sync.Mutex
	lastCheckpoint *audit.Checkpoint
	// mailer sends the gateway's mail (notify.New over cfg: SMTP, NOTIFY_MAIL_DIR's files or
	// the log); tests may replace it.
	mailer notify.Sender
}

func init() { gin.SetMode(gin.ReleaseMode) }

// New builds the gateway over deps. The policy in force (R19) is loaded once here; a version
// that does not take effect until later refuses the start.
func New(cfg config.Config, deps *platform.Deps, log *zap.Logger) (*Server, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	pol, err := deps.Store.Policy(ctx, cfg.Policy, cfg.Mode == config.ModeProduction)
	if err != nil {
		return nil, err
	}
	if err := deps.Store.CheckPolicyInForce(ctx, cfg.Policy, time.Now()); err != nil {
		return nil, err // R19
	}
	policyFrom, err := deps.Store.PolicyEffectiveFrom(ctx, cfg.Policy)
	if err != nil {
		return nil, err
	}
	if cfg.Mode == config.ModeProduction {
		n, err := deps.Store.CountDemoUsers(ctx)
		if err != nil {
			return nil, err
		}
		if n > 0 {
			return nil, fmt.Errorf("production mode refuses to start: %d demo users are enabled in the database (disable them with `egovpm disable-user`)", n)
		}
	}
	docs, err := docstore.New(cfg.DataDir)
	if err != nil {
		return nil, err
	}
	anchor, err := audit.OpenAnchor(cfg.DataDir)
	if err != nil {
		return nil, err
	}
	s := &Server{
		cfg:        cfg,
		temporal:   deps.Temporal,
		store:      deps.Store,
		docs:       docs,
		anchor:     anchor,
		log:        log,
		policy:     pol,
		policyFrom: policyFrom,
		now:        time.Now,
		mailer:     notify.New(cfg.SMTPAddr, cfg.SMTPFrom, cfg.MailDir, cfg.NotifyLinkBase, log),
		// Default 20 at once, then one every 200 ms: far above a person's pace, far below a
		// script's.
		decisions: auth.NewLimiter(cfg.DecisionEvery, cfg.DecisionBurst, nil),
		auth: auth.NewService(deps.Store, auth.Options{
			Secret:      cfg.TokenSecret,
			TTL:         cfg.TokenTTL,
			MaxFailures: cfg.LoginMaxFailures,
			Lockout:     cfg.LoginLockout,
			Production:  cfg.Mode == config.ModeProduction,
		}),
	}
	if deps.Metrics != nil {
		s.metrics, _ = newGatewayMetrics(deps.Metrics)
		deps.Metrics.MustRegister(newReadinessCollector(s))
	} else {
		s.metrics, _ = newGatewayMetrics(nil)
	}
	gin.SetMode(gin.ReleaseMode)
	s.engine = s.routes()
	return s, nil
}

// Handler returns the HTTP handler.
func (s *Server) Handler() http.Handler { return s.engine }

// checkpoint signs the audit chain's head into the checkpoint file under DATA_DIR and the log
// (R18: the head anchored outside the table it protects, docs/AUDIT.md), unless it is the head
// this process signed last; it returns the checkpoint that stands.
func (s *Server) checkpoint(ctx context.Context) (audit.Checkpoint, error) {
	s.checkpointMu.Lock()
	defer s.checkpointMu.Unlock()
	cp, err := s.store.AuditCheckpoint(ctx)
	if err != nil {
		return cp, err
	}
	if last := s.lastCheckpoint; last != nil && last.Seq == cp.Seq && last.Hash == cp.Hash {
		s.anchored()
		return *last, nil
	}
	if err := s.anchor.Write(cp); err != nil {
		return cp, err
	}
	s.log.Info("audit checkpoint", zap.Any("checkpoint", cp))
	s.lastCheckpoint = &cp
	s.anchored()
	return cp, nil
}

// anchored sets egovpm_audit_checkpoint_timestamp_seconds to now: every row so far is under a
// signed checkpoint. Its age is what the alert EgovpmAuditCheckpointStale watches.
func (s *Server) anchored() {
	if s.metrics != nil {
		s.metrics.checkpointAt.SetToCurrentTime()
	}
}

// RunCheckpoints writes a checkpoint (checkpoint) at once, then every `every` while ctx
// lasts, and a last one when it ends. A failure is logged and retried at the next tick.
func (s *Server) RunCheckpoints(ctx context.Context, every time.Duration) {
	write := func(ctx context.Context) {
		if _, err := s.checkpoint(ctx); err != nil {
			s.log.Error("audit checkpoint failed", zap.Error(err))
		}
	}
	write(ctx)
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			final, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			write(final)
			cancel()
			return
		case <-t.C:
			write(ctx)
		}
	}
}
