package main

import (
	"errors"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"egovpm/internal/apperr"
	"egovpm/internal/audit"
	"egovpm/internal/auth"
	"egovpm/internal/authz"
	"egovpm/internal/domain"
	"egovpm/internal/store"
	"egovpm/internal/text"
)

var (
	// Same rules as the CHECK constraints of orgs.id and users.username (schema/0001).
	orgIDPattern    = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,62}$`)
	usernamePattern = regexp.MustCompile(`^[a-z0-9][a-z0-9_.-]{1,62}$`)
	orgKinds        = []string{"unit", "drb", "ndrc", "finance", "crypto", "prta", "audit", "citygov", "expert", "ops"}
)

// userJSON is a user in responses (API.md: id, username, name, org_id, roles).
type userJSON struct {
	ID          string   `json:"id"`
	Username    string   `json:"username"`
	Name        string   `json:"name"`
	OrgID       string   `json:"org_id"`
	Roles       []string `json:"roles"`
	Disabled    bool     `json:"disabled"`
	TOTPEnabled bool     `json:"totp_enabled"`
	// MustChangePassword: the user still has the initial password they were created with.
	MustChangePassword bool `json:"must_change_password"`
	// Locked: too many failed logins lock the account for now (read in the lists an
	// administrator reads; false in others).
	Locked bool `json:"locked"`
	// Email: where the user's notifications are mailed; in what an administrator reads only
	// (least privilege: the others who list users choose people, they do not mail them);
	// absent when none.
	Email *string `json:"email,omitempty"`
	// PendingEmail: an address the user gave in 设置 that awaits its confirmation code (their
	// mail still goes to Email); read by administrators only, like Email; absent when none.
	PendingEmail *string `json:"pending_email,omitempty"`
}

func toUserJSON(u store.User) userJSON {
	roles := []string(u.Roles)
	if roles == nil {
		roles = []string{}
	}
	return userJSON{ID: u.ID, Username: u.Username, Name: u.Name, OrgID: u.OrgID, Roles: roles,
		Disabled: u.Disabled, TOTPEnabled: u.TOTPEnabled, MustChangePassword: u.MustChangePassword, Locked: u.Locked}
}

// toAdminUserJSON is u as an administrator reads it: with its address (absent when none).
func toAdminUserJSON(u store.User) userJSON {
	j := toUserJSON(u)
	if u.Email != "" {
		j.Email = &u.Email
	}
	if u.PendingEmail != "" {
		j.PendingEmail = &u.PendingEmail
	}
	return j
}

// orgJSON is an org in responses.
type orgJSON struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	Kind string `json:"kind"`
}

func toOrgJSON(o store.Org) orgJSON { return orgJSON{ID: o.ID, Name: o.Name, Kind: o.Kind} }

type loginRequest struct {
	Username string `json:"username" validate:"required,max=64"`
	Password string `json:"password" validate:"required,max=1024"`
	OTP      string `json:"otp" validate:"omitempty,max=16"`
}

// login is POST /api/v1/auth/login: password (+ TOTP where enabled) → a bearer token. The
// auth service applies the rate limit and lockout and audits every attempt.
func (s *Server) login(c *gin.Context) {
	var req loginRequest
	if err := bindJSON(c, &req); err != nil {
		respondError(c, err)
		return
	}
	res, err := s.auth.Login(c.Request.Context(), auth.LoginInput{Username: req.Username, Password: req.Password,
		OTP: req.OTP, ClientIP: c.ClientIP(), RequestID: c.GetString(ctxRequestID)})
	if err != nil {
		setRetryAfter(c, err, s.now())
		respondError(c, err)
		return
	}
	c.Header("Cache-Control", "no-store")
	c.JSON(http.StatusOK, res)
}

// setRetryAfter adds a Retry-After header to a rate-limit or lockout answer.
func setRetryAfter(c *gin.Context, err error, now time.Time) {
	e, ok := apperr.As(err)
	if !ok || e.Kind != apperr.KindRateLimited {
		return
	}
	secs := 0
	if v, ok := e.Extra["retry_after_seconds"].(int); ok {
		secs = v
	}
	if v, ok := e.Extra["locked_until"].(string); ok {
		if t, perr := time.Parse(time.RFC3339, v); perr == nil {
			secs = int(t.Sub(now).Seconds()) + 1
		}
	}
	if secs > 0 {
		c.Header("Retry-After", strconv.Itoa(secs))
	}
}

// logout is POST /api/v1/auth/logout: the bearer token is revoked until it expires.
func (s *Server) logout(c *gin.Context) {
	a := mustActor(c)
	ctx := c.Request.Context()
	err := s.store.WithTx(ctx, func(tx *store.Tx) error {
		sess, err := s.auth.Revoke(ctx, tx, c.GetString(ctxToken))
		if err != nil {
			return err
		}
		return s.store.AppendAudit(ctx, tx, audit.Entry{ActorID: a.ID, OrgID: a.OrgID, Action: auth.ActionLogout,
			ObjectType: "user", ObjectID: a.ID, Outcome: "ok", RequestID: c.GetString(ctxRequestID), ClientIP: c.ClientIP(),
			Detail: map[string]any{"token_id": sess.TokenID}})
	})
	if err != nil {
		respondError(c, err)
		return
	}
	c.Status(http.StatusNoContent)
}

// meJSON is GET /api/v1/me.
type meJSON struct {
	User  userJSON `json:"user"`
	Org   orgJSON  `json:"org"`
	Roles []string `json:"roles"`
}

// me is GET /api/v1/me: the signed-in user, their org and roles (as of this request).
func (s *Server) me(c *gin.Context) {
	a := mustActor(c)
	ctx := c.Request.Context()
	u, err := s.store.UserByID(ctx, a.ID)
	if err != nil {
		respondError(c, err)
		return
	}
	o, err := s.store.Org(ctx, u.OrgID)
	if err != nil {
		respondError(c, err)
		return
	}
	uj := toUserJSON(u)
	c.JSON(http.StatusOK, meJSON{User: uj, Org: toOrgJSON(o), Roles: uj.Roles})
}

// listUsers is GET /api/v1/users?role=&org_id=&limit=&cursor= (DRB, admin).
func (s *Server) listUsers(c *gin.Context) {
	lq, err := parseList(c)
	if err != nil {
		respondError(c, err)
		return
	}
	f := store.UserFilter{Role: c.Query("role"), OrgID: c.Query("org_id"), Limit: lq.Limit, Cursor: lq.Cursor}
	fields := map[string]string{}
	if f.Role != "" && !domain.Contains(domain.Roles, f.Role) {
		fields["role"] = oneOfMessage(domain.Roles, domain.RoleNames)
	}
	if f.OrgID != "" && !orgIDPattern.MatchString(f.OrgID) {
		fields["org_id"] = "机构编号不合法"
	}
	if len(fields) > 0 {
		respondError(c, apperr.Invalid(fields))
		return
	}
	users, next, err := s.store.ListUsers(c.Request.Context(), f)
	if mustActor(c).Has(domain.RoleAdmin) {
		sendPage(c, users, next, err, toAdminUserJSON)
		return
	}
	sendPage(c, users, next, err, toUserJSON)
}

type createUserRequest struct {
	Username string   `json:"username" validate:"required,max=63"`
	Name     string   `json:"name" validate:"required,nonblank,name,max=100"`
	OrgID    string   `json:"org_id" validate:"required,max=63"`
	Roles    []string `json:"roles" validate:"required,min=1,max=12"`
	Password string   `json:"password" validate:"required,max=256"`
	// Email: where the user's notifications are mailed (optional).
	Email string `json:"email"`
}

// check normalises r's username and name and checks its fields; it returns the roles, each
// once.
func (r *createUserRequest) check() ([]string, error) {
	r.Username = strings.ToLower(strings.TrimSpace(r.Username))
	r.Name = text.Trim(r.Name)
	fields := map[string]string{}
	if !usernamePattern.MatchString(r.Username) {
		fields["username"] = "用户名须为 2–63 位小写字母、数字或 _ . -，以字母或数字开头"
	}
	if r.Name == "" {
		fields["name"] = "必填"
	}
	if !orgIDPattern.MatchString(r.OrgID) {
		fields["org_id"] = "机构编号不合法"
	}
	var msg string
	if r.Email, msg = checkEmail(r.Email); msg != "" {
		fields["email"] = msg
	}
	var roles []string
	for _, r := range r.Roles {
		if !domain.Contains(domain.Roles, r) {
			fields["roles"] = oneOfMessage(domain.Roles, domain.RoleNames)
			break
		}
		if !domain.Contains(roles, r) {
			roles = append(roles, r)
		}
	}
	if err := auth.CheckPasswordPolicy(r.Password); err != nil {
		if e, ok := apperr.As(err); ok {
			for k, v := range e.Fields {
				fields[k] = v
			}
		}
	}
	if len(fields) > 0 {
		return nil, apperr.Invalid(fields)
	}
	return roles, nil
}

// createUser is POST /api/v1/users (admin): a user with a password and roles → 201. TOTP is
// enrolled with the CLI (`egovpm enable-totp`).
func (s *Server) createUser(c *gin.Context) {
	var req createUserRequest
	if err := bindJSON(c, &req); err != nil {
		respondError(c, err)
		return
	}
	roles, err := req.check()
	if err != nil {
		respondError(c, err)
		return
	}
	ctx := c.Request.Context()
	if err := authz.CheckRoles(roles); err != nil { // separation of duties
		s.respondRefusal(c, "user.create", "user", auth.UserID(req.Username), withDetail(err, "username", req.Username))
		return
	}
	if _, err := s.store.Org(ctx, req.OrgID); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			err = apperr.Invalid(map[string]string{"org_id": "机构不存在"})
		}
		respondError(c, err)
		return
	}
	hash, err := s.auth.HashPassword(req.Password)
	if err != nil {
		respondError(c, err)
		return
	}
	a := mustActor(c)
	u := store.User{ID: auth.UserID(req.Username), Username: req.Username, Name: req.Name, OrgID: req.OrgID, Roles: roles,
		Email: req.Email, MustChangePassword: true}
	err = s.store.WithTx(ctx, func(tx *store.Tx) error {
		if err := s.store.CreateUser(ctx, tx, store.NewUser{ID: u.ID, Username: u.Username, Name: u.Name, OrgID: u.OrgID,
			PasswordHash: hash, Roles: roles, Email: u.Email, MustChangePassword: true}); err != nil {
			return err
		}
		detail := map[string]any{"username": u.Username, "name": u.Name, "org_id": u.OrgID, "roles": roles}
		if u.Email != "" {
			detail["email"] = u.Email
		}
		return s.store.AppendAudit(ctx, tx, audit.Entry{ActorID: a.ID, OrgID: a.OrgID, Action: "user.create",
			ObjectType: "user", ObjectID: u.ID, Outcome: "ok", RequestID: c.GetString(ctxRequestID), ClientIP: c.ClientIP(),
			Detail: detail})
	})
	switch {
	case store.IsUniqueViolation(err):
		respondError(c, apperr.Conflict("username_taken", "用户名已存在"))
		return
	case store.IsCheckViolation(err):
		respondError(c, apperr.Invalid(map[string]string{"username": "用户信息不符合约束"}))
		return
	case err != nil:
		respondError(c, err)
		return
	}
	c.JSON(http.StatusCreated, toAdminUserJSON(u))
}

// listOrgs is GET /api/v1/orgs?kind=&limit=&cursor= (any signed-in user).
func (s *Server) listOrgs(c *gin.Context) {
	lq, err := parseList(c)
	if err != nil {
		respondError(c, err)
		return
	}
	kind := c.Query("kind")
	if kind != "" && !domain.Contains(orgKinds, kind) {
		respondError(c, apperr.Invalid(map[string]string{"kind": oneOfMessage(orgKinds, domain.OrgKindNames)}))
		return
	}
	orgs, next, err := s.store.ListOrgs(c.Request.Context(), store.OrgFilter{Kind: kind, Limit: lq.Limit, Cursor: lq.Cursor})
	sendPage(c, orgs, next, err, toOrgJSON)
}

type createOrgRequest struct {
	ID   string `json:"id" validate:"required,max=63"`
	Name string `json:"name" validate:"required,nonblank,name,max=200"`
	Kind string `json:"kind" validate:"required,oneof=unit drb ndrc finance crypto prta audit citygov expert ops"`
}

// createOrg is POST /api/v1/orgs (admin) → 201.
func (s *Server) createOrg(c *gin.Context) {
	var req createOrgRequest
	if err := bindJSON(c, &req); err != nil {
		respondError(c, err)
		return
	}
	req.Name = text.Trim(req.Name)
	fields := map[string]string{}
	if !orgIDPattern.MatchString(req.ID) {
		fields["id"] = "机构编号须为小写字母、数字或 -，以字母或数字开头，至多 63 位"
	}
	if req.Name == "" {
		fields["name"] = "必填"
	}
	if len(fields) > 0 {
		respondError(c, apperr.Invalid(fields))
		return
	}
	a := mustActor(c)
	ctx := c.Request.Context()
	o := store.Org{ID: req.ID, Name: req.Name, Kind: req.Kind}
	err := s.store.WithTx(ctx, func(tx *store.Tx) error {
		if err := s.store.CreateOrg(ctx, tx, &o); err != nil {
			return err
		}
		return s.store.AppendAudit(ctx, tx, audit.Entry{ActorID: a.ID, OrgID: a.OrgID, Action: "org.create",
			ObjectType: "org", ObjectID: o.ID, Outcome: "ok", RequestID: c.GetString(ctxRequestID), ClientIP: c.ClientIP(),
			Detail: map[string]any{"name": o.Name, "kind": o.Kind}})
	})
	switch {
	case store.IsUniqueViolation(err):
		respondError(c, apperr.Conflict("org_exists", "机构编号已存在"))
		return
	case store.IsCheckViolation(err):
		respondError(c, apperr.Invalid(map[string]string{"id": "机构信息不符合约束"}))
		return
	case err != nil:
		respondError(c, err)
		return
	}
	c.JSON(http.StatusCreated, toOrgJSON(o))
}

// withDetail adds k: v to the Extra of refusal err (recorded in its audit row and answered).
func withDetail(err error, k string, v any) error {
	r, ok := domain.AsRefusal(err)
	if !ok {
		return err
	}
	out := *r
	out.Extra = map[string]any{k: v}
	for key, val := range r.Extra {
		out.Extra[key] = val
	}
	return &out
}
