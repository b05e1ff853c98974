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

// SimilarityQueue is the task queue of the R16 similarity activity (ComputeSimilar) of runs
// on taskQueue. Every worker polls it beside taskQueue with a few activity slots
// (worker/setup.NewWorker): the scans of a burst of submissions (one per submission, each
// streaming the submitted projects) wait in the queue for a slot instead of starting at once
// and timing out inside their attempts (issue 20 item 1, docs/PERFORMANCE.md §11.1.3).
func SimilarityQueue(taskQueue string) string { return taskQueue + "-similarity" }
