package workflows_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/workflow"

	"egovpm/internal/domain"
	"egovpm/workflows"
)

// overdueRun runs the first O&M year of omState past its deadline unfiled and returns the
// input of the continued run. old runs it as code before om-late-filing (a run that recorded
// lifecycle-baseline-correctness).
func overdueRun(t *testing.T, old bool) workflows.ProjectLifecycleInput {
	start := shanghaiTime(2027, 1, 10, 9, 0, 0)
	h := newDelivery(t, start)
	if old {
		startedBefore(t, h.env, "lifecycle-baseline-om-late")
		h.env.OnGetVersion("lifecycle-baseline-correctness", workflow.DefaultVersion, 1).Return(workflow.Version(1))
		h.env.OnGetVersion("om-late-filing", workflow.DefaultVersion, 1).Return(workflow.DefaultVersion)
	}
	h.runLifecycle(resumedInput(policy2021(), omState()))
	require.Len(t, h.notices("om_overdue"), 1)
	return h.requireContinuedAsNew()
}

// R13 (om-late-filing): the year flagged overdue stays fileable; its filing in the next year
// is accepted, marked late, audited with late and told to DRB; a future year, the year just
// filed late and the current year filed twice are still refused with their codes.
func TestR13_OverdueYearFiledLateIsAcceptedMarkedAndToldToDRB(t *testing.T) {
	next := overdueRun(t, false)
	require.Equal(t, []int{1}, next.Resume.OMOverdue, "the overdue year is carried to the next run")

	h := newDelivery(t, shanghaiTime(2027, 3, 1, 9, 0, 0))
	late := h.omReport(submitter, 1)
	h.projectState(func(st workflows.ProjectState) { require.Empty(t, st.OMOverdue) })
	again := h.omReport(submitter, 1)
	future := h.omReport(submitter, 3)
	current := h.omReport(submitter, 2)
	twice := h.omReport(submitter, 2)
	h.skipTo(time.Hour)
	h.cancel()
	h.runLifecycle(next)

	requireOK(t, late)
	require.Equal(t, workflows.DecideResult{Decision: workflows.UpdateOMReport, Stage: domain.StageOM, Late: true}, late.result)
	require.Equal(t, workflows.DecideResult{Decision: workflows.UpdateOMReport, Stage: domain.StageOM}, current.result)
	requireRejectedByValidator(t, again, domain.StatusUnprocessable, "wrong_om_year")
	requireRejectedByValidator(t, future, domain.StatusUnprocessable, "wrong_om_year")
	requireOK(t, current)
	requireRejectedByValidator(t, twice, domain.StatusConflict, "already_filed")

	fs := h.omFilings()
	require.Len(t, fs, 2)
	require.Equal(t, domain.OMFiling{Year: 1, Filed: true, Late: true, DocumentID: "d-om-1", FiledBy: submitter.ID}, fs[0])
	require.False(t, fs[1].Late, "the current year's filing is on time")
	told := h.notices("om_late_filing")
	require.Len(t, told, 1)
	require.Equal(t, domain.RoleDRBReviewer, told[0].Role)
	require.Equal(t, "drb", told[0].OrgID)
	require.Contains(t, told[0].Title, "第 1 个运维年度")
	files := h.withAudit("om.file")
	require.Len(t, files, 2)
	require.Equal(t, true, files[0].Audit[0].Detail["late"])
	require.NotContains(t, files[1].Audit[0].Detail, "late")
}

// R13: a run of code before om-late-filing (its recorded histories) does not carry the
// overdue year, and the next run refuses its filing with wrong_om_year as it always did.
func TestR13_OldVersionStillRefusesAnOverdueYear(t *testing.T) {
	next := overdueRun(t, true)
	require.Empty(t, next.Resume.OMOverdue)

	h := newDelivery(t, shanghaiTime(2027, 3, 1, 9, 0, 0))
	late := h.omReport(submitter, 1)
	h.cancel()
	h.runLifecycle(next)
	requireRejectedByValidator(t, late, domain.StatusUnprocessable, "wrong_om_year")
	require.Empty(t, h.notices("om_late_filing"))
}
