package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"time"

	"github.com/gin-gonic/gin"

	"egovpm/internal/apperr"
	"egovpm/internal/authz"
	"egovpm/internal/calendar"
	"egovpm/internal/domain"
	"egovpm/internal/store"
	"egovpm/internal/text"
	"egovpm/workflows"
)

// paymentStages are the stages of a project that has a contract (R9) and so takes payments
// against its milestones (R15).
var paymentStages = []string{string(domain.StageConstruction), string(domain.StageTrialRun),
	string(domain.StageAcceptance), string(domain.StageRectification), string(domain.StageOM)}

// firstPaymentDay is the earliest paid_on accepted (the database checks it too).
var firstPaymentDay = time.Date(2000, 1, 1, 0, 0, 0, 0, calendar.Shanghai)

var validOrgID = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,62}$`)

type recordPaymentReq struct {
	Milestone string `json:"milestone" validate:"required,nonblank,name,max=200"`
	AmountFen int64  `json:"amount_fen" validate:"required,gt=0,lte=1000000000000"`
	PaidOn    string `json:"paid_on" validate:"required"`
}

type confirmPaymentReq struct {
	Decision string `json:"decision" validate:"required,oneof=confirm reject"`
	Comment  string `json:"comment" validate:"max=2000"`
}

type paymentJSON struct {
	ID          string  `json:"id"`
	ProjectID   string  `json:"project_id"`
	Milestone   string  `json:"milestone"`
	AmountFen   int64   `json:"amount_fen"`
	PaidOn      string  `json:"paid_on"`
	Status      string  `json:"status"`
	RecordedBy  string  `json:"recorded_by"`
	ConfirmedBy *string `json:"confirmed_by"`
	ConfirmedAt *string `json:"confirmed_at"`
	Comment     string  `json:"comment"`
	CreatedAt   string  `json:"created_at"`
}

func toPaymentJSON(p store.Payment) paymentJSON {
	j := paymentJSON{ID: p.ID, ProjectID: p.ProjectID, Milestone: p.Milestone, AmountFen: p.AmountFen, PaidOn: p.PaidOn,
		Status: p.Status, RecordedBy: p.RecordedBy, ConfirmedBy: ns(p.ConfirmedBy), Comment: p.Comment,
		CreatedAt: p.CreatedAt.Format(time.RFC3339)}
	if p.ConfirmedAt.Valid {
		at := p.ConfirmedAt.Time.Format(time.RFC3339)
		j.ConfirmedAt = &at
	}
	return j
}

type fundsRowJSON struct {
	UnitID      string `json:"unit_id"`
	PlanYear    int    `json:"plan_year"`
	ApprovedFen int64  `json:"approved_fen"`
	// ContractedFen sums the registered contracts (R9).
	ContractedFen int64 `json:"contracted_fen"`
	RecordedFen   int64 `json:"recorded_fen"`
	ConfirmedFen  int64 `json:"confirmed_fen"`
	Projects      int   `json:"projects"`
}

// yuan formats fen as yuan with two decimals, for messages.
func yuan(fen int64) string {
	sign := ""
	if fen < 0 {
		sign, fen = "-", -fen
	}
	return fmt.Sprintf("%s%d.%02d", sign, fen/100, fen%100)
}

// parsePaidOn checks a payment date: a calendar day (Asia/Shanghai) from 2000-01-01 to today.
func (s *Server) parsePaidOn(v string) (string, error) {
	d, err := time.ParseInLocation("2006-01-02", v, calendar.Shanghai)
	if err != nil {
		return "", apperr.Invalid(map[string]string{"paid_on": "须为 YYYY-MM-DD 格式的日期"})
	}
	if d.Before(firstPaymentDay) {
		return "", apperr.Invalid(map[string]string{"paid_on": "不能早于 2000-01-01"})
	}
	now := s.now().In(calendar.Shanghai)
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, calendar.Shanghai)
	if d.After(today) {
		return "", apperr.Invalid(map[string]string{"paid_on": "不能晚于今天（" + today.Format("2006-01-02") + "）"})
	}
	return d.Format("2006-01-02"), nil
}

// overApproved is the 422 of R15 for the database's refusal: amount_over_contract once the
// project has a contract (R9 keeps it at or below the approved amount, so it is the cap),
// amount_over_approved before.
func overApproved(e *store.OverApprovedError, amount int64) *apperr.Error {
	if e.ContractFen.Valid && e.ApprovedFen.Valid && e.ContractFen.Int64 <= e.ApprovedFen.Int64 {
		return apperr.Rule("amount_over_contract", fmt.Sprintf("累计付款不能超过合同金额：合同 %s 元，已登记 %s 元，本次 %s 元，最多还可登记 %s 元",
			yuan(e.ContractFen.Int64), yuan(e.PaidFen), yuan(amount), yuan(max(e.ContractFen.Int64-e.PaidFen, 0)))).
			WithExtra("approved_amount_fen", e.ApprovedFen.Int64).WithExtra("contract_amount_fen", e.ContractFen.Int64).
			WithExtra("paid_fen", e.PaidFen)
	}
	if !e.ApprovedFen.Valid {
		return apperr.Rule("amount_over_approved", "项目尚无批复金额，不能登记付款（R7）").
			WithExtra("approved_amount_fen", nil).WithExtra("paid_fen", e.PaidFen)
	}
	return apperr.Rule("amount_over_approved", fmt.Sprintf("累计付款不能超过批复金额：批复 %s 元，已登记 %s 元，本次 %s 元，最多还可登记 %s 元",
		yuan(e.ApprovedFen.Int64), yuan(e.PaidFen), yuan(amount), yuan(max(e.ApprovedFen.Int64-e.PaidFen, 0)))).
		WithExtra("approved_amount_fen", e.ApprovedFen.Int64).WithExtra("paid_fen", e.PaidFen)
}

// recordPayment records a payment against a contract milestone (R15). The database refuses a
// payment that would take the project's non-rejected payments past the contract amount or
// the approved amount (schema/0014_round_and_contract_cap.sql), also when two requests race;
// that refusal is 422.
func (s *Server) recordPayment(c *gin.Context) {
	// Recording a payment is an own-unit write, like editing the project.
	p, ok := s.loadProject(c, authz.ProjectDeliver)
	if !ok {
		return
	}
	var req recordPaymentReq
	if err := bindJSON(c, &req); err != nil {
		respondError(c, err)
		return
	}
	req.Milestone = text.Trim(req.Milestone)
	if req.Milestone == "" {
		respondError(c, apperr.Invalid(map[string]string{"milestone": "必填"}))
		return
	}
	paidOn, err := s.parsePaidOn(req.PaidOn)
	if err != nil {
		respondError(c, err)
		return
	}
	ctx := c.Request.Context()
	a := mustActor(c)
	pay := store.Payment{ID: newID("pay-"), ProjectID: p.ID, Milestone: req.Milestone, AmountFen: req.AmountFen,
		PaidOn: paidOn, RecordedBy: a.ID}
	key := c.GetHeader("Idempotency-Key") // checked by idempotencyKeyHeader
	if key != "" {
		// A payment resent with the same key (its reply was lost) names the same payment: the
		// id derives from the person, the project and the key, so it is recorded once.
		pay.ID = keyedID("pay-", "payment-record", a.ID, p.ID, key)
	}
	var replay *store.Payment
	err = s.store.WithTx(ctx, func(tx *store.Tx) error {
		locked, err := s.store.ProjectForUpdate(ctx, tx, p.ID)
		if err != nil {
			return err
		}
		if key != "" {
			// After the project lock: a concurrent resend has committed or not started.
			prev, err := s.store.PaymentTx(ctx, tx, pay.ID)
			switch {
			case errors.Is(err, store.ErrNotFound):
			case err != nil:
				return err
			case prev.Milestone == pay.Milestone && prev.AmountFen == pay.AmountFen && prev.PaidOn == pay.PaidOn:
				replay = &prev
				return nil
			default:
				return apperr.New(apperr.KindConflict, "idempotency_key_reused",
					"该 Idempotency-Key 已用于登记另一笔付款，请换用新的 Idempotency-Key")
			}
		}
		if err := s.paymentOpen(ctx, tx, locked, pay.AmountFen); err != nil {
			return err
		}
		if err := s.store.InsertPayment(ctx, tx, &pay); err != nil {
			var over *store.OverApprovedError
			if errors.As(err, &over) {
				return overApproved(over, req.AmountFen)
			}
			return err
		}
		if err := s.store.NotifyPayment(ctx, tx, paymentNoticeID(pay.ID), "payment_recorded", pay, fundConfirmers.roles); err != nil {
			return err
		}
		return s.audit(c, tx, "payment.record", "project", p.ID, "ok", gin.H{"payment_id": pay.ID,
			"milestone": pay.Milestone, "amount_fen": pay.AmountFen, "paid_on": pay.PaidOn})
	})
	if err != nil {
		respondError(c, err)
		return
	}
	if replay != nil {
		c.JSON(http.StatusCreated, toPaymentJSON(*replay)) // as recorded (and decided) since
		return
	}
	s.mailNotifications(paymentNoticeID(pay.ID))
	c.JSON(http.StatusCreated, toPaymentJSON(pay))
}

// paymentNoticeID names the notifications of payment id's events (store.NotifyPayment).
func paymentNoticeID(id string) string { return "payment:" + id }

// confirmPayment confirms or rejects a recorded payment (R15, Finance or DRB). A decision is
// final: a second one is 409. A rejected payment no longer counts against the approved amount.
// paymentStage refuses a payment in stage: a closed project (终止 or 系统下线, issue 19 item 4)
// takes no new payment (409 project_closed); before its contract none is due (409 wrong_stage).
func paymentStage(stage string) error {
	if stage == string(domain.StageClosed) {
		return apperr.Conflict(workflows.CodeProjectClosed, "项目已关闭（终止或系统下线），不能再登记付款").WithExtra("stage", stage)
	}
	if !domain.Contains(paymentStages, stage) {
		return apperr.Conflict("wrong_stage", "项目尚未签订合同（当前阶段："+domain.StageName(domain.Stage(stage))+"），不能登记付款").WithExtra("stage", stage)
	}
	return nil
}

// paymentOpen refuses a payment of amountFen on project p (locked in tx): by its stage
// (paymentStage), except that a project DRB terminated with a final settlement (终止结算) takes
// payments recorded after its closure up to that settlement (422 settlement_exceeded past it).
func (s *Server) paymentOpen(ctx context.Context, tx *store.Tx, p store.Project, amountFen int64) error {
	if p.Stage != string(domain.StageClosed) || !p.ClosedSettlementFen.Valid || !p.ClosedAt.Valid {
		return paymentStage(p.Stage)
	}
	paid, err := s.store.PaidSince(ctx, tx, p.ID, p.ClosedAt.Time)
	if err != nil {
		return err
	}
	if left := p.ClosedSettlementFen.Int64 - paid; amountFen > left {
		return apperr.Rule("settlement_exceeded", fmt.Sprintf("超出终止结算金额：批准结算 %s 元，已登记 %s 元", domain.YuanGrouped(p.ClosedSettlementFen.Int64),
			domain.YuanGrouped(paid))).WithExtra("settlement_fen", p.ClosedSettlementFen.Int64).WithExtra("remaining_fen", left)
	}
	return nil
}

func (s *Server) confirmPayment(c *gin.Context) {
	ctx := c.Request.Context()
	a := mustActor(c)
	pay, err := s.store.Payment(ctx, c.Param("id"))
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			err = apperr.NotFound("付款记录")
		}
		respondError(c, err)
		return
	}
	p, err := s.store.Project(ctx, pay.ProjectID)
	if err != nil {
		respondError(c, err)
		return
	}
	v, err := s.store.ProjectView(ctx, p.ID, authz.ReachOf(a))
	if err != nil {
		respondError(c, err)
		return
	}
	if err := authz.CanProject(a, authz.ProjectRead, authz.Project{UnitID: p.UnitID, Visible: v.Visible()}); err != nil {
		respondError(c, apperr.NotFound("付款记录"))
		return
	}
	var req confirmPaymentReq
	if err := bindJSON(c, &req); err != nil {
		respondError(c, err)
		return
	}
	// Separation of duties: who recorded the payment does not decide it (the database refuses
	// it too).
	if err := authz.OwnAct(a, []string{pay.RecordedBy}); err != nil {
		s.respondRefusal(c, "payment."+req.Decision, "payment", pay.ID, err)
		return
	}
	req.Comment = text.Trim(req.Comment)
	if req.Decision == "reject" && req.Comment == "" {
		respondError(c, apperr.Invalid(map[string]string{"comment": "退回付款须说明理由"}))
		return
	}
	status := store.PaymentConfirmed
	if req.Decision == "reject" {
		status = store.PaymentRejected
	}
	var out store.Payment
	err = s.store.WithTx(ctx, func(tx *store.Tx) error {
		var err error
		out, err = s.store.DecidePayment(ctx, tx, pay.ID, status, a.ID, req.Comment)
		if errors.Is(err, store.ErrOwnPayment) {
			return authz.OwnAct(a, []string{a.ID})
		}
		if errors.Is(err, store.ErrPaymentDecided) {
			cur, cerr := s.store.PaymentTx(ctx, tx, pay.ID)
			if cerr != nil {
				return cerr
			}
			return apperr.Conflict("already_decided", "该付款已"+map[string]string{
				store.PaymentConfirmed: "确认", store.PaymentRejected: "退回"}[cur.Status]+"，不能重复处理").WithExtra("status", cur.Status)
		}
		if err != nil {
			return err
		}
		if status == store.PaymentRejected { // issue 19 item 1: the recorder is told why
			if err := s.store.NotifyPayment(ctx, tx, paymentNoticeID(pay.ID), "payment_rejected", out, nil); err != nil {
				return err
			}
		}
		return s.audit(c, tx, "payment."+req.Decision, "project", pay.ProjectID, "ok", gin.H{"payment_id": pay.ID,
			"decision": req.Decision, "comment": req.Comment, "amount_fen": pay.AmountFen})
	})
	if err != nil {
		respondError(c, err)
		return
	}
	if status == store.PaymentRejected {
		s.mailNotifications(paymentNoticeID(pay.ID))
	}
	c.JSON(http.StatusOK, toPaymentJSON(out))
}

// funds reports spent vs approved by unit and plan year (R15).
func (s *Server) funds(c *gin.Context) {
	lq, err := parseList(c)
	if err != nil {
		respondError(c, err)
		return
	}
	f := store.FundsFilter{UnitID: c.Query("unit_id"), Limit: lq.Limit, Cursor: lq.Cursor}
	y, err := yearQuery(c, "year")
	if err != nil {
		respondError(c, err)
		return
	}
	f.Year = y
	if f.UnitID != "" && !validOrgID.MatchString(f.UnitID) {
		respondError(c, apperr.Invalid(map[string]string{"unit_id": "单位编号不合法"}))
		return
	}
	rows, next, err := s.store.Funds(c.Request.Context(), f)
	sendPage(c, rows, next, err, toFundsRowJSON)
}

func toFundsRowJSON(r store.FundsRow) fundsRowJSON {
	return fundsRowJSON{UnitID: r.UnitID, PlanYear: r.PlanYear, ApprovedFen: r.ApprovedFen, ContractedFen: r.ContractedFen,
		RecordedFen: r.RecordedFen, ConfirmedFen: r.ConfirmedFen, Projects: r.Projects}
}
