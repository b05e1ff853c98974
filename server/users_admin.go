package main

import (
	"context"
	"errors"
	"net/http"
	"slices"

	"github.com/gin-gonic/gin"

	"egovpm/internal/apperr"
	"egovpm/internal/audit"
	"egovpm/internal/auth"
	"egovpm/internal/authz"
	"egovpm/internal/domain"
	"egovpm/internal/store"
)

// 用户管理: what an administrator does for the people of the platform when they change jobs,
// forget a password or lock themselves out — until now only with the CLI on the server
// (`egovpm set-roles`, `disable-user`, `unlock-user`). Each change is one audit row with the
// same action as the CLI's (user.set_roles, user.disable, user.enable, user.reset_password,
// user.unlock); a refused role set (separation of duties) is audited as refused. An
// administrator cannot lock themselves out: not disable themselves, not drop their own admin
// role, and they change their own password in 修改密码.

type updateUserRequest struct {
	Roles    *[]string `json:"roles" validate:"omitempty,max=12"`
	Disabled *bool     `json:"disabled"`
	// Email: where the user's notifications are mailed; "" removes it.
	Email *string `json:"email"`
}

// check refuses a request that changes nothing or holds a bad field, trims its address, and
// returns its roles (each once; nil when it sets none).
func (req *updateUserRequest) check() ([]string, error) {
	if req.Roles == nil && req.Disabled == nil && req.Email == nil {
		return nil, apperr.Invalid(map[string]string{"roles": "请给出角色（roles）、停用状态（disabled）或邮箱（email）"})
	}
	if req.Email != nil {
		e, msg := checkEmail(*req.Email)
		if msg != "" {
			return nil, apperr.Invalid(map[string]string{"email": msg})
		}
		req.Email = &e
	}
	if req.Roles == nil {
		return nil, nil
	}
	if len(*req.Roles) == 0 {
		return nil, apperr.Invalid(map[string]string{"roles": "至少保留一个角色；不再使用的账号请停用"})
	}
	roles := []string{}
	for _, r := range *req.Roles {
		if !domain.Contains(domain.Roles, r) {
			return nil, apperr.Invalid(map[string]string{"roles": oneOfMessage(domain.Roles, domain.RoleNames)})
		}
		if !slices.Contains(roles, r) {
			roles = append(roles, r)
		}
	}
	return roles, nil
}

// updateUser is PATCH /api/v1/users/{id} (admin): the user's roles, whether they are
// disabled (停用: they cannot sign in, and a token they hold stops working at once; when they
// hold open tasks, the DRB supervisors are told, holder_disabled) and/or the address their
// notifications are mailed to (user.set_email; "" removes it) → 200 the user as now.
func (s *Server) updateUser(c *gin.Context) {
	var req updateUserRequest
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
	u, ok := s.adminTarget(c)
	if !ok {
		return
	}
	a := mustActor(c)
	switch {
	case u.ID == a.ID && req.Disabled != nil && *req.Disabled:
		respondError(c, apperr.Conflict("cannot_change_self", "不能停用自己的账号"))
		return
	case u.ID == a.ID && roles != nil && !slices.Contains(roles, domain.RoleAdmin):
		respondError(c, apperr.Conflict("cannot_change_self", "不能移除自己的系统管理员角色"))
		return
	}
	if roles != nil {
		if err := authz.CheckRoles(roles); err != nil { // separation of duties
			s.respondRefusal(c, "user.set_roles", "user", u.ID, withDetail(err, "username", u.Username))
			return
		}
	}
	noticeID := newID("disable-")
	err = s.store.WithTx(ctx, func(tx *store.Tx) error {
		if req.Email != nil && *req.Email != u.Email {
			if err := s.store.SetUserEmail(ctx, tx, u.ID, *req.Email); err != nil {
				return err
			}
			if err := s.adminAudit(ctx, tx, c, "user.set_email", u.ID, map[string]any{"username": u.Username, "email": *req.Email}); err != nil {
				return err
			}
		}
		if roles != nil && !sameRoles(u.Roles, roles) {
			if err := s.store.SetUserRoles(ctx, tx, u.ID, roles); err != nil {
				return err
			}
			if err := s.adminAudit(ctx, tx, c, "user.set_roles", u.ID, map[string]any{"before": []string(u.Roles), "after": roles}); err != nil {
				return err
			}
		}
		if req.Disabled != nil && *req.Disabled != u.Disabled {
			action := "user.enable"
			if *req.Disabled {
				action = "user.disable"
				// Open tasks in the disabled user's hands wait for 转办: tell the supervisors.
				if _, err := s.store.NotifyHolderDisabled(ctx, tx, noticeID, u.ID, u.Name+"（"+u.Username+"）"); err != nil {
					return err
				}
			}
			if err := s.store.SetUserDisabled(ctx, tx, u.ID, *req.Disabled); err != nil {
				return err
			}
			return s.adminAudit(ctx, tx, c, action, u.ID, map[string]any{"username": u.Username})
		}
		return nil
	})
	if err != nil {
		respondError(c, err)
		return
	}
	s.mailNotifications(noticeID)
	s.respondUser(c, u.ID)
}

type resetPasswordRequest struct {
	Password string `json:"password" validate:"required,max=256"`
}

// resetUserPassword is POST /api/v1/users/{id}/reset-password (admin): a new initial password
// for a user who forgot theirs (the administrator tells it to them): they must change it at
// their next sign-in, and a lock from failed logins is lifted → 200 the user.
func (s *Server) resetUserPassword(c *gin.Context) {
	var req resetPasswordRequest
	if err := bindJSON(c, &req); err != nil {
		respondError(c, err)
		return
	}
	if err := auth.CheckPasswordPolicy(req.Password); err != nil {
		respondError(c, err)
		return
	}
	u, ok := s.adminTarget(c)
	if !ok {
		return
	}
	if u.ID == mustActor(c).ID {
		respondError(c, apperr.Conflict("cannot_change_self", "请在“修改密码”中修改自己的密码"))
		return
	}
	hash, err := s.auth.HashPassword(req.Password)
	if err != nil {
		respondError(c, err)
		return
	}
	ctx := c.Request.Context()
	err = s.store.WithTx(ctx, func(tx *store.Tx) error {
		if err := s.store.ResetPassword(ctx, tx, u.ID, hash); err != nil {
			return err
		}
		return s.adminAudit(ctx, tx, c, "user.reset_password", u.ID, map[string]any{"username": u.Username})
	})
	if err != nil {
		respondError(c, err)
		return
	}
	s.respondUser(c, u.ID)
}

// unlockUser is POST /api/v1/users/{id}/unlock (admin): clears a user's failed logins and the
// lock they caused (解锁) → 200 the user.
func (s *Server) unlockUser(c *gin.Context) {
	var req struct{}
	if c.Request.ContentLength != 0 {
		if err := bindJSON(c, &req); err != nil {
			respondError(c, err)
			return
		}
	}
	u, ok := s.adminTarget(c)
	if !ok {
		return
	}
	ctx := c.Request.Context()
	err := s.store.WithTx(ctx, func(tx *store.Tx) error {
		if err := s.store.ResetLoginFailures(ctx, tx, u.ID); err != nil {
			return err
		}
		return s.adminAudit(ctx, tx, c, "user.unlock", u.ID, map[string]any{"username": u.Username})
	})
	if err != nil {
		respondError(c, err)
		return
	}
	s.respondUser(c, u.ID)
}

// adminTarget reads the user of the route's :id, answering 404 when there is none.
func (s *Server) adminTarget(c *gin.Context) (store.User, bool) {
	u, err := s.store.UserByID(c.Request.Context(), c.Param("id"))
	if errors.Is(err, store.ErrNotFound) {
		respondError(c, apperr.NotFound("用户"))
		return u, false
	}
	if err != nil {
		respondError(c, err)
		return u, false
	}
	return u, true
}

func (s *Server) adminAudit(ctx context.Context, tx *store.Tx, c *gin.Context, action, userID string, detail map[string]any) error {
	a := mustActor(c)
	return s.store.AppendAudit(ctx, tx, audit.Entry{ActorID: a.ID, OrgID: a.OrgID, Action: action, ObjectType: "user",
		ObjectID: userID, Outcome: "ok", RequestID: c.GetString(ctxRequestID), ClientIP: c.ClientIP(), Detail: detail})
}

func (s *Server) respondUser(c *gin.Context, id string) {
	u, err := s.store.UserByID(c.Request.Context(), id)
	if err != nil {
		respondError(c, err)
		return
	}
	c.JSON(http.StatusOK, toAdminUserJSON(u))
}

// sameRoles tells whether two role sets hold the same roles.
func sameRoles(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for _, r := range a {
		if !slices.Contains(b, r) {
			return false
		}
	}
	return true
}
