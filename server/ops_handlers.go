package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"
	"go.temporal.io/sdk/client"

	"egovpm/internal/apperr"
	"egovpm/internal/ops"
	"egovpm/internal/text"
	"egovpm/workflows"
)

// The ops endpoints (role ops, SPEC.md O1–O3) are thin: internal/ops does the work and writes
// the audit rows; the CLI's ops-* commands call the same code.

// maxReplayBody caps the replay request (O3): exported histories are larger than the other
// bodies (and at most 200 of them per request, see replayReq).
const maxReplayBody = 32 << 20

func (s *Server) opsService() *ops.Service {
	return ops.New(s.temporal, s.store, s.log, ops.Options{Namespace: s.cfg.TemporalNamespace, Register: workflows.Register})
}

func opsActor(c *gin.Context) ops.Actor {
	a := mustActor(c)
	return ops.Actor{ID: a.ID, OrgID: a.OrgID, RequestID: c.GetString(ctxRequestID), ClientIP: c.ClientIP()}
}

// workflowIDParam checks the :workflow_id path parameter.
func workflowIDParam(c *gin.Context) (string, error) {
	id := c.Param("workflow_id")
	if id == "" || len(id) > 255 {
		return "", apperr.Invalid(map[string]string{"workflow_id": "流程编号须为 1–255 个字符"})
	}
	return id, nil
}

// stuckWorkflows lists workflows that need a person (O1).
func (s *Server) stuckWorkflows(c *gin.Context) {
	lq, err := parseList(c)
	if err != nil {
		respondError(c, err)
		return
	}
	q := ops.StuckQuery{Limit: lq.Limit, Cursor: lq.Cursor}
	if v := c.Query("min_attempts"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1000 {
			respondError(c, apperr.Invalid(map[string]string{"min_attempts": "须为 1–1000 的整数"}))
			return
		}
		q.MinAttempts = int32(n)
	}
	page, err := s.opsService().Stuck(c.Request.Context(), q)
	if err != nil {
		respondError(c, err)
		return
	}
	c.JSON(http.StatusOK, page)
}

type resetReq struct {
	// EventID is the workflow task event to reset to; without it, the last good one.
	EventID int64  `json:"event_id" validate:"omitempty,gt=2"`
	To      string `json:"to" validate:"omitempty,oneof=last_good"`
	RunID   string `json:"run_id" validate:"omitempty,uuid"`
	Reason  string `json:"reason" validate:"max=500"`
}

// resetWorkflow resets a workflow to its last good workflow task or a given event, later
// signals and Updates reapplied (O2).
func (s *Server) resetWorkflow(c *gin.Context) {
	id, err := workflowIDParam(c)
	if err != nil {
		respondError(c, err)
		return
	}
	key := c.GetHeader("Idempotency-Key") // checked by idempotencyKeyHeader
	var req resetReq
	if err := bindJSON(c, &req); err != nil {
		respondError(c, err)
		return
	}
	if req.To != "" && req.EventID != 0 {
		respondError(c, apperr.Invalid(map[string]string{"to": "to 与 event_id 只能给出一个"}))
		return
	}
	res, err := s.opsService().Reset(c.Request.Context(), opsActor(c), ops.ResetRequest{WorkflowID: id, RunID: req.RunID,
		EventID: req.EventID, Reason: req.Reason, IdempotencyKey: key})
	if err != nil {
		respondError(c, err)
		return
	}
	c.JSON(http.StatusOK, res)
}

type retryReq struct {
	Reason string `json:"reason" validate:"max=500"`
}

// retryActivity makes a failing activity run now (O2).
func (s *Server) retryActivity(c *gin.Context) {
	id, err := workflowIDParam(c)
	if err != nil {
		respondError(c, err)
		return
	}
	activityID := c.Param("activity_id")
	if activityID == "" || len(activityID) > 255 {
		respondError(c, apperr.Invalid(map[string]string{"activity_id": "活动编号须为 1–255 个字符"}))
		return
	}
	var req retryReq
	if err := bindJSON(c, &req); err != nil {
		respondError(c, err)
		return
	}
	res, err := s.opsService().RetryActivity(c.Request.Context(), opsActor(c), id, activityID, req.Reason)
	if err != nil {
		respondError(c, err)
		return
	}
	c.JSON(http.StatusOK, res)
}

type resolveReq struct {
	// Comment says what was done about the failure (recorded on it and in the audit log).
	Comment string `json:"comment" validate:"required,max=2000"`
}

// activityFailureJSON is a recorded activity failure as the resolve route answers it.
type activityFailureJSON struct {
	ID           string  `json:"id"`
	WorkflowID   string  `json:"workflow_id"`
	RunID        string  `json:"run_id"`
	ActivityType string  `json:"activity_type"`
	Error        string  `json:"error"`
	FailedAt     string  `json:"failed_at"`
	ResolvedAt   *string `json:"resolved_at"`
	ResolvedBy   *string `json:"resolved_by"`
	Resolution   string  `json:"resolution"`
}

// resolveActivityFailure marks a recorded failure of an activity that gave up as resolved, with
// what was done about it, so that it leaves the stuck list (O1, O2; audited).
func (s *Server) resolveActivityFailure(c *gin.Context) {
	id := c.Param("id")
	if !validFailureID.MatchString(id) {
		respondError(c, apperr.NotFound("活动失败记录"))
		return
	}
	var req resolveReq
	if err := bindJSON(c, &req); err != nil {
		respondError(c, err)
		return
	}
	if text.Blank(req.Comment) {
		respondError(c, apperr.Invalid(map[string]string{"comment": "必填"}))
		return
	}
	f, err := s.opsService().ResolveFailure(c.Request.Context(), opsActor(c), id, req.Comment)
	if err != nil {
		respondError(c, err)
		return
	}
	out := activityFailureJSON{ID: f.ID, WorkflowID: f.WorkflowID, RunID: f.RunID, ActivityType: f.ActivityType, Error: f.Error,
		FailedAt: f.FailedAt.Format(time.RFC3339), ResolvedBy: ns(f.ResolvedBy), Resolution: f.Resolution}
	if f.ResolvedAt.Valid {
		at := f.ResolvedAt.Time.Format(time.RFC3339)
		out.ResolvedAt = &at
	}
	c.JSON(http.StatusOK, out)
}

// validFailureID is the shape of store.FailureID.
var validFailureID = regexp.MustCompile(`^af-[0-9a-f]{24}$`)

type replayReq struct {
	// Histories are exported histories, each the JSON of `temporal workflow show --output json`
	// ({"events": [...]}).
	Histories   []json.RawMessage `json:"histories" validate:"max=200"`
	Live        bool              `json:"live"`
	WorkflowIDs []string          `json:"workflow_ids" validate:"max=500,dive,required,max=255"`
	Cursor      string            `json:"cursor" validate:"max=4096"`
	// Reason is why ops replays (the audit row keeps it).
	Reason string `json:"reason" validate:"max=500"`
}

// replayHistories replays posted histories and, with live, open workflows' live histories
// against this build (O3).
func (s *Server) replayHistories(c *gin.Context) {
	req, err := bindReplay(c)
	if err != nil {
		respondError(c, err)
		return
	}
	in := ops.ReplayRequest{Live: req.Live, WorkflowIDs: req.WorkflowIDs, Cursor: req.Cursor, Reason: text.Trim(req.Reason)}
	for i, raw := range req.Histories {
		h, err := client.HistoryFromJSON(bytes.NewReader(raw), client.HistoryJSONOptions{})
		if err != nil || len(h.GetEvents()) == 0 {
			respondError(c, apperr.Invalid(map[string]string{fmt.Sprintf("histories[%d]", i): "不是可读的工作流历史（temporal workflow show --output json 的 JSON）"}))
			return
		}
		in.Histories = append(in.Histories, h)
	}
	rep, err := s.opsService().Replay(c.Request.Context(), opsActor(c), in)
	if err != nil {
		respondError(c, err)
		return
	}
	c.JSON(http.StatusOK, rep)
}

// bindReplay decodes the replay request like bindJSON, with the larger size limit of
// exported histories.
func bindReplay(c *gin.Context) (replayReq, error) {
	var req replayReq
	if ct := c.ContentType(); ct != "application/json" && ct != "" {
		return req, apperr.New(apperr.KindUnsupported, "unsupported_media_type", "请求体必须是 JSON")
	}
	body, err := io.ReadAll(io.LimitReader(c.Request.Body, maxReplayBody+1))
	if err != nil {
		return req, apperr.BadRequest("bad_body", "请求体读取失败")
	}
	if len(body) > maxReplayBody {
		return req, apperr.TooLarge(fmt.Sprintf("请求体超过 %d MiB：请分批提交历史", maxReplayBody>>20))
	}
	if err := checkJSONText(body); err != nil {
		return req, err
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		return req, decodeError(err)
	}
	if dec.More() {
		return req, apperr.BadRequest("bad_json", "请求体只能包含一个 JSON 对象")
	}
	if err := validateStruct(&req); err != nil {
		return req, err
	}
	if len(req.Histories) == 0 && !req.Live {
		return req, apperr.Invalid(map[string]string{"histories": "须提交历史，或设 live 为 true"})
	}
	if !req.Live && (len(req.WorkflowIDs) > 0 || req.Cursor != "") {
		return req, apperr.Invalid(map[string]string{"live": "workflow_ids 与 cursor 只用于 live"})
	}
	return req, nil
}

// opsConfigJSON is GET /api/v1/ops/config: what the ops screen needs of the deployment.
type opsConfigJSON struct {
	// Namespace is the Temporal namespace of the workflows.
	Namespace string `json:"namespace"`
	// TemporalUIURL is the Temporal Web UI's base URL (TEMPORAL_UI_URL); empty: none.
	TemporalUIURL string `json:"temporal_ui_url"`
	// WorkflowURLTemplate is the Web UI page of a workflow, {workflow_id} standing for its id
	// (path-escaped); empty without a Web UI.
	WorkflowURLTemplate string `json:"workflow_url_template"`
}

// opsConfig is GET /api/v1/ops/config (O1–O3: the link from a stuck workflow to its history).
func (s *Server) opsConfig(c *gin.Context) {
	out := opsConfigJSON{Namespace: s.cfg.TemporalNamespace, TemporalUIURL: s.cfg.TemporalUIURL}
	if out.TemporalUIURL != "" {
		out.WorkflowURLTemplate = out.TemporalUIURL + "/namespaces/" + urlEscape(out.Namespace) + "/workflows/{workflow_id}"
	}
	c.JSON(http.StatusOK, out)
}
