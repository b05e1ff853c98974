package bench

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"egovpm/internal/audit"
)

// Decade is the size of a read model holding ten plan years (issue 20, item 3).
type Decade struct {
	Projects int // projects over the ten plan years (default 30,000)
	Tasks    int // tasks (default 1,000,000), a tenth of them open (at most 100,000)
	Audit    int // audit rows appended after the demo seed's, one chain (default 1,000,000)
	// FirstYear is the first of the ten plan years (default 2016).
	FirstYear int
}

func (d *Decade) defaults() {
	if d.Projects <= 0 {
		d.Projects = 30_000
	}
	if d.Tasks <= 0 {
		d.Tasks = 1_000_000
	}
	if d.Audit <= 0 {
		d.Audit = 1_000_000
	}
	if d.FirstYear == 0 {
		d.FirstYear = 2016
	}
}

// Open is how many of the decade's tasks are open.
func (d Decade) Open() int { return min(100_000, d.Tasks/10) }

// DecadeProjectID is the id of the decade's i-th project (1-based).
func DecadeProjectID(i int) string { return fmt.Sprintf("dp-%06d", i) }

// decadeTypes: a third of the projects are new builds (the registry export's filter picks
// them: 10,000 of 30,000).
var decadeTypes = []string{"new", "continuation", "om"}

// decadeStage is the stage of project i of plan year y in a decade ending in last: the years
// before the last two are done (in O&M, closed, rejected or not included), the last two
// spread over the open stages.
func decadeStage(i, y, last int) string {
	if y < last-1 {
		return []string{"om", "om", "closed", "rejected", "not_included"}[i%5]
	}
	return []string{"prelim_review", "expert_review", "awaiting_plan", "awaiting_approval", "approved", "procurement",
		"construction", "trial_run", "acceptance"}[i%9]
}

// approvedStage reports whether a project in stage s has an approved amount (and, here, a
// contract and payments).
func approvedStage(s string) bool {
	switch s {
	case "approved", "procurement", "construction", "trial_run", "acceptance", "om", "closed":
		return true
	}
	return false
}

// SeedDecade loads a decade's read model into a migrated database that has the demo seed,
// with COPY (not by running workflows; deterministic, from the row numbers):
//
//   - the units, experts and reviewers of SeedInbox (60, 300 and 20);
//   - Projects projects over ten plan years, a third of each type new/continuation/om; the
//     approved ones with a contract and two payments (one confirmed);
//   - Tasks tasks of the kinds, roles and holders of SeedInbox, Open() of them open;
//   - Audit rows appended to the audit chain after its head, hashed with chain (the gateway's
//     key: `audit verify` accepts them), then the head and the sequence moved to the last.
//
// It ends with VACUUM ANALYZE.
func SeedDecade(ctx context.Context, db *sqlx.DB, chain *audit.Chain, d Decade, progress io.Writer) error {
	d.defaults()
	step := func(what string, fn func() (int, error)) error {
		t0 := time.Now()
		n, err := fn()
		if err != nil {
			return fmt.Errorf("seed %s: %w", what, err)
		}
		if progress != nil {
			el := time.Since(t0)
			fmt.Fprintf(progress, "  loaded %-22s %9d rows in %8s (%.1f µs/row)\n", what, n, el.Round(time.Millisecond),
				float64(el.Microseconds())/float64(max(1, n)))
		}
		return nil
	}
	s := InboxSeed{Tasks: d.Tasks, Open: d.Open(), Projects: d.Projects}
	s.defaults()
	if err := step("units and users", func() (int, error) { return s.Units + s.Experts + s.Drb, seedPeople(ctx, db, s) }); err != nil {
		return err
	}
	last := d.FirstYear + 9
	if err := step("projects", func() (int, error) {
		return d.Projects, copyRows(ctx, db, "projects", []string{"id", "unit_id", "name", "type", "plan_year", "estimated_investment_fen",
			"approved_amount_fen", "description", "mlps_level", "stage", "policy_version", "round", "workflow_id", "created_by",
			"submitted_at", "created_at", "updated_at"}, d.Projects, func(i int) []any {
			g := i + 1
			y := d.FirstYear + g%10
			st := decadeStage(g, y, last)
			est := int64(50_000_000 + (g%97)*10_000_000)
			var approved any
			if approvedStage(st) {
				approved = est - est/10
			}
			c := time.Date(y-1, time.Month(1+g%12), 1+g%28, 9, 0, g%3600, 0, time.UTC)
			return []any{DecadeProjectID(g), unitOf(g, s.Units), fmt.Sprintf("电子政务项目%d：%s平台", g, areas[g%len(areas)]),
				decadeTypes[g%3], y, est, approved, fmt.Sprintf("建设内容%d", g), 2, st, "2021", 1, "project:" + DecadeProjectID(g),
				"u-alice", c, c, c.Add(time.Duration(g%90) * 24 * time.Hour)}
		})
	}); err != nil {
		return err
	}
	// Contracts and payments of the approved projects.
	var approved []struct {
		ID  string `db:"id"`
		Fen int64  `db:"approved_amount_fen"`
		Y   int    `db:"plan_year"`
	}
	if err := db.SelectContext(ctx, &approved, `SELECT id, approved_amount_fen, plan_year FROM projects
		WHERE id LIKE 'dp-%' AND approved_amount_fen IS NOT NULL ORDER BY id`); err != nil {
		return err
	}
	if err := step("contracts", func() (int, error) {
		return len(approved), copyRows(ctx, db, "contracts", []string{"project_id", "vendor", "amount_fen", "signed_on", "procurement_ref",
			"data_lists", "registered_by"}, len(approved), func(i int) []any {
			a := approved[i]
			return []any{a.ID, "某信息技术有限公司", a.Fen, time.Date(a.Y, 3, 1, 0, 0, 0, 0, time.UTC), "LA-" + a.ID, "{}", "u-alice"}
		})
	}); err != nil {
		return err
	}
	if err := step("payments", func() (int, error) {
		return 2 * len(approved), copyRows(ctx, db, "payments", []string{"id", "project_id", "milestone", "amount_fen", "paid_on", "status",
			"recorded_by", "confirmed_by", "confirmed_at"}, 2*len(approved), func(i int) []any {
			a := approved[i/2]
			paid := time.Date(a.Y, time.Month(4+6*(i%2)), 1, 0, 0, 0, 0, time.UTC)
			if i%2 == 0 {
				return []any{"pay-" + a.ID + "-1", a.ID, "首付款", a.Fen * 3 / 10, paid, "confirmed", "u-alice", "u-fin1", paid.Add(48 * time.Hour)}
			}
			return []any{"pay-" + a.ID + "-2", a.ID, "进度款", a.Fen * 4 / 10, paid, "recorded", "u-alice", nil, nil}
		})
	}); err != nil {
		return err
	}
	if err := step("tasks", func() (int, error) {
		return d.Tasks, copyRows(ctx, db, "tasks", []string{"id", "kind", "workflow_id", "project_id", "candidate_role", "candidate_org_id",
			"assignee_id", "status", "decision", "decided_by", "decided_at", "due_at", "created_at"}, d.Tasks, func(i int) []any {
			return decadeTask(i+1, d, s)
		})
	}); err != nil {
		return err
	}
	if err := step("audit chain", func() (int, error) { return d.Audit, appendDecadeAudit(ctx, db, chain, d, s) }); err != nil {
		return err
	}
	for _, t := range []string{"orgs", "users", "user_roles", "projects", "contracts", "payments", "tasks", "audit_log"} {
		if err := step("vacuum analyze "+t, func() (int, error) {
			_, err := db.ExecContext(ctx, `VACUUM ANALYZE `+pq.QuoteIdentifier(t))
			return 0, err
		}); err != nil {
			return err
		}
	}
	return nil
}

var areas = []string{"智慧教育", "健康医疗", "城市治理", "政务服务", "应急管理", "生态环境", "交通运输", "市场监管"}

// unitOf spreads projects over unit-a, unit-b (the demo submitters) and unit-001….
func unitOf(g, units int) string {
	switch r := g % (units + 2); r {
	case 0:
		return "unit-a"
	case 1:
		return "unit-b"
	default:
		return fmt.Sprintf("unit-%03d", r-1)
	}
}

// decadeTask is task g (1-based) of the decade: the kinds, roles and holders of SeedInbox;
// the first Open() open (due from ten days ago to twenty ahead), the rest done (cancelled
// one in twenty) over the ten years.
func decadeTask(g int, d Decade, s InboxSeed) []any {
	pid := DecadeProjectID(1 + int((int64(g)*7919)%int64(d.Projects)))
	r := g % 100
	open := g <= d.Open()
	status := "done"
	if open {
		status = "open"
	} else if g%20 == 0 {
		status = "cancelled"
	}
	var due time.Time
	if open {
		due = time.Now().Truncate(time.Minute).Add(time.Duration((int64(g)*104729)%43200-14400) * time.Minute)
	} else {
		due = time.Date(d.FirstYear+g%10, time.Month(1+g%12), 1+g%28, 9, 0, 0, 0, time.UTC)
	}
	var kind, role string
	var org any
	switch {
	case r < 33:
		kind, role, org = "prelim_review", "drb_reviewer", "drb"
	case r < 73:
		kind, role = "expert_review", "expert"
	case r < 81:
		kind, role, org = "project_approval", "ndrc_approver", "ndrc"
	case r < 83:
		kind, role, org = "bundle_approval", "ndrc_approver", "ndrc"
	case r < 86:
		kind, role, org = "special_request_approval", "citygov_approver", "citygov"
	case r < 91:
		kind, role, org = "acceptance_witness", "prta_witness", "prta"
	case r < 95:
		kind, role, org = "om_review", "drb_reviewer", "drb"
	default:
		kind, role, org = "evaluation", "finance", "finance"
	}
	var holder string
	switch {
	case r < 33 || (r >= 91 && r < 95):
		holder = fmt.Sprintf("u-bdrb%d", 1+g%s.Drb)
		if g%21 == 0 {
			holder = "u-drb1"
		}
	case r < 73:
		holder = fmt.Sprintf("u-bexp%d", 1+(g/100)%s.Experts)
	case r < 83:
		holder = "u-ndrc1"
	case r < 86:
		holder = "u-gov1"
	case r < 91:
		holder = "u-prta1"
	default:
		holder = "u-fin1"
	}
	assigned := (r >= 33 && r < 73) || (r >= 30 && r < 33)
	var assignee, decision, decidedBy, decidedAt any
	if assigned || status == "done" {
		assignee = holder
	}
	if status == "done" {
		decision, decidedBy, decidedAt = "approve", holder, due.Add(-48*time.Hour)
	}
	return []any{fmt.Sprintf("dt-%07d", g), kind, "project:" + pid, pid, role, org, assignee, status, decision, decidedBy, decidedAt,
		due, due.Add(-7 * 24 * time.Hour)}
}

// appendDecadeAudit appends d.Audit rows after the chain's head, a decade's decisions on the
// decade's projects five minutes apart, and moves the head (and the seq sequence) to the last.
func appendDecadeAudit(ctx context.Context, db *sqlx.DB, chain *audit.Chain, d Decade, s InboxSeed) error {
	tx, err := db.BeginTxx(ctx, nil)
	if err != nil {
		return err
	}
	defer func() { _ = tx.Rollback() }()
	var head struct {
		Seq  int64  `db:"seq"`
		Hash string `db:"hash"`
	}
	if err := tx.GetContext(ctx, &head, `SELECT seq, hash FROM audit_head WHERE id = 1 FOR UPDATE`); err != nil {
		return err
	}
	var after time.Time
	if err := tx.GetContext(ctx, &after, `SELECT coalesce(max(at), '2000-01-01') FROM audit_log`); err != nil {
		return err
	}
	start := time.Date(d.FirstYear-1, 1, 1, 0, 0, 0, 0, time.UTC)
	if !after.Before(start) {
		start = after.Add(time.Second)
	}
	stmt, err := tx.PrepareContext(ctx, copyIn("audit_log", "seq", "at", "actor_id", "org_id", "action", "object_type", "object_id",
		"outcome", "request_id", "client_ip", "detail", "dedup_key", "prev_hash", "hash", "format", "trace_id"))
	if err != nil {
		return err
	}
	seq, prev := head.Seq, head.Hash
	for i := 1; i <= d.Audit; i++ {
		e := decadeEntry(i, d, s)
		r := chain.RowAfter(e, seq, prev, start.Add(time.Duration(i)*5*time.Minute))
		if _, err := stmt.ExecContext(ctx, r.Seq, r.At, r.ActorID, r.OrgID, r.Action, r.ObjectType, r.ObjectID, r.Outcome, r.RequestID,
			r.ClientIP, string(r.Detail), r.DedupKey, r.PrevHash, r.Hash, r.Format, r.TraceID); err != nil {
			_ = stmt.Close()
			return err
		}
		seq, prev = r.Seq, r.Hash
	}
	if _, err := stmt.ExecContext(ctx); err != nil {
		_ = stmt.Close()
		return err
	}
	if err := stmt.Close(); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE audit_head SET seq = $1, hash = $2 WHERE id = 1`, seq, prev); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `SELECT setval('audit_log_seq_seq', $1)`, seq); err != nil {
		return err
	}
	return tx.Commit()
}

// decadeEntry is the decade's i-th audit entry: mostly task decisions by the task holders,
// some project changes by the units, every third with a dedup key (as a worker's are).
func decadeEntry(i int, d Decade, s InboxSeed) audit.Entry {
	pid := DecadeProjectID(1 + (i*31)%d.Projects)
	e := audit.Entry{ObjectType: "project", ObjectID: pid, Outcome: "ok", RequestID: fmt.Sprintf("req-%08d", i),
		ClientIP: "10.0.0." + fmt.Sprint(1+i%200)}
	switch i % 4 {
	case 0:
		e.ActorID, e.OrgID, e.Action = "u-alice", "unit-a", "project.update"
		e.Detail = map[string]any{"fields": []string{"description"}}
	case 1:
		e.ActorID, e.OrgID, e.Action, e.Outcome = fmt.Sprintf("u-bdrb%d", 1+i%s.Drb), "drb", "task.decide", "approve"
		e.Detail = map[string]any{"task_id": fmt.Sprintf("dt-%07d", i), "comment": "符合申报条件"}
	case 2:
		e.ActorID, e.OrgID, e.Action, e.Outcome = fmt.Sprintf("u-bexp%d", 1+i%s.Experts), "experts", "task.decide", "pass"
		e.Detail = map[string]any{"task_id": fmt.Sprintf("dt-%07d", i), "score": 60 + i%40}
	default:
		e.ActorID, e.OrgID, e.Action, e.Outcome = "system", "", "stage.change", "om"
		e.Detail = map[string]any{"from": "acceptance", "to": "om"}
	}
	if i%3 == 0 {
		e.DedupKey = fmt.Sprintf("decade/%d", i)
	}
	return e
}

// copyRows COPYs n rows (row(i) for i in 0..n) into table's cols in one transaction.
func copyRows(ctx context.Context, db *sqlx.DB, table string, cols []string, n int, row func(i int) []any) error {
	return withTx(ctx, db, func(tx *sql.Tx) error {
		stmt, err := tx.PrepareContext(ctx, copyIn(table, cols...))
		if err != nil {
			return err
		}
		for i := range n {
			if _, err := stmt.ExecContext(ctx, row(i)...); err != nil {
				_ = stmt.Close()
				return err
			}
		}
		if _, err := stmt.ExecContext(ctx); err != nil {
			_ = stmt.Close()
			return err
		}
		return stmt.Close()
	})
}

// copyIn is the COPY … FROM STDIN statement of table's cols (lib/pq runs it as a COPY when
// prepared in a transaction).
func copyIn(table string, cols ...string) string {
	q := make([]string, len(cols))
	for i, c := range cols {
		q[i] = pq.QuoteIdentifier(c)
	}
	return "COPY " + pq.QuoteIdentifier(table) + " (" + strings.Join(q, ", ") + ") FROM STDIN"
}

func withTx(ctx context.Context, db *sqlx.DB, fn func(tx *sql.Tx) error) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	return tx.Commit()
}
