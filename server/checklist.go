package main

import (
	"context"
	"net/http"

	"github.com/gin-gonic/gin"

	"egovpm/internal/authz"
	"egovpm/internal/domain"
	"egovpm/internal/store"
	"egovpm/workflows"
)

// checklistJSON is GET /api/v1/tasks/{id}/checklist: what the decision needs, by the rules the
// workflow applies — the documents each project's pinned policy requires (R6–R8, R12, R17,
// domain.Policy.ApprovalDocuments / AcceptanceDocuments) with those present, and the most an
// approval may grant (R7, workflows.ApprovalCap).
type checklistJSON struct {
	TaskID string `json:"task_id"`
	Kind   string `json:"kind"`
	// Route is the approval route (project, bundle, special_request); empty for other kinds.
	Route    string             `json:"route,omitempty"`
	Projects []checklistProject `json:"projects"`
	// Complete: every required document of every project is present.
	Complete bool `json:"complete"`
	// CapFen is the most the approval may grant (project and special-request approvals).
	CapFen *int64 `json:"cap_fen,omitempty"`
}

// checklistProject is one project of the decision with its required documents.
type checklistProject struct {
	ProjectID     string `json:"project_id"`
	Name          string `json:"name"`
	UnitID        string `json:"unit_id"`
	PolicyVersion string `json:"policy_version"`
	EstimatedFen  int64  `json:"estimated_investment_fen"`
	// PlanAmountFen is its amount in the plan after the R5 cut (0: not in the plan yet).
	PlanAmountFen int64           `json:"plan_amount_fen"`
	UsesCrypto    bool            `json:"uses_crypto"`
	MLPSLevel     int             `json:"mlps_level"`
	Items         []checklistItem `json:"items"`
}

// checklistItem is one required document kind.
type checklistItem struct {
	Kind    string `json:"kind"`
	Present bool   `json:"present"`
	// Documents are those of the kind the caller may read (id, file name).
	Documents []checklistDoc `json:"documents"`
}

type checklistDoc struct {
	ID       string `json:"id"`
	Filename string `json:"filename"`
}

// taskChecklist is GET /api/v1/tasks/{id}/checklist, for whoever may read the task.
func (s *Server) taskChecklist(c *gin.Context) {
	t, ok := s.loadTask(c, authz.TaskRead)
	if !ok {
		return
	}
	ctx := c.Request.Context()
	out := checklistJSON{TaskID: t.ID, Kind: t.Kind, Projects: []checklistProject{}, Complete: true}
	var ids []string
	var route domain.ApprovalRoute
	switch domain.TaskKind(t.Kind) {
	case domain.TaskProjectApproval:
		route, ids = domain.RouteProject, []string{t.ProjectID.String}
	case domain.TaskSpecialRequestApproval:
		route, ids = domain.RouteSpecial, []string{t.ProjectID.String}
	case domain.TaskBundleApproval:
		route = domain.RouteBundle
		var err error
		if ids, err = s.store.BundleProjectIDs(ctx, t.BundleID.String); err != nil {
			respondError(c, err)
			return
		}
	default:
		if t.ProjectID.Valid {
			ids = []string{t.ProjectID.String}
		}
	}
	out.Route = string(route)
	reach := authz.ReachOf(mustActor(c))
	for _, id := range ids {
		cp, capFen, err := s.checklistProject(ctx, t, route, id, reach)
		if err != nil {
			respondError(c, err)
			return
		}
		for _, it := range cp.Items {
			out.Complete = out.Complete && it.Present
		}
		if capFen != nil {
			out.CapFen = capFen
		}
		out.Projects = append(out.Projects, cp)
	}
	c.JSON(http.StatusOK, out)
}

// checklistProject is project id's part of task t's checklist (route: the approval's, "" for
// none): the documents its policy asks for, present or not, those reach lets the actor open,
// and for a project's approval its cap.
func (s *Server) checklistProject(ctx context.Context, t store.Task, route domain.ApprovalRoute, id string,
	reach authz.Reach) (cp checklistProject, capFen *int64, err error) {
	p, err := s.store.Project(ctx, id)
	if err != nil {
		return cp, nil, err
	}
	pol := s.policy
	if p.PolicyVersion.Valid && p.PolicyVersion.String != pol.Version {
		if pol, err = s.store.Policy(ctx, p.PolicyVersion.String, false); err != nil {
			return cp, nil, err
		}
	}
	var kinds []string
	switch {
	case route != "":
		kinds = pol.ApprovalDocuments(route, p.UsesCrypto)
	case t.Kind == string(domain.TaskAcceptanceCheck):
		kinds = pol.AcceptanceDocuments(p.MLPSLevel, p.UsesCrypto)
	}
	plan, err := s.store.PlanAmount(ctx, id)
	if err != nil {
		return cp, nil, err
	}
	docs, err := s.store.Documents(ctx, id)
	if err != nil {
		return cp, nil, err
	}
	v, err := s.store.ProjectView(ctx, id, reach)
	if err != nil {
		return cp, nil, err
	}
	cp = checklistProject{ProjectID: p.ID, Name: p.Name, UnitID: p.UnitID, PolicyVersion: pol.Version,
		EstimatedFen: p.EstimatedInvestmentFen, PlanAmountFen: plan, UsesCrypto: p.UsesCrypto, MLPSLevel: p.MLPSLevel,
		Items: []checklistItem{}}
	for _, k := range kinds {
		it := checklistItem{Kind: k, Documents: []checklistDoc{}}
		for _, d := range docs {
			if d.Kind != k {
				continue
			}
			it.Present = true
			if v.Document(d.Kind, d.CreatedAt) {
				it.Documents = append(it.Documents, checklistDoc{ID: d.ID, Filename: d.Filename})
			}
		}
		cp.Items = append(cp.Items, it)
	}
	if route == domain.RouteProject || route == domain.RouteSpecial {
		limit := workflows.ApprovalCap(domain.TaskKind(t.Kind), plan, p.EstimatedInvestmentFen)
		capFen = &limit
	}
	return cp, capFen, nil
}
