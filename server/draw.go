package main

import (
	"crypto/rand"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"

	"github.com/gin-gonic/gin"

	"egovpm/internal/apperr"
	"egovpm/internal/audit"
	"egovpm/internal/domain"
	"egovpm/internal/store"
	"egovpm/internal/text"
	"egovpm/workflows"
)

// drawReq is POST /api/v1/plans/{year}/expert-draws: draw count experts of specialty at
// random for the projects (R4, 随机抽取, issue 19 item 6).
type drawReq struct {
	ProjectIDs []string `json:"project_ids" validate:"required,min=1,max=500,dive,required,max=64"`
	Specialty  string   `json:"specialty" validate:"required,oneof=software security data infrastructure"`
	Count      int      `json:"count" validate:"required,min=1,max=99"`
}

// drawJSON is a draw as the gateway answers it: the record of its audit row.
type drawJSON struct {
	domain.ExpertDraw
	// Experts are the drawn experts with their names, in the order drawn.
	Experts []store.PanelExpert `json:"experts"`
}

// drawExperts is POST /api/v1/plans/{year}/expert-draws (DRB): the gateway, not the workflow,
// draws count experts of the specialty from the pool, the experts of any project's unit left
// out (R4 recusal, so the one panel stands for every project), with a seed of its own
// (crypto/rand). The audit row `expert.draw` records the seed, the candidates, the recused and
// the result: domain.ReplayDraw re-runs it. A draw convenes nothing: the convene names it
// (draw_id). With an Idempotency-Key a resend answers the first draw (a resend never draws
// again).
func (s *Server) drawExperts(c *gin.Context) {
	y, ok := planYear(c)
	if !ok {
		return
	}
	var req drawReq
	if err := bindJSON(c, &req); err != nil {
		respondError(c, err)
		return
	}
	ctx := c.Request.Context()
	id := newID("d-")
	if k := c.GetHeader("Idempotency-Key"); k != "" {
		id = "d-" + k
		if detail, _, err := s.store.ExpertDrawRecord(ctx, id); err == nil {
			s.answerDraw(c, detail, &req)
			return
		} else if !errors.Is(err, store.ErrNotFound) {
			respondError(c, err)
			return
		}
	}
	if short := s.policy.PanelShortfall(req.Count); short > 0 {
		respondError(c, apperr.Invalid(map[string]string{"count": fmt.Sprintf("专家组须为奇数且不少于 %d 人（R4）", s.policy.PanelMin)}))
		return
	}
	d, err := s.draw(c, y, id, req)
	if err != nil {
		respondError(c, err)
		return
	}
	a := mustActor(c)
	err = s.store.RecordDraw(ctx, audit.Entry{ActorID: a.ID, OrgID: a.OrgID, Action: store.ActionExpertDraw,
		ObjectType: "expert_draw", ObjectID: id, Outcome: "ok", RequestID: c.GetString(ctxRequestID),
		ClientIP: c.ClientIP(), Detail: d})
	if err != nil {
		respondError(c, err)
		return
	}
	detail, _, err := s.store.ExpertDrawRecord(ctx, id) // the recorded draw (a concurrent resend's, if it won)
	if err != nil {
		respondError(c, err)
		return
	}
	s.answerDraw(c, detail, &req)
}

// draw draws for req: the pool of the specialty, less the experts of the projects' units.
func (s *Server) draw(c *gin.Context, y int, id string, req drawReq) (domain.ExpertDraw, error) {
	ctx := c.Request.Context()
	d := domain.ExpertDraw{DrawID: id, Algorithm: domain.DrawAlgorithm, PlanYear: y, Specialty: req.Specialty,
		Count: req.Count, ProjectIDs: req.ProjectIDs, Candidates: []string{}, Recused: []domain.Recusal{}}
	rows, err := s.store.PlanProjects(ctx, req.ProjectIDs)
	if err != nil {
		return d, err
	}
	if err := workflows.CheckPlanStages(workflows.UpdateConvene, y, req.ProjectIDs, rows, s.policy); err != nil {
		return d, err
	}
	pool, err := s.store.ExpertPool(ctx, req.Specialty)
	if err != nil {
		return d, err
	}
	for _, e := range pool {
		i := slices.IndexFunc(rows, func(p domain.PlanProject) bool { return p.UnitID == e.OrgID })
		if i >= 0 {
			d.Recused = append(d.Recused, domain.Recusal{ExpertID: e.ID, ProjectID: rows[i].ProjectID})
			continue
		}
		d.Candidates = append(d.Candidates, e.ID)
	}
	if len(d.Candidates) < req.Count {
		return d, apperr.New(apperr.KindRule, "expert_pool_too_small",
			fmt.Sprintf("“%s”专业可抽取的专家（回避后）只有 %d 名，不足 %d 名", domain.ExpertSpecialties[req.Specialty], len(d.Candidates), req.Count)).
			WithExtra("available", len(d.Candidates)).WithExtra("recused", len(d.Recused))
	}
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		return d, err
	}
	seed := binary.BigEndian.Uint64(b[:])
	d.Seed = strconv.FormatUint(seed, 10)
	d.Drawn = domain.DrawExperts(seed, d.Candidates, req.Count)
	return d, nil
}

// answerDraw answers 201 with the recorded draw detail; req, when the draw was asked for
// under an Idempotency-Key, must be the request it records (else 409 idempotency_key_reused).
func (s *Server) answerDraw(c *gin.Context, detail []byte, req *drawReq) {
	var out drawJSON
	if err := json.Unmarshal(detail, &out.ExpertDraw); err != nil {
		respondError(c, err)
		return
	}
	d := out.ExpertDraw
	if req != nil && (d.Specialty != req.Specialty || d.Count != req.Count || !slices.Equal(d.ProjectIDs, req.ProjectIDs)) {
		respondError(c, errKeyReused())
		return
	}
	experts, err := s.store.Experts(c.Request.Context())
	if err != nil {
		respondError(c, err)
		return
	}
	out.Experts = []store.PanelExpert{}
	for _, id := range d.Drawn {
		if i := slices.IndexFunc(experts, func(e store.PanelExpert) bool { return e.ID == id }); i >= 0 {
			out.Experts = append(out.Experts, experts[i])
		} else {
			out.Experts = append(out.Experts, store.PanelExpert{ID: id, Name: id})
		}
	}
	c.JSON(http.StatusCreated, out)
}

// selection is how the experts of a convene were chosen, as its `expert.selection` audit row
// records it: drawn (draw_id, the experts the draw drew) or hand-picked with a reason (R4,
// issue 19 item 6: hand-picking only with a recorded reason; 422 pick_reason_required).
func (s *Server) selection(c *gin.Context, y int, req *sessionReq) (map[string]any, error) {
	req.PickReason = text.Trim(req.PickReason)
	detail := map[string]any{"plan_year": y, "expert_ids": req.ExpertIDs, "project_ids": req.ProjectIDs}
	mode := "hand_pick"
	if req.DrawID != "" {
		raw, _, err := s.store.ExpertDrawRecord(c.Request.Context(), req.DrawID)
		if errors.Is(err, store.ErrNotFound) {
			return nil, apperr.Invalid(map[string]string{"draw_id": "没有这次抽取：" + req.DrawID})
		}
		if err != nil {
			return nil, err
		}
		var d domain.ExpertDraw
		if err := json.Unmarshal(raw, &d); err != nil {
			return nil, err
		}
		if d.PlanYear != y || slices.ContainsFunc(req.ProjectIDs, func(p string) bool { return !slices.Contains(d.ProjectIDs, p) }) {
			return nil, apperr.Invalid(map[string]string{"draw_id": "这次抽取不是为本年度的这些项目所做"})
		}
		detail["draw_id"] = d.DrawID
		if sameSet(req.ExpertIDs, d.Drawn) {
			mode = "draw"
		}
	}
	detail["mode"] = mode
	if mode == "hand_pick" {
		if req.PickReason == "" {
			return nil, apperr.New(apperr.KindRule, "pick_reason_required",
				"未按随机抽取结果确定专家（手工选择），须填写手工选择的理由").WithFields(map[string]string{"pick_reason": "请填写手工选择专家的理由"})
		}
		detail["reason"] = req.PickReason
	}
	return detail, nil
}

// sameSet reports whether a and b hold the same ids (in any order, each once).
func sameSet(a, b []string) bool {
	x, y := slices.Clone(a), slices.Clone(b)
	slices.Sort(x)
	slices.Sort(y)
	return slices.Equal(slices.Compact(x), slices.Compact(y)) && len(a) == len(b)
}

// recordSelection appends the `expert.selection` row of session sid, once (a resent convene
// writes nothing more).
func (s *Server) recordSelection(c *gin.Context, sid string, detail map[string]any) error {
	a := mustActor(c)
	detail["session_id"] = sid
	return s.store.WithTx(c.Request.Context(), func(tx *store.Tx) error {
		return s.store.AppendAudit(c.Request.Context(), tx, audit.Entry{ActorID: a.ID, OrgID: a.OrgID,
			Action: store.ActionExpertSelection, ObjectType: "expert_session", ObjectID: sid, Outcome: "ok",
			RequestID: c.GetString(ctxRequestID), ClientIP: c.ClientIP(), Detail: detail,
			DedupKey: store.ActionExpertSelection + ":" + sid})
	})
}
