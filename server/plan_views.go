package main

import (
	"cmp"
	"net/http"
	"slices"

	"github.com/gin-gonic/gin"

	"egovpm/internal/apperr"
	"egovpm/internal/store"
	"egovpm/workflows"
)

// planTotalsJSON sums a plan (or a draft of it) per unit and per project type (R5), in fen:
// what the 年度计划 screen shows under its table; the browser adds nothing up.
type planTotalsJSON struct {
	Included int `json:"included"`
	Excluded int `json:"excluded"`
	// RequestedFen is the estimated investment of the included projects; PlannedFen their
	// plan amounts; CutFen the difference (R5: the plan may cut, never raise).
	RequestedFen int64            `json:"requested_fen"`
	PlannedFen   int64            `json:"planned_fen"`
	CutFen       int64            `json:"cut_fen"`
	ByUnit       []planTotalGroup `json:"by_unit"`
	ByType       []planTotalGroup `json:"by_type"`
}

// planTotalGroup is the totals of one unit or one project type.
type planTotalGroup struct {
	// Key is the unit id or the project type; Name the unit's name (the type for types).
	Key          string `json:"key"`
	Name         string `json:"name"`
	Included     int    `json:"included"`
	Excluded     int    `json:"excluded"`
	RequestedFen int64  `json:"requested_fen"`
	PlannedFen   int64  `json:"planned_fen"`
	CutFen       int64  `json:"cut_fen"`
}

// planLine is one project of a plan as the totals count it.
type planLine struct {
	unitID, unitName, typ string
	estimated, planned    int64
	included              bool
}

// planTotals adds lines up: overall, per unit and per type (groups in key order).
func planTotals(lines []planLine) planTotalsJSON {
	out := planTotalsJSON{ByUnit: []planTotalGroup{}, ByType: []planTotalGroup{}}
	add := func(groups *[]planTotalGroup, key, name string, l planLine) {
		i := slices.IndexFunc(*groups, func(g planTotalGroup) bool { return g.Key == key })
		if i < 0 {
			*groups = append(*groups, planTotalGroup{Key: key, Name: name})
			i = len(*groups) - 1
		}
		g := &(*groups)[i]
		if l.included {
			g.Included++
			g.RequestedFen += l.estimated
			g.PlannedFen += l.planned
			g.CutFen = g.RequestedFen - g.PlannedFen
		} else {
			g.Excluded++
		}
	}
	for _, l := range lines {
		if l.included {
			out.Included++
			out.RequestedFen += l.estimated
			out.PlannedFen += l.planned
		} else {
			out.Excluded++
		}
		add(&out.ByUnit, l.unitID, l.unitName, l)
		add(&out.ByType, l.typ, l.typ, l)
	}
	out.CutFen = out.RequestedFen - out.PlannedFen
	byKey := func(a, b planTotalGroup) int { return cmp.Compare(a.Key, b.Key) }
	slices.SortFunc(out.ByUnit, byKey)
	slices.SortFunc(out.ByType, byKey)
	return out
}

// itemLines are a plan's stored items as planTotals counts them.
func itemLines(items []store.PlanItemRow) []planLine {
	out := make([]planLine, 0, len(items))
	for _, it := range items {
		l := planLine{unitID: it.UnitID, unitName: it.UnitName, typ: it.Type, estimated: it.EstimatedFen, included: it.Included}
		if it.ApprovedAmountFen != nil {
			l.planned = *it.ApprovedAmountFen
		}
		out = append(out, l)
	}
	return out
}

// compileCandidatesJSON is GET /api/v1/plans/{year}/compile-candidates.
type compileCandidatesJSON struct {
	Year  int                      `json:"year"`
	Items []store.CompileCandidate `json:"items"`
}

// compileCandidates lists the projects of a year that passed expert review and await the plan
// (R4 → R5), with their panels' outcomes: the rows of the 年度计划 table.
func (s *Server) compileCandidates(c *gin.Context) {
	y, ok := planYear(c)
	if !ok {
		return
	}
	items, err := s.store.CompileCandidates(c.Request.Context(), y)
	if err != nil {
		respondError(c, err)
		return
	}
	c.JSON(http.StatusOK, compileCandidatesJSON{Year: y, Items: items})
}

// compilePreview is POST /api/v1/plans/{year}/compile-preview: the totals of a plan draft
// (the body of POST /plans/{year}/compile) per unit and per type, from the projects as the
// read model holds them. It changes nothing; the compile itself checks the rules.
func (s *Server) compilePreview(c *gin.Context) {
	if _, ok := planYear(c); !ok {
		return
	}
	var req compileReq
	if err := bindJSON(c, &req); err != nil {
		respondError(c, err)
		return
	}
	var ids []string
	planned := map[string]int64{}
	excluded := map[string]bool{}
	for _, in := range req.Included {
		ids = append(ids, in.ProjectID)
		planned[in.ProjectID] = in.ApprovedAmountFen
	}
	for _, ex := range req.Excluded {
		ids = append(ids, ex.ProjectID)
		excluded[ex.ProjectID] = true
	}
	rows, err := s.store.PlanRows(c.Request.Context(), ids)
	if err != nil {
		respondError(c, err)
		return
	}
	known := map[string]store.CompileCandidate{}
	for _, r := range rows {
		known[r.ProjectID] = r
	}
	var lines []planLine
	for _, id := range ids {
		r, ok := known[id]
		if !ok {
			respondError(c, apperr.Invalid(map[string]string{"project_id": "项目不存在：" + id}))
			return
		}
		lines = append(lines, planLine{unitID: r.UnitID, unitName: r.UnitName, typ: r.Type, estimated: r.EstimatedFen,
			planned: planned[id], included: !excluded[id]})
	}
	c.JSON(http.StatusOK, planTotals(lines))
}

// planTotalsFor is the totals of the items GET /plans/{year} shows: the whole plan, or its
// compiled items to those who read only those (authz.SeesWholePlan).
func planTotalsFor(items []store.PlanItemRow) planTotalsJSON { return planTotals(itemLines(items)) }

// bundleCandidateJSON is a project a bundle of the year may hold (R6): included in the plan,
// awaiting approval, below the policy's threshold and in no bundle yet.
type bundleCandidateJSON struct {
	ProjectID     string `json:"project_id"`
	Name          string `json:"name"`
	UnitID        string `json:"unit_id"`
	EstimatedFen  int64  `json:"estimated_investment_fen"`
	PlanAmountFen int64  `json:"plan_amount_fen"`
	Supplementary bool   `json:"supplementary"`
	// CryptoPlanMissing: it uses cryptography and its 密码应用方案 is not in yet (R17); no
	// bundle takes it until it is.
	CryptoPlanMissing bool `json:"crypto_plan_missing"`
	// ApproverRole is who decides its bundle under its pinned policy (R6, R19): a bundle holds
	// one approver's projects.
	ApproverRole string `json:"approver_role"`
}

// bundleCandidatesJSON is GET /api/v1/plans/{year}/bundle-candidates.
type bundleCandidatesJSON struct {
	Year int `json:"year"`
	// ThresholdFen is R6's threshold under the policy in force: projects below it are bundled.
	ThresholdFen int64                 `json:"threshold_fen"`
	Items        []bundleCandidateJSON `json:"items"`
}

// bundleCandidates lists the projects of the year a bundle may take (workflows.Bundleable):
// awaiting approval below R6's threshold and in no bundle, in submission order, each with
// whether its 密码应用方案 is missing (R17) and who approves its bundle (R19).
func (s *Server) bundleCandidates(c *gin.Context) {
	y, ok := planYear(c)
	if !ok {
		return
	}
	rows, err := s.store.BundleCandidates(c.Request.Context(), y)
	if err != nil {
		respondError(c, err)
		return
	}
	out := bundleCandidatesJSON{Year: y, ThresholdFen: s.policy.SmallThresholdFen, Items: []bundleCandidateJSON{}}
	for _, r := range rows {
		if !workflows.Bundleable(r, y, s.policy) {
			continue
		}
		out.Items = append(out.Items, bundleCandidateJSON{ProjectID: r.ProjectID, Name: r.Name, UnitID: r.UnitID,
			EstimatedFen: r.EstimatedFen, PlanAmountFen: r.PlanAmountFen, Supplementary: r.Supplementary,
			CryptoPlanMissing: r.CryptoPlanMissing, ApproverRole: r.BundleApproverRole})
	}
	c.JSON(http.StatusOK, out)
}
