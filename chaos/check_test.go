package chaos

import (
	"context"
	"fmt"
	"sort"

	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"

	"egovpm/workflows"
)

// history returns the events of every run of workflow id, oldest run first (a run that
// continued as new names its predecessor in its started event), and the number of runs.
func history(ctx context.Context, tc client.Client, id string) ([]*historypb.HistoryEvent, int, error) {
	var all []*historypb.HistoryEvent
	run := ""
	for n := 1; n <= 10000; n++ {
		it := tc.GetWorkflowHistory(ctx, id, run, false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
		var evs []*historypb.HistoryEvent
		for it.HasNext() {
			e, err := it.Next()
			if err != nil {
				return nil, 0, fmt.Errorf("history of %s (run %q): %w", id, run, err)
			}
			evs = append(evs, e)
		}
		if len(evs) == 0 {
			return nil, 0, fmt.Errorf("history of %s (run %q) is empty", id, run)
		}
		all = append(evs, all...)
		run = evs[0].GetWorkflowExecutionStartedEventAttributes().GetContinuedExecutionRunId()
		if run == "" {
			return all, n, nil
		}
	}
	return nil, 0, fmt.Errorf("history of %s: more than 10000 runs", id)
}

// updates is what one workflow's history says about its Updates.
type updates struct {
	accepted  map[string]int // update id → WorkflowExecutionUpdateAccepted events
	completed map[string]int // update id → successful WorkflowExecutionUpdateCompleted events
	failed    map[string]int // update id → WorkflowExecutionUpdateCompleted events with a failure
	decides   map[string]int // task id → accepted "decide" Updates naming it, whatever their id
}

func countUpdates(events []*historypb.HistoryEvent) (updates, error) {
	u := updates{accepted: map[string]int{}, completed: map[string]int{}, failed: map[string]int{}, decides: map[string]int{}}
	dc := converter.GetDefaultDataConverter()
	for _, e := range events {
		if a := e.GetWorkflowExecutionUpdateAcceptedEventAttributes(); a != nil {
			req := a.GetAcceptedRequest()
			u.accepted[req.GetMeta().GetUpdateId()]++
			if req.GetInput().GetName() == workflows.UpdateDecide {
				var d workflows.DecideUpdate
				if err := dc.FromPayloads(req.GetInput().GetArgs(), &d); err != nil {
					return u, fmt.Errorf("event %d: decode decide update: %w", e.GetEventId(), err)
				}
				u.decides[d.TaskID]++
			}
		}
		if c := e.GetWorkflowExecutionUpdateCompletedEventAttributes(); c != nil {
			if c.GetOutcome().GetFailure() != nil {
				u.failed[c.GetMeta().GetUpdateId()]++
			} else {
				u.completed[c.GetMeta().GetUpdateId()]++
			}
		}
	}
	return u, nil
}

// exactlyOnce checks each acknowledged operation against its workflow's Updates: accepted
// once, completed once without failure; and each decided task decided by one accepted Update
// only (a second Update under another id applying the same decision would pass the first
// check). It returns one line per violation.
func exactlyOnce(acks []ack, byWorkflow map[string]updates) []string {
	var bad []string
	for _, a := range acks {
		u, ok := byWorkflow[a.WorkflowID]
		if !ok {
			bad = append(bad, fmt.Sprintf("%s %s: no history of %s", a.What, a.UpdateID, a.WorkflowID))
			continue
		}
		tag := ""
		if a.Unacked {
			tag = " (applied, reply lost)"
		}
		if n := u.accepted[a.UpdateID]; n != 1 {
			bad = append(bad, fmt.Sprintf("%s%s: update %s accepted %d times in %s, want exactly 1", a.What, tag, a.UpdateID, n, a.WorkflowID))
		}
		if n, f := u.completed[a.UpdateID], u.failed[a.UpdateID]; n != 1 || f != 0 {
			bad = append(bad, fmt.Sprintf("%s%s: update %s completed %d times (%d failed) in %s, want once", a.What, tag, a.UpdateID, n, f, a.WorkflowID))
		}
		if a.What == "decide" {
			if n := u.decides[a.TaskID]; n != 1 {
				bad = append(bad, fmt.Sprintf("task %s: %d accepted decide updates, want exactly 1", a.TaskID, n))
			}
		}
	}
	sort.Strings(bad)
	return bad
}
