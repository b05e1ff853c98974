package workflows

// Registry is what registers workflows: a Temporal worker, or a replayer (worker.Registry and
// worker.WorkflowReplayer both are).
type Registry = interface{ RegisterWorkflow(w any) }

// Register registers every workflow of egovpm in r: what the worker runs (worker/setup), and
// what the replay gate checks histories against (internal/ops, TestReplayHistories).
func Register(r Registry) {
	r.RegisterWorkflow(ProjectLifecycle)
	r.RegisterWorkflow(AnnualPlan)
	r.RegisterWorkflow(AnnualCycle)
}
