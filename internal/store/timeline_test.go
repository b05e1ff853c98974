package store_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"egovpm/internal/audit"
	"egovpm/internal/store"
)

// A project's timeline names each row's actor as a person reads it (R18): a user by name, the
// platform's own steps (actor "system": timers, fan-outs) as 系统, an actor the directory does
// not know by its id; oldest first.
func TestTimelineNamesActors(t *testing.T) {
	st := applyFixture(t)
	ctx := context.Background()
	var aliceID, alice string
	require.NoError(t, st.DB().QueryRow(`SELECT id, name FROM users WHERE username = 'alice'`).Scan(&aliceID, &alice))
	rows := []audit.Entry{
		{ActorID: aliceID, Action: "project.submit_request"},
		{ActorID: "system", Action: "trial_run.over"},
		{ActorID: "import-2019", Action: "project.imported"},
	}
	require.NoError(t, st.WithTx(ctx, func(tx *store.Tx) error {
		for _, e := range rows {
			e.ObjectType, e.ObjectID, e.Outcome = "project", "pa", "ok"
			if err := st.AppendAudit(ctx, tx, e); err != nil {
				return err
			}
		}
		return nil
	}))
	got, err := st.Timeline(ctx, "pa")
	require.NoError(t, err)
	require.Len(t, got, 3)
	want := [][2]string{{aliceID, alice}, {"system", "系统"}, {"import-2019", "import-2019"}}
	for i, w := range want {
		require.Equal(t, w[0], got[i].ActorID)
		require.Equal(t, w[1], got[i].ActorName, "row %d", i)
	}
}
