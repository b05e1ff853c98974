package main

import (
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"egovpm/internal/auth"
	"egovpm/internal/calendar"
)

type changePasswordReq struct {
	CurrentPassword string `json:"current_password" validate:"required,max=1024"`
	NewPassword     string `json:"new_password" validate:"required,max=1024"`
}

// changePassword is POST /api/v1/auth/password: the signed-in user replaces their password
// (an initial one must be replaced before anything else: password_change_required). Every
// session the user held ends, whoever held it; this one goes on with the token of the reply
// (200, as POST /auth/refresh answers).
func (s *Server) changePassword(c *gin.Context) {
	var req changePasswordReq
	if err := bindJSON(c, &req); err != nil {
		respondError(c, err)
		return
	}
	res, err := s.auth.ChangePassword(c.Request.Context(), auth.PasswordChange{UserID: mustActor(c).ID,
		Current: req.CurrentPassword, New: req.NewPassword, ClientIP: c.ClientIP(), RequestID: c.GetString(ctxRequestID)})
	if err != nil {
		setRetryAfter(c, err, s.now())
		respondError(c, err)
		return
	}
	c.Header("Cache-Control", "no-store")
	c.JSON(http.StatusOK, res)
}

// refreshToken is POST /api/v1/auth/refresh: the bearer token is exchanged for a fresh one of
// the full lifetime and revoked. The web UI calls it while the person is active, so a session
// in use does not expire under them; an idle one does.
func (s *Server) refreshToken(c *gin.Context) {
	res, err := s.auth.Refresh(c.Request.Context(), c.GetString(ctxToken), c.ClientIP(), c.GetString(ctxRequestID))
	if err != nil {
		respondError(c, err)
		return
	}
	c.Header("Cache-Control", "no-store")
	c.JSON(http.StatusOK, res)
}

// submissionWindowJSON is GET /api/v1/submission-window: R2's deadline for a plan year under
// the policy in force, and the server's clock, so a client counts down without trusting its
// own.
type submissionWindowJSON struct {
	PlanYear      int    `json:"plan_year"`
	PolicyVersion string `json:"policy_version"`
	Deadline      string `json:"deadline"`
	Now           string `json:"now"`
	Open          bool   `json:"open"`
	SecondsLeft   int64  `json:"seconds_left"`
	// SpecialRequestRequired: the window is closed, so a draft of this plan year is submitted
	// only as a special request (R8) with a special_request document.
	SpecialRequestRequired bool   `json:"special_request_required"`
	Message                string `json:"message"`
}

// submissionWindow is GET /api/v1/submission-window?plan_year= (default: next year in
// Asia/Shanghai).
func (s *Server) submissionWindow(c *gin.Context) {
	now := s.now()
	year := now.In(calendar.Shanghai).Year() + 1
	if y, err := yearQuery(c, "plan_year"); err != nil {
		respondError(c, err)
		return
	} else if y != 0 {
		year = y
	}
	c.JSON(http.StatusOK, s.window(now, year))
}

// window is R2's submission window of plan year `year` at now.
func (s *Server) window(now time.Time, year int) submissionWindowJSON {
	deadline := s.policy.SubmissionDeadline(year, calendar.Shanghai)
	open := !now.After(deadline) // as submitProject decides
	out := submissionWindowJSON{PlanYear: year, PolicyVersion: s.policy.Version, Deadline: deadline.Format(time.RFC3339),
		Now: now.Format(time.RFC3339Nano), Open: open, SpecialRequestRequired: !open}
	if open {
		out.SecondsLeft = int64(deadline.Sub(now) / time.Second)
		out.Message = deadline.Format("2006年1月2日 15:04:05") + "（北京时间）前可提交 " + strconv.Itoa(year) + " 年度项目"
	} else {
		out.Message = strconv.Itoa(year) + " 年度项目已于 " + deadline.Format("2006年1月2日 15:04:05") +
			" 截止申报；计划外项目须上传专题请示并报市政府批准（R8）"
	}
	return out
}
