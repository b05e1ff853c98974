package main

import (
	"reflect"
	"testing"

	"github.com/stretchr/testify/require"

	"egovpm/workflows"
)

// Every Update argument the gateway sends through (*Server).update that carries a RequestHash
// has it read by hashOf, so the same Idempotency-Key with another body is refused
// (idempotency_key_reused) instead of answered with the first request's outcome.
func TestHashOfReadsEveryLifecycleUpdate(t *testing.T) {
	for _, u := range []any{workflows.DecideUpdate{}, workflows.ContractUpdate{}, workflows.OMReportUpdate{},
		workflows.WithdrawUpdate{}, workflows.TerminateUpdate{}, workflows.ChangeUpdate{}, workflows.ConveneUpdate{},
		workflows.CompileUpdate{}, workflows.BundleUpdate{}} {
		v := reflect.New(reflect.TypeOf(u)).Elem()
		f := v.FieldByName("RequestHash")
		require.True(t, f.IsValid(), "%T has no RequestHash", u)
		f.SetString("h-1")
		require.Equal(t, "h-1", hashOf(v.Interface()), "hashOf does not read %T's RequestHash", u)
	}
}
