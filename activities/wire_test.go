package activities_test

import (
	"context"
	"reflect"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"

	"egovpm/activities"
	"egovpm/activities/wire"
	"egovpm/internal/domain"
)

// TestWireNamesAreTheActivities: the workflows call activities by the names of package wire
// with its payload types. Every name is a method of *Activities with the signature below, and
// every exported method is a name: a renamed method or a changed payload type fails here, not in
// a running workflow whose activity task finds no such activity (recorded histories name them).
func TestWireNamesAreTheActivities(t *testing.T) {
	want := map[string]any{
		wire.Apply:               (func(context.Context, domain.Transition) (domain.TransitionResult, error))(nil),
		wire.MissingDocuments:    (func(context.Context, wire.DocsInput) (wire.DocsResult, error))(nil),
		wire.ComputeSimilar:      (func(context.Context, string) (int, error))(nil),
		wire.SendNotifications:   (func(context.Context, string) (int, error))(nil),
		wire.RemindDrafts:        (func(context.Context, wire.DraftReminderInput) (int, error))(nil),
		wire.LoadPolicy:          (func(context.Context, string) (domain.Policy, error))(nil),
		wire.TellPlan:            (func(context.Context, wire.PlanReport) (wire.PlanReportResult, error))(nil),
		wire.LoadPlanProjects:    (func(context.Context, wire.PlanProjectsInput) ([]domain.PlanProject, error))(nil),
		wire.LoadPlanStages:      (func(context.Context, wire.PlanProjectsInput) ([]wire.PlanStage, error))(nil),
		wire.MarkPlanReadsStages: (func(context.Context, int) error)(nil),
		wire.SignalMembers:       (func(context.Context, wire.FanOut) (wire.FanOutResult, error))(nil),
		wire.SummarizeBundle:     (func(context.Context, wire.BundleSummaryInput) (domain.BundleSummary, error))(nil),
	}
	require.Len(t, wire.Names, len(want))
	v := reflect.ValueOf(&activities.Activities{})
	for _, n := range wire.Names {
		m := v.MethodByName(n)
		require.True(t, m.IsValid(), "wire.%s names no method of *Activities", n)
		require.Equal(t, reflect.TypeOf(want[n]), m.Type(), "the signature of %s", n)
	}
	for i := range v.NumMethod() {
		name := v.Type().Method(i).Name
		require.True(t, slices.Contains(wire.Names, name), "activity %s is not in wire.Names", name)
	}
}
