package main

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"

	"egovpm/internal/apperr"
	"egovpm/internal/audit"
	"egovpm/internal/authz"
	"egovpm/internal/calendar"
	"egovpm/internal/domain"
	"egovpm/internal/store"
	"egovpm/internal/text"
	"egovpm/workflows"
)

type createProjectReq struct {
	Name                   string   `json:"name" validate:"required,nonblank,name,max=200"`
	Type                   string   `json:"type" validate:"required,oneof=new continuation om service design supervision testing security"`
	PlanYear               int      `json:"plan_year" validate:"required,gte=2000,lte=2200"`
	EstimatedInvestmentFen int64    `json:"estimated_investment_fen" validate:"required,gt=0,lte=1000000000000"`
	Description            string   `json:"description" validate:"max=20000"`
	DataResources          []string `json:"data_resources,omitempty" validate:"max=100,dive,required,nonblank,name,max=200"` // R16; omitted when empty: a create recorded before the field still matches its resend
	MLPSLevel              int      `json:"mlps_level" validate:"required,gte=1,lte=5"`
	UsesCrypto             bool     `json:"uses_crypto"`
	ParentProjectID        *string  `json:"parent_project_id" validate:"omitempty,max=64"`
	// Deployment, DeploymentReason, SharedPlatforms: 基础共用, declared by the unit (omitted when
	// empty, as data_resources: a create recorded before them still matches its resend).
	Deployment       string   `json:"deployment,omitempty" validate:"omitempty,oneof=gov_cloud self_built none"`
	DeploymentReason string   `json:"deployment_reason,omitempty" validate:"max=2000"`
	SharedPlatforms  []string `json:"shared_platforms,omitempty" validate:"max=2,unique,dive,oneof=data_platform service_platform"`
}

type patchProjectReq struct {
	Name                   *string   `json:"name" validate:"omitempty,min=1,nonblank,name,max=200"`
	Type                   *string   `json:"type" validate:"omitempty,oneof=new continuation om service design supervision testing security"`
	PlanYear               *int      `json:"plan_year" validate:"omitempty,gte=2000,lte=2200"`
	EstimatedInvestmentFen *int64    `json:"estimated_investment_fen" validate:"omitempty,gt=0,lte=1000000000000"`
	Description            *string   `json:"description" validate:"omitempty,max=20000"`
	DataResources          *[]string `json:"data_resources" validate:"omitempty,max=100,dive,required,nonblank,name,max=200"`
	MLPSLevel              *int      `json:"mlps_level" validate:"omitempty,gte=1,lte=5"`
	UsesCrypto             *bool     `json:"uses_crypto"`
	ParentProjectID        *string   `json:"parent_project_id" validate:"omitempty,max=64"`
	// Deployment given without deployment_reason, other than self_built, drops the reason kept.
	Deployment       *string   `json:"deployment" validate:"omitempty,oneof=gov_cloud self_built none"`
	DeploymentReason *string   `json:"deployment_reason" validate:"omitempty,max=2000"`
	SharedPlatforms  *[]string `json:"shared_platforms" validate:"omitempty,max=2,unique,dive,oneof=data_platform service_platform"`
}

type projectJSON struct {
	ID                     string   `json:"id"`
	UnitID                 string   `json:"unit_id"`
	Name                   string   `json:"name"`
	Type                   string   `json:"type"`
	ParentProjectID        *string  `json:"parent_project_id"`
	PlanYear               int      `json:"plan_year"`
	EstimatedInvestmentFen int64    `json:"estimated_investment_fen"`
	ApprovedAmountFen      *int64   `json:"approved_amount_fen"`
	Description            string   `json:"description"`
	DataResources          []string `json:"data_resources"`
	MLPSLevel              int      `json:"mlps_level"`
	UsesCrypto             bool     `json:"uses_crypto"`
	// Deployment is absent (null) for a project created before the unit was asked (未填写).
	Deployment       *string  `json:"deployment"`
	DeploymentReason string   `json:"deployment_reason"`
	SharedPlatforms  []string `json:"shared_platforms"`
	Stage            string   `json:"stage"`
	PolicyVersion    *string  `json:"policy_version"`
	SpecialRequest   bool     `json:"special_request"`
	Round            int      `json:"round"`
	SubmittedAt      *string  `json:"submitted_at"`
	TrialRunEndsAt   *string  `json:"trial_run_ends_at"`
	CreatedAt        string   `json:"created_at"`
	UpdatedAt        string   `json:"updated_at"`
	// Closure: how a closed project closed (终止 or 系统下线), absent otherwise.
	Closure *closureJSON `json:"closure,omitempty"`
}

func toProjectJSON(p store.Project) projectJSON {
	j := projectJSON{ID: p.ID, UnitID: p.UnitID, Name: p.Name, Type: p.Type, PlanYear: p.PlanYear,
		EstimatedInvestmentFen: p.EstimatedInvestmentFen, Description: p.Description, DataResources: nonNil([]string(p.DataResources)), MLPSLevel: p.MLPSLevel,
		UsesCrypto: p.UsesCrypto, DeploymentReason: p.DeploymentReason, SharedPlatforms: nonNil([]string(p.SharedPlatforms)),
		Stage: p.Stage, SpecialRequest: p.SpecialRequest, Round: p.Round,
		CreatedAt: p.CreatedAt.Format(time.RFC3339), UpdatedAt: p.UpdatedAt.Format(time.RFC3339), Closure: closureOf(p)}
	if p.ParentProjectID.Valid {
		j.ParentProjectID = &p.ParentProjectID.String
	}
	if p.ApprovedAmountFen.Valid {
		j.ApprovedAmountFen = &p.ApprovedAmountFen.Int64
	}
	if p.Deployment.Valid {
		j.Deployment = &p.Deployment.String
	}
	if p.PolicyVersion.Valid {
		j.PolicyVersion = &p.PolicyVersion.String
	}
	if p.TrialRunEndsAt.Valid {
		s := p.TrialRunEndsAt.Time.Format(time.RFC3339)
		j.TrialRunEndsAt = &s
	}
	if p.SubmittedAt.Valid {
		s := p.SubmittedAt.Time.Format(time.RFC3339)
		j.SubmittedAt = &s
	}
	return j
}

func newID(prefix string) string {
	var b [10]byte
	_, _ = rand.Read(b[:])
	return prefix + hex.EncodeToString(b[:])
}

func (s *Server) audit(c *gin.Context, tx *store.Tx, action, objType, objID, outcome string, detail any) error {
	a := mustActor(c)
	return s.store.AppendAudit(c.Request.Context(), tx, audit.Entry{ActorID: a.ID, OrgID: a.OrgID, Action: action,
		ObjectType: objType, ObjectID: objID, Outcome: outcome, RequestID: c.GetString(ctxRequestID),
		ClientIP: c.ClientIP(), Detail: detail})
}

// checkParent enforces R1: third-party service projects link to an existing parent of the same
// unit; others may not name one.
func (s *Server) checkParent(c *gin.Context, typ string, parent *string, unitID, selfID string) error {
	ctx := c.Request.Context()
	if parent == nil || *parent == "" {
		if domain.IsThirdParty(typ) {
			return apperr.Invalid(map[string]string{"parent_project_id": "第三方服务项目（设计/监理/测评/安全）须关联主项目"})
		}
		return nil
	}
	if !domain.IsThirdParty(typ) {
		return apperr.Invalid(map[string]string{"parent_project_id": "只有第三方服务项目可以关联主项目"})
	}
	if *parent == selfID {
		return apperr.Invalid(map[string]string{"parent_project_id": "不能关联自身"})
	}
	pp, err := s.store.Project(ctx, *parent)
	if errors.Is(err, store.ErrNotFound) || (err == nil && pp.UnitID != unitID) {
		return apperr.Invalid(map[string]string{"parent_project_id": "主项目不存在或不属于本单位"})
	}
	return err
}

func (s *Server) createProject(c *gin.Context) {
	key := c.GetHeader("Idempotency-Key") // checked by idempotencyKeyHeader
	var req createProjectReq
	if err := bindJSON(c, &req); err != nil {
		respondError(c, err)
		return
	}
	a := mustActor(c)
	if err := s.checkParent(c, req.Type, req.ParentProjectID, a.OrgID, ""); err != nil {
		respondError(c, err)
		return
	}
	resources, err := cleanResources(req.DataResources)
	if err != nil {
		respondError(c, err)
		return
	}
	id := newID("p-")
	if key != "" {
		// A create resent with the same key (its reply was lost) names the same project: the
		// id derives from the person and the key, and the insert does nothing the second time.
		id = keyedID("p-", "project-create", a.ID, key)
	}
	p := store.Project{ID: id, UnitID: a.OrgID, Name: text.Trim(req.Name), Type: req.Type, PlanYear: req.PlanYear,
		EstimatedInvestmentFen: req.EstimatedInvestmentFen, Description: req.Description, DataResources: resources, MLPSLevel: req.MLPSLevel,
		UsesCrypto: req.UsesCrypto, DeploymentReason: text.Trim(req.DeploymentReason), SharedPlatforms: platforms(req.SharedPlatforms), CreatedBy: a.ID}
	p.Deployment.String, p.Deployment.Valid = req.Deployment, req.Deployment != ""
	if err := checkDeployment(p); err != nil {
		respondError(c, err)
		return
	}
	if req.ParentProjectID != nil {
		p.ParentProjectID.String, p.ParentProjectID.Valid = *req.ParentProjectID, true
	}
	err = s.store.WithTx(c.Request.Context(), func(tx *store.Tx) error {
		if err := s.store.CreateProject(c.Request.Context(), tx, &p); err != nil {
			return err
		}
		return s.audit(c, tx, "project.create", "project", p.ID, "ok", req)
	})
	if errors.Is(err, store.ErrProjectExists) {
		s.replayCreate(c, p.ID, req)
		return
	}
	if err != nil {
		respondError(c, err)
		return
	}
	c.JSON(http.StatusCreated, toProjectJSON(p))
}

// keyedID is the id of the object an Idempotency-Key creates: prefix and a hash of what the
// key is scoped by (an operation name, the person, …) and the key, so a resend names it again.
func keyedID(prefix string, scope ...string) string {
	sum := sha256.Sum256([]byte(strings.Join(scope, "\x00")))
	return prefix + hex.EncodeToString(sum[:10])
}

// replayCreate answers a create resent with the Idempotency-Key that created project id: the
// project as it is now, when the request is the one the key was first used with (its
// project.create audit row holds that request, so a later PATCH does not make the resend a
// conflict); else 409 idempotency_key_reused.
func (s *Server) replayCreate(c *gin.Context, id string, req any) {
	ctx := c.Request.Context()
	entries, err := s.store.Timeline(ctx, id)
	if err != nil {
		respondError(c, err)
		return
	}
	same := false
	for _, e := range entries {
		if e.Action == "project.create" {
			same = sameJSON(e.Detail, req)
			break
		}
	}
	if !same {
		respondError(c, apperr.New(apperr.KindConflict, "idempotency_key_reused",
			"该 Idempotency-Key 已用于创建另一内容的项目，请换用新的 Idempotency-Key"))
		return
	}
	prev, err := s.store.Project(ctx, id)
	if err != nil {
		respondError(c, err)
		return
	}
	c.JSON(http.StatusCreated, toProjectJSON(prev))
}

// sameJSON reports whether stored JSON and v encode the same value (key order and spacing
// aside).
func sameJSON(stored json.RawMessage, v any) bool {
	b, err := json.Marshal(v)
	if err != nil {
		return false
	}
	var x, y any
	if json.Unmarshal(stored, &x) != nil || json.Unmarshal(b, &y) != nil {
		return false
	}
	return reflect.DeepEqual(x, y)
}

// loadProject loads a project and applies the policy for act.
func (s *Server) loadProject(c *gin.Context, act authz.Action) (store.Project, bool) {
	p, _, ok := s.loadProjectView(c, act)
	return p, ok
}

// loadProjectView is loadProject that also returns what the actor's reach shows of the project
// (which of its documents, authz.View).
func (s *Server) loadProjectView(c *gin.Context, act authz.Action) (store.Project, authz.View, bool) {
	ctx := c.Request.Context()
	p, err := s.store.Project(ctx, c.Param("id"))
	if errors.Is(err, store.ErrNotFound) {
		respondError(c, apperr.NotFound("项目"))
		return p, authz.View{}, false
	}
	if err != nil {
		respondError(c, err)
		return p, authz.View{}, false
	}
	a := mustActor(c)
	v, err := s.store.ProjectView(ctx, p.ID, authz.ReachOf(a))
	if err != nil {
		respondError(c, err)
		return p, v, false
	}
	if err := authz.CanProject(a, act, authz.Project{UnitID: p.UnitID, Visible: v.Visible()}); err != nil {
		respondError(c, err)
		return p, v, false
	}
	return p, v, true
}

// visibleDocuments keeps the documents v shows.
func visibleDocuments(v authz.View, docs []store.DocumentRow) []store.DocumentRow {
	return slices.DeleteFunc(docs, func(d store.DocumentRow) bool { return !v.Document(d.Kind, d.CreatedAt) })
}

func (s *Server) getProject(c *gin.Context) {
	p, v, ok := s.loadProjectView(c, authz.ProjectRead)
	if !ok {
		return
	}
	ctx := c.Request.Context()
	tasks, err := s.store.OpenTasksOfProject(ctx, p.ID)
	if err != nil {
		respondError(c, err)
		return
	}
	timeline, err := s.store.Timeline(ctx, p.ID)
	if err != nil {
		respondError(c, err)
		return
	}
	docs, err := s.store.Documents(ctx, p.ID)
	if err != nil {
		respondError(c, err)
		return
	}
	oms, err := s.store.OMFilings(ctx, p.ID)
	if err != nil {
		respondError(c, err)
		return
	}
	// R14: evaluations of the unit's earlier projects are shown when its projects are reviewed.
	evals, err := s.store.UnitEvaluations(ctx, p.UnitID, p.ID)
	if err != nil {
		respondError(c, err)
		return
	}
	details := authz.Details(mustActor(c))
	if !details {
		timeline = panelOutcomeOnly(timeline)
	}
	out := struct {
		projectJSON
		OpenTasks       []taskJSON            `json:"open_tasks"`
		Timeline        []store.TimelineEntry `json:"timeline"`
		Documents       []store.DocumentRow   `json:"documents"`
		OMFilings       []store.OMFilingRow   `json:"om_filings"`
		UnitEvaluations []store.EvaluationRow `json:"unit_evaluations"`
		// CanWithdraw: the actor may withdraw the project now (撤回, POST …/withdraw).
		CanWithdraw bool `json:"can_withdraw"`
		// CanTerminate, CanRetire: the actor may terminate (终止) or retire (系统下线) it now.
		CanTerminate bool `json:"can_terminate"`
		CanRetire    bool `json:"can_retire"`
		// CanRequestTermination: the actor may ask DRB to terminate it (终止申请) now.
		CanRequestTermination bool `json:"can_request_termination"`
		// CanRequestExtension: the actor may ask DRB to extend the current O&M year's filing
		// deadline (延期申请) now.
		CanRequestExtension bool `json:"can_request_extension"`
		// WithdrawableDecision: the actor's own last decision on the project, which he may
		// withdraw now (撤回决定, POST /tasks/{task_id}/withdraw-decision); null otherwise.
		WithdrawableDecision *decisionJSON `json:"withdrawable_decision"`
	}{projectJSON: toProjectJSON(p), OpenTasks: make([]taskJSON, 0, len(tasks)), Timeline: timeline, Documents: visibleDocuments(v, docs),
		OMFilings: nonNil(oms), UnitEvaluations: nonNil(evals), CanWithdraw: canWithdraw(mustActor(c), p, tasks),
		CanTerminate: canTerminate(mustActor(c), p), CanRetire: canRetire(mustActor(c), p),
		CanRequestTermination: canRequestTermination(mustActor(c), p, tasks),
		CanRequestExtension:   canRequestExtension(mustActor(c), p, tasks, oms)}
	if out.WithdrawableDecision, err = s.withdrawableDecision(c, p); err != nil {
		respondError(c, err)
		return
	}
	for _, t := range tasks {
		if !details && t.Kind == string(domain.TaskExpertReview) {
			continue // who sits on the panel (the task ids name them) is DRB's and Audit's to see
		}
		out.OpenTasks = append(out.OpenTasks, toTaskJSON(t))
	}
	if out.Timeline == nil {
		out.Timeline = []store.TimelineEntry{}
	}
	if out.Documents == nil {
		out.Documents = []store.DocumentRow{}
	}
	c.JSON(http.StatusOK, out)
}

// panelOutcomeOnly is a project's timeline as those who are not to know the experts see it
// (authz.Details: the unit among them): each expert's decision and score is left out, the
// panel's outcome (passed, how many of how many, the mean score) is shown in its place, and
// neither the convening nor a reassigned or urged expert review names an expert.
func panelOutcomeOnly(in []store.TimelineEntry) []store.TimelineEntry {
	out := make([]store.TimelineEntry, 0, len(in))
	for _, e := range in {
		var d map[string]any
		_ = json.Unmarshal(e.Detail, &d)
		switch {
		case e.Action == "task.decide" && d["kind"] == string(domain.TaskExpertReview):
			if _, closed := d["panel_pass"]; !closed {
				continue
			}
			outcome := "passed"
			if d["reason"] == "expert_review_failed" {
				outcome = "failed"
			}
			detail, _ := json.Marshal(map[string]any{"outcome": outcome, "panel_pass": d["panel_pass"],
				"panel_size": d["panel_size"], "mean_score": d["mean_score"]})
			out = append(out, store.TimelineEntry{At: e.At, ActorID: "system", ActorName: "专家组", Action: "expert_review.outcome",
				Outcome: outcome, Detail: detail})
		case e.Action == "expert_review.convene":
			experts, _ := d["experts"].([]any)
			detail, _ := json.Marshal(map[string]any{"session_id": d["session_id"], "experts": len(experts)})
			e.Detail = detail
			out = append(out, e)
		case (e.Action == "task.reassign" || e.Action == "task.urge") && d["kind"] == string(domain.TaskExpertReview):
			detail, _ := json.Marshal(map[string]any{"kind": d["kind"]})
			e.Detail = detail
			out = append(out, e)
		default:
			out = append(out, e)
		}
	}
	return out
}

type listQuery struct {
	Limit  int
	Cursor string
}

func parseList(c *gin.Context) (listQuery, error) {
	q := listQuery{Limit: 50, Cursor: c.Query("cursor")}
	if v := c.Query("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 100 {
			return q, apperr.Invalid(map[string]string{"limit": "须为 1–100 的整数"})
		}
		q.Limit = n
	}
	if len(q.Cursor) > 512 {
		return q, apperr.Invalid(map[string]string{"cursor": "游标不合法"})
	}
	return q, nil
}

// checkDeployment: a project deployed outside the 市政务云平台 says why (基础共用, schema 0043);
// a reason belongs to that choice only.
func checkDeployment(p store.Project) error {
	switch {
	case p.Deployment.String == "self_built" && p.DeploymentReason == "":
		return apperr.Invalid(map[string]string{"deployment_reason": "自建机房或独立部署的项目，须说明不使用市政务云平台的理由"})
	case p.Deployment.String != "self_built" && p.DeploymentReason != "":
		return apperr.Invalid(map[string]string{"deployment_reason": "只有自建机房或独立部署的项目填写此理由"})
	}
	return nil
}

// platforms lists the shared platforms in one order, whatever order they were ticked in.
func platforms(in []string) []string {
	out := slices.Clone(in)
	slices.Sort(out)
	return out
}

// cleanResources trims the names of data resources and drops repeats, keeping their order
// (R16 compares them as sets); a blank name (text.Blank) is 400, as an empty one is.
func cleanResources(in []string) ([]string, error) {
	out := make([]string, 0, len(in))
	for _, r := range in {
		r = text.Trim(r)
		if r == "" {
			return nil, apperr.Invalid(map[string]string{"data_resources": "数据资源名称不能为空"})
		}
		if !slices.Contains(out, r) {
			out = append(out, r)
		}
	}
	return out, nil
}

// sendPage answers a list request with one keyset page, {"items": [...], "next_cursor": next},
// each row as toJSON shows it; err (a cursor the list did not hand out: 400) answers instead.
func sendPage[R, J any](c *gin.Context, rows []R, next string, err error, toJSON func(R) J) {
	if err != nil {
		respondError(c, badCursor(err))
		return
	}
	items := make([]J, 0, len(rows))
	for _, r := range rows {
		items = append(items, toJSON(r))
	}
	c.JSON(http.StatusOK, gin.H{"items": items, "next_cursor": next})
}

// asIs is the toJSON of sendPage for rows that are their own JSON.
func asIs[T any](v T) T { return v }

func badCursor(err error) error {
	if err != nil && err.Error() == "bad cursor" {
		return apperr.Invalid(map[string]string{"cursor": "游标不合法"})
	}
	return err
}

// projectQuery is the filter GET /projects and its 项目台账 export share, each field checked.
type projectQuery struct {
	Stage, Type, UnitID, Q string
	// Deployment: 基础共用's deployment, or "unset" for the projects that have not said (未填写).
	Deployment string
	PlanYear   int
}

// deploymentFilters are the values ?deployment= takes, deploymentFilterNames their names.
var (
	deploymentFilters     = []string{"gov_cloud", "self_built", "none", "unset"}
	deploymentFilterNames = merged(domain.DeploymentNames, map[string]string{"unset": "未填写"})
)

func parseProjectQuery(c *gin.Context) (projectQuery, error) {
	q := projectQuery{Stage: c.Query("stage"), Type: c.Query("type"), UnitID: c.Query("unit_id"), Q: c.Query("q"),
		Deployment: c.Query("deployment")}
	switch {
	case q.Deployment != "" && !slices.Contains(deploymentFilters, q.Deployment):
		return q, apperr.Invalid(map[string]string{"deployment": oneOfMessage(deploymentFilters, deploymentFilterNames)})
	case q.Stage != "" && !domain.Contains(stageNames(), q.Stage):
		return q, apperr.Invalid(map[string]string{"stage": "未知阶段"})
	case q.Type != "" && !domain.Contains(domain.ProjectTypes, q.Type):
		return q, apperr.Invalid(map[string]string{"type": "未知项目类型"})
	case len(q.Q) > 100:
		return q, apperr.Invalid(map[string]string{"q": "不能超过 100 个字符"})
	case q.UnitID != "" && !validOrgID.MatchString(q.UnitID):
		return q, apperr.Invalid(map[string]string{"unit_id": "单位编号不合法"})
	}
	var err error
	q.PlanYear, err = yearQuery(c, "plan_year")
	return q, err
}

func (s *Server) listProjects(c *gin.Context) {
	lq, err := parseList(c)
	if err != nil {
		respondError(c, err)
		return
	}
	a := mustActor(c)
	pq, err := parseProjectQuery(c)
	if err != nil {
		respondError(c, err)
		return
	}
	f := store.ProjectFilter{Stage: pq.Stage, UnitID: pq.UnitID, Q: pq.Q, Type: pq.Type, PlanYear: pq.PlanYear,
		Deployment: pq.Deployment, Limit: lq.Limit, Cursor: lq.Cursor}
	f.Reach = authz.ReachOf(a) // the projects a read would open, and no other
	ps, next, err := s.store.ListProjects(c.Request.Context(), f)
	sendPage(c, ps, next, err, toProjectJSON)
}

func stageNames() []string {
	out := make([]string, 0, len(domain.Stages))
	for _, s := range domain.Stages {
		out = append(out, string(s))
	}
	return out
}

// apply writes the fields given onto p, a draft or returned project, and checks what depends on
// more than one field (the parent is checked by the caller, against the store).
func (req patchProjectReq) apply(p *store.Project) (err error) {
	if req.Name != nil {
		p.Name = text.Trim(*req.Name)
	}
	if req.Type != nil {
		p.Type = *req.Type
	}
	if req.PlanYear != nil {
		// A withdrawn draft (撤回) keeps its lifecycle and its plan year.
		if p.Stage != string(domain.StageDraft) || withdrawn(*p) {
			return apperr.Conflict("not_editable", "已提交项目不能修改计划年度")
		}
		p.PlanYear = *req.PlanYear
	}
	if req.EstimatedInvestmentFen != nil {
		p.EstimatedInvestmentFen = *req.EstimatedInvestmentFen
	}
	if req.Description != nil {
		p.Description = *req.Description
	}
	if req.DataResources != nil {
		if p.DataResources, err = cleanResources(*req.DataResources); err != nil {
			return err
		}
	}
	if req.MLPSLevel != nil {
		p.MLPSLevel = *req.MLPSLevel
	}
	if req.UsesCrypto != nil {
		p.UsesCrypto = *req.UsesCrypto
	}
	if req.Deployment != nil {
		p.Deployment.String, p.Deployment.Valid = *req.Deployment, true
		if *req.Deployment != "self_built" && req.DeploymentReason == nil {
			p.DeploymentReason = "" // the reason went with the deployment it explained
		}
	}
	if req.DeploymentReason != nil {
		p.DeploymentReason = text.Trim(*req.DeploymentReason)
	}
	if req.SharedPlatforms != nil {
		p.SharedPlatforms = platforms(*req.SharedPlatforms)
	}
	return checkDeployment(*p)
}

func (s *Server) patchProject(c *gin.Context) {
	var req patchProjectReq
	if err := bindJSON(c, &req); err != nil {
		respondError(c, err)
		return
	}
	if _, ok := s.loadProject(c, authz.ProjectEdit); !ok {
		return
	}
	ctx := c.Request.Context()
	var out store.Project
	err := s.store.WithTx(ctx, func(tx *store.Tx) error {
		p, err := s.store.ProjectForUpdate(ctx, tx, c.Param("id"))
		if err != nil {
			return err
		}
		if p.Stage != string(domain.StageDraft) && p.Stage != string(domain.StageRevision) {
			return apperr.Conflict("not_editable", "只有草稿或退回修改的项目可以编辑")
		}
		if err := req.apply(&p); err != nil {
			return err
		}
		if req.ParentProjectID != nil {
			p.ParentProjectID.String, p.ParentProjectID.Valid = *req.ParentProjectID, *req.ParentProjectID != ""
		}
		var parent *string
		if p.ParentProjectID.Valid {
			parent = &p.ParentProjectID.String
		}
		if err := s.checkParent(c, p.Type, parent, p.UnitID, p.ID); err != nil {
			return err
		}
		if err := s.store.UpdateProjectFields(ctx, tx, &p); err != nil {
			return err
		}
		out = p
		return s.audit(c, tx, "project.edit", "project", p.ID, "ok", req)
	})
	if err != nil {
		respondError(c, err)
		return
	}
	out, err = s.store.Project(ctx, out.ID)
	if err != nil {
		respondError(c, err)
		return
	}
	c.JSON(http.StatusOK, toProjectJSON(out))
}

// submitProject submits a draft (R2, R8) or resubmits a returned (R3) or withdrawn one.
func (s *Server) submitProject(c *gin.Context) {
	p, ok := s.loadProject(c, authz.ProjectSubmit)
	if !ok {
		return
	}
	ctx := c.Request.Context()
	a := mustActor(c)
	if p.Stage == string(domain.StageRevision) {
		s.resubmit(c, p)
		return
	}
	if withdrawn(p) {
		s.resubmitWithdrawn(c, p)
		return
	}
	if p.Stage != string(domain.StageDraft) {
		s.answerSubmitted(c, p)
		return
	}
	pol, special, err := s.submissionTerms(ctx, p)
	if err != nil {
		respondError(c, err)
		return
	}
	wfID := workflows.ProjectWorkflowID(p.ID)
	// Record the pinned policy first: a retried submit after a failure below finds it and
	// finishes the start idempotently.
	err = s.store.WithTx(ctx, func(tx *store.Tx) error {
		if err := s.store.MarkSubmitted(ctx, tx, p.ID, pol.Version, wfID, special, 1); err != nil {
			return err
		}
		return s.audit(c, tx, "project.submit_request", "project", p.ID, "ok", gin.H{"policy": pol.Version, "special_request": special})
	})
	if err != nil {
		respondError(c, err)
		return
	}
	// The plan of the year exists before the project's lifecycle starts (it is started here if
	// not yet by the annual Schedule). No stage report: the plan reads stages from the read
	// model (plan-stages-from-read-model); a plan run begun before that version hears the
	// lifecycle's own first report.
	_, err = s.temporal.ExecuteWorkflow(ctx, workflows.PlanStartOptions(p.PlanYear, s.cfg.TaskQueue), workflows.AnnualPlan, workflows.AnnualPlanInput{Year: p.PlanYear, Policy: pol})
	if err != nil {
		respondError(c, err)
		return
	}
	in := workflows.ProjectLifecycleInput{ProjectID: p.ID, UnitID: p.UnitID, Name: p.Name, PlanYear: p.PlanYear,
		EstimatedFen: p.EstimatedInvestmentFen, MLPSLevel: p.MLPSLevel, UsesCrypto: p.UsesCrypto, Special: special,
		Policy: pol, SubmittedBy: a, RequestID: c.GetString(ctxRequestID)}
	_, err = s.temporal.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID: wfID, TaskQueue: s.cfg.TaskQueue, WorkflowExecutionErrorWhenAlreadyStarted: true,
		TypedSearchAttributes: projectSearchAttributes(p), StaticSummary: projectSummary(p),
	}, workflows.ProjectLifecycle, in)
	var started *serviceerror.WorkflowExecutionAlreadyStarted
	if err != nil && !errors.As(err, &started) {
		respondError(c, err)
		return
	}
	c.JSON(http.StatusAccepted, gin.H{"id": p.ID, "workflow_id": wfID, "special_request": special, "policy_version": pol.Version})
}

// answerSubmitted answers a submit of a project past its draft: a resubmission resent with its
// Idempotency-Key after it went through gets its first answer (R3), anything else 409.
func (s *Server) answerSubmitted(c *gin.Context, p store.Project) {
	if c.GetHeader("Idempotency-Key") != "" && p.WorkflowID.Valid {
		// A resubmission (R3) resent with its key after it went through gets its first
		// answer, as every keyed request does.
		var res workflows.DecideResult
		found, err := s.priorOutcome(c, workflows.ProjectWorkflowID(p.ID), updateID(c, "resubmit:"+p.ID), &res)
		if found {
			if err != nil {
				respondError(c, err)
				return
			}
			res.RequestHash = ""
			c.JSON(http.StatusOK, res)
			return
		}
		if err != nil {
			respondError(c, err)
			return
		}
	}
	respondError(c, apperr.Conflict("already_submitted", "项目已提交"))
}

// submissionTerms is the policy a first submit of draft p is made under (the version a
// retried submit pinned, R19; none before it takes effect) and whether it is a special
// request (R8: past the deadline, with its special_request document).
func (s *Server) submissionTerms(ctx context.Context, p store.Project) (pol domain.Policy, special bool, err error) {
	pol = s.policy
	if p.PolicyVersion.Valid && p.PolicyVersion.String != pol.Version {
		// A retried submit keeps the version pinned by the first attempt (R19), whatever the
		// date: a pinned project is never switched.
		if pol, err = s.store.Policy(ctx, p.PolicyVersion.String, false); err != nil {
			return pol, false, err
		}
	} else if !p.PolicyVersion.Valid && s.now().Before(s.policyFrom) {
		// R19: nothing is submitted under a version before it takes effect.
		return pol, false, apperr.Rule("policy_not_in_force",
			fmt.Sprintf("政策版本 %s 自 %s 起施行，此前不能按该版本申报", pol.Version, s.policyFrom.Format("2006年1月2日"))).
			WithExtra("policy_version", pol.Version).WithExtra("effective_from", s.policyFrom.Format(time.RFC3339))
	}
	deadline := pol.SubmissionDeadline(p.PlanYear, calendar.Shanghai)
	if s.now().After(deadline) {
		kinds, err := s.store.DocumentKinds(ctx, p.ID)
		if err != nil {
			return pol, false, err
		}
		if !domain.Contains(kinds, "special_request") {
			return pol, false, apperr.Rule("deadline_passed",
				"已过 "+deadline.Format("2006年1月2日 15:04:05")+" 的申报截止时间；计划外项目须上传专题请示并报市政府批准").
				WithExtra("deadline", deadline.Format(time.RFC3339))
		}
		special = true // R8
	}
	return pol, special, nil
}

func (s *Server) resubmit(c *gin.Context, p store.Project) {
	a := mustActor(c)
	res, err := s.update(c, workflows.ProjectWorkflowID(p.ID), workflows.UpdateResubmit, updateID(c, "resubmit:"+p.ID),
		workflows.ResubmitUpdate{Actor: a, RequestID: c.GetString(ctxRequestID)})
	if err != nil {
		respondError(c, err)
		return
	}
	c.JSON(http.StatusOK, res)
}
