package main

import (
	"context"
	"fmt"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/gin-gonic/gin"
	"go.temporal.io/sdk/client"
	"go.uber.org/zap"

	"egovpm/internal/auth"
	"egovpm/internal/config"
	"egovpm/internal/docstore"
	"egovpm/internal/domain"
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
	// now is the clock of business rules (R2 deadline); tests replace it.
	now    func() time.Time
	engine *gin.Engine
	// decisions limits state-changing workflow requests per user (issue 3: unbounded resource use).
	decisions *auth.Limiter
	// metrics are the gateway's own metrics, in deps.Metrics.
	metrics *gatewayMetrics
	// searchAttrsOK is set once /readyz found the search attributes registered.
	searchAttrsOK atomic.Bool
}

func init() { gin.SetMode(gin.ReleaseMode) }

// New builds the gateway over deps. The policy in force (R19) is loaded once here.
func New(cfg config.Config, deps *platform.Deps, log *zap.Logger) (*Server, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	pol, err := deps.Store.Policy(ctx, cfg.Policy, cfg.Mode == config.ModeProduction)
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
	s := &Server{
		cfg:      cfg,
		temporal: deps.Temporal,
		store:    deps.Store,
		docs:     docs,
		log:      log,
		policy:   pol,
		now:      time.Now,
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
