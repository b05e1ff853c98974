package store

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/lib/pq"

	"egovpm/internal/authz"
)

// Project is a row of projects.
type Project struct {
	ID                     string         `db:"id" json:"id"`
	UnitID                 string         `db:"unit_id" json:"unit_id"`
	Name                   string         `db:"name" json:"name"`
	Type                   string         `db:"type" json:"type"`
	ParentProjectID        sql.NullString `db:"parent_project_id" json:"-"`
	PlanYear               int            `db:"plan_year" json:"plan_year"`
	EstimatedInvestmentFen int64          `db:"estimated_investment_fen" json:"estimated_investment_fen"`
	ApprovedAmountFen      sql.NullInt64  `db:"approved_amount_fen" json:"-"`
	Description            string         `db:"description" json:"description"`
	DataResources          pq.StringArray `db:"data_resources" json:"data_resources"` // R16; nil is stored as the empty list
	MLPSLevel              int            `db:"mlps_level" json:"mlps_level"`
	UsesCrypto             bool           `db:"uses_crypto" json:"uses_crypto"`
	// Deployment, DeploymentReason, SharedPlatforms: the shared infrastructure the unit declares
	// it uses (基础共用, schema 0043); Deployment is NULL for a project created before it.
	Deployment       sql.NullString `db:"deployment" json:"-"`
	DeploymentReason string         `db:"deployment_reason" json:"-"`
	SharedPlatforms  pq.StringArray `db:"shared_platforms" json:"-"`
	Stage            string         `db:"stage" json:"stage"`
	PolicyVersion    sql.NullString `db:"policy_version" json:"-"`
	SpecialRequest   bool           `db:"special_request" json:"special_request"`
	Round            int            `db:"round" json:"round"`
	WorkflowID       sql.NullString `db:"workflow_id" json:"-"`
	CreatedBy        string         `db:"created_by" json:"created_by"`
	SubmittedAt      sql.NullTime   `db:"submitted_at" json:"-"`
	CreatedAt        time.Time      `db:"created_at" json:"created_at"`
	UpdatedAt        time.Time      `db:"updated_at" json:"updated_at"`
	Version          int            `db:"version" json:"version"`
	TrialRunEndsAt   sql.NullTime   `db:"trial_run_ends_at" json:"-"`
	// ClosedAs, ClosedReason, ClosedAt: how a closed project closed (terminated or retired,
	// issue 19 item 4).
	ClosedAs     sql.NullString `db:"closed_as" json:"-"`
	ClosedReason sql.NullString `db:"closed_reason" json:"-"`
	ClosedAt     sql.NullTime   `db:"closed_at" json:"-"`
	// ClosedSettlementFen: the final settlement (终止结算) DRB approved with a termination.
	ClosedSettlementFen sql.NullInt64 `db:"closed_settlement_fen" json:"-"`
}

const projectCols = `id, unit_id, name, type, parent_project_id, plan_year, estimated_investment_fen, approved_amount_fen,
	description, data_resources, mlps_level, uses_crypto, deployment, deployment_reason, shared_platforms,
	stage, policy_version, special_request, round, workflow_id, created_by, submitted_at, created_at, updated_at, version,
	trial_run_ends_at, closed_as, closed_reason, closed_at, closed_settlement_fen`

// CreateProject inserts a draft.
func (s *Store) CreateProject(ctx context.Context, t *Tx, p *Project) error {
	tx := t.tx
	const q = `INSERT INTO projects (id, unit_id, name, type, parent_project_id, plan_year, estimated_investment_fen,
		description, data_resources, mlps_level, uses_crypto, deployment, deployment_reason, shared_platforms, stage, created_by)
		VALUES (:id, :unit_id, :name, :type, :parent_project_id, :plan_year, :estimated_investment_fen,
		:description, coalesce(CAST(:data_resources AS text[]), '{}'), :mlps_level, :uses_crypto,
		:deployment, :deployment_reason, coalesce(CAST(:shared_platforms AS text[]), '{}'), 'draft', :created_by)
		ON CONFLICT (id) DO NOTHING
		RETURNING created_at, updated_at, version, stage`
	q2, args, err := tx.BindNamed(q, p)
	if err != nil {
		return fmt.Errorf("bind project: %w", err)
	}
	err = tx.QueryRowxContext(ctx, q2, args...).Scan(&p.CreatedAt, &p.UpdatedAt, &p.Version, &p.Stage)
	if errors.Is(err, sql.ErrNoRows) {
		return ErrProjectExists
	}
	if err != nil {
		return fmt.Errorf("insert project: %w", err)
	}
	return nil
}

// ErrProjectExists is returned by CreateProject when a project with that id exists already
// (an idempotent create repeated: its id derives from the Idempotency-Key).
var ErrProjectExists = errors.New("project exists")

// Project returns one project.
func (s *Store) Project(ctx context.Context, id string) (Project, error) {
	var p Project
	err := s.getP(ctx, &p, `SELECT `+projectCols+` FROM projects WHERE id = $1`, id) // prepared once per connection
	return p, notFound(err)
}

// ProjectForUpdate returns one project, locking its row in tx.
func (s *Store) ProjectForUpdate(ctx context.Context, t *Tx, id string) (Project, error) {
	tx := t.tx
	var p Project
	err := tx.GetContext(ctx, &p, `SELECT `+projectCols+` FROM projects WHERE id = $1 FOR UPDATE`, id)
	return p, notFound(err)
}

// UpdateProjectFields writes the editable fields of a draft or returned project.
func (s *Store) UpdateProjectFields(ctx context.Context, t *Tx, p *Project) error {
	tx := t.tx
	const q = `UPDATE projects SET name = :name, type = :type, parent_project_id = :parent_project_id,
		plan_year = :plan_year, estimated_investment_fen = :estimated_investment_fen, description = :description,
		data_resources = coalesce(CAST(:data_resources AS text[]), '{}'), mlps_level = :mlps_level, uses_crypto = :uses_crypto,
		deployment = :deployment, deployment_reason = :deployment_reason, shared_platforms = coalesce(CAST(:shared_platforms AS text[]), '{}'),
		updated_at = now(), version = version + 1
		WHERE id = :id`
	if _, err := tx.NamedExecContext(ctx, q, p); err != nil {
		return fmt.Errorf("update project: %w", err)
	}
	return nil
}

// MarkSubmitted records the submission of round on the project row (the workflow then moves
// the stage).
func (s *Store) MarkSubmitted(ctx context.Context, t *Tx, id, policy, workflowID string, special bool, round int) error {
	tx := t.tx
	const q = `UPDATE projects SET policy_version = $2, workflow_id = $3, special_request = $4, round = $5,
		submitted_at = now(), updated_at = now(), version = version + 1 WHERE id = $1`
	if _, err := tx.ExecContext(ctx, q, id, policy, workflowID, special, round); err != nil {
		return fmt.Errorf("mark submitted: %w", err)
	}
	return nil
}

// MarkSpecialRequest records that project id goes on as a special request (R8): a withdrawn
// project sent again past the R2 deadline.
func (s *Store) MarkSpecialRequest(ctx context.Context, id string) error {
	if _, err := s.db.ExecContext(ctx, `UPDATE projects SET special_request = true, updated_at = now(), version = version + 1
		WHERE id = $1`, id); err != nil {
		return fmt.Errorf("mark special request: %w", err)
	}
	return nil
}

// ProjectFilter selects projects for a list.
type ProjectFilter struct {
	// Reach is what the actor reads (authz.ReachOf): the list holds only those projects.
	Reach    authz.Reach
	UnitID   string
	Stage    string
	Type     string
	PlanYear int
	Q        string
	// Deployment keeps the projects of one 部署方式 (基础共用); "unset": those without one.
	Deployment string
	Limit      int
	Cursor     string
}

// deploymentSQL is the condition of a deployment filter ("unset": NULL), "" for none.
func deploymentSQL(d string, arg func(any) string) string {
	switch d {
	case "":
		return ""
	case "unset":
		return "p.deployment IS NULL"
	}
	return "p.deployment = " + arg(d)
}

type projectCursor struct {
	CreatedAt time.Time `json:"t"`
	ID        string    `json:"i"`
}

// EncodeCursor makes an opaque keyset cursor.
func EncodeCursor(v any) string {
	b, _ := json.Marshal(v)
	return base64.RawURLEncoding.EncodeToString(b)
}

// keysetPage trims rows read with LIMIT limit+1 to one page and returns the cursor of the
// page's last row (cursor makes its key), or "" when this is the last page.
func keysetPage[T any](rows []T, limit int, cursor func(last T) any) ([]T, string) {
	if len(rows) <= limit {
		return rows, ""
	}
	rows = rows[:limit]
	return rows, EncodeCursor(cursor(rows[len(rows)-1]))
}

// DecodeCursor reads a cursor made by EncodeCursor; a bad cursor is an error.
func DecodeCursor(s string, v any) error {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || bytes.Contains(b, []byte(`\u0000`)) || bytes.IndexByte(b, 0) >= 0 {
		return fmt.Errorf("bad cursor")
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("bad cursor")
	}
	return nil
}

// ListProjects returns a page of projects, newest first, and the next cursor.
func (s *Store) ListProjects(ctx context.Context, f ProjectFilter) ([]Project, string, error) {
	q, args, err := listProjectsQuery(f)
	if err != nil {
		return nil, "", err
	}
	var ps []Project
	if err := s.db.SelectContext(ctx, &ps, q, args...); err != nil {
		return nil, "", fmt.Errorf("list projects: %w", err)
	}
	ps, next := keysetPage(ps, f.Limit, func(l Project) any { return projectCursor{CreatedAt: l.CreatedAt, ID: l.ID} })
	return ps, next, nil
}

// listProjectsQuery is ListProjects' statement for f. Its filters on stage and plan year and
// its keyset order are one range of an index of 0034 (issue 20 item 3).
func listProjectsQuery(f ProjectFilter) (string, []any, error) {
	var where []string
	var args []any
	arg := placeholders(&args)
	if r := reachSQL(f.Reach, arg); r != "true" {
		where = append(where, r)
	}
	if f.UnitID != "" {
		where = append(where, "p.unit_id = "+arg(f.UnitID))
	}
	if f.Stage != "" {
		where = append(where, "p.stage = "+arg(f.Stage))
	}
	if f.Type != "" {
		where = append(where, "type = "+arg(f.Type))
	}
	if f.PlanYear != 0 {
		where = append(where, "p.plan_year = "+arg(f.PlanYear))
	}
	if f.Q != "" {
		where = append(where, "(p.name ILIKE "+arg("%"+escapeLike(f.Q)+"%")+" OR p.description ILIKE "+arg("%"+escapeLike(f.Q)+"%")+")")
	}
	if d := deploymentSQL(f.Deployment, arg); d != "" {
		where = append(where, d)
	}
	if f.Cursor != "" {
		var c projectCursor
		if err := DecodeCursor(f.Cursor, &c); err != nil {
			return "", nil, err
		}
		where = append(where, "(p.created_at, p.id) < ("+arg(c.CreatedAt)+", "+arg(c.ID)+")")
	}
	q := `SELECT ` + projectCols + ` FROM projects p`
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q += " ORDER BY p.created_at DESC, p.id DESC LIMIT " + arg(f.Limit+1)
	return q, args, nil
}

func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

// Timeline returns the audit rows of a project, oldest first (R18: who decided what, when, why).
// A row's actor is named as a person reads it: a user by name, the platform's own steps (timers,
// fan-outs: actor "system") as 系统, anything else by its id.
func (s *Store) Timeline(ctx context.Context, projectID string) ([]TimelineEntry, error) {
	const q = `SELECT a.at, a.actor_id,
			coalesce(u.name, CASE WHEN a.actor_id = 'system' THEN '系统' END, a.actor_id) AS actor_name,
			a.action, a.outcome, a.detail
		FROM audit_log a LEFT JOIN users u ON u.id = a.actor_id
		WHERE a.object_type = 'project' AND a.object_id = $1 ORDER BY a.seq LIMIT 1000`
	var out []TimelineEntry
	if err := s.selectP(ctx, &out, q, projectID); err != nil {
		return nil, fmt.Errorf("timeline: %w", err)
	}
	return out, nil
}

// TimelineEntry is one line of a project's timeline.
type TimelineEntry struct {
	At        time.Time       `db:"at" json:"at"`
	ActorID   string          `db:"actor_id" json:"actor_id"`
	ActorName string          `db:"actor_name" json:"actor_name"`
	Action    string          `db:"action" json:"action"`
	Outcome   string          `db:"outcome" json:"outcome"`
	Detail    json.RawMessage `db:"detail" json:"detail"`
}
