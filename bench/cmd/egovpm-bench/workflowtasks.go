package main

import (
	"cmp"
	"context"
	"fmt"

	"egovpm/bench"
)

// taskCounts are the worker's and the server's counters of workflow tasks: how many the worker
// polled, how many of those found their workflow in its sticky cache (hits) or replayed it
// after an eviction (misses), and how many sticky workflow tasks the server moved to the task
// queue after StickyScheduleToStart (timeouts): each of those reaches a worker with the whole
// history, which the SDK replays from the first event and counts neither as a hit nor a miss.
type taskCounts struct {
	polled, hits, misses, timeouts float64
	err                            error
}

// workflowTasks reads taskCounts from the worker's and the devserver's /metrics.
func (e *env) workflowTasks(ctx context.Context) taskCounts {
	if e.workerMetrics == "" {
		return taskCounts{err: fmt.Errorf("the worker serves no /metrics (EGOVPM_METRICS_ADDR=off)")}
	}
	w, err := bench.ScrapeCounters(ctx, e.workerMetrics, bench.StickyCacheHit, bench.StickyCacheMiss, bench.WorkflowTasksPolled)
	if err != nil {
		return taskCounts{err: err}
	}
	t, err := bench.StickyTimeouts(ctx, e.ts.MetricsAddr)
	if err != nil {
		return taskCounts{err: err}
	}
	return taskCounts{polled: w[bench.WorkflowTasksPolled], hits: w[bench.StickyCacheHit], misses: w[bench.StickyCacheMiss], timeouts: t}
}

// since is the counts between before and c, as a line.
func (c taskCounts) since(before taskCounts) string {
	if err := cmp.Or(before.err, c.err); err != nil {
		return "unknown (" + err.Error() + ")"
	}
	return fmt.Sprintf("%.0f polled by the worker (%.0f sticky cache hits, %.0f misses); %.0f sticky queue timeouts on the server (each replayed from its first event)",
		c.polled-before.polled, c.hits-before.hits, c.misses-before.misses, c.timeouts-before.timeouts)
}
