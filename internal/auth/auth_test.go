package auth_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/pquerna/otp/totp"
	"github.com/stretchr/testify/require"

	"egovpm/internal/apperr"
	"egovpm/internal/auth"
	"egovpm/internal/domain"
	"egovpm/internal/store"
	"egovpm/internal/testdb"
)

const (
	secret   = "test-token-secret-0123456789abcdef"
	password = "Corr3ct-horse-battery"
)

// fastHash keeps the tests quick; the parameters are in each hash, so nothing else changes.
var fastHash = auth.HashParams{Memory: 1024, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}

// clock is a settable test clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2025, 3, 10, 9, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }

func (c *clock) Advance(d time.Duration) { c.mu.Lock(); defer c.mu.Unlock(); c.t = c.t.Add(d) }

type fixture struct {
	st    *store.Store
	clock *clock
	svc   *auth.Service
}

func newFixture(t *testing.T, opts auth.Options) *fixture {
	t.Helper()
	st := testdb.New(t)
	c := newClock()
	opts.Secret = secret
	opts.Now = c.Now
	opts.Hash = fastHash
	if opts.MaxFailures == 0 {
		opts.MaxFailures = 3
	}
	if opts.Lockout == 0 {
		opts.Lockout = 15 * time.Minute
	}
	f := &fixture{st: st, clock: c, svc: auth.NewService(st, opts)}
	ctx := context.Background()
	require.NoError(t, st.WithTx(ctx, func(tx *store.Tx) error {
		for _, o := range []store.Org{{ID: "unit-a", Name: "市教育局", Kind: "unit"}, {ID: "drb", Name: "市数据资源管理局", Kind: "drb"}} {
			if err := st.CreateOrg(ctx, tx, &o); err != nil {
				return err
			}
		}
		return nil
	}))
	return f
}

// addUser creates a user with password and roles and returns its id.
func (f *fixture) addUser(t *testing.T, username, org string, demo bool, roles ...string) string {
	t.Helper()
	h, err := auth.HashPassword(password, fastHash)
	require.NoError(t, err)
	id := auth.UserID(username)
	ctx := context.Background()
	require.NoError(t, f.st.WithTx(ctx, func(tx *store.Tx) error {
		return f.st.CreateUser(ctx, tx, store.NewUser{ID: id, Username: username, Name: "测试用户" + username, OrgID: org,
			PasswordHash: h, Roles: roles, Demo: demo})
	}))
	return id
}

func (f *fixture) enableTOTP(t *testing.T, username string) string {
	t.Helper()
	key, err := auth.GenerateTOTP(username)
	require.NoError(t, err)
	ctx := context.Background()
	require.NoError(t, f.st.WithTx(ctx, func(tx *store.Tx) error {
		return f.st.SetTOTPSecret(ctx, tx, auth.UserID(username), key.Secret())
	}))
	return key.Secret()
}

func (f *fixture) login(username, pw, otp string) (auth.LoginResult, error) {
	return f.svc.Login(context.Background(), auth.LoginInput{Username: username, Password: pw, OTP: otp,
		ClientIP: "192.0.2.1", RequestID: "req-1"})
}

func requireCode(t *testing.T, err error, kind apperr.Kind, code string) *apperr.Error {
	t.Helper()
	require.Error(t, err)
	e, ok := apperr.As(err)
	require.True(t, ok, "want *apperr.Error, got %v", err)
	require.Equal(t, code, e.Code, e.Message)
	require.Equal(t, kind, e.Kind)
	require.NotEmpty(t, e.Message)
	return e
}

type auditRow struct {
	ActorID  string `db:"actor_id"`
	Action   string `db:"action"`
	ObjectID string `db:"object_id"`
	Outcome  string `db:"outcome"`
	Request  string `db:"request_id"`
	ClientIP string `db:"client_ip"`
	Detail   string `db:"detail"`
}

func auditRows(t *testing.T, st *store.Store) []auditRow {
	t.Helper()
	var rows []auditRow
	require.NoError(t, st.DB().Select(&rows, `SELECT actor_id, action, object_id, outcome, request_id, client_ip, detail::text AS detail
		FROM audit_log ORDER BY seq`))
	return rows
}

func TestPasswordHashAndVerify(t *testing.T) {
	t.Parallel()
	for _, p := range []auth.HashParams{auth.LightHashParams, auth.DefaultHashParams} {
		h, err := auth.HashPassword("s3cret-Passw0rd", p)
		require.NoError(t, err)
		require.True(t, strings.HasPrefix(h, "$argon2id$v=19$m="), h)
		require.Contains(t, h, "t=1,")

		ok, err := auth.VerifyPassword(h, "s3cret-Passw0rd")
		require.NoError(t, err)
		require.True(t, ok)
		ok, err = auth.VerifyPassword(h, "s3cret-Passw0rD")
		require.NoError(t, err)
		require.False(t, ok)

		h2, err := auth.HashPassword("s3cret-Passw0rd", p)
		require.NoError(t, err)
		require.NotEqual(t, h, h2, "every hash has its own salt")
	}
	for _, bad := range []string{"", "plain", "$argon2i$v=19$m=8192,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA",
		"$argon2id$v=18$m=8192,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA",
		"$argon2id$v=19$m=99999999,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA",
		"$argon2id$v=19$m=8192,t=1,p=0$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA",
		"$argon2id$v=19$m=8192,t=1,p=1$!!$aGFzaGhhc2hoYXNoaGFzaA"} {
		_, err := auth.VerifyPassword(bad, "x")
		require.ErrorIs(t, err, auth.ErrBadHash, bad)
	}
}

func TestPasswordPolicy(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		pw string
		ok bool
	}{
		{"demo-Passw0rd", true},
		{"Short-1a", false},
		{"alllowercaseletters", false},
		{"lowercase-and-digits-123", true},
		{" Leading-space-1", false},
		{strings.Repeat("Aa1-", 100), false},
		{"中文密码Passw0rd", true},
	} {
		err := auth.CheckPasswordPolicy(tc.pw)
		if tc.ok {
			require.NoError(t, err, tc.pw)
		} else {
			requireCode(t, err, apperr.KindInvalid, "invalid_input")
		}
	}
}

func TestLoginAndAuthenticate(t *testing.T) {
	t.Parallel()
	f := newFixture(t, auth.Options{TTL: 20 * time.Minute})
	id := f.addUser(t, "alice", "unit-a", false, domain.RoleSubmitter)

	res, err := f.login(" Alice ", password, "")
	require.NoError(t, err)
	require.NotEmpty(t, res.Token)
	require.Equal(t, f.clock.Now().Add(20*time.Minute), res.ExpiresAt)
	require.Equal(t, domain.Actor{ID: id, OrgID: "unit-a", Roles: []string{domain.RoleSubmitter}, Name: "测试用户alice"}, res.Actor)

	// The token carries the claims of the contract.
	var claims jwt.RegisteredClaims
	_, err = jwt.ParseWithClaims(res.Token, &claims, func(*jwt.Token) (any, error) { return []byte(secret), nil },
		jwt.WithTimeFunc(f.clock.Now), jwt.WithValidMethods([]string{"HS256"}))
	require.NoError(t, err)
	require.Equal(t, id, claims.Subject)
	require.Len(t, claims.ID, 32)
	require.NotNil(t, claims.IssuedAt)

	actor, err := f.svc.Authenticate(context.Background(), res.Token)
	require.NoError(t, err)
	require.Equal(t, res.Actor, actor)

	rows := auditRows(t, f.st)
	require.Len(t, rows, 1)
	require.Equal(t, auth.ActionLogin, rows[0].Action)
	require.Equal(t, "ok", rows[0].Outcome)
	require.Equal(t, id, rows[0].ActorID)
	require.Equal(t, "req-1", rows[0].Request)
	require.Equal(t, "192.0.2.1", rows[0].ClientIP)
	require.Contains(t, rows[0].Detail, claims.ID)
	require.NotContains(t, rows[0].Detail, password)
}

// TestWrongPasswordAndUnknownUser: both answer 401 invalid_credentials (no user enumeration)
// and both are audited as denied.
func TestWrongPasswordAndUnknownUser(t *testing.T) {
	t.Parallel()
	f := newFixture(t, auth.Options{})
	id := f.addUser(t, "alice", "unit-a", false, domain.RoleSubmitter)

	_, err := f.login("alice", "wrong-password", "")
	wrong := requireCode(t, err, apperr.KindUnauthenticated, auth.CodeInvalidCredentials)
	_, err = f.login("nobody", "wrong-password", "")
	unknown := requireCode(t, err, apperr.KindUnauthenticated, auth.CodeInvalidCredentials)
	require.Equal(t, wrong, unknown)
	_, err = f.login("", "", "")
	requireCode(t, err, apperr.KindUnauthenticated, auth.CodeInvalidCredentials)

	rows := auditRows(t, f.st)
	require.Len(t, rows, 2)
	require.Equal(t, []string{id, auth.AnonymousActor}, []string{rows[0].ActorID, rows[1].ActorID})
	require.Equal(t, "nobody", rows[1].ObjectID)
	for _, r := range rows {
		require.Equal(t, "denied", r.Outcome)
		require.NotContains(t, r.Detail, "wrong-password")
	}
}

func TestLockout(t *testing.T) {
	t.Parallel()
	f := newFixture(t, auth.Options{MaxFailures: 3, Lockout: 15 * time.Minute})
	f.addUser(t, "alice", "unit-a", false, domain.RoleSubmitter)

	for i := 0; i < 2; i++ {
		_, err := f.login("alice", "wrong-password", "")
		requireCode(t, err, apperr.KindUnauthenticated, auth.CodeInvalidCredentials)
	}
	_, err := f.login("alice", "wrong-password", "")
	locked := requireCode(t, err, apperr.KindRateLimited, auth.CodeAccountLocked)
	want := f.clock.Now().Add(15 * time.Minute).UTC().Format(time.RFC3339)
	require.Equal(t, want, locked.Extra["locked_until"])

	// Locked: even the right password is refused, until the lock runs out.
	f.clock.Advance(14 * time.Minute)
	_, err = f.login("alice", password, "")
	requireCode(t, err, apperr.KindRateLimited, auth.CodeAccountLocked)

	f.clock.Advance(time.Minute)
	_, err = f.login("alice", password, "")
	require.NoError(t, err)
	var failed int
	require.NoError(t, f.st.DB().Get(&failed, `SELECT failed_logins FROM users WHERE username = 'alice'`))
	require.Zero(t, failed)

	// A success resets the count: two failures, a success, two failures do not lock.
	for _, pw := range []string{"x", "x", password, "x", "x", password} {
		_, err := f.login("alice", pw, "")
		if pw == password {
			require.NoError(t, err)
		} else {
			requireCode(t, err, apperr.KindUnauthenticated, auth.CodeInvalidCredentials)
		}
	}
}

// TestLockoutUnknownUser: a name that is no user locks exactly like a user, so a lockout
// tells nothing about which names exist.
func TestLockoutUnknownUser(t *testing.T) {
	t.Parallel()
	f := newFixture(t, auth.Options{MaxFailures: 3, Lockout: 10 * time.Minute})
	for i := 0; i < 2; i++ {
		_, err := f.login("ghost", "wrong-password", "")
		requireCode(t, err, apperr.KindUnauthenticated, auth.CodeInvalidCredentials)
	}
	_, err := f.login("ghost", "wrong-password", "")
	requireCode(t, err, apperr.KindRateLimited, auth.CodeAccountLocked)
	_, err = f.login("ghost", "wrong-password", "")
	requireCode(t, err, apperr.KindRateLimited, auth.CodeAccountLocked)

	// After the lock the count starts again.
	f.clock.Advance(10 * time.Minute)
	_, err = f.login("ghost", "wrong-password", "")
	requireCode(t, err, apperr.KindUnauthenticated, auth.CodeInvalidCredentials)
}

func TestTOTP(t *testing.T) {
	t.Parallel()
	f := newFixture(t, auth.Options{})
	f.addUser(t, "ndrc1", "drb", false, domain.RoleNDRCApprover)
	sec := f.enableTOTP(t, "ndrc1")

	_, err := f.login("ndrc1", password, "")
	requireCode(t, err, apperr.KindUnauthenticated, auth.CodeOTPRequired)
	_, err = f.login("ndrc1", password, "000000x")
	requireCode(t, err, apperr.KindUnauthenticated, auth.CodeInvalidOTP)

	// A code of a step far away is refused.
	old, err := totp.GenerateCode(sec, f.clock.Now().Add(-5*time.Minute))
	require.NoError(t, err)
	_, err = f.login("ndrc1", password, old)
	requireCode(t, err, apperr.KindRateLimited, auth.CodeAccountLocked) // third failure of MaxFailures 3

	f.clock.Advance(15 * time.Minute)
	code, err := totp.GenerateCode(sec, f.clock.Now())
	require.NoError(t, err)
	_, err = f.login("ndrc1", "wrong-password", code)
	requireCode(t, err, apperr.KindUnauthenticated, auth.CodeInvalidCredentials)
	res, err := f.login("ndrc1", password, code)
	require.NoError(t, err)
	require.NotEmpty(t, res.Token)

	// A code is accepted once.
	_, err = f.login("ndrc1", password, code)
	requireCode(t, err, apperr.KindUnauthenticated, auth.CodeInvalidOTP)

	// The next step's code works (also with the clock one step behind the phone).
	next, err := totp.GenerateCode(sec, f.clock.Now().Add(30*time.Second))
	require.NoError(t, err)
	_, err = f.login("ndrc1", password, next)
	require.NoError(t, err)
}

// TestProductionRules: in production mode approver/admin/ops/supervisor roles need TOTP and
// demo users are refused.
func TestProductionRules(t *testing.T) {
	t.Parallel()
	f := newFixture(t, auth.Options{Production: true})
	f.addUser(t, "admin", "drb", false, domain.RoleAdmin)
	f.addUser(t, "sup", "drb", false, domain.RoleDRBReviewer, domain.RoleDRBSupervisor)
	f.addUser(t, "alice", "unit-a", false, domain.RoleSubmitter)
	f.addUser(t, "demo", "unit-a", true, domain.RoleSubmitter)

	for _, u := range []string{"admin", "sup"} {
		_, err := f.login(u, password, "")
		e := requireCode(t, err, apperr.KindForbidden, auth.CodeTOTPRequired)
		require.Contains(t, e.Message, "动态口令")
	}
	// A wrong password still says only "invalid credentials".
	_, err := f.login("admin", "wrong-password", "")
	requireCode(t, err, apperr.KindUnauthenticated, auth.CodeInvalidCredentials)

	sec := f.enableTOTP(t, "admin")
	code, err := totp.GenerateCode(sec, f.clock.Now())
	require.NoError(t, err)
	_, err = f.login("admin", password, code)
	require.NoError(t, err)

	_, err = f.login("alice", password, "")
	require.NoError(t, err)

	_, err = f.login("demo", password, "")
	requireCode(t, err, apperr.KindForbidden, auth.CodeDemoUserRefused)

	// A demo token made in dev mode with the same secret is refused in production mode.
	dev := auth.NewService(f.st, auth.Options{Secret: secret, Now: f.clock.Now, Hash: fastHash})
	res, err := dev.Login(context.Background(), auth.LoginInput{Username: "demo", Password: password})
	require.NoError(t, err)
	_, err = f.svc.Authenticate(context.Background(), res.Token)
	requireCode(t, err, apperr.KindUnauthenticated, auth.CodeUnauthenticated)
}

func TestTokenExpiry(t *testing.T) {
	t.Parallel()
	f := newFixture(t, auth.Options{TTL: 30 * time.Minute})
	f.addUser(t, "alice", "unit-a", false, domain.RoleSubmitter)
	res, err := f.login("alice", password, "")
	require.NoError(t, err)

	f.clock.Advance(30*time.Minute - time.Second)
	_, err = f.svc.Authenticate(context.Background(), res.Token)
	require.NoError(t, err)

	f.clock.Advance(time.Second)
	_, err = f.svc.Authenticate(context.Background(), res.Token)
	requireCode(t, err, apperr.KindUnauthenticated, auth.CodeTokenExpired)

	// Logging out with an expired token is a no-op, not an error.
	require.NoError(t, f.svc.Logout(context.Background(), res.Token))
}

func TestLogoutRevokes(t *testing.T) {
	t.Parallel()
	f := newFixture(t, auth.Options{})
	f.addUser(t, "alice", "unit-a", false, domain.RoleSubmitter)
	ctx := context.Background()
	first, err := f.login("alice", password, "")
	require.NoError(t, err)
	second, err := f.login("alice", password, "")
	require.NoError(t, err)

	require.NoError(t, f.svc.Logout(ctx, first.Token))
	_, err = f.svc.Authenticate(ctx, first.Token)
	requireCode(t, err, apperr.KindUnauthenticated, auth.CodeTokenRevoked)
	require.NoError(t, f.svc.Logout(ctx, first.Token), "a second logout is a no-op")

	// Other sessions of the same user stay valid.
	_, err = f.svc.Authenticate(ctx, second.Token)
	require.NoError(t, err)

	err = f.svc.Logout(ctx, "not-a-token")
	requireCode(t, err, apperr.KindUnauthenticated, auth.CodeUnauthenticated)

	// Once the revoked token has expired its revocation can go.
	f.clock.Advance(time.Hour)
	n, err := f.svc.PruneRevoked(ctx)
	require.NoError(t, err)
	require.EqualValues(t, 1, n)
	_, err = f.svc.Authenticate(ctx, first.Token)
	requireCode(t, err, apperr.KindUnauthenticated, auth.CodeTokenExpired)
}

func TestDisabledUser(t *testing.T) {
	t.Parallel()
	f := newFixture(t, auth.Options{})
	id := f.addUser(t, "alice", "unit-a", false, domain.RoleSubmitter)
	ctx := context.Background()
	res, err := f.login("alice", password, "")
	require.NoError(t, err)

	require.NoError(t, f.st.WithTx(ctx, func(tx *store.Tx) error { return f.st.SetUserDisabled(ctx, tx, id, true) }))
	_, err = f.svc.Authenticate(ctx, res.Token)
	requireCode(t, err, apperr.KindUnauthenticated, auth.CodeUnauthenticated)
	_, err = f.login("alice", password, "")
	requireCode(t, err, apperr.KindForbidden, auth.CodeAccountDisabled)
	_, err = f.login("alice", "wrong-password", "")
	requireCode(t, err, apperr.KindUnauthenticated, auth.CodeInvalidCredentials)

	// Enabled again: she signs in anew; the token from before the disable stays dead.
	require.NoError(t, f.st.WithTx(ctx, func(tx *store.Tx) error { return f.st.SetUserDisabled(ctx, tx, id, false) }))
	_, err = f.svc.Authenticate(ctx, res.Token)
	requireCode(t, err, apperr.KindUnauthenticated, auth.CodeTokenRevoked)
	_, err = f.svc.Refresh(ctx, res.Token, "", "")
	requireCode(t, err, apperr.KindUnauthenticated, auth.CodeTokenRevoked)
	again, err := f.login("alice", password, "")
	require.NoError(t, err)
	_, err = f.svc.Authenticate(ctx, again.Token)
	require.NoError(t, err)
	refreshed, err := f.svc.Refresh(ctx, again.Token, "", "")
	require.NoError(t, err)
	_, err = f.svc.Authenticate(ctx, refreshed.Token)
	require.NoError(t, err, "a refreshed token keeps the session's version")
}

// TestRoleChangeTakesEffect: roles are reloaded on every request.
func TestRoleChangeTakesEffect(t *testing.T) {
	t.Parallel()
	f := newFixture(t, auth.Options{})
	id := f.addUser(t, "drbsup", "drb", false, domain.RoleDRBReviewer, domain.RoleDRBSupervisor)
	ctx := context.Background()
	res, err := f.login("drbsup", password, "")
	require.NoError(t, err)
	require.ElementsMatch(t, []string{domain.RoleDRBReviewer, domain.RoleDRBSupervisor}, res.Actor.Roles)

	require.NoError(t, f.st.WithTx(ctx, func(tx *store.Tx) error {
		return f.st.SetUserRoles(ctx, tx, id, []string{domain.RoleDRBReviewer})
	}))
	a, err := f.svc.Authenticate(ctx, res.Token)
	require.NoError(t, err)
	require.Equal(t, []string{domain.RoleDRBReviewer}, a.Roles)

	require.NoError(t, f.st.WithTx(ctx, func(tx *store.Tx) error { return f.st.SetUserRoles(ctx, tx, id, nil) }))
	a, err = f.svc.Authenticate(ctx, res.Token)
	require.NoError(t, err)
	require.Empty(t, a.Roles)
	require.NotNil(t, a.Roles)
}

func TestForgedTokensRefused(t *testing.T) {
	t.Parallel()
	f := newFixture(t, auth.Options{})
	id := f.addUser(t, "alice", "unit-a", false, domain.RoleSubmitter)
	now := f.clock.Now()
	claims := jwt.RegisteredClaims{Issuer: auth.TokenIssuer, Subject: id, ID: "abc",
		IssuedAt: jwt.NewNumericDate(now), ExpiresAt: jwt.NewNumericDate(now.Add(time.Hour))}
	sign := func(m jwt.SigningMethod, key any, c jwt.Claims) string {
		s, err := jwt.NewWithClaims(m, c).SignedString(key)
		require.NoError(t, err)
		return s
	}
	good := sign(jwt.SigningMethodHS256, []byte(secret), claims)
	_, err := f.svc.Authenticate(context.Background(), good)
	require.NoError(t, err, "the control token is accepted")

	noExp := claims
	noExp.ExpiresAt = nil
	otherIss := claims
	otherIss.Issuer = "someone-else"
	ghost := claims
	ghost.Subject = "u-ghost"
	future := claims
	future.IssuedAt = jwt.NewNumericDate(now.Add(time.Hour))
	for name, tok := range map[string]string{
		"garbage":        "garbage",
		"empty":          "",
		"huge":           strings.Repeat("a", 10000),
		"wrong secret":   sign(jwt.SigningMethodHS256, []byte("another-secret"), claims),
		"alg none":       sign(jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, claims),
		"HS512":          sign(jwt.SigningMethodHS512, []byte(secret), claims),
		"no exp":         sign(jwt.SigningMethodHS256, []byte(secret), noExp),
		"other issuer":   sign(jwt.SigningMethodHS256, []byte(secret), otherIss),
		"unknown user":   sign(jwt.SigningMethodHS256, []byte(secret), ghost),
		"issued later":   sign(jwt.SigningMethodHS256, []byte(secret), future),
		"tampered claim": good[:len(good)-3] + "abc",
	} {
		t.Run(name, func(t *testing.T) {
			_, err := f.svc.Authenticate(context.Background(), tok)
			requireCode(t, err, apperr.KindUnauthenticated, auth.CodeUnauthenticated)
		})
	}
}

func TestLoginRateLimit(t *testing.T) {
	t.Parallel()
	f := newFixture(t, auth.Options{LoginBurst: 2, LoginEvery: time.Minute, MaxFailures: 100})
	f.addUser(t, "alice", "unit-a", false, domain.RoleSubmitter)
	for i := 0; i < 2; i++ {
		_, err := f.login("alice", "wrong-password", "")
		requireCode(t, err, apperr.KindUnauthenticated, auth.CodeInvalidCredentials)
	}
	_, err := f.login("alice", password, "")
	e := requireCode(t, err, apperr.KindRateLimited, auth.CodeRateLimited)
	require.Equal(t, 60, e.Extra["retry_after_seconds"])
	require.Len(t, auditRows(t, f.st), 2, "refused attempts are not audited (no audit flooding)")

	// Another client IP has its own budget; the same one waits.
	_, err = f.svc.Login(context.Background(), auth.LoginInput{Username: "alice", Password: password, ClientIP: "192.0.2.2"})
	require.NoError(t, err)
	f.clock.Advance(time.Minute)
	_, err = f.login("alice", password, "")
	require.NoError(t, err)
}

func TestLimiter(t *testing.T) {
	t.Parallel()
	c := newClock()
	l := auth.NewLimiter(time.Second, 3, c.Now)
	for i := 0; i < 3; i++ {
		ok, _ := l.Allow("k")
		require.True(t, ok)
	}
	ok, wait := l.Allow("k")
	require.False(t, ok)
	require.Equal(t, time.Second, wait)
	ok, _ = l.Allow("other")
	require.True(t, ok)
	c.Advance(2 * time.Second)
	for i := 0; i < 2; i++ {
		ok, _ := l.Allow("k")
		require.True(t, ok)
	}
	ok, _ = l.Allow("k")
	require.False(t, ok)

	// Until reads the next turn without spending it (a bulk request's wait).
	require.Zero(t, l.Until("never-seen"))
	require.Equal(t, time.Second, l.Until("k"))
	c.Advance(400 * time.Millisecond)
	require.Equal(t, 600*time.Millisecond, l.Until("k"))
	require.Equal(t, 600*time.Millisecond, l.Until("k"), "reading spends nothing")
	c.Advance(600 * time.Millisecond)
	require.Zero(t, l.Until("k"))
	ok, _ = l.Allow("k")
	require.True(t, ok)
	require.Equal(t, time.Second, l.Until("k"))
}

// TestAuthenticateTask: the task routes' authentication reads the task in the same round trip
// and refuses exactly what Authenticate refuses; a missing task is left to the handler (404).
func TestAuthenticateTask(t *testing.T) {
	t.Parallel()
	f := newFixture(t, auth.Options{})
	id := f.addUser(t, "alice", "unit-a", false, domain.RoleSubmitter)
	ctx := context.Background()
	_, err := f.st.DB().Exec(`INSERT INTO projects (id, unit_id, name, type, plan_year, estimated_investment_fen, mlps_level, stage, created_by)
		VALUES ('p1', 'unit-a', '项目', 'new', 2031, 100, 2, 'prelim_review', $1)`, id)
	require.NoError(t, err)
	_, err = f.st.DB().Exec(`INSERT INTO tasks (id, kind, workflow_id, project_id, candidate_role, due_at)
		VALUES ('t1', 'prelim_review', 'project:p1', 'p1', 'drb_reviewer', now())`)
	require.NoError(t, err)
	res, err := f.login("alice", password, "")
	require.NoError(t, err)

	a, task, ok, err := f.svc.AuthenticateTask(ctx, res.Token, "t1")
	require.NoError(t, err)
	require.True(t, ok, "the task is read with the session")
	require.Equal(t, "t1", task.ID)
	require.Equal(t, "unit-a", task.ProjectUnitID.String)
	want, err := f.svc.Authenticate(ctx, res.Token)
	require.NoError(t, err)
	require.Equal(t, want, a)

	a, _, ok, err = f.svc.AuthenticateTask(ctx, res.Token, "no-such-task")
	require.NoError(t, err)
	require.False(t, ok)
	require.Equal(t, want, a, "a missing task still authenticates")

	_, _, _, err = f.svc.AuthenticateTask(ctx, "not-a-token", "t1")
	requireCode(t, err, apperr.KindUnauthenticated, auth.CodeUnauthenticated)

	require.NoError(t, f.st.WithTx(ctx, func(tx *store.Tx) error { return f.st.SetUserDisabled(ctx, tx, id, true) }))
	_, _, ok, err = f.svc.AuthenticateTask(ctx, res.Token, "t1")
	requireCode(t, err, apperr.KindUnauthenticated, auth.CodeUnauthenticated)
	require.False(t, ok)
	require.NoError(t, f.st.WithTx(ctx, func(tx *store.Tx) error { return f.st.SetUserDisabled(ctx, tx, id, false) }))

	require.NoError(t, f.svc.Logout(ctx, res.Token))
	for _, task := range []string{"t1", "no-such-task"} {
		_, _, ok, err = f.svc.AuthenticateTask(ctx, res.Token, task)
		requireCode(t, err, apperr.KindUnauthenticated, auth.CodeTokenRevoked)
		require.False(t, ok)
	}
}
