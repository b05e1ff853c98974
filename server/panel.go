package main

import (
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/gin-gonic/gin"

	"egovpm/internal/apperr"
	"egovpm/internal/authz"
	"egovpm/internal/domain"
	"egovpm/internal/store"
	"egovpm/workflows"
)

// panelJSON is GET /api/v1/plans/{year}/panel: what the 专家评审 screen shows before DRB
// convenes a session (R4) — the panel rules of the policy in force in words and numbers, the
// experts and the orgs that may co-organise, and for each project awaiting its panel, with
// the experts picked (expert_ids), who is recused and why and how many experts its effective
// panel still lacks.
type panelJSON struct {
	Year         int                 `json:"year"`
	Rules        panelRulesJSON      `json:"rules"`
	Experts      []store.PanelExpert `json:"experts"`
	CoOrganisers []orgJSON           `json:"co_organisers"`
	Projects     []panelProjectJSON  `json:"projects"`
	Selection    panelSelectionJSON  `json:"selection"`
	// Specialties are the pool's specialties a random draw picks by (POST …/expert-draws),
	// with how many enabled experts each has.
	Specialties []specialtyJSON `json:"specialties"`
}

// specialtyJSON is one specialty of the expert pool.
type specialtyJSON struct {
	Code    string `json:"code"`
	Name    string `json:"name"`
	Experts int    `json:"experts"`
}

// panelRulesJSON is R4's rule under the policy in force.
type panelRulesJSON struct {
	PanelMin int  `json:"panel_min"`
	Odd      bool `json:"odd"`
	// PassNum/PassDen: a project passes when more than PassNum/PassDen of its effective panel
	// pass it.
	PassNum int `json:"pass_num"`
	PassDen int `json:"pass_den"`
	// Text says the rule in Chinese, as the screen shows it.
	Text []string `json:"text"`
}

// panelProjectJSON is one project awaiting its panel, judged against the selection.
type panelProjectJSON struct {
	ProjectID    string        `json:"project_id"`
	Name         string        `json:"name"`
	UnitID       string        `json:"unit_id"`
	UnitName     string        `json:"unit_name"`
	EstimatedFen int64         `json:"estimated_investment_fen"`
	Recused      []recusalJSON `json:"recused"`
	// Effective is the selection less the recused; Shortfall how many experts from outside
	// the project's unit it still lacks (0: the panel stands).
	Effective int `json:"effective"`
	Shortfall int `json:"shortfall"`
}

// recusalJSON is an expert of the selection left off a project's panel, and why (R4).
type recusalJSON struct {
	ExpertID string `json:"expert_id"`
	Reason   string `json:"reason"`
}

// panelSelectionJSON judges the selection (the experts, over the projects picked) as the
// convene would.
type panelSelectionJSON struct {
	ExpertIDs []string `json:"expert_ids"`
	// OK: every project's effective panel stands.
	OK      bool   `json:"ok"`
	Message string `json:"message"`
}

// panel is GET /api/v1/plans/{year}/panel?expert_ids=a,b,c&project_ids=p,q (the selection is
// judged on project_ids only, when given).
func (s *Server) panel(c *gin.Context) {
	y, ok := planYear(c)
	if !ok {
		return
	}
	picked, err := idsQuery(c, "expert_ids", 99, "最多 99 名专家")
	if err != nil {
		respondError(c, err)
		return
	}
	only, err := idsQuery(c, "project_ids", 500, "最多 500 个项目")
	if err != nil {
		respondError(c, err)
		return
	}
	ctx := c.Request.Context()
	experts, err := s.store.Experts(ctx)
	if err != nil {
		respondError(c, err)
		return
	}
	specs, err := s.store.ExpertSpecialtiesOf(ctx)
	if err != nil {
		respondError(c, err)
		return
	}
	projects, err := s.store.PanelCandidates(ctx, y)
	if err != nil {
		respondError(c, err)
		return
	}
	orgs, _, err := s.store.ListOrgs(ctx, store.OrgFilter{Limit: 1000})
	if err != nil {
		respondError(c, err)
		return
	}
	orgName := map[string]string{}
	out := panelJSON{Year: y, Rules: panelRules(s.policy), Experts: experts, CoOrganisers: []orgJSON{}, Projects: []panelProjectJSON{},
		Specialties: specialtiesOf(experts, specs)}
	for _, o := range orgs {
		orgName[o.ID] = o.Name
		if slices.Contains(authz.CoOrganiserOrgKinds, o.Kind) {
			out.CoOrganisers = append(out.CoOrganisers, toOrgJSON(o))
		}
	}
	sel, err := pickExperts(experts, picked)
	if err != nil {
		respondError(c, err)
		return
	}
	var rows []domain.PlanProject
	for _, p := range projects {
		pj := panelProjectJSON{ProjectID: p.ProjectID, Name: p.Name, UnitID: p.UnitID, UnitName: p.UnitName,
			EstimatedFen: p.EstimatedFen, Recused: []recusalJSON{}}
		for _, e := range sel {
			if e.OrgID == p.UnitID { // R4 recusal, as AnnualPlan and the lifecycle apply it
				pj.Recused = append(pj.Recused, recusalJSON{ExpertID: e.ID,
					Reason: fmt.Sprintf("%s 属于项目申报单位（%s），回避", e.Name, p.UnitName)})
			}
		}
		pj.Effective = len(sel) - len(pj.Recused)
		pj.Shortfall = s.policy.PanelShortfall(pj.Effective)
		if only == nil || slices.Contains(only, p.ProjectID) {
			rows = append(rows, domain.PlanProject{ProjectID: p.ProjectID, UnitID: p.UnitID, Name: p.Name})
		}
		out.Projects = append(out.Projects, pj)
	}
	out.Selection = panelSelection(sel, rows, s.policy)
	c.JSON(http.StatusOK, out)
}

// specialtiesOf sets each expert's specialties from specs (user id → codes) and counts the
// experts of each specialty.
func specialtiesOf(experts []store.PanelExpert, specs map[string][]string) []specialtyJSON {
	out := make([]specialtyJSON, 0, len(domain.SpecialtyOrder))
	for _, code := range domain.SpecialtyOrder {
		out = append(out, specialtyJSON{Code: code, Name: domain.ExpertSpecialties[code]})
	}
	for i := range experts {
		experts[i].Specialties = specs[experts[i].ID]
		for _, code := range experts[i].Specialties {
			if k := slices.Index(domain.SpecialtyOrder, code); k >= 0 {
				out[k].Experts++
			}
		}
	}
	return out
}

// panelSelection checks the experts selected against the projects chosen (rows), as the
// convene will: R4's panel after recusal (workflows.CheckPanels).
func panelSelection(sel []store.PanelExpert, rows []domain.PlanProject, pol domain.Policy) panelSelectionJSON {
	out := panelSelectionJSON{ExpertIDs: []string{}}
	refs := make([]workflows.ExpertRef, 0, len(sel))
	for _, e := range sel {
		out.ExpertIDs = append(out.ExpertIDs, e.ID)
		refs = append(refs, workflows.ExpertRef{ID: e.ID, OrgID: e.OrgID})
	}
	switch err := workflows.CheckPanels(refs, rows, pol); {
	case len(sel) == 0:
		out.Message = "请选择专家"
	case len(rows) == 0:
		out.Message = "请选择评审项目"
	case err != nil:
		// The refusal the convene would answer with (the same check, workflows.CheckPanels).
		r, _ := domain.AsRefusal(err)
		out.Message = r.Message
	default:
		out.OK = true
		out.Message = fmt.Sprintf("已选 %d 名专家，每个项目回避后的有效专家组均符合规则", len(sel))
	}
	return out
}

// idsQuery reads the comma-separated ids of query parameter name (nil when absent), at most
// limit of them.
func idsQuery(c *gin.Context, name string, limit int, tooMany string) ([]string, error) {
	v := c.Query(name)
	if v == "" {
		return nil, nil
	}
	ids := strings.Split(v, ",")
	if len(ids) > limit {
		return nil, apperr.Invalid(map[string]string{name: tooMany})
	}
	return ids, nil
}

// pickExperts is the experts picked, each once, in the order picked; an id that is no
// expert's is invalid.
func pickExperts(experts []store.PanelExpert, picked []string) ([]store.PanelExpert, error) {
	var sel []store.PanelExpert
	for _, id := range picked {
		i := slices.IndexFunc(experts, func(e store.PanelExpert) bool { return e.ID == id })
		if i < 0 {
			return nil, apperr.Invalid(map[string]string{"expert_ids": "不是专家：" + id})
		}
		if !slices.ContainsFunc(sel, func(e store.PanelExpert) bool { return e.ID == id }) {
			sel = append(sel, experts[i])
		}
	}
	return sel, nil
}

// panelRules says R4's rule of pol in numbers and words.
func panelRules(pol domain.Policy) panelRulesJSON {
	r := panelRulesJSON{PanelMin: pol.PanelMin, Odd: pol.PanelMustBeOdd(), PassNum: 1, PassDen: 2}
	if f := pol.PanelPassMoreThan; f != nil {
		r.PassNum, r.PassDen = f.Num, f.Den
	}
	size := fmt.Sprintf("不少于 %d 人", r.PanelMin)
	if r.Odd {
		size += "的奇数"
	}
	r.Text = []string{
		"专家与项目申报单位同属一个单位的，回避该项目的评审（R4）。",
		"每个项目回避后的有效专家组须为" + size + "；不足时请增加非本单位专家，或将该项目另行组织评审会。",
		fmt.Sprintf("每位专家给出 0–100 分的评分、评审意见及通过与否；通过票超过有效专家组的 %d/%d 时项目通过。", r.PassNum, r.PassDen),
	}
	return r
}
