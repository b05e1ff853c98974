package store_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"egovpm/internal/authz"
	"egovpm/internal/domain"
)

// TestR16ComputeSimilarStoresACandidateWhosePartsAreEachBelowHalf: a submitted project alike
// enough to be a candidate (score ≥ 0.3) though neither its name nor its description is half
// alike is stored with the reason that weighed most; the write never puts NULL into
// project_similar.reasons (NOT NULL), which failed ComputeSimilar on every attempt.
func TestR16ComputeSimilarStoresACandidateWhosePartsAreEachBelowHalf(t *testing.T) {
	f := newPayFixture(t)
	ctx := context.Background()
	a := f.project("unit-a", 2030, "prelim_review", nil)
	b := f.project("unit-b", 2030, "prelim_review", nil)
	_, err := f.st.DB().Exec(`UPDATE projects SET name = '六安市智慧教育云平台', description = '建设全市统一的教育资源公共服务平台' WHERE id = $1;`, a)
	require.NoError(t, err)
	_, err = f.st.DB().Exec(`UPDATE projects SET name = '智慧医疗云平台', description = '建设全市医疗健康信息服务平台' WHERE id = $1`, b)
	require.NoError(t, err)

	n, err := f.st.ComputeSimilar(ctx, b)
	require.NoError(t, err)
	require.Equal(t, 1, n)
	drb := authz.ReachOf(domain.Actor{ID: "u-drb1", OrgID: "drb", Roles: []string{domain.RoleDRBReviewer}})
	rows, err := f.st.Similar(ctx, b, drb)
	require.NoError(t, err)
	require.Len(t, rows, 1)
	require.Equal(t, a, rows[0].ProjectID)
	require.Equal(t, []string{"name"}, []string(rows[0].Reasons))
}
