package bench

import (
	"context"
	"io"

	"egovpm/internal/metrics"
)

// Sticky cache counters of the Temporal Go SDK on a worker's /metrics: a workflow task for a
// workflow the worker still holds (hit) or had to replay from its history first (miss).
const (
	StickyCacheHit  = "temporal_sticky_cache_hit_total"
	StickyCacheMiss = "temporal_sticky_cache_miss_total"
	// WorkflowTasksPolled counts the workflow tasks a worker's pollers received (sticky and
	// task queue alike; not those handed back in the reply to the previous).
	WorkflowTasksPolled = "temporal_workflow_task_queue_poll_succeed_total"
)

// StickyTimeouts is the Temporal server's count of sticky workflow tasks that waited longer
// than their StickyScheduleToStartTimeout and were moved to the task queue (the history
// service's schedule_to_start_timeout of the workflow task timer; a workflow task has no other
// schedule-to-start timeout), read from the server's /metrics at addr (the devserver's tally
// names: no _total suffix).
func StickyTimeouts(ctx context.Context, addr string) (float64, error) {
	samples, err := metrics.Scrape(ctx, "http://"+addr+"/metrics")
	if err != nil {
		return 0, err
	}
	return samples.Sum("schedule_to_start_timeout", map[string]string{"operation": "TimerActiveTaskWorkflowTaskTimeout"}), nil
}

// SumCounters reads a Prometheus text exposition (metrics.ParseText) and returns, for each
// name, the sum of its samples over all label sets. A name with no sample is 0: the SDK
// registers a counter at its first event.
func SumCounters(r io.Reader, names ...string) (map[string]float64, error) {
	samples, err := metrics.ParseText(r)
	if err != nil {
		return nil, err
	}
	return sums(samples, names), nil
}

// ScrapeCounters fetches http://addr/metrics and sums the named counters (SumCounters).
func ScrapeCounters(ctx context.Context, addr string, names ...string) (map[string]float64, error) {
	samples, err := metrics.Scrape(ctx, "http://"+addr+"/metrics")
	if err != nil {
		return nil, err
	}
	return sums(samples, names), nil
}

func sums(samples metrics.Samples, names []string) map[string]float64 {
	out := make(map[string]float64, len(names))
	for _, n := range names {
		out[n] = samples.Sum(n, nil)
	}
	return out
}
