// Package auth authenticates people: argon2id passwords, TOTP second factor, lockout,
// signed short-lived tokens and their revocation.
//
// Tokens are HS256 JWTs (sub = user id, jti random, iat, exp). Every request reloads the
// user, their org and roles from PostgreSQL, so disabling a user or removing a role takes
// effect on the next request; logout revokes the jti in PostgreSQL until the token expires.
package auth

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"time"

	"egovpm/internal/apperr"
	"egovpm/internal/audit"
	"egovpm/internal/domain"
	"egovpm/internal/store"
)

// Error codes of this package (stable; clients and tests rely on them).
const (
	CodeInvalidCredentials = "invalid_credentials"
	CodeOTPRequired        = "otp_required"
	CodeInvalidOTP         = "invalid_otp"
	CodeAccountLocked      = "account_locked"
	CodeRateLimited        = "rate_limited"
	CodeAccountDisabled    = "account_disabled"
	CodeDemoUserRefused    = "demo_user_refused"
	CodeTOTPRequired       = "totp_required"
	CodeUnauthenticated    = "unauthenticated"
	CodeTokenExpired       = "token_expired"
	CodeTokenRevoked       = "token_revoked"
	// CodePasswordChangeRequired: the session's user still has an initial password; only
	// changing it (and me, refresh, logout) is admitted.
	CodePasswordChangeRequired = "password_change_required"
	// CodeWrongPassword: a password change named a current password that is not the user's.
	CodeWrongPassword = "wrong_password"
)

// Audit actions written by this package.
const (
	ActionLogin  = "auth.login"
	ActionLogout = "auth.logout"
	// ActionRefresh is a token exchanged for a fresh one (the session renews while in use).
	ActionRefresh = "auth.refresh"
	// ActionPassword is a password change by the user.
	ActionPassword = "auth.password"
)

// AnonymousActor is the audit actor of a login attempt with a username that is no user.
const AnonymousActor = "anonymous"

// Defaults applied by NewService to zero Options.
const (
	DefaultTTL         = 30 * time.Minute
	DefaultMaxFailures = 5
	DefaultLockout     = 15 * time.Minute
	DefaultLoginBurst  = 10
	DefaultLoginEvery  = 6 * time.Second
	DefaultIPBurst     = 200
	DefaultIPEvery     = 250 * time.Millisecond
)

// maxTokenBytes bounds what Authenticate parses.
const maxTokenBytes = 4096

// maxUsernameBytes is the longest username (schema: 63 characters of [a-z0-9_.-]).
const maxUsernameBytes = 64

// china is Asia/Shanghai (no daylight saving) for messages that show a time.
var china = time.FixedZone("CST", 8*3600)

// Options configure the Service.
type Options struct {
	Secret      string
	TTL         time.Duration
	MaxFailures int
	Lockout     time.Duration
	Production  bool
	// Now is the clock; nil means time.Now.
	Now func() time.Time

	// Hash are the argon2id parameters of new hashes (HashPassword) and of the decoy hash
	// verified for unknown usernames; zero means DefaultHashParams.
	Hash HashParams
	// LoginBurst and LoginEvery limit login attempts per username and client IP: LoginBurst
	// at once, then one every LoginEvery. Zero means DefaultLoginBurst, DefaultLoginEvery.
	LoginBurst int
	LoginEvery time.Duration
	// IPBurst and IPEvery limit login attempts per client IP whatever the username. Zero means
	// DefaultIPBurst, DefaultIPEvery.
	IPBurst int
	IPEvery time.Duration
	// MaxConcurrentHashes bounds parallel argon2id verifications (each takes Hash.Memory).
	// Zero means max(2, GOMAXPROCS).
	MaxConcurrentHashes int
}

// Service authenticates users.
type Service struct {
	store     *store.Store
	opts      Options
	now       func() time.Time
	userLimit *Limiter
	ipLimit   *Limiter
	hashSlots chan struct{}

	decoyOnce sync.Once
	decoy     string
	decoyErr  error

	pruneMu   sync.Mutex
	lastPrune time.Time
}

// NewService returns a Service over st, applying the defaults to zero options.
func NewService(st *store.Store, opts Options) *Service {
	opts.TTL = cmp.Or(opts.TTL, DefaultTTL)
	opts.MaxFailures = cmp.Or(opts.MaxFailures, DefaultMaxFailures)
	opts.Lockout = cmp.Or(opts.Lockout, DefaultLockout)
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Hash.Memory == 0 || opts.Hash.Time == 0 || opts.Hash.Threads == 0 {
		opts.Hash = DefaultHashParams
	}
	opts.LoginBurst = cmp.Or(opts.LoginBurst, DefaultLoginBurst)
	opts.LoginEvery = cmp.Or(opts.LoginEvery, DefaultLoginEvery)
	opts.IPBurst = cmp.Or(opts.IPBurst, DefaultIPBurst)
	opts.IPEvery = cmp.Or(opts.IPEvery, DefaultIPEvery)
	opts.MaxConcurrentHashes = cmp.Or(opts.MaxConcurrentHashes, max(2, runtime.GOMAXPROCS(0)))
	return &Service{
		store:     st,
		opts:      opts,
		now:       opts.Now,
		userLimit: NewLimiter(opts.LoginEvery, opts.LoginBurst, opts.Now),
		ipLimit:   NewLimiter(opts.IPEvery, opts.IPBurst, opts.Now),
		hashSlots: make(chan struct{}, opts.MaxConcurrentHashes),
	}
}

// HashPassword hashes a new password with the Service's parameters after checking it
// against the password policy (400 with a "password" field error when it fails).
func (s *Service) HashPassword(password string) (string, error) {
	if err := CheckPasswordPolicy(password); err != nil {
		return "", err
	}
	return HashPassword(password, s.opts.Hash)
}

// LoginInput is a login attempt.
type LoginInput struct {
	Username  string
	Password  string
	OTP       string
	ClientIP  string
	RequestID string
}

// LoginResult is a successful login (or refresh).
type LoginResult struct {
	Token     string       `json:"token"`
	ExpiresAt time.Time    `json:"expires_at"`
	Actor     domain.Actor `json:"user"`
	// MustChangePassword: the user signed in with an initial password and must change it
	// (POST /api/v1/auth/password) before anything else.
	MustChangePassword bool `json:"must_change_password"`
}

func errInvalidCredentials() error {
	return apperr.Unauthorized(CodeInvalidCredentials, "用户名或密码错误")
}

func errLocked(until time.Time) error {
	return apperr.New(apperr.KindRateLimited, CodeAccountLocked,
		fmt.Sprintf("登录失败次数过多，账号已锁定至 %s（北京时间），请届时再试或联系管理员解锁",
			until.In(china).Format("2006-01-02 15:04:05"))).
		WithExtra("locked_until", until.UTC().Format(time.RFC3339))
}

func errRateLimited(wait time.Duration) error {
	secs := int((wait + time.Second - 1) / time.Second)
	return apperr.New(apperr.KindRateLimited, CodeRateLimited,
		fmt.Sprintf("登录尝试过于频繁，请 %d 秒后再试", secs)).WithExtra("retry_after_seconds", secs)
}

// loginAttempt carries what the audit row of one attempt needs.
type loginAttempt struct {
	in       LoginInput
	username string
}

func (a loginAttempt) entry(actorID, orgID, objectID, outcome string, detail map[string]any) audit.Entry {
	detail["username"] = a.username
	return audit.Entry{ActorID: actorID, OrgID: orgID, Action: ActionLogin, ObjectType: "user", ObjectID: objectID,
		Outcome: outcome, RequestID: a.in.RequestID, ClientIP: a.in.ClientIP, Detail: detail}
}

// Login checks credentials (password, then TOTP where enabled), the lockout and the
// production-mode rules, and issues a token. Every attempt past the rate limit is audited,
// the failures with outcome "denied". Unknown usernames and wrong passwords answer alike.
func (s *Service) Login(ctx context.Context, in LoginInput) (LoginResult, error) {
	username := strings.ToLower(strings.TrimSpace(in.Username))
	if len(username) > maxUsernameBytes {
		username = username[:maxUsernameBytes]
	}
	if ok, wait := s.ipLimit.Allow(in.ClientIP); !ok {
		return LoginResult{}, errRateLimited(wait)
	}
	if ok, wait := s.userLimit.Allow(username + "\x00" + in.ClientIP); !ok {
		return LoginResult{}, errRateLimited(wait)
	}
	a := loginAttempt{in: in, username: username}
	if len(s.opts.Secret) == 0 {
		return LoginResult{}, errors.New("auth: no token secret configured")
	}
	cred, err := s.store.Credentials(ctx, username)
	if errors.Is(err, store.ErrNotFound) || username == "" {
		return LoginResult{}, s.loginUnknown(ctx, a)
	}
	if err != nil {
		return LoginResult{}, err
	}
	now := s.now()
	if now.Before(cred.LockedUntil.Time) {
		if err := s.auditOnly(ctx, a.entry(cred.ID, cred.OrgID, cred.ID, "denied", map[string]any{"reason": CodeAccountLocked})); err != nil {
			return LoginResult{}, err
		}
		return LoginResult{}, errLocked(cred.LockedUntil.Time)
	}
	ok, err := s.verify(ctx, cred.PasswordHash, in.Password)
	if err != nil {
		return LoginResult{}, err
	}
	if !ok {
		return LoginResult{}, s.loginFailed(ctx, a, cred, "bad_password", errInvalidCredentials())
	}
	step, err := s.admit(ctx, a, cred, in.OTP, now)
	if err != nil {
		return LoginResult{}, err
	}

	tok, err := s.issue(cred.ID, cred.SessionVersion, now)
	if err != nil {
		return LoginResult{}, err
	}
	errReplay := errors.New("totp code replayed")
	err = s.store.WithTx(ctx, func(tx *store.Tx) error {
		if cred.TOTPSecret.Valid {
			fresh, err := s.store.UseTOTPStep(ctx, tx, cred.ID, step)
			if err != nil {
				return err
			}
			if !fresh {
				return errReplay
			}
		}
		if err := s.store.ResetLoginFailures(ctx, tx, cred.ID); err != nil {
			return err
		}
		return s.store.AppendAudit(ctx, tx, a.entry(cred.ID, cred.OrgID, cred.ID, "ok", map[string]any{
			"token_id": tok.id, "expires_at": tok.expiresAt.UTC().Format(time.RFC3339), "totp": cred.TOTPSecret.Valid}))
	})
	if errors.Is(err, errReplay) {
		return LoginResult{}, s.loginFailed(ctx, a, cred, "otp_replayed", errInvalidOTP())
	}
	if err != nil {
		return LoginResult{}, err
	}
	return LoginResult{Token: tok.signed, ExpiresAt: tok.expiresAt, Actor: domain.Actor{
		ID: cred.ID, OrgID: cred.OrgID, Roles: rolesOf(cred.User), Name: cred.Name}, MustChangePassword: cred.MustChangePassword}, nil
}

// admit decides, once the password is right, whether cred may come in: not disabled, not a
// demo user in production, and with a valid one-time code when TOTP is set (returning its
// step) or not required by the roles. Its refusals may tell the person why.
func (s *Service) admit(ctx context.Context, a loginAttempt, cred store.Credentials, otp string, now time.Time) (int64, error) {
	// The password is right; what follows may tell the person why they cannot come in.
	if cred.Disabled {
		return 0, s.refuse(ctx, a, cred, apperr.Forbidden(CodeAccountDisabled, "账号已停用，请联系管理员"))
	}
	if s.opts.Production && cred.Demo {
		return 0, s.refuse(ctx, a, cred, apperr.Forbidden(CodeDemoUserRefused, "生产模式下不允许演示账号登录"))
	}
	if cred.TOTPSecret.Valid {
		if strings.TrimSpace(otp) == "" {
			// Counted as a failure: otherwise this answer would be a free password oracle.
			return 0, s.loginFailed(ctx, a, cred, CodeOTPRequired,
				apperr.Unauthorized(CodeOTPRequired, "该账号已启用动态口令，请输入身份验证器中的 6 位动态口令"))
		}
		step, valid := checkTOTP(cred.TOTPSecret.String, otp, now)
		if !valid {
			return 0, s.loginFailed(ctx, a, cred, CodeInvalidOTP, errInvalidOTP())
		}
		return step, nil
	}
	if s.opts.Production && NeedsTOTP(cred.Roles) {
		return 0, s.refuse(ctx, a, cred, apperr.Forbidden(CodeTOTPRequired,
			"您的角色要求启用动态口令（TOTP）双因素认证，请联系管理员绑定身份验证器后再登录"))
	}
	return 0, nil
}

func errInvalidOTP() error {
	return apperr.Unauthorized(CodeInvalidOTP, "动态口令错误或已被使用，请输入身份验证器中最新的动态口令")
}

func rolesOf(u store.User) []string {
	if u.Roles == nil {
		return []string{}
	}
	return []string(u.Roles)
}

// loginUnknown handles a username that is no user exactly like a wrong password: the same
// hashing work, the same lockout counting, the same answer.
func (s *Service) loginUnknown(ctx context.Context, a loginAttempt) error {
	now := s.now()
	lock, err := s.store.UnknownLoginLock(ctx, a.username)
	if err != nil {
		return err
	}
	if lock.Locked(now) {
		if err := s.auditOnly(ctx, a.entry(AnonymousActor, "", a.username, "denied", map[string]any{"reason": CodeAccountLocked})); err != nil {
			return err
		}
		return errLocked(lock.LockedUntil)
	}
	decoy, err := s.decoyHash()
	if err != nil {
		return err
	}
	if _, err := s.verify(ctx, decoy, a.in.Password); err != nil {
		return err
	}
	if a.username == "" {
		return errInvalidCredentials()
	}
	err = s.store.WithTx(ctx, func(tx *store.Tx) error {
		lock, err = s.store.RecordUnknownLoginFailure(ctx, tx, a.username, now, s.opts.MaxFailures, s.opts.Lockout)
		if err != nil {
			return err
		}
		return s.store.AppendAudit(ctx, tx, a.entry(AnonymousActor, "", a.username, "denied",
			map[string]any{"reason": "bad_password"}))
	})
	if err != nil {
		return err
	}
	if lock.Locked(now) {
		return errLocked(lock.LockedUntil)
	}
	return errInvalidCredentials()
}

// loginFailed counts a failed attempt of a known user (locking the account at the limit),
// audits it and returns answer, or the lockout when this attempt triggered it.
func (s *Service) loginFailed(ctx context.Context, a loginAttempt, cred store.Credentials, reason string, answer error) error {
	now := s.now()
	var lock store.LoginLock
	err := s.store.WithTx(ctx, func(tx *store.Tx) error {
		var err error
		lock, err = s.store.RecordLoginFailure(ctx, tx, cred.ID, now, s.opts.MaxFailures, s.opts.Lockout)
		if err != nil {
			return err
		}
		return s.store.AppendAudit(ctx, tx, a.entry(cred.ID, cred.OrgID, cred.ID, "denied",
			map[string]any{"reason": reason, "failures": lock.Failures}))
	})
	if err != nil {
		return err
	}
	if lock.Locked(now) {
		return errLocked(lock.LockedUntil)
	}
	return answer
}

// refuse audits a login refused for a reason other than bad credentials and returns answer.
func (s *Service) refuse(ctx context.Context, a loginAttempt, cred store.Credentials, answer *apperr.Error) error {
	if err := s.auditOnly(ctx, a.entry(cred.ID, cred.OrgID, cred.ID, "denied", map[string]any{"reason": answer.Code})); err != nil {
		return err
	}
	return answer
}

func (s *Service) auditOnly(ctx context.Context, e audit.Entry) error {
	return s.store.WithTx(ctx, func(tx *store.Tx) error { return s.store.AppendAudit(ctx, tx, e) })
}

// verify checks a password against a stored hash, holding one of the hashing slots so that
// a burst of logins cannot exhaust memory.
func (s *Service) verify(ctx context.Context, hash, password string) (bool, error) {
	select {
	case s.hashSlots <- struct{}{}:
	case <-ctx.Done():
		return false, ctx.Err()
	}
	defer func() { <-s.hashSlots }()
	ok, err := VerifyPassword(hash, password)
	if errors.Is(err, ErrBadHash) {
		// A corrupt stored hash matches nothing; the person sees a failed login.
		return false, nil
	}
	return ok, err
}

// decoyHash is a hash of a random password made with the Service's parameters, verified for
// unknown usernames so that they take as long as known ones.
func (s *Service) decoyHash() (string, error) {
	s.decoyOnce.Do(func() {
		s.decoy, s.decoyErr = HashPassword(randomID(), s.opts.Hash)
	})
	return s.decoy, s.decoyErr
}

// Authenticate verifies a bearer token (signature, algorithm, expiry, revocation) and
// returns its actor with the org and roles the user has now. Errors are 401 *apperr.Error
// with code unauthenticated, token_expired or token_revoked, and 403
// password_change_required while the user still has an initial password.
func (s *Service) Authenticate(ctx context.Context, token string) (domain.Actor, error) {
	a, mustChange, err := s.AuthenticateSession(ctx, token)
	if err == nil && mustChange {
		return domain.Actor{}, errPasswordChangeRequired()
	}
	return a, err
}

// AuthenticateSession is Authenticate for the routes a user with an initial password may
// use (me, password change, refresh, logout): it admits them and says so with mustChange.
func (s *Service) AuthenticateSession(ctx context.Context, token string) (a domain.Actor, mustChange bool, err error) {
	c, err := s.parse(token)
	if err != nil {
		return domain.Actor{}, false, err
	}
	// One query: the user as they are now and the token's revocation.
	u, revoked, err := s.store.SessionUser(ctx, c.Subject, c.ID)
	a, err = s.sessionActor(c, u, revoked, err)
	return a, err == nil && u.MustChangePassword, err
}

// AuthenticateTask is Authenticate that also reads task taskID in the same round trip (the
// routes that act on one task). ok is false when there is no such task: with a nil error the
// token is good and the task does not exist (404).
func (s *Service) AuthenticateTask(ctx context.Context, token, taskID string) (a domain.Actor, t store.Task, ok bool, err error) {
	c, err := s.parse(token)
	if err != nil {
		return domain.Actor{}, t, false, err
	}
	u, revoked, t, found, err := s.store.SessionUserTask(ctx, c.Subject, c.ID, taskID)
	if err != nil {
		return domain.Actor{}, t, false, err
	}
	if !found {
		u, revoked, err = s.store.SessionUser(ctx, c.Subject, c.ID)
	}
	a, err = s.sessionActor(c, u, revoked, err)
	if err == nil && u.MustChangePassword {
		return domain.Actor{}, t, false, errPasswordChangeRequired()
	}
	return a, t, found && err == nil, err
}

func errPasswordChangeRequired() error {
	return apperr.Forbidden(CodePasswordChangeRequired, "您正在使用管理员设置的初始密码，请先修改密码")
}

// sessionActor is the actor of token c's user u (as SessionUser returned it), or why the token
// no longer signs anyone in: revoked by a logout, or signed before an administrator reset the
// user's password or disabled them (its session version is no longer the user's).
func (s *Service) sessionActor(c *claims, u store.User, revoked bool, err error) (domain.Actor, error) {
	if errors.Is(err, store.ErrNotFound) {
		return domain.Actor{}, errUnauthenticated()
	}
	if err != nil {
		return domain.Actor{}, err
	}
	if revoked {
		return domain.Actor{}, apperr.Unauthorized(CodeTokenRevoked, "登录凭证已注销，请重新登录")
	}
	if u.Disabled {
		return domain.Actor{}, apperr.Unauthorized(CodeUnauthenticated, "账号已停用，请联系管理员")
	}
	if c.SessionVersion != u.SessionVersion {
		return domain.Actor{}, apperr.Unauthorized(CodeTokenRevoked, "管理员已重置密码或停用账号，原登录已失效，请重新登录")
	}
	if s.opts.Production && u.Demo {
		return domain.Actor{}, apperr.Unauthorized(CodeUnauthenticated, "生产模式下不允许演示账号登录")
	}
	return domain.Actor{ID: u.ID, OrgID: u.OrgID, Roles: rolesOf(u), Name: u.Name}, nil
}

// Refresh exchanges a valid token for a fresh one of the full TTL and revokes the old one,
// audited in the same transaction: the session renews while the person is active, and stays
// one live token. An expired or revoked token cannot be refreshed (sign in again).
func (s *Service) Refresh(ctx context.Context, token, clientIP, requestID string) (LoginResult, error) {
	c, err := s.parse(token)
	if err != nil {
		return LoginResult{}, err
	}
	u, revoked, err := s.store.SessionUser(ctx, c.Subject, c.ID)
	a, err := s.sessionActor(c, u, revoked, err)
	if err != nil {
		return LoginResult{}, err
	}
	tok, err := s.issue(u.ID, u.SessionVersion, s.now())
	if err != nil {
		return LoginResult{}, err
	}
	err = s.store.WithTx(ctx, func(tx *store.Tx) error {
		if err := s.store.RevokeToken(ctx, tx, c.ID, c.Subject, c.ExpiresAt.Time); err != nil {
			return err
		}
		return s.store.AppendAudit(ctx, tx, audit.Entry{ActorID: u.ID, OrgID: u.OrgID, Action: ActionRefresh,
			ObjectType: "user", ObjectID: u.ID, Outcome: "ok", RequestID: requestID, ClientIP: clientIP,
			Detail: map[string]any{"token_id": tok.id, "replaces": c.ID, "expires_at": tok.expiresAt.UTC().Format(time.RFC3339)}})
	})
	if err != nil {
		return LoginResult{}, err
	}
	return LoginResult{Token: tok.signed, ExpiresAt: tok.expiresAt, Actor: a, MustChangePassword: u.MustChangePassword}, nil
}

// PasswordChange is a user's request to replace their password.
type PasswordChange struct {
	UserID    string
	Current   string
	New       string
	ClientIP  string
	RequestID string
}

// ChangePassword replaces a user's password after checking the current one (a wrong one
// counts as a failed login and can lock the account, so this is no password oracle), the
// password policy and that the new one differs. It clears must_change_password; the change
// is audited. Every session the user held ends, the one that asked too: it goes on with the
// token returned (whoever else held a token, from the old password, is out). Errors: 400
// wrong_password (fields.current_password), 400 invalid_input (fields.new_password), 429
// account_locked or rate_limited.
func (s *Service) ChangePassword(ctx context.Context, in PasswordChange) (LoginResult, error) {
	if ok, wait := s.userLimit.Allow("password\x00" + in.UserID + "\x00" + in.ClientIP); !ok {
		return LoginResult{}, errRateLimited(wait)
	}
	u, err := s.store.UserByID(ctx, in.UserID)
	if err != nil {
		return LoginResult{}, err
	}
	cred, err := s.store.Credentials(ctx, u.Username)
	if err != nil {
		return LoginResult{}, err
	}
	now := s.now()
	if now.Before(cred.LockedUntil.Time) {
		return LoginResult{}, errLocked(cred.LockedUntil.Time)
	}
	a := loginAttempt{in: LoginInput{ClientIP: in.ClientIP, RequestID: in.RequestID}, username: u.Username}
	ok, err := s.verify(ctx, cred.PasswordHash, in.Current)
	if err != nil {
		return LoginResult{}, err
	}
	if !ok {
		return LoginResult{}, s.loginFailed(ctx, a, cred, "bad_password_on_change", apperr.BadRequest(CodeWrongPassword, "当前密码错误").
			WithFields(map[string]string{"current_password": "当前密码错误"}))
	}
	if err := CheckPasswordPolicy(in.New); err != nil {
		if e, ok := apperr.As(err); ok {
			return LoginResult{}, apperr.Invalid(map[string]string{"new_password": e.Fields["password"]})
		}
		return LoginResult{}, err
	}
	if in.New == in.Current {
		return LoginResult{}, apperr.Invalid(map[string]string{"new_password": "新密码不能与当前密码相同"})
	}
	hash, err := HashPassword(in.New, s.opts.Hash)
	if err != nil {
		return LoginResult{}, err
	}
	var tok issued
	err = s.store.WithTx(ctx, func(tx *store.Tx) error {
		v, err := s.store.ChangePassword(ctx, tx, u.ID, hash)
		if err != nil {
			return err
		}
		if tok, err = s.issue(u.ID, v, s.now()); err != nil {
			return err
		}
		return s.store.AppendAudit(ctx, tx, audit.Entry{ActorID: u.ID, OrgID: u.OrgID, Action: ActionPassword,
			ObjectType: "user", ObjectID: u.ID, Outcome: "ok", RequestID: in.RequestID, ClientIP: in.ClientIP,
			Detail: map[string]any{"was_initial": u.MustChangePassword, "token_id": tok.id}})
	})
	if err != nil {
		return LoginResult{}, err
	}
	return LoginResult{Token: tok.signed, ExpiresAt: tok.expiresAt, Actor: domain.Actor{ID: u.ID, OrgID: u.OrgID,
		Roles: rolesOf(u), Name: u.Name}}, nil
}

func errUnauthenticated() error {
	return apperr.Unauthorized(CodeUnauthenticated, "登录凭证无效，请重新登录")
}

// Session is the revocable identity of one token.
type Session struct {
	UserID    string
	TokenID   string
	ExpiresAt time.Time
}

// Logout revokes a token. An expired token is already dead and needs nothing; a token that
// is not ours is 401 unauthenticated.
func (s *Service) Logout(ctx context.Context, token string) error {
	return s.store.WithTx(ctx, func(tx *store.Tx) error {
		_, err := s.Revoke(ctx, tx, token)
		return err
	})
}

// Revoke revokes a token in tx (so that the caller can audit the logout in the same
// transaction) and returns what it revoked.
func (s *Service) Revoke(ctx context.Context, tx *store.Tx, token string) (Session, error) {
	c, err := s.parseAllowExpired(token)
	if err != nil {
		return Session{}, err
	}
	sess := Session{UserID: c.Subject, TokenID: c.ID, ExpiresAt: c.ExpiresAt.Time}
	if !s.now().Before(sess.ExpiresAt) {
		return sess, nil
	}
	if err := s.store.RevokeToken(ctx, tx, c.ID, c.Subject, sess.ExpiresAt); err != nil {
		return Session{}, err
	}
	s.maybePrune(ctx)
	return sess, nil
}

// maybePrune deletes expired revocations at most once an hour, on a logout, so that the
// table stays as small as the number of live revoked tokens.
func (s *Service) maybePrune(ctx context.Context) {
	s.pruneMu.Lock()
	now := s.now()
	due := now.Sub(s.lastPrune) >= time.Hour
	if due {
		s.lastPrune = now
	}
	s.pruneMu.Unlock()
	if due {
		// Best effort, outside the caller's transaction: a failure only delays the cleanup.
		_, _ = s.PruneRevoked(ctx)
	}
}

// PruneRevoked deletes revocations of tokens that have expired; call it now and then.
func (s *Service) PruneRevoked(ctx context.Context) (int64, error) {
	return s.store.PruneRevokedTokens(ctx, s.now().Add(-time.Minute))
}

// UserID is the id of the user with username ("u-" + username): stable and readable, so
// that tests and the demo seed can name users.
func UserID(username string) string { return "u-" + username }
