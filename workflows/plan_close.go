package workflows

import (
	"fmt"

	"go.temporal.io/sdk/workflow"

	"egovpm/activities/wire"
	"egovpm/internal/calendar"
	"egovpm/internal/domain"
)

// CodePlanClosed refuses a convene or compile on a plan after its year-end close (R5).
const CodePlanClosed = "plan_closed"

// yearEndClose is the plan's close timer that fired (R5, year-end-close).
type yearEndClose struct{}

// armClose sets the year-end close of the plan (R5, year-end-close): at its policy's close day
// of the plan year (Asia/Shanghai), or in a test policy plan_close_after after the plan's first
// run started, the main loop closes the plan (closeYear). The instant is kept in the state, so
// a run continued as new waits for the same one. A policy without a close day (one pinned
// before the field) has none: the plan never closes.
func (p *plan) armClose(ctx workflow.Context) {
	if p.st.Closed {
		return
	}
	if p.st.CloseAt.IsZero() {
		at, ok := p.in.Policy.PlanCloseAt(p.in.Year, workflow.Now(ctx), calendar.Shanghai)
		if !ok {
			return
		}
		p.st.CloseAt = at
	}
	at := p.st.CloseAt
	workflow.Go(ctx, func(gctx workflow.Context) {
		if d := at.Sub(workflow.Now(gctx)); d > 0 {
			if err := workflow.Sleep(gctx, d); err != nil {
				return
			}
		}
		p.inbox = append(p.inbox, &planMsg{kind: planClose, payload: yearEndClose{}})
	})
}

// closeYear closes the plan (R5): every project of the year still before the plan's decision
// (domain.PrePlanStages, as the read model says at the close) is not included. One transition
// audits the close (plan.year_end_close by system on the plan, naming the projects), then each
// project's lifecycle is told (SignalYearEndClose), cancels its open tasks, moves to
// not_included and tells its unit. From plan-close-fanout (issue 20 item 1) the lifecycles are
// told by one SignalMembers activity, which reads the same set from the read model in pages
// (store.PrePlanPage): at a province's scale a close passes the 2,000 pending signals
// Temporal allows a run, so signalAll could not complete it. Runs started before signal each
// project from the plan.
func (p *plan) closeYear(ctx workflow.Context) error {
	if p.st.Closed {
		return nil
	}
	ids, err := p.prePlan(ctx)
	if err != nil {
		return err
	}
	reason := fmt.Sprintf("%d 年度计划已于 %s 截止，项目未纳入年度计划", p.in.Year,
		p.st.CloseAt.In(calendar.Shanghai).Format("2006-01-02 15:04"))
	audits := []domain.AuditItem{{ActorID: "system", Action: "plan.year_end_close", ObjectType: "plan",
		ObjectID: fmt.Sprint(p.in.Year), Outcome: "ok",
		Detail: map[string]any{"plan_year": p.in.Year, "close_at": p.st.CloseAt, "not_included": ids, "reason": reason}}}
	closeID, err := p.applyID(ctx, domain.Transition{Audit: audits})
	if err != nil {
		return err
	}
	p.st.Closed = true
	sig := YearEndCloseSignal{PlanYear: p.in.Year, ClosedAt: p.st.CloseAt, Reason: reason}
	sigs := make([]projectSignal, 0, len(ids))
	for _, id := range ids {
		p.idx[id].Stage = domain.StageNotIncluded
		sigs = append(sigs, projectSignal{id, SignalYearEndClose, sig})
	}
	if p.fromReadModel && version(ctx, "plan-close-fanout", 1) == 1 {
		p.fanOut(ctx, wire.FanOut{ID: closeID, Signal: SignalYearEndClose, Close: &sig})
		return nil
	}
	p.signalAll(ctx, sigs)
	return nil
}

// prePlan lists the projects of the year still before the plan's decision: read from the read
// model (plan-stages-from-read-model), else those the plan has heard of.
func (p *plan) prePlan(ctx workflow.Context) ([]string, error) {
	var ids []string
	if !p.fromReadModel {
		for _, pp := range p.st.Projects {
			if pp.Stage.PrePlan() && !pp.Planned {
				ids = append(ids, pp.ProjectID)
			}
		}
		return ids, nil
	}
	var rows []domain.PlanProject
	in := wire.PlanProjectsInput{Year: p.in.Year, PrePlan: true}
	if err := workflow.ExecuteLocalActivity(localCtx(ctx), wire.LoadPlanProjects, in).Get(ctx, &rows); err != nil {
		return nil, err
	}
	for _, r := range rows {
		if r.PlanYear != p.in.Year || !r.Stage.PrePlan() {
			continue
		}
		pp, ok := p.idx[r.ProjectID]
		if !ok {
			pp = p.entry(r.ProjectID)
			p.recall(pp, wire.PlanStage{Version: r.Version, PlanAmountFen: r.PlanAmountFen, WrittenBy: r.WrittenBy})
		}
		if pp.Planned {
			continue // compiled by this plan; its lifecycle has yet to apply the decision
		}
		pp.UnitID, pp.Name, pp.EstimatedFen, pp.Stage, pp.Version = r.UnitID, r.Name, r.EstimatedFen, r.Stage, r.Version
		ids = append(ids, r.ProjectID)
	}
	return ids, nil
}
