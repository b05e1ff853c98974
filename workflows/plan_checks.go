package workflows

import (
	"fmt"
	"slices"
	"strings"

	"egovpm/internal/domain"
)

// The stage each plan Update needs its projects in, and how a refusal says so.
const (
	wantConvene = "不在待组织专家评审状态"
	wantCompile = "未通过专家评审或已编入计划"
	wantBundle  = "不在待打捆报批状态"
)

// CheckPlanStages is the part of a plan Update's checks that the read model alone decides
// (rows as LoadPlanProjects reads them): each project named is of the year and not a draft,
// and in the stage the Update needs (R4 convene: expert_review, R5 compile: awaiting_plan,
// R6 bundle: awaiting_approval); a bundle naming none needs a small project awaiting approval;
// a bundle holds no project whose 密码应用方案 is missing (R17), and one approver's projects
// under their pinned policies (R6, R19).
// AnnualPlan checks this and more (its own sessions, plan items and bundles) when it handles
// the Update; the gateway checks it before it asks the plan (server planOp).
func CheckPlanStages(update string, year int, ids []string, rows []domain.PlanProject, pol domain.Policy) error {
	var need domain.Stage
	var want string
	switch update {
	case UpdateConvene:
		need, want = domain.StageExpertReview, wantConvene
	case UpdateCompile:
		need, want = domain.StageAwaitingPlan, wantCompile
	case UpdateCreateBundle:
		need, want = domain.StageAwaitingApproval, wantBundle
		if len(ids) == 0 {
			var waiting []string
			var ready []domain.PlanProject
			for _, r := range rows {
				if Bundleable(r, year, pol) {
					if r.CryptoPlanMissing {
						waiting = append(waiting, r.ProjectID)
					} else {
						ready = append(ready, r)
					}
				}
			}
			switch {
			case len(ready) > 0:
				return checkOneApprover(ready)
			case len(waiting) > 0:
				return refuseCryptoPlanMissing(waiting)
			}
			return refuseNothingToBundle()
		}
	default:
		return fmt.Errorf("CheckPlanStages: %q is not a plan Update", update)
	}
	for _, id := range ids {
		i := slices.IndexFunc(rows, func(r domain.PlanProject) bool { return r.ProjectID == id })
		if i < 0 || rows[i].PlanYear != year || rows[i].Stage == domain.StageDraft {
			return refuseNotInYear(id, year)
		}
		if rows[i].Stage != need {
			return refuseNotReady(id, rows[i].Stage, want)
		}
	}
	if update == UpdateCreateBundle {
		var missing []string
		for _, r := range rows {
			if r.CryptoPlanMissing {
				missing = append(missing, r.ProjectID)
			}
		}
		if len(missing) > 0 {
			return refuseCryptoPlanMissing(missing)
		}
		return checkOneApprover(rows)
	}
	return nil
}

// CheckPanels refuses a session of experts over projects (rows as the read model holds them:
// id, unit, name) when the effective panel of any project (its experts minus those of its own
// unit, R4 recusal) is smaller than the policy's minimum or, while the policy wants it odd,
// even: an even panel can tie, and a tie is no majority. The refusal names every project that
// falls short, why, and how many experts from outside its unit it lacks, so that DRB, who picks
// the experts, can add them or convene those projects apart: 422 panel_too_small_after_recusal
// when one is below the minimum, else 422 panel_even_after_recusal; extra lists them.
// AnnualPlan checks it when it handles the convene (panel-odd-after-recusal); the gateway
// checks it before it asks the plan.
func CheckPanels(experts []ExpertRef, rows []domain.PlanProject, pol domain.Policy) error {
	var lines []string
	var short []map[string]any
	small := false
	for _, r := range rows {
		n := len(effectivePanel(experts, r.UnitID))
		add := pol.PanelShortfall(n)
		if add == 0 {
			continue
		}
		small = small || n < pol.PanelMin
		name := r.Name
		if name == "" {
			name = r.ProjectID
		}
		lines = append(lines, fmt.Sprintf("项目「%s」（%s）回避 %d 人后有效专家 %d 人，须再增加 %d 名非本单位专家",
			name, r.ProjectID, len(experts)-n, n, add))
		short = append(short, map[string]any{"project_id": r.ProjectID, "recused": len(experts) - n, "effective": n, "add": add})
	}
	if len(lines) == 0 {
		return nil
	}
	rule := fmt.Sprintf("不少于 %d 人", pol.PanelMin)
	if pol.PanelMustBeOdd() {
		rule += "的奇数"
	}
	code := "panel_even_after_recusal"
	if small {
		code = "panel_too_small_after_recusal"
	}
	return domain.RefuseWith(domain.StatusUnprocessable, code,
		fmt.Sprintf("每个项目回避后的有效专家组须为%s：%s（也可将这些项目另行组织评审会）", rule, strings.Join(lines, "；")),
		map[string]any{"panel_min": pol.PanelMin, "odd": pol.PanelMustBeOdd(), "projects": short})
}

func effectivePanel(experts []ExpertRef, unitID string) []ExpertRef {
	var out []ExpertRef
	for _, e := range experts {
		if e.OrgID != unitID { // R4 recusal
			out = append(out, e)
		}
	}
	return out
}

func notReady(pp *PlanProject, want string) error {
	return refuseNotReady(pp.ProjectID, pp.Stage, want)
}

func refuseNotReady(id string, stage domain.Stage, want string) error {
	return domain.Refuse(domain.StatusConflict, "project_not_ready", fmt.Sprintf("项目 %s 当前阶段为%s，%s", id, domain.StageName(stage), want))
}

func refuseNotInYear(id string, year int) error {
	return domain.Refuse(domain.StatusUnprocessable, "project_not_in_plan_year", fmt.Sprintf("项目 %s 未在 %d 年度申报", id, year))
}

// approverNames are the Chinese names of the approving orgs (R6) for messages.
var approverNames = map[string]string{"ndrc": "市发改委", "drb": "市数管局", "citygov": "市政府"}

// checkOneApprover refuses a bundle whose projects (rows: id and bundle approver) are decided by
// more than one approver under their pinned policies (R6, R19: a project submitted under the
// 2021 policy is approved by NDRC, one under 2023 by DRB, whatever policy is in force now):
// 422 bundle_approvers_differ, naming each approver's projects; extra.groups lists them.
func checkOneApprover(rows []domain.PlanProject) error {
	type group struct {
		role, org string
		ids       []string
	}
	var groups []*group
	for _, r := range rows {
		i := slices.IndexFunc(groups, func(g *group) bool { return g.role == r.BundleApproverRole && g.org == r.BundleApproverOrg })
		if i < 0 {
			groups = append(groups, &group{role: r.BundleApproverRole, org: r.BundleApproverOrg})
			i = len(groups) - 1
		}
		groups[i].ids = append(groups[i].ids, r.ProjectID)
	}
	if len(groups) < 2 {
		return nil
	}
	parts := make([]string, 0, len(groups))
	extra := make([]map[string]any, 0, len(groups))
	for _, g := range groups {
		name := approverNames[g.org]
		if name == "" {
			name = domain.RoleName(g.role)
		}
		parts = append(parts, fmt.Sprintf("项目 %s 由%s审批", strings.Join(g.ids, "、"), name))
		extra = append(extra, map[string]any{"approver_role": g.role, "approver_org": g.org, "project_ids": g.ids})
	}
	return domain.RefuseWith(domain.StatusUnprocessable, "bundle_approvers_differ",
		"一份打捆项目建议书只能包含同一审批机关批复的项目（按各项目申报时施行的政策版本）："+strings.Join(parts, "；")+
			"。请按审批机关分别打捆", map[string]any{"groups": extra})
}

// refuseCryptoPlanMissing refuses a bundle with projects that use cryptography and lack the
// 密码应用方案 their pinned policy demands at approval (R17): the unit uploads it, then the same
// request goes through.
func refuseCryptoPlanMissing(ids []string) error {
	return domain.RefuseWith(domain.StatusUnprocessable, "documents_missing",
		fmt.Sprintf("项目 %s 使用密码技术，须先上传密码应用方案才能报批", strings.Join(ids, "、")),
		map[string]any{"missing": []string{"crypto_plan"}, "project_ids": ids})
}

func refuseNothingToBundle() error {
	return domain.Refuse(domain.StatusUnprocessable, "nothing_to_bundle", "没有待打捆的 1000 万元以下计划项目")
}
