package main

import (
	"bytes"
	"encoding/json"
	"maps"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"egovpm/internal/apperr"
	"egovpm/internal/authz"
	"egovpm/internal/domain"
	"egovpm/internal/text"
)

// maxBulkItems is the most tasks one bulk decision decides (issue 19, item 7).
const maxBulkItems = 100

// bulkDecisions are the task kinds a bulk decision takes and the decisions it may make of
// each: those that need nothing of one task alone (no score, no amount other than the plan's,
// no list of exclusions). Expert reviews (R4: each expert's own score and opinion) and bundle
// approvals (R6: exclusions per bundle) are decided one by one.
var bulkDecisions = map[string][]string{
	string(domain.TaskPrelimReview):           {domain.DecisionApprove, domain.DecisionReturn},
	string(domain.TaskProjectApproval):        {domain.DecisionApprove},
	string(domain.TaskSpecialRequestApproval): {domain.DecisionApprove},
	string(domain.TaskAcceptanceCheck):        {domain.DecisionApprove, domain.DecisionReturn},
}

// validTaskID is what a task id may be made of (the workflows derive them from workflow ids,
// kinds, rounds and user ids): an id outside it names no task, and could not travel in a path.
var validTaskID = regexp.MustCompile(`^[A-Za-z0-9._:-]{1,128}$`)

type bulkDecisionReq struct {
	Kind     string   `json:"kind" validate:"required,max=64"`
	Decision string   `json:"decision" validate:"required,oneof=approve return"`
	Comment  string   `json:"comment" validate:"max=5000"`
	TaskIDs  []string `json:"task_ids" validate:"required"`
}

// bulkItem is the answer to one task of a bulk decision: the status and body that POST
// /api/v1/tasks/{id}/decision answered for it.
type bulkItem struct {
	TaskID string          `json:"task_id"`
	Status int             `json:"status"`
	Body   json.RawMessage `json:"body"`
}

type bulkDecisionJSON struct {
	Items   []bulkItem `json:"items"`
	Decided int        `json:"decided"`
	Failed  int        `json:"failed"`
}

// bulkDecide is POST /api/v1/tasks/bulk-decision (issue 19, item 7): a reviewer approves or
// returns up to 100 tasks of one kind. Each task is decided by POST /api/v1/tasks/{id}/decision
// itself, served in process through the gateway's own router: the same authentication, role
// check, rate limit (so it counts items, not requests), authorization, Update and audit row
// as a decision sent alone, with the Idempotency-Key <bulk key>:<task id> (a resent bulk
// request answers each item as its first attempt did) and the X-Request-ID <request id>.<n>.
// The answer is 200 with each item's status and body; an item that fails leaves the others
// decided. The whole request is refused (nothing decided) only when it is malformed: no
// Idempotency-Key, 0 or more than 100 tasks, a task named twice, a kind not decided in bulk
// or a decision its kind does not take, a return without a comment, or tasks of another kind
// among those the caller may see.
func (s *Server) bulkDecide(c *gin.Context) {
	key, ok := bulkKey(c, "批量审批")
	if !ok {
		return
	}
	var req bulkDecisionReq
	if err := bindJSON(c, &req); err != nil {
		respondError(c, err)
		return
	}
	req.Comment = text.Trim(req.Comment)
	if err := checkBulk(req, key); err != nil {
		respondError(c, err)
		return
	}
	ts, err := s.store.TasksByID(c.Request.Context(), req.TaskIDs)
	if err != nil {
		respondError(c, err)
		return
	}
	// Tasks the caller may not see are left to their own decision (404 there), so that a bulk
	// request tells nothing of them, their kind included.
	var others []string
	a := mustActor(c)
	for _, t := range ts {
		if t.Kind != req.Kind && authz.CanTask(a, authz.TaskRead, authzTask(t)) == nil {
			others = append(others, t.ID)
		}
	}
	if len(others) > 0 {
		slices.Sort(others)
		respondError(c, apperr.BadRequest("bulk_mixed_kinds", "批量审批的任务须为同一类型："+
			strings.Join(others, "、")+" 不是所选类型").WithExtra("task_ids", others))
		return
	}
	body, err := json.Marshal(decisionReq{Decision: req.Decision, Comment: req.Comment})
	if err != nil {
		respondError(c, err)
		return
	}
	items, done, ok := s.serveItems(c, req.TaskIDs, "decision", key, body)
	if !ok {
		return // the client went away: what was decided stays decided, nobody reads the rest
	}
	c.JSON(http.StatusOK, bulkDecisionJSON{Items: items, Decided: done, Failed: len(items) - done})
}

// bulkKey is the Idempotency-Key a bulk request (what: its name) must carry; without one it
// answers 400 idempotency_key_required and false.
func bulkKey(c *gin.Context, what string) (string, bool) {
	key := c.GetHeader("Idempotency-Key")
	if key == "" {
		respondError(c, apperr.BadRequest("idempotency_key_required",
			what+"须带 Idempotency-Key 请求头：每项以“该键:任务编号”为幂等键，重发同一请求不会重复办理"))
	}
	return key, key != ""
}

// bulkPatience is how long, in all, a bulk request waits for the caller's rate limit to let
// its next item through (a hundred items at the default 20 at once and 5 a second take about
// 16 s). An item the limit would hold back longer answers 429 rate_limited, for 重试.
const bulkPatience = 30 * time.Second

// serveItems serves POST /api/v1/tasks/{id}/{op} for each of ids in order (serveItem, item
// keys <key>:<task id>) and returns their answers and how many answered 200; false when the
// client went away before the last. Each item spends the caller's rate limit as a request
// alone does; when the budget is spent, the request waits for the next item's turn, up to
// bulkPatience in all, instead of answering 429 for the rest — so the sustained rate is the
// limit's and a person's hundred items are done in one request.
func (s *Server) serveItems(c *gin.Context, ids []string, op, key string, body []byte) ([]bulkItem, int, bool) {
	items := make([]bulkItem, 0, len(ids))
	done := 0
	var waited time.Duration
	who := mustActor(c).ID
	for i, id := range ids {
		if w := s.decisions.Until(who); w > 0 && waited+w <= bulkPatience {
			waited += w
			t := time.NewTimer(w)
			select {
			case <-t.C:
			case <-c.Request.Context().Done():
				t.Stop()
			}
		}
		if c.Request.Context().Err() != nil {
			return nil, 0, false
		}
		it := s.serveItem(c, i, id, op, key+":"+id, body)
		if it.Status == http.StatusOK {
			done++
		}
		items = append(items, it)
	}
	return items, done, true
}

// checkBulk refuses a malformed bulk decision (key is its Idempotency-Key).
func checkBulk(req bulkDecisionReq, key string) error {
	if err := checkBulkIDs(req.TaskIDs, key); err != nil {
		return err
	}
	allowed, ok := bulkDecisions[req.Kind]
	if !ok {
		if !domain.Contains(domain.TaskKinds, req.Kind) {
			return apperr.Invalid(map[string]string{"kind": "未知任务类型"})
		}
		return apperr.Rule("bulk_kind_not_allowed", "该类任务不能批量办理，请逐项审批（专家评审须各自评分，打捆审批须逐个决定）").
			WithExtra("kind", req.Kind).WithExtra("bulk_kinds", slices.Sorted(maps.Keys(bulkDecisions)))
	}
	if !slices.Contains(allowed, req.Decision) {
		return apperr.Invalid(map[string]string{"decision": "该类任务只能批量通过（approve）"})
	}
	if req.Decision == domain.DecisionReturn && text.Blank(req.Comment) {
		return apperr.Invalid(map[string]string{"comment": "批量退回须填写修改意见"})
	}
	return nil
}

// checkBulkIDs refuses the task ids of a bulk request (key is its Idempotency-Key): none or
// more than maxBulkItems, one malformed or named twice, or one that makes its item's key
// longer than 128.
func checkBulkIDs(ids []string, key string) error {
	switch n := len(ids); {
	case n == 0:
		return apperr.Invalid(map[string]string{"task_ids": "请至少选择 1 项任务"})
	case n > maxBulkItems:
		return apperr.Invalid(map[string]string{"task_ids": "一次最多批量办理 " + strconv.Itoa(maxBulkItems) + " 项，本次 " + strconv.Itoa(n) + " 项"})
	}
	seen := make(map[string]bool, len(ids))
	for _, id := range ids {
		switch {
		case !validTaskID.MatchString(id):
			return apperr.Invalid(map[string]string{"task_ids": "任务编号不合法：" + strconv.Quote(id)})
		case seen[id]:
			return apperr.Invalid(map[string]string{"task_ids": "任务重复：" + id})
		case len(key)+1+len(id) > 128:
			return apperr.BadRequest("bad_idempotency_key", "Idempotency-Key 过长：加上任务编号后每项的幂等键不能超过 128 位")
		}
		seen[id] = true
	}
	return nil
}

// bulkReassignReq is POST /api/v1/tasks/bulk-reassign's body: as POST /tasks/{id}/reassign's
// (reassignReq), for several tasks.
type bulkReassignReq struct {
	AssigneeID string   `json:"assignee_id" validate:"required,max=64"`
	Reason     string   `json:"reason" validate:"required,nonblank,max=2000"`
	TaskIDs    []string `json:"task_ids" validate:"required"`
}

type bulkReassignJSON struct {
	Items      []bulkItem `json:"items"`
	Reassigned int        `json:"reassigned"`
	Failed     int        `json:"failed"`
}

// bulkReassign is POST /api/v1/tasks/bulk-reassign (批量转办, T2): the DRB supervisor moves up
// to 100 tasks to one person with one reason — the tasks a reviewer who left holds, or a
// backlog of overdue ones. As a bulk decision does, it serves POST /api/v1/tasks/{id}/reassign
// in process for each task, in the order given, with the Idempotency-Key <bulk key>:<task
// id> and the X-Request-ID <request id>.<n>: the same authorization (the person must be able
// to act on each task: 422 assignee_not_eligible for one they may not), Update, audit row and
// notices as a 转办 alone, and a resent request moves nothing twice. The answer is 200 with
// each item's status and body; an item that fails leaves the others moved. The whole request
// is refused, moving nothing, only when it is malformed (no Idempotency-Key, no task or more
// than 100, a task twice, no person or no reason).
func (s *Server) bulkReassign(c *gin.Context) {
	key, ok := bulkKey(c, "批量转办")
	if !ok {
		return
	}
	var req bulkReassignReq
	if err := bindJSON(c, &req); err != nil {
		respondError(c, err)
		return
	}
	if err := checkBulkIDs(req.TaskIDs, key); err != nil {
		respondError(c, err)
		return
	}
	body, err := json.Marshal(reassignReq{AssigneeID: req.AssigneeID, Reason: text.Trim(req.Reason)})
	if err != nil {
		respondError(c, err)
		return
	}
	items, done, ok := s.serveItems(c, req.TaskIDs, "reassign", key, body)
	if !ok {
		return // the client went away: what was moved stays moved, nobody reads the rest
	}
	c.JSON(http.StatusOK, bulkReassignJSON{Items: items, Reassigned: done, Failed: len(items) - done})
}

// serveItem serves POST /api/v1/tasks/{id}/{op} (decision, reassign) for task id (the n-th of
// the bulk request c) with body and Idempotency-Key key through the gateway's router, and
// returns its answer.
func (s *Server) serveItem(c *gin.Context, n int, id, op, key string, body []byte) bulkItem {
	r, err := http.NewRequestWithContext(c.Request.Context(), http.MethodPost,
		"/api/v1/tasks/"+url.PathEscape(id)+"/"+op, bytes.NewReader(body))
	if err != nil { // a valid id always makes a valid URL
		return bulkItem{TaskID: id, Status: http.StatusInternalServerError, Body: json.RawMessage(`{}`)}
	}
	r.Header = c.Request.Header.Clone()
	r.Header.Del("Content-Length")
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set("Idempotency-Key", key)
	rid := c.GetString(ctxRequestID)
	suffix := "." + strconv.Itoa(n+1)
	r.Header.Set("X-Request-ID", rid[:min(len(rid), 64-len(suffix))]+suffix)
	r.RemoteAddr = c.Request.RemoteAddr
	w := &itemWriter{header: http.Header{}}
	s.engine.ServeHTTP(w, r)
	if w.status == 0 {
		w.status = http.StatusOK
	}
	b := bytes.TrimSpace(w.body.Bytes())
	if !json.Valid(b) {
		b = []byte(`{}`)
	}
	return bulkItem{TaskID: id, Status: w.status, Body: b}
}

// itemWriter keeps the answer to one item of a bulk decision.
type itemWriter struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (w *itemWriter) Header() http.Header { return w.header }

func (w *itemWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.body.Write(b)
}

func (w *itemWriter) WriteHeader(status int) {
	if w.status == 0 {
		w.status = status
	}
}
