package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"egovpm/internal/domain"
	"egovpm/internal/seed"
	"egovpm/internal/store"
	"egovpm/internal/testdb"
)

// planProject is a project of unit-a, by u-alice, that planFixture writes.
type planProject struct {
	id    string
	year  int
	fen   int64
	stage domain.Stage
}

// planFixture seeds the demo and writes projects, submitted in the order listed (a minute
// apart, the last a minute ago); the apply it returns applies a transition (a task due
// workdays calendar days on) and must succeed.
func planFixture(t *testing.T, projects []planProject) (*store.Store, func(domain.Transition) domain.TransitionResult) {
	t.Helper()
	st := testdb.New(t)
	ctx := context.Background()
	require.NoError(t, seed.Demo(ctx, st, "demo-Passw0rd"))
	for i, p := range projects {
		_, err := st.DB().Exec(`INSERT INTO projects (id, unit_id, name, type, plan_year, estimated_investment_fen, mlps_level, stage,
			created_by, submitted_at) VALUES ($1, 'unit-a', '项目' || $1, 'new', $2, $3, 2, $4, 'u-alice', now() - $5 * interval '1 minute')`,
			p.id, p.year, p.fen, p.stage, len(projects)-i)
		require.NoError(t, err)
	}
	due := func(now time.Time, workdays int) time.Time { return now.AddDate(0, 0, workdays) }
	return st, func(tr domain.Transition) domain.TransitionResult {
		t.Helper()
		res, err := st.ApplyTransition(ctx, tr, due)
		require.NoError(t, err)
		return res
	}
}
