package workflows

import (
	"slices"

	"go.temporal.io/sdk/workflow"
)

// change is a workflow.GetVersion change id with the highest version the code supports.
type change struct {
	id  string
	max workflow.Version
}

// lifecycleChanges and planChanges list every change id ProjectLifecycle and AnnualPlan may
// meet (TestVersionsAtStartListEveryChange keeps them complete).
var (
	// lifecycleChanges1 are the changes lifecycle-baseline-1 covers.
	lifecycleChanges1 = []change{{"plan-report-local", 1}, {"task-sla-timers", 1}, {"special-request-similarity", 1},
		{"transition-id-by-update", 1}, {"send-notifications", 1}, {"om-reminder", 1}, {"cancel-task-timers", 1},
		{"hold-early-plan-signals", 1}, {"plan-report-once", 1}}
	lifecycleChanges2 = append(slices.Clone(lifecycleChanges1), change{"lean-coroutines", 1})
	lifecycleChanges3 = append(slices.Clone(lifecycleChanges2), change{"chained-task-timers", 1})
	// lifecycleChanges4 are the changes lifecycle-baseline-blank-texts covers.
	lifecycleChanges4 = append(slices.Clone(lifecycleChanges3), change{"blank-texts", 1})
	// lifecycleChanges5 (lifecycle-baseline-sod) adds separation-of-duties (a decision by
	// whoever submitted what it decides on is refused in the handler too, not only in the
	// validator) and task-reassign (the supervisor's 转办 reaches the workflow, which holds the
	// new assignee).
	lifecycleChanges5 = append(slices.Clone(lifecycleChanges4), change{"separation-of-duties", 1}, change{"task-reassign", 1})
	// lifecycleChanges (lifecycle-baseline-correctness) adds the changes of issue 15's
	// correctness items: record-activity-failures (O1) and crypto-plan-every-route (R17).
	lifecycleChanges = append(slices.Clone(lifecycleChanges5), change{"record-activity-failures", 1}, change{"crypto-plan-every-route", 1})
	// planChanges1 are the changes plan-baseline-1 covers.
	planChanges1 = []change{{"t1-reminders", 1}, {"plan-transition-id-by-update", 1}, {"send-notifications", 1},
		{"plan-signals-parallel", 1}, {"plan-stages-from-read-model", 1}}
	planChanges2 = append(slices.Clone(planChanges1), change{"bundle-task-timers", 1})
	// planChanges3 are the changes plan-baseline-blank-texts covers.
	planChanges3 = append(slices.Clone(planChanges2), change{"blank-texts", 1})
	// planChanges4 (plan-baseline-sod) adds plan-separation-of-duties (the bundle's creator may
	// not decide it) and plan-task-reassign (the supervisor's 转办 of a bundle's approval task).
	planChanges4 = append(slices.Clone(planChanges3), change{"plan-separation-of-duties", 1}, change{"plan-task-reassign", 1})
	// planChanges (plan-baseline-correctness) adds record-activity-failures (O1),
	// crypto-plan-every-route (R17), panel-odd-after-recusal (R4) and bundle-by-pinned-approver
	// (R19).
	planChanges = append(slices.Clone(planChanges4), change{"record-activity-failures", 1}, change{"crypto-plan-every-route", 1}, change{"panel-odd-after-recusal", 1}, change{"bundle-by-pinned-approver", 1})

	// lifecycleBaselines and planBaselines, newest first: the change id a run started now
	// records instead of the changes it covers (withBaseline), and those of earlier code.
	// Baselines are named for their changes (not numbered), so that branches adding
	// baselines side by side never give one id two meanings.
	lifecycleBaselines = []baseline{{"lifecycle-baseline-correctness", lifecycleChanges}, {"lifecycle-baseline-sod", lifecycleChanges5},
		{"lifecycle-baseline-blank-texts", lifecycleChanges4}, {"lifecycle-baseline-3", lifecycleChanges3},
		{"lifecycle-baseline-2", lifecycleChanges2}, {"lifecycle-baseline-1", lifecycleChanges1}}
	planBaselines = []baseline{{"plan-baseline-correctness", planChanges}, {"plan-baseline-sod", planChanges4},
		{"plan-baseline-blank-texts", planChanges3}, {"plan-baseline-2", planChanges2}, {"plan-baseline-1", planChanges1}}
)

// versionsAtStart meets every change of a run in its first workflow task (version
// versions-at-start). The first time a run meets a change id, the SDK records a marker and
// upserts the TemporalChangeVersion search attribute: a visibility write on the server that
// cost a decision meeting transition-id-by-update as much as the rest of its round trip
// (bench "floor + 1 new GetVersion": 218 → 100 updates/s at 8 clients; several in one
// workflow task cost about one, docs/PERFORMANCE.md). Met at start, they share the first
// task's write and no decision pays for one. Each call site still calls GetVersion; it finds
// the version already recorded. Runs started before this version meet their changes where
// they did (replay returns DefaultVersion here).
func versionsAtStart(ctx workflow.Context, changes []change) {
	if workflow.GetVersion(ctx, "versions-at-start", workflow.DefaultVersion, 1) == workflow.DefaultVersion {
		return
	}
	for _, c := range changes {
		workflow.GetVersion(ctx, c.id, workflow.DefaultVersion, c.max)
	}
}

// baselineKey keys the changes a run's baseline covers in its workflow.Context.
type baselineKey struct{}

// withBaseline starts a run: a run started now records the first of baselines (newest first)
// as its one version marker, and has every change that baseline covers at its highest version;
// a run started by earlier code finds the marker of the baseline it recorded. The returned
// context carries the covered changes for version. A run started before any baseline (replay
// finds none) meets each change as before (versionsAtStart). Each change id meets was a marker
// event in the run's first workflow task, and a value of the TemporalChangeVersion search
// attribute: 14 events that every replay of an evicted lifecycle read and re-ran, and a
// visibility write that grew with them (docs/PERFORMANCE.md). A change added after the
// baseline calls workflow.GetVersion as usual (version does, for an id the baseline does not
// cover) until a new baseline id takes it in.
func withBaseline(ctx workflow.Context, baselines []baseline, changes []change) workflow.Context {
	for _, b := range baselines {
		if workflow.GetVersion(ctx, b.id, workflow.DefaultVersion, 1) == 1 {
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
	return workflow.GetVersion(ctx, id, workflow.DefaultVersion, max)
}
