package store

import (
	"context"
	"fmt"
	"strings"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"egovpm/internal/audit"
)

// CC is a decision CC'd (抄送, issue 19 item 6) by its decider to people and orgs.
type CC struct {
	TaskID, ProjectID string
	// By is the decider; Decider the name the notification shows, Decision the decision in
	// words, Comment its opinion.
	By, Decider, Decision, Comment string
	UserIDs, OrgIDs                []string
	// Audit is the `decision.cc` row; the store adds the people CC'd ("recipients").
	Audit audit.Entry
}

// CCDecision records cc in one transaction: a decision_cc row per person (each person named,
// each enabled person of each org named, never the decider), which lets them read the project
// (authz.ScopeCC), the `decision_cc` notification of each (NoticeRules; ids
// "cc:<task>#decision_cc:<user>", so a resend writes nothing twice and SendNotifications mails
// them) and the audit row, once per task. It returns the people CC'd.
func (s *Store) CCDecision(ctx context.Context, cc CC) ([]string, error) {
	var rule *NoticeRule
	for i := range NoticeRules {
		if NoticeRules[i].cc {
			rule = &NoticeRules[i]
		}
	}
	var users []string
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		err := tx.SelectContext(ctx, &users, `INSERT INTO decision_cc (task_id, project_id, user_id, via_org_id, cc_by)
			SELECT DISTINCT ON (u.id) $1, $2, u.id, CASE WHEN u.id = ANY($4::text[]) THEN NULL ELSE u.org_id END, $3
			FROM users u WHERE NOT u.disabled AND u.id <> $3 AND (u.id = ANY($4::text[]) OR u.org_id = ANY($5::text[]))
			ORDER BY u.id
			ON CONFLICT (task_id, user_id) DO UPDATE SET cc_by = EXCLUDED.cc_by
			RETURNING user_id`, cc.TaskID, cc.ProjectID, cc.By, pq.StringArray(cc.UserIDs), pq.StringArray(cc.OrgIDs))
		if err != nil {
			return fmt.Errorf("cc of %s: %w", cc.TaskID, err)
		}
		var f noticeFacts
		if err := tx.GetContext(ctx, &f.subject, `SELECT name FROM projects WHERE id = $1`, cc.ProjectID); err != nil {
			return fmt.Errorf("project %s: %w", cc.ProjectID, notFound(err))
		}
		if err := tx.GetContext(ctx, &f.taskKind, `SELECT kind FROM tasks WHERE id = $1`, cc.TaskID); err != nil {
			return fmt.Errorf("task %s: %w", cc.TaskID, notFound(err))
		}
		f.opinion = cc.Comment
		words := strings.NewReplacer("{决定人}", cc.Decider, "{决定}", cc.Decision)
		err = s.insertNotices(ctx, tx, "cc:"+cc.TaskID+"#"+rule.Kind+":", rule.Kind, f.fill(words.Replace(rule.Title)),
			f.fill(words.Replace(rule.Body)), cc.ProjectID, cc.TaskID, users, nil)
		if err != nil {
			return err
		}
		detail, ok := cc.Audit.Detail.(map[string]any)
		if !ok {
			return fmt.Errorf("cc %s: audit detail must be a map", cc.TaskID)
		}
		detail["recipients"] = users
		cc.Audit.DedupKey = "decision.cc:" + cc.TaskID
		return s.Audit.Append(ctx, tx, cc.Audit)
	})
	return users, err
}
