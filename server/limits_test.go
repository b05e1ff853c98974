package main

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/zap"

	"egovpm/internal/auth"
	"egovpm/internal/config"
	"egovpm/internal/platform"
	"egovpm/internal/seed"
	"egovpm/internal/testdb"
)

// TestDecisionRateLimit: past the per-user burst, decision endpoints answer 429 with
// Retry-After and change nothing; other users are not affected (issue 3, OWASP API4).
func TestDecisionRateLimit(t *testing.T) {
	t.Parallel()
	s := newStack(t, "2021")
	s.srv.decisions = auth.NewLimiter(time.Hour, 2, nil)
	p := s.createProject("alice", "限流测试项目", futureYear(), 100_000_000)
	s.submit("alice", p)
	task := s.openTask("drb1", p, "prelim_review")
	for range 2 {
		r := s.do("drb1", http.MethodPost, "/api/v1/tasks/"+task+"/claim", nil, nil)
		require.Equal(t, http.StatusOK, r.Status, "%s", r.Raw)
	}
	r := s.decide("drb1", task, map[string]any{"decision": "approve", "comment": "ok"}, nil)
	require.Equal(t, http.StatusTooManyRequests, r.Status, "%s", r.Raw)
	require.Equal(t, "rate_limited", r.code())
	got := s.do("drb1", http.MethodGet, "/api/v1/tasks/"+task, nil, nil)
	require.Equal(t, "open", got.str("status"), "a limited request changes nothing")
	// Another user has their own budget.
	r = s.do("drbsup", http.MethodPost, "/api/v1/tasks/"+task+"/claim", nil, nil)
	require.NotEqual(t, http.StatusTooManyRequests, r.Status)
}

// TestProductionRefusesDemoUsers: a production-mode gateway does not start on a database that
// still has enabled demo users.
func TestProductionRefusesDemoUsers(t *testing.T) {
	t.Parallel()
	st := testdb.New(t)
	require.NoError(t, seed.Demo(context.Background(), st, config.DefaultDemoPassword))
	secret := strings.Repeat("x", 40)
	cfg, err := config.Load(func(k string) string {
		return map[string]string{"EGOVPM_MODE": "production", "EGOVPM_TOKEN_SECRET": secret, "EGOVPM_AUDIT_KEY": secret,
			"DATA_DIR": t.TempDir()}[k]
	})
	require.NoError(t, err)
	_, err = New(cfg, &platform.Deps{Store: st}, zap.NewNop())
	require.ErrorContains(t, err, "demo users")

	_, err = st.DB().Exec(`UPDATE users SET disabled = true WHERE demo`)
	require.NoError(t, err)
	_, err = New(cfg, &platform.Deps{Store: st}, zap.NewNop())
	require.NoError(t, err)
}
