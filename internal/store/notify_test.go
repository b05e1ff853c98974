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
	_, err := st.SendNotifications(ctx, "tr-1", send)
	require.Error(t, err, "a failed send is an error (the activity retries)")
	fail = false
	n, err := st.SendNotifications(ctx, "tr-1", send)
	require.NoError(t, err)
	require.Equal(t, 1, n, "only the unsent one is sent on retry")
	n, err = st.SendNotifications(ctx, "tr-1", send)
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
	n, err := st.SendNotifications(ctx, "tr-1", send)
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

	n, err = st.SendNotifications(ctx, "tr-1", func(store.PendingNotification) error {
		t.Fatal("nothing is left to send")
		return nil
	})
	require.NoError(t, err)
	require.Zero(t, n)
}

// SendNotifications(id) mails the notifications of exactly transition id: transition ids are
// prefixes of one another ("…/r/1" of "…/r/10"), and id alone as a prefix mailed
// "…/r/10#…" with "…/r/1#…". So do the gave-up records' ("…/gave-up/<key>#0:<user>").
func TestSendNotificationsMailsExactlyItsTransition(t *testing.T) {
	st := testdb.New(t)
	ctx := context.Background()
	require.NoError(t, seed.Demo(ctx, st, "demo-Passw0rd"))
	one, ten := "project:px/run-1/r/1", "project:px/run-1/r/10"
	gaveUp := "project:px/run-1/gave-up/ComputeSimilar"
	testdb.Notifications(t, st, one+"#0:u-drb1", one+"#t0:u-drbsup", ten+"#0:u-drb1", ten+"#t0:u-drbsup",
		gaveUp+"#0:u-ops1", gaveUp+"2#0:u-ops1")

	mailed := func(id string) []string {
		t.Helper()
		var got []string
		_, err := st.SendNotifications(ctx, id, func(n store.PendingNotification) error {
			got = append(got, n.ID)
			return nil
		})
		require.NoError(t, err)
		return got
	}
	require.Equal(t, []string{one + "#0:u-drb1", one + "#t0:u-drbsup"}, mailed(one))
	require.Equal(t, []string{gaveUp + "#0:u-ops1"}, mailed(gaveUp))
	var unsent []string
	require.NoError(t, st.DB().Select(&unsent, `SELECT id FROM notifications WHERE sent_at IS NULL ORDER BY id COLLATE "C"`))
	require.Equal(t, []string{gaveUp + "2#0:u-ops1", ten + "#0:u-drb1", ten + "#t0:u-drbsup"}, unsent)
	require.Equal(t, []string{ten + "#0:u-drb1", ten + "#t0:u-drbsup"}, mailed(ten))
}
