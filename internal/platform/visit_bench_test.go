package platform

import (
	"context"
	"testing"

	commonpb "go.temporal.io/api/common/v1"
	historypb "go.temporal.io/api/history/v1"
	protocolpb "go.temporal.io/api/protocol/v1"
	"go.temporal.io/api/proxy"
	updatepb "go.temporal.io/api/update/v1"
	"go.temporal.io/api/workflowservice/v1"
	"google.golang.org/protobuf/types/known/anypb"
)

// decisionTask is a sticky workflow task like the one a decision's Update brings the worker:
// the new events (the task scheduled and started, an activity's schedule and completion) and
// the Update request as a protocol message whose body is an Any.
func decisionTask(b *testing.B) *workflowservice.PollWorkflowTaskQueueResponse {
	p := func(s string) *commonpb.Payloads {
		return &commonpb.Payloads{Payloads: []*commonpb.Payload{{Metadata: map[string][]byte{"encoding": []byte("json/plain")}, Data: []byte(s)}}}
	}
	body, err := anypb.New(&updatepb.Request{Meta: &updatepb.Meta{UpdateId: "decide:project:p-1:prelim_review:1"},
		Input: &updatepb.Input{Name: "decide", Args: p(`{"TaskID":"project:p-1:prelim_review:1","Decision":"approve","Comment":"符合申报条件","ActorID":"u-drb1"}`)}})
	if err != nil {
		b.Fatal(err)
	}
	return &workflowservice.PollWorkflowTaskQueueResponse{
		History: &historypb.History{Events: []*historypb.HistoryEvent{
			{Attributes: &historypb.HistoryEvent_WorkflowTaskScheduledEventAttributes{WorkflowTaskScheduledEventAttributes: &historypb.WorkflowTaskScheduledEventAttributes{}}},
			{Attributes: &historypb.HistoryEvent_WorkflowTaskStartedEventAttributes{WorkflowTaskStartedEventAttributes: &historypb.WorkflowTaskStartedEventAttributes{}}},
			{Attributes: &historypb.HistoryEvent_ActivityTaskScheduledEventAttributes{ActivityTaskScheduledEventAttributes: &historypb.ActivityTaskScheduledEventAttributes{Input: p(`{"ID":"project:p-1/run/2","Stage":"expert_review"}`)}}},
			{Attributes: &historypb.HistoryEvent_ActivityTaskCompletedEventAttributes{ActivityTaskCompletedEventAttributes: &historypb.ActivityTaskCompletedEventAttributes{Result: p(`{"Applied":true}`)}}},
		}},
		Messages: []*protocolpb.Message{{Id: "m1", ProtocolInstanceId: "decide:project:p-1:prelim_review:1", Body: body}},
	}
}

// BenchmarkPayloadVisit is the SDK's walk of one such task (proxy.VisitPayloads as
// sdk/internal.visitProtoPayloads calls it, with a visitor that changes nothing, as the SDK's
// are without a storage driver) at the SDK's default concurrency (8: a goroutine per payload
// site) and at payloadVisiting's (1: in turn).
func BenchmarkPayloadVisit(b *testing.B) {
	for _, limit := range []int{8, payloadVisiting.Concurrency.MaxOperationsPerMessage} {
		b.Run("limit="+string(rune('0'+limit)), func(b *testing.B) {
			task := decisionTask(b)
			opts := proxy.VisitPayloadsOptions{
				Visitor: func(_ *proxy.VisitPayloadsContext, p []*commonpb.Payload) ([]*commonpb.Payload, error) {
					return p, nil
				},
				SkipSearchAttributes: true,
				ConcurrencyLimit:     limit,
			}
			b.ReportAllocs()
			for b.Loop() {
				if err := proxy.VisitPayloads(context.Background(), task, opts); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
