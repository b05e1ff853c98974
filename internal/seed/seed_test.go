package seed_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"egovpm/internal/apperr"
	"egovpm/internal/auth"
	"egovpm/internal/authz"
	"egovpm/internal/domain"
	"egovpm/internal/seed"
	"egovpm/internal/store"
	"egovpm/internal/testdb"
)

type snapshot struct {
	Orgs  []string
	Users []string
	Roles []string
	Audit int
}

func take(t *testing.T, st *store.Store) snapshot {
	t.Helper()
	var s snapshot
	require.NoError(t, st.DB().Select(&s.Orgs, `SELECT id || '|' || name || '|' || kind FROM orgs ORDER BY id`))
	require.NoError(t, st.DB().Select(&s.Users, `SELECT id || '|' || username || '|' || name || '|' || org_id || '|' ||
		password_hash || '|' || demo || '|' || disabled || '|' || (totp_secret IS NULL) FROM users ORDER BY id`))
	require.NoError(t, st.DB().Select(&s.Roles, `SELECT user_id || '|' || role FROM user_roles ORDER BY 1`))
	require.NoError(t, st.DB().Get(&s.Audit, `SELECT count(*) FROM audit_log`))
	return s
}

// TestDemoIdempotent: the seed creates API.md's demo orgs and users once; a second run
// (even with another password) changes nothing.
func TestDemoIdempotent(t *testing.T) {
	st := testdb.New(t)
	ctx := context.Background()
	require.NoError(t, seed.Demo(ctx, st, "demo-Passw0rd"))
	first := take(t, st)
	require.Len(t, first.Orgs, 11)
	require.Len(t, first.Users, 17)
	require.Equal(t, 1, first.Audit)
	n, err := st.CountDemoUsers(ctx)
	require.NoError(t, err)
	require.Equal(t, 17, n)

	require.NoError(t, seed.Demo(ctx, st, "demo-Passw0rd"))
	require.NoError(t, seed.Demo(ctx, st, "another-Passw0rd"))
	require.Equal(t, first, take(t, st))

	for username, want := range map[string]struct {
		org   string
		roles []string
	}{
		"alice":  {"unit-a", []string{domain.RoleSubmitter}},
		"bob":    {"unit-b", []string{domain.RoleSubmitter}},
		"drbsup": {"drb", []string{domain.RoleDRBReviewer, domain.RoleDRBSupervisor}},
		"exp1":   {"unit-a", []string{domain.RoleExpert}},
		"exp5":   {"experts", []string{domain.RoleExpert}},
		"gov1":   {"citygov", []string{domain.RoleCityGovApprover}},
		"admin":  {"drb", []string{domain.RoleAdmin}},
		"ops1":   {"ops", []string{domain.RoleOps}},
	} {
		u, err := st.UserByID(ctx, "u-"+username)
		require.NoError(t, err, username)
		require.Equal(t, want.org, u.OrgID, username)
		require.Equal(t, want.roles, []string(u.Roles), username)
		require.True(t, u.Demo, username)
		require.False(t, u.TOTPEnabled, username)
		require.NotEmpty(t, u.Name, username)
	}
	o, err := st.Org(ctx, "experts")
	require.NoError(t, err)
	require.Equal(t, store.Org{ID: "experts", Name: "专家库", Kind: "expert", CreatedAt: o.CreatedAt}, o)

	// Every role of the vocabulary has a demo user.
	for _, r := range domain.Roles {
		users, _, err := st.ListUsers(ctx, store.UserFilter{Role: r})
		require.NoError(t, err)
		require.NotEmpty(t, users, r)
	}

	// The demo password logs in (dev mode) and is refused in production mode.
	dev := auth.NewService(st, auth.Options{Secret: "s"})
	res, err := dev.Login(ctx, auth.LoginInput{Username: "exp1", Password: "demo-Passw0rd"})
	require.NoError(t, err)
	require.Equal(t, "unit-a", res.Actor.OrgID)
	prod := auth.NewService(st, auth.Options{Secret: "s", Production: true})
	_, err = prod.Login(ctx, auth.LoginInput{Username: "alice", Password: "demo-Passw0rd"})
	e, ok := apperr.As(err)
	require.True(t, ok, "%v", err)
	require.Equal(t, auth.CodeDemoUserRefused, e.Code)
}

// TestDemoUsersHoldNoConflictingRoles (issue 15 item 4): the demo seed grants no pair of
// authz.ConflictingRoles (the store would refuse it), and every demo user passes the check the
// API and the CLI apply.
func TestDemoUsersHoldNoConflictingRoles(t *testing.T) {
	for _, u := range seed.DemoUsers {
		require.NoError(t, authz.CheckRoles(u.Roles), u.Username)
	}
	st := testdb.New(t)
	require.NoError(t, seed.Demo(context.Background(), st, "demo-Passw0rd"))
	users, _, err := st.ListUsers(context.Background(), store.UserFilter{Limit: 100})
	require.NoError(t, err)
	require.Len(t, users, len(seed.DemoUsers))
	for _, u := range users {
		require.Empty(t, authz.Conflicts(u.Roles), u.Username)
	}
}
