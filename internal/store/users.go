package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/lib/pq"

	"egovpm/internal/authz"
	"egovpm/internal/domain"
)

// Page size limits of the reference-data lists.
const (
	defaultPageSize = 50
	maxPageSize     = 100
)

// pageSize applies the default and the cap to a requested page size.
func pageSize(n int) int {
	if n <= 0 {
		return defaultPageSize
	}
	if n > maxPageSize {
		return maxPageSize
	}
	return n
}

// Org is a row of orgs: a unit or a bureau.
type Org struct {
	ID        string    `db:"id" json:"id"`
	Name      string    `db:"name" json:"name"`
	Kind      string    `db:"kind" json:"kind"`
	CreatedAt time.Time `db:"created_at" json:"created_at"`
}

const orgCols = `id, name, kind, created_at`

// CreateOrg inserts an org; an existing id is a unique violation (see IsUniqueViolation).
func (s *Store) CreateOrg(ctx context.Context, t *Tx, o *Org) error {
	tx := t.tx
	const q = `INSERT INTO orgs (id, name, kind) VALUES ($1, $2, $3) RETURNING created_at`
	if err := tx.GetContext(ctx, &o.CreatedAt, q, o.ID, o.Name, o.Kind); err != nil {
		return fmt.Errorf("insert org %s: %w", o.ID, err)
	}
	return nil
}

// EnsureOrg inserts an org unless one with its id exists (which is left as it is). It
// reports whether it inserted.
func (s *Store) EnsureOrg(ctx context.Context, t *Tx, o Org) (bool, error) {
	tx := t.tx
	const q = `INSERT INTO orgs (id, name, kind) VALUES ($1, $2, $3) ON CONFLICT (id) DO NOTHING`
	res, err := tx.ExecContext(ctx, q, o.ID, o.Name, o.Kind)
	if err != nil {
		return false, fmt.Errorf("ensure org %s: %w", o.ID, err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// Org returns one org or ErrNotFound.
func (s *Store) Org(ctx context.Context, id string) (Org, error) {
	const q = `SELECT ` + orgCols + ` FROM orgs WHERE id = $1`
	var o Org
	if err := s.db.GetContext(ctx, &o, q, id); err != nil {
		return Org{}, fmt.Errorf("org %s: %w", id, notFound(err))
	}
	return o, nil
}

// OrgFilter selects orgs for a list.
type OrgFilter struct {
	Kind   string
	Limit  int
	Cursor string
}

type idCursor struct {
	ID string `json:"i"`
}

// ListOrgs returns a page of orgs ordered by id, and the next cursor ("" on the last page).
func (s *Store) ListOrgs(ctx context.Context, f OrgFilter) ([]Org, string, error) {
	var where []string
	var args []any
	arg := placeholders(&args)
	if f.Kind != "" {
		where = append(where, "kind = "+arg(f.Kind))
	}
	if f.Cursor != "" {
		var c idCursor
		if err := DecodeCursor(f.Cursor, &c); err != nil {
			return nil, "", err
		}
		where = append(where, "id > "+arg(c.ID))
	}
	limit := pageSize(f.Limit)
	q := `SELECT ` + orgCols + ` FROM orgs`
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q += " ORDER BY id LIMIT " + arg(limit+1)
	orgs := []Org{}
	if err := s.db.SelectContext(ctx, &orgs, q, args...); err != nil {
		return nil, "", fmt.Errorf("list orgs: %w", err)
	}
	orgs, next := keysetPage(orgs, limit, func(l Org) any { return idCursor{ID: l.ID} })
	return orgs, next, nil
}

// User is a user and their roles, without credentials.
type User struct {
	ID       string `db:"id" json:"id"`
	Username string `db:"username" json:"username"`
	Name     string `db:"name" json:"name"`
	OrgID    string `db:"org_id" json:"org_id"`
	// Email is where the user's notifications are mailed ("" none); the user and the
	// administrators read and set it (GET/PUT /me/mail-settings, 用户管理), no one else: never
	// in a JSON of the struct.
	Email string `db:"email" json:"-"`
	// PendingEmail: an address the user gave that awaits its code (email_confirm.go; ""
	// none). Read by the same people as Email, for the same reason.
	PendingEmail string         `db:"email_pending" json:"-"`
	Roles        pq.StringArray `db:"roles" json:"roles"`
	Disabled     bool           `db:"disabled" json:"disabled"`
	Demo         bool           `db:"demo" json:"demo"`
	TOTPEnabled  bool           `db:"totp_enabled" json:"totp_enabled"`
	// MustChangePassword: the user still has the initial password an administrator or the CLI
	// gave them (schema/0020).
	MustChangePassword bool      `db:"must_change_password" json:"must_change_password"`
	CreatedAt          time.Time `db:"created_at" json:"created_at"`
	// Locked: too many failed logins have locked the account for now (read by ListUsers and
	// UserByID, for the administrators' 用户管理; false elsewhere).
	Locked bool `db:"locked" json:"locked"`
	// SessionVersion: a token signed for an earlier version no longer signs the user in
	// (schema/0038): 重置密码, 停用 and the user's own 修改密码 raise it.
	SessionVersion int `db:"session_version" json:"-"`
}

// Credentials is a user with what a login checks.
type Credentials struct {
	User
	PasswordHash string         `db:"password_hash"`
	TOTPSecret   sql.NullString `db:"totp_secret"`
	TOTPLastStep sql.NullInt64  `db:"totp_last_step"`
	FailedLogins int            `db:"failed_logins"`
	LockedUntil  sql.NullTime   `db:"locked_until"`
}

// lockedCol says whether a user's login lock holds now (User.Locked).
const lockedCol = `, (u.locked_until IS NOT NULL AND u.locked_until > now()) AS locked`

const userCols = `u.id, u.username, u.name, u.org_id, coalesce(u.email, '') AS email, coalesce(u.email_pending, '') AS email_pending, u.disabled, u.demo, (u.totp_secret IS NOT NULL) AS totp_enabled,
	u.must_change_password, u.created_at, u.session_version, COALESCE((SELECT array_agg(r.role ORDER BY r.role) FROM user_roles r WHERE r.user_id = u.id), '{}') AS roles`

// NewUser is a user to create.
type NewUser struct {
	ID           string
	Username     string
	Name         string
	OrgID        string
	PasswordHash string
	Roles        []string
	// Email: where notifications are mailed ("" none).
	Email string
	Demo  bool
	// MustChangePassword: PasswordHash is an initial password the user must replace before
	// anything else (set for users an administrator or the CLI creates).
	MustChangePassword bool
}

// CreateUser inserts a user and their roles. An existing id or username is a unique
// violation; an unknown org a foreign-key violation.
func (s *Store) CreateUser(ctx context.Context, t *Tx, u NewUser) error {
	tx := t.tx
	const q = `INSERT INTO users (id, username, name, org_id, password_hash, demo, must_change_password, email)
		VALUES ($1, $2, $3, $4, $5, $6, $7, nullif($8, ''))`
	if _, err := tx.ExecContext(ctx, q, u.ID, u.Username, u.Name, u.OrgID, u.PasswordHash, u.Demo, u.MustChangePassword, u.Email); err != nil {
		return fmt.Errorf("insert user %s: %w", u.Username, err)
	}
	return s.AddUserRoles(ctx, t, u.ID, u.Roles)
}

// SetUserEmail sets in t where user id's notifications are mailed ("" none: the app only),
// dropping any address that awaited confirmation (email_confirm.go).
func (s *Store) SetUserEmail(ctx context.Context, t *Tx, id, email string) error {
	if _, err := t.tx.ExecContext(ctx, `UPDATE users SET email = nullif($2, ''),
		email_changed_at = CASE WHEN coalesce(email, '') <> $2 THEN now() ELSE email_changed_at END,
		`+clearEmailCode+` WHERE id = $1`, id, email); err != nil {
		return fmt.Errorf("email of %s: %w", id, err)
	}
	return nil
}

// EnsureUser inserts a user unless one with its id or username exists (which is left as it
// is, roles included). It reports whether it inserted; the roles are granted only then.
func (s *Store) EnsureUser(ctx context.Context, t *Tx, u NewUser) (bool, error) {
	tx := t.tx
	const q = `INSERT INTO users (id, username, name, org_id, password_hash, demo) VALUES ($1, $2, $3, $4, $5, $6)
		ON CONFLICT DO NOTHING`
	res, err := tx.ExecContext(ctx, q, u.ID, u.Username, u.Name, u.OrgID, u.PasswordHash, u.Demo)
	if err != nil {
		return false, fmt.Errorf("ensure user %s: %w", u.Username, err)
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return false, err
	}
	return true, s.AddUserRoles(ctx, t, u.ID, u.Roles)
}

// AddUserRoles grants roles to a user, keeping the roles they have. A role set that holds a
// conflicting pair (authz.CheckRoles, separation of duties) is refused with that refusal, and
// the caller's transaction must not commit.
func (s *Store) AddUserRoles(ctx context.Context, t *Tx, userID string, roles []string) error {
	tx := t.tx
	if len(roles) == 0 {
		return nil
	}
	const q = `WITH ins AS (INSERT INTO user_roles (user_id, role) SELECT $1, unnest($2::text[]) ON CONFLICT DO NOTHING RETURNING role)
		SELECT array_agg(DISTINCT role) FROM (SELECT role FROM ins UNION ALL SELECT role FROM user_roles WHERE user_id = $1) r`
	var all pq.StringArray
	if err := tx.GetContext(ctx, &all, q, userID, pq.StringArray(roles)); err != nil {
		return fmt.Errorf("grant roles to %s: %w", userID, err)
	}
	if err := authz.CheckRoles(all); err != nil {
		return fmt.Errorf("grant roles to %s: %w", userID, err)
	}
	return nil
}

// SetUserRoles replaces a user's roles. It returns ErrNotFound for an unknown user.
func (s *Store) SetUserRoles(ctx context.Context, t *Tx, userID string, roles []string) error {
	tx := t.tx
	var exists bool
	if err := tx.GetContext(ctx, &exists, `SELECT EXISTS (SELECT 1 FROM users WHERE id = $1 FOR UPDATE)`, userID); err != nil {
		return fmt.Errorf("look up user %s: %w", userID, err)
	}
	if !exists {
		return fmt.Errorf("user %s: %w", userID, ErrNotFound)
	}
	if roles == nil {
		roles = []string{} // NULL would match no role and delete nothing
	}
	const del = `DELETE FROM user_roles WHERE user_id = $1 AND NOT (role = ANY($2::text[]))`
	if _, err := tx.ExecContext(ctx, del, userID, pq.StringArray(roles)); err != nil {
		return fmt.Errorf("revoke roles of %s: %w", userID, err)
	}
	return s.AddUserRoles(ctx, t, userID, roles)
}

// SetUserDisabled disables or re-enables a user. Disabling ends every session the user holds
// for good (the session version is raised): enabling them again does not revive a token taken
// before. It returns ErrNotFound for an unknown user.
func (s *Store) SetUserDisabled(ctx context.Context, t *Tx, userID string, disabled bool) error {
	tx := t.tx
	const q = `UPDATE users SET disabled = $2, session_version = session_version + CASE WHEN $2 THEN 1 ELSE 0 END WHERE id = $1`
	res, err := tx.ExecContext(ctx, q, userID, disabled)
	return oneRow(res, err, "user "+userID)
}

// SetPasswordHash replaces a user's password hash and clears their failed logins.
func (s *Store) SetPasswordHash(ctx context.Context, t *Tx, userID, hash string) error {
	tx := t.tx
	const q = `UPDATE users SET password_hash = $2, failed_logins = 0, locked_until = NULL WHERE id = $1`
	res, err := tx.ExecContext(ctx, q, userID, hash)
	return oneRow(res, err, "user "+userID)
}

// ResetPassword gives a user a new initial password (an administrator's 重置密码): the user
// must change it at their next sign-in, their failed logins and lock are cleared, and every
// session they hold ends (the session version is raised: whoever held the old password and a
// token from it is out). It returns ErrNotFound for an unknown user.
func (s *Store) ResetPassword(ctx context.Context, t *Tx, userID, hash string) error {
	tx := t.tx
	const q = `UPDATE users SET password_hash = $2, must_change_password = true, failed_logins = 0, locked_until = NULL,
		session_version = session_version + 1 WHERE id = $1`
	res, err := tx.ExecContext(ctx, q, userID, hash)
	return oneRow(res, err, "user "+userID)
}

// ChangePassword replaces a user's password hash with one they chose: it clears
// must_change_password and the failed logins, and ends every session the user holds (the
// session version is raised; the caller signs the session that changed it anew). It returns
// the new session version, or ErrNotFound for an unknown user.
func (s *Store) ChangePassword(ctx context.Context, t *Tx, userID, hash string) (int, error) {
	const q = `UPDATE users SET password_hash = $2, must_change_password = false, failed_logins = 0, locked_until = NULL,
		session_version = session_version + 1 WHERE id = $1 RETURNING session_version`
	var v int
	if err := t.tx.GetContext(ctx, &v, q, userID, hash); err != nil {
		return 0, fmt.Errorf("user %s: %w", userID, notFound(err))
	}
	return v, nil
}

// SetTOTPSecret enables TOTP with secret (base32), or disables it when secret is "".
func (s *Store) SetTOTPSecret(ctx context.Context, t *Tx, userID, secret string) error {
	tx := t.tx
	var v any
	if secret != "" {
		v = secret
	}
	res, err := tx.ExecContext(ctx, `UPDATE users SET totp_secret = $2, totp_last_step = NULL WHERE id = $1`, userID, v)
	return oneRow(res, err, "user "+userID)
}

// UseTOTPStep records that a user logged in with the TOTP code of time step step. It reports
// false when that step (or a later one) was already used: a code is accepted once.
func (s *Store) UseTOTPStep(ctx context.Context, t *Tx, userID string, step int64) (bool, error) {
	tx := t.tx
	const q = `UPDATE users SET totp_last_step = $2 WHERE id = $1 AND (totp_last_step IS NULL OR totp_last_step < $2)`
	res, err := tx.ExecContext(ctx, q, userID, step)
	if err != nil {
		return false, fmt.Errorf("use TOTP step of %s: %w", userID, err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

func oneRow(res sql.Result, err error, what string) error {
	if err != nil {
		return fmt.Errorf("update %s: %w", what, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("update %s: %w", what, err)
	}
	if n == 0 {
		return fmt.Errorf("%s: %w", what, ErrNotFound)
	}
	return nil
}

// UserByID returns a user and their roles, or ErrNotFound.
func (s *Store) UserByID(ctx context.Context, id string) (User, error) {
	const q = `SELECT ` + userCols + lockedCol + ` FROM users u WHERE u.id = $1`
	var u User
	if err := s.db.GetContext(ctx, &u, q, id); err != nil {
		return User{}, fmt.Errorf("user %s: %w", id, notFound(err))
	}
	return u, nil
}

// UserByUsername returns a user and their roles, or ErrNotFound.
func (s *Store) UserByUsername(ctx context.Context, username string) (User, error) {
	const q = `SELECT ` + userCols + ` FROM users u WHERE u.username = $1`
	var u User
	if err := s.db.GetContext(ctx, &u, q, username); err != nil {
		return User{}, fmt.Errorf("user %s: %w", username, notFound(err))
	}
	return u, nil
}

// Credentials returns what a login by username checks, or ErrNotFound.
func (s *Store) Credentials(ctx context.Context, username string) (Credentials, error) {
	const q = `SELECT ` + userCols + `, u.password_hash, u.totp_secret, u.totp_last_step, u.failed_logins, u.locked_until
		FROM users u WHERE u.username = $1`
	var c Credentials
	if err := s.db.GetContext(ctx, &c, q, username); err != nil {
		return Credentials{}, fmt.Errorf("credentials of %s: %w", username, notFound(err))
	}
	return c, nil
}

// UserFilter selects users for a list.
type UserFilter struct {
	Role   string
	OrgID  string
	Limit  int
	Cursor string
}

type usernameCursor struct {
	Username string `json:"u"`
}

// ListUsers returns a page of users ordered by username, and the next cursor ("" on the
// last page).
func (s *Store) ListUsers(ctx context.Context, f UserFilter) ([]User, string, error) {
	var where []string
	var args []any
	arg := placeholders(&args)
	if f.Role != "" {
		where = append(where, "EXISTS (SELECT 1 FROM user_roles r WHERE r.user_id = u.id AND r.role = "+arg(f.Role)+")")
	}
	if f.OrgID != "" {
		where = append(where, "u.org_id = "+arg(f.OrgID))
	}
	if f.Cursor != "" {
		var c usernameCursor
		if err := DecodeCursor(f.Cursor, &c); err != nil {
			return nil, "", err
		}
		where = append(where, "u.username > "+arg(c.Username))
	}
	limit := pageSize(f.Limit)
	q := `SELECT ` + userCols + lockedCol + ` FROM users u`
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q += " ORDER BY u.username LIMIT " + arg(limit+1)
	users := []User{}
	if err := s.db.SelectContext(ctx, &users, q, args...); err != nil {
		return nil, "", fmt.Errorf("list users: %w", err)
	}
	users, next := keysetPage(users, limit, func(l User) any { return usernameCursor{Username: l.Username} })
	return users, next, nil
}

// LoginLock is the failed-login state of a username.
type LoginLock struct {
	Failures int
	// LockedUntil is zero when the name is not locked.
	LockedUntil time.Time
}

// Locked reports whether the lock holds at now.
func (l LoginLock) Locked(now time.Time) bool { return now.Before(l.LockedUntil) }

type loginLockRow struct {
	Failures    int          `db:"failures"`
	LockedUntil sql.NullTime `db:"locked_until"`
}

func (r loginLockRow) lock() LoginLock {
	l := LoginLock{Failures: r.Failures}
	if r.LockedUntil.Valid {
		l.LockedUntil = r.LockedUntil.Time
	}
	return l
}

// RecordLoginFailure counts one more consecutive failed login of a user at now and locks the
// account until now+lockout when the count reaches max. A lock that has run out starts the
// count again.
func (s *Store) RecordLoginFailure(ctx context.Context, t *Tx, userID string, now time.Time, max int, lockout time.Duration) (LoginLock, error) {
	tx := t.tx
	// In SET, column names are the old values; $2 now, $3 max, $4 the lock end.
	const q = `UPDATE users SET
		failed_logins = CASE WHEN locked_until <= $2::timestamptz THEN 1 ELSE failed_logins + 1 END,
		locked_until = CASE
			WHEN (CASE WHEN locked_until <= $2::timestamptz THEN 1 ELSE failed_logins + 1 END) >= $3::int THEN $4::timestamptz
			WHEN locked_until <= $2::timestamptz THEN NULL
			ELSE locked_until END
		WHERE id = $1
		RETURNING failed_logins AS failures, locked_until`
	var r loginLockRow
	if err := tx.GetContext(ctx, &r, q, userID, now, max, now.Add(lockout)); err != nil {
		return LoginLock{}, fmt.Errorf("record failed login of %s: %w", userID, notFound(err))
	}
	return r.lock(), nil
}

// ResetLoginFailures clears a user's failed-login count and lock (after a success, or by an
// administrator).
func (s *Store) ResetLoginFailures(ctx context.Context, t *Tx, userID string) error {
	tx := t.tx
	const q = `UPDATE users SET failed_logins = 0, locked_until = NULL
		WHERE id = $1 AND (failed_logins <> 0 OR locked_until IS NOT NULL)`
	if _, err := tx.ExecContext(ctx, q, userID); err != nil {
		return fmt.Errorf("reset failed logins of %s: %w", userID, err)
	}
	return nil
}

// UnknownLoginLock returns the failed-login state of a username that is no user.
func (s *Store) UnknownLoginLock(ctx context.Context, username string) (LoginLock, error) {
	var r loginLockRow
	err := s.db.GetContext(ctx, &r, `SELECT failures, locked_until FROM login_failures WHERE username = $1`, username)
	if errors.Is(err, sql.ErrNoRows) {
		return LoginLock{}, nil
	}
	if err != nil {
		return LoginLock{}, fmt.Errorf("failed logins of %s: %w", username, err)
	}
	return r.lock(), nil
}

// RecordUnknownLoginFailure counts a failed login with a username that is no user, exactly
// as RecordLoginFailure counts a user's, so that lockouts do not reveal which names exist.
// Rows idle for a day are pruned on the way.
func (s *Store) RecordUnknownLoginFailure(ctx context.Context, t *Tx, username string, now time.Time, max int, lockout time.Duration) (LoginLock, error) {
	tx := t.tx
	const q = `INSERT INTO login_failures AS f (username, failures, locked_until, updated_at)
		VALUES ($1, 1, CASE WHEN 1 >= $3::int THEN $4::timestamptz END, $2::timestamptz)
		ON CONFLICT (username) DO UPDATE SET
		failures = CASE WHEN f.locked_until <= $2::timestamptz THEN 1 ELSE f.failures + 1 END,
		locked_until = CASE
			WHEN (CASE WHEN f.locked_until <= $2::timestamptz THEN 1 ELSE f.failures + 1 END) >= $3::int THEN $4::timestamptz
			WHEN f.locked_until <= $2::timestamptz THEN NULL
			ELSE f.locked_until END,
		updated_at = $2::timestamptz
		RETURNING failures, locked_until`
	var r loginLockRow
	if err := tx.GetContext(ctx, &r, q, username, now, max, now.Add(lockout)); err != nil {
		return LoginLock{}, fmt.Errorf("record failed login of %s: %w", username, err)
	}
	const prune = `DELETE FROM login_failures WHERE updated_at < $1 AND (locked_until IS NULL OR locked_until < $1)`
	if _, err := tx.ExecContext(ctx, prune, now.Add(-24*time.Hour)); err != nil {
		return LoginLock{}, fmt.Errorf("prune failed logins: %w", err)
	}
	return r.lock(), nil
}

// RevokeToken records that the token jti of userID is revoked; it stays refused until
// expiresAt, after which the token is dead anyway. Revoking twice is a no-op.
func (s *Store) RevokeToken(ctx context.Context, t *Tx, jti, userID string, expiresAt time.Time) error {
	tx := t.tx
	const q = `INSERT INTO revoked_tokens (jti, user_id, expires_at) VALUES ($1, $2, $3) ON CONFLICT (jti) DO NOTHING`
	if _, err := tx.ExecContext(ctx, q, jti, userID, expiresAt); err != nil {
		return fmt.Errorf("revoke token: %w", err)
	}
	return nil
}

// TokenRevoked reports whether the token jti was revoked.
func (s *Store) TokenRevoked(ctx context.Context, jti string) (bool, error) {
	var revoked bool
	if err := s.db.GetContext(ctx, &revoked, `SELECT EXISTS (SELECT 1 FROM revoked_tokens WHERE jti = $1)`, jti); err != nil {
		return false, fmt.Errorf("look up revoked token: %w", err)
	}
	return revoked, nil
}

// SessionUser is TokenRevoked and UserByID in one round trip (the check every authenticated
// request makes): the user, and whether token jti was revoked. A missing user is ErrNotFound.
func (s *Store) SessionUser(ctx context.Context, id, jti string) (User, bool, error) {
	const q = `SELECT ` + userCols + `, EXISTS (SELECT 1 FROM revoked_tokens WHERE jti = $2) AS revoked
		FROM users u WHERE u.id = $1`
	var row struct {
		User
		Revoked bool `db:"revoked"`
	}
	if err := s.getP(ctx, &row, q, id, jti); err != nil {
		return User{}, false, fmt.Errorf("user %s: %w", id, notFound(err))
	}
	return row.User, row.Revoked, nil
}

// PruneRevokedTokens deletes revocations of tokens that expired before before.
func (s *Store) PruneRevokedTokens(ctx context.Context, before time.Time) (int64, error) {
	res, err := s.db.ExecContext(ctx, `DELETE FROM revoked_tokens WHERE expires_at < $1`, before)
	if err != nil {
		return 0, fmt.Errorf("prune revoked tokens: %w", err)
	}
	return res.RowsAffected()
}

// CountDemoUsers returns how many enabled demo users exist; a production-mode start may refuse
// a database that has any.
func (s *Store) CountDemoUsers(ctx context.Context) (int, error) {
	var n int
	if err := s.db.GetContext(ctx, &n, `SELECT count(*) FROM users WHERE demo AND NOT disabled`); err != nil {
		return 0, fmt.Errorf("count demo users: %w", err)
	}
	return n, nil
}

// SessionUserTask is SessionUser and Task in one round trip, for the routes that act on one
// task (the decision's hot path: one read fewer before the Update). found is false when the
// user or the task is missing; the caller then asks SessionUser and Task alone, which tell
// which one (401 or 404), so only the common case is folded.
func (s *Store) SessionUserTask(ctx context.Context, id, jti, taskID string) (u User, revoked bool, t Task, found bool, err error) {
	var row struct {
		User
		Revoked bool `db:"revoked"`
		Task    Task `db:"task"`
	}
	err = s.getP(ctx, &row, sessionTaskQ, id, jti, taskID)
	if errors.Is(err, sql.ErrNoRows) {
		return User{}, false, Task{}, false, nil
	}
	if err != nil {
		return User{}, false, Task{}, false, fmt.Errorf("user %s, task %s: %w", id, taskID, err)
	}
	return row.User, row.Revoked, row.Task, true, nil
}

// sessionTaskQ selects the user (userCols), the revocation and the task (taskCols, named
// task.<column> for the nested struct) of SessionUserTask.
var sessionTaskQ = `SELECT ` + userCols + `, EXISTS (SELECT 1 FROM revoked_tokens WHERE jti = $2) AS revoked,
	` + nested("task", taskCols) + `, ` + taskSubmittedByCol + ` AS "task.submitted_by"
	FROM users u, tasks t LEFT JOIN projects p ON p.id = t.project_id WHERE u.id = $1 AND t.id = $3`

// nested renames every column of cols (a select list of "x.col" or "expr AS name" items with
// no comma inside an item) to "prefix.name", which sqlx scans into the struct field tagged
// db:"prefix".
func nested(prefix, cols string) string {
	items := strings.Split(cols, ",")
	for i, it := range items {
		it = strings.TrimSpace(it)
		expr, name, ok := strings.Cut(it, " AS ")
		if !ok {
			_, name, _ = strings.Cut(it, ".")
		}
		items[i] = expr + ` AS "` + prefix + `.` + name + `"`
	}
	return strings.Join(items, ", ")
}

// KindHolderDisabled is the notice to the DRB supervisors that a user whose account was just
// disabled holds open tasks (逾期督办's 停用人员持有的任务 lists them for 转办).
const KindHolderDisabled = "holder_disabled"

// NotifyHolderDisabled tells every enabled DRB supervisor (but userID) that userID, just
// disabled, holds open tasks, and how many; nothing when they hold none. The notices are
// named id + "#0:" + supervisor (SendNotifications(id) mails them). It returns how many it
// wrote (0 on a retry with the same id).
func (s *Store) NotifyHolderDisabled(ctx context.Context, t *Tx, id, userID, who string) (int64, error) {
	const q = `WITH held AS (SELECT count(*) AS n FROM tasks WHERE assignee_id = $2 AND status = 'open')
		INSERT INTO notifications (id, user_id, kind, title, body)
		SELECT $1 || '#0:' || s.id, s.id, $4, '停用人员持有待办',
			$3 || ' 的账号已停用，其持有 ' || held.n || ' 项未办结的任务，无人办理，请在“逾期督办 → 停用人员持有的任务”中转办。'
		FROM held, users s
		WHERE held.n > 0 AND s.id <> $2 AND NOT s.disabled
		  AND EXISTS (SELECT 1 FROM user_roles r WHERE r.user_id = s.id AND r.role = $5)
		ON CONFLICT (id) DO NOTHING`
	res, err := t.tx.ExecContext(ctx, q, id, userID, who, KindHolderDisabled, domain.RoleDRBSupervisor)
	if err != nil {
		return 0, fmt.Errorf("notify the disabling of %s: %w", userID, err)
	}
	return res.RowsAffected()
}
