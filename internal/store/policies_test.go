package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"egovpm/internal/calendar"
	"egovpm/internal/store"
	"egovpm/internal/testdb"
)

// Every policy version the migrations ship loads and passes Policy.Validate (R19), so that
// tightening Validate can never strand a running project on a policy it now refuses.
func TestShippedPoliciesValidate(t *testing.T) {
	st := testdb.New(t)
	var versions []string
	require.NoError(t, st.DB().Select(&versions, `SELECT version FROM policy_versions ORDER BY version`))
	require.GreaterOrEqual(t, len(versions), 3, "2021, 2023 and the test policy")
	for _, v := range versions {
		_, err := st.Policy(context.Background(), v, false)
		require.NoError(t, err, v)
	}
}

// R19: effective_from is read. A version is in force from 00:00 Asia/Shanghai of its day (the
// worker and the gateway refuse to start with one that is not); an unknown version is an error.
func TestPolicyInForceFromItsDayInShanghai(t *testing.T) {
	st := testdb.New(t)
	ctx := context.Background()
	from, err := st.PolicyEffectiveFrom(ctx, "2023")
	require.NoError(t, err)
	require.Equal(t, time.Date(2023, 1, 1, 0, 0, 0, 0, calendar.Shanghai), from)
	require.ErrorContains(t, st.CheckPolicyInForce(ctx, "2023", from.Add(-time.Second)), `policy "2023" takes effect on 2023-01-01`)
	require.NoError(t, st.CheckPolicyInForce(ctx, "2023", from))
	require.NoError(t, st.CheckPolicyInForce(ctx, "2021", time.Now()))
	require.ErrorIs(t, st.CheckPolicyInForce(ctx, "1999", time.Now()), store.ErrNotFound)
}
