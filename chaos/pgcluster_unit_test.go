package chaos

import (
	"context"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"egovpm/bench"
	"egovpm/internal/seed"
)

// The private cluster is what the fault test crashes: it runs on its own port, a crash (the
// immediate shutdown) keeps what was committed, and it takes connections again after the
// restart. On it, the funds and documents checks are shown to catch what they look for.
func TestPGClusterCrashAndChecks(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	pg, err := newPGCluster(ctx, t.TempDir())
	if pg != nil {
		t.Cleanup(pg.remove)
	}
	require.NoError(t, err)
	require.NotEqual(t, 5432, pg.port, "never the shared server's port")
	require.Contains(t, pg.serverURL(), "127.0.0.1:")
	t.Setenv("TEST_DATABASE_URL", pg.serverURL())
	require.Equal(t, pg.serverURL(), bench.PGServerURL(), "bench's databases go to the private cluster")

	st, err := bench.CreateDatabase(ctx, "checks")
	require.NoError(t, err)
	defer st.DB().Close()
	require.NoError(t, seed.Demo(ctx, st, password))
	_, err = st.DB().ExecContext(ctx, `INSERT INTO projects (id, unit_id, name, type, plan_year, estimated_investment_fen,
		approved_amount_fen, mlps_level, stage, created_by) VALUES ('p-1', 'unit-a', '测试项目', 'new', 2031, 1000, 1000, 2, 'construction', 'u-alice')`)
	require.NoError(t, err)
	pay := func(id, milestone string, fen int64) {
		t.Helper()
		_, err := st.DB().ExecContext(ctx, `INSERT INTO payments (id, project_id, milestone, amount_fen, paid_on, recorded_by)
			VALUES ($1, 'p-1', $2, $3, DATE '2030-01-01', 'u-alice')`, id, milestone, fen)
		require.NoError(t, err)
	}
	pay("pay-acked", "第1期", 400)
	pay("pay-unacked", "第2期", 300)
	pay("pay-refused", "第3期", 200)
	doc := func(id string) {
		t.Helper()
		_, err := st.DB().ExecContext(ctx, `INSERT INTO documents (id, project_id, kind, filename, content_type, size_bytes, sha256, uploaded_by)
			VALUES ($1, 'p-1', 'mlps_filing', 'f.pdf', 'application/pdf', 10, $2, 'u-alice')`, id, strings.Repeat("a", 64))
		require.NoError(t, err)
	}
	doc("d-acked")
	doc("d-second")

	// A crash keeps every committed row; the cluster takes connections again after it.
	require.NoError(t, pg.crash())
	done, _ := pg.exited()
	require.True(t, done, "the postmaster is gone after the crash")
	require.Error(t, st.DB().PingContext(ctx), "no server while it is down")
	require.NoError(t, pg.start(ctx))
	var n int
	require.Eventually(t, func() bool { return st.DB().GetContext(ctx, &n, `SELECT count(*) FROM payments`) == nil }, 30*time.Second, 100*time.Millisecond)
	require.Equal(t, 3, n, "committed rows survive the crash")

	d := &driver{projects: []string{"p-1"}, ambiguous: map[string]int{},
		payments: []payment{
			{ProjectID: "p-1", ID: "pay-acked", Milestone: "第1期", AmountFen: 400, Confirmed: true},
			{ProjectID: "p-1", Milestone: "第3期", AmountFen: 200, Refused: true},
		},
		uploads: []upload{{ProjectID: "p-1", Kind: "mlps_filing", ID: "d-acked"}},
	}
	bad, _ := funds(ctx, st, d)
	all := strings.Join(bad, "\n")
	for _, want := range []string{
		"pay-unacked of p-1", "recorded but never acknowledged", // a payment nobody was told of
		"was refused (422) yet is recorded as pay-refused",  // a refusal that stored the payment
		"3 payments recorded, want 2",                       // the cap admits two of three asks
		"pay-acked: recorded by , want confirmed by u-fin1", // an acknowledged confirmation missing
		"pay-acked: 0 payment.record audit rows",
	} {
		require.Contains(t, all, want)
	}
	// Over the caps, were the database's guard gone: the contract's, then the approved amount.
	_, err = st.DB().ExecContext(ctx, `INSERT INTO contracts (project_id, vendor, amount_fen, signed_on, procurement_ref, data_lists, registered_by)
		VALUES ('p-1', '某公司', 800, DATE '2030-01-01', 'LA-1', '{}', 'u-alice')`)
	require.NoError(t, err)
	bad, _ = funds(ctx, st, d)
	require.Contains(t, strings.Join(bad, "\n"), "payments of 900 fen over the contract's 800 fen")
	_, err = st.DB().ExecContext(ctx, `ALTER TABLE payments DISABLE TRIGGER payments_within_approved`)
	require.NoError(t, err)
	pay("pay-over", "第4期", 200)
	bad, _ = funds(ctx, st, d)
	require.Contains(t, strings.Join(bad, "\n"), "payments of 1100 fen over the approved 1000 fen")

	bad, _ = documents(ctx, st, d)
	require.Equal(t, []string{"p-1 mlps_filing: 2 documents stored, 1 acknowledged and 0 attempts with an unknown outcome"}, bad)
	d.ambiguous["p-1 mlps_filing"] = 1
	bad, summary := documents(ctx, st, d)
	require.Empty(t, bad, "a resend after a lost reply may store a second copy")
	require.Contains(t, summary, "1 extra copies")
}

// The faults are all scheduled: the rare restarts spread among the kills, alternating.
func TestSchedule(t *testing.T) {
	s := schedule(rand.New(rand.NewPCG(1, 2)), 4, 4, 2, 2)
	require.Len(t, s, 12)
	count := map[string]int{}
	var rare []int
	for i, r := range s {
		count[r]++
		if r == "devserver" || r == "postgres" {
			rare = append(rare, i)
		}
	}
	require.Equal(t, map[string]int{"worker": 4, "server": 4, "devserver": 2, "postgres": 2}, count)
	require.Equal(t, []string{"devserver", "postgres", "devserver", "postgres"}, []string{s[rare[0]], s[rare[1]], s[rare[2]], s[rare[3]]})
	for i := 1; i < len(rare); i++ {
		require.Greater(t, rare[i]-rare[i-1], 1, "restarts %v not spread: %v", rare, s)
	}
	require.False(t, slices.Contains(schedule(rand.New(rand.NewPCG(1, 2)), 2, 2, 0, 0), "postgres"))
	require.Equal(t, []string{"postgres"}, schedule(rand.New(rand.NewPCG(1, 2)), 0, 0, 0, 1))
}
