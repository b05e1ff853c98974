package monitor

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"
	"go.uber.org/zap"

	"egovpm/internal/audit"
	"egovpm/internal/store"
	"egovpm/internal/testdb"
)

// TestVerifyAuditUsesTheCheckpoints (R18, issue 15 item 20): the worker's periodic verify
// checks the chain against the gateway's signed checkpoints, so the alert gauge shows a chain
// whose newest rows were deleted with the head moved back.
func TestVerifyAuditUsesTheCheckpoints(t *testing.T) {
	ctx := context.Background()
	st := testdb.New(t)
	for range 4 {
		require.NoError(t, st.WithTx(ctx, func(tx *store.Tx) error {
			return st.AppendAudit(ctx, tx, audit.Entry{ActorID: "u-x", Action: "x", ObjectType: "o", ObjectID: "1", Outcome: "ok"})
		}))
	}
	a, err := audit.OpenAnchor(t.TempDir())
	require.NoError(t, err)
	cp, err := st.Audit.Checkpoint(ctx, st.DB())
	require.NoError(t, err)
	require.NoError(t, a.Write(cp))
	m := New(nil, st, zap.NewNop()).WithAnchor(a)
	require.NoError(t, m.VerifyAudit(ctx))
	require.EqualValues(t, 1, m.auditOK)

	for _, q := range []string{`ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_update`, `DELETE FROM audit_log WHERE seq > 2`,
		`ALTER TABLE audit_log ENABLE TRIGGER audit_log_no_update`,
		`UPDATE audit_head SET seq = 2, hash = (SELECT hash FROM audit_log WHERE seq = 2)`} {
		_, err := st.DB().Exec(q)
		require.NoError(t, err)
	}
	require.NoError(t, m.VerifyAudit(ctx))
	require.EqualValues(t, 0, m.auditOK, "the cut chain is broken against its checkpoint")
}
