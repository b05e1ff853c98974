package bench

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"egovpm/internal/store"
)

// InboxSeed is the size of a seeded inbox database.
type InboxSeed struct {
	Tasks    int // all tasks (default 1,000,000)
	Open     int // of which open (default 100,000)
	Projects int // projects the tasks belong to (default Tasks/8)
	Units    int // submitting units besides the demo ones (default 60)
	Experts  int // expert users besides the demo ones (default 300)
	Drb      int // DRB reviewers besides the demo ones (default 20)
}

func (s *InboxSeed) defaults() {
	if s.Tasks <= 0 {
		s.Tasks = 1_000_000
	}
	if s.Open <= 0 || s.Open > s.Tasks {
		s.Open = min(100_000, s.Tasks)
	}
	if s.Projects <= 0 {
		s.Projects = max(1, s.Tasks/8)
	}
	if s.Units <= 0 {
		s.Units = 60
	}
	if s.Experts <= 0 {
		s.Experts = 300
	}
	if s.Drb <= 0 {
		s.Drb = 20
	}
}

// SeedInbox fills a migrated database that has the demo seed with a city-sized read model,
// directly in SQL (generate_series; deterministic, no random()):
//
//   - Units more submitting units; Experts expert users and Drb DRB reviewers (they share
//     alice's password hash, so they can sign in with the demo password);
//   - Projects projects over plan years 2015–2026 spread over all units;
//   - Tasks tasks of which Open are open. Open tasks: 30 % prelim review offered to DRB, 3 %
//     prelim review claimed by one DRB reviewer, 40 % expert review assigned to one expert,
//     8 % project approval and 2 % bundle approval for NDRC, 3 % special requests for the
//     City Government, 5 % acceptance witness (PRTA), 4 % O&M review (DRB), 5 % evaluation
//     (Finance); due dates from 10 days ago to 20 days ahead. The rest are done (95 %) or
//     cancelled, decided by the matching reviewers over the years.
//
// It ends with VACUUM ANALYZE, the state autovacuum keeps a live database in.
func SeedInbox(ctx context.Context, db *sqlx.DB, s InboxSeed, progress io.Writer) error {
	s.defaults()
	step := func(what, q string, args ...any) error {
		t0 := time.Now()
		if _, err := db.ExecContext(ctx, q, args...); err != nil {
			return fmt.Errorf("seed %s: %w", what, err)
		}
		if progress != nil {
			fmt.Fprintf(progress, "  seeded %-34s in %s\n", what, time.Since(t0).Round(time.Millisecond))
		}
		return nil
	}
	if err := step("units", seedUnitsSQL, s.Units); err != nil {
		return err
	}
	if err := step("users", seedUsersSQL, s.Experts, s.Drb); err != nil {
		return err
	}
	// Units: unit-a and unit-b (the demo submitters) and unit-001… .
	if err := step(fmt.Sprintf("%d projects", s.Projects), `
		INSERT INTO projects (id, unit_id, name, type, plan_year, estimated_investment_fen, description, mlps_level,
			stage, policy_version, round, workflow_id, created_by, submitted_at, created_at, updated_at)
		SELECT 'bp-' || g,
			CASE g % ($2 + 2) WHEN 0 THEN 'unit-a' WHEN 1 THEN 'unit-b' ELSE 'unit-' || lpad((g % ($2 + 2) - 1)::text, 3, '0') END,
			'电子政务项目' || g, 'new', y, 50000000 + (g % 97) * 10000000, '建设内容' || g, 2,
			CASE WHEN y < 2024 THEN (ARRAY['om','closed','rejected','not_included'])[1 + g % 4]
			     ELSE (ARRAY['prelim_review','expert_review','awaiting_plan','awaiting_approval','approved','procurement'])[1 + g % 6] END,
			'2021', 1, 'project:bp-' || g, 'u-alice', c, c, c
		FROM generate_series(1, $1) g,
			LATERAL (SELECT 2015 + g % 12 AS y) yy,
			LATERAL (SELECT make_timestamptz(2014 + g % 12, 1 + g % 12, 1 + g % 28, 9, 0, 0, 'Asia/Shanghai') AS c) cc`,
		s.Projects, s.Units); err != nil {
		return err
	}
	// One INSERT per chunk so that progress shows; each row's attributes derive from g.
	const taskInsert = `
		INSERT INTO tasks (id, kind, workflow_id, project_id, candidate_role, candidate_org_id, assignee_id, status,
			decision, decided_by, decided_at, due_at, created_at)
		SELECT 'bt-' || g, k.kind, 'project:' || pid, pid, k.role, k.org,
			CASE WHEN k.assigned OR st = 'done' THEN k.assignee END,
			st,
			CASE WHEN st = 'done' THEN 'approve' END,
			CASE WHEN st = 'done' THEN k.assignee END,
			CASE WHEN st = 'done' THEN due - interval '2 days' END,
			due, due - interval '7 days'
		FROM generate_series($1::int, $2::int) g,
			LATERAL (SELECT 'bp-' || (1 + (g::bigint * 7919) % $3) AS pid, g % 100 AS r,
				CASE WHEN g <= $4 THEN 'open' WHEN g % 20 = 0 THEN 'cancelled' ELSE 'done' END AS st,
				CASE WHEN g <= $4
					THEN now() + ((g::bigint * 104729) % 43200 - 14400) * interval '1 minute'
					ELSE make_timestamptz(2015 + g % 11, 1 + g % 12, 1 + g % 28, 17, 0, 0, 'Asia/Shanghai') END AS due) x,
			LATERAL (SELECT
				CASE WHEN r < 33 THEN 'prelim_review' WHEN r < 73 THEN 'expert_review' WHEN r < 81 THEN 'project_approval'
				     WHEN r < 83 THEN 'bundle_approval' WHEN r < 86 THEN 'special_request_approval'
				     WHEN r < 91 THEN 'acceptance_witness' WHEN r < 95 THEN 'om_review' ELSE 'evaluation' END AS kind,
				CASE WHEN r < 33 THEN 'drb_reviewer' WHEN r < 73 THEN 'expert' WHEN r < 83 THEN 'ndrc_approver'
				     WHEN r < 86 THEN 'citygov_approver' WHEN r < 91 THEN 'prta_witness' WHEN r < 95 THEN 'drb_reviewer'
				     ELSE 'finance' END AS role,
				CASE WHEN r < 33 THEN 'drb' WHEN r < 73 THEN NULL WHEN r < 83 THEN 'ndrc' WHEN r < 86 THEN 'citygov'
				     WHEN r < 91 THEN 'prta' WHEN r < 95 THEN 'drb' ELSE 'finance' END AS org,
				-- Who holds (open, claimed or assigned) or decided (done) the task.
				CASE WHEN r < 33 OR (r >= 91 AND r < 95) THEN (CASE WHEN g % 21 = 0 THEN 'u-drb1' ELSE 'u-bdrb' || (1 + g % $5) END)
				     WHEN r < 73 THEN 'u-bexp' || (1 + (g / 100) % $6)
				     WHEN r < 83 THEN 'u-ndrc1' WHEN r < 86 THEN 'u-gov1' WHEN r < 91 THEN 'u-prta1' ELSE 'u-fin1' END AS assignee,
				-- Expert reviews are assigned; 3 % of open prelim reviews are claimed.
				(r >= 33 AND r < 73) OR (r >= 30 AND r < 33) AS assigned) k`
	const chunk = 250_000
	for lo := 1; lo <= s.Tasks; lo += chunk {
		hi := min(s.Tasks, lo+chunk-1)
		if err := step(fmt.Sprintf("tasks %d–%d", lo, hi), taskInsert, lo, hi, s.Projects, s.Open, s.Drb, s.Experts); err != nil {
			return err
		}
	}
	for _, t := range []string{"orgs", "users", "user_roles", "projects", "tasks"} {
		if err := step("vacuum analyze "+t, `VACUUM ANALYZE `+pq.QuoteIdentifier(t)); err != nil {
			return err
		}
	}
	return nil
}

// seedUnitsSQL adds $1 submitting units unit-001…; seedUsersSQL adds $1 experts u-bexpN and
// $2 DRB reviewers u-bdrbN, with alice's password hash (they sign in with the demo password).
const (
	seedUnitsSQL = `INSERT INTO orgs (id, name, kind)
		SELECT 'unit-' || lpad(g::text, 3, '0'), '单位' || g, 'unit' FROM generate_series(1, $1) g ON CONFLICT DO NOTHING`
	seedUsersSQL = `
		WITH h AS (SELECT password_hash FROM users WHERE username = 'alice'),
		ins AS (
			INSERT INTO users (id, username, name, org_id, password_hash, demo)
			SELECT 'u-bexp' || g, 'bexp' || g, '专家' || g, 'experts', h.password_hash, true FROM generate_series(1, $1) g, h
			UNION ALL
			SELECT 'u-bdrb' || g, 'bdrb' || g, '审核员' || g, 'drb', h.password_hash, true FROM generate_series(1, $2) g, h
			ON CONFLICT DO NOTHING RETURNING id)
		INSERT INTO user_roles (user_id, role)
		SELECT id, CASE WHEN id LIKE 'u-bexp%' THEN 'expert' ELSE 'drb_reviewer' END FROM ins`
)

// seedPeople runs seedUnitsSQL and seedUsersSQL for s.
func seedPeople(ctx context.Context, db *sqlx.DB, s InboxSeed) error {
	if _, err := db.ExecContext(ctx, seedUnitsSQL, s.Units); err != nil {
		return err
	}
	_, err := db.ExecContext(ctx, seedUsersSQL, s.Experts, s.Drb)
	return err
}

// Captured is one statement a Store ran, with its arguments.
type Captured struct {
	Query string
	Args  []any
}

// Capture is a database/sql driver over lib/pq that records the statements run through it,
// so that the benchmark can EXPLAIN exactly the SQL the store builds.
type Capture struct {
	mu   sync.Mutex
	last []Captured
}

// Take returns and forgets the recorded statements.
func (c *Capture) Take() []Captured {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := c.last
	c.last = nil
	return out
}

// OpenCapturing opens dsn through a recording driver; use it with sqlx as "postgres".
func (c *Capture) OpenCapturing(dsn string) (*sqlx.DB, error) {
	conn, err := pq.NewConnector(dsn)
	if err != nil {
		return nil, err
	}
	return sqlx.NewDb(sql.OpenDB(captureConnector{conn, c}), "postgres"), nil
}

type captureConnector struct {
	driver.Connector
	c *Capture
}

func (cc captureConnector) Connect(ctx context.Context) (driver.Conn, error) {
	conn, err := cc.Connector.Connect(ctx)
	if err != nil {
		return nil, err
	}
	return captureConn{conn.(pqConn), cc.c}, nil
}

type pqConn interface {
	driver.Conn
	driver.QueryerContext
	driver.ExecerContext
}

type captureConn struct {
	pqConn
	c *Capture
}

func (cc captureConn) QueryContext(ctx context.Context, q string, args []driver.NamedValue) (driver.Rows, error) {
	vals := make([]any, len(args))
	for i, a := range args {
		vals[i] = a.Value
	}
	cc.c.mu.Lock()
	cc.c.last = append(cc.c.last, Captured{Query: q, Args: vals})
	cc.c.mu.Unlock()
	return cc.pqConn.QueryContext(ctx, q, args)
}

// PrepareContext records the statements the store runs through prepared statements (the hot
// read queries are prepared once per connection) when they run.
func (cc captureConn) PrepareContext(ctx context.Context, q string) (driver.Stmt, error) {
	var st driver.Stmt
	var err error
	if p, ok := cc.pqConn.(driver.ConnPrepareContext); ok {
		st, err = p.PrepareContext(ctx, q)
	} else {
		st, err = cc.pqConn.Prepare(q)
	}
	if err != nil {
		return nil, err
	}
	sq, ok := st.(driver.StmtQueryContext)
	if !ok {
		return st, nil
	}
	return captureStmt{Stmt: st, query: sq, q: q, c: cc.c}, nil
}

type captureStmt struct {
	driver.Stmt
	query driver.StmtQueryContext
	q     string
	c     *Capture
}

func (s captureStmt) QueryContext(ctx context.Context, args []driver.NamedValue) (driver.Rows, error) {
	vals := make([]any, len(args))
	for i, a := range args {
		vals[i] = a.Value
	}
	s.c.mu.Lock()
	s.c.last = append(s.c.last, Captured{Query: s.q, Args: vals})
	s.c.mu.Unlock()
	return s.query.QueryContext(ctx, args)
}

// Explain runs EXPLAIN (ANALYZE, BUFFERS) on a captured statement and returns the plan lines.
func Explain(ctx context.Context, db *sqlx.DB, c Captured) ([]string, error) {
	rows, err := db.QueryContext(ctx, "EXPLAIN (ANALYZE, BUFFERS) "+c.Query, c.Args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var l string
		if err := rows.Scan(&l); err != nil {
			return nil, err
		}
		out = append(out, l)
	}
	return out, rows.Err()
}

// OneLine squeezes a statement's whitespace for printing.
func OneLine(q string) string { return strings.Join(strings.Fields(q), " ") }

// PreviousListTasks is the open-inbox query store.ListTasks ran before the rewrite recorded
// in docs/PERFORMANCE.md (one "candidate_role = ANY(roles)" branch joined with projects,
// UNION with the assigned branch): kept so that every inbox run measures before and after on
// the same data. It returns the page's task ids.
func PreviousListTasks(ctx context.Context, db *sqlx.DB, f store.TaskFilter) ([]string, error) {
	args := []any{f.UserID, f.OrgID, pq.Array(f.Roles), f.Limit + 1}
	after := ""
	if f.Cursor != "" {
		var c struct {
			Due time.Time `json:"d"`
			ID  string    `json:"i"`
		}
		if err := store.DecodeCursor(f.Cursor, &c); err != nil {
			return nil, err
		}
		args = append(args, c.Due, c.ID)
		after = " AND (t.due_at, t.id) > ($5, $6)"
	}
	cols := `t.id, t.kind, t.workflow_id, t.project_id, t.bundle_id, t.candidate_role, t.candidate_org_id,
		t.assignee_id, t.status, t.decision, t.decided_by, t.decided_at, t.comment, t.due_at, t.details, t.created_at,
		p.unit_id AS project_unit_id`
	q := `SELECT * FROM (
		(SELECT ` + cols + ` FROM tasks t LEFT JOIN projects p ON p.id = t.project_id
		 WHERE t.assignee_id = $1 AND t.status = 'open'` + after + ` ORDER BY t.due_at, t.id LIMIT $4)
		UNION
		(SELECT ` + cols + ` FROM tasks t LEFT JOIN projects p ON p.id = t.project_id
		 WHERE t.assignee_id IS NULL AND t.candidate_role = ANY($3) AND (t.candidate_org_id IS NULL OR t.candidate_org_id = $2)
		   AND NOT (t.candidate_role = 'expert' AND p.unit_id = $2) AND t.status = 'open'` + after + `
		 ORDER BY t.due_at, t.id LIMIT $4)
	) x ORDER BY due_at, id LIMIT $4`
	var ts []store.Task
	if err := db.SelectContext(ctx, &ts, q, args...); err != nil {
		return nil, err
	}
	ids := make([]string, 0, len(ts))
	for _, t := range ts {
		ids = append(ids, t.ID)
	}
	if len(ids) > f.Limit { // one more row was read to know whether a next page exists
		ids = ids[:f.Limit]
	}
	return ids, nil
}
