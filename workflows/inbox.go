package workflows

import "egovpm/internal/domain"

// msgKind is what a lifecycle inbox message is. It lives in memory only: every Update, signal
// and timer keeps its own name and payload in history.
type msgKind uint8

// The lifecycle's message kinds: Updates (a person's request, answered when handled), signals
// (from the AnnualPlan, or SignalDocuments) and timers the lifecycle sets itself.
const (
	msgDecide msgKind = iota + 1
	msgResubmit
	msgReassign
	msgContract
	msgConstruction
	msgAcceptance
	msgOMReport
	msgWithdraw
	msgChange
	msgTerminate
	msgTermRequest
	msgWithdrawDecision
	msgExtension

	msgPanel
	msgPlanResult
	msgBundleResult
	msgDocuments
	msgYearEndClose
	msgPlanAdjusted

	msgTrialRunOver
	msgFollowUp
	msgOMDeadline
	msgOMReminder
	msgTaskReminder
	msgTaskEscalation
	msgEvaluationDue
)

// msgNames are the messages' names: the Update or signal name, or the timer's; a delivery
// request's result carries it as its decision (lifecycle.result).
var msgNames = [...]string{
	msgDecide: UpdateDecide, msgResubmit: UpdateResubmit, msgReassign: UpdateReassign, msgContract: UpdateContract,
	msgConstruction: UpdateConstructionComplete, msgAcceptance: UpdateApplyAcceptance, msgOMReport: UpdateOMReport, msgWithdraw: UpdateWithdraw,
	msgChange: UpdateChange, msgTerminate: UpdateTerminate, msgTermRequest: UpdateTerminationRequest, msgWithdrawDecision: UpdateWithdrawDecision,
	msgExtension: UpdateDeadlineExtension,
	msgPanel:     SignalPanel, msgPlanResult: SignalPlanResult, msgBundleResult: SignalBundleResult, msgDocuments: SignalDocuments,
	msgYearEndClose: SignalYearEndClose, msgPlanAdjusted: SignalPlanAdjusted,
	msgTrialRunOver: timerTrialRunOver, msgFollowUp: timerFollowUp, msgOMDeadline: timerOMDeadline,
	msgOMReminder: timerOMReminder, msgTaskReminder: timerTaskReminder, msgTaskEscalation: timerTaskEscalation,
	msgEvaluationDue: timerEvaluationDue,
}

func (k msgKind) String() string { return msgNames[k] }

// update reports an Update: its sender waits for the answer.
func (k msgKind) update() bool { return k >= msgDecide && k <= msgExtension }

// signal reports a signal: no one waits for it, a failure to apply it is logged.
func (k msgKind) signal() bool { return k >= msgPanel && k <= msgPlanAdjusted }

// message is one event the lifecycle's main loop handles, in arrival order: an Update waits for
// it to be handled; a signal does not.
type message struct {
	kind msgKind
	// payload is the Update's or signal's payload (DecideUpdate, PanelSignal, …); for an
	// O&M timer the O&M year (int), for a task timer the task id (string).
	payload any
	// updateID is the id of the Update that brought the message ("" for signals and timers);
	// applies counts the transitions its handling wrote (transition-id-by-update).
	updateID string
	applies  int
	handled  bool
	result   DecideResult
	err      error
}

// sentFor is the stage the AnnualPlan sent a signal for ("" for other messages): it sends each
// after reading that stage from the read model (plan-stages-from-read-model).
func sentFor(m *message) domain.Stage {
	switch m.kind {
	case msgPanel:
		return domain.StageExpertReview
	case msgPlanResult:
		return domain.StageAwaitingPlan
	case msgBundleResult:
		return domain.StageAwaitingApproval
	}
	return ""
}

// heldSignal is plan signal m as the state holds it (hold).
func heldSignal(m *message, arrivedIn domain.Stage) HeldSignal {
	h := HeldSignal{ArrivedIn: arrivedIn}
	switch s := m.payload.(type) {
	case PanelSignal:
		h.Panel = &s
	case PlanResultSignal:
		h.Plan = &s
	case BundleResultSignal:
		h.Bundle = &s
	}
	return h
}

// message is the inbox message of a held signal.
func (h HeldSignal) message() *message {
	switch {
	case h.Plan != nil:
		return &message{kind: msgPlanResult, payload: *h.Plan}
	case h.Bundle != nil:
		return &message{kind: msgBundleResult, payload: *h.Bundle}
	}
	return &message{kind: msgPanel, payload: *h.Panel}
}
