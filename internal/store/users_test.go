package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"egovpm/internal/store"
	"egovpm/internal/testdb"
)

func mustTx(t *testing.T, st *store.Store, fn func(tx *store.Tx) error) {
	t.Helper()
	require.NoError(t, st.WithTx(context.Background(), fn))
}

func mustCreateOrgs(t *testing.T, st *store.Store, orgs ...store.Org) {
	t.Helper()
	ctx := context.Background()
	mustTx(t, st, func(tx *store.Tx) error {
		for i := range orgs {
			if err := st.CreateOrg(ctx, tx, &orgs[i]); err != nil {
				return err
			}
		}
		return nil
	})
}

func TestOrgs(t *testing.T) {
	t.Parallel()
	st := testdb.New(t)
	ctx := context.Background()
	mustCreateOrgs(t, st, store.Org{ID: "unit-a", Name: "市教育局", Kind: "unit"}, store.Org{ID: "unit-b", Name: "市卫健委", Kind: "unit"},
		store.Org{ID: "drb", Name: "市数据资源管理局", Kind: "drb"})

	err := st.WithTx(ctx, func(tx *store.Tx) error {
		return st.CreateOrg(ctx, tx, &store.Org{ID: "drb", Name: "重复", Kind: "drb"})
	})
	require.True(t, store.IsUniqueViolation(err), "%v", err)
	err = st.WithTx(ctx, func(tx *store.Tx) error {
		return st.CreateOrg(ctx, tx, &store.Org{ID: "Bad ID", Name: "x", Kind: "unit"})
	})
	require.True(t, store.IsCheckViolation(err), "%v", err)

	mustTx(t, st, func(tx *store.Tx) error {
		created, err := st.EnsureOrg(ctx, tx, store.Org{ID: "drb", Name: "改名", Kind: "drb"})
		require.NoError(t, err)
		require.False(t, created)
		return nil
	})
	o, err := st.Org(ctx, "drb")
	require.NoError(t, err)
	require.Equal(t, "市数据资源管理局", o.Name, "EnsureOrg leaves an existing org as it is")
	_, err = st.Org(ctx, "nope")
	require.ErrorIs(t, err, store.ErrNotFound)

	page, next, err := st.ListOrgs(ctx, store.OrgFilter{Limit: 2})
	require.NoError(t, err)
	require.Equal(t, []string{"drb", "unit-a"}, orgIDs(page))
	require.NotEmpty(t, next)
	page, next, err = st.ListOrgs(ctx, store.OrgFilter{Limit: 2, Cursor: next})
	require.NoError(t, err)
	require.Equal(t, []string{"unit-b"}, orgIDs(page))
	require.Empty(t, next)

	page, _, err = st.ListOrgs(ctx, store.OrgFilter{Kind: "unit"})
	require.NoError(t, err)
	require.Equal(t, []string{"unit-a", "unit-b"}, orgIDs(page))
	page, _, err = st.ListOrgs(ctx, store.OrgFilter{Kind: "audit"})
	require.NoError(t, err)
	require.NotNil(t, page)
	require.Empty(t, page)

	_, _, err = st.ListOrgs(ctx, store.OrgFilter{Cursor: "%%%"})
	require.Error(t, err)
}

func orgIDs(os []store.Org) []string {
	ids := []string{}
	for _, o := range os {
		ids = append(ids, o.ID)
	}
	return ids
}

func usernames(us []store.User) []string {
	names := []string{}
	for _, u := range us {
		names = append(names, u.Username)
	}
	return names
}

func TestUsers(t *testing.T) {
	t.Parallel()
	st := testdb.New(t)
	ctx := context.Background()
	mustCreateOrgs(t, st, store.Org{ID: "unit-a", Name: "市教育局", Kind: "unit"}, store.Org{ID: "drb", Name: "市数据资源管理局", Kind: "drb"})
	add := func(username, org string, roles ...string) {
		mustTx(t, st, func(tx *store.Tx) error {
			return st.CreateUser(ctx, tx, store.NewUser{ID: "u-" + username, Username: username, Name: "用户" + username,
				OrgID: org, PasswordHash: "$argon2id$x", Roles: roles})
		})
	}
	add("alice", "unit-a", "submitter")
	add("exp1", "unit-a", "expert")
	add("drb1", "drb", "drb_reviewer")
	add("drbsup", "drb", "drb_supervisor", "drb_reviewer")

	err := st.WithTx(ctx, func(tx *store.Tx) error {
		return st.CreateUser(ctx, tx, store.NewUser{ID: "u-other", Username: "alice", Name: "x", OrgID: "unit-a", PasswordHash: "h"})
	})
	require.True(t, store.IsUniqueViolation(err), "%v", err)
	err = st.WithTx(ctx, func(tx *store.Tx) error {
		return st.CreateUser(ctx, tx, store.NewUser{ID: "u-x", Username: "x1", Name: "x", OrgID: "unit-a", PasswordHash: "h", Roles: []string{"king"}})
	})
	require.True(t, store.IsCheckViolation(err), "%v", err)

	u, err := st.UserByID(ctx, "u-drbsup")
	require.NoError(t, err)
	require.Equal(t, "drbsup", u.Username)
	require.Equal(t, "drb", u.OrgID)
	require.Equal(t, []string{"drb_reviewer", "drb_supervisor"}, []string(u.Roles))
	require.False(t, u.TOTPEnabled)
	_, err = st.UserByID(ctx, "u-nobody")
	require.ErrorIs(t, err, store.ErrNotFound)
	_, err = st.Credentials(ctx, "nobody")
	require.ErrorIs(t, err, store.ErrNotFound)

	users, next, err := st.ListUsers(ctx, store.UserFilter{Role: "drb_reviewer"})
	require.NoError(t, err)
	require.Equal(t, []string{"drb1", "drbsup"}, usernames(users))
	require.Empty(t, next)
	users, _, err = st.ListUsers(ctx, store.UserFilter{OrgID: "unit-a"})
	require.NoError(t, err)
	require.Equal(t, []string{"alice", "exp1"}, usernames(users))
	users, _, err = st.ListUsers(ctx, store.UserFilter{OrgID: "unit-a", Role: "expert"})
	require.NoError(t, err)
	require.Equal(t, []string{"exp1"}, usernames(users))

	var all []string
	cursor := ""
	for {
		page, next, err := st.ListUsers(ctx, store.UserFilter{Limit: 3, Cursor: cursor})
		require.NoError(t, err)
		require.LessOrEqual(t, len(page), 3)
		all = append(all, usernames(page)...)
		if next == "" {
			break
		}
		cursor = next
	}
	require.Equal(t, []string{"alice", "drb1", "drbsup", "exp1"}, all)

	mustTx(t, st, func(tx *store.Tx) error {
		return st.SetUserRoles(ctx, tx, "u-drbsup", []string{"drb_supervisor", "admin"})
	})
	u, err = st.UserByID(ctx, "u-drbsup")
	require.NoError(t, err)
	require.Equal(t, []string{"admin", "drb_supervisor"}, []string(u.Roles))
	err = st.WithTx(ctx, func(tx *store.Tx) error { return st.SetUserRoles(ctx, tx, "u-nobody", []string{"admin"}) })
	require.ErrorIs(t, err, store.ErrNotFound)

	mustTx(t, st, func(tx *store.Tx) error { return st.SetUserDisabled(ctx, tx, "u-alice", true) })
	u, err = st.UserByID(ctx, "u-alice")
	require.NoError(t, err)
	require.True(t, u.Disabled)
	err = st.WithTx(ctx, func(tx *store.Tx) error { return st.SetUserDisabled(ctx, tx, "u-nobody", true) })
	require.ErrorIs(t, err, store.ErrNotFound)

	mustTx(t, st, func(tx *store.Tx) error { return st.SetTOTPSecret(ctx, tx, "u-alice", "JBSWY3DPEHPK3PXP") })
	c, err := st.Credentials(ctx, "alice")
	require.NoError(t, err)
	require.True(t, c.TOTPEnabled)
	require.Equal(t, "JBSWY3DPEHPK3PXP", c.TOTPSecret.String)
	mustTx(t, st, func(tx *store.Tx) error {
		for _, step := range []struct {
			n    int64
			want bool
		}{{100, true}, {100, false}, {99, false}, {101, true}} {
			fresh, err := st.UseTOTPStep(ctx, tx, "u-alice", step.n)
			require.NoError(t, err)
			require.Equal(t, step.want, fresh, "step %d", step.n)
		}
		return nil
	})
	mustTx(t, st, func(tx *store.Tx) error { return st.SetTOTPSecret(ctx, tx, "u-alice", "") })
	c, err = st.Credentials(ctx, "alice")
	require.NoError(t, err)
	require.False(t, c.TOTPEnabled)
	require.False(t, c.TOTPLastStep.Valid)

	mustTx(t, st, func(tx *store.Tx) error {
		created, err := st.EnsureUser(ctx, tx, store.NewUser{ID: "u-alice", Username: "alice", Name: "x", OrgID: "drb", PasswordHash: "h", Roles: []string{"admin"}})
		require.NoError(t, err)
		require.False(t, created)
		return nil
	})
	u, err = st.UserByID(ctx, "u-alice")
	require.NoError(t, err)
	require.Equal(t, "unit-a", u.OrgID)
	require.Equal(t, []string{"submitter"}, []string(u.Roles), "EnsureUser leaves an existing user as it is")
}

func TestLoginFailures(t *testing.T) {
	t.Parallel()
	st := testdb.New(t)
	ctx := context.Background()
	mustCreateOrgs(t, st, store.Org{ID: "unit-a", Name: "市教育局", Kind: "unit"})
	mustTx(t, st, func(tx *store.Tx) error {
		return st.CreateUser(ctx, tx, store.NewUser{ID: "u-alice", Username: "alice", Name: "王丽", OrgID: "unit-a", PasswordHash: "h"})
	})
	now := time.Date(2025, 1, 1, 8, 0, 0, 0, time.UTC)
	record := func(at time.Time) store.LoginLock {
		var l store.LoginLock
		mustTx(t, st, func(tx *store.Tx) error {
			var err error
			l, err = st.RecordLoginFailure(ctx, tx, "u-alice", at, 3, time.Hour)
			return err
		})
		return l
	}
	recordUnknown := func(at time.Time) store.LoginLock {
		var l store.LoginLock
		mustTx(t, st, func(tx *store.Tx) error {
			var err error
			l, err = st.RecordUnknownLoginFailure(ctx, tx, "ghost", at, 3, time.Hour)
			return err
		})
		return l
	}
	for name, rec := range map[string]func(time.Time) store.LoginLock{"user": record, "unknown": recordUnknown} {
		require.Equal(t, store.LoginLock{Failures: 1}, rec(now), name)
		require.Equal(t, store.LoginLock{Failures: 2}, rec(now), name)
		l := rec(now)
		require.Equal(t, 3, l.Failures, name)
		require.True(t, l.LockedUntil.Equal(now.Add(time.Hour)), name)
		require.True(t, l.Locked(now.Add(59*time.Minute)), name)
		require.False(t, l.Locked(now.Add(time.Hour)), name)
		// After the lock the count starts again.
		require.Equal(t, store.LoginLock{Failures: 1}, rec(now.Add(time.Hour)), name)
	}
	l, err := st.UnknownLoginLock(ctx, "ghost")
	require.NoError(t, err)
	require.Equal(t, 1, l.Failures)
	l, err = st.UnknownLoginLock(ctx, "never-seen")
	require.NoError(t, err)
	require.Equal(t, store.LoginLock{}, l)

	mustTx(t, st, func(tx *store.Tx) error { return st.ResetLoginFailures(ctx, tx, "u-alice") })
	c, err := st.Credentials(ctx, "alice")
	require.NoError(t, err)
	require.Zero(t, c.FailedLogins)
	require.False(t, c.LockedUntil.Valid)

	// Idle unknown-name rows are pruned by later failures.
	recordUnknownAs := func(name string, at time.Time) {
		mustTx(t, st, func(tx *store.Tx) error {
			_, err := st.RecordUnknownLoginFailure(ctx, tx, name, at, 3, time.Hour)
			return err
		})
	}
	recordUnknownAs("someone", now.Add(48*time.Hour))
	var n int
	require.NoError(t, st.DB().Get(&n, `SELECT count(*) FROM login_failures`))
	require.Equal(t, 1, n)
}

func TestRevokedTokens(t *testing.T) {
	t.Parallel()
	st := testdb.New(t)
	ctx := context.Background()
	exp := time.Now().Add(time.Hour)
	for i := 0; i < 2; i++ { // revoking twice is a no-op
		mustTx(t, st, func(tx *store.Tx) error { return st.RevokeToken(ctx, tx, "jti-1", "u-alice", exp) })
	}
	mustTx(t, st, func(tx *store.Tx) error { return st.RevokeToken(ctx, tx, "jti-old", "u-alice", exp.Add(-3*time.Hour)) })
	for jti, want := range map[string]bool{"jti-1": true, "jti-old": true, "jti-2": false} {
		got, err := st.TokenRevoked(ctx, jti)
		require.NoError(t, err)
		require.Equal(t, want, got, jti)
	}
	n, err := st.PruneRevokedTokens(ctx, time.Now())
	require.NoError(t, err)
	require.EqualValues(t, 1, n)
	got, err := st.TokenRevoked(ctx, "jti-1")
	require.NoError(t, err)
	require.True(t, got, "an unexpired revocation stays")
}
