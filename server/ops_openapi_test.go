package main

import (
	"reflect"
	"testing"

	"github.com/stretchr/testify/require"

	"egovpm/internal/monitor"
	"egovpm/internal/ops"
)

// TestOpenAPIOpsSchemasMatchCode checks the documented ops bodies (O1–O3) field by field
// against the types the ops handlers decode and encode, like TestOpenAPISchemasMatchCode.
func TestOpenAPIOpsSchemasMatchCode(t *testing.T) {
	doc, _ := loadOpenAPI(t)
	requests := map[string]reflect.Type{
		"ResetRequest":  reflect.TypeFor[resetReq](),
		"RetryRequest":  reflect.TypeFor[retryReq](),
		"ReplayRequest": reflect.TypeFor[replayReq](),
	}
	responses := map[string]reflect.Type{
		"StuckPage":     reflect.TypeFor[ops.StuckPage](),
		"StuckWorkflow": reflect.TypeFor[ops.StuckWorkflow](),
		"StuckReason":   reflect.TypeFor[ops.Reason](),
		"ResetResult":   reflect.TypeFor[ops.ResetResult](),
		"RetryResult":   reflect.TypeFor[ops.RetryResult](),
		"ReplayReport":  reflect.TypeFor[ops.ReplayReport](),
		"ReplayResult":  reflect.TypeFor[ops.ReplayResult](),
	}
	for name, typ := range requests {
		t.Run(name, func(t *testing.T) {
			compareSchema(t, doc, name, doc.Components.Schemas[name], typ, true)
		})
	}
	for name, typ := range responses {
		t.Run(name, func(t *testing.T) {
			compareSchema(t, doc, name, doc.Components.Schemas[name], typ, false)
		})
	}
	kinds := schemaProperty(t, doc, "StuckReason", "kind")["enum"]
	require.ElementsMatch(t, []any{ops.KindActivityFailing, ops.KindWorkflowTaskFailing, ops.KindWorkflowTaskStalled,
		ops.KindWorkflowFailed, ops.KindTaskOverdue, ops.KindActivityGaveUp}, kinds, "StuckReason.kind vs internal/ops")
	// Every kind is a series of egovpm_stuck_workflows, so the stuck alert sees it.
	require.ElementsMatch(t, kinds, func() []any {
		var out []any
		for _, k := range monitor.StuckKinds {
			out = append(out, k)
		}
		return out
	}(), "monitor.StuckKinds vs StuckReason.kind")
	require.ElementsMatch(t, []any{ops.ReplayOK, ops.ReplayNondeterministic, ops.ReplayError},
		schemaProperty(t, doc, "ReplayResult", "status")["enum"])
	require.ElementsMatch(t, []any{ops.ModeLastGood, ops.ModeEvent}, schemaProperty(t, doc, "ResetResult", "mode")["enum"])
}

func schemaProperty(t *testing.T, doc oaDoc, schema, prop string) map[string]any {
	t.Helper()
	props, ok := doc.Components.Schemas[schema]["properties"].(map[string]any)
	require.True(t, ok, "%s has no properties", schema)
	p, ok := props[prop].(map[string]any)
	require.True(t, ok, "%s.%s", schema, prop)
	return p
}
