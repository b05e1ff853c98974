package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/lib/pq"

	"egovpm/internal/authz"
)

// scopeSQL is the condition on projects p of one authz.Scope for reach r; arg binds a value.
// Single reads (ProjectView) and lists (ListProjects, Similar) use the same conditions, so
// what a list shows and what a read opens always agree (docs/AUTHZ.md).
func scopeSQL(sc authz.Scope, r authz.Reach, arg func(any) string) string {
	stages := func(ss []string) string { return "p.stage = ANY(" + arg(pq.Array(ss)) + "::text[])" }
	switch sc {
	case authz.ScopeAll:
		return "true"
	case authz.ScopeOwnUnit:
		return "p.unit_id = " + arg(r.OrgID)
	case authz.ScopeDecision:
		roles, org := arg(pq.Array(r.DecisionRoles)), arg(r.OrgID)
		mine := `t.candidate_role = ANY(` + roles + `::text[]) AND (t.candidate_org_id IS NULL OR t.candidate_org_id = ` + org + `)`
		return `(EXISTS (SELECT 1 FROM tasks t WHERE t.project_id = p.id AND ` + mine + `)
			OR EXISTS (SELECT 1 FROM bundle_projects bp JOIN bundles b ON b.id = bp.bundle_id JOIN tasks t ON t.id = b.task_id
				WHERE bp.project_id = p.id AND ` + mine + `))`
	case authz.ScopeApproved:
		return stages(stageStrings(authz.ApprovedStages))
	case authz.ScopeCrypto:
		return "(p.uses_crypto AND " + stages(stageStrings(authz.ApprovalStepStages)) + ")"
	case authz.ScopePanel:
		return `(p.stage = 'expert_review' AND p.unit_id <> ` + arg(r.OrgID) + ` AND EXISTS (SELECT 1 FROM tasks t
			WHERE t.project_id = p.id AND t.kind = 'expert_review' AND t.assignee_id = ` + arg(r.ActorID) + `))`
	case authz.ScopeCoOrganiser:
		return `(p.stage = 'expert_review' AND EXISTS (SELECT 1 FROM expert_session_projects sp
			JOIN expert_sessions s ON s.id = sp.session_id WHERE sp.project_id = p.id AND ` + arg(r.OrgID) + ` = ANY(s.co_org_ids)))`
	case authz.ScopeCC:
		return `EXISTS (SELECT 1 FROM decision_cc cc WHERE cc.project_id = p.id AND cc.user_id = ` + arg(r.ActorID) + `)`
	}
	return "false"
}

// reachSQL is the condition on projects p that r reaches: its scopes ORed ("false" for none).
func reachSQL(r authz.Reach, arg func(any) string) string {
	scopes := r.Scopes()
	if len(scopes) == 0 {
		return "false"
	}
	conds := make([]string, 0, len(scopes))
	for _, sc := range scopes {
		if sc == authz.ScopeAll {
			return "true"
		}
		conds = append(conds, scopeSQL(sc, r, arg))
	}
	return "(" + strings.Join(conds, " OR ") + ")"
}

func stageStrings[S ~string](ss []S) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = string(s)
	}
	return out
}

// ProjectView returns what reach r shows of project id: the scopes that reach it and when its
// panel (or co-organised session) was convened (authz.View). A reach of every project needs no
// query.
func (s *Store) ProjectView(ctx context.Context, id string, r authz.Reach) (authz.View, error) {
	v := authz.View{Reach: r}
	scopes := r.Scopes()
	if r.All() {
		v.Matched = []authz.Scope{authz.ScopeAll}
		return v, nil
	}
	if len(scopes) == 0 {
		return v, nil
	}
	var args []any
	arg := placeholders(&args)
	pid := arg(id)
	cols := make([]string, 0, len(scopes)+2)
	for _, sc := range scopes {
		cols = append(cols, scopeSQL(sc, r, arg))
	}
	cols = append(cols,
		`(SELECT min(t.created_at) FROM tasks t WHERE t.project_id = p.id AND t.kind = 'expert_review' AND t.assignee_id = `+arg(r.ActorID)+`)`,
		`(SELECT min(s.created_at) FROM expert_session_projects sp JOIN expert_sessions s ON s.id = sp.session_id
			WHERE sp.project_id = p.id AND `+arg(r.OrgID)+` = ANY(s.co_org_ids))`)
	q := `SELECT ` + strings.Join(cols, ", ") + ` FROM projects p WHERE p.id = ` + pid
	matched := make([]bool, len(scopes))
	var panel, session sql.NullTime
	dest := make([]any, 0, len(cols))
	for i := range matched {
		dest = append(dest, &matched[i])
	}
	dest = append(dest, &panel, &session)
	if err := s.db.QueryRowContext(ctx, q, args...).Scan(dest...); err != nil {
		return v, fmt.Errorf("project %s view: %w", id, notFound(err))
	}
	for i, ok := range matched {
		if ok {
			v.Matched = append(v.Matched, scopes[i])
		}
	}
	v.PanelSince, v.SessionSince = panel.Time, session.Time
	return v, nil
}
