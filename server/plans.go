package main

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"
	"go.temporal.io/sdk/client"
	"go.uber.org/zap"

	"egovpm/internal/apperr"
	"egovpm/internal/authz"
	"egovpm/internal/domain"
	"egovpm/internal/logging"
	"egovpm/internal/store"
	"egovpm/internal/text"
	"egovpm/workflows"
)

func planYear(c *gin.Context) (int, bool) {
	y, err := strconv.Atoi(c.Param("year"))
	if err != nil || y < 2000 || y > 2200 {
		respondError(c, apperr.Invalid(map[string]string{"year": "须为 2000–2200 的年份"}))
		return 0, false
	}
	return y, true
}

func (s *Server) getPlan(c *gin.Context) {
	y, ok := planYear(c)
	if !ok {
		return
	}
	items, bundles, err := s.store.Plan(c.Request.Context(), y)
	if err != nil {
		respondError(c, err)
		return
	}
	if !authz.SeesWholePlan(mustActor(c)) {
		// The compiled plan: its items, not the projects left out (and why).
		items = slices.DeleteFunc(items, func(it store.PlanItemRow) bool { return !it.Included })
	}
	deadline := s.policy.SubmissionDeadline(y, shanghai())
	out := gin.H{"year": y, "submission_deadline": deadline, "items": nonNil(items), "bundles": nonNil(bundles),
		"totals": planTotalsFor(items)}
	if s.policy.PlanCloseAfter.Duration == 0 { // a test policy's close depends on the plan's start
		if at, ok := s.policy.PlanCloseAt(y, time.Time{}, shanghai()); ok {
			out["close_at"] = at // R5 year-end close
		}
	}
	c.JSON(http.StatusOK, out)
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

type sessionReq struct {
	ExpertIDs  []string `json:"expert_ids" validate:"required,min=1,max=99,dive,required,max=64"`
	ProjectIDs []string `json:"project_ids" validate:"required,min=1,max=500,dive,required,max=64"`
	// CoOrganiserIDs are the orgs that co-organise the session (R4: Finance, NDRC, Crypto).
	CoOrganiserIDs []string `json:"co_organiser_ids" validate:"max=10,dive,required,max=63"`
	// DrawID names the random draw (POST …/expert-draws) the experts come from; PickReason
	// is required when they are not exactly the draw's (hand-picked; issue 19 item 6).
	DrawID     string `json:"draw_id,omitempty" validate:"max=80"`
	PickReason string `json:"pick_reason,omitempty" validate:"max=500"`
}

// planUpdate sends an Update to the plan of year y.
func (s *Server) planUpdate(c *gin.Context, y int, name, id string, arg any, out any) error {
	ctx, cancel := context.WithTimeout(c.Request.Context(), 30*time.Second)
	defer cancel()
	h, err := s.temporal.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{
		UpdateID: id, WorkflowID: workflows.PlanWorkflowID(y), UpdateName: name, Args: []any{arg},
		WaitForStage: client.WorkflowUpdateStageCompleted,
	})
	if err != nil {
		return err
	}
	return sameRequest(hashOf(arg), out, h.Get(ctx, out))
}

// planOp asks the plan of year y to apply Update name, naming projects ids, after checking
// what the read model alone decides (workflows.CheckPlanStages, and for a convene each project's
// effective panel, workflows.CheckPanels). The plan checks the same when
// it handles the Update, but its refusal completes the Update, and Temporal answers every later
// Update with that id (every resend with the same Idempotency-Key) with it: a project one step
// behind (its lifecycle has not yet applied the plan's previous decision) would refuse the key
// for good, though a retry a moment later would pass.
// Refused here, the request changes nothing and the key stays usable. A resend of a request
// that went through finds the stage moved on: it gets its first attempt's answer.
func (s *Server) planOp(c *gin.Context, y int, name, id string, ids []string, arg, out any) error {
	ctx := c.Request.Context()
	var rows []domain.PlanProject
	var err error
	if name == workflows.UpdateCreateBundle && len(ids) == 0 {
		rows, err = s.store.BundleCandidates(ctx, y)
	} else {
		rows, err = s.store.PlanProjects(ctx, ids)
	}
	if err != nil {
		if l, ok := c.Get(ctxLogger); ok {
			logging.Ctx(ctx, l.(*zap.Logger)).Error("plan precheck: read model", zap.Error(err), zap.String("request_id", c.GetString(ctxRequestID)))
		}
		return apperr.New(apperr.KindUnavailable, "read_model_unavailable", "项目库暂时无法读取，本次操作未执行，请稍后重试")
	}
	refused := workflows.CheckPlanStages(name, y, ids, rows, s.policy)
	if u, ok := arg.(workflows.ConveneUpdate); ok && refused == nil {
		refused = workflows.CheckPanels(u.Experts, rows, s.policy) // R4: each project's effective panel
	}
	if refused == nil {
		return s.planUpdate(c, y, name, id, arg, out)
	}
	if c.GetHeader("Idempotency-Key") != "" {
		if found, err := s.priorOutcome(c, workflows.PlanWorkflowID(y), id, out); found {
			return sameRequest(hashOf(arg), out, err) // the outcome of the key's first attempt
		}
	}
	return refused
}

// conveneExpertSession forms a panel for some projects (R4). Experts affiliated with a project's
// unit are left out of that project's panel; the panel left for each project must be odd and
// at least the policy's minimum, or nothing is convened (422 naming the projects that fall
// short and how many experts each lacks: DRB picks the experts).
func (s *Server) conveneExpertSession(c *gin.Context) {
	y, ok := planYear(c)
	if !ok {
		return
	}
	var req sessionReq
	if err := bindJSON(c, &req); err != nil {
		respondError(c, err)
		return
	}
	experts, err := s.store.UsersWithRole(c.Request.Context(), domain.RoleExpert, req.ExpertIDs)
	if err != nil {
		respondError(c, err)
		return
	}
	refs := make([]workflows.ExpertRef, 0, len(req.ExpertIDs))
	for _, id := range req.ExpertIDs {
		org, ok := experts[id]
		if !ok {
			respondError(c, apperr.Invalid(map[string]string{"expert_ids": "不是专家：" + id}))
			return
		}
		refs = append(refs, workflows.ExpertRef{ID: id, OrgID: org})
	}
	var coOrgs []string
	for _, id := range req.CoOrganiserIDs {
		o, err := s.store.Org(c.Request.Context(), id)
		if errors.Is(err, store.ErrNotFound) || (err == nil && !slices.Contains(authz.CoOrganiserOrgKinds, o.Kind)) {
			respondError(c, apperr.Invalid(map[string]string{"co_organiser_ids": "须为市财政局、市发改委或市密码管理局的机构编号：" + id}))
			return
		}
		if err != nil {
			respondError(c, err)
			return
		}
		if !slices.Contains(coOrgs, id) {
			coOrgs = append(coOrgs, id)
		}
	}
	sel, err := s.selection(c, y, &req)
	if err != nil {
		respondError(c, err)
		return
	}
	sid := newID("s-")
	if k := c.GetHeader("Idempotency-Key"); k != "" {
		sid = "s-" + k
	}
	var res workflows.ConveneResult
	err = s.planOp(c, y, workflows.UpdateConvene, updateID(c, "convene"), req.ProjectIDs, workflows.ConveneUpdate{
		SessionID: sid, Actor: mustActor(c), Experts: refs, ProjectIDs: req.ProjectIDs, RequestID: c.GetString(ctxRequestID),
		CoOrgIDs: coOrgs, RequestHash: requestHash(c, req)}, &res)
	if err == nil {
		err = s.recordSelection(c, res.SessionID, sel)
	}
	if err != nil {
		respondError(c, err)
		return
	}
	res.RequestHash = ""
	c.JSON(http.StatusCreated, res)
}

type compileReq struct {
	Included []struct {
		ProjectID         string `json:"project_id" validate:"required,max=64"`
		ApprovedAmountFen int64  `json:"approved_amount_fen" validate:"required,gt=0,lte=1000000000000"`
	} `json:"included" validate:"max=1000,dive"`
	Excluded []struct {
		ProjectID string `json:"project_id" validate:"required,max=64"`
		Reason    string `json:"reason" validate:"required,nonblank,max=2000"`
	} `json:"excluded" validate:"max=1000,dive"`
}

func (s *Server) compilePlan(c *gin.Context) {
	y, ok := planYear(c)
	if !ok {
		return
	}
	var req compileReq
	if err := bindJSON(c, &req); err != nil {
		respondError(c, err)
		return
	}
	u := workflows.CompileUpdate{Actor: mustActor(c), RequestID: c.GetString(ctxRequestID), RequestHash: requestHash(c, req)}
	for _, i := range req.Included {
		u.Included = append(u.Included, workflows.PlanInclusion{ProjectID: i.ProjectID, ApprovedAmountFen: i.ApprovedAmountFen})
	}
	for _, e := range req.Excluded {
		u.Excluded = append(u.Excluded, workflows.PlanExclusion{ProjectID: e.ProjectID, Reason: text.Trim(e.Reason)})
	}
	var res workflows.CompileResult
	if err := s.planOp(c, y, workflows.UpdateCompile, updateID(c, "compile"), u.ProjectIDs(), u, &res); err != nil {
		respondError(c, err)
		return
	}
	res.RequestHash = ""
	c.JSON(http.StatusOK, res)
}

type adjustReq struct {
	Reason  string            `json:"reason" validate:"required,nonblank,max=2000"`
	Changes []adjustChangeReq `json:"changes" validate:"required,min=1,max=100,dive"`
}

type adjustChangeReq struct {
	ProjectID string `json:"project_id" validate:"required,max=64"`
	Action    string `json:"action" validate:"required,oneof=add remove amount"`
	AmountFen int64  `json:"amount_fen" validate:"gte=0,lte=1000000000000"`
}

// proposeAdjustment is POST /api/v1/plans/{year}/adjustments (R5, 调整): DRB proposes a
// mid-year adjustment of the plan (add a project awaiting the plan, change a planned amount,
// remove a planned project); the plan opens a plan_adjustment task for the approver of its
// projects under their pinned policy, whose decision (POST /tasks/{id}/decision) applies it.
func (s *Server) proposeAdjustment(c *gin.Context) {
	y, ok := planYear(c)
	if !ok {
		return
	}
	var req adjustReq
	if err := bindJSON(c, &req); err != nil {
		respondError(c, err)
		return
	}
	aid := newID("adj-")
	if k := c.GetHeader("Idempotency-Key"); k != "" {
		aid = "adj-" + k
	}
	u := workflows.AdjustUpdate{AdjustmentID: aid, Actor: mustActor(c), Reason: text.Trim(req.Reason),
		RequestID: c.GetString(ctxRequestID), RequestHash: requestHash(c, req)}
	for _, ch := range req.Changes {
		if ch.Action != workflows.AdjustRemove && ch.AmountFen <= 0 {
			respondError(c, apperr.Invalid(map[string]string{"changes": "增补或调整金额须给出大于 0 的 amount_fen：" + ch.ProjectID}))
			return
		}
		u.Changes = append(u.Changes, workflows.AdjustChange{ProjectID: ch.ProjectID, Action: ch.Action, AmountFen: ch.AmountFen})
	}
	var res workflows.AdjustResult
	if err := s.planUpdate(c, y, workflows.UpdateProposeAdjustment, updateID(c, "adjust"), u, &res); err != nil {
		respondError(c, err)
		return
	}
	res.RequestHash = ""
	c.JSON(http.StatusCreated, res)
}

type bundleReq struct {
	ProjectIDs []string `json:"project_ids" validate:"max=1000,dive,required,max=64"`
}

func (s *Server) createBundle(c *gin.Context) {
	y, ok := planYear(c)
	if !ok {
		return
	}
	var req bundleReq
	if c.Request.ContentLength != 0 {
		if err := bindJSON(c, &req); err != nil {
			respondError(c, err)
			return
		}
	}
	bid := newID("b-")
	if k := c.GetHeader("Idempotency-Key"); k != "" {
		bid = "b-" + k
	}
	var res workflows.BundleResult
	if err := s.planOp(c, y, workflows.UpdateCreateBundle, updateID(c, "bundle"), req.ProjectIDs, workflows.BundleUpdate{
		BundleID: bid, Actor: mustActor(c), ProjectIDs: req.ProjectIDs, RequestID: c.GetString(ctxRequestID),
		RequestHash: requestHash(c, req)}, &res); err != nil {
		respondError(c, err)
		return
	}
	ids := res.ProjectIDs
	if ids == nil {
		// A bundle made by reference (bundle-by-reference): its members are in the read model,
		// written with it, not in the plan's answer.
		var err error
		if ids, err = s.store.BundleProjectIDs(c.Request.Context(), res.ID); err != nil {
			respondError(c, err)
			return
		}
	}
	c.JSON(http.StatusCreated, bundleCreatedJSON{ID: res.ID, ProjectIDs: nonNil(ids), TaskID: res.TaskID})
}

// bundleCreatedJSON is POST …/bundles' answer (BundleCreated): the bundle and its members.
type bundleCreatedJSON struct {
	ID         string   `json:"id"`
	ProjectIDs []string `json:"project_ids"`
	TaskID     string   `json:"task_id"`
}
