package activities_test

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/require"
	"go.uber.org/zap"

	"egovpm/activities"
	"egovpm/internal/notify"
	"egovpm/internal/seed"
	"egovpm/internal/testdb"
)

// sender refuses some recipients for good and fails the rest transiently, as told.
type sender struct {
	refuse    map[string]bool
	transient bool
	sent      []string
}

func (s *sender) Send(_ context.Context, m notify.Message) error {
	if s.refuse[m.UserID] {
		return &notify.RefusedError{Err: errors.New("550 5.1.1 no such mailbox")}
	}
	if s.transient {
		return errors.New("421 relay busy")
	}
	s.sent = append(s.sent, m.ID)
	return nil
}

// SendNotifications: a recipient the relay refuses for good is recorded and skipped, the rest
// of the transition's notifications go out, and the activity succeeds; a transient failure
// fails it (Temporal retries).
func TestSendNotificationsSkipsRefusedRecipients(t *testing.T) {
	st := testdb.New(t)
	ctx := context.Background()
	require.NoError(t, seed.Demo(ctx, st, "demo-Passw0rd"))
	testdb.Notifications(t, st, "tr-1#0:u-alice", "tr-1#0:u-bob", "tr-2#0:u-bob")

	s := &sender{refuse: map[string]bool{"u-alice": true}}
	a := &activities.Activities{Store: st, Sender: s, Log: zap.NewNop()}
	n, err := a.SendNotifications(ctx, "tr-1")
	require.NoError(t, err)
	require.Equal(t, 1, n)
	require.Equal(t, []string{"tr-1#0:u-bob"}, s.sent)
	var failed int
	require.NoError(t, st.DB.Get(&failed, `SELECT count(*) FROM notifications WHERE failed_at IS NOT NULL AND failure LIKE '%no such mailbox%'`))
	require.Equal(t, 1, failed)

	s.transient = true
	_, err = a.SendNotifications(ctx, "tr-2")
	require.ErrorContains(t, err, "relay busy")
}
