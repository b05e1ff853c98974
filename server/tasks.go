package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"regexp"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"

	"egovpm/internal/apperr"
	"egovpm/internal/authz"
	"egovpm/internal/domain"
	"egovpm/internal/store"
	"egovpm/internal/text"
	"egovpm/workflows"
)

type taskJSON struct {
	ID             string          `json:"id"`
	Kind           string          `json:"kind"`
	ProjectID      *string         `json:"project_id"`
	ProjectName    *string         `json:"project_name"`
	PlanYear       *int64          `json:"plan_year"`
	BundleID       *string         `json:"bundle_id,omitempty"`
	Status         string          `json:"status"`
	CandidateRole  string          `json:"candidate_role"`
	CandidateOrgID *string         `json:"candidate_org_id"`
	AssigneeID     *string         `json:"assignee_id"`
	Decision       *string         `json:"decision,omitempty"`
	DecidedBy      *string         `json:"decided_by,omitempty"`
	DecidedAt      *string         `json:"decided_at,omitempty"` // 已办: when it was decided
	Comment        *string         `json:"comment,omitempty"`
	DueAt          string          `json:"due_at"`
	CreatedAt      string          `json:"created_at"`
	Details        json.RawMessage `json:"details,omitempty"`
	// DelegatedBy: who delegated the task to its assignee (委派, issue 19 item 6).
	DelegatedBy *string `json:"delegated_by,omitempty"`
	// AssigneeName: the assignee's display name, in a project's open_tasks only.
	AssigneeName *string `json:"assignee_name,omitempty"`
}

func ns(v sql.NullString) *string {
	if v.Valid {
		return &v.String
	}
	return nil
}

func toTaskJSON(t store.Task) taskJSON {
	j := taskJSON{ID: t.ID, Kind: t.Kind, Status: t.Status, CandidateRole: t.CandidateRole,
		DueAt: t.DueAt.Format(time.RFC3339), CreatedAt: t.CreatedAt.Format(time.RFC3339),
		ProjectID: ns(t.ProjectID), BundleID: ns(t.BundleID), CandidateOrgID: ns(t.CandidateOrgID),
		AssigneeID: ns(t.AssigneeID), Decision: ns(t.Decision), DecidedBy: ns(t.DecidedBy), Comment: ns(t.Comment),
		ProjectName: ns(t.ProjectName), DelegatedBy: ns(t.DelegatedBy), AssigneeName: ns(t.AssigneeName)}
	if t.ProjectPlanYear.Valid {
		j.PlanYear = &t.ProjectPlanYear.Int64
	}
	if t.DecidedAt.Valid {
		at := t.DecidedAt.Time.Format(time.RFC3339)
		j.DecidedAt = &at
	}
	// details is a jsonb object: passed through as is, without decoding it into a map to
	// encode it again; the empty object is left out.
	if d := bytes.TrimSpace(t.Details); len(d) > 0 && !bytes.Equal(d, []byte("{}")) && !bytes.Equal(d, []byte("null")) {
		j.Details = d
	}
	return j
}

func authzTask(t store.Task) authz.Task {
	return authz.Task{Kind: t.Kind, CandidateRole: t.CandidateRole, CandidateOrgID: t.CandidateOrgID.String,
		AssigneeID: t.AssigneeID.String, ProjectUnitID: t.ProjectUnitID.String, Open: t.Status == "open",
		DecidedBy: t.DecidedBy.String, SubmittedBy: t.SubmittedBy}
}

func (s *Server) loadTask(c *gin.Context, act authz.Action) (store.Task, bool) {
	t, err := s.taskOf(c)
	if errors.Is(err, store.ErrNotFound) {
		respondError(c, apperr.NotFound("任务"))
		return t, false
	}
	if err != nil {
		respondError(c, err)
		return t, false
	}
	at := authzTask(t)
	if act == authz.TaskRead {
		// The deputy (代理人) of the absent assignee reads the task his 待办 shows.
		if at.DeputyOf, _, err = s.deputyOf(c, mustActor(c), t); err != nil {
			respondError(c, err)
			return t, false
		}
	}
	if err := authz.CanTask(mustActor(c), act, at); err != nil {
		s.respondRefusal(c, string(act), "task", t.ID, err)
		return t, false
	}
	return t, true
}

// respondRefusal answers err; a separation-of-duties refusal (an act on what the actor
// submitted or recorded, a conflicting role set) is first recorded in the audit log with its
// code (R18), as action on objType objID with outcome "refused".
func (s *Server) respondRefusal(c *gin.Context, action, objType, objID string, err error) {
	if authz.IsRefusal(err, authz.CodeSeparationOfDuties) || authz.IsRefusal(err, authz.CodeConflictingRoles) {
		r, _ := domain.AsRefusal(err)
		detail := map[string]any{"code": r.Code}
		for k, v := range r.Extra {
			detail[k] = v
		}
		if aerr := s.auditRefused(c, action, objType, objID, detail); aerr != nil {
			respondError(c, aerr)
			return
		}
	}
	respondError(c, err)
}

// auditRefused appends the audit row of a refused request (outcome "refused") in a
// transaction of its own: the request changes nothing else.
func (s *Server) auditRefused(c *gin.Context, action, objType, objID string, detail map[string]any) error {
	return s.store.WithTx(c.Request.Context(), func(tx *store.Tx) error {
		return s.audit(c, tx, action, objType, objID, "refused", detail)
	})
}

func (s *Server) listTasks(c *gin.Context) {
	lq, err := parseList(c)
	if err != nil {
		respondError(c, err)
		return
	}
	a := mustActor(c)
	// Audit reads every task, filtered alike; everyone else their inbox.
	f := inboxFilter(a)
	f.Status, f.Kind, f.ProjectID, f.Limit, f.Cursor = c.DefaultQuery("status", "open"), c.Query("kind"), c.Query("project_id"), lq.Limit, lq.Cursor
	s.sendTasks(c, f)
}

// listOverdueTasks is GET /api/v1/tasks/overdue: every open task past its due date, whoever
// holds it (T2: overdue tasks escalate to the DRB supervisor, who reassigns them), due first,
// with the filters of GET /tasks. With held_by_disabled=true: instead, every open task held by
// a user whose account is disabled (停用), due or not — nobody will act on it until the
// supervisor moves it.
func (s *Server) listOverdueTasks(c *gin.Context) {
	lq, err := parseList(c)
	if err != nil {
		respondError(c, err)
		return
	}
	f := store.TaskFilter{All: true, Status: "open", Overdue: true, Kind: c.Query("kind"),
		ProjectID: c.Query("project_id"), Limit: lq.Limit, Cursor: lq.Cursor}
	if v := c.Query("held_by_disabled"); v != "" {
		held, err := strconv.ParseBool(v)
		if err != nil {
			respondError(c, apperr.Invalid(map[string]string{"held_by_disabled": "须为 true 或 false"}))
			return
		}
		f.HolderDisabled, f.Overdue = held, !held
	}
	s.sendTasks(c, f)
}

// sendTasks checks the query's filters into f and sends the page of tasks f lists.
func (s *Server) sendTasks(c *gin.Context, f store.TaskFilter) {
	if f.Status != "open" && f.Status != "done" && f.Status != "delegated" {
		respondError(c, apperr.Invalid(map[string]string{"status": "须为 open、done 或 delegated"}))
		return
	}
	if v := c.Query("overdue"); v != "" {
		overdue, err := strconv.ParseBool(v)
		if err != nil || (overdue && f.Status != "open") {
			respondError(c, apperr.Invalid(map[string]string{"overdue": "须为 true 或 false；逾期只用于未办结的任务（status=open）"}))
			return
		}
		f.Overdue = f.Overdue || overdue
	}
	if f.Kind != "" && !domain.Contains(domain.TaskKinds, f.Kind) {
		respondError(c, apperr.Invalid(map[string]string{"kind": "未知任务类型"}))
		return
	}
	if len(f.ProjectID) > 64 {
		respondError(c, apperr.Invalid(map[string]string{"project_id": "不合法"}))
		return
	}
	y, err := yearQuery(c, "plan_year")
	if err != nil {
		respondError(c, err)
		return
	}
	f.PlanYear = y
	// The page comes from PostgreSQL as JSON (the tasks as toTaskJSON shows them) and is sent as
	// it is: {"items": [...], "next_cursor": "..."}, as c.JSON wrote it.
	items, next, err := s.store.ListTasksJSON(c.Request.Context(), f)
	if err != nil {
		respondError(c, badCursor(err))
		return
	}
	body := make([]byte, 0, len(items)+len(next)+32)
	body = append(append(append(body, `{"items":`...), items...), `,"next_cursor":`...)
	body = strconv.AppendQuote(body, next) // base64url: nothing JSON would escape differently
	c.Data(http.StatusOK, "application/json; charset=utf-8", append(body, '}'))
}

func (s *Server) getTask(c *gin.Context) {
	t, ok := s.loadTask(c, authz.TaskRead)
	if !ok {
		return
	}
	c.JSON(http.StatusOK, toTaskJSON(t))
}

func (s *Server) claimTask(c *gin.Context) {
	t, ok := s.loadTask(c, authz.TaskClaim)
	if !ok {
		return
	}
	a := mustActor(c)
	ctx := c.Request.Context()
	err := s.store.WithTx(ctx, func(tx *store.Tx) error {
		if err := s.store.ClaimTask(ctx, tx, t.ID, a.ID); err != nil {
			if errors.Is(err, store.ErrAlreadyClaimed) {
				return apperr.Conflict("already_claimed", "该任务已被他人领取或已处理")
			}
			return err
		}
		return s.audit(c, tx, "task.claim", "task", t.ID, "ok", nil)
	})
	if err != nil {
		respondError(c, err)
		return
	}
	t, err = s.store.Task(ctx, t.ID)
	if err != nil {
		respondError(c, err)
		return
	}
	c.JSON(http.StatusOK, toTaskJSON(t))
}

type decisionReq struct {
	Decision           string   `json:"decision" validate:"required,oneof=approve return reject pass fail"`
	Comment            string   `json:"comment" validate:"max=5000"`
	Score              *int     `json:"score" validate:"omitempty,gte=0,lte=100"`
	ApprovedAmountFen  int64    `json:"approved_amount_fen" validate:"gte=0,lte=1000000000000"`
	ExcludedProjectIDs []string `json:"excluded_project_ids" validate:"max=1000,dive,required,max=64"`
	Grade              string   `json:"grade" validate:"omitempty,oneof=excellent good fair poor"`
	// CCUserIDs and CCOrgIDs CC (抄送) the decision to people and to every person of orgs
	// (issue 19 item 6; cc.go).
	CCUserIDs []string `json:"cc_user_ids,omitempty" validate:"max=20,dive,required,max=64"`
	CCOrgIDs  []string `json:"cc_org_ids,omitempty" validate:"max=10,dive,required,max=63"`
}

var validIdemKey = regexp.MustCompile(`^[A-Za-z0-9._:-]{1,128}$`)

// updateID turns the Idempotency-Key header into the Update id (so a retried request is
// applied once), scoped by what it applies to; without a key every request is new.
func updateID(c *gin.Context, scope string) string {
	if k := c.GetHeader("Idempotency-Key"); k != "" {
		return scope + ":" + mustActor(c).ID + ":" + k
	}
	return scope + ":" + newID("")
}

// requestHash is the hash of the request v (as decoded and checked) when it carries an
// Idempotency-Key, "" without one. The Update carries it, and its outcome carries it back:
// Temporal answers a resend of an Update id with the first outcome and never compares bodies,
// so sameRequest does.
func requestHash(c *gin.Context, v any) string {
	if c.GetHeader("Idempotency-Key") == "" {
		return ""
	}
	b, err := json.Marshal(v)
	if err != nil {
		return ""
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:16])
}

// errKeyReused answers a request whose Idempotency-Key was first used with another body.
func errKeyReused() error {
	return apperr.New(apperr.KindConflict, "idempotency_key_reused",
		"该 Idempotency-Key 已用于内容不同的另一请求，请换用新的 Idempotency-Key")
}

// answer is an Update outcome that carries the hash of the request it answers.
type answer interface{ AnsweredHash() string }

// sameRequest checks the outcome of an Update sent with request hash hash (out, the result
// decoded, and err) against the request it answers: an outcome of another request (the same
// Idempotency-Key, another body) is 409 idempotency_key_reused; else err as it is. An outcome
// recorded without a hash (an Update of a request without a key, or of earlier code) is taken
// as it is.
func sameRequest(hash string, out any, err error) error {
	if hash == "" {
		return err
	}
	if err != nil {
		if r, ok := domain.AsRefusal(err); ok && r.RequestHash != "" && r.RequestHash != hash {
			return errKeyReused()
		}
		return err
	}
	if a, ok := out.(answer); ok && a.AnsweredHash() != "" && a.AnsweredHash() != hash {
		return errKeyReused()
	}
	return nil
}

func (s *Server) decideTask(c *gin.Context) {
	var req decisionReq
	if err := bindJSON(c, &req); err != nil {
		respondError(c, err)
		return
	}
	t, err := s.taskOf(c)
	if errors.Is(err, store.ErrNotFound) {
		respondError(c, apperr.NotFound("任务"))
		return
	}
	if err != nil {
		respondError(c, err)
		return
	}
	a := mustActor(c)
	az := authzTask(t)
	if err := authz.CanTask(a, authz.TaskDecide, az); err != nil {
		// A repeated request whose first attempt closed the task replays the recorded outcome
		// (Idempotency-Key), so only refuse when there is no key to replay.
		if !(authz.IsRefusal(err, authz.CodeStaleTask) && c.GetHeader("Idempotency-Key") != "" && t.DecidedBy.String == a.ID) {
			s.respondRefusal(c, string(authz.TaskDecide), "task", t.ID, err)
			return
		}
	}
	if err := s.checkCC(c, t, req); err != nil {
		respondError(c, err)
		return
	}
	res, err := s.update(c, t.WorkflowID, workflows.UpdateDecide, updateID(c, "decide:"+t.ID), workflows.DecideUpdate{
		TaskID: t.ID, Actor: a, Decision: req.Decision, Comment: text.Trim(req.Comment), Score: req.Score,
		ApprovedAmountFen: req.ApprovedAmountFen, ExcludedProjectIDs: req.ExcludedProjectIDs, RequestID: c.GetString(ctxRequestID),
		Grade: req.Grade, RequestHash: requestHash(c, req),
	})
	if err != nil {
		// The workflow refuses what the read model did not show yet (its own state).
		s.respondRefusal(c, string(authz.TaskDecide), "task", t.ID, err)
		return
	}
	if err := s.ccDecision(c, t, req); err != nil {
		respondError(c, err)
		return
	}
	c.JSON(http.StatusOK, res)
}

type reassignReq struct {
	AssigneeID string `json:"assignee_id" validate:"required,max=64"`
	Reason     string `json:"reason" validate:"required,nonblank,max=2000"`
}

// reassignTask is POST /api/v1/tasks/{id}/reassign (转办, T2): a DRB supervisor moves an open
// task to another person who may act on it (authz.ActOnTask: the task's role and org, not
// recused, not who submitted what it decides on). The task's workflow (the project's
// lifecycle, or the plan for a bundle's approval) holds the assignee, so the move is an
// Update: from then on only the new assignee decides; the audit row names who, from whom, to
// whom and why, and both are notified.
func (s *Server) reassignTask(c *gin.Context) {
	var req reassignReq
	if err := bindJSON(c, &req); err != nil {
		respondError(c, err)
		return
	}
	t, ok := s.loadTask(c, authz.TaskReassign)
	if !ok {
		return
	}
	s.handOver(c, t, req.AssigneeID, req.Reason, false)
}

// handOver moves task t to the user assigneeID, the reason given: 转办 by a supervisor
// (reassignTask), or 委派 by its assignee when delegate is set (delegateTask). The user must
// exist, be enabled and be able to act on the task (authz.ActOnTask, the present assignee set
// aside); the move is an UpdateReassign of the task's workflow, and the answer is the task as
// the read model then holds it.
func (s *Server) handOver(c *gin.Context, t store.Task, assigneeID, reason string, delegate bool) {
	ctx := c.Request.Context()
	verb, op := "转办", "reassign"
	if delegate {
		verb, op = "委派", "delegate"
	}
	notEligible := func(why, code string) {
		respondError(c, apperr.Rule("assignee_not_eligible", verb+"对象不能办理该任务："+why).WithExtra("reason", code))
	}
	u, err := s.store.UserByID(ctx, assigneeID)
	switch {
	case errors.Is(err, store.ErrNotFound) || (err == nil && u.Disabled):
		notEligible("用户不存在或已停用", "no_such_user")
		return
	case err != nil:
		respondError(c, err)
		return
	}
	a := mustActor(c)
	from := t.AssigneeID.String
	switch {
	case delegate && u.ID == a.ID:
		respondError(c, apperr.Conflict("already_assigned", "该任务已由您本人办理"))
		return
	case delegate:
		from = a.ID
	case t.AssigneeID.String == u.ID && c.GetHeader("Idempotency-Key") == "":
		// With its key, a resent reassignment gets its first answer from the workflow.
		respondError(c, apperr.Conflict("already_assigned", "该任务已由此人办理"))
		return
	}
	assignee := domain.Actor{ID: u.ID, OrgID: u.OrgID, Roles: u.Roles, Name: u.Name}
	f := authzTask(t).Facts()
	f.AssigneeID = ""
	if err := authz.ActOnTask(assignee, f); err != nil {
		r, _ := domain.AsRefusal(err)
		notEligible(r.Message, r.Code)
		return
	}
	_, err = s.update(c, t.WorkflowID, workflows.UpdateReassign, updateID(c, op+":"+t.ID), workflows.ReassignUpdate{
		TaskID: t.ID, Actor: a, Assignee: assignee, From: from, Reason: text.Trim(reason), Delegate: delegate,
		RequestID: c.GetString(ctxRequestID)})
	if err != nil {
		respondError(c, err)
		return
	}
	t, err = s.store.Task(ctx, t.ID)
	if err != nil {
		respondError(c, err)
		return
	}
	c.JSON(http.StatusOK, toTaskJSON(t))
}

// update sends an Update and waits for its outcome. The reply is given only once the workflow
// has applied (and durably recorded) the decision. An outcome of another request sent with
// the same Idempotency-Key is 409 idempotency_key_reused (sameRequest; arg's RequestHash).
func (s *Server) update(c *gin.Context, workflowID, name, id string, arg any) (workflows.DecideResult, error) {
	ctx, cancel := context.WithTimeout(c.Request.Context(), 30*time.Second)
	defer cancel()
	h, err := s.temporal.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{
		UpdateID: id, WorkflowID: workflowID, UpdateName: name, Args: []any{arg},
		WaitForStage: client.WorkflowUpdateStageCompleted,
	})
	if err != nil {
		return workflows.DecideResult{}, err
	}
	var res workflows.DecideResult
	err = sameRequest(hashOf(arg), &res, h.Get(ctx, &res))
	res.RequestHash = ""
	return res, err
}

// hashOf is the RequestHash an Update argument carries ("" for one without).
func hashOf(arg any) string {
	switch u := arg.(type) {
	case workflows.DecideUpdate:
		return u.RequestHash
	case workflows.ContractUpdate:
		return u.RequestHash
	case workflows.OMReportUpdate:
		return u.RequestHash
	case workflows.ConveneUpdate:
		return u.RequestHash
	case workflows.CompileUpdate:
		return u.RequestHash
	case workflows.BundleUpdate:
		return u.RequestHash
	case workflows.WithdrawUpdate:
		return u.RequestHash
	case workflows.TerminateUpdate:
		return u.RequestHash
	case workflows.ChangeUpdate:
		return u.RequestHash
	case workflows.TerminationRequestUpdate:
		return u.RequestHash
	case workflows.ExtensionUpdate:
		return u.RequestHash
	case workflows.WithdrawDecisionUpdate:
		return u.RequestHash
	}
	return ""
}

// priorOutcome reads into out the outcome of Update id of workflowID, sent before with the same
// Idempotency-Key; found is false when there is none.
func (s *Server) priorOutcome(c *gin.Context, workflowID, id string, out any) (found bool, err error) {
	ctx, cancel := context.WithTimeout(c.Request.Context(), 30*time.Second)
	defer cancel()
	err = s.temporal.GetWorkflowUpdateHandle(client.GetWorkflowUpdateHandleOptions{WorkflowID: workflowID, UpdateID: id}).Get(ctx, out)
	var nf *serviceerror.NotFound
	if errors.As(err, &nf) {
		return false, nil
	}
	return true, err
}
