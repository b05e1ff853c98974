package main

import (
	"time"

	"github.com/gin-gonic/gin"

	"egovpm/internal/apperr"
	"egovpm/internal/authz"
	"egovpm/internal/domain"
	"egovpm/internal/store"
	"egovpm/internal/text"
	"egovpm/workflows"
)

// extensionReq is the unit's deadline extension request (延期申请): the step whose deadline
// moves (om_filing: the current O&M year's filing), the new due instant (RFC 3339) and the
// reason.
type extensionReq struct {
	Step     string `json:"step" validate:"max=64"`
	NewDueAt string `json:"new_due_at" validate:"max=64"`
	Reason   string `json:"reason" validate:"max=2000"`
}

// canRequestExtension is what the project page shows the actor: p's own unit submitter may
// ask DRB to extend the current O&M year's filing deadline (延期申请) while the project is in
// O&M, that year is neither filed nor flagged overdue, and no request waits for DRB's
// decision (an open extension_review task).
func canRequestExtension(a domain.Actor, p store.Project, tasks []store.Task, oms []store.OMFilingRow) bool {
	for _, t := range tasks {
		if t.Kind == string(domain.TaskExtensionReview) {
			return false
		}
	}
	var cur *store.OMFilingRow
	for i := range oms {
		if cur == nil || oms[i].Year > cur.Year {
			cur = &oms[i]
		}
	}
	return cur != nil && cur.FiledAt == nil && !cur.Overdue && p.Stage == string(domain.StageOM) && running(p) &&
		authz.CanProject(a, authz.ProjectDeliver, authz.Project{UnitID: p.UnitID, Visible: true}) == nil
}

// requestExtension is the unit's 延期申请 (issue 19 item 4): its submitter asks, with a reason,
// to move the current O&M year's filing deadline (R13, T4) to a later instant before the next
// year's; the lifecycle opens an extension_review task for DRB, decided from 待办 (approve
// moves the deadline, its overdue timer and the due date shown; reject keeps it). 409
// deadline_extension_pending while one waits; 422 invalid_extension_date for a date not after
// the deadline or not before the next year's.
func (s *Server) requestExtension(c *gin.Context) {
	p, ok := s.loadProject(c, authz.ProjectDeliver)
	if !ok {
		return
	}
	var req extensionReq
	if err := bindJSON(c, &req); err != nil {
		respondError(c, err)
		return
	}
	req.Reason = text.Trim(req.Reason)
	fields := map[string]string{}
	if req.Step != workflows.StepOMFiling {
		fields["step"] = "延期事项须为 om_filing（运维年度备案）"
	}
	due, err := time.Parse(time.RFC3339, req.NewDueAt)
	if err != nil {
		fields["new_due_at"] = "新的截止时间须为 RFC 3339 时间，如 2027-03-31T23:59:59+08:00"
	}
	if text.Blank(req.Reason) {
		fields["reason"] = "请填写延期理由"
	}
	if len(fields) > 0 {
		respondError(c, apperr.Invalid(fields))
		return
	}
	s.projectUpdate(c, p, workflows.UpdateDeadlineExtension, req, closedRefusal(p, "项目已关闭或尚未提交，不能申请延期"),
		func(requestID, hash string) any {
			return workflows.ExtensionUpdate{Actor: mustActor(c), Step: req.Step, NewDueAt: due, Reason: req.Reason,
				RequestID: requestID, RequestHash: hash}
		})
}
