package store_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"egovpm/internal/seed"
	"egovpm/internal/store"
	"egovpm/internal/testdb"
)

// TestSendNotificationsOnce: a notification is delivered once, even when the send is retried
// after a failure or run twice (T1–T4: "never done twice for one reminder").
func TestSendNotificationsOnce(t *testing.T) {
	st := testdb.New(t)
	ctx := context.Background()
	require.NoError(t, seed.Demo(ctx, st, "demo-Passw0rd"))
	testdb.Notifications(t, st, "tr-1#0:u-alice", "tr-1#0:u-bob", "tr-2#0:u-bob")

	var got []string
	fail := true
	send := func(n store.PendingNotification) error {
		if fail && n.UserID == "u-bob" {
			return errors.New("relay down")
		}
		got = append(got, n.ID)
		return nil
	}
	_, err := st.SendNotifications(ctx, "tr-1#", send)
	require.Error(t, err, "a failed send is an error (the activity retries)")
	fail = false
	n, err := st.SendNotifications(ctx, "tr-1#", send)
	require.NoError(t, err)
	require.Equal(t, 1, n, "only the unsent one is sent on retry")
	n, err = st.SendNotifications(ctx, "tr-1#", send)
	require.NoError(t, err)
	require.Zero(t, n)
	require.ElementsMatch(t, []string{"tr-1#0:u-alice", "tr-1#0:u-bob"}, got)

	var unsent int
	require.NoError(t, st.DB().Get(&unsent, `SELECT count(*) FROM notifications WHERE sent_at IS NULL`))
	require.Equal(t, 1, unsent, "other transitions' notifications are untouched")
}

// A notification the relay refused for good (ErrUndeliverable) is marked failed with the
// reason and the batch goes on: the refused address held back every later notification of
// its transition for the activity's whole retry window before. A failed row is not sent
// again; a transient error still ends the batch for a retry.
func TestSendNotificationsRecordsUndeliverableAndGoesOn(t *testing.T) {
	st := testdb.New(t)
	ctx := context.Background()
	require.NoError(t, seed.Demo(ctx, st, "demo-Passw0rd"))
	testdb.Notifications(t, st, "tr-1#0:u-alice", "tr-1#0:u-bob", "tr-1#0:u-drb1")

	var got []string
	send := func(n store.PendingNotification) error {
		if n.UserID == "u-alice" { // first in id order
			return fmt.Errorf("%w: 550 5.1.1 mailbox unknown \x00", store.ErrUndeliverable)
		}
		got = append(got, n.ID)
		return nil
	}
	n, err := st.SendNotifications(ctx, "tr-1#", send)
	require.NoError(t, err)
	require.Equal(t, 2, n)
	require.Equal(t, []string{"tr-1#0:u-bob", "tr-1#0:u-drb1"}, got, "the refused address holds back no one")

	var failure string
	require.NoError(t, st.DB().Get(&failure, `SELECT failure FROM notifications WHERE id = 'tr-1#0:u-alice' AND failed_at IS NOT NULL AND sent_at IS NULL`))
	require.Contains(t, failure, "550 5.1.1 mailbox unknown")
	// The person sees it in the app, told the mail did not reach them.
	for user, failed := range map[string]bool{"u-alice": true, "u-bob": false} {
		ns, _, err := st.Notifications(ctx, user, 10, "")
		require.NoError(t, err)
		require.Len(t, ns, 1)
		require.Equal(t, failed, ns[0].MailFailed, user)
	}

	n, err = st.SendNotifications(ctx, "tr-1#", func(store.PendingNotification) error {
		t.Fatal("nothing is left to send")
		return nil
	})
	require.NoError(t, err)
	require.Zero(t, n)
}
