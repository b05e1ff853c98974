package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"egovpm/internal/audit"
	"egovpm/internal/domain"
)

// Task is a row of tasks.
type Task struct {
	ID             string          `db:"id" json:"id"`
	Kind           string          `db:"kind" json:"kind"`
	WorkflowID     string          `db:"workflow_id" json:"workflow_id"`
	ProjectID      sql.NullString  `db:"project_id" json:"-"`
	BundleID       sql.NullString  `db:"bundle_id" json:"-"`
	CandidateRole  string          `db:"candidate_role" json:"candidate_role"`
	CandidateOrgID sql.NullString  `db:"candidate_org_id" json:"-"`
	AssigneeID     sql.NullString  `db:"assignee_id" json:"-"`
	Status         string          `db:"status" json:"status"`
	Decision       sql.NullString  `db:"decision" json:"-"`
	DecidedBy      sql.NullString  `db:"decided_by" json:"-"`
	DecidedAt      sql.NullTime    `db:"decided_at" json:"-"`
	Comment        sql.NullString  `db:"comment" json:"-"`
	DueAt          time.Time       `db:"due_at" json:"due_at"`
	Details        json.RawMessage `db:"details" json:"details"`
	CreatedAt      time.Time       `db:"created_at" json:"created_at"`
	// ProjectUnitID is joined from projects for authorization (R4 recusal, unit scoping).
	ProjectUnitID sql.NullString `db:"project_unit_id" json:"-"`
	// SubmittedBy are who submitted or recorded what the task decides on (separation of
	// duties, authz.TaskFacts); read by Task and SessionUserTask only.
	SubmittedBy pq.StringArray `db:"submitted_by" json:"-"`
	// ProjectName and ProjectPlanYear are joined from projects for the inbox.
	ProjectName     sql.NullString `db:"project_name" json:"-"`
	ProjectPlanYear sql.NullInt64  `db:"project_plan_year" json:"-"`
	// DelegatedBy is who delegated the task to its assignee (委派, issue 19 item 6).
	DelegatedBy sql.NullString `db:"delegated_by" json:"-"`
	// AssigneeName is the assignee's display name, joined from users by OpenTasksOfProject
	// only (项目详情's 待办事项 names its 办理人; applicants may not list users).
	AssigneeName sql.NullString `db:"assignee_name" json:"-"`
}

const taskCols = `t.id, t.kind, t.workflow_id, t.project_id, t.bundle_id, t.candidate_role, t.candidate_org_id,
	t.assignee_id, t.status, t.decision, t.decided_by, t.decided_at, t.comment, t.due_at, t.details, t.created_at, t.delegated_by,
	p.unit_id AS project_unit_id, p.name AS project_name, p.plan_year AS project_plan_year`

// SubmitActions are the audit actions by which a person submits or records what a project's
// tasks decide on: the submission (gateway and lifecycle), a resubmission, and the unit's
// delivery requests (R9–R13). Whoever did one may not act on the project's tasks (separation
// of duties).
var SubmitActions = []string{"project.submit_request", "project.submit", "project.resubmit", "contract.register",
	"construction.complete", "acceptance.apply", "om.file"}

// taskSubmittedByCol is who submitted or recorded what task t decides on: the actors of the
// project's SubmitActions as the audit log records them (R18), or the creator of the bundle.
var taskSubmittedByCol = `ARRAY(SELECT a.actor_id FROM audit_log a WHERE a.object_type = 'project' AND a.object_id = t.project_id
		AND a.action = ANY('{` + strings.Join(SubmitActions, ",") + `}'::text[])
		UNION SELECT b.created_by FROM bundles b WHERE b.task_id = t.id)`

// Task returns one task with its project's unit and who submitted what it decides on.
func (s *Store) Task(ctx context.Context, id string) (Task, error) {
	var t Task
	err := s.getP(ctx, &t, `SELECT `+taskCols+`, `+taskSubmittedByCol+` AS submitted_by
		FROM tasks t LEFT JOIN projects p ON p.id = t.project_id WHERE t.id = $1`, id)
	return t, notFound(err)
}

// OpenTasksOfProject returns the open tasks of a project, with their assignees' names.
func (s *Store) OpenTasksOfProject(ctx context.Context, projectID string) ([]Task, error) {
	var ts []Task
	err := s.selectP(ctx, &ts, `SELECT `+taskCols+`, u.name AS assignee_name FROM tasks t LEFT JOIN projects p ON p.id = t.project_id
		LEFT JOIN users u ON u.id = t.assignee_id
		WHERE t.project_id = $1 AND t.status = 'open' ORDER BY t.due_at, t.id`, projectID)
	return ts, err
}

// TaskFilter selects an actor's inbox page.
type TaskFilter struct {
	// All lists every task, not the actor's inbox (Audit, read-only over everything).
	All       bool
	UserID    string
	OrgID     string
	Roles     []string
	Status    string // open (default) or done
	Kind      string
	ProjectID string
	PlanYear  int // 0: any; else the plan year of the task's project or bundle
	// Overdue keeps the open tasks past their due date (T2), with Status open.
	Overdue bool
	// HolderDisabled keeps the tasks whose assignee's account is disabled (停用): they wait for
	// the DRB supervisor's 转办 whether due or not (逾期督办).
	HolderDisabled bool
	Limit          int
	Cursor         string
}

type taskCursor struct {
	Due time.Time `json:"d"`
	ID  string    `json:"i"`
}

// ListTasks returns the actor's tasks, due first, keyset-paginated on (due_at, id): open tasks
// offered to one of the actor's roles (and org, when the task names one) and not yet claimed,
// plus tasks assigned to the actor. Tasks of the actor's own unit's projects are never offered
// to an expert (R4 recusal). Done: the tasks the actor decided, the latest decided first
// (已办; doneKey).
//
// The open query is shaped for the partial indexes: the
// assigned branch reads tasks_assignee_idx, and the offered branch runs once per role
// (candidate_role = <role>, a LATERAL over the role list) so that tasks_open_role_idx
// (candidate_role, due_at, id) yields rows already in page order and each scan stops after
// one page. A single "candidate_role = ANY(roles)" scan cannot do that for a person with two
// roles, and sorted every open task of those roles on each request. No count is computed.
func (s *Store) ListTasks(ctx context.Context, f TaskFilter) ([]Task, string, error) {
	q, args, err := taskListQuery(f, taskCols)
	if err != nil {
		return nil, "", err
	}
	var ts []Task
	if err := s.selectInbox(ctx, &ts, q, args...); err != nil {
		return nil, "", fmt.Errorf("list tasks: %w", err)
	}
	ts, next := keysetPage(ts, f.Limit, func(l Task) any { return taskCursor{Due: taskKey(f, l), ID: l.ID} })
	return ts, next, nil
}

// ListTasksJSON is ListTasks as the API shows it: the page as a JSON array of tasks, each
// built by PostgreSQL (taskJSONCol), and the next cursor. GET /tasks sends it as it comes,
// without scanning 17 columns per row and encoding the page again. The gateway's
// TestTaskListJSONMatchesTaskJSON keeps the two representations of a task the same.
func (s *Store) ListTasksJSON(ctx context.Context, f TaskFilter) (json.RawMessage, string, error) {
	key := "t.due_at"
	if latestFirst(f) {
		key = doneKey
	}
	q, args, err := taskListQuery(f, key+`, t.id, `+taskJSONCol)
	if err != nil {
		return nil, "", err
	}
	rows, done, err := s.queryInbox(ctx, q, args...)
	if err != nil {
		return nil, "", fmt.Errorf("list tasks: %w", err)
	}
	defer done()
	defer rows.Close()
	page := append(make([]byte, 0, 512*f.Limit), '[')
	var (
		c    taskCursor
		item sql.RawBytes
		n    int
		next string
	)
	for rows.Next() {
		if n == f.Limit {
			// The row after the page: there is a next page, after the page's last row.
			next = EncodeCursor(c)
			break
		}
		if err := rows.Scan(&c.Due, &c.ID, &item); err != nil {
			return nil, "", fmt.Errorf("list tasks: %w", err)
		}
		if n > 0 {
			page = append(page, ',')
		}
		page = append(page, item...)
		n++
	}
	if err := rows.Err(); err != nil {
		return nil, "", fmt.Errorf("list tasks: %w", err)
	}
	return append(page, ']'), next, nil
}

// taskJSONCol is the JSON text of the task row t as the API shows it (the gateway's taskJSON):
// project_id, candidate_org_id and assignee_id always present (null when unset); bundle_id,
// decision, decided_by, decided_at and comment only when set; details only when not empty;
// times as Go's RFC 3339 in the session's time zone ("Z" at offset zero, no fraction).
var taskJSONCol = `'{"id":' || to_json(t.id)::text || ',"kind":' || to_json(t.kind)::text ||
	',"project_id":' || coalesce(to_json(t.project_id)::text, 'null') ||
	',"project_name":' || coalesce(to_json(p.name)::text, 'null') || ',"plan_year":' || coalesce(p.plan_year::text, 'null') ||
	coalesce(',"bundle_id":' || to_json(t.bundle_id)::text, '') ||
	',"status":' || to_json(t.status)::text || ',"candidate_role":' || to_json(t.candidate_role)::text ||
	',"candidate_org_id":' || coalesce(to_json(t.candidate_org_id)::text, 'null') ||
	',"assignee_id":' || coalesce(to_json(t.assignee_id)::text, 'null') ||
	coalesce(',"decision":' || to_json(t.decision)::text, '') ||
	coalesce(',"decided_by":' || to_json(t.decided_by)::text, '') ||
	CASE WHEN t.decided_at IS NULL THEN '' ELSE ',"decided_at":"' || ` + rfc3339SQL("t.decided_at") + ` || '"' END ||
	coalesce(',"comment":' || to_json(t.comment)::text, '') ||
	',"due_at":"' || ` + rfc3339SQL("t.due_at") + ` || '","created_at":"' || ` + rfc3339SQL("t.created_at") + ` || '"' ||
	CASE WHEN t.details IS NULL OR t.details IN ('{}'::jsonb, 'null'::jsonb) THEN '' ELSE ',"details":' || t.details::text END ||
	'}' AS item`

// rfc3339SQL formats the timestamptz col as Go's time.RFC3339 does a time read from the same
// session.
func rfc3339SQL(col string) string {
	return `CASE WHEN extract(timezone FROM ` + col + `) = 0 THEN to_char(` + col + `, 'YYYY-MM-DD"T"HH24:MI:SS"Z"')
		ELSE to_char(` + col + `, 'YYYY-MM-DD"T"HH24:MI:SSTZH:TZM') END`
}

// taskFilterSQL is the conditions of f's filters (kind, project, plan year, overdue) on tasks t.
func taskFilterSQL(f TaskFilter, arg func(any) string) []string {
	var extra []string
	if f.Kind != "" {
		extra = append(extra, "t.kind = "+arg(f.Kind))
	}
	if f.ProjectID != "" {
		extra = append(extra, "t.project_id = "+arg(f.ProjectID))
	}
	if f.PlanYear != 0 {
		y := arg(f.PlanYear)
		extra = append(extra, "(EXISTS (SELECT 1 FROM projects yp WHERE yp.id = t.project_id AND yp.plan_year = "+y+
			") OR EXISTS (SELECT 1 FROM bundles yb WHERE yb.id = t.bundle_id AND yb.plan_year = "+y+"))")
	}
	if f.Overdue {
		extra = append(extra, overdueSQL)
	}
	if f.HolderDisabled {
		extra = append(extra, heldByDisabledSQL)
	}
	return extra
}

// overdueSQL and heldByDisabledSQL are the conditions of TaskFilter.Overdue (T2: past its due
// date; with status open) and TaskFilter.HolderDisabled on tasks t, shared with OversightCounts.
const (
	overdueSQL        = "t.due_at < now()"
	heldByDisabledSQL = "t.assignee_id IN (SELECT hu.id FROM users hu WHERE hu.disabled)"
)

// OversightCounts counts 逾期督办's open tasks in one statement: overdue (as CountTasks of All,
// Overdue), held by a disabled user (All, HolderDisabled), and those either holds, each once.
func (s *Store) OversightCounts(ctx context.Context) (overdue, held, either int, err error) {
	var c struct {
		Overdue int `db:"overdue"`
		Held    int `db:"held"`
		Either  int `db:"either"`
	}
	if err := s.db.GetContext(ctx, &c, `SELECT count(*) FILTER (WHERE `+overdueSQL+`) AS overdue,
		count(*) FILTER (WHERE `+heldByDisabledSQL+`) AS held, count(*) AS either
		FROM tasks t WHERE t.status = 'open' AND (`+overdueSQL+` OR `+heldByDisabledSQL+`)`); err != nil {
		return 0, 0, 0, fmt.Errorf("oversight counts: %w", err)
	}
	return c.Overdue, c.Held, c.Either, nil
}

// doneKey orders a person's 已办 (the tasks they decided): the latest decided first. Closing
// a task sets decided_at; created_at stands in for a row without it, so the key is never NULL.
const doneKey = `coalesce(t.decided_at, t.created_at)`

// latestFirst tells whether f lists the actor's own decided tasks (已办), which page on
// (doneKey, id) descending; every other list pages on (due_at, id) ascending.
func latestFirst(f TaskFilter) bool { return f.Status == "done" && !f.All }

// taskKey is the time a task's list pages on (taskCursor.Due): its due time, or for 已办 when
// it was decided (doneKey).
func taskKey(f TaskFilter, t Task) time.Time {
	if !latestFirst(f) {
		return t.DueAt
	}
	if t.DecidedAt.Valid {
		return t.DecidedAt.Time
	}
	return t.CreatedAt
}

// taskListQuery is the query of ListTasks selecting cols (of tasks t and projects p).
func taskListQuery(f TaskFilter, cols string) (string, []any, error) {
	var args []any
	arg := placeholders(&args)
	extra := taskFilterSQL(f, arg)
	if f.Cursor != "" {
		var c taskCursor
		if err := DecodeCursor(f.Cursor, &c); err != nil {
			return "", nil, err
		}
		if latestFirst(f) {
			extra = append(extra, "("+doneKey+", t.id) < ("+arg(c.Due)+", "+arg(c.ID)+")")
		} else {
			extra = append(extra, "(t.due_at, t.id) > ("+arg(c.Due)+", "+arg(c.ID)+")")
		}
	}
	and := ""
	if len(extra) > 0 {
		and = " AND " + strings.Join(extra, " AND ")
	}
	if f.Status == "delegated" { // 委派: the tasks the actor delegated, open or decided
		return `SELECT ` + cols + ` FROM tasks t LEFT JOIN projects p ON p.id = t.project_id
			WHERE t.delegated_by = ` + arg(f.UserID) + and + ` ORDER BY t.due_at, t.id LIMIT ` + arg(f.Limit+1), args, nil
	}
	if f.All {
		status := "t.status = 'open'"
		if f.Status == "done" {
			status = "t.status <> 'open'"
		}
		return `SELECT ` + cols + ` FROM tasks t LEFT JOIN projects p ON p.id = t.project_id
			WHERE ` + status + and + ` ORDER BY t.due_at, t.id LIMIT ` + arg(f.Limit+1), args, nil
	}
	user, limit := arg(f.UserID), arg(f.Limit+1)
	if f.Status == "done" {
		return `SELECT ` + cols + ` FROM tasks t LEFT JOIN projects p ON p.id = t.project_id
			WHERE t.decided_by = ` + user + ` AND t.status <> 'open'` + and + ` ORDER BY ` + doneKey + ` DESC, t.id DESC LIMIT ` + limit, args, nil
	}
	org, roles := arg(f.OrgID), arg(pq.Array(f.Roles))
	return `SELECT ` + cols + ` FROM (
		SELECT id, due_at FROM (
			(SELECT t.id, t.due_at FROM tasks t
			 WHERE t.assignee_id = ` + user + ` AND t.status = 'open'` + and + `
			 ORDER BY t.due_at, t.id LIMIT ` + limit + `)
			UNION ALL
			(SELECT t.id, t.due_at FROM absences a JOIN tasks t ON t.assignee_id = a.user_id
			 WHERE a.deputy_id = ` + user + ` AND ` + activeAbsence + ` AND t.status = 'open'` + and + `
			 ORDER BY t.due_at, t.id LIMIT ` + limit + `)
			UNION ALL
			(SELECT o.id, o.due_at FROM (SELECT DISTINCT role FROM unnest(` + roles + `::text[]) AS a(role)) r CROSS JOIN LATERAL (
				SELECT t.id, t.due_at FROM tasks t
				WHERE t.status = 'open' AND t.assignee_id IS NULL AND t.candidate_role = r.role
				  AND (t.candidate_org_id IS NULL OR t.candidate_org_id = ` + org + `)` + and + `
				  AND NOT (r.role = 'expert' AND EXISTS (
					SELECT 1 FROM projects rp WHERE rp.id = t.project_id AND rp.unit_id = ` + org + `))
				ORDER BY t.due_at, t.id LIMIT ` + limit + `) o)
		) u ORDER BY due_at, id LIMIT ` + limit + `
	) x JOIN tasks t ON t.id = x.id LEFT JOIN projects p ON p.id = t.project_id
	ORDER BY t.due_at, t.id`, args, nil
}

// CountTasks counts the tasks ListTasks lists for f over all its pages (the dashboard's
// figures: the same conditions as the list, without paging).
func (s *Store) CountTasks(ctx context.Context, f TaskFilter) (int, error) {
	var args []any
	arg := placeholders(&args)
	conds := taskFilterSQL(f, arg)
	switch {
	case f.Status == "delegated":
		conds = append(conds, "t.delegated_by = "+arg(f.UserID))
	case f.All && f.Status == "done":
		conds = append(conds, "t.status <> 'open'")
	case f.All:
		conds = append(conds, "t.status = 'open'")
	case f.Status == "done":
		conds = append(conds, "t.decided_by = "+arg(f.UserID), "t.status <> 'open'")
	default:
		user, org, roles := arg(f.UserID), arg(f.OrgID), arg(pq.Array(f.Roles))
		conds = append(conds, `t.status = 'open' AND (t.assignee_id = `+user+` OR t.assignee_id IN (
			SELECT a.user_id FROM absences a WHERE a.deputy_id = `+user+` AND `+activeAbsence+`) OR (t.assignee_id IS NULL
			AND t.candidate_role = ANY(`+roles+`::text[]) AND (t.candidate_org_id IS NULL OR t.candidate_org_id = `+org+`)
			AND NOT (t.candidate_role = 'expert' AND EXISTS (
				SELECT 1 FROM projects rp WHERE rp.id = t.project_id AND rp.unit_id = `+org+`))))`)
	}
	var n int
	if err := s.db.GetContext(ctx, &n, `SELECT count(*) FROM tasks t WHERE `+strings.Join(conds, " AND "), args...); err != nil {
		return 0, fmt.Errorf("count tasks: %w", err)
	}
	return n, nil
}

// ErrAlreadyClaimed is returned when another person holds the task.
var ErrAlreadyClaimed = errors.New("task already claimed")

// ClaimTask assigns an open, unclaimed task to userID (claiming one's own task again is a
// no-op).
func (s *Store) ClaimTask(ctx context.Context, t *Tx, taskID, userID string) error {
	tx := t.tx
	res, err := tx.ExecContext(ctx, `UPDATE tasks SET assignee_id = $2 WHERE id = $1 AND status = 'open'
		AND (assignee_id IS NULL OR assignee_id = $2)`, taskID, userID)
	if err != nil {
		return fmt.Errorf("claim task: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrAlreadyClaimed
	}
	return nil
}

// ApplyTransition writes t all or nothing, in one statement (alone) or one transaction:
// idempotent by t.ID (a retried activity after a commit changes nothing). due computes the due
// instant of a task opened now.
func (s *Store) ApplyTransition(ctx context.Context, t domain.Transition, due func(now time.Time, workdays int) time.Time) (domain.TransitionResult, error) {
	res := domain.TransitionResult{Due: map[string]time.Time{}}
	inTx := func() error {
		return s.inTx(ctx, func(tx *sqlx.Tx) error { return s.applyInTx(ctx, tx, t, due, &res) })
	}
	if alone(t) {
		// Most decisions: the stage, the task closes and one audit row, written by one
		// statement that is its own transaction (audit.Chain.AppendAlone) when this process
		// knows the chain's head; else (first append, head moved, a retry) in a transaction.
		_, err := s.Audit.AppendAlone(ctx, s.execAlone, auditEntry(t, 0), transitionWrites(t), inTx)
		return res, err
	}
	return res, inTx()
}

// applyInTx writes t in tx (ApplyTransition), the due dates of the tasks it opens into res.
func (s *Store) applyInTx(ctx context.Context, tx *sqlx.Tx, t domain.Transition, due func(now time.Time, workdays int) time.Time, res *domain.TransitionResult) error {
	// The transaction's clock, read only when a task opens (its due date counts from it):
	// a decision that opens nothing saves the round trip.
	var now time.Time
	if len(t.Open) > 0 {
		if err := s.txGet(ctx, tx, &now, `SELECT now()`); err != nil {
			return fmt.Errorf("now: %w", err)
		}
	}
	for _, n := range t.Open {
		dueAt := due(now, n.DueWorkdays)
		details := detailsJSON(n.Details)
		// One round trip opens the task and reports its stored due date: a retry must not
		// move it, so a task already there (the insert did nothing) reports its own.
		const q = `WITH ins AS (INSERT INTO tasks (id, kind, workflow_id, project_id, bundle_id, candidate_role,
			candidate_org_id, assignee_id, due_at, details)
			VALUES ($1,$2,$3,NULLIF($4,''),NULLIF($5,''),$6,NULLIF($7,''),NULLIF($8,''),$9,$10)
			ON CONFLICT (id) DO NOTHING RETURNING due_at)
			SELECT due_at FROM ins UNION ALL SELECT due_at FROM tasks WHERE id = $1 AND NOT EXISTS (SELECT FROM ins)`
		err := s.txGet(ctx, tx, &dueAt, q, n.ID, string(n.Kind), t.WorkflowID, n.ProjectID, n.BundleID,
			n.CandidateRole, n.CandidateOrgID, n.AssigneeID, dueAt, details)
		if errors.Is(err, sql.ErrNoRows) {
			// The conflicting row was committed by another transaction after this statement's
			// snapshot (the insert waited for it): the next statement sees it.
			err = s.txGet(ctx, tx, &dueAt, `SELECT due_at FROM tasks WHERE id = $1`, n.ID)
		}
		if err != nil {
			return fmt.Errorf("open task %s: %w", n.ID, err)
		}
		res.Due[n.ID] = dueAt
	}
	for _, as := range t.Assign {
		// 转办: only an open task moves; a retry finds it moved already and changes nothing.
		// 委派 also records the delegator (kept when the task moves on).
		if _, err := s.txExec(ctx, tx, `UPDATE tasks SET assignee_id = $2, delegated_by = coalesce(NULLIF($3, ''), delegated_by)
			WHERE id = $1 AND status = 'open'`, as.TaskID, as.AssigneeID, as.DelegatedBy); err != nil {
			return fmt.Errorf("assign task %s: %w", as.TaskID, err)
		}
	}
	if err := s.applyPlanWrites(ctx, tx, t, res); err != nil {
		return err
	}
	if err := s.applyDeliveryWrites(ctx, tx, t); err != nil {
		return err
	}
	if err := s.applyChangeWrites(ctx, tx, t); err != nil {
		return err
	}
	if f := t.ActivityFailure; f != nil {
		const q = `INSERT INTO activity_failures (id, workflow_id, run_id, project_id, activity_type, error)
			VALUES ($1, $2, $3, NULLIF($4, ''), $5, $6) ON CONFLICT (id) DO NOTHING`
		if _, err := s.txExec(ctx, tx, q, FailureID(t.ID), t.WorkflowID, f.RunID, t.ProjectID, f.ActivityType, f.Error); err != nil {
			return fmt.Errorf("activity failure: %w", err)
		}
	}
	// The notices before the audit rows, which hold the chain's head until the commit.
	if err := s.transitionNotices(ctx, tx, t); err != nil {
		return err
	}
	// The stage and the closed tasks are written by the statement that locks the audit
	// chain's head for the first audit row (one round trip for both), or alone when the
	// transition audits nothing.
	w := transitionWrites(t)
	if len(t.Audit) == 0 && w.SQL != "" {
		if _, err := s.txExec(ctx, tx, "WITH "+w.SQL+" SELECT n FROM w", w.Args...); err != nil {
			return fmt.Errorf("stage and tasks: %w", err)
		}
	}
	for i := range t.Audit {
		if i > 0 {
			w = audit.Writes{}
		}
		if err := s.Audit.AppendAfter(ctx, tx, auditEntry(t, i), w); err != nil {
			return fmt.Errorf("stage, tasks and audit: %w", err)
		}
	}
	return nil
}

// transitionNotices writes in tx t's explicit notices and those it derives (issue 19 item 1,
// notices.go), the explicit first (a derived one skips who has an explicit one). applyInTx
// writes them before its audit rows: the chain's head, locked by the first append until the
// commit, serialises every transaction that appends, so what need not hold it goes first (the
// members of a bundle decision each wait for the head in turn: docs/PERFORMANCE.md §11.4.5).
// They read the
// tasks t opens, written before them, and the project's facts, which t's stage write does not
// change; they lock no row another transaction holds while it waits for the audit head.
func (s *Store) transitionNotices(ctx context.Context, tx *sqlx.Tx, t domain.Transition) error {
	for i, n := range t.Notify {
		if err := s.notify(ctx, tx, fmt.Sprintf("%s#%d", t.ID, i), t.ProjectID, n); err != nil {
			return err
		}
	}
	return s.deriveNotices(ctx, tx, t)
}

// auditMembers writes t.Bundle.MemberAudit for each of the bundle's members, keyed by the
// member (a retry writes each once), and reports how many there are and their digest in res.
func (s *Store) auditMembers(ctx context.Context, tx *sqlx.Tx, t domain.Transition, members []string, res *domain.TransitionResult) error {
	if members == nil {
		return nil
	}
	res.Bundled, res.BundleDigest = len(members), domain.BundleDigest(members)
	a := t.Bundle.MemberAudit
	if a == nil {
		return nil
	}
	for _, pid := range members {
		e := audit.Entry{ActorID: a.ActorID, OrgID: a.OrgID, Action: a.Action, ObjectType: "project", ObjectID: pid,
			Outcome: a.Outcome, RequestID: a.RequestID, Detail: a.Detail, DedupKey: t.ID + "#m:" + pid}
		if err := s.Audit.AppendAfter(ctx, tx, e, audit.Writes{}); err != nil {
			return fmt.Errorf("bundle member audit %s: %w", pid, err)
		}
	}
	return nil
}

// alone reports whether t is only a stage, task closes and one audit row, and derives no
// notification: what audit.Chain.AppendAlone writes in one statement.
func alone(t domain.Transition) bool {
	return !DerivesNotices(t) && len(t.Audit) == 1 && len(t.Open) == 0 && len(t.Notify) == 0 && len(t.PlanItems) == 0 && t.Bundle == nil &&
		t.Session == nil && t.Contract == nil && t.TrialRunEndsAt == nil && t.OMFiling == nil && t.Evaluation == nil && t.EvaluationDue == nil &&
		len(t.Assign) == 0 && t.ActivityFailure == nil && t.Change == nil && t.Closure == nil
}

// auditEntry is t's audit item i, keyed by the transition so that a retry appends it once.
func auditEntry(t domain.Transition, i int) audit.Entry {
	a := t.Audit[i]
	ot, oid := a.ObjectType, a.ObjectID
	if ot == "" {
		ot, oid = "project", t.ProjectID
	}
	return audit.Entry{ActorID: a.ActorID, OrgID: a.OrgID, Action: a.Action, ObjectType: ot, ObjectID: oid,
		Outcome: a.Outcome, RequestID: a.RequestID, Detail: a.Detail, DedupKey: fmt.Sprintf("%s#%d", t.ID, i)}
}

// execAlone runs q outside any transaction through the statement cache (audit.Exec).
func (s *Store) execAlone(ctx context.Context, dest any, q string, args ...any) error {
	st, err := s.stmts.prepare(ctx, q)
	if err != nil {
		return err
	}
	return st.GetContext(ctx, dest, args...)
}

// detailsJSON is a task's details as JSON text, "{}" when it has none.
func detailsJSON(d map[string]any) string {
	if d == nil {
		return "{}"
	}
	b, _ := json.Marshal(d)
	return string(b)
}

// transitionWrites is t's new stage and its closed tasks as audit.Writes (WITH items, the last
// named w), empty when t has neither. A task closed twice in t takes the first close's values.
func transitionWrites(t domain.Transition) audit.Writes {
	var items, counts []string
	var args []any
	arg := placeholders(&args)
	if t.ProjectID != "" && t.Stage != "" {
		set := "stage = " + arg(string(t.Stage)) + ", updated_at = now(), version = version + 1"
		if t.ApprovedAmountFen > 0 {
			set += ", approved_amount_fen = " + arg(t.ApprovedAmountFen)
		}
		if t.Round > 0 {
			set += ", round = greatest(round, " + arg(t.Round) + ")" // R3: a retried write never lowers it
		}
		items = append(items, "p AS (UPDATE projects SET "+set+" WHERE id = "+arg(t.ProjectID)+" RETURNING 1)")
		counts = append(counts, "(SELECT count(*) FROM p)")
	}
	if len(t.Close) > 0 {
		var ids, statuses, decisions, actors, comments, details []string
		for _, c := range t.Close {
			status := "done"
			if c.Cancelled {
				status = "cancelled"
			}
			ids, statuses, decisions = append(ids, c.TaskID), append(statuses, status), append(decisions, c.Decision)
			actors, comments, details = append(actors, c.ActorID), append(comments, c.Comment), append(details, detailsJSON(c.Details))
		}
		// One task (most transitions) by its id: a generic plan PostgreSQL keeps. Several by
		// id = ANY(ids), an index lookup whatever the planner knows of the table (a join with
		// unnest(ids) was planned as a hash join over tasks on a fresh database); a task's
		// values are at its first position in ids.
		col, where := func(v []string) string { return arg(v[0]) }, "t.id = "
		if len(ids) > 1 {
			idsP := arg(pq.Array(ids))
			col = func(v []string) string {
				return "(" + arg(pq.Array(v)) + "::text[])[array_position(" + idsP + "::text[], t.id)]"
			}
			where = "t.id = ANY(" + idsP + "::text[])"
		} else {
			where += arg(ids[0])
		}
		status, decision, actor, comment, detail := col(statuses), col(decisions), col(actors), col(comments), col(details)
		// Compact: pg_stat_activity shows the statement's first kB, which must reach the audit head.
		items = append(items, `c AS(UPDATE tasks t SET status=`+status+`,decision=NULLIF(`+decision+`,''),decided_by=NULLIF(`+actor+`,''),
	decided_at=now(),comment=NULLIF(`+comment+`,''),details=t.details||`+detail+`::jsonb,assignee_id=coalesce(t.assignee_id,NULLIF(`+actor+`,''))
	WHERE `+where+` AND t.status='open' RETURNING t.*,`+col(delegatorNoticeBodies(t.Close))+` b)`,
			delegatorNotices(t.ID, arg))
		counts = append(counts, "(SELECT count(*) FROM c)")
	}
	if len(items) == 0 {
		return audit.Writes{}
	}
	return audit.Writes{SQL: strings.Join(items, ",\n\t") + ",\n\tw AS (SELECT " + strings.Join(counts, " + ") + " AS n)", Args: args}
}

// notify writes one notification row per recipient (the user, or each enabled person of the
// role and org) and per active deputy (代理人) of an absent recipient (withDeputies); ids
// derive from the transition, so a retry writes nothing twice.
func (s *Store) notify(ctx context.Context, tx *sqlx.Tx, id, projectID string, n domain.Notice) error {
	q := `WITH rc AS (SELECT u.id FROM users u WHERE NOT u.disabled AND (u.id = $7
			OR ($7 = '' AND EXISTS (SELECT 1 FROM user_roles r WHERE r.user_id = u.id AND r.role = $8)
			AND ($9 = '' OR u.org_id = $9))))
		INSERT INTO notifications (id, user_id, kind, title, body, project_id, task_id)
		SELECT $1 || ':' || u.id, u.id, $2, $3, $4, NULLIF($5,''), NULLIF($6,'')
		FROM ` + withDeputies("rc") + ` AS u(id)
		ON CONFLICT (id) DO NOTHING`
	if _, err := s.txExec(ctx, tx, q, id, n.Kind, n.Title, n.Body, projectID, n.TaskID, n.UserID, n.Role, n.OrgID); err != nil {
		return fmt.Errorf("notify: %w", err)
	}
	return nil
}

// OverdueTask is an open human task past its due date.
type OverdueTask struct {
	ID            string         `db:"id"`
	Kind          string         `db:"kind"`
	WorkflowID    string         `db:"workflow_id"`
	DueAt         time.Time      `db:"due_at"`
	CandidateRole string         `db:"candidate_role"`
	AssigneeID    sql.NullString `db:"assignee_id"`
	// AssigneeName is the assignee's name ("" when none), for the reason ops reads (O1).
	AssigneeName string `db:"assignee_name"`
}

// OverdueTasks lists up to limit open tasks due before before, oldest first.
func (s *Store) OverdueTasks(ctx context.Context, before time.Time, limit int) ([]OverdueTask, error) {
	const q = `SELECT t.id, t.kind, t.workflow_id, t.due_at, t.candidate_role, t.assignee_id,
			COALESCE(u.name, '') AS assignee_name
		FROM tasks t LEFT JOIN users u ON u.id = t.assignee_id
		WHERE t.status = 'open' AND t.due_at < $1 ORDER BY t.due_at, t.id LIMIT $2`
	var out []OverdueTask
	if err := s.db.SelectContext(ctx, &out, q, before, limit); err != nil {
		return nil, fmt.Errorf("overdue tasks: %w", err)
	}
	return out, nil
}
