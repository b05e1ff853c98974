package workflows_test

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"testing"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"

	"egovpm/activities"
	"egovpm/activities/wire"
	"egovpm/internal/domain"
	"egovpm/workflows"
)

// mockPlanStages answers LoadPlanStages (plan-compile-lean-read) from the harness's read model
// as the activity does (wire.PlanStageOf of each row it names, in id order).
func (h *harness) mockPlanStages() {
	h.env.OnActivity(a.LoadPlanStages, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.PlanProjectsInput) ([]wire.PlanStage, error) {
			h.mu.Lock()
			defer h.mu.Unlock()
			ids := append([]string(nil), in.IDs...)
			sort.Strings(ids)
			out := []wire.PlanStage{}
			for _, id := range ids {
				if r, ok := h.rows[id]; ok {
					if s, ok := wire.PlanStageOf(*r, in.Year); ok {
						out = append(out, s)
					}
				}
			}
			h.readSizes = append(h.readSizes, encodedSize(out))
			return out, nil
		}).Maybe()
}

// encodedSize is the length of v's JSON, as the SDK's converter puts it in a payload.
func encodedSize(v any) int {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return len(b)
}

// maxPayload is the per-payload goal of issue 20 item 1: no Temporal payload over 256 KB.
const maxPayload = 256 << 10

// TestPlanCompileOfTheCapReadsUnder256KB: a compile of the 1,000 projects a request may name
// reads them (LoadPlanStages, plan-compile-lean-read) in an answer well under 256 KB, where
// their whole rows (LoadPlanProjects: a name, a unit, the plan year, the bundle approver) were
// 263.9 KB in the growth benchmark's marker (PERFORMANCE §11.1.2). The rows here are shaped as
// the read model's (uuid ids and units, a Chinese name, the pinned approver) so that whole rows
// are as large. It still decides as before: R5's stage check, R7's cap from the estimate read,
// the plan items of all 1,000 and the plan's state of them.
func TestPlanCompileOfTheCapReadsUnder256KB(t *testing.T) {
	const n = 1000
	h := newPlan(t)
	var full []domain.PlanProject // the rows as LoadPlanProjects would answer them
	id := func(i int) string { return fmt.Sprintf("%08x-6c1e-4a5b-9d3f-%012x", i, i*7919) }
	h.step(func() {
		h.mu.Lock()
		defer h.mu.Unlock()
		for i := range n {
			pid := id(i)
			h.rows[pid] = &domain.PlanProject{ProjectID: pid, PlanYear: planYear,
				UnitID: fmt.Sprintf("%08x-2b7c-4e0d-8a11-%012x", i%40, i%40), Name: fmt.Sprintf("政务项目%04d", i),
				EstimatedFen: 1_234_567_800 + int64(i), Stage: domain.StageAwaitingPlan, Version: 7,
				BundleApproverRole: domain.RoleNDRCApprover, BundleApproverOrg: "ndrc"}
			h.rowOrder = append(h.rowOrder, pid)
		}
		h.rows[id(5)].Stage = domain.StageExpertReview
		for _, pid := range h.rowOrder {
			full = append(full, *h.rows[pid])
		}
	})
	u := workflows.CompileUpdate{Actor: drbReviewer, RequestID: "req-cap"}
	for i := range n {
		u.Included = append(u.Included, workflows.PlanInclusion{ProjectID: id(i), ApprovedAmountFen: 1_000_000_000})
	}
	notReady := h.update(workflows.UpdateCompile, u) // id(5) is still in expert review (R5)
	h.setRow(domain.PlanProject{ProjectID: id(5), PlanYear: planYear, UnitID: "unit-5", Name: "项目五",
		EstimatedFen: 1_234_567_805, Stage: domain.StageAwaitingPlan})
	over := u
	over.Included = append([]workflows.PlanInclusion{{ProjectID: id(0), ApprovedAmountFen: 1_234_567_801}}, u.Included[1:]...)
	overLimit := h.update(workflows.UpdateCompile, over) // R7: 1 fen over id(0)'s estimate
	compile := h.update(workflows.UpdateCompile, u)
	var known map[string]workflows.PlanProject
	h.planState(func(st workflows.PlanState) {
		known = map[string]workflows.PlanProject{}
		for _, pp := range st.Projects {
			known[pp.ProjectID] = *pp
		}
	})
	h.cancel()
	h.runPlan(policy2021())
	h.requireCancelled()

	requireRefused(t, notReady, domain.StatusConflict, "project_not_ready")
	require.Contains(t, refusalMessage(t, notReady), "当前阶段为专家评审，", "the stage by its Chinese name")
	requireRefused(t, overLimit, domain.StatusUnprocessable, "amount_over_limit")
	requireOK(t, compile)
	require.Len(t, h.items, n)
	require.Len(t, known, n)
	require.True(t, known[id(9)].Planned)
	require.Equal(t, int64(1_000_000_000), known[id(9)].PlanAmountFen)

	require.Greater(t, encodedSize(full), maxPayload, "whole rows, ~264 B each as in the read model (263.9 KB at 1,000)")
	require.Len(t, h.readSizes, 3, "one read a compile")
	for _, size := range h.readSizes {
		require.Less(t, size, maxPayload/2, "a compile's read of %d projects: %d B", n, size)
	}
	t.Logf("a compile's read of %d projects: %d B (whole rows: %d B)", n, h.readSizes[2], encodedSize(full))
}
