package workflows_test

import (
	"testing"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"egovpm/internal/domain"
	"egovpm/internal/platform"
)

// upserts records the Stage values the run upserts into its search attributes.
func upserts(h *harness) *[]string {
	var got []string
	h.env.OnUpsertTypedSearchAttributes(mock.Anything).Run(func(args mock.Arguments) {
		sa, ok := args.Get(0).(temporal.SearchAttributes)
		require.True(h.t, ok, "upserted %T", args.Get(0))
		v, ok := sa.GetKeyword(temporal.NewSearchAttributeKeyKeyword("Stage"))
		require.True(h.t, ok, "an upsert without Stage")
		got = append(got, v)
	}).Return(nil).Maybe()
	return &got
}

// Issue 21 item 5 (stage-search-attribute): every stage the lifecycle enters is upserted into
// the Stage search attribute, in order, so that a visibility query by stage finds the run.
func TestStageSearchAttributeFollowsEveryStage(t *testing.T) {
	_, registered := platform.SearchAttributes["Stage"]
	require.True(t, registered, "Stage is one of the search attributes temporal-setup registers")
	h := newLifecycle(t)
	got := upserts(h)
	h.toAwaitingPlan()
	h.cancel()
	h.runLifecycle(lifecycleInput(largeFen, policy2021()))
	h.requireCancelled()
	var want []string
	for _, s := range h.stages() {
		want = append(want, string(s))
	}
	require.NotEmpty(t, want)
	require.Contains(t, want, string(domain.StageAwaitingPlan))
	require.Equal(t, want, *got)
}

// stage-search-attribute: a run started before it upserts nothing (its histories replay).
func TestStageSearchAttributeNotInOldRuns(t *testing.T) {
	h := newLifecycle(t)
	got := upserts(h)
	startedBefore(t, h.env, "lifecycle-baseline-stage")
	h.env.OnGetVersion("lifecycle-baseline-finish", workflow.DefaultVersion, 1).Return(workflow.Version(1))
	h.env.OnGetVersion("stage-search-attribute", workflow.DefaultVersion, 1).Return(workflow.DefaultVersion)
	h.toAwaitingPlan()
	h.cancel()
	h.runLifecycle(lifecycleInput(largeFen, policy2021()))
	h.requireCancelled()
	require.NotEmpty(t, h.stages())
	require.Empty(t, *got)
}
