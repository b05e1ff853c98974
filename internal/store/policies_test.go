package store_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"egovpm/internal/testdb"
)

// Every policy version the migrations ship loads and passes Policy.Validate (R19), so that
// tightening Validate can never strand a running project on a policy it now refuses.
func TestShippedPoliciesValidate(t *testing.T) {
	st := testdb.New(t)
	var versions []string
	require.NoError(t, st.DB.Select(&versions, `SELECT version FROM policy_versions ORDER BY version`))
	require.GreaterOrEqual(t, len(versions), 3, "2021, 2023 and the test policy")
	for _, v := range versions {
		_, err := st.Policy(context.Background(), v, false)
		require.NoError(t, err, v)
	}
}
