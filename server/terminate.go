package main

import (
	"time"

	"github.com/gin-gonic/gin"

	"egovpm/internal/apperr"
	"egovpm/internal/authz"
	"egovpm/internal/domain"
	"egovpm/internal/store"
	"egovpm/workflows"
)

type closeReq struct {
	Reason string `json:"reason" validate:"max=2000"`
	// SettlementFen: 终止结算, the final settlement of work already done (termination only).
	SettlementFen int64 `json:"settlement_fen" validate:"gte=0,lte=1000000000000"`
}

// closureJSON is how a closed project closed (issue 19 item 4).
type closureJSON struct {
	As     string  `json:"as"`
	Reason string  `json:"reason"`
	At     *string `json:"at"`
	// SettlementFen: the final settlement (终止结算) DRB approved, null without one.
	SettlementFen *int64 `json:"settlement_fen"`
}

// closureOf is p's closure, nil while it is not closed by 终止 or 系统下线.
func closureOf(p store.Project) *closureJSON {
	if !p.ClosedAs.Valid {
		return nil
	}
	j := &closureJSON{As: p.ClosedAs.String, Reason: p.ClosedReason.String}
	if p.ClosedSettlementFen.Valid {
		j.SettlementFen = &p.ClosedSettlementFen.Int64
	}
	if p.ClosedAt.Valid {
		s := p.ClosedAt.Time.Format(time.RFC3339)
		j.At = &s
	}
	return j
}

// isDRB reports whether a is of the Big Data Resources Bureau.
func isDRB(a domain.Actor) bool {
	return a.Has(domain.RoleDRBReviewer) || a.Has(domain.RoleDRBSupervisor)
}

// running reports whether p has a lifecycle that has not ended: what 终止 and 系统下线 act on.
func running(p store.Project) bool {
	return p.WorkflowID.Valid && !domain.Stage(p.Stage).Terminal()
}

// canTerminate is what the project page shows the actor: DRB may terminate p now (终止).
func canTerminate(a domain.Actor, p store.Project) bool {
	return isDRB(a) && running(p)
}

// canRetire is what the project page shows the actor: DRB or p's own unit submitter may retire
// it now (系统下线), in O&M.
func canRetire(a domain.Actor, p store.Project) bool {
	own := authz.CanProject(a, authz.ProjectSubmit, authz.Project{UnitID: p.UnitID, Visible: true}) == nil
	return (isDRB(a) || own) && p.Stage == string(domain.StageOM) && p.WorkflowID.Valid
}

// terminateProject is DRB's 终止 of a project at any stage, with a reason (issue 19 item 4):
// the lifecycle cancels its open tasks (their holders told), closes the project and ends.
func (s *Server) terminateProject(c *gin.Context) { s.closeProject(c, false) }

// retireProject is 系统下线 of a project in O&M by DRB or its unit's submitter, with a reason:
// it ends O&M the same way (issue 19 item 4).
func (s *Server) retireProject(c *gin.Context) { s.closeProject(c, true) }

// closeProject sends the terminate Update (Retire for 系统下线). A project whose lifecycle
// ended (or never began) is 409 project_closed, unless the request is the resend, with its
// Idempotency-Key, of the one that closed it, which gets its first answer.
func (s *Server) closeProject(c *gin.Context, retire bool) {
	p, ok := s.loadProject(c, authz.ProjectRead)
	if !ok {
		return
	}
	a := mustActor(c)
	own := authz.CanProject(a, authz.ProjectSubmit, authz.Project{UnitID: p.UnitID, Visible: true}) == nil
	if !isDRB(a) && !(retire && own) {
		respondError(c, apperr.Forbidden("forbidden", "只有市数管局可以终止项目；系统下线由市数管局或本单位申报人申请"))
		return
	}
	var req closeReq
	if !bindWithReason(c, &req, &req.Reason, "请填写理由") {
		return
	}
	if retire && req.SettlementFen != 0 {
		respondError(c, apperr.Invalid(map[string]string{"settlement_fen": "终止结算只用于终止项目"}))
		return
	}
	s.projectUpdate(c, p, workflows.UpdateTerminate, req, closedRefusal(p, "项目已关闭或尚未提交，不能终止或下线"),
		func(requestID, hash string) any {
			return workflows.TerminateUpdate{Actor: a, Reason: req.Reason, Retire: retire, SettlementFen: req.SettlementFen,
				RequestID: requestID, RequestHash: hash}
		})
}
