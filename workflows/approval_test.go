package workflows_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/workflow"

	"egovpm/activities"
	"egovpm/internal/domain"
	"egovpm/workflows"
)

func TestR6_EarlyBundleResultHeldUntilThePlanIncludesTheProject(t *testing.T) {
	h := newLifecycle(t)
	h.toAwaitingPlan()
	h.signal(workflows.SignalBundleResult, workflows.BundleResultSignal{BundleID: "b1", TaskID: "bt1", Approved: true, Actor: ndrcAppr})
	h.signal(workflows.SignalPlanResult, workflows.PlanResultSignal{Included: true, ApprovedAmountFen: 300_000_000, Actor: drbReviewer})
	h.projectState(func(st workflows.ProjectState) {
		require.Equal(t, domain.StageProcurement, st.Stage)
		require.Equal(t, int64(300_000_000), st.ApprovedFen)
		require.Empty(t, st.Held)
	})
	h.cancel()
	h.runLifecycle(lifecycleInput(smallFen, policy2021()))
	h.requireCancelled()
	require.Equal(t, domain.StageApproved, h.transitionTo(domain.StageProcurement).Through, "through approved (bundle-approve-once)")
}

// R6: a bundle member approved goes to procurement at the plan amount (R7), the unit told. From
// bundle-approve-once (issue 20 item 1) one write takes it through approved to procurement:
// one Apply with both audit rows, the notice and Through approved (the notices derived for
// approved); a run started before writes approved, then procurement (its histories replay).
func TestR6_SmallProjectBundleApproved(t *testing.T) {
	for _, old := range []bool{false, true} {
		t.Run(fmt.Sprintf("started before bundle-approve-once: %v", old), func(t *testing.T) {
			h := newLifecycle(t)
			if old {
				startedBefore(t, h.env, "lifecycle-baseline-bundle-once")
				h.env.OnGetVersion("lifecycle-baseline-adjust-once", workflow.DefaultVersion, 1).Return(workflow.Version(1))
				h.env.OnGetVersion("bundle-approve-once", workflow.DefaultVersion, 1).Return(workflow.DefaultVersion)
			}
			h.toAwaitingApproval(400_000_000)
			h.signal(workflows.SignalBundleResult, workflows.BundleResultSignal{BundleID: "b1", TaskID: "plan:2026:bundle_approval:b1", Approved: true, Actor: ndrcAppr})
			h.projectState(func(st workflows.ProjectState) {
				require.Equal(t, domain.StageProcurement, st.Stage)
				require.Equal(t, int64(400_000_000), st.ApprovedFen, "R7: the approved amount is the plan amount")
				require.Equal(t, "b1", st.BundleID)
			})
			// A repeated bundle result changes nothing.
			h.signal(workflows.SignalBundleResult, workflows.BundleResultSignal{BundleID: "b1", Approved: false, Actor: ndrcAppr})
			h.projectState(func(st workflows.ProjectState) { require.Equal(t, domain.StageProcurement, st.Stage) })
			h.cancel()
			h.runLifecycle(lifecycleInput(smallFen, policy2021()))
			h.requireCancelled()

			before := []domain.Stage{domain.StagePrelimReview, domain.StageExpertReview, domain.StageAwaitingPlan, domain.StageAwaitingApproval}
			proc := h.transitionTo(domain.StageProcurement)
			approved := proc
			if old {
				require.Equal(t, append(before, domain.StageApproved, domain.StageProcurement), h.stages())
				approved = h.transitionTo(domain.StageApproved)
				require.Len(t, approved.Audit, 1)
				require.Empty(t, proc.Through)
			} else {
				require.Equal(t, append(before, domain.StageProcurement), h.stages(), "one write for approved and procurement")
				require.Equal(t, domain.StageApproved, proc.Through)
				require.Equal(t, []string{"bundle.approve", "project.procurement"}, []string{proc.Audit[0].Action, proc.Audit[1].Action})
			}
			require.Equal(t, int64(400_000_000), approved.ApprovedAmountFen)
			require.Equal(t, "bundle.approve", approved.Audit[0].Action)
			require.Equal(t, ndrcAppr.ID, approved.Audit[0].ActorID)
			require.Len(t, proc.Notify, 1)
			require.Equal(t, "approved", proc.Notify[0].Kind)
			require.Equal(t, unitA, proc.Notify[0].OrgID)
			for _, task := range h.opened() {
				require.NotEqual(t, domain.TaskProjectApproval, task.Kind, "a small project has no approval task of its own")
			}
			require.Empty(t, h.docsCalls, "a small project needs no opinion or implementation plan")
		})
	}
}

func TestR6_SmallProjectBundleExcluded(t *testing.T) {
	h := newLifecycle(t)
	h.toAwaitingApproval(400_000_000)
	h.signal(workflows.SignalBundleResult, workflows.BundleResultSignal{BundleID: "b1", Approved: false, Excluded: true, Comment: "另行安排", Actor: ndrcAppr})
	h.runLifecycle(lifecycleInput(smallFen, policy2021()))
	h.requireResult(domain.StageRejected)

	tr := h.transitionTo(domain.StageRejected)
	require.Equal(t, "bundle.exclude", tr.Audit[0].Action)
	require.Equal(t, "另行安排", tr.Audit[0].Detail["comment"])
}

func TestR6_SmallProjectBundleRejected(t *testing.T) {
	h := newLifecycle(t)
	h.toAwaitingApproval(400_000_000)
	h.signal(workflows.SignalBundleResult, workflows.BundleResultSignal{BundleID: "b1", Approved: false, Comment: "不予批复", Actor: ndrcAppr})
	h.runLifecycle(lifecycleInput(smallFen, policy2021()))
	h.requireResult(domain.StageRejected)
	require.Equal(t, "bundle.reject", h.transitionTo(domain.StageRejected).Audit[0].Action)
}

func TestR6_LargeProjectWaitsForDocumentsThenNDRCApprovesCutAmount(t *testing.T) {
	h := newLifecycle(t)
	h.setMissing("opinion")
	h.toAwaitingApproval(1_200_000_000)
	// A bundle result never decides a large project.
	h.signal(workflows.SignalBundleResult, workflows.BundleResultSignal{BundleID: "b1", Approved: true, Actor: ndrcAppr})
	early := h.decide(workflows.DecideUpdate{TaskID: approval1, Actor: ndrcAppr, Decision: domain.DecisionApprove})
	h.projectState(func(st workflows.ProjectState) {
		require.Equal(t, domain.StageAwaitingApproval, st.Stage)
		require.Empty(t, st.OpenTasks, "no approval task while the opinion is missing")
	})
	h.setMissing()
	h.signal(workflows.SignalDocuments, nil)
	h.projectState(func(st workflows.ProjectState) {
		require.Equal(t, []workflows.OpenTask{{ID: approval1, Kind: domain.TaskProjectApproval,
			CandidateRole: domain.RoleNDRCApprover, CandidateOrgID: "ndrc"}}, st.OpenTasks)
	})
	// Another document change does not open a second task.
	h.signal(workflows.SignalDocuments, nil)
	wrongRole := h.decide(workflows.DecideUpdate{TaskID: approval1, Actor: drbSuper, Decision: domain.DecisionApprove})
	wrongOrg := h.decide(workflows.DecideUpdate{TaskID: approval1, Actor: domain.Actor{ID: "u-x", OrgID: "drb", Roles: []string{domain.RoleNDRCApprover}}, Decision: domain.DecisionApprove})
	over := h.decide(workflows.DecideUpdate{TaskID: approval1, Actor: ndrcAppr, Decision: domain.DecisionApprove, ApprovedAmountFen: 1_200_000_001})
	negative := h.decide(workflows.DecideUpdate{TaskID: approval1, Actor: ndrcAppr, Decision: domain.DecisionApprove, ApprovedAmountFen: -1})
	badDecision := h.decide(workflows.DecideUpdate{TaskID: approval1, Actor: ndrcAppr, Decision: domain.DecisionReturn, Comment: "补充"})
	approve := h.decide(workflows.DecideUpdate{TaskID: approval1, Actor: ndrcAppr, Decision: domain.DecisionApprove, ApprovedAmountFen: 1_100_000_000, Comment: "核减"})
	h.projectState(func(st workflows.ProjectState) {
		require.Equal(t, domain.StageProcurement, st.Stage)
		require.Equal(t, int64(1_100_000_000), st.ApprovedFen)
		require.Empty(t, st.OpenTasks)
	})
	h.cancel()
	h.runLifecycle(lifecycleInput(largeFen, policy2021()))
	h.requireCancelled()

	requireRejectedByValidator(t, early, domain.StatusConflict, "stale_task")
	requireRejectedByValidator(t, wrongRole, domain.StatusForbidden, "wrong_role")
	requireRejectedByValidator(t, wrongOrg, domain.StatusForbidden, "wrong_org")
	requireRejectedByValidator(t, over, domain.StatusUnprocessable, "amount_over_limit")
	requireRejectedByValidator(t, negative, domain.StatusUnprocessable, "amount_over_limit")
	requireRejectedByValidator(t, badDecision, domain.StatusBadRequest, "invalid_decision")
	requireOK(t, approve)

	var approvals []domain.NewTask
	for _, task := range h.opened() {
		if task.Kind == domain.TaskProjectApproval {
			approvals = append(approvals, task)
		}
	}
	require.Len(t, approvals, 1)
	require.Equal(t, domain.NewTask{ID: approval1, Kind: domain.TaskProjectApproval, ProjectID: "p1",
		CandidateRole: domain.RoleNDRCApprover, CandidateOrgID: "ndrc", DueWorkdays: 5}, approvals[0])
	require.GreaterOrEqual(t, len(h.docsCalls), 2)
	for _, c := range h.docsCalls {
		require.Equal(t, activities.DocsInput{ProjectID: "p1", Kinds: []string{"opinion", "impl_plan"}}, c)
	}
	require.Contains(t, h.auditActions(), "approval.request")
	approved := h.transitionTo(domain.StageApproved)
	require.Equal(t, int64(1_100_000_000), approved.ApprovedAmountFen)
	require.Equal(t, approval1, approved.Close[0].TaskID)
	require.Equal(t, int64(1_100_000_000), approved.Audit[0].Detail["approved_amount_fen"])
	require.Equal(t, domain.StageProcurement, h.stages()[len(h.stages())-1])
}

func TestR6_ThresholdProjectIsLargeAndApprovalDefaultsToPlanAmount(t *testing.T) {
	h := newLifecycle(t)
	h.toAwaitingApproval(900_000_000)
	h.projectState(func(st workflows.ProjectState) {
		require.Len(t, st.OpenTasks, 1, "exactly 10,000,000 CNY is approved on its own (R6)")
		require.Equal(t, approval1, st.OpenTasks[0].ID)
	})
	approve := h.decide(workflows.DecideUpdate{TaskID: approval1, Actor: ndrcAppr, Decision: domain.DecisionApprove})
	h.projectState(func(st workflows.ProjectState) {
		require.Equal(t, domain.StageProcurement, st.Stage)
		require.Equal(t, int64(900_000_000), st.ApprovedFen)
	})
	h.cancel()
	h.runLifecycle(lifecycleInput(1_000_000_000, policy2021()))
	h.requireCancelled()
	requireOK(t, approve)
}

func TestR6_LargeProjectRejected(t *testing.T) {
	h := newLifecycle(t)
	h.toAwaitingApproval(largeFen)
	reject := h.decide(workflows.DecideUpdate{TaskID: approval1, Actor: ndrcAppr, Decision: domain.DecisionReject, Comment: "不予批复"})
	h.runLifecycle(lifecycleInput(largeFen, policy2021()))
	h.requireResult(domain.StageRejected)
	requireOK(t, reject)
}

func TestR17_CryptoProjectNeedsCryptoPlanAtApproval(t *testing.T) {
	h := newLifecycle(t)
	h.setMissing("crypto_plan")
	h.toAwaitingApproval(largeFen)
	h.projectState(func(st workflows.ProjectState) { require.Empty(t, st.OpenTasks) })
	h.cancel()
	in := lifecycleInput(largeFen, policy2021())
	in.UsesCrypto = true
	h.runLifecycle(in)
	h.requireCancelled()
	require.NotEmpty(t, h.docsCalls)
	require.Equal(t, []string{"opinion", "impl_plan", "crypto_plan"}, h.docsCalls[0].Kinds)
}

func TestR8_SpecialRequestApprovedJoinsPlan(t *testing.T) {
	h := newLifecycle(t)
	var first workflows.ProjectState
	h.projectState(func(st workflows.ProjectState) { first = st })
	wrongRole := h.decide(workflows.DecideUpdate{TaskID: special1, Actor: drbReviewer, Decision: domain.DecisionApprove})
	over := h.decide(workflows.DecideUpdate{TaskID: special1, Actor: cityGovAppr, Decision: domain.DecisionApprove, ApprovedAmountFen: smallFen + 1})
	approve := h.decide(workflows.DecideUpdate{TaskID: special1, Actor: cityGovAppr, Decision: domain.DecisionApprove, Comment: "同意"})
	h.projectState(func(st workflows.ProjectState) {
		require.Equal(t, domain.StageAwaitingApproval, st.Stage)
		require.Equal(t, int64(smallFen), st.PlanAmountFen)
		require.Empty(t, st.OpenTasks, "a small supplementary project follows the bundle route (R6)")
	})
	h.cancel()
	in := lifecycleInput(smallFen, policy2021())
	in.Special = true
	h.runLifecycle(in)
	h.requireCancelled()

	require.Equal(t, domain.StageSpecialRequest, first.Stage)
	require.Equal(t, []workflows.OpenTask{{ID: special1, Kind: domain.TaskSpecialRequestApproval,
		CandidateRole: domain.RoleCityGovApprover, CandidateOrgID: "citygov"}}, first.OpenTasks)
	requireRejectedByValidator(t, wrongRole, domain.StatusForbidden, "wrong_role")
	requireRejectedByValidator(t, over, domain.StatusUnprocessable, "amount_over_limit")
	requireOK(t, approve)

	require.Equal(t, []domain.Stage{domain.StageSpecialRequest, domain.StageAwaitingApproval}, h.stages())
	submit := h.transitionTo(domain.StageSpecialRequest)
	require.Equal(t, true, submit.Audit[0].Detail["special_request"])
	tr := h.transitionTo(domain.StageAwaitingApproval)
	require.Equal(t, []domain.PlanItem{{PlanYear: planYear, ProjectID: "p1", Included: true, ApprovedAmountFen: smallFen,
		Supplementary: true, DecidedBy: cityGovAppr.ID}}, tr.PlanItems)
	require.Equal(t, int64(smallFen), tr.ApprovedAmountFen)
	st := h.sent(workflows.SignalProjectStatus)
	last := st[len(st)-1].Arg.(workflows.ProjectStatusSignal)
	require.True(t, last.Supplementary, "the plan learns of the supplementary item")
	require.Equal(t, int64(smallFen), last.PlanAmountFen)
	require.Equal(t, domain.StageAwaitingApproval, last.Stage)
}

func TestR8_SpecialRequestLargeGoesToProjectApproval(t *testing.T) {
	h := newLifecycle(t)
	h.decide(workflows.DecideUpdate{TaskID: special1, Actor: cityGovAppr, Decision: domain.DecisionApprove, ApprovedAmountFen: 1_300_000_000})
	h.projectState(func(st workflows.ProjectState) {
		require.Equal(t, domain.StageAwaitingApproval, st.Stage)
		require.Equal(t, int64(1_300_000_000), st.PlanAmountFen)
		require.Len(t, st.OpenTasks, 1)
		require.Equal(t, approval1, st.OpenTasks[0].ID)
	})
	over := h.decide(workflows.DecideUpdate{TaskID: approval1, Actor: ndrcAppr, Decision: domain.DecisionApprove, ApprovedAmountFen: 1_300_000_001})
	h.cancel()
	in := lifecycleInput(largeFen, policy2021())
	in.Special = true
	h.runLifecycle(in)
	h.requireCancelled()
	requireRejectedByValidator(t, over, domain.StatusUnprocessable, "amount_over_limit")
}

func TestR8_SpecialRequestRejected(t *testing.T) {
	h := newLifecycle(t)
	reject := h.decide(workflows.DecideUpdate{TaskID: special1, Actor: cityGovAppr, Decision: domain.DecisionReject, Comment: "不同意"})
	in := lifecycleInput(smallFen, policy2021())
	in.Special = true
	h.runLifecycle(in)
	h.requireResult(domain.StageRejected)
	requireOK(t, reject)
}

func TestR19_Policy2023RoutesLargeApprovalToDRB(t *testing.T) {
	h := newLifecycle(t)
	h.toAwaitingApproval(largeFen)
	h.projectState(func(st workflows.ProjectState) {
		require.Equal(t, []workflows.OpenTask{{ID: approval1, Kind: domain.TaskProjectApproval,
			CandidateRole: domain.RoleDRBSupervisor, CandidateOrgID: "drb"}}, st.OpenTasks)
	})
	ndrc := h.decide(workflows.DecideUpdate{TaskID: approval1, Actor: ndrcAppr, Decision: domain.DecisionApprove})
	reviewer := h.decide(workflows.DecideUpdate{TaskID: approval1, Actor: drbReviewer, Decision: domain.DecisionApprove})
	approve := h.decide(workflows.DecideUpdate{TaskID: approval1, Actor: drbSuper, Decision: domain.DecisionApprove})
	h.projectState(func(st workflows.ProjectState) { require.Equal(t, domain.StageProcurement, st.Stage) })
	h.cancel()
	h.runLifecycle(lifecycleInput(largeFen, policy2023()))
	h.requireCancelled()

	requireRejectedByValidator(t, ndrc, domain.StatusForbidden, "wrong_role")
	requireRejectedByValidator(t, reviewer, domain.StatusForbidden, "wrong_role")
	requireOK(t, approve)
	submit := h.transitionTo(domain.StagePrelimReview)
	require.Equal(t, "2023", submit.Audit[0].Detail["policy"])
}

func TestR19_LifecycleRefusesIncompleteInputOrInvalidPolicy(t *testing.T) {
	cases := map[string]func(in *workflows.ProjectLifecycleInput){
		"no project":     func(in *workflows.ProjectLifecycleInput) { in.ProjectID = "" },
		"no unit":        func(in *workflows.ProjectLifecycleInput) { in.UnitID = "" },
		"no year":        func(in *workflows.ProjectLifecycleInput) { in.PlanYear = 0 },
		"no amount":      func(in *workflows.ProjectLifecycleInput) { in.EstimatedFen = 0 },
		"invalid policy": func(in *workflows.ProjectLifecycleInput) { in.Policy.PanelMin = 4 },
	}
	for name, mutate := range cases {
		t.Run(name, func(t *testing.T) {
			h := newLifecycle(t)
			in := lifecycleInput(smallFen, policy2021())
			mutate(&in)
			h.env.ExecuteWorkflow(workflows.ProjectLifecycle, in)
			require.True(t, h.env.IsWorkflowCompleted())
			err := h.env.GetWorkflowError()
			require.Error(t, err)
			require.Contains(t, err.Error(), "BadInput")
			require.Empty(t, h.stages())
		})
	}
}

// notify-in-apply (issue 20 item 1): a bundle member approved asks Apply to mail its "approved"
// notice (MailNotify) and schedules no SendNotifications activity, one activity task and one
// workflow task fewer per member of the fan-out; a run started before sends it through the
// activity.
func TestR6_BundleMemberApprovedMailsItsNoticeThroughApply(t *testing.T) {
	for _, old := range []bool{false, true} {
		t.Run(fmt.Sprintf("started before notify-in-apply: %v", old), func(t *testing.T) {
			h := newLifecycle(t)
			if old {
				beforeNotifyInApply(t, h.env)
			}
			var sends []string
			h.env.OnActivity(a.SendNotifications, mock.Anything, mock.Anything).Return(
				func(_ context.Context, id string) (int, error) {
					h.mu.Lock()
					defer h.mu.Unlock()
					sends = append(sends, id)
					return 1, nil
				}).Maybe()
			h.toAwaitingApproval(400_000_000)
			h.signal(workflows.SignalBundleResult, workflows.BundleResultSignal{BundleID: "b1", TaskID: "plan:2026:bundle_approval:b1", Approved: true, Actor: ndrcAppr})
			h.projectState(func(st workflows.ProjectState) { require.Equal(t, domain.StageProcurement, st.Stage) })
			h.cancel()
			h.runLifecycle(lifecycleInput(smallFen, policy2021()))
			h.requireCancelled()

			proc := h.transitionTo(domain.StageProcurement)
			require.Len(t, proc.Notify, 1)
			require.Equal(t, "approved", proc.Notify[0].Kind)
			if old {
				require.False(t, proc.MailNotify)
				require.Contains(t, sends, proc.ID, "the activity sends the member's notice")
				return
			}
			require.True(t, proc.MailNotify, "Apply mails the member's notice")
			require.Empty(t, sends, "no SendNotifications activity in the run")
		})
	}
}
