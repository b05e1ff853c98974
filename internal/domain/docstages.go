package domain

import "slices"

// preApproval are the stages before the approval decision (R2–R8): the application documents
// are prepared and completed in them.
var preApproval = []Stage{StageDraft, StagePrelimReview, StageRevision, StageExpertReview, StageAwaitingPlan,
	StageAwaitingApproval, StageSpecialRequest}

// DocumentStages gives, for each document kind, the stages in which a unit may upload it: the
// step of the lifecycle whose rule asks for the document, and the stages in which that step is
// redone (revision, rectification). A kind outside its stages is refused (409
// wrong_stage_for_document): a trial-run report cannot be uploaded to a draft.
var DocumentStages = map[string][]Stage{
	// R6, R17: the project opinion, the implementation plan and the 密码应用方案 are decided
	// on at approval; they are prepared with the application.
	"opinion":     preApproval,
	"impl_plan":   preApproval,
	"crypto_plan": preApproval,
	// R8: the special request is the document that lets a draft past the R2 deadline; it is
	// decided on by the City Government in special_request.
	"special_request": {StageDraft, StageRevision, StageSpecialRequest},
	// R9: the contract is registered after approval, at procurement.
	"contract": {StageApproved, StageProcurement, StageConstruction},
	// R10: the supervision report comes with the report of construction complete.
	"supervision_report": {StageConstruction, StageTrialRun, StageRectification},
	// R11: the trial-run report is written during the trial run.
	"trial_run_report": {StageTrialRun, StageRectification},
	// R17: the 密评 report and the 等保 filing are needed before acceptance.
	"crypto_assessment": {StageConstruction, StageTrialRun, StageRectification},
	"mlps_filing":       {StageConstruction, StageTrialRun, StageRectification},
	// R12: the acceptance minutes are written at the acceptance.
	"acceptance_minutes": {StageAcceptance, StageRectification},
	// R13: the annual O&M report is filed in O&M.
	"om_report": {StageOM},
	// Any other document, in any stage that is not final.
	"other": {StageDraft, StagePrelimReview, StageRevision, StageExpertReview, StageAwaitingPlan, StageAwaitingApproval,
		StageSpecialRequest, StageApproved, StageProcurement, StageConstruction, StageTrialRun, StageAcceptance,
		StageRectification, StageOM},
}

// DocumentAllowed reports whether a document of kind may be uploaded to a project in stage.
func DocumentAllowed(kind string, stage Stage) bool {
	return slices.Contains(DocumentStages[kind], stage)
}
