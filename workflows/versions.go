package workflows

import (
	"slices"

	"go.temporal.io/sdk/workflow"
)

// change is a workflow.GetVersion change id with the highest version the code supports, and
// since, the commit on main that introduced it.
//
// Retiring a change: its branches below max serve only the runs started before since (code
// that did not know the change). It can be retired (the old branch deleted, the call site kept
// or made unconditional) once every run of its workflow type started before since has ended:
// no open run's TemporalChangeVersion search attribute lists "<id>-<max>" or a baseline that
// covers the change (baselines), and `make replay` on live histories (O3) still passes.
// TestRetirableChanges lists the ids whose old branches no recorded history in testdata needs.
type change struct {
	id    string
	max   workflow.Version
	since string
}

// lifecycleChanges and planChanges list every change id ProjectLifecycle and AnnualPlan may
// meet (TestVersionsAtStartListEveryChange keeps them complete).
var (
	// lifecycleChanges1 are the changes lifecycle-baseline-1 covers.
	lifecycleChanges1 = []change{
		{"plan-report-local", 1, "cfbd527"},
		{"task-sla-timers", 1, "162cd43"},
		{"special-request-similarity", 1, "3b89355"},
		{"transition-id-by-update", 1, "26eb3f4"},
		{"send-notifications", 1, "162cd43"},
		{"om-reminder", 1, "162cd43"},
		{"cancel-task-timers", 1, "591816e"},
		{"hold-early-plan-signals", 1, "f2bd960"},
		{"plan-report-once", 1, "6654b8d"},
	}
	lifecycleChanges2 = append(slices.Clone(lifecycleChanges1), change{"lean-coroutines", 1, "5ccdcdd"})
	lifecycleChanges3 = append(slices.Clone(lifecycleChanges2), change{"chained-task-timers", 1, "3341939"})
	// lifecycleChanges4 are the changes lifecycle-baseline-blank-texts covers.
	lifecycleChanges4 = append(slices.Clone(lifecycleChanges3), change{"blank-texts", 1, "40c58b9"})
	// lifecycleChanges5 (lifecycle-baseline-sod) adds separation-of-duties (a decision by
	// whoever submitted what it decides on is refused in the handler too, not only in the
	// validator) and task-reassign (the supervisor's 转办 reaches the workflow, which holds the
	// new assignee).
	lifecycleChanges5 = append(slices.Clone(lifecycleChanges4),
		change{"separation-of-duties", 1, "050bf55"}, change{"task-reassign", 1, "050bf55"})
	// lifecycleChanges6 (lifecycle-baseline-correctness) adds the changes of issue 15's
	// correctness items: record-activity-failures (O1) and crypto-plan-every-route (R17).
	lifecycleChanges6 = append(slices.Clone(lifecycleChanges5),
		change{"record-activity-failures", 1, "52f241b"}, change{"crypto-plan-every-route", 1, "a8a048c"})
	// lifecycleChangesWithdraw (lifecycle-baseline-withdraw) adds withdraw (issue 19: the unit's
	// 撤回 before the first decision; runs started before refuse the Update in its validator).
	lifecycleChangesWithdraw = append(slices.Clone(lifecycleChanges6), change{"withdraw", 1, "d221688"})
	// lifecycleChangesOMLate (lifecycle-baseline-om-late) adds om-late-filing (R13): a year
	// flagged overdue stays fileable, and a filing for it is accepted and marked late.
	lifecycleChangesOMLate = append(slices.Clone(lifecycleChanges6), change{"om-late-filing", 1, "6b7b24e"})
	// lifecycleChangesTurns (lifecycle-baseline-turns) has both: the two were built side by side
	// on lifecycle-baseline-correctness, each recording histories under its own baseline.
	lifecycleChangesTurns = append(slices.Clone(lifecycleChanges6), change{"withdraw", 1, "d221688"},
		change{"om-late-filing", 1, "6b7b24e"})
	// lifecycleChangesChange (lifecycle-baseline-change) adds change-request (issue 19: the
	// unit's 项目变更 after approval, decided by DRB or the approving authority; runs started
	// before refuse the Update in its validator).
	lifecycleChangesChange = append(slices.Clone(lifecycleChangesTurns), change{"change-request", 1, "ea7dd37"})
	// lifecycleChangesFinish (lifecycle-baseline-finish) adds finish-late-updates: an Update
	// accepted while a closing run waits for its handlers is handled (a run without it waits for ever).
	lifecycleChangesFinish = append(slices.Clone(lifecycleChangesChange), change{"finish-late-updates", 1, "74f9008"})
	// lifecycleChangesStage (lifecycle-baseline-stage) adds stage-search-attribute: every new
	// stage is upserted into the run's Stage search attribute (issue 21 item 5).
	lifecycleChangesStage = append(slices.Clone(lifecycleChangesFinish), change{"stage-search-attribute", 1, "9244767"})
	// planChanges1 are the changes plan-baseline-1 covers.
	planChanges1 = []change{
		{"t1-reminders", 1, "3ad783a"},
		{"plan-transition-id-by-update", 1, "38ae596"},
		{"send-notifications", 1, "162cd43"},
		{"plan-signals-parallel", 1, "ea3176d"},
		{"plan-stages-from-read-model", 1, "eedf8fa"},
	}
	planChanges2 = append(slices.Clone(planChanges1), change{"bundle-task-timers", 1, "66e85cd"})
	// planChanges3 are the changes plan-baseline-blank-texts covers.
	planChanges3 = append(slices.Clone(planChanges2), change{"blank-texts", 1, "40c58b9"})
	// planChanges4 (plan-baseline-sod) adds plan-separation-of-duties (the bundle's creator may
	// not decide it) and plan-task-reassign (the supervisor's 转办 of a bundle's approval task).
	planChanges4 = append(slices.Clone(planChanges3),
		change{"plan-separation-of-duties", 1, "050bf55"}, change{"plan-task-reassign", 1, "690da5a"})
	// planChangesCorrectness (plan-baseline-correctness) adds record-activity-failures (O1),
	// crypto-plan-every-route (R17), panel-odd-after-recusal (R4) and bundle-by-pinned-approver
	// (R19).
	planChangesCorrectness = append(slices.Clone(planChanges4),
		change{"record-activity-failures", 1, "52f241b"}, change{"crypto-plan-every-route", 1, "a8a048c"},
		change{"panel-odd-after-recusal", 1, "44ba51a"}, change{"bundle-by-pinned-approver", 1, "06ce55b"})
	// planChangesFinish (plan-baseline-finish) adds plan-finish-late-updates: an Update
	// accepted while the run waits to continue as new is handled (a run without it waits for ever).
	planChangesFinish = append(slices.Clone(planChangesCorrectness), change{"plan-finish-late-updates", 1, "db8feea"})

	// lifecycleChangesClose (lifecycle-baseline-close) and planChangesClose (plan-baseline-close)
	// add year-end-close (R5, issue 19 item 5): the plan closes on its policy's day and every
	// project of the year still before its decision is not included, its unit told;
	// and plan-adjust: a mid-year adjustment (调整) of the plan proposed by DRB, decided by the
	// approver of its projects, applied to the plan and the projects' amounts.
	lifecycleChangesClose = append(slices.Clone(lifecycleChangesStage), change{"year-end-close", 1, "2935b2f"},
		change{"plan-adjust", 1, "b02dc8f"})
	planChangesClose = append(slices.Clone(planChangesFinish), change{"year-end-close", 1, "2935b2f"}, change{"plan-adjust", 1, "b02dc8f"})
	// lifecycleChangesTerminate (lifecycle-baseline-terminate) adds terminate (issue 19 item 4:
	// DRB's 终止 at any stage and 系统下线 from O&M close the project; runs started before refuse
	// the Update in its validator). It was built beside lifecycle-baseline-change, on
	// lifecycle-baseline-turns, and recorded histories under its own baseline.
	lifecycleChangesTerminate = append(slices.Clone(lifecycleChangesTurns), change{"terminate", 1, "65b3624"})
	// lifecycleChangesCloseTerminate (lifecycle-baseline-close-terminate) has both lines.
	lifecycleChangesCloseTerminate = append(slices.Clone(lifecycleChangesClose), change{"terminate", 1, "65b3624"})
	// lifecycleChangesEvaluation (lifecycle-baseline-evaluation) adds evaluation-period (R14,
	// issue 19 item 9): the evaluation opens after the policy's period of operation and recurs
	// by policy; runs started before open one evaluation at acceptance.
	lifecycleChangesEvaluation = append(slices.Clone(lifecycleChangesCloseTerminate), change{"evaluation-period", 1, "d2c85e2"})
	// lifecycleChangesTasks (lifecycle-baseline-tasks) adds task-delegate (issue 19 item 6: the
	// assignee's 委派 of a task to an eligible colleague; runs started before refuse it).
	lifecycleChangesTasks = append(slices.Clone(lifecycleChangesEvaluation), change{"task-delegate", 1, "544030b"})
	// lifecycleChangesTermReq (lifecycle-baseline-termreq) adds termination-request (issue 19
	// item 4: the unit's own 终止申请, decided by DRB on a termination_review task; runs
	// started before refuse the Update in its validator).
	lifecycleChangesTermReq = append(slices.Clone(lifecycleChangesTasks), change{"termination-request", 1, "b27124e"})
	// lifecycleChangesWDecide (lifecycle-baseline-wdecide) adds decision-withdraw (issue 19
	// item 2: a reviewer's 撤回决定 of his own decision while its next step has not started;
	// runs started before refuse the Update in its validator).
	lifecycleChangesWDecide = append(slices.Clone(lifecycleChangesTermReq), change{"decision-withdraw", 1, "43a5d55"})
	// lifecycleChangesExtend (lifecycle-baseline-extend) is lifecycle-baseline-wdecide plus
	// deadline-extension (issue 19 item 4: the unit's 延期申请 of its O&M filing deadline,
	// decided by DRB on an extension_review task; runs started before refuse the Update in its
	// validator) and task-deputy (issue 19 item 6: an absent assignee's standing deputy takes a
	// task over, 代理; runs started before refuse it in the validator).
	lifecycleChangesExtend = append(slices.Clone(lifecycleChangesWDecide), change{"deadline-extension", 1, "b5dbae5"},
		change{"task-deputy", 1, "832c96e"})
	// planChangesFanout (plan-baseline-fanout) adds plan-fanout-activity (issue 20 item 1): a
	// convene, a compile and a bundle decision reach their projects through the SignalMembers
	// activity, which reads them from the read model in pages, instead of one
	// SignalExternalWorkflow per project in the plan's history; the Update answers once the
	// decision is applied and the activity scheduled.
	planChangesFanout = append(slices.Clone(planChangesClose), change{"plan-fanout-activity", 1, "692bce4"})
	// planChangesCloseFanout (plan-baseline-close-fanout) adds plan-close-fanout (issue 20
	// item 1): the year-end close reaches the year's pre-plan projects through SignalMembers,
	// which pages them from the read model, instead of one SignalExternalWorkflow per project
	// (more than the 2,000 pending signals a run may have at a province's scale); and
	// plan-adjust-fanout: an approved adjustment's changes reach their projects the same way.
	planChangesCloseFanout = append(slices.Clone(planChangesFanout), change{"plan-close-fanout", 1, "c31c570"},
		change{"plan-adjust-fanout", 1, "4920446"})
	// lifecycleChangesAdjustOnce (lifecycle-baseline-adjust-once) adds plan-adjust-once to
	// lifecycle-baseline-extend: a plan adjustment delivered again (plan-adjust-fanout's retried
	// page) is applied once.
	lifecycleChangesAdjustOnce = append(slices.Clone(lifecycleChangesExtend), change{"plan-adjust-once", 1, "4920446"})
	// planChangesBundleRef (plan-baseline-bundle-ref) adds bundle-by-reference (issue 20 item 1,
	// PERFORMANCE §11.2 items 2 and 4): a bundle that names no projects takes its members by
	// reference to the read model (Apply's INSERT … SELECT; the plan reads a summary of the
	// candidates, keeps the bundle's count and digest, answers no ids), and its decision
	// writes one outcome for all but the excluded.
	planChangesBundleRef = append(slices.Clone(planChangesCloseFanout), change{"bundle-by-reference", 1, "5a2b4d6"})
	// planChangesLeanRead (plan-baseline-lean-read) adds plan-compile-lean-read (issue 20 item
	// 1, PERFORMANCE §11.1.2): a compile reads of its projects only what it checks
	// (LoadPlanStages: stage, version, estimate, ~85 B a project), so that its read of the
	// 1,000 a request may name stays under 256 KB (264 KB of whole rows before).
	planChangesLeanRead = append(slices.Clone(planChangesBundleRef), change{"plan-compile-lean-read", 1, "c324e5b"})
	// planChangesLeanResume (plan-baseline-lean-resume) adds plan-lean-resume (issue 20,
	// PERFORMANCE §11.2 item 3): the plan continues as new without its projects (~296 B each)
	// and fills a project it does not know from the read model, taking back only what its
	// runs wrote: plan items by the ids of its compiles and approved adjustments it carries
	// (PlanState.Compiles, plan_items.written_by), panels by its sessions at the project's
	// current version (expert_session_projects.project_version), bundles by reference.
	planChangesLeanResume = append(slices.Clone(planChangesLeanRead), change{"plan-lean-resume", 1, "e14ddee"})
	// lifecycleChangesBundleOnce (lifecycle-baseline-bundle-once) adds bundle-approve-once
	// (issue 20 item 1): a bundle member approved goes through approved to procurement in one
	// write (one Apply, one Stage upsert) instead of two.
	lifecycleChangesBundleOnce = append(slices.Clone(lifecycleChangesAdjustOnce), change{"bundle-approve-once", 1, "1f179e1"})
	// lifecycleChangesNotifyInApply (lifecycle-baseline-notify-in-apply) adds notify-in-apply
	// (issue 20 item 1): a transition's explicit notifications are mailed by Apply after its
	// commit (the mail sweep the fallback, recording for ops a mail unsent a day later) instead
	// of by a SendNotifications activity per transition.
	lifecycleChangesNotifyInApply = append(slices.Clone(lifecycleChangesBundleOnce), change{"notify-in-apply", 1, "52481d0"})
	// lifecycleChangesTurnRaces (lifecycle-baseline-turn-races) adds
	// change-below-contract-at-decision (R7, R9, R15: an amount change below the contract
	// registered while it waited is refused at its approval, 422 amount_below_contract) and
	// withdrawn-panel-dropped (R4, 撤回决定: a panel convened on a prelim approval withdrawn
	// before it arrived is dropped, not held until the project is back in expert review).
	lifecycleChangesTurnRaces = append(slices.Clone(lifecycleChangesNotifyInApply),
		change{"change-below-contract-at-decision", 1, "6c19f78"}, change{"withdrawn-panel-dropped", 1, "85ff553"})
	// lifecycleChangesSimilarityQueue (lifecycle-baseline-similarity-queue) adds
	// similarity-queue (R16, issue 20 item 1): ComputeSimilar runs on the similarity queue
	// (SimilarityQueue), whose few slots a burst of submissions waits for in the queue.
	lifecycleChangesSimilarityQueue = append(slices.Clone(lifecycleChangesTurnRaces), change{"similarity-queue", 1, "25e2980"})
	// planChangesFanOutInTurn (plan-baseline-fanout-in-turn) adds plan-fanout-in-turn (issue
	// 20 item 1): the run's fan-outs go one after another in the order decided, since the plan
	// runs ahead of its projects (PlanPriority) and its requests no longer wait for them.
	planChangesFanOutInTurn = append(slices.Clone(planChangesLeanResume), change{"plan-fanout-in-turn", 1, "de3b44f"})
	// lifecycleChangesStalePanel (lifecycle-baseline-stale-panel) adds panel-stale-dropped
	// (R4, 撤回决定): a panel the fan-out found stale (the project's stage changed since its
	// session convened it) is dropped, not applied to the project back in expert review.
	lifecycleChangesStalePanel = append(slices.Clone(lifecycleChangesSimilarityQueue), change{"panel-stale-dropped", 1, "29384e3"})
	// planChangesTurnBounded (plan-baseline-turn-bounded) adds plan-fanout-turn-bounded (issue
	// 20 item 1): a fan-out waits at most fanOutTurnWait for those decided before it, so one
	// that keeps retrying no longer holds back the year's later fan-outs for a day.
	planChangesTurnBounded = append(slices.Clone(planChangesFanOutInTurn), change{"plan-fanout-turn-bounded", 1, "ce14e5c"})
	// lifecycleChanges and planChanges are the changes of the newest baselines.
	lifecycleChanges = lifecycleChangesStalePanel
	planChanges      = planChangesTurnBounded

	// lifecycleBaselines and planBaselines, newest first: the change id a run started now
	// records instead of the changes it covers (withBaseline), and those of earlier code.
	// Baselines are named for their changes (not numbered), so that branches adding
	// baselines side by side never give one id two meanings. A baseline other than the newest
	// can be retired (dropped from the list) once no open run's TemporalChangeVersion lists
	// "<baseline>-1"; the versions-at-start path of withBaseline once none lists a baseline.
	lifecycleBaselines = []baseline{{"lifecycle-baseline-stale-panel", lifecycleChangesStalePanel},
		{"lifecycle-baseline-similarity-queue", lifecycleChangesSimilarityQueue},
		{"lifecycle-baseline-turn-races", lifecycleChangesTurnRaces},
		{"lifecycle-baseline-notify-in-apply", lifecycleChangesNotifyInApply},
		{"lifecycle-baseline-bundle-once", lifecycleChangesBundleOnce},
		{"lifecycle-baseline-adjust-once", lifecycleChangesAdjustOnce},
		{"lifecycle-baseline-extend", lifecycleChangesExtend},
		{"lifecycle-baseline-wdecide", lifecycleChangesWDecide},
		{"lifecycle-baseline-termreq", lifecycleChangesTermReq},
		{"lifecycle-baseline-tasks", lifecycleChangesTasks},
		{"lifecycle-baseline-evaluation", lifecycleChangesEvaluation},
		{"lifecycle-baseline-close-terminate", lifecycleChangesCloseTerminate},
		{"lifecycle-baseline-close", lifecycleChangesClose}, {"lifecycle-baseline-stage", lifecycleChangesStage},
		{"lifecycle-baseline-finish", lifecycleChangesFinish}, {"lifecycle-baseline-change", lifecycleChangesChange},
		{"lifecycle-baseline-terminate", lifecycleChangesTerminate}, {"lifecycle-baseline-turns", lifecycleChangesTurns},
		{"lifecycle-baseline-withdraw", lifecycleChangesWithdraw}, {"lifecycle-baseline-om-late", lifecycleChangesOMLate},
		{"lifecycle-baseline-correctness", lifecycleChanges6}, {"lifecycle-baseline-sod", lifecycleChanges5},
		{"lifecycle-baseline-blank-texts", lifecycleChanges4}, {"lifecycle-baseline-3", lifecycleChanges3},
		{"lifecycle-baseline-2", lifecycleChanges2}, {"lifecycle-baseline-1", lifecycleChanges1}}
	planBaselines = []baseline{{"plan-baseline-turn-bounded", planChangesTurnBounded}, {"plan-baseline-fanout-in-turn", planChangesFanOutInTurn}, {"plan-baseline-lean-resume", planChangesLeanResume},
		{"plan-baseline-lean-read", planChangesLeanRead}, {"plan-baseline-bundle-ref", planChangesBundleRef}, {"plan-baseline-close-fanout", planChangesCloseFanout}, {"plan-baseline-fanout", planChangesFanout}, {"plan-baseline-close", planChangesClose}, {"plan-baseline-finish", planChangesFinish}, {"plan-baseline-correctness", planChangesCorrectness}, {"plan-baseline-sod", planChanges4},
		{"plan-baseline-blank-texts", planChanges3}, {"plan-baseline-2", planChanges2}, {"plan-baseline-1", planChanges1}}
)

// versionMet, when set (TestRetirableChanges), is told each version a run meets: a change's
// (version), a baseline's it recorded (withBaseline), versions-at-start's.
var versionMet func(id string, v, max workflow.Version)

// getVersion is workflow.GetVersion(ctx, id, DefaultVersion, max), told to versionMet.
func getVersion(ctx workflow.Context, id string, max workflow.Version) workflow.Version {
	v := workflow.GetVersion(ctx, id, workflow.DefaultVersion, max)
	if versionMet != nil {
		versionMet(id, v, max)
	}
	return v
}

// versionsAtStart meets every change of a run in its first workflow task (version
// versions-at-start). The first time a run meets a change id, the SDK records a marker and
// upserts the TemporalChangeVersion search attribute, a visibility write on the server;
// several in one workflow task share one write. Met at start, they share the first task's
// write and no decision pays for one. Each call site still calls GetVersion; it finds the
// version already recorded. A run without versions-at-start (replay returns DefaultVersion
// here) meets each change at its call site.
func versionsAtStart(ctx workflow.Context, changes []change) {
	if getVersion(ctx, "versions-at-start", 1) == workflow.DefaultVersion {
		return
	}
	for _, c := range changes {
		getVersion(ctx, c.id, c.max)
	}
}

// baselineKey keys the changes a run's baseline covers in its workflow.Context.
type baselineKey struct{}

// withBaseline starts a run: a run started now records the first of baselines (newest first)
// as its one version marker, and has every change that baseline covers at its highest version;
// a run started by earlier code finds the marker of the baseline it recorded. The returned
// context carries the covered changes for version. A run without a baseline marker (replay
// finds none) meets each change itself (versionsAtStart): a marker event per change id in its
// first workflow task, which every replay of an evicted run reads and re-runs, and a value per
// change id of the TemporalChangeVersion search attribute; a baseline is one marker for all
// the changes it covers. A change added after the baseline calls workflow.GetVersion as usual
// (version does, for an id the baseline does not cover) until a new baseline id takes it in.
func withBaseline(ctx workflow.Context, baselines []baseline, changes []change) workflow.Context {
	for _, b := range baselines {
		if workflow.GetVersion(ctx, b.id, workflow.DefaultVersion, 1) == 1 {
			if versionMet != nil {
				versionMet(b.id, 1, 1)
			}
			return workflow.WithValue(ctx, baselineKey{}, b.changes)
		}
	}
	versionsAtStart(ctx, changes)
	return ctx
}

// baseline is a change id that stands for changes, each at its highest version.
type baseline struct {
	id      string
	changes []change
}

// version is workflow.GetVersion(ctx, id, DefaultVersion, max), except that in a run whose
// baseline covers id it is that change's highest version, with no marker.
func version(ctx workflow.Context, id string, max workflow.Version) workflow.Version {
	if cs, ok := ctx.Value(baselineKey{}).([]change); ok {
		for _, c := range cs {
			if c.id == id {
				return c.max
			}
		}
	}
	return getVersion(ctx, id, max)
}
