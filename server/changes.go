package main

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"egovpm/internal/authz"
	"egovpm/internal/domain"
	"egovpm/internal/text"
	"egovpm/workflows"
)

// changeReq is a change request after approval (项目变更): new_amount_fen for an amount change,
// new_vendor for a vendor change.
type changeReq struct {
	Kind         string `json:"kind" validate:"required,oneof=scope amount vendor schedule"`
	Description  string `json:"description" validate:"required,nonblank,max=2000"`
	Reason       string `json:"reason" validate:"required,nonblank,max=2000"`
	NewAmountFen int64  `json:"new_amount_fen" validate:"gte=0,lte=1000000000000"`
	NewVendor    string `json:"new_vendor" validate:"max=200"`
}

// requestChange files a change request of the unit's approved project (项目变更, issue 19):
// the lifecycle opens a change_review task for DRB, or for the authority that approved the
// project when the amount rises (or falls past the pinned policy's threshold). 409
// change_pending while one waits for its decision, wrong_stage outside procurement–trial run.
func (s *Server) requestChange(c *gin.Context) {
	p, ok := s.loadProject(c, authz.ProjectDeliver)
	if !ok {
		return
	}
	var req changeReq
	if err := bindJSON(c, &req); err != nil {
		respondError(c, err)
		return
	}
	s.deliveryUpdate(c, p, workflows.UpdateChange, workflows.ChangeUpdate{Actor: mustActor(c), Kind: domain.ChangeKind(req.Kind),
		Description: text.Trim(req.Description), Reason: text.Trim(req.Reason), NewAmountFen: req.NewAmountFen,
		NewVendor: text.Trim(req.NewVendor), RequestID: c.GetString(ctxRequestID), RequestHash: requestHash(c, req)})
}

// listChanges answers a project's change requests, the first filed first: their history is
// read by whoever reads the project (issue 19 item 10).
func (s *Server) listChanges(c *gin.Context) {
	p, ok := s.loadProject(c, authz.ProjectRead)
	if !ok {
		return
	}
	rows, err := s.store.ProjectChanges(c.Request.Context(), p.ID)
	if err != nil {
		respondError(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"items": rows})
}
