package workflows

import (
	"fmt"

	"egovpm/internal/authz"
	"egovpm/internal/domain"
)

// validate checks a message without changing anything. With state it also checks the
// projects' stages (as the plan knows them); without, only what the message says and the
// plan's own sessions and bundles: a run that reads stages from the read model validates
// its Updates without state (validators cannot read), then again with state in its main
// loop after reading them (load).
func (p *plan) validate(m *planMsg, state bool) error {
	if p.st.Closed && (m.kind == planConvene || m.kind == planCompile) {
		// R5 year-end close: the projects still before the plan were not included.
		return domain.Refuse(domain.StatusConflict, CodePlanClosed, fmt.Sprintf("%d 年度计划已截止，不能再召开评审会或编制计划", p.in.Year))
	}
	switch u := m.payload.(type) {
	case ConveneUpdate:
		return p.validateConvene(u, state)
	case CompileUpdate:
		return p.validateCompile(u, state)
	case BundleUpdate:
		return p.validateBundle(m, u, state)
	case ReassignUpdate:
		b := p.bundleByTask(u.TaskID)
		if b == nil || b.Status != "pending" {
			return errStale()
		}
		if u.Delegate {
			return domain.Refuse(domain.StatusUnprocessable, "delegate_not_supported", "打捆项目建议书的审批不能委派")
		}
		if u.Deputy {
			return domain.Refuse(domain.StatusUnprocessable, "deputy_not_supported", "打捆项目建议书的审批不能由代理人代理")
		}
		return checkReassign(u, p.bundleFacts(b, true))
	case DecideUpdate:
		if a := p.adjustmentByTask(u.TaskID); a != nil {
			return p.validateAdjustDecision(a, u)
		}
		return p.validateDecide(m, u, state)
	case AdjustUpdate:
		return p.validateAdjust(u, state)
	}
	return nil
}

// validateConvene checks an expert session (R4): a new session id, a panel of the policy's
// size without an expert twice, and (with state) projects awaiting their panel, each with a
// panel large enough after recusal.
func (p *plan) validateConvene(u ConveneUpdate, state bool) error {
	pol := p.in.Policy
	if u.SessionID == "" || domain.Contains(p.st.Sessions, u.SessionID) {
		return domain.Refuse(domain.StatusConflict, "duplicate_session", "专家评审会编号为空或已存在："+u.SessionID)
	}
	if len(u.Experts) < pol.PanelMin || (!p.oddPanels && len(u.Experts)%2 == 0) {
		return domain.Refuse(domain.StatusUnprocessable, "panel_size",
			fmt.Sprintf("专家组人数须为不少于 %d 的奇数", pol.PanelMin))
	}
	if len(u.ProjectIDs) == 0 {
		return domain.Refuse(domain.StatusBadRequest, "invalid_input", "须指定评审项目")
	}
	seen := map[string]bool{}
	for _, e := range u.Experts {
		if seen[e.ID] {
			return domain.Refuse(domain.StatusBadRequest, "duplicate_expert", "专家重复："+e.ID)
		}
		seen[e.ID] = true
	}
	if !state {
		return nil
	}
	for _, id := range u.ProjectIDs {
		pp, err := p.project(id)
		if err != nil {
			return err
		}
		if pp.Stage != domain.StageExpertReview || pp.Paneled {
			return notReady(pp, wantConvene)
		}
		if n := len(effectivePanel(u.Experts, pp.UnitID)); !p.oddPanels && n < pol.PanelMin {
			return domain.Refuse(domain.StatusUnprocessable, "panel_too_small_after_recusal",
				fmt.Sprintf("项目 %s 回避后专家不足 %d 人", id, pol.PanelMin))
		}
	}
	if !p.oddPanels {
		return nil
	}
	rows := make([]domain.PlanProject, 0, len(u.ProjectIDs))
	for _, id := range u.ProjectIDs {
		pp := p.idx[id]
		rows = append(rows, domain.PlanProject{ProjectID: id, UnitID: pp.UnitID, Name: pp.Name})
	}
	return CheckPanels(u.Experts, rows, pol)
}

// validateCompile checks a compilation (R5): projects named once, (with state) each past its
// expert review and not compiled yet, an amount no higher than the estimate (R7) for those
// included, a reason for those left out.
func (p *plan) validateCompile(u CompileUpdate, state bool) error {
	if len(u.Included)+len(u.Excluded) == 0 {
		return domain.Refuse(domain.StatusBadRequest, "invalid_input", "计划中须至少包含一个项目")
	}
	seen := map[string]bool{}
	check := func(id string) (*PlanProject, error) {
		if seen[id] {
			return nil, domain.Refuse(domain.StatusBadRequest, "duplicate_project", "项目重复："+id)
		}
		seen[id] = true
		if !state {
			return nil, nil
		}
		pp, err := p.project(id)
		if err != nil {
			return nil, err
		}
		if pp.Stage != domain.StageAwaitingPlan || pp.Planned {
			return nil, notReady(pp, wantCompile)
		}
		return pp, nil
	}
	for _, in := range u.Included {
		pp, err := check(in.ProjectID)
		if err != nil {
			return err
		}
		// R7: the plan may cut the amount, never raise it.
		if in.ApprovedAmountFen <= 0 || (pp != nil && in.ApprovedAmountFen > pp.EstimatedFen) {
			msg := fmt.Sprintf("项目 %s 的计划金额须为正数，且不超过项目估算", in.ProjectID)
			if pp != nil {
				msg = fmt.Sprintf("项目 %s 的计划金额须在 0.01 到 %s 元之间", in.ProjectID, domain.Yuan(pp.EstimatedFen))
			}
			return domain.Refuse(domain.StatusUnprocessable, "amount_over_limit", msg)
		}
	}
	for _, ex := range u.Excluded {
		if _, err := check(ex.ProjectID); err != nil {
			return err
		}
		if p.missing(ex.Reason) {
			return domain.Refuse(domain.StatusBadRequest, "reason_required", "未列入计划须说明理由："+ex.ProjectID)
		}
	}
	return nil
}

// validateBundle checks a bundled proposal (R6): a new bundle id and projects named once;
// with state, the projects it names (or, naming none, the candidates read for m) are small,
// awaiting approval in no bundle, have their 密码应用方案 where it is due (R17) and one approver
// (R6, R19).
func (p *plan) validateBundle(m *planMsg, u BundleUpdate, state bool) error {
	for _, b := range p.st.Bundles {
		if b.ID == u.BundleID {
			return domain.Refuse(domain.StatusConflict, "duplicate_bundle", "打捆建议书编号已存在："+b.ID)
		}
	}
	if u.BundleID == "" {
		return domain.Refuse(domain.StatusBadRequest, "invalid_input", "缺少打捆建议书编号")
	}
	ids := u.ProjectIDs
	if len(ids) == 0 {
		if !state {
			return nil
		}
		if m.summary != nil {
			return p.checkSummary(*m.summary)
		}
		ids = p.bundleable(m)
		if len(ids) == 0 && len(m.waiting) > 0 {
			return refuseCryptoPlanMissing(m.waiting)
		}
		if len(ids) == 0 {
			return refuseNothingToBundle()
		}
	}
	seen := map[string]bool{}
	for _, id := range ids {
		if seen[id] {
			return domain.Refuse(domain.StatusBadRequest, "duplicate_project", "项目重复："+id)
		}
		seen[id] = true
		if !state {
			continue
		}
		if err := p.checkBundleable(id); err != nil {
			return err
		}
	}
	if !state {
		return nil
	}
	return p.checkBundleApproval(ids)
}

// checkBundleable refuses project id in a bundle unless it is small and awaiting approval in
// no bundle (R6).
func (p *plan) checkBundleable(id string) error {
	pp, err := p.project(id)
	if err != nil {
		return err
	}
	if !p.in.Policy.Small(pp.EstimatedFen) {
		return domain.Refuse(domain.StatusUnprocessable, "not_small_project",
			fmt.Sprintf("项目 %s 总投资不低于 1000 万元，须单独报批", id))
	}
	if pp.Stage != domain.StageAwaitingApproval || pp.BundleID != "" {
		return notReady(pp, wantBundle)
	}
	return nil
}

// checkBundleApproval refuses a bundle of ids that could not be approved as one: a 密码应用方案
// missing (R17), or (bundle-by-pinned-approver) projects of more than one approver (R6, R19).
func (p *plan) checkBundleApproval(ids []string) error {
	var missing []string
	for _, id := range ids {
		if pp := p.idx[id]; pp != nil && pp.CryptoPlanMissing {
			missing = append(missing, id)
		}
	}
	if len(missing) > 0 {
		return refuseCryptoPlanMissing(missing)
	}
	if !p.pinnedApprovers {
		return nil
	}
	rows := make([]domain.PlanProject, 0, len(ids))
	for _, id := range ids {
		role, org := p.approverOf(p.idx[id])
		rows = append(rows, domain.PlanProject{ProjectID: id, BundleApproverRole: role, BundleApproverOrg: org})
	}
	return checkOneApprover(rows)
}

// checkSummary refuses a bundle made by reference of the candidates sum counts when there is
// none to bundle, or only ones whose 密码应用方案 is missing (R17), or they have more than one
// approver (R6, R19); the refusals name the first ids of each kind.
func (p *plan) checkSummary(sum domain.BundleSummary) error {
	switch {
	case sum.Count == 0 && sum.Waiting > 0:
		return refuseCryptoPlanMissing(sum.WaitingIDs)
	case sum.Count == 0:
		return refuseNothingToBundle()
	case len(sum.Approvers) < 2:
		return nil
	}
	var rows []domain.PlanProject
	for _, a := range sum.Approvers {
		for _, id := range a.SampleIDs {
			rows = append(rows, domain.PlanProject{ProjectID: id, BundleApproverRole: a.Role, BundleApproverOrg: a.Org})
		}
	}
	return checkOneApprover(rows)
}

// validateDecide checks a decision on a bundle: the bundle is the plan's own state, checked in
// the validator in every version. Of a bundle made by reference (bundle-by-reference), whether
// the projects excluded are members is read from the read model (load): checked with state.
func (p *plan) validateDecide(m *planMsg, u DecideUpdate, state bool) error {
	b := p.bundleByTask(u.TaskID)
	if b == nil || b.Status != "pending" {
		return errStale()
	}
	if err := authz.ActOnTask(u.Actor, p.bundleFacts(b, p.sod)); err != nil {
		return refusal(err)
	}
	switch u.Decision {
	case domain.DecisionApprove:
		if b.ByRef {
			return p.checkExcluded(m, b, u.ExcludedProjectIDs, state)
		}
		for _, id := range u.ExcludedProjectIDs {
			if !domain.Contains(b.ProjectIDs, id) {
				return domain.Refuse(domain.StatusBadRequest, "invalid_decision", "排除的项目不在该打捆建议书中："+id)
			}
		}
		if len(u.ExcludedProjectIDs) >= len(b.ProjectIDs) {
			return domain.Refuse(domain.StatusBadRequest, "invalid_decision", "全部排除请使用 reject")
		}
	case domain.DecisionReject:
		if p.missing(u.Comment) {
			return domain.Refuse(domain.StatusBadRequest, "invalid_decision", "不予批复须说明理由")
		}
	default:
		return domain.Refuse(domain.StatusBadRequest, "invalid_decision", "打捆审批决定须为 approve 或 reject")
	}
	return nil
}

// checkExcluded refuses excluding from bundle b, made by reference, a project not in it (with
// state: m.members are those of ids in it) or every member.
func (p *plan) checkExcluded(m *planMsg, b *PlanBundle, ids []string, state bool) error {
	seen := map[string]bool{}
	for _, id := range ids {
		if state && !domain.Contains(m.members, id) {
			return domain.Refuse(domain.StatusBadRequest, "invalid_decision", "排除的项目不在该打捆建议书中："+id)
		}
		seen[id] = true
	}
	if len(seen) >= b.Count {
		return domain.Refuse(domain.StatusBadRequest, "invalid_decision", "全部排除请使用 reject")
	}
	return nil
}

func (p *plan) project(id string) (*PlanProject, error) {
	pp, ok := p.idx[id]
	if !ok && !p.fromReadModel && p.statusPending() {
		// An Update's validator runs before the stage reports that reached the plan in the
		// same workflow task are read (the SDK handles Updates first): the project may be
		// among them, so the answer is "not yet" (409, retry), not "never" (found by the
		// fault test, issue 7: a plan whose worker had been killed).
		return nil, domain.Refuse(domain.StatusConflict, "project_not_ready",
			fmt.Sprintf("%d 年度计划尚未收到项目 %s 的最新状态，请稍后重试", p.in.Year, id))
	}
	if !ok {
		return nil, refuseNotInYear(id, p.in.Year)
	}
	return pp, nil
}

// statusPending reports stage reports the plan has received but not read yet.
func (p *plan) statusPending() bool {
	if p.status != nil && p.status.Len() > 0 {
		return true
	}
	for _, m := range p.inbox {
		if m.kind == planStatus {
			return true
		}
	}
	return false
}
