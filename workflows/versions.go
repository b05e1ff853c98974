package workflows

import "go.temporal.io/sdk/workflow"

// change is a workflow.GetVersion change id with the highest version the code supports.
type change struct {
	id  string
	max workflow.Version
}

// lifecycleChanges and planChanges list every change id ProjectLifecycle and AnnualPlan may
// meet (TestVersionsAtStartListEveryChange keeps them complete).
var (
	lifecycleChanges = []change{{"plan-report-local", 1}, {"task-sla-timers", 1}, {"special-request-similarity", 1},
		{"transition-id-by-update", 1}, {"send-notifications", 1}, {"om-reminder", 1}, {"cancel-task-timers", 1},
		{"hold-early-plan-signals", 1}, {"plan-report-once", 1}}
	planChanges = []change{{"t1-reminders", 1}, {"plan-transition-id-by-update", 1}, {"send-notifications", 1},
		{"plan-signals-parallel", 1}}
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
