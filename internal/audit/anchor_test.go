package audit_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"egovpm/internal/audit"
	"egovpm/internal/testdb"
)

// TestR18_DedupKeyCovered (issue 15 item 20): the dedup key is covered by the row's hash:
// changing it, removing it or giving a row one is reported at that row.
func TestR18_DedupKeyCovered(t *testing.T) {
	cases := []struct {
		name string
		sql  string
		want int64
	}{
		{"changed", `UPDATE audit_log SET dedup_key = 'forged' WHERE seq = 2`, 2},
		{"removed", `UPDATE audit_log SET dedup_key = NULL WHERE seq = 3`, 3},
		{"added", `UPDATE audit_log SET dedup_key = 'new' WHERE seq = 4`, 4},
		{"emptied", `UPDATE audit_log SET dedup_key = '' WHERE seq = 2`, 2},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			st := testdb.New(t)
			ctx := context.Background()
			for i := 1; i <= 5; i++ {
				key := ""
				if i < 4 {
					key = fmt.Sprintf("transition-%d", i)
				}
				tx, err := st.DB().BeginTxx(ctx, nil)
				require.NoError(t, err)
				require.NoError(t, st.Audit.Append(ctx, tx, audit.Entry{ActorID: "u-drb1", Action: "task.decide", ObjectType: "project",
					ObjectID: "p-1", Outcome: "approve", DedupKey: key}))
				require.NoError(t, tx.Commit())
			}
			res, err := st.Audit.Verify(ctx, st.DB())
			require.NoError(t, err)
			require.True(t, res.OK, res.Reason)
			tamper(t, st.DB(), tc.sql)
			res, err = st.Audit.Verify(ctx, st.DB())
			require.NoError(t, err)
			require.False(t, res.OK, "a changed dedup_key verified")
			require.Equal(t, tc.want, res.Broken, res.Reason)
		})
	}
}

// checkpointed appends n rows and writes a checkpoint of the head to an Anchor.
func checkpointed(t *testing.T, n int) (*audit.Anchor, func() audit.Result) {
	t.Helper()
	db, chain := appendN(t, n)
	a, err := audit.OpenAnchor(t.TempDir())
	require.NoError(t, err)
	cp, err := chain.Checkpoint(context.Background(), db)
	require.NoError(t, err)
	require.EqualValues(t, n, cp.Seq)
	require.NoError(t, a.Write(cp))
	return a, func() audit.Result {
		res, err := chain.VerifyAnchored(context.Background(), db, a)
		require.NoError(t, err)
		// Without the anchor, truncation with a rewound head is invisible: the limit the
		// checkpoints lift (docs/AUDIT.md).
		return res
	}
}

// TestR18_TruncationDetectedByCheckpoint (issue 15 item 20): deleting the newest rows and
// moving audit_head back to the last row left verifies as a whole chain by itself; against a
// signed checkpoint kept outside the database it is reported at the first missing row. A
// chain that grew again after the cut (a database restored from an older backup, then
// written to) is reported at the checkpointed row whose hash differs.
func TestR18_TruncationDetectedByCheckpoint(t *testing.T) {
	db, chain := appendN(t, 5)
	a, err := audit.OpenAnchor(t.TempDir())
	require.NoError(t, err)
	cp, err := chain.Checkpoint(context.Background(), db)
	require.NoError(t, err)
	require.NoError(t, a.Write(cp))

	tamper(t, db, `DELETE FROM audit_log WHERE seq > 3`)
	_, err = db.Exec(`UPDATE audit_head SET seq = 3, hash = (SELECT hash FROM audit_log WHERE seq = 3) WHERE id = 1`)
	require.NoError(t, err)
	res, err := chain.Verify(context.Background(), db)
	require.NoError(t, err)
	require.True(t, res.OK, "without the anchor the cut chain is whole: %s", res.Reason)

	res, err = chain.VerifyAnchored(context.Background(), db, a)
	require.NoError(t, err)
	require.False(t, res.OK)
	require.EqualValues(t, 4, res.Broken, res.Reason)
	require.Contains(t, res.Reason, "检查点")
	require.EqualValues(t, 5, res.Anchor.LastSeq)

	for i := range 2 {
		tx, err := db.Beginx()
		require.NoError(t, err)
		require.NoError(t, chain.Append(context.Background(), tx, audit.Entry{ActorID: "u-x", Action: "after.restore",
			ObjectType: "project", ObjectID: fmt.Sprint(i), Outcome: "ok"}))
		require.NoError(t, tx.Commit())
	}
	res, err = chain.Verify(context.Background(), db)
	require.NoError(t, err)
	require.True(t, res.OK, res.Reason)
	res, err = chain.VerifyAnchored(context.Background(), db, a)
	require.NoError(t, err)
	require.False(t, res.OK)
	require.EqualValues(t, 5, res.Broken, res.Reason)
	require.Contains(t, res.Reason, "检查点")
}

// TestR18_CheckpointFile: rows appended after the newest checkpoint are counted as unanchored;
// a checkpoint that does not match its row, a forged or altered checkpoint line, or a line
// that is not one fails verify; a last line cut short by a crash is skipped; no file means no
// checkpoint (everything unanchored).
func TestR18_CheckpointFile(t *testing.T) {
	a, verify := checkpointed(t, 3)
	res := verify()
	require.True(t, res.OK, res.Reason)
	require.Equal(t, 1, res.Anchor.Checkpoints)
	require.EqualValues(t, 3, res.Anchor.LastSeq)
	require.Zero(t, res.Anchor.Unanchored)
	require.Equal(t, map[string]int64{"3": 3}, res.Formats)

	b, err := os.ReadFile(a.Path())
	require.NoError(t, err)
	good := string(b)
	write := func(s string) {
		require.NoError(t, os.WriteFile(a.Path(), []byte(s), 0o640))
	}
	write(good + `{"seq":3,"hash":"` + strings.Repeat("0", 64))
	res = verify()
	require.True(t, res.OK, "a torn last line is skipped: %s", res.Reason)

	write(strings.Replace(good, `"seq":3`, `"seq":2`, 1))
	res = verify()
	require.False(t, res.OK)
	require.Contains(t, res.Reason, "签名不符")

	write(good + "not a checkpoint\n")
	res = verify()
	require.False(t, res.OK)
	require.Contains(t, res.Reason, "第 2 行")

	forged, err := audit.New("another key").Checkpoint(context.Background(), testdb.New(t).DB())
	require.NoError(t, err)
	other, err := audit.OpenAnchor(t.TempDir())
	require.NoError(t, err)
	require.NoError(t, other.Write(forged))
	fb, err := os.ReadFile(other.Path())
	require.NoError(t, err)
	write(good + string(fb))
	res = verify()
	require.False(t, res.OK, "a checkpoint signed with another key")

	require.NoError(t, os.Remove(a.Path()))
	res = verify()
	require.True(t, res.OK, res.Reason)
	require.Zero(t, res.Anchor.Checkpoints)
	require.EqualValues(t, 3, res.Anchor.Unanchored)
	require.Equal(t, filepath.Base(audit.AnchorFile), filepath.Base(res.Anchor.File))
}
