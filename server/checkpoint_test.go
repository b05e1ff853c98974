package main

import (
	"context"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/stretchr/testify/require"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"egovpm/internal/audit"
	"egovpm/internal/store"
	"egovpm/internal/testdb"
)

// TestRunCheckpoints (R18, issue 15 item 20): the gateway's loop signs the head at start, again
// only once the head has moved, and a last time when it stops; each checkpoint goes to the
// file and to the log.
func TestRunCheckpoints(t *testing.T) {
	st := testdb.New(t)
	core, logs := observer.New(zapcore.InfoLevel)
	anchor, err := audit.OpenAnchor(t.TempDir())
	require.NoError(t, err)
	m, _ := newGatewayMetrics(nil)
	s := &Server{store: st, log: zap.New(core), anchor: anchor, metrics: m}
	anchoredAt := func() float64 {
		var v dto.Metric
		require.NoError(t, m.checkpointAt.Write(&v))
		return v.GetGauge().GetValue()
	}
	read := func() []audit.Checkpoint {
		cps, bad, err := anchor.Read()
		require.NoError(t, err)
		require.Zero(t, bad)
		return cps
	}
	appendRow := func() {
		require.NoError(t, st.WithTx(context.Background(), func(tx *store.Tx) error {
			return st.AppendAudit(context.Background(), tx, audit.Entry{ActorID: "u-x", Action: "x", ObjectType: "o", ObjectID: "1", Outcome: "ok"})
		}))
	}
	appendRow()
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); s.RunCheckpoints(ctx, 20*time.Millisecond) }()
	require.Eventually(t, func() bool { return len(read()) == 1 }, 5*time.Second, 5*time.Millisecond, "a checkpoint at start")
	require.Eventually(t, func() bool { return anchoredAt() > 0 }, time.Second, 5*time.Millisecond, "the gauge set")
	first := anchoredAt()
	require.InDelta(t, float64(time.Now().UnixNano())/1e9, first, 5)
	require.Never(t, func() bool { return len(read()) > 1 }, 150*time.Millisecond, 10*time.Millisecond,
		"an unmoved head is not signed again (several ticks)")
	require.Greater(t, anchoredAt(), first, "an unmoved head is still anchored: the gauge (egovpm_audit_checkpoint_timestamp_seconds) keeps up")
	appendRow()
	require.Eventually(t, func() bool { return len(read()) == 2 }, 5*time.Second, 5*time.Millisecond, "a checkpoint once the head moved")
	appendRow()
	stop()
	<-done
	cps := read()
	require.Len(t, cps, 3, "a last checkpoint when the loop stops")
	require.EqualValues(t, []int64{1, 2, 3}, []int64{cps[0].Seq, cps[1].Seq, cps[2].Seq})
	require.Len(t, logs.FilterMessage("audit checkpoint").All(), 3)
	res, err := st.Audit.VerifyAnchored(context.Background(), st.DB(), anchor)
	require.NoError(t, err)
	require.True(t, res.OK, res.Reason)
	require.Zero(t, res.Anchor.Unanchored)
}
