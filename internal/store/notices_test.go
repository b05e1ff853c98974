package store_test

import (
	"context"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"egovpm/internal/domain"
	"egovpm/internal/seed"
	"egovpm/internal/store"
	"egovpm/internal/testdb"
)

// noticeFixture is a seeded store with project pn of unit-a (alice's), requesting
// 1,500,000.00 元, in stage st.
func noticeFixture(t *testing.T, stage domain.Stage) *store.Store {
	t.Helper()
	st := testdb.New(t)
	require.NoError(t, seed.Demo(context.Background(), st, "demo-Passw0rd"))
	_, err := st.DB().Exec(`INSERT INTO projects (id, unit_id, name, type, plan_year, estimated_investment_fen, mlps_level, stage, created_by)
		VALUES ('pn', 'unit-a', '智慧教育云平台', 'new', 2031, 150000000, 2, $1, 'u-alice')`, string(stage))
	require.NoError(t, err)
	return st
}

type noticeRow struct {
	ID     string  `db:"id"`
	User   string  `db:"user_id"`
	Kind   string  `db:"kind"`
	Title  string  `db:"title"`
	Body   string  `db:"body"`
	Task   *string `db:"task_id"`
	Projct *string `db:"project_id"`
}

func noticesOf(t *testing.T, st *store.Store) []noticeRow {
	t.Helper()
	var ns []noticeRow
	require.NoError(t, st.DB().Select(&ns, `SELECT id, user_id, kind, title, body, task_id, project_id FROM notifications ORDER BY user_id, id`))
	return ns
}

func usersOf(ns []noticeRow) []string {
	var out []string
	for _, n := range ns {
		out = append(out, n.User)
	}
	return out
}

func apply(t *testing.T, st *store.Store, tr domain.Transition) {
	t.Helper()
	_, err := st.ApplyTransition(context.Background(), tr, func(now time.Time, _ int) time.Time { return now.Add(72 * time.Hour) })
	require.NoError(t, err)
}

func prelimTask(id string) domain.NewTask {
	return domain.NewTask{ID: id, Kind: domain.TaskPrelimReview, ProjectID: "pn", CandidateRole: domain.RoleDRBReviewer,
		CandidateOrgID: "drb", DueWorkdays: 5}
}

// Issue 19 item 1, SoD: a task offered to the DRB reviewers notifies each of them once, with
// the task and project to open, but not the reviewer who recorded the project's submission
// (separation of duties, as authz.ActOnTask decides); a retry of the transition adds nothing,
// and claiming the task tells nobody else.
func TestTaskOfferedToRoleNotifiesEachEligibleCandidateOnce(t *testing.T) {
	st := noticeFixture(t, domain.StagePrelimReview)
	ctx := context.Background()
	// drb1 recorded the submission on the unit's behalf: he may not review it.
	apply(t, st, domain.Transition{ID: "project:pn/r/1", WorkflowID: "project:pn", ProjectID: "pn",
		Audit: []domain.AuditItem{{ActorID: "u-drb1", OrgID: "drb", Action: "project.submit", Outcome: "ok"}}})
	open := domain.Transition{ID: "project:pn/r/2", WorkflowID: "project:pn", ProjectID: "pn", Stage: domain.StagePrelimReview,
		Open:  []domain.NewTask{prelimTask("project:pn:prelim_review:1")},
		Audit: []domain.AuditItem{{ActorID: "system", Action: "project.stage", Outcome: "ok"}}}
	apply(t, st, open)
	apply(t, st, open) // a retried activity

	ns := noticesOf(t, st)
	require.Equal(t, []string{"u-drbsup"}, usersOf(ns), "each eligible DRB reviewer once; not drb1 (SoD), nobody outside the role")
	n := ns[0]
	require.Equal(t, "task", n.Kind)
	require.Equal(t, "新待办：初审——智慧教育云平台", n.Title)
	require.Regexp(t, `^请于 \d{4}年\d{1,2}月\d{1,2}日 前办理。$`, n.Body)
	require.Equal(t, "project:pn:prelim_review:1", *n.Task)
	require.Equal(t, "pn", *n.Projct)
	require.Equal(t, "project:pn/r/2#t0:u-drbsup", n.ID, "keyed by the transition: the workflow's send and a retry find it")

	require.NoError(t, st.WithTx(ctx, func(tx *store.Tx) error { return st.ClaimTask(ctx, tx, "project:pn:prelim_review:1", "u-drbsup") }))
	require.Len(t, noticesOf(t, st), 1, "claiming tells nobody else")
}

// Issue 19 item 1: a task the workflow already announces (an explicit notice about the same
// task) is not announced twice to the same person; the derived notice still reaches those the
// explicit one missed.
func TestExplicitTaskNoticeIsNotDuplicated(t *testing.T) {
	st := noticeFixture(t, domain.StagePrelimReview)
	apply(t, st, domain.Transition{ID: "project:pn/r/1", WorkflowID: "project:pn", ProjectID: "pn",
		Open:   []domain.NewTask{prelimTask("project:pn:prelim_review:1")},
		Notify: []domain.Notice{{Kind: "task_reassigned", Title: "转办待办", UserID: "u-drb1", TaskID: "project:pn:prelim_review:1"}},
		Audit:  []domain.AuditItem{{ActorID: "system", Action: "project.stage", Outcome: "ok"}}})
	ns := noticesOf(t, st)
	require.Len(t, ns, 2)
	require.Equal(t, []string{"u-drb1", "u-drbsup"}, usersOf(ns))
	require.Equal(t, "task_reassigned", ns[0].Kind, "drb1 has the workflow's notice only")
	require.Equal(t, "task", ns[1].Kind)
}

// R4, issue 19 item 1: an expert's panel task notifies that expert alone; an expert task
// offered to the expert role never notifies an expert of the project's unit.
func TestExpertTasksNotifyOnlyTheirExperts(t *testing.T) {
	st := noticeFixture(t, domain.StageExpertReview)
	apply(t, st, domain.Transition{ID: "project:pn/r/1", WorkflowID: "project:pn", ProjectID: "pn",
		Open: []domain.NewTask{
			{ID: "pn:er:exp2", Kind: domain.TaskExpertReview, ProjectID: "pn", CandidateRole: domain.RoleExpert, AssigneeID: "u-exp2", DueWorkdays: 5},
			{ID: "pn:er:any", Kind: domain.TaskExpertReview, ProjectID: "pn", CandidateRole: domain.RoleExpert, DueWorkdays: 5},
		},
		Audit: []domain.AuditItem{{ActorID: "system", Action: "expert_review.panel", Outcome: "ok"}}})
	var got []string
	for _, n := range noticesOf(t, st) {
		got = append(got, *n.Task+" "+n.User)
		require.Equal(t, "新待办：专家评审——智慧教育云平台", n.Title)
	}
	require.ElementsMatch(t, []string{"pn:er:exp2 u-exp2",
		"pn:er:any u-exp2", "pn:er:any u-exp3", "pn:er:any u-exp4", "pn:er:any u-exp5"}, got, "exp1 (unit-a) is recused")
}

// Issue 19 item 1 (R3, R5–R8): each project event of the derivation table tells the unit's
// submitters, in Chinese, with the project to open; another unit hears nothing.
func TestProjectEventsNotifyTheUnit(t *testing.T) {
	closeBy := func(comment string) []domain.TaskClose {
		return []domain.TaskClose{{TaskID: "pn:task", Decision: "x", ActorID: "u-drb1", Comment: comment}}
	}
	for _, c := range []struct {
		name        string
		from        domain.Stage
		tr          domain.Transition
		kind, title string
		body        string
	}{
		{"R3 return", domain.StagePrelimReview,
			domain.Transition{Stage: domain.StageRevision, Close: closeBy("请补充数据共享方案。")},
			"returned", "项目被退回修改：智慧教育云平台", "退回意见：请补充数据共享方案。"},
		{"R3 reject", domain.StagePrelimReview,
			domain.Transition{Stage: domain.StageRejected, Close: closeBy("重复建设。")},
			"rejected", "项目未获通过：智慧教育云平台", "意见：重复建设。"},
		{"R4 panel fails", domain.StageExpertReview,
			domain.Transition{Stage: domain.StageRejected, Close: closeBy("不可行"),
				Audit: []domain.AuditItem{{ActorID: "u-exp2", Action: "task.decide", Outcome: "fail", Detail: map[string]any{"reason": "expert_review_failed"}}}},
			"rejected", "项目未获通过：智慧教育云平台", "意见：专家评审未获通过"},
		{"R6 excluded from the bundle", domain.StageAwaitingApproval,
			domain.Transition{Stage: domain.StageRejected,
				Audit: []domain.AuditItem{{ActorID: "u-ndrc1", Action: "bundle.exclude", Outcome: "ok", Detail: map[string]any{"comment": "资金不足"}}}},
			"bundle_excluded", "项目被移出打捆项目建议书：智慧教育云平台", "意见：资金不足"},
		{"R5 not included", domain.StageAwaitingPlan,
			domain.Transition{Stage: domain.StageNotIncluded,
				Audit: []domain.AuditItem{{ActorID: "u-drb1", Action: "plan.exclude", Outcome: "ok", Detail: map[string]any{"reason": "年度资金已安排完毕"}}}},
			"not_included", "项目未列入 2031 年度实施计划：智慧教育云平台", "原因：年度资金已安排完毕"},
		{"R5 included in full", domain.StageAwaitingPlan,
			domain.Transition{Stage: domain.StageAwaitingApproval, ApprovedAmountFen: 150000000},
			"included", "项目已列入 2031 年度实施计划：智慧教育云平台", "计划金额 1,500,000.00 元。"},
		{"R5, R7 included with a cut amount", domain.StageAwaitingPlan,
			domain.Transition{Stage: domain.StageAwaitingApproval, ApprovedAmountFen: 123456789},
			"included_cut", "项目已列入 2031 年度实施计划，金额核减：智慧教育云平台", "计划金额 1,234,567.89 元，申报金额 1,500,000.00 元。"},
		{"R7 approved with a cut amount", domain.StageAwaitingApproval,
			domain.Transition{Stage: domain.StageApproved, ApprovedAmountFen: 120000000, Close: closeBy("")},
			"approved_cut", "项目已批复，金额核减：智慧教育云平台", "批复金额 1,200,000.00 元，申报金额 1,500,000.00 元。"},
		// bundle-approve-once (issue 20 item 1): a bundle member goes through approved to
		// procurement in one transition, and still hears of the cut.
		{"R6, R7 bundle approved with a cut amount, through approved to procurement", domain.StageAwaitingApproval,
			domain.Transition{Stage: domain.StageProcurement, Through: domain.StageApproved, ApprovedAmountFen: 120000000,
				Audit: []domain.AuditItem{{ActorID: "u-ndrc1", Action: "bundle.approve", Outcome: "ok"}, {ActorID: "system", Action: "project.procurement", Outcome: "ok"}}},
			"approved_cut", "项目已批复，金额核减：智慧教育云平台", "批复金额 1,200,000.00 元，申报金额 1,500,000.00 元。"},
	} {
		t.Run(c.name, func(t *testing.T) {
			st := noticeFixture(t, c.from)
			_, err := st.DB().Exec(`INSERT INTO tasks (id, kind, workflow_id, project_id, candidate_role, due_at)
				VALUES ('pn:task', 'prelim_review', 'project:pn', 'pn', 'drb_reviewer', now())`)
			require.NoError(t, err)
			tr := c.tr
			tr.ID, tr.WorkflowID, tr.ProjectID = "project:pn/r/9", "project:pn", "pn"
			if len(tr.Audit) == 0 {
				tr.Audit = []domain.AuditItem{{ActorID: "u-drb1", Action: "task.decide", Outcome: "ok"}}
			}
			apply(t, st, tr)
			apply(t, st, tr) // a retried activity
			ns := noticesOf(t, st)
			require.Equal(t, []string{"u-alice"}, usersOf(ns), "alice, unit-a's submitter; not bob of unit-b")
			require.Equal(t, c.kind, ns[0].Kind)
			require.Equal(t, c.title, ns[0].Title)
			require.Equal(t, c.body, ns[0].Body)
			require.Equal(t, "pn", *ns[0].Projct)
			require.Nil(t, ns[0].Task)
		})
	}
}

// R3, issue 19 item 1: the workflow's own notice of a return is not doubled by the derived
// one; an approval at the requested amount derives nothing (the workflow's "approved" notice
// tells it on the way to procurement).
func TestProjectEventsKeepTheWorkflowsNotices(t *testing.T) {
	st := noticeFixture(t, domain.StagePrelimReview)
	apply(t, st, domain.Transition{ID: "project:pn/r/1", WorkflowID: "project:pn", ProjectID: "pn", Stage: domain.StageRevision,
		Notify: []domain.Notice{{Kind: "returned", Title: "项目被退回修改：智慧教育云平台", Body: "补充材料", Role: domain.RoleSubmitter, OrgID: "unit-a"}},
		Audit:  []domain.AuditItem{{ActorID: "u-drb1", Action: "task.decide", Outcome: "return"}}})
	ns := noticesOf(t, st)
	require.Len(t, ns, 1)
	require.Equal(t, "project:pn/r/1#0:u-alice", ns[0].ID, "the workflow's notice, alone")

	apply(t, st, domain.Transition{ID: "project:pn/r/2", WorkflowID: "project:pn", ProjectID: "pn", Stage: domain.StageApproved,
		ApprovedAmountFen: 150000000, Audit: []domain.AuditItem{{ActorID: "u-ndrc1", Action: "task.decide", Outcome: "approve"}}})
	require.Len(t, noticesOf(t, st), 1)
}

// Issue 19 item 1: derived notices are mailed like explicit ones: by the transition's prefix
// (the workflow's SendNotifications, the worker's kick) and, when nobody sent them, by the
// mail sweep once they are older than its grace; each once.
func TestDerivedNoticesAreMailed(t *testing.T) {
	st := noticeFixture(t, domain.StagePrelimReview)
	ctx := context.Background()
	apply(t, st, domain.Transition{ID: "project:pn/r/1", WorkflowID: "project:pn", ProjectID: "pn", Stage: domain.StageRevision,
		Close: []domain.TaskClose{}, Audit: []domain.AuditItem{{ActorID: "u-drb1", Action: "task.decide", Outcome: "return"}}})
	apply(t, st, domain.Transition{ID: "project:pn/r/2", WorkflowID: "project:pn", ProjectID: "pn", Stage: domain.StagePrelimReview,
		Open: []domain.NewTask{prelimTask("project:pn:prelim_review:2")}, Audit: []domain.AuditItem{{ActorID: "u-alice", Action: "project.resubmit", Outcome: "ok"}}})
	var mailed []string
	send := func(n store.PendingNotification) error { mailed = append(mailed, n.ID); return nil }
	n, err := st.SendNotifications(ctx, "project:pn/r/1", send)
	require.NoError(t, err)
	require.Equal(t, 1, n)

	n, err = st.SendStaleNotifications(ctx, time.Hour, 7*24*time.Hour, 100, send)
	require.NoError(t, err)
	require.Zero(t, n, "within the grace the sweep leaves them to their transition's send")
	_, err = st.DB().Exec(`UPDATE notifications SET created_at = created_at - interval '2 minutes'`)
	require.NoError(t, err)
	n, err = st.SendStaleNotifications(ctx, time.Minute, 7*24*time.Hour, 100, send)
	require.NoError(t, err)
	require.Equal(t, 2, n)
	n, err = st.SendStaleNotifications(ctx, time.Minute, 7*24*time.Hour, 100, send)
	require.NoError(t, err)
	require.Zero(t, n)
	require.Equal(t, []string{"project:pn/r/1#returned:u-alice", "project:pn/r/2#t0:u-drb1", "project:pn/r/2#t0:u-drbsup"}, mailed)
}

// docs/NOTIFICATIONS.md shows the derivation table as the code has it: one row per rule, in
// order, with its kind, event, recipients and Chinese text.
func TestNoticeRulesMatchTheDoc(t *testing.T) {
	doc, err := os.ReadFile("../../docs/NOTIFICATIONS.md")
	require.NoError(t, err)
	s := string(doc)
	begin, end := strings.Index(s, "<!-- rules:begin -->"), strings.Index(s, "<!-- rules:end -->")
	require.True(t, begin >= 0 && end > begin, "the table sits between the rules markers")
	row := regexp.MustCompile("^\\| `([a-z_]+)` \\| (.+) \\| (.+) \\| (.+) \\| (.+) \\|$")
	var got [][]string
	for _, line := range strings.Split(s[begin:end], "\n") {
		if m := row.FindStringSubmatch(line); m != nil {
			got = append(got, m[1:])
		}
	}
	var want [][]string
	for _, r := range store.NoticeRules {
		want = append(want, []string{r.Kind, r.Event, store.RecipientNames[r.To], r.Title, r.Body})
	}
	require.Equal(t, want, got)
}

// R15, issue 19 item 1: a recorded payment tells each person who may confirm it (Finance and
// DRB), never its recorder; a rejected one tells its recorder why.
func TestPaymentNotices(t *testing.T) {
	st := noticeFixture(t, domain.StageConstruction)
	ctx := context.Background()
	_, err := st.DB().Exec(`UPDATE projects SET approved_amount_fen = 150000000 WHERE id = 'pn'`)
	require.NoError(t, err)
	confirmers := []string{domain.RoleFinance, domain.RoleDRBReviewer, domain.RoleDRBSupervisor}
	pay := store.Payment{ID: "pay-1", ProjectID: "pn", Milestone: "首付款", AmountFen: 45000000, PaidOn: "2031-03-01", RecordedBy: "u-drb1"}
	require.NoError(t, st.WithTx(ctx, func(tx *store.Tx) error {
		if err := st.InsertPayment(ctx, tx, &pay); err != nil {
			return err
		}
		return st.NotifyPayment(ctx, tx, "payment:pay-1", "payment_recorded", pay, confirmers)
	}))
	ns := noticesOf(t, st)
	require.Equal(t, []string{"u-drbsup", "u-fin1"}, usersOf(ns), "the confirmers but the recorder drb1")
	require.Equal(t, "付款待确认：智慧教育云平台", ns[0].Title)
	require.Equal(t, "首付款：450,000.00 元，付款日期 2031-03-01。", ns[0].Body)
	require.Equal(t, "payment:pay-1#payment_recorded:u-drbsup", ns[0].ID)

	require.NoError(t, st.WithTx(ctx, func(tx *store.Tx) error {
		out, err := st.DecidePayment(ctx, tx, "pay-1", store.PaymentRejected, "u-fin1", "发票抬头有误")
		if err != nil {
			return err
		}
		return st.NotifyPayment(ctx, tx, "payment:pay-1", "payment_rejected", out, nil)
	}))
	var got noticeRow
	require.NoError(t, st.DB().Get(&got, `SELECT id, user_id, kind, title, body, task_id, project_id FROM notifications WHERE kind = 'payment_rejected'`))
	require.Equal(t, "u-drb1", got.User)
	require.Equal(t, "付款被退回：智慧教育云平台", got.Title)
	require.Equal(t, "首付款：450,000.00 元。退回理由：发票抬头有误", got.Body)
}
