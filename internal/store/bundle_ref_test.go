package store_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"

	"egovpm/internal/domain"
)

// TestBundleByReferenceTakesTheCandidates (issue 20 item 1, bundle-by-reference): the summary
// an AnnualPlan reads counts a bundle's candidates without listing them (small, awaiting
// approval, of the year, in no other bundle); Apply writes exactly those as the bundle's
// members with INSERT … SELECT, lists them on its task, audits each once (a retried Apply
// writes nothing twice) and answers their count and digest; a summary read again after the
// write (a retried workflow task) counts the same; the decision writes one outcome for all
// but the excluded.
func TestBundleByReferenceTakesTheCandidates(t *testing.T) {
	st, apply := planFixture(t, []planProject{{"pa", 2031, 500_000_000, domain.StageAwaitingApproval},
		{"pb", 2031, 300_000_000, domain.StageAwaitingApproval}, {"pL", 2031, 2_000_000_000, domain.StageAwaitingApproval},
		{"pc", 2031, 500_000_000, domain.StageExpertReview}, {"pd", 2032, 500_000_000, domain.StageAwaitingApproval},
		{"px", 2031, 500_000_000, domain.StageAwaitingApproval}})
	ctx := context.Background()
	apply(domain.Transition{ID: "plan:2031/u/b0", WorkflowID: "plan:2031", Open: []domain.NewTask{{ID: "plan:2031:bundle_approval:b0",
		Kind: domain.TaskBundleApproval, BundleID: "b0", CandidateRole: domain.RoleNDRCApprover, DueWorkdays: 5}},
		Bundle: &domain.Bundle{ID: "b0", PlanYear: 2031,
			TaskID: "plan:2031:bundle_approval:b0", Status: "pending", CreatedBy: "u-drb1", ProjectIDs: []string{"px"}}})

	const small = 1_000_000_000
	sum, err := st.BundleSummary(ctx, 2031, "b1", small, domain.RoleNDRCApprover, "ndrc", 20)
	require.NoError(t, err)
	want := domain.BundleSummary{Count: 2, Digest: domain.BundleDigest([]string{"pb", "pa"}),
		Approvers: []domain.BundleApprover{{Role: domain.RoleNDRCApprover, Org: "ndrc", Count: 2}}}
	require.Equal(t, want, sum, "pa and pb: not pL (large), pc (stage), pd (year), px (bundled); no ids")

	task := "plan:2031:bundle_approval:b1"
	tr := domain.Transition{ID: "plan:2031/u/b1", WorkflowID: "plan:2031",
		Open: []domain.NewTask{{ID: task, Kind: domain.TaskBundleApproval, BundleID: "b1", CandidateRole: domain.RoleNDRCApprover,
			CandidateOrgID: "ndrc", DueWorkdays: 5, Details: map[string]any{"plan_year": 2031}}},
		Bundle: &domain.Bundle{ID: "b1", PlanYear: 2031, TaskID: task, Status: "pending", CreatedBy: "u-drb1",
			Select: &domain.BundleSelect{SmallBelowFen: small, ApproverRole: domain.RoleNDRCApprover, ApproverOrg: "ndrc",
				DefaultRole: domain.RoleNDRCApprover, DefaultOrg: "ndrc"},
			MemberAudit: &domain.AuditItem{ActorID: "u-drb1", OrgID: "drb", Action: "bundle.create", ObjectType: "project", Outcome: "ok",
				Detail: map[string]any{"bundle_id": "b1"}}}}
	for range 2 { // the second: Apply retried
		res := apply(tr)
		require.Equal(t, 2, res.Bundled)
		require.Equal(t, sum.Digest, res.BundleDigest)
	}
	members, err := st.BundleProjectIDs(ctx, "b1")
	require.NoError(t, err)
	require.Equal(t, []string{"pa", "pb"}, members)
	var details string
	require.NoError(t, st.DB().Get(&details, `SELECT details FROM tasks WHERE id = $1`, task))
	var d map[string]any
	require.NoError(t, json.Unmarshal([]byte(details), &d))
	require.Equal(t, []any{"pa", "pb"}, d["project_ids"])
	var audits []string
	require.NoError(t, st.DB().Select(&audits, `SELECT object_id FROM audit_log WHERE action = 'bundle.create' ORDER BY object_id`))
	require.Equal(t, []string{"pa", "pb"}, audits, "one row per member, once")

	again, err := st.BundleSummary(ctx, 2031, "b1", small, domain.RoleNDRCApprover, "ndrc", 20)
	require.NoError(t, err)
	require.Equal(t, want, again, "a retried workflow task counts its own first write's members")
	other, err := st.BundleSummary(ctx, 2031, "b2", small, domain.RoleNDRCApprover, "ndrc", 20)
	require.NoError(t, err)
	require.Zero(t, other.Count, "in b1 now")

	apply(domain.Transition{ID: "plan:2031/u/d1", WorkflowID: "plan:2031", Bundle: &domain.Bundle{ID: "b1", PlanYear: 2031, TaskID: task,
		Status: "partially_approved", CreatedBy: "u-ndrc1", Outcome: "approved", Outcomes: map[string]string{"pb": "excluded"}}})
	page, err := st.BundleMembersPage(ctx, "b1", "", 10)
	require.NoError(t, err)
	require.Equal(t, []string{"approved", "excluded"}, []string{page[0].Outcome, page[1].Outcome})
}
