package workflows

import (
	"testing"

	"github.com/stretchr/testify/require"

	"egovpm/internal/domain"
)

// TestBundleableR6: a bundle takes the year's projects awaiting approval below the policy's
// threshold and in no bundle yet; nothing else.
func TestBundleableR6(t *testing.T) {
	pol := domain.Policy{SmallThresholdFen: 1_000_000_000}
	ok := domain.PlanProject{PlanYear: 2030, Stage: domain.StageAwaitingApproval, EstimatedFen: 999_999_999}
	require.True(t, Bundleable(ok, 2030, pol))
	for name, r := range map[string]domain.PlanProject{
		"other year":     {PlanYear: 2031, Stage: ok.Stage, EstimatedFen: ok.EstimatedFen},
		"not approved":   {PlanYear: 2030, Stage: domain.StageAwaitingPlan, EstimatedFen: ok.EstimatedFen},
		"at threshold":   {PlanYear: 2030, Stage: ok.Stage, EstimatedFen: 1_000_000_000},
		"bundled":        {PlanYear: 2030, Stage: ok.Stage, EstimatedFen: ok.EstimatedFen, BundleID: "b-1"},
		"special: large": {PlanYear: 2030, Stage: ok.Stage, EstimatedFen: 2_000_000_000, Supplementary: true},
	} {
		require.False(t, Bundleable(r, 2030, pol), name)
	}
}
