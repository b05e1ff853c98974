package workflows_test

import (
	"testing"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/workflow"

	"egovpm/internal/domain"
	"egovpm/workflows"
)

// Task ids of p1's change requests (taskID with suffix c<n>).
const (
	change1 = "project:p1:change_review:1:c1"
	change2 = "project:p1:change_review:1:c2"
)

func (h *harness) change(u workflows.ChangeUpdate) *outcome {
	return h.update(workflows.UpdateChange, u)
}

// changes lists the change records written, in order.
func (h *harness) changes() []domain.ChangeRecord {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []domain.ChangeRecord
	for _, tr := range h.transitions {
		if tr.Change != nil {
			out = append(out, *tr.Change)
		}
	}
	return out
}

func amountChange(fen int64) workflows.ChangeUpdate {
	return workflows.ChangeUpdate{Actor: submitter, Kind: domain.ChangeAmount, Description: "增加视频会商模块",
		Reason: "省级平台对接要求新增", NewAmountFen: fen, RequestID: "req-change"}
}

// TestChange_AmountIncreaseGoesBackToTheApprover (项目变更, R6, R7, R19): an increase of the
// approved amount goes back to the authority that approved the large project under its pinned
// 2021 policy (NDRC), not to DRB; a second request waits (change_pending); the approval makes
// the new amount the contract's cap and the unit is told.
func TestChange_AmountIncreaseGoesBackToTheApprover(t *testing.T) {
	h := newDelivery(t, shanghaiTime(2026, 5, 20, 9, 0, 0))
	other := h.change(workflows.ChangeUpdate{Actor: otherSubmit, Kind: domain.ChangeScope, Description: "x", Reason: "y"})
	blank := h.change(workflows.ChangeUpdate{Actor: submitter, Kind: domain.ChangeScope, Description: " ", Reason: "y"})
	same := h.change(amountChange(approvedFen))
	filed := h.change(amountChange(1_300_000_000))
	second := h.change(workflows.ChangeUpdate{Actor: submitter, Kind: domain.ChangeSchedule, Description: "延期三个月", Reason: "设备到货延迟"})
	byDRB := h.decide(workflows.DecideUpdate{TaskID: change1, Actor: drbReviewer, Decision: domain.DecisionApprove})
	overOld := h.contract(submitter, validContract(1_250_000_000))
	approved := h.decide(workflows.DecideUpdate{TaskID: change1, Actor: ndrcAppr, Decision: domain.DecisionApprove, Comment: "同意"})
	h.projectState(func(st workflows.ProjectState) {
		require.Equal(t, int64(1_300_000_000), st.ApprovedFen)
		require.Nil(t, st.Change)
		require.Equal(t, 1, st.Changes)
	})
	contract := h.contract(submitter, validContract(1_250_000_000))
	h.cancel()
	h.runLifecycle(resumedInput(policy2021(), workflows.ProjectState{Stage: domain.StageProcurement}))
	h.requireCancelled()

	requireRejectedByValidator(t, other, domain.StatusForbidden, "forbidden")
	requireRejectedByValidator(t, blank, domain.StatusBadRequest, workflows.CodeInvalidChange)
	requireRejectedByValidator(t, same, domain.StatusBadRequest, workflows.CodeInvalidChange)
	requireOK(t, filed)
	requireRejectedByValidator(t, second, domain.StatusConflict, workflows.CodeChangePending)
	requireRejectedByValidator(t, byDRB, domain.StatusForbidden, "wrong_role")
	requireRejectedByValidator(t, overOld, domain.StatusUnprocessable, "amount_over_approved")
	requireOK(t, approved)
	requireOK(t, contract)

	open := h.opened()
	require.Len(t, open, 1)
	require.Equal(t, domain.NewTask{ID: change1, Kind: domain.TaskChangeReview, ProjectID: "p1", CandidateRole: domain.RoleNDRCApprover,
		CandidateOrgID: "ndrc", DueWorkdays: 5}, open[0])
	cs := h.changes()
	require.Len(t, cs, 2)
	require.Equal(t, domain.ChangeRecord{ID: "project:p1:change:1", Seq: 1, Kind: domain.ChangeAmount, Description: "增加视频会商模块",
		Reason: "省级平台对接要求新增", OldAmountFen: approvedFen, NewAmountFen: 1_300_000_000, TaskID: change1,
		DeciderRole: domain.RoleNDRCApprover, DeciderOrg: "ndrc", Reapproval: true, Status: domain.ChangePending, RequestedBy: submitter.ID}, cs[0])
	require.Equal(t, domain.ChangeApproved, cs[1].Status)
	require.Equal(t, ndrcAppr.ID, cs[1].DecidedBy)
	require.Equal(t, "req-change", h.withAudit("change.request")[0].Audit[0].RequestID)
	dec := h.withAudit("task.decide")
	require.Len(t, dec, 1)
	require.Equal(t, int64(1_300_000_000), dec[0].Audit[0].Detail["approved_amount_fen"])
	require.Equal(t, []domain.Notice{{Kind: "change_decided", Title: "项目变更已批准：六安市政务数据共享平台", Body: "同意",
		Role: domain.RoleSubmitter, OrgID: unitA}}, h.notices("change_decided"))
	require.Equal(t, int64(1_250_000_000), h.transitionTo(domain.StageConstruction).Contract.AmountFen)
}

// TestChange_SmallChangeByDRBRejectKeepsTheOld: a scope change goes to DRB; a rejection needs
// its reason, keeps the approved amount, tells the unit, and a next request may follow.
func TestChange_SmallChangeByDRBRejectKeepsTheOld(t *testing.T) {
	h := newDelivery(t, shanghaiTime(2026, 5, 20, 9, 0, 0))
	filed := h.change(workflows.ChangeUpdate{Actor: submitter, Kind: domain.ChangeScope, Description: "取消移动端", Reason: "需求调整"})
	noReason := h.decide(workflows.DecideUpdate{TaskID: change1, Actor: drbReviewer, Decision: domain.DecisionReject})
	rejected := h.decide(workflows.DecideUpdate{TaskID: change1, Actor: drbReviewer, Decision: domain.DecisionReject, Comment: "理由不充分"})
	decrease := h.change(amountChange(1_000_000_000))
	h.projectState(func(st workflows.ProjectState) {
		require.Equal(t, int64(approvedFen), st.ApprovedFen)
		require.NotNil(t, st.Change)
		require.Equal(t, change2, st.Change.TaskID)
	})
	h.cancel()
	h.runLifecycle(resumedInput(policy2021(), workflows.ProjectState{Stage: domain.StageProcurement}))
	h.requireCancelled()

	requireOK(t, filed)
	requireRejectedByValidator(t, noReason, domain.StatusBadRequest, "invalid_decision")
	requireOK(t, rejected)
	requireOK(t, decrease)
	cs := h.changes()
	require.Len(t, cs, 3)
	require.Equal(t, domain.RoleDRBReviewer, cs[0].DeciderRole)
	require.False(t, cs[0].Reapproval)
	require.Equal(t, domain.ChangeRejected, cs[1].Status)
	require.Equal(t, "理由不充分", cs[1].Comment)
	require.Equal(t, domain.RoleDRBReviewer, cs[2].DeciderRole, "a decrease under a policy without a threshold stays with DRB")
	require.Equal(t, []string{change1, change2}, h.openedIDs())
	require.Equal(t, "项目变更未获批准：六安市政务数据共享平台", h.notices("change_decided")[0].Title)
}

// TestChange_DecreaseOverThePolicyThreshold (R19): with change_reapproval_percent 10, a cut of
// more than a tenth goes back to the approver (the 2023 policy's: DRB's supervisor), a smaller
// one to DRB's reviewers.
func TestChange_DecreaseOverThePolicyThreshold(t *testing.T) {
	pol := policy2023()
	pol.ChangeReapprovalPercent = 10
	for _, tc := range []struct {
		name  string
		fen   int64
		role  string
		reapp bool
	}{{"cut 20%", 880_000_000, domain.RoleDRBSupervisor, true}, {"cut 5%", 1_045_000_000, domain.RoleDRBReviewer, false}} {
		t.Run(tc.name, func(t *testing.T) {
			h := newDelivery(t, shanghaiTime(2026, 5, 20, 9, 0, 0))
			filed := h.change(amountChange(tc.fen))
			h.cancel()
			h.runLifecycle(resumedInput(pol, workflows.ProjectState{Stage: domain.StageProcurement}))
			h.requireCancelled()
			requireOK(t, filed)
			cs := h.changes()
			require.Len(t, cs, 1)
			require.Equal(t, tc.role, cs[0].DeciderRole)
			require.Equal(t, "drb", cs[0].DeciderOrg)
			require.Equal(t, tc.reapp, cs[0].Reapproval)
		})
	}
}

// TestChange_BoundsOfTheContractAndTheStages (R7, R9, R12): after the contract, an amount
// below it is refused; a vendor change is filed; acceptance waits for its decision; a project
// already in acceptance may not file one.
func TestChange_BoundsOfTheContractAndTheStages(t *testing.T) {
	start := shanghaiTime(2026, 9, 1, 9, 0, 0)
	h := newDelivery(t, start)
	below := h.change(amountChange(800_000_000))
	noVendor := h.change(workflows.ChangeUpdate{Actor: submitter, Kind: domain.ChangeVendor, Description: "更换承建单位", Reason: "原单位破产"})
	vendor := h.change(workflows.ChangeUpdate{Actor: submitter, Kind: domain.ChangeVendor, Description: "更换承建单位", Reason: "原单位破产",
		NewVendor: "合肥某科技有限公司"})
	waits := h.applyAcceptance(submitter)
	h.decide(workflows.DecideUpdate{TaskID: change1, Actor: drbReviewer, Decision: domain.DecisionApprove})
	applied := h.applyAcceptance(submitter)
	late := h.change(workflows.ChangeUpdate{Actor: submitter, Kind: domain.ChangeScope, Description: "x", Reason: "y"})
	h.cancel()
	st := trialRunOver(start)
	st.ContractFen = 900_000_000
	h.runLifecycle(resumedInput(policy2021(), st))
	h.requireCancelled()

	requireRejectedByValidator(t, below, domain.StatusUnprocessable, workflows.CodeAmountBelowContract)
	requireRejectedByValidator(t, noVendor, domain.StatusBadRequest, workflows.CodeInvalidChange)
	requireOK(t, vendor)
	requireRejectedByValidator(t, waits, domain.StatusConflict, workflows.CodeChangePending)
	requireOK(t, applied)
	requireRejectedByValidator(t, late, domain.StatusConflict, "wrong_stage")
	cs := h.changes()
	require.Len(t, cs, 2)
	require.Equal(t, "合肥某科技有限公司", cs[1].NewVendor)
	require.Equal(t, domain.ChangeApproved, cs[1].Status)
}

// TestChange_UnsupportedInRunsStartedBefore: a run started before change-request refuses the
// Update in its validator with a code.
func TestChange_UnsupportedInRunsStartedBefore(t *testing.T) {
	h := newDelivery(t, shanghaiTime(2026, 5, 20, 9, 0, 0))
	startedBefore(t, h.env, "lifecycle-baseline-change")
	h.env.OnGetVersion("change-request", workflow.DefaultVersion, 1).Return(workflow.DefaultVersion)
	old := h.change(amountChange(1_300_000_000))
	h.step(func() {}) // the refusal is answered before the run ends
	h.cancel()
	h.runLifecycle(resumedInput(policy2021(), workflows.ProjectState{Stage: domain.StageProcurement}))
	h.requireCancelled()
	requireRejectedByValidator(t, old, domain.StatusConflict, workflows.CodeChangeUnsupported)
	require.Empty(t, h.changes())
}

// TestChange_DecreaseBelowALaterContractIsNotApproved (R7, R9, R15, change-below-contract-at-decision):
// a decrease filed in procurement waits while the unit registers a contract above its new
// amount (the contract is within the approved amount then). Approving it would leave the
// contract, and the payments it lets in, above the approved amount: 422 amount_below_contract
// naming both amounts, nothing changes; the decider rejects it with a reason.
func TestChange_DecreaseBelowALaterContractIsNotApproved(t *testing.T) {
	h := newDelivery(t, shanghaiTime(2026, 5, 20, 9, 0, 0))
	filed := h.change(amountChange(1_000_000_000))
	contract := h.contract(submitter, validContract(1_050_000_000))
	approve := h.decide(workflows.DecideUpdate{TaskID: change1, Actor: drbReviewer, Decision: domain.DecisionApprove})
	h.projectState(func(st workflows.ProjectState) {
		require.Equal(t, int64(approvedFen), st.ApprovedFen, "nothing changed")
		require.NotNil(t, st.Change, "the change still waits for its decision")
	})
	rejected := h.decide(workflows.DecideUpdate{TaskID: change1, Actor: drbReviewer, Decision: domain.DecisionReject, Comment: "低于合同金额"})
	h.cancel()
	h.runLifecycle(resumedInput(policy2021(), workflows.ProjectState{Stage: domain.StageProcurement}))
	h.requireCancelled()

	requireOK(t, filed)
	requireOK(t, contract)
	requireRejectedByValidator(t, approve, domain.StatusUnprocessable, workflows.CodeAmountBelowContract)
	require.Equal(t, map[string]any{"contract_amount_fen": float64(1_050_000_000), "new_amount_fen": float64(1_000_000_000)},
		refusalExtra(t, approve))
	require.Contains(t, approve.err.Error(), "低于变更申请后登记的合同金额")
	requireOK(t, rejected)
	cs := h.changes()
	require.Len(t, cs, 2)
	require.Equal(t, domain.ChangeRejected, cs[1].Status)
	require.Empty(t, h.withAudit("task.decide")[0].Audit[0].Detail["approved_amount_fen"])
}

// TestChange_DecreaseBelowALaterContractInRunsStartedBefore: a run started before
// change-below-contract-at-decision approves it as it did (its history replays unchanged).
func TestChange_DecreaseBelowALaterContractInRunsStartedBefore(t *testing.T) {
	h := newDelivery(t, shanghaiTime(2026, 5, 20, 9, 0, 0))
	startedBefore(t, h.env, "lifecycle-baseline-turn-races")
	h.env.OnGetVersion("lifecycle-baseline-notify-in-apply", workflow.DefaultVersion, 1).Return(workflow.Version(1))
	h.env.OnGetVersion("change-below-contract-at-decision", workflow.DefaultVersion, 1).Return(workflow.DefaultVersion)
	h.env.OnGetVersion("withdrawn-panel-dropped", workflow.DefaultVersion, 1).Return(workflow.DefaultVersion)
	h.change(amountChange(1_000_000_000))
	h.contract(submitter, validContract(1_050_000_000))
	approve := h.decide(workflows.DecideUpdate{TaskID: change1, Actor: drbReviewer, Decision: domain.DecisionApprove})
	h.cancel()
	h.runLifecycle(resumedInput(policy2021(), workflows.ProjectState{Stage: domain.StageProcurement}))
	h.requireCancelled()
	requireOK(t, approve)
	require.Equal(t, domain.ChangeApproved, h.changes()[1].Status)
}
