package workflows_test

import (
	"context"
	"slices"
	"sort"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"

	"egovpm/activities"
	"egovpm/internal/domain"
	"egovpm/workflows"
)

const planWorkflowID = "plan:2026"

// bundle1Task is the task id of bundle b1 in the 2026 plan.
const bundle1Task = "plan:2026:bundle_approval:b1"

// newPlan is a harness for the 2026 plan, which reads project stages from the harness's read
// model (plan-stages-from-read-model).
func newPlan(t *testing.T) *harness {
	t.Helper()
	h := newHarness(t, planWorkflowID)
	h.rows = map[string]*domain.PlanProject{}
	h.outcomes, h.sessions, h.items = map[string]map[string]string{}, map[string][]string{}, map[string]domain.PlanItem{}
	h.env.OnActivity(a.LoadPlanProjects, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.PlanProjectsInput) ([]domain.PlanProject, error) {
			h.mu.Lock()
			defer h.mu.Unlock()
			out := []domain.PlanProject{}
			if in.Bundleable {
				for _, id := range h.rowOrder {
					if r := h.rows[id]; r.PlanYear == in.Year && r.Stage == domain.StageAwaitingApproval {
						out = append(out, *r)
					}
				}
				return out, nil
			}
			if in.PrePlan { // the year-end close (R5)
				for _, id := range h.rowOrder {
					if r := h.rows[id]; r.PlanYear == in.Year && r.Stage.PrePlan() {
						out = append(out, *r)
					}
				}
				return out, nil
			}
			ids := append([]string(nil), in.IDs...)
			sort.Strings(ids)
			for _, id := range ids {
				if r, ok := h.rows[id]; ok {
					out = append(out, *r)
				}
			}
			h.readSizes = append(h.readSizes, encodedSize(out))
			return out, nil
		}).Maybe()
	h.mockPlanStages()
	h.env.OnActivity(a.SummarizeBundle, mock.Anything, mock.Anything).Return(h.summarizeBundle).Maybe()
	h.env.OnActivity(a.SignalMembers, mock.Anything, mock.Anything).Return(h.signalMembers).
		AfterFn(func() time.Duration { return h.fanOutTakes }).Maybe()
	h.env.OnActivity(a.MarkPlanReadsStages, mock.Anything, mock.Anything).Return(
		func(_ context.Context, year int) error {
			h.mu.Lock()
			defer h.mu.Unlock()
			h.marked = append(h.marked, year)
			return nil
		}).Maybe()
	return h
}

// status sets a project's stage in the read model at the next step, as its lifecycle's
// Apply does (each change a new row version).
func (h *harness) status(id, unit string, estimatedFen int64, stage domain.Stage) {
	h.setRow(domain.PlanProject{ProjectID: id, PlanYear: planYear, UnitID: unit, Name: "项目" + id, EstimatedFen: estimatedFen, Stage: stage})
}

// setRow writes r into the read model at the next step (keeping what the plan wrote of it).
func (h *harness) setRow(r domain.PlanProject) {
	h.step(func() {
		h.mu.Lock()
		defer h.mu.Unlock()
		old, ok := h.rows[r.ProjectID]
		if !ok {
			h.rowOrder = append(h.rowOrder, r.ProjectID)
		} else {
			r.Version = old.Version
			if !r.Planned {
				r.Planned, r.PlanAmountFen, r.Supplementary = old.Planned, old.PlanAmountFen, old.Supplementary
			}
			if r.BundleID == "" {
				r.BundleID = old.BundleID
			}
		}
		r.Version++
		h.rows[r.ProjectID] = &r
	})
}

// panelSent returns the panel signalled to project id.
func (h *harness) panelSent(id string) []workflows.PanelSignal {
	var out []workflows.PanelSignal
	for _, s := range h.sent(workflows.SignalPanel) {
		if s.WorkflowID == workflows.ProjectWorkflowID(id) {
			out = append(out, s.Arg.(workflows.PanelSignal))
		}
	}
	return out
}

// planResults maps each project to the plan results signalled to it.
func (h *harness) planResults() map[string][]workflows.PlanResultSignal {
	out := map[string][]workflows.PlanResultSignal{}
	for _, s := range h.sent(workflows.SignalPlanResult) {
		out[s.WorkflowID] = append(out[s.WorkflowID], s.Arg.(workflows.PlanResultSignal))
	}
	return out
}

// bundleResults maps each project to the bundle results signalled to it.
func (h *harness) bundleResults() map[string][]workflows.BundleResultSignal {
	out := map[string][]workflows.BundleResultSignal{}
	for _, s := range h.sent(workflows.SignalBundleResult) {
		out[s.WorkflowID] = append(out[s.WorkflowID], s.Arg.(workflows.BundleResultSignal))
	}
	return out
}

// stateCodes are the refusals that depend on what the read model says of a project: the plan
// gives them after reading it (plan-stages-from-read-model), so they complete the Update with
// an error instead of being rejected by its validator.
var stateCodes = map[string]bool{"project_not_ready": true, "project_not_in_plan_year": true,
	"panel_too_small_after_recusal": true, "panel_even_after_recusal": true, "not_small_project": true, "nothing_to_bundle": true}

// fiveExperts has one expert (eA) from unitA.
var fiveExperts = []workflows.ExpertRef{{ID: "e1", OrgID: "univ-1"}, {ID: "e2", OrgID: "univ-2"}, {ID: "eA", OrgID: unitA},
	{ID: "e3", OrgID: "univ-3"}, {ID: "e4", OrgID: "finance"}}

// fourWithA is e1, e2, eA and e3: an effective panel of three for a unitA project (R4).
var fourWithA = fiveExperts[:4]

// sixExperts adds eB of unit-b to fiveExperts: five effective experts for a project of unitA
// and for one of unit-b (R4).
var sixExperts = append(slices.Clone(fiveExperts), workflows.ExpertRef{ID: "eB", OrgID: "unit-b"})

func TestR4_PlanConveneRecusesUnitExpert(t *testing.T) {
	h := newPlan(t)
	h.status("p1", unitA, smallFen, domain.StageExpertReview)
	h.status("p2", "unit-b", largeFen, domain.StageExpertReview)
	convene := h.update(workflows.UpdateConvene, workflows.ConveneUpdate{SessionID: "s1", Actor: drbReviewer, Experts: sixExperts,
		ProjectIDs: []string{"p1", "p2"}, RequestID: "req-1"})
	again := h.update(workflows.UpdateConvene, workflows.ConveneUpdate{SessionID: "s2", Actor: drbReviewer, Experts: fiveExperts[:3],
		ProjectIDs: []string{"p2"}})
	h.planState(func(st workflows.PlanState) {
		require.Equal(t, []string{"s1"}, st.Sessions)
		require.Len(t, st.Projects, 2)
		for _, pp := range st.Projects {
			require.True(t, pp.Paneled, pp.ProjectID)
		}
	})
	h.cancel()
	h.runPlan(policy2021())
	h.requireCancelled()

	requireOK(t, convene)
	res, ok := convene.result.(workflows.ConveneResult)
	require.True(t, ok, "result is %T", convene.result)
	require.Equal(t, workflows.ConveneResult{SessionID: "s1", Panels: []workflows.PanelOfOne{
		{ProjectID: "p1", ExpertIDs: []string{"e1", "e2", "e3", "e4", "eB"}, Recused: []string{"eA"}},
		{ProjectID: "p2", ExpertIDs: []string{"e1", "e2", "eA", "e3", "e4"}, Recused: []string{"eB"}},
	}}, res)
	requireRefused(t, again, domain.StatusConflict, "project_not_ready")

	require.Equal(t, []workflows.PanelSignal{{SessionID: "s1", Experts: []workflows.ExpertRef{sixExperts[0], sixExperts[1], sixExperts[3],
		sixExperts[4], sixExperts[5]}}}, h.panelSent("p1"), "the unit's own expert is left out of its panel")
	require.Equal(t, []workflows.PanelSignal{{SessionID: "s1", Experts: fiveExperts}}, h.panelSent("p2"))
	require.Len(t, h.sent(workflows.SignalPanel), 2)

	require.Len(t, h.transitions, 1)
	tr := h.transitions[0]
	require.Equal(t, planWorkflowID, tr.WorkflowID)
	require.Equal(t, &domain.Session{ID: "s1", PlanYear: planYear, ExpertIDs: []string{"e1", "e2", "eA", "e3", "e4", "eB"}, CreatedBy: drbReviewer.ID,
		ProjectIDs: []string{"p1", "p2"}, ProjectVersions: []int{1, 1}}, tr.Session, "with the versions convened (plan-lean-resume)")
	require.Len(t, tr.Audit, 2)
	require.Equal(t, "expert_review.convene", tr.Audit[0].Action)
	require.Equal(t, "p1", tr.Audit[0].ObjectID)
	require.Equal(t, []string{"eA"}, tr.Audit[0].Detail["recused"])
	require.Equal(t, "req-1", tr.Audit[0].RequestID)
}

func TestR4_PlanConveneRefusals(t *testing.T) {
	h := newPlan(t)
	h.status("p1", unitA, smallFen, domain.StageExpertReview)
	h.status("p2", "unit-b", smallFen, domain.StagePrelimReview)
	three := fiveExperts[:3] // e1, e2 and the unit's own eA
	// Checks against the project's stage are made after the plan reads it (the handler);
	// the rest by the validator, before anything enters history.
	cases := []struct {
		name   string
		u      workflows.ConveneUpdate
		status domain.Kind
		code   string
	}{
		{"even panel", workflows.ConveneUpdate{SessionID: "s", Actor: drbReviewer, Experts: []workflows.ExpertRef{fiveExperts[0],
			fiveExperts[1], fiveExperts[3], fiveExperts[4]}, ProjectIDs: []string{"p1"}},
			domain.StatusUnprocessable, "panel_even_after_recusal"},
		{"even after recusal", workflows.ConveneUpdate{SessionID: "s", Actor: drbReviewer, Experts: fiveExperts, ProjectIDs: []string{"p1"}},
			domain.StatusUnprocessable, "panel_even_after_recusal"},
		{"panel below minimum", workflows.ConveneUpdate{SessionID: "s", Actor: drbReviewer, Experts: fiveExperts[:1], ProjectIDs: []string{"p1"}},
			domain.StatusUnprocessable, "panel_size"},
		{"project not in expert review", workflows.ConveneUpdate{SessionID: "s", Actor: drbReviewer, Experts: fiveExperts, ProjectIDs: []string{"p2"}},
			domain.StatusConflict, "project_not_ready"},
		{"project not of this year", workflows.ConveneUpdate{SessionID: "s", Actor: drbReviewer, Experts: fiveExperts, ProjectIDs: []string{"p9"}},
			domain.StatusUnprocessable, "project_not_in_plan_year"},
		{"no projects", workflows.ConveneUpdate{SessionID: "s", Actor: drbReviewer, Experts: fiveExperts},
			domain.StatusBadRequest, "invalid_input"},
		{"expert twice", workflows.ConveneUpdate{SessionID: "s", Actor: drbReviewer, Experts: append([]workflows.ExpertRef{fiveExperts[0]}, fiveExperts[:2]...),
			ProjectIDs: []string{"p1"}}, domain.StatusBadRequest, "duplicate_expert"},
		{"too few after recusal", workflows.ConveneUpdate{SessionID: "s", Actor: drbReviewer, Experts: three, ProjectIDs: []string{"p1"}},
			domain.StatusUnprocessable, "panel_too_small_after_recusal"},
	}
	outs := make([]*outcome, len(cases))
	for i, c := range cases {
		outs[i] = h.update(workflows.UpdateConvene, c.u)
	}
	h.planState(func(st workflows.PlanState) { require.Empty(t, st.Sessions) })
	h.cancel()
	h.runPlan(policy2021())
	h.requireCancelled()

	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if stateCodes[c.code] {
				requireRefused(t, outs[i], c.status, c.code)
			} else {
				requireRejectedByValidator(t, outs[i], c.status, c.code)
			}
		})
	}
	require.Empty(t, h.transitions)
	require.Empty(t, h.signals)
}

func TestR5_PlanCompileSignalsProjects(t *testing.T) {
	h := newPlan(t)
	h.status("p1", unitA, smallFen, domain.StageAwaitingPlan)
	h.status("p2", "unit-b", largeFen, domain.StageAwaitingPlan)
	h.status("p3", "unit-c", smallFen, domain.StageExpertReview)
	refusals := []struct {
		name   string
		u      workflows.CompileUpdate
		status domain.Kind
		code   string
	}{
		{"amount above estimate", workflows.CompileUpdate{Actor: drbReviewer, Included: []workflows.PlanInclusion{{ProjectID: "p1", ApprovedAmountFen: smallFen + 1}}},
			domain.StatusUnprocessable, "amount_over_limit"},
		{"zero amount", workflows.CompileUpdate{Actor: drbReviewer, Included: []workflows.PlanInclusion{{ProjectID: "p1"}}},
			domain.StatusUnprocessable, "amount_over_limit"},
		{"exclusion without reason", workflows.CompileUpdate{Actor: drbReviewer, Excluded: []workflows.PlanExclusion{{ProjectID: "p2"}}},
			domain.StatusBadRequest, "reason_required"},
		{"project not past expert review", workflows.CompileUpdate{Actor: drbReviewer, Included: []workflows.PlanInclusion{{ProjectID: "p3", ApprovedAmountFen: 1}}},
			domain.StatusConflict, "project_not_ready"},
		{"project twice", workflows.CompileUpdate{Actor: drbReviewer, Included: []workflows.PlanInclusion{{ProjectID: "p1", ApprovedAmountFen: 1}},
			Excluded: []workflows.PlanExclusion{{ProjectID: "p1", Reason: "x"}}}, domain.StatusBadRequest, "duplicate_project"},
		{"empty", workflows.CompileUpdate{Actor: drbReviewer}, domain.StatusBadRequest, "invalid_input"},
	}
	outs := make([]*outcome, len(refusals))
	for i, c := range refusals {
		outs[i] = h.update(workflows.UpdateCompile, c.u)
	}
	compile := h.update(workflows.UpdateCompile, workflows.CompileUpdate{Actor: drbReviewer, RequestID: "req-2",
		Included: []workflows.PlanInclusion{{ProjectID: "p1", ApprovedAmountFen: 400_000_000}},
		Excluded: []workflows.PlanExclusion{{ProjectID: "p2", Reason: "与已建系统重复"}}})
	again := h.update(workflows.UpdateCompile, workflows.CompileUpdate{Actor: drbReviewer,
		Included: []workflows.PlanInclusion{{ProjectID: "p1", ApprovedAmountFen: 300_000_000}}})
	h.planState(func(st workflows.PlanState) {
		for _, pp := range st.Projects {
			switch pp.ProjectID {
			case "p1":
				require.True(t, pp.Planned)
				require.Equal(t, int64(400_000_000), pp.PlanAmountFen)
			case "p2":
				require.True(t, pp.Planned)
			case "p3":
				require.False(t, pp.Planned)
			}
		}
	})
	h.cancel()
	h.runPlan(policy2021())
	h.requireCancelled()

	for i, c := range refusals {
		t.Run(c.name, func(t *testing.T) {
			if stateCodes[c.code] || c.name == "amount above estimate" {
				requireRefused(t, outs[i], c.status, c.code)
			} else {
				requireRejectedByValidator(t, outs[i], c.status, c.code)
			}
		})
	}
	requireOK(t, compile)
	require.Equal(t, workflows.CompileResult{Included: 1, Excluded: 1}, compile.result)
	requireRefused(t, again, domain.StatusConflict, "project_not_ready")

	require.Equal(t, map[string][]workflows.PlanResultSignal{
		"project:p1": {{Included: true, ApprovedAmountFen: 400_000_000, Actor: drbReviewer}},
		"project:p2": {{Included: false, Reason: "与已建系统重复", Actor: drbReviewer}},
	}, h.planResults())
	require.Len(t, h.transitions, 1)
	tr := h.transitions[0]
	require.Equal(t, []domain.PlanItem{
		{PlanYear: planYear, ProjectID: "p1", Included: true, ApprovedAmountFen: 400_000_000, DecidedBy: drbReviewer.ID},
		{PlanYear: planYear, ProjectID: "p2", Reason: "与已建系统重复", DecidedBy: drbReviewer.ID},
	}, tr.PlanItems)
	require.Len(t, tr.Audit, 2)
	require.Equal(t, "included", tr.Audit[0].Outcome)
	require.Equal(t, "excluded", tr.Audit[1].Outcome)
}

// A plan transition is named by the Update that causes it, not by a counter: a workflow task
// retried after a lost completion may handle its Updates in another order, and the id keys
// the transition's audit rows and notifications (found by the fault test, issue 7).
func TestPlanTransitionNamedByItsUpdate(t *testing.T) {
	h := newPlan(t)
	h.status("p1", unitA, smallFen, domain.StageExpertReview)
	h.status("p2", "unit-b", smallFen, domain.StageExpertReview)
	first := h.update(workflows.UpdateConvene, workflows.ConveneUpdate{SessionID: "s1", Actor: drbReviewer, Experts: fiveExperts[:3],
		ProjectIDs: []string{"p2"}})
	second := h.update(workflows.UpdateConvene, workflows.ConveneUpdate{SessionID: "s2", Actor: drbReviewer, Experts: fourWithA,
		ProjectIDs: []string{"p1"}})
	h.cancel()
	h.runPlan(policy2021())
	h.requireCancelled()
	require.True(t, first.completed && second.completed)
	require.Len(t, h.transitions, 2)
	require.Equal(t, planWorkflowID+"/u/upd-1/1", h.transitions[0].ID)
	require.Equal(t, planWorkflowID+"/u/upd-2/1", h.transitions[1].ID)
}

// TestR4_PlanReadsStagesFromReadModel (plan-stages-from-read-model, issue 7): the plan reads a
// project's stage from the read model when it handles a decision, not from stage reports.
// A report that contradicts the read model changes nothing; a stage written after a refusal
// counts at the next request; a paneled project (its review tasks open) is not convened twice;
// a project convened by the plan, sent back and reviewed again may be convened again.
func TestR4_PlanReadsStagesFromReadModel(t *testing.T) {
	h := newPlan(t)
	h.status("p1", unitA, smallFen, domain.StagePrelimReview)
	// A stale or forged report says p1 is ready: ignored.
	h.signal(workflows.SignalProjectStatus, workflows.ProjectStatusSignal{ProjectID: "p1", UnitID: unitA, EstimatedFen: smallFen,
		Stage: domain.StageExpertReview})
	early := h.update(workflows.UpdateConvene, workflows.ConveneUpdate{SessionID: "s1", Actor: drbReviewer, Experts: fourWithA,
		ProjectIDs: []string{"p1"}})
	h.status("p1", unitA, smallFen, domain.StageExpertReview)
	first := h.update(workflows.UpdateConvene, workflows.ConveneUpdate{SessionID: "s1", Actor: drbReviewer, Experts: fourWithA,
		ProjectIDs: []string{"p1"}})
	// The lifecycle opened the panel's tasks (no stage change).
	h.setRow(domain.PlanProject{ProjectID: "p1", PlanYear: planYear, UnitID: unitA, EstimatedFen: smallFen,
		Stage: domain.StageExpertReview, ExpertTasksOpen: true})
	twice := h.update(workflows.UpdateConvene, workflows.ConveneUpdate{SessionID: "s2", Actor: drbReviewer, Experts: fourWithA,
		ProjectIDs: []string{"p1"}})
	// Returned for revision, resubmitted, approved again: a new round of expert review.
	h.status("p1", unitA, smallFen, domain.StageRevision)
	h.status("p1", unitA, smallFen, domain.StageExpertReview)
	again := h.update(workflows.UpdateConvene, workflows.ConveneUpdate{SessionID: "s3", Actor: drbReviewer, Experts: fourWithA,
		ProjectIDs: []string{"p1"}})
	// A project of another year is not this plan's.
	h.setRow(domain.PlanProject{ProjectID: "p7", PlanYear: planYear + 1, UnitID: "unit-b", EstimatedFen: smallFen, Stage: domain.StageExpertReview})
	otherYear := h.update(workflows.UpdateConvene, workflows.ConveneUpdate{SessionID: "s4", Actor: drbReviewer, Experts: fourWithA,
		ProjectIDs: []string{"p7"}})
	h.cancel()
	h.runPlan(policy2021())
	h.requireCancelled()

	require.Equal(t, []int{planYear}, h.marked, "the plan tells lifecycles to stop reporting stages")
	requireRefused(t, early, domain.StatusConflict, "project_not_ready")
	require.True(t, early.accepted, "a stage refusal is given after the plan reads the stage")
	requireOK(t, first)
	requireRefused(t, twice, domain.StatusConflict, "project_not_ready")
	requireOK(t, again)
	requireRefused(t, otherYear, domain.StatusUnprocessable, "project_not_in_plan_year")
	require.Len(t, h.panelSent("p1"), 2, "sessions s1 and s3")
	require.Len(t, h.transitions, 2)
}

// CheckPlanStages is what the gateway checks against the read model before it asks the plan
// (server planOp): the stage each plan Update needs (R4–R6), and the year.
func TestCheckPlanStages(t *testing.T) {
	row := func(id string, year int, stage domain.Stage, fen int64) domain.PlanProject {
		return domain.PlanProject{ProjectID: id, PlanYear: year, Stage: stage, EstimatedFen: fen}
	}
	rows := []domain.PlanProject{
		row("review", planYear, domain.StageExpertReview, smallFen),
		row("waiting", planYear, domain.StageAwaitingPlan, smallFen),
		row("planned", planYear, domain.StageAwaitingApproval, smallFen),
		row("large", planYear, domain.StageAwaitingApproval, 1_200_000_000),
		row("draft", planYear, domain.StageDraft, smallFen),
		row("other-year", planYear+1, domain.StageAwaitingPlan, smallFen),
	}
	pol := policy2021()
	cases := []struct {
		update string
		ids    []string
		rows   []domain.PlanProject
		code   string // "" when it passes
	}{
		{workflows.UpdateConvene, []string{"review"}, rows, ""},
		{workflows.UpdateConvene, []string{"review", "waiting"}, rows, "project_not_ready"},
		{workflows.UpdateCompile, []string{"waiting"}, rows, ""},
		{workflows.UpdateCompile, []string{"review"}, rows, "project_not_ready"},
		{workflows.UpdateCompile, []string{"planned"}, rows, "project_not_ready"},
		{workflows.UpdateCompile, []string{"draft"}, rows, "project_not_in_plan_year"},
		{workflows.UpdateCompile, []string{"other-year"}, rows, "project_not_in_plan_year"},
		{workflows.UpdateCompile, []string{"unknown"}, rows, "project_not_in_plan_year"},
		{workflows.UpdateCreateBundle, []string{"planned"}, rows, ""},
		{workflows.UpdateCreateBundle, []string{"waiting"}, rows, "project_not_ready"},
		{workflows.UpdateCreateBundle, nil, rows, ""},
		{workflows.UpdateCreateBundle, nil, []domain.PlanProject{rows[3]}, "nothing_to_bundle"},
		{workflows.UpdateCreateBundle, nil, nil, "nothing_to_bundle"},
	}
	for _, c := range cases {
		err := workflows.CheckPlanStages(c.update, planYear, c.ids, c.rows, pol)
		if c.code == "" {
			require.NoError(t, err, "%s %v", c.update, c.ids)
			continue
		}
		r, ok := domain.AsRefusal(err)
		require.True(t, ok, "%s %v: %v", c.update, c.ids, err)
		require.Equal(t, c.code, r.Code, "%s %v", c.update, c.ids)
	}
	require.Error(t, workflows.CheckPlanStages(workflows.UpdateDecide, planYear, nil, rows, pol))
}
