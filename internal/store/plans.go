package store

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"egovpm/internal/domain"
)

// applyPlanWrites writes the plan items, bundle and session of a transition (idempotent); a
// bundle's membership written by reference, or audited per member, is counted in res.
func (s *Store) applyPlanWrites(ctx context.Context, tx *sqlx.Tx, t domain.Transition, res *domain.TransitionResult) error {
	for _, it := range t.PlanItems {
		var amount any
		if it.Included {
			amount = it.ApprovedAmountFen
		}
		// written_by names the plan transition that wrote the item (a compile's or an approved
		// adjustment's): a run of the plan continued as new reads back only the items of the
		// transitions it carries (plan-lean-resume). A lifecycle's supplementary item has none.
		var writtenBy any
		if !it.Supplementary && t.ID != "" {
			writtenBy = t.ID
		}
		q := `INSERT INTO plan_items (plan_year, project_id, included, approved_amount_fen, reason, supplementary, decided_by, written_by)
			VALUES ($1,$2,$3,$4,$5,$6,$7,$8) ON CONFLICT (project_id) DO NOTHING`
		if it.Adjusted { // R5 调整: the approved adjustment replaces the item (a retry writes the same)
			q = `INSERT INTO plan_items (plan_year, project_id, included, approved_amount_fen, reason, supplementary, decided_by, written_by)
			VALUES ($1,$2,$3,$4,$5,$6,$7,$8) ON CONFLICT (project_id) DO UPDATE SET included = EXCLUDED.included,
			approved_amount_fen = EXCLUDED.approved_amount_fen, reason = EXCLUDED.reason, decided_by = EXCLUDED.decided_by,
			written_by = EXCLUDED.written_by`
		}
		if _, err := tx.ExecContext(ctx, q, it.PlanYear, it.ProjectID, it.Included, amount, it.Reason, it.Supplementary, it.DecidedBy,
			writtenBy); err != nil {
			return fmt.Errorf("plan item %s: %w", it.ProjectID, err)
		}
	}
	if t.Bundle != nil {
		members, err := s.applyBundle(ctx, tx, t)
		if err != nil {
			return err
		}
		if err := s.auditMembers(ctx, tx, t, members, res); err != nil {
			return err
		}
	}
	if se := t.Session; se != nil {
		const q = `INSERT INTO expert_sessions (id, plan_year, expert_ids, created_by, co_org_ids)
			VALUES ($1,$2,$3,$4,coalesce($5::text[], '{}')) ON CONFLICT (id) DO NOTHING`
		if _, err := tx.ExecContext(ctx, q, se.ID, se.PlanYear, pq.Array(se.ExpertIDs), se.CreatedBy, pq.Array(se.CoOrgIDs)); err != nil {
			return fmt.Errorf("expert session %s: %w", se.ID, err)
		}
		// project_version: each project's version when the plan convened it (NULL when the
		// transition names none), for a run continued as new to tell a panel still current.
		const qp = `INSERT INTO expert_session_projects (session_id, project_id, project_version)
			SELECT $1, u.id, u.v FROM unnest($2::text[], $3::int[]) AS u(id, v) ON CONFLICT DO NOTHING`
		var versions any
		if len(se.ProjectVersions) == len(se.ProjectIDs) && len(se.ProjectIDs) > 0 {
			versions = pq.Array(se.ProjectVersions)
		}
		if _, err := tx.ExecContext(ctx, qp, se.ID, pq.Array(se.ProjectIDs), versions); err != nil {
			return fmt.Errorf("expert session %s projects: %w", se.ID, err)
		}
	}
	return nil
}

// applyBundle writes bundle t.Bundle: its row, its members (named, or chosen by Select, by
// reference) and their outcomes (each named, or Outcome for all but those named). It returns
// the members when the transition audits each (MemberAudit).
func (s *Store) applyBundle(ctx context.Context, tx *sqlx.Tx, t domain.Transition) ([]string, error) {
	b := t.Bundle
	const q = `INSERT INTO bundles (id, plan_year, task_id, status, created_by) VALUES ($1,$2,$3,$4,$5)
		ON CONFLICT (id) DO UPDATE SET status = EXCLUDED.status`
	if _, err := tx.ExecContext(ctx, q, b.ID, b.PlanYear, b.TaskID, b.Status, b.CreatedBy); err != nil {
		return nil, fmt.Errorf("bundle %s: %w", b.ID, err)
	}
	for _, pid := range b.ProjectIDs {
		const q = `INSERT INTO bundle_projects (bundle_id, project_id, outcome) VALUES ($1,$2,NULLIF($3,''))
			ON CONFLICT (bundle_id, project_id) DO UPDATE SET outcome = coalesce(EXCLUDED.outcome, bundle_projects.outcome)`
		if _, err := tx.ExecContext(ctx, q, b.ID, pid, b.Outcomes[pid]); err != nil {
			return nil, fmt.Errorf("bundle project %s: %w", pid, err)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE plan_items SET bundle_id = $1 WHERE project_id = $2`, b.ID, pid); err != nil {
			return nil, fmt.Errorf("plan item bundle %s: %w", pid, err)
		}
	}
	if b.Outcome != "" { // bundle-by-reference: one statement decides every member
		var excluded []string
		for pid, o := range b.Outcomes {
			if o == "excluded" {
				excluded = append(excluded, pid)
			}
		}
		const q = `UPDATE bundle_projects SET outcome = CASE WHEN project_id = ANY($3) THEN 'excluded' ELSE $2 END WHERE bundle_id = $1`
		if _, err := tx.ExecContext(ctx, q, b.ID, b.Outcome, pq.Array(excluded)); err != nil {
			return nil, fmt.Errorf("bundle %s outcomes: %w", b.ID, err)
		}
	}
	if b.Select == nil {
		if b.MemberAudit == nil {
			return nil, nil
		}
		return b.ProjectIDs, nil
	}
	// A retry finds its first attempt's members (in no other bundle) and adds none twice.
	sel := b.Select
	q2 := `INSERT INTO bundle_projects (bundle_id, project_id) SELECT $2, p.id ` + bundleCandidatesFrom + `
		AND NOT ` + cryptoPlanMissing + ` AND ` + approverRole("$6") + ` = $4 AND ` + approverOrg("$7") + ` = $5 ON CONFLICT DO NOTHING`
	if _, err := tx.ExecContext(ctx, q2, b.PlanYear, b.ID, sel.SmallBelowFen, sel.ApproverRole, sel.ApproverOrg,
		sel.DefaultRole, sel.DefaultOrg); err != nil {
		return nil, fmt.Errorf("bundle %s members: %w", b.ID, err)
	}
	var ids []string
	if err := tx.SelectContext(ctx, &ids, `SELECT project_id FROM bundle_projects WHERE bundle_id = $1 ORDER BY project_id`, b.ID); err != nil {
		return nil, fmt.Errorf("bundle %s members: %w", b.ID, err)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE plan_items SET bundle_id = $1 WHERE project_id = ANY($2)`, b.ID, pq.Array(ids)); err != nil {
		return nil, fmt.Errorf("bundle %s plan items: %w", b.ID, err)
	}
	// The approval task lists the members, as it does for a bundle that names them.
	if _, err := tx.ExecContext(ctx, `UPDATE tasks SET details = jsonb_set(details, '{project_ids}', to_jsonb($2::text[])) WHERE id = $1`,
		b.TaskID, pq.Array(ids)); err != nil {
		return nil, fmt.Errorf("bundle %s task: %w", b.ID, err)
	}
	if ids == nil {
		ids = []string{}
	}
	return ids, nil
}

// cryptoPlanMissing is true for a project p (its pinned policy pv) whose 密码应用方案 is due at
// approval and not in (R17).
const cryptoPlanMissing = `(p.uses_crypto AND coalesce((pv.body->>'crypto_plan_at_approval')::boolean, false)
		AND NOT EXISTS (SELECT 1 FROM documents d WHERE d.project_id = p.id AND d.kind = 'crypto_plan'))`

// approverRole and approverOrg are the bundle approver of project p under its pinned policy pv
// (R6, R19), or the parameters defRole at defOrg (the plan's policy's) when it names none.
func approverRole(defRole string) string {
	return `(CASE WHEN coalesce(pv.body->>'bundle_approver_role', '') = '' THEN ` + defRole + `::text ELSE pv.body->>'bundle_approver_role' END)`
}

func approverOrg(defOrg string) string {
	return `(CASE WHEN coalesce(pv.body->>'bundle_approver_role', '') = '' THEN ` + defOrg + `::text ELSE coalesce(pv.body->>'bundle_approver_org', '') END)`
}

// bundleCandidatesFrom are the projects a bundle $2 of plan year $1 created by reference may
// take (R6): awaiting approval, estimated below $3, in no other bundle; p with its pinned
// policy pv.
const bundleCandidatesFrom = `FROM projects p LEFT JOIN policy_versions pv ON pv.version = p.policy_version
	WHERE p.plan_year = $1 AND p.stage = 'awaiting_approval' AND p.estimated_investment_fen < $3
	AND NOT EXISTS (SELECT 1 FROM bundle_projects bp WHERE bp.project_id = p.id AND bp.bundle_id <> $2)`

// BundleSummary summarises the candidates of a bundle created by reference (its members are
// not read into the plan's history, bundle-by-reference): those ready, by approver, and those
// waiting for their 密码应用方案 (R17). Lists are capped at sample ids, and given only where
// the plan refuses the bundle (more than one approver; none ready but some waiting); counts
// are whole.
// defRole at defOrg is the plan's policy's bundle approver, for a project whose pinned policy
// names none.
func (s *Store) BundleSummary(ctx context.Context, year int, bundleID string, smallBelowFen int64, defRole, defOrg string,
	sample int) (domain.BundleSummary, error) {
	var rows []struct {
		ID      string `db:"id"`
		Missing bool   `db:"crypto_plan_missing"`
		Role    string `db:"role"`
		Org     string `db:"org"`
	}
	q := `SELECT p.id, ` + cryptoPlanMissing + ` AS crypto_plan_missing, ` + approverRole("$4") + ` AS role, ` + approverOrg("$5") + ` AS org ` +
		bundleCandidatesFrom + ` ORDER BY p.id`
	if err := s.db.SelectContext(ctx, &rows, q, year, bundleID, smallBelowFen, defRole, defOrg); err != nil {
		return domain.BundleSummary{}, fmt.Errorf("bundle %s candidates: %w", bundleID, err)
	}
	var sum domain.BundleSummary
	var ready []string
	for _, r := range rows {
		if r.Missing {
			sum.Waiting++
			if len(sum.WaitingIDs) < sample {
				sum.WaitingIDs = append(sum.WaitingIDs, r.ID)
			}
			continue
		}
		ready = append(ready, r.ID)
		i := slices.IndexFunc(sum.Approvers, func(a domain.BundleApprover) bool { return a.Role == r.Role && a.Org == r.Org })
		if i < 0 {
			sum.Approvers = append(sum.Approvers, domain.BundleApprover{Role: r.Role, Org: r.Org})
			i = len(sum.Approvers) - 1
		}
		sum.Approvers[i].Count++
		if len(sum.Approvers[i].SampleIDs) < sample {
			sum.Approvers[i].SampleIDs = append(sum.Approvers[i].SampleIDs, r.ID)
		}
	}
	sum.Count, sum.Digest = len(ready), domain.BundleDigest(ready)
	// The ids serve a refusal's text only: a bundle that goes through records none.
	if len(sum.Approvers) == 1 {
		sum.Approvers[0].SampleIDs = nil
	}
	if sum.Count > 0 {
		sum.WaitingIDs = nil
	}
	return sum, nil
}

// PlanItemRow is a row of the annual plan.
type PlanItemRow struct {
	ProjectID         string    `db:"project_id" json:"project_id"`
	Name              string    `db:"name" json:"name"`
	UnitID            string    `db:"unit_id" json:"unit_id"`
	UnitName          string    `db:"unit_name" json:"unit_name"`
	Type              string    `db:"type" json:"type"`
	EstimatedFen      int64     `db:"estimated_investment_fen" json:"estimated_investment_fen"`
	Stage             string    `db:"stage" json:"stage"`
	Included          bool      `db:"included" json:"included"`
	ApprovedAmountFen *int64    `db:"approved_amount_fen" json:"approved_amount_fen,omitempty"`
	Reason            string    `db:"reason" json:"reason,omitempty"`
	Supplementary     bool      `db:"supplementary" json:"supplementary"`
	BundleID          *string   `db:"bundle_id" json:"bundle_id,omitempty"`
	CreatedAt         time.Time `db:"created_at" json:"created_at"`
}

// BundleRow is a bundled proposal with its projects.
type BundleRow struct {
	ID         string   `db:"id" json:"id"`
	TaskID     string   `db:"task_id" json:"task_id"`
	Status     string   `db:"status" json:"status"`
	ProjectIDs []string `db:"-" json:"project_ids"`
}

// Plan returns the items and bundles of a plan year.
func (s *Store) Plan(ctx context.Context, year int) ([]PlanItemRow, []BundleRow, error) {
	var items []PlanItemRow
	const q = `SELECT i.project_id, p.name, p.unit_id, coalesce(o.name, p.unit_id) AS unit_name, p.type, p.estimated_investment_fen,
		p.stage, i.included, i.approved_amount_fen, i.reason, i.supplementary, i.bundle_id, i.created_at
		FROM plan_items i JOIN projects p ON p.id = i.project_id LEFT JOIN orgs o ON o.id = p.unit_id
		WHERE i.plan_year = $1 ORDER BY i.created_at, i.project_id`
	if err := s.db.SelectContext(ctx, &items, q, year); err != nil {
		return nil, nil, fmt.Errorf("plan items: %w", err)
	}
	var bundles []BundleRow
	if err := s.db.SelectContext(ctx, &bundles, `SELECT id, task_id, status FROM bundles WHERE plan_year = $1 ORDER BY created_at, id`, year); err != nil {
		return nil, nil, fmt.Errorf("bundles: %w", err)
	}
	var links []struct {
		BundleID  string `db:"bundle_id"`
		ProjectID string `db:"project_id"`
	}
	if err := s.db.SelectContext(ctx, &links, `SELECT bp.bundle_id, bp.project_id FROM bundle_projects bp
		JOIN bundles b ON b.id = bp.bundle_id WHERE b.plan_year = $1`, year); err != nil {
		return nil, nil, fmt.Errorf("bundle projects: %w", err)
	}
	idx := map[string]int{}
	for i, b := range bundles {
		idx[b.ID] = i
	}
	for _, l := range links {
		bundles[idx[l.BundleID]].ProjectIDs = append(bundles[idx[l.BundleID]].ProjectIDs, l.ProjectID)
	}
	for i := range bundles {
		sort.Strings(bundles[i].ProjectIDs)
	}
	return items, bundles, nil
}

// DocumentKinds returns the distinct kinds of a project's documents.
func (s *Store) DocumentKinds(ctx context.Context, projectID string) ([]string, error) {
	var kinds []string
	err := s.db.SelectContext(ctx, &kinds, `SELECT DISTINCT kind FROM documents WHERE project_id = $1 ORDER BY kind`, projectID)
	return kinds, err
}

// planProjectCols is what an AnnualPlan reads of a project (domain.PlanProject).
const planProjectCols = `SELECT p.id, p.plan_year, p.unit_id, p.name, p.estimated_investment_fen, p.stage, p.version,
	i.project_id IS NOT NULL AS planned, coalesce(i.approved_amount_fen, 0) AS plan_amount_fen,
	coalesce(i.supplementary, false) AS supplementary, coalesce(bp.bundle_id, '') AS bundle_id,
	EXISTS (SELECT 1 FROM tasks t WHERE t.project_id = p.id AND t.kind = 'expert_review' AND t.status = 'open') AS expert_tasks_open,
	` + cryptoPlanMissing + ` AS crypto_plan_missing,
	coalesce(pv.body->>'bundle_approver_role', '') AS bundle_approver_role,
	coalesce(pv.body->>'bundle_approver_org', '') AS bundle_approver_org,
	coalesce(i.written_by, '') AS written_by, coalesce(ls.session_id, '') AS latest_session,
	coalesce(ls.project_version, 0) AS session_version
	FROM projects p LEFT JOIN plan_items i ON i.project_id = p.id LEFT JOIN bundle_projects bp ON bp.project_id = p.id
	LEFT JOIN policy_versions pv ON pv.version = p.policy_version
	LEFT JOIN LATERAL (SELECT sp.session_id, sp.project_version FROM expert_session_projects sp
		JOIN expert_sessions es ON es.id = sp.session_id WHERE sp.project_id = p.id
		ORDER BY es.created_at DESC, sp.session_id DESC LIMIT 1) ls ON true`

// PlanProjects returns what the read model says of the projects ids (those that exist, in id
// order), for an AnnualPlan validating a decision on them: with the id of the plan transition
// that wrote each one's plan item and its latest expert session and the project's version
// when that session convened it (plan-lean-resume).
func (s *Store) PlanProjects(ctx context.Context, ids []string) ([]domain.PlanProject, error) {
	out := []domain.PlanProject{}
	if err := s.db.SelectContext(ctx, &out, planProjectCols+` WHERE p.id = ANY($1) ORDER BY p.id`, pq.Array(ids)); err != nil {
		return nil, fmt.Errorf("plan projects: %w", err)
	}
	return out, nil
}

// BundleCandidates returns the projects of year awaiting approval, in submission order (the
// plan keeps the small ones in none of its bundles, R6: bundles are the plan's own state, not
// read back).
func (s *Store) BundleCandidates(ctx context.Context, year int) ([]domain.PlanProject, error) {
	out := []domain.PlanProject{}
	const q = planProjectCols + ` WHERE p.plan_year = $1 AND p.stage = 'awaiting_approval'
		ORDER BY p.submitted_at, p.id`
	if err := s.db.SelectContext(ctx, &out, q, year); err != nil {
		return nil, fmt.Errorf("bundle candidates: %w", err)
	}
	return out, nil
}

// PrePlanProjects returns the projects of year still before the plan's decision
// (domain.PrePlanStages) in id order, for the year-end close of its AnnualPlan (R5).
func (s *Store) PrePlanProjects(ctx context.Context, year int) ([]domain.PlanProject, error) {
	out := []domain.PlanProject{}
	stages := make([]string, len(domain.PrePlanStages))
	for i, st := range domain.PrePlanStages {
		stages[i] = string(st)
	}
	const q = planProjectCols + ` WHERE p.plan_year = $1 AND p.stage = ANY($2) ORDER BY p.id`
	if err := s.db.SelectContext(ctx, &out, q, year, pq.Array(stages)); err != nil {
		return nil, fmt.Errorf("pre-plan projects: %w", err)
	}
	return out, nil
}

// PrePlanPage returns up to limit ids of the projects of year still before the plan's decision
// after the project id after, in id order (a keyset page, for the year-end close's fan-out,
// plan-close-fanout): in a pre-plan stage (domain.PrePlanStages) and without a plan item (a
// project the plan compiled is decided, though its lifecycle may not have heard it yet).
func (s *Store) PrePlanPage(ctx context.Context, year int, after string, limit int) ([]string, error) {
	stages := make([]string, len(domain.PrePlanStages))
	for i, st := range domain.PrePlanStages {
		stages[i] = string(st)
	}
	var ids []string
	const q = `SELECT p.id FROM projects p WHERE p.plan_year = $1 AND p.stage = ANY($2) AND p.id > $3
		AND NOT EXISTS (SELECT 1 FROM plan_items i WHERE i.project_id = p.id) ORDER BY p.id LIMIT $4`
	if err := s.db.SelectContext(ctx, &ids, q, year, pq.Array(stages), after, limit); err != nil {
		return nil, fmt.Errorf("pre-plan projects of %d after %q: %w", year, after, err)
	}
	return ids, nil
}

// MarkPlanReadsStages records that year's AnnualPlan reads project stages from the read model
// (no stage reports wanted). Idempotent.
func (s *Store) MarkPlanReadsStages(ctx context.Context, year int) error {
	if _, err := s.db.ExecContext(ctx, `INSERT INTO plan_stage_sources (plan_year) VALUES ($1) ON CONFLICT DO NOTHING`, year); err != nil {
		return fmt.Errorf("mark plan stage source %d: %w", year, err)
	}
	return nil
}

// PlanReadsStages reports whether year's AnnualPlan reads stages from the read model.
func (s *Store) PlanReadsStages(ctx context.Context, year int) (bool, error) {
	var ok bool
	if err := s.db.GetContext(ctx, &ok, `SELECT EXISTS (SELECT 1 FROM plan_stage_sources WHERE plan_year = $1)`, year); err != nil {
		return false, fmt.Errorf("plan stage source %d: %w", year, err)
	}
	return ok, nil
}

// CompileCandidate is a project of a plan year that passed expert review and awaits the plan
// (R5), with its panel's outcome.
type CompileCandidate struct {
	ProjectID    string `db:"project_id" json:"project_id"`
	Name         string `db:"name" json:"name"`
	UnitID       string `db:"unit_id" json:"unit_id"`
	UnitName     string `db:"unit_name" json:"unit_name"`
	Type         string `db:"type" json:"type"`
	EstimatedFen int64  `db:"estimated_investment_fen" json:"estimated_investment_fen"`
	// PanelPass, PanelSize and MeanScore are the expert panel's outcome (R4), as the
	// lifecycle recorded it with the last review.
	PanelPass *int `db:"panel_pass" json:"panel_pass"`
	PanelSize *int `db:"panel_size" json:"panel_size"`
	MeanScore *int `db:"mean_score" json:"mean_score"`
}

// CompileCandidates returns the projects of year awaiting the plan and not yet in it (what
// POST /plans/{year}/compile takes), in submission order.
func (s *Store) CompileCandidates(ctx context.Context, year int) ([]CompileCandidate, error) {
	out := []CompileCandidate{}
	const q = `SELECT p.id AS project_id, p.name, p.unit_id, coalesce(o.name, p.unit_id) AS unit_name, p.type,
		p.estimated_investment_fen, (r.detail->>'panel_pass')::int AS panel_pass, (r.detail->>'panel_size')::int AS panel_size,
		(r.detail->>'mean_score')::int AS mean_score
		FROM projects p LEFT JOIN orgs o ON o.id = p.unit_id
		LEFT JOIN LATERAL (SELECT a.detail FROM audit_log a WHERE a.object_type = 'project' AND a.object_id = p.id
			AND a.action = 'task.decide' AND a.detail ? 'panel_size' ORDER BY a.seq DESC LIMIT 1) r ON true
		WHERE p.plan_year = $1 AND p.stage = 'awaiting_plan'
		AND NOT EXISTS (SELECT 1 FROM plan_items i WHERE i.project_id = p.id)
		ORDER BY p.submitted_at, p.id`
	if err := s.db.SelectContext(ctx, &out, q, year); err != nil {
		return nil, fmt.Errorf("compile candidates: %w", err)
	}
	return out, nil
}

// PlanRows returns, for a plan preview, what the read model holds of the projects ids: unit
// (and its name), type and estimated investment, in id order.
func (s *Store) PlanRows(ctx context.Context, ids []string) ([]CompileCandidate, error) {
	out := []CompileCandidate{}
	const q = `SELECT p.id AS project_id, p.name, p.unit_id, coalesce(o.name, p.unit_id) AS unit_name, p.type,
		p.estimated_investment_fen FROM projects p LEFT JOIN orgs o ON o.id = p.unit_id WHERE p.id = ANY($1) ORDER BY p.id`
	if err := s.db.SelectContext(ctx, &out, q, pq.Array(ids)); err != nil {
		return nil, fmt.Errorf("plan rows: %w", err)
	}
	return out, nil
}

// PanelExpert is an expert a session may convene, with the org R4's recusal compares.
type PanelExpert struct {
	ID      string `db:"id" json:"id"`
	Name    string `db:"name" json:"name"`
	OrgID   string `db:"org_id" json:"org_id"`
	OrgName string `db:"org_name" json:"org_name"`
	// Specialties are the expert's specialty codes (domain.ExpertSpecialties), where the
	// answer lists them (GET …/panel).
	Specialties []string `db:"-" json:"specialties,omitempty"`
}

// Experts returns the enabled users with the expert role, by name.
func (s *Store) Experts(ctx context.Context) ([]PanelExpert, error) {
	out := []PanelExpert{}
	const q = `SELECT u.id, u.name, u.org_id, coalesce(o.name, u.org_id) AS org_name FROM users u
		JOIN user_roles r ON r.user_id = u.id AND r.role = 'expert' LEFT JOIN orgs o ON o.id = u.org_id
		WHERE NOT u.disabled ORDER BY u.name, u.id`
	if err := s.db.SelectContext(ctx, &out, q); err != nil {
		return nil, fmt.Errorf("experts: %w", err)
	}
	return out, nil
}

// PanelCandidate is a project of a plan year in expert review without a panel yet (R4).
type PanelCandidate struct {
	ProjectID    string `db:"project_id" json:"project_id"`
	Name         string `db:"name" json:"name"`
	UnitID       string `db:"unit_id" json:"unit_id"`
	UnitName     string `db:"unit_name" json:"unit_name"`
	EstimatedFen int64  `db:"estimated_investment_fen" json:"estimated_investment_fen"`
}

// PanelCandidates returns the projects of year in expert review whose panel is not convened
// (no review task opened yet), in submission order.
func (s *Store) PanelCandidates(ctx context.Context, year int) ([]PanelCandidate, error) {
	out := []PanelCandidate{}
	const q = `SELECT p.id AS project_id, p.name, p.unit_id, coalesce(o.name, p.unit_id) AS unit_name, p.estimated_investment_fen
		FROM projects p LEFT JOIN orgs o ON o.id = p.unit_id
		WHERE p.plan_year = $1 AND p.stage = 'expert_review'
		AND NOT EXISTS (SELECT 1 FROM tasks t WHERE t.project_id = p.id AND t.kind = 'expert_review' AND t.status = 'open')
		AND NOT EXISTS (SELECT 1 FROM expert_session_projects sp JOIN expert_sessions es ON es.id = sp.session_id
			WHERE sp.project_id = p.id AND es.created_at > p.updated_at)
		ORDER BY p.submitted_at, p.id`
	if err := s.db.SelectContext(ctx, &out, q, year); err != nil {
		return nil, fmt.Errorf("panel candidates: %w", err)
	}
	return out, nil
}

// BundleProjectIDs returns the projects of bundle id, in id order.
func (s *Store) BundleProjectIDs(ctx context.Context, id string) ([]string, error) {
	var ids []string
	if err := s.db.SelectContext(ctx, &ids, `SELECT project_id FROM bundle_projects WHERE bundle_id = $1 ORDER BY project_id`, id); err != nil {
		return nil, fmt.Errorf("bundle %s projects: %w", id, err)
	}
	return ids, nil
}

// BundleMember is a project of a bundle and its outcome ("" while the bundle is pending).
type BundleMember struct {
	ProjectID string `db:"project_id"`
	Outcome   string `db:"outcome"`
}

// BundleMembersPage returns up to limit members of bundle id after the project id after, in
// project id order (a keyset page: the plan's fan-out reads a bundle of any size this way).
func (s *Store) BundleMembersPage(ctx context.Context, id, after string, limit int) ([]BundleMember, error) {
	var out []BundleMember
	const q = `SELECT project_id, coalesce(outcome, '') AS outcome FROM bundle_projects
		WHERE bundle_id = $1 AND project_id > $2 ORDER BY project_id LIMIT $3`
	if err := s.db.SelectContext(ctx, &out, q, id, after, limit); err != nil {
		return nil, fmt.Errorf("bundle %s members after %q: %w", id, after, err)
	}
	return out, nil
}

// SessionMember is a project of an expert session and its unit (R4 recusal).
type SessionMember struct {
	ProjectID string `db:"project_id"`
	UnitID    string `db:"unit_id"`
	// Stale: the project's version is no longer the one the session convened it at (its
	// stage changed since: in expert review it changes only by a decision, such as a prelim
	// approval withdrawn and given again); unknown (false) for a session that recorded none.
	Stale bool `db:"stale"`
}

// SessionMembersPage returns up to limit projects of expert session id after the project id
// after, in project id order (the plan's fan-out of a convene).
func (s *Store) SessionMembersPage(ctx context.Context, id, after string, limit int) ([]SessionMember, error) {
	var out []SessionMember
	const q = `SELECT sp.project_id, p.unit_id, coalesce(sp.project_version <> p.version, false) AS stale
		FROM expert_session_projects sp JOIN projects p ON p.id = sp.project_id
		WHERE sp.session_id = $1 AND sp.project_id > $2 ORDER BY sp.project_id LIMIT $3`
	if err := s.db.SelectContext(ctx, &out, q, id, after, limit); err != nil {
		return nil, fmt.Errorf("session %s members after %q: %w", id, after, err)
	}
	return out, nil
}

// PlanItem is a project's item in its year's plan (R5).
type PlanItem struct {
	ProjectID         string `db:"project_id"`
	Included          bool   `db:"included"`
	ApprovedAmountFen *int64 `db:"approved_amount_fen"`
	Reason            string `db:"reason"`
}

// PlanItemsOf returns the plan items of ids (those that have one), in project id order.
func (s *Store) PlanItemsOf(ctx context.Context, ids []string) ([]PlanItem, error) {
	var out []PlanItem
	const q = `SELECT project_id, included, approved_amount_fen, coalesce(reason, '') AS reason FROM plan_items
		WHERE project_id = ANY($1) ORDER BY project_id`
	if err := s.db.SelectContext(ctx, &out, q, pq.Array(ids)); err != nil {
		return nil, fmt.Errorf("plan items of %d projects: %w", len(ids), err)
	}
	return out, nil
}

// PlanAmount returns a project's amount in the plan (R5), 0 when it is in none.
func (s *Store) PlanAmount(ctx context.Context, projectID string) (int64, error) {
	var n int64
	err := s.db.GetContext(ctx, &n, `SELECT coalesce((SELECT approved_amount_fen FROM plan_items WHERE project_id = $1 AND included), 0)`, projectID)
	if err != nil {
		return 0, fmt.Errorf("plan amount %s: %w", projectID, err)
	}
	return n, nil
}
