package chaos

import (
	"strings"
	"testing"

	failurepb "go.temporal.io/api/failure/v1"
	historypb "go.temporal.io/api/history/v1"
	updatepb "go.temporal.io/api/update/v1"
	"go.temporal.io/sdk/converter"

	"egovpm/workflows"
)

// The history check must be able to fail: fed histories with a duplicate, it reports it.
func TestExactlyOnceCatchesDuplicates(t *testing.T) {
	dc := converter.GetDefaultDataConverter()
	accepted := func(id, task string) *historypb.HistoryEvent {
		args, err := dc.ToPayloads(workflows.DecideUpdate{TaskID: task, Decision: "approve"})
		if err != nil {
			t.Fatal(err)
		}
		return &historypb.HistoryEvent{Attributes: &historypb.HistoryEvent_WorkflowExecutionUpdateAcceptedEventAttributes{
			WorkflowExecutionUpdateAcceptedEventAttributes: &historypb.WorkflowExecutionUpdateAcceptedEventAttributes{
				AcceptedRequest: &updatepb.Request{Meta: &updatepb.Meta{UpdateId: id},
					Input: &updatepb.Input{Name: workflows.UpdateDecide, Args: args}}}}}
	}
	completed := func(id string, failed bool) *historypb.HistoryEvent {
		out := &updatepb.Outcome{Value: &updatepb.Outcome_Success{}}
		if failed {
			out.Value = &updatepb.Outcome_Failure{Failure: &failurepb.Failure{Message: "refused"}}
		}
		return &historypb.HistoryEvent{Attributes: &historypb.HistoryEvent_WorkflowExecutionUpdateCompletedEventAttributes{
			WorkflowExecutionUpdateCompletedEventAttributes: &historypb.WorkflowExecutionUpdateCompletedEventAttributes{
				Meta: &updatepb.Meta{UpdateId: id}, Outcome: out}}}
	}
	a := ack{What: "decide", WorkflowID: "project:p-1", UpdateID: "decide:T:u-drb1:k1", TaskID: "T"}
	cases := []struct {
		name   string
		events []*historypb.HistoryEvent
		want   string // a violation must mention this; "" = none
	}{
		{"once", []*historypb.HistoryEvent{accepted(a.UpdateID, "T"), completed(a.UpdateID, false)}, ""},
		{"accepted twice under its id", []*historypb.HistoryEvent{accepted(a.UpdateID, "T"), completed(a.UpdateID, false),
			accepted(a.UpdateID, "T"), completed(a.UpdateID, false)}, "accepted 2 times"},
		{"missing", nil, "accepted 0 times"},
		{"never completed", []*historypb.HistoryEvent{accepted(a.UpdateID, "T")}, "completed 0 times"},
		{"completed with a failure", []*historypb.HistoryEvent{accepted(a.UpdateID, "T"), completed(a.UpdateID, true)}, "(1 failed)"},
		{"the task decided again under another key", []*historypb.HistoryEvent{accepted(a.UpdateID, "T"), completed(a.UpdateID, false),
			accepted("decide:T:u-drb1:k2", "T"), completed("decide:T:u-drb1:k2", false)}, "2 accepted decide updates"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			u, err := countUpdates(c.events)
			if err != nil {
				t.Fatal(err)
			}
			bad := exactlyOnce([]ack{a}, map[string]updates{a.WorkflowID: u})
			if c.want == "" {
				if len(bad) != 0 {
					t.Fatalf("violations in a clean history: %v", bad)
				}
				return
			}
			if !strings.Contains(strings.Join(bad, "\n"), c.want) {
				t.Fatalf("violations %v, want one mentioning %q", bad, c.want)
			}
		})
	}
	if bad := exactlyOnce([]ack{a}, map[string]updates{}); len(bad) != 1 {
		t.Fatalf("an ack without a history: %v", bad)
	}
}
