package store_test

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"egovpm/internal/store"
	"egovpm/internal/testdb"
)

// Open's sessions plan prepared statements generically (docs/PERFORMANCE.md, reads), unless
// the URL chooses plan_cache_mode itself.
func TestOpenPlansGenerically(t *testing.T) {
	ctx := context.Background()
	u := testdb.URL(t)
	db, err := store.Open(ctx, u)
	require.NoError(t, err)
	defer db.Close()
	var mode string
	require.NoError(t, db.Get(&mode, `SHOW plan_cache_mode`))
	require.Equal(t, "force_generic_plan", mode)

	sep := "?"
	if strings.Contains(u, "?") {
		sep = "&"
	}
	own, err := store.Open(ctx, u+sep+"options=-c%20plan_cache_mode%3Dforce_custom_plan")
	require.NoError(t, err)
	defer own.Close()
	require.NoError(t, own.Get(&mode, `SHOW plan_cache_mode`))
	require.Equal(t, "force_custom_plan", mode)
}
