package main

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"egovpm/internal/testenv"
)

// TestTemporalSetupRegistersTheSearchAttributes: against a Temporal namespace without egovpm's
// search attributes (a devserver started as a stock server), `egovpm temporal-setup` registers
// all five through the Operator API, and a second run changes nothing (issue 21 item 3).
func TestTemporalSetupRegistersTheSearchAttributes(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	d, err := testenv.StartDevserver(ctx, t.TempDir(), "", "--search-attributes=false")
	require.NoError(t, err)
	t.Cleanup(d.Stop)
	c := cli{t: t, vars: map[string]string{"TEMPORAL_ADDRESS": d.Addr, "LOG_LEVEL": "error"}}

	require.Equal(t, "namespace default: registered PlanYear, ProjectID, Stage, TaskKind, UnitID\n", c.ok("", "temporal-setup"))
	require.Equal(t, "namespace default: every search attribute is registered\n", c.ok("", "temporal-setup"))
	_, err = c.run("", "temporal-setup", "--namespace", "x")
	require.Error(t, err, "it takes no flags: the namespace is TEMPORAL_NAMESPACE")
}
