package main

import (
	"context"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"egovpm/internal/apperr"
	"egovpm/internal/authz"
	"egovpm/internal/calendar"
	"egovpm/internal/domain"
	"egovpm/internal/store"
)

// dashboardJSON is GET /api/v1/dashboard: the 首页's figures, each counted by the server over
// what the caller may read, with the same conditions as the list behind it (docs/AUTHZ.md).
type dashboardJSON struct {
	// PlanYear is the plan year the project figures are of (0: every year).
	PlanYear int `json:"plan_year"`
	// ReadsProjects: the caller reads projects (GET /projects); the project figures are empty
	// for roles that read none (admin, ops).
	ReadsProjects bool `json:"reads_projects"`
	// Stages counts the projects GET /projects?stage= lists to the caller, per stage.
	Stages []store.StageCount `json:"stages"`
	// Total is how many projects GET /projects lists to the caller (of PlanYear when not 0):
	// the sum of Stages, counted here so the 首页 shows it without adding anything up.
	Total int `json:"total"`
	// Tasks counts the caller's inbox; absent for roles without one.
	Tasks *dashboardTasksJSON `json:"tasks,omitempty"`
	// Window is the R2 submission window in progress (T1), as GET /submission-window gives it:
	// next year's plan while its deadline is ahead, else the year after's.
	Window submissionWindowJSON `json:"window"`
	// HorizonDays is how far ahead "soon" looks (trial runs, O&M filings).
	HorizonDays int `json:"horizon_days"`
	// TrialRunsEnding: projects in trial run ending within the horizon or ended (T3).
	TrialRunsEnding store.DueList `json:"trial_runs_ending"`
	// OMFilingsDue: O&M filings not filed, due within the horizon or overdue (R13, T4).
	OMFilingsDue store.DueList `json:"om_filings_due"`
}

// dashboardTasksJSON counts tasks as the lists behind them list them.
type dashboardTasksJSON struct {
	// Open: GET /tasks (the caller's inbox; Audit's: every open task).
	Open int `json:"open"`
	// Overdue: GET /tasks?overdue=true.
	Overdue int `json:"overdue"`
	// AllOverdue: GET /tasks/overdue, every overdue task, for those who oversee them (T2).
	AllOverdue *int `json:"all_overdue,omitempty"`
	// HeldByDisabled: GET /tasks/overdue?held_by_disabled=true, the open tasks of users whose
	// account is disabled (停用), due or not, for the same overseers: nobody acts on them until
	// they are moved.
	HeldByDisabled *int `json:"held_by_disabled,omitempty"`
	// Oversight: the open tasks either of 逾期督办's views lists (overdue, or held by a disabled
	// user; each once), for the same overseers: the menu's figure beside 逾期督办.
	Oversight *int `json:"oversight,omitempty"`
}

// dashboardListLimit is how many rows of each due list the dashboard shows.
const dashboardListLimit = 10

// dashboard is GET /api/v1/dashboard?plan_year=&horizon_days=.
func (s *Server) dashboard(c *gin.Context) {
	a := mustActor(c)
	out := dashboardJSON{HorizonDays: 30, Stages: []store.StageCount{}}
	y, err := yearQuery(c, "plan_year")
	if err != nil {
		respondError(c, err)
		return
	}
	out.PlanYear = y
	if v := c.Query("horizon_days"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 366 {
			respondError(c, apperr.Invalid(map[string]string{"horizon_days": "须为 1–366 的整数"}))
			return
		}
		out.HorizonDays = n
	}
	ctx := c.Request.Context()
	now := s.now()
	// The window in progress: next year's plan while its R2 deadline is ahead, else the year
	// after's (whose deadline is next June).
	out.Window = s.window(now, now.In(calendar.Shanghai).Year()+1)
	if !out.Window.Open {
		out.Window = s.window(now, now.In(calendar.Shanghai).Year()+2)
	}
	reach := authz.ReachOf(a)
	out.ReadsProjects = len(reach.Scopes()) > 0
	before := now.Add(time.Duration(out.HorizonDays) * 24 * time.Hour)
	out.TrialRunsEnding, out.OMFilingsDue = store.DueList{Items: []store.DueProject{}}, store.DueList{Items: []store.DueProject{}}
	if out.ReadsProjects {
		var err error
		if out.Stages, err = s.store.StageCounts(ctx, reach, out.PlanYear); err != nil {
			respondError(c, err)
			return
		}
		if out.TrialRunsEnding, err = s.store.TrialRunsEnding(ctx, reach, before, dashboardListLimit); err != nil {
			respondError(c, err)
			return
		}
		if out.OMFilingsDue, err = s.store.OMFilingsDue(ctx, reach, before, dashboardListLimit); err != nil {
			respondError(c, err)
			return
		}
		out.Stages = nonNil(out.Stages)
		for _, sc := range out.Stages {
			out.Total += sc.Count
		}
	}
	if out.Tasks, err = s.taskCounts(ctx, a); err != nil {
		respondError(c, err)
		return
	}
	c.JSON(http.StatusOK, out)
}

// taskCounts counts the tasks of a's lists (dashboardTasksJSON); nil for roles without an inbox.
func (s *Server) taskCounts(ctx context.Context, a domain.Actor) (*dashboardTasksJSON, error) {
	if !slices.ContainsFunc(taskReaders.roles, a.Has) {
		return nil, nil
	}
	f := inboxFilter(a)
	var t dashboardTasksJSON
	var err error
	if t.Open, err = s.store.CountTasks(ctx, f); err != nil {
		return nil, err
	}
	f.Overdue = true
	if t.Overdue, err = s.store.CountTasks(ctx, f); err != nil {
		return nil, err
	}
	if slices.ContainsFunc(overseers.roles, a.Has) {
		n, held, either, err := s.store.OversightCounts(ctx)
		if err != nil {
			return nil, err
		}
		t.AllOverdue, t.HeldByDisabled, t.Oversight = &n, &held, &either
	}
	return &t, nil
}

// menuCountsJSON is GET /api/v1/me/counts.
type menuCountsJSON struct {
	// Unread is the bell's number, as GET /notifications/unread-count gives it.
	Unread int `json:"unread"`
	// Tasks counts the caller's task lists as the dashboard does; absent for roles without one.
	Tasks *dashboardTasksJSON `json:"tasks,omitempty"`
}

// menuCounts is GET /api/v1/me/counts: the figures the web UI polls every 30 seconds, in one
// request — the bell's unread count and, beside the menu's 待办 and 逾期督办, the dashboard's
// task counts (without its project figures and lists).
func (s *Server) menuCounts(c *gin.Context) {
	a := mustActor(c)
	var out menuCountsJSON
	var err error
	if out.Unread, err = s.store.UnreadNotifications(c.Request.Context(), a.ID); err != nil {
		respondError(c, err)
		return
	}
	if out.Tasks, err = s.taskCounts(c.Request.Context(), a); err != nil {
		respondError(c, err)
		return
	}
	c.JSON(http.StatusOK, out)
}

// inboxFilter is what GET /tasks lists to a without filters: its inbox, or every task for Audit.
func inboxFilter(a domain.Actor) store.TaskFilter {
	return store.TaskFilter{UserID: a.ID, OrgID: a.OrgID, Roles: a.Roles, Status: "open", All: a.Has(domain.RoleAudit)}
}
