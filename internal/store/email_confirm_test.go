package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"egovpm/internal/seed"
	"egovpm/internal/store"
	"egovpm/internal/testdb"
)

// A person's own new address waits for the code mailed to it (docs/NOTIFICATIONS.md
// "Confirming an address"): their mail keeps going to the old one; a wrong code is counted and
// five void it, as does the half hour; the right one makes the address theirs (and the old
// address's refusals no longer about it); a new code renews the tries, at most one a minute;
// giving the address in use again, removing it, or an administrator's address drops the
// pending one.
func TestEmailConfirmation(t *testing.T) {
	st := testdb.New(t)
	ctx := context.Background()
	require.NoError(t, seed.Demo(ctx, st, "demo-Passw0rd"))
	db := st.DB()
	var audits []map[string]any
	audit := func(_ *store.Tx, c map[string]any) error { audits = append(audits, c); return nil }
	_, err := st.SetMailSettings(ctx, "u-bob", store.MailChange{Email: ptr("chenbo@luan.gov.cn")}, audit)
	require.NoError(t, err, "without a code (an administrator's, a test's) the address takes effect")

	changed, err := st.SetMailSettings(ctx, "u-bob", store.MailChange{Email: ptr("chen.bo@luan.gov.cn"), Code: "123456"}, audit)
	require.NoError(t, err)
	require.True(t, changed)
	require.Equal(t, map[string]any{"email_pending": "chen.bo@luan.gov.cn"}, audits[len(audits)-1], "the address, never the code")
	m, err := st.MailSettings(ctx, "u-bob")
	require.NoError(t, err)
	require.Equal(t, "chenbo@luan.gov.cn", m.Email, "mail keeps going to the confirmed address")
	require.Equal(t, "chen.bo@luan.gov.cn", m.Pending.String)
	require.WithinDuration(t, time.Now().Add(store.EmailCodeTTL), m.PendingExpires.Time, time.Minute)
	var stored []byte
	require.NoError(t, db.Get(&stored, `SELECT email_code_hash FROM users WHERE id = 'u-bob'`))
	require.NotContains(t, string(stored), "123456", "only a hash is kept")
	changed, err = st.SetMailSettings(ctx, "u-bob", store.MailChange{Email: ptr("chen.bo@luan.gov.cn"), Code: "654321"}, audit)
	require.NoError(t, err)
	require.False(t, changed, "the same pending address again: its code stands")

	wrongs := 0
	noAudit := func(_ *store.Tx, _ string, left int) error {
		require.GreaterOrEqual(t, left, 0, "confirmed with a wrong code")
		wrongs++
		return nil
	}
	for left := store.EmailCodeTries - 1; left >= 1; left-- {
		_, err = st.ConfirmEmail(ctx, "u-bob", "000000", noAudit)
		var wrong *store.EmailCodeWrongError
		require.True(t, errors.As(err, &wrong), "%v", err)
		require.Equal(t, left, wrong.Left)
	}
	require.Equal(t, store.EmailCodeTries-1, wrongs, "each wrong code is on the record")
	email, err := st.ConfirmEmail(ctx, "u-bob", "123456", func(_ *store.Tx, e string, left int) error {
		require.Equal(t, -1, left)
		audits = append(audits, map[string]any{"confirmed": e})
		return nil
	})
	require.NoError(t, err, "four wrong tries leave the fifth")
	require.Equal(t, "chen.bo@luan.gov.cn", email)
	m, err = st.MailSettings(ctx, "u-bob")
	require.NoError(t, err)
	require.Equal(t, store.MailSettings{Email: "chen.bo@luan.gov.cn"}, m, "confirmed: in use, nothing pending")
	_, err = st.ConfirmEmail(ctx, "u-bob", "123456", noAudit)
	require.ErrorIs(t, err, store.ErrNoPendingEmail, "a code is used once")

	// Five wrong codes void it; a new one (not within a minute of the last) renews the tries.
	_, err = st.SetMailSettings(ctx, "u-bob", store.MailChange{Email: ptr("bob@luan.gov.cn"), Code: "111111"}, audit)
	require.NoError(t, err)
	for i := 0; i < store.EmailCodeTries; i++ {
		_, err = st.ConfirmEmail(ctx, "u-bob", "222222", noAudit)
	}
	var wrong *store.EmailCodeWrongError
	require.True(t, errors.As(err, &wrong) && wrong.Left == 0, "%v", err)
	_, err = st.ConfirmEmail(ctx, "u-bob", "111111", noAudit)
	require.ErrorIs(t, err, store.ErrEmailCodeLapsed, "the right code after five wrong ones")
	_, wait, err := st.ResendEmailCode(ctx, "u-bob", "333333")
	require.NoError(t, err)
	require.Greater(t, wait, 50*time.Second, "one code a minute")
	_, err = db.Exec(`UPDATE users SET email_code_sent_at = now() - interval '61 seconds' WHERE id = 'u-bob'`)
	require.NoError(t, err)
	to, wait, err := st.ResendEmailCode(ctx, "u-bob", "333333")
	require.NoError(t, err)
	require.Zero(t, wait)
	require.Equal(t, "bob@luan.gov.cn", to)
	_, err = db.Exec(`UPDATE users SET email_code_expires = now() - interval '1 second' WHERE id = 'u-bob'`)
	require.NoError(t, err)
	_, err = st.ConfirmEmail(ctx, "u-bob", "333333", noAudit)
	require.ErrorIs(t, err, store.ErrEmailCodeLapsed, "after its half hour")

	// The address in use again, or none, or an administrator's drops the pending one.
	_, err = st.SetMailSettings(ctx, "u-bob", store.MailChange{Email: ptr("chen.bo@luan.gov.cn"), Code: "444444"}, audit)
	require.NoError(t, err)
	require.Equal(t, map[string]any{"email_pending": ""}, audits[len(audits)-1])
	m, err = st.MailSettings(ctx, "u-bob")
	require.NoError(t, err)
	require.False(t, m.Pending.Valid)
	for _, drop := range []func() error{
		func() error {
			_, err := st.SetMailSettings(ctx, "u-bob", store.MailChange{Email: ptr(""), Code: "555555"}, audit)
			return err
		},
		func() error {
			return st.WithTx(ctx, func(tx *store.Tx) error { return st.SetUserEmail(ctx, tx, "u-bob", "bob.chen@luan.gov.cn") })
		},
	} {
		_, err = st.SetMailSettings(ctx, "u-bob", store.MailChange{Email: ptr("x@luan.gov.cn"), Code: "666666"}, audit)
		require.NoError(t, err)
		require.NoError(t, drop())
		m, err = st.MailSettings(ctx, "u-bob")
		require.NoError(t, err)
		require.False(t, m.Pending.Valid, "dropped")
		_, err = st.ConfirmEmail(ctx, "u-bob", "666666", noAudit)
		require.ErrorIs(t, err, store.ErrNoPendingEmail)
	}
	_, _, err = st.ResendEmailCode(ctx, "u-bob", "777777")
	require.ErrorIs(t, err, store.ErrNoPendingEmail)
}
