package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"egovpm/internal/audit"
	"egovpm/internal/authz"
	"egovpm/internal/calendar"
	"egovpm/internal/domain"
)

// Recipients names who a derived notification goes to.
type Recipients string

// The recipients of derived notifications.
const (
	// ToTaskHolders: the task's assignee, else each enabled candidate of its role (and org)
	// whom authz.ActOnTask lets act on it: an expert never of the project's unit (R4), nobody
	// on what they submitted or recorded (separation of duties).
	ToTaskHolders Recipients = "task"
	// ToUnit: the project's unit, every enabled submitter of the unit that owns the project.
	ToUnit Recipients = "unit"
	// ToPaymentConfirmers: each enabled person of the roles that confirm payments (R15: Finance
	// and DRB, the gateway's route table), never the payment's recorder (separation of duties).
	ToPaymentConfirmers Recipients = "payment_confirmers"
	// ToPaymentRecorder: who recorded the payment.
	ToPaymentRecorder Recipients = "payment_recorder"
	// ToCC: the people a decision is CC'd to (抄送): each person named, and each enabled
	// person of each org named, never the decider.
	ToCC Recipients = "cc"
	// ToDelegator: who delegated the task (委派), if enabled and not its decider.
	ToDelegator Recipients = "delegator"
)

// RecipientNames are the recipients as docs/NOTIFICATIONS.md names them.
var RecipientNames = map[Recipients]string{
	ToTaskHolders:       "任务的办理人；未指派时该角色（及单位）中每位有权办理者各一条（专家不含本单位项目，职责分离：不含提交人）",
	ToUnit:              "项目所属单位的每位申报人",
	ToPaymentConfirmers: "每位有权确认付款者（市财政局、市数管局），不含登记人",
	ToPaymentRecorder:   "付款登记人",
	ToCC:                "被抄送的每个人，及被抄送机构中的每位在用人员（不含决定人）",
	ToDelegator:         "委派人（不含决定人）",
}

// NoticeRule derives the notifications of one event from a transition, inside the transaction
// that applies it: what a person must act on or would want to know (issue 19 item 1). The
// table NoticeRules is the one docs/NOTIFICATIONS.md shows; TestNoticeRulesMatchTheDoc keeps
// them alike. Title and Body are templates over the placeholders of noticeFacts.fill.
type NoticeRule struct {
	Kind  string
	Event string
	To    Recipients
	Title string
	Body  string
	// stage is the new stage that raises the event ("" for a task opening).
	stage domain.Stage
	// when narrows the event by what the transition and its project say (nil: always).
	when func(f noticeFacts) bool
	// payment: the event is a payment's (NotifyPayment), not a transition's.
	payment bool
	// cc: the event is a decision's CC (CCDecision, the gateway's), not a transition's.
	cc bool
	// delegated: the event is the decision of a delegated task, written with the task's
	// close (delegatorNotices).
	delegated bool
}

// NoticeRules is the derivation table: event → recipients → text. A transition's explicit
// notices (domain.Transition.Notify) are written too; a derived notification is left out for a
// person who already has an explicit one of the transition about the same task (task events)
// or of the same kind (project events).
var NoticeRules = []NoticeRule{
	{Kind: "task", Event: "任务生成（任何类型：初审、专家评审、各级审批、专题请示审批、验收审查/签署/见证、运维备案审查、绩效评估）",
		To: ToTaskHolders, Title: "新待办：{任务}——{项目}", Body: "请于 {到期} 前办理。"},
	{Kind: "returned", Event: "项目被退回修改（R3）", stage: domain.StageRevision,
		To: ToUnit, Title: "项目被退回修改：{项目}", Body: "退回意见：{意见}"},
	{Kind: "rejected", Event: "项目未获通过（初审不予通过、专家评审未通过、审批不予批准、打捆建议书被否决）", stage: domain.StageRejected,
		when: func(f noticeFacts) bool { return f.action != "bundle.exclude" },
		To:   ToUnit, Title: "项目未获通过：{项目}", Body: "意见：{意见}"},
	{Kind: "bundle_excluded", Event: "项目被移出打捆项目建议书（R6）", stage: domain.StageRejected,
		when: func(f noticeFacts) bool { return f.action == "bundle.exclude" },
		To:   ToUnit, Title: "项目被移出打捆项目建议书：{项目}", Body: "意见：{意见}"},
	{Kind: "not_included", Event: "项目未列入年度实施计划（R5；含年度计划截止时仍未列入的项目）", stage: domain.StageNotIncluded,
		To: ToUnit, Title: "项目未列入 {年度} 年度实施计划：{项目}", Body: "原因：{意见}"},
	{Kind: "included", Event: "项目列入年度实施计划（R5；计划外项目经市政府批准补充列入，R8），计划金额不低于申报金额", stage: domain.StageAwaitingApproval,
		when: func(f noticeFacts) bool { return f.amountFen > 0 && f.amountFen >= f.estimatedFen },
		To:   ToUnit, Title: "项目已列入 {年度} 年度实施计划：{项目}", Body: "计划金额 {金额} 元。"},
	{Kind: "included_cut", Event: "项目列入年度实施计划，计划金额低于申报金额（R5、R7）", stage: domain.StageAwaitingApproval,
		when: func(f noticeFacts) bool { return f.amountFen > 0 && f.amountFen < f.estimatedFen },
		To:   ToUnit, Title: "项目已列入 {年度} 年度实施计划，金额核减：{项目}", Body: "计划金额 {金额} 元，申报金额 {申报金额} 元。"},
	{Kind: "approved_cut", Event: "项目获批，批复金额低于申报金额（R7）", stage: domain.StageApproved,
		when: func(f noticeFacts) bool { return f.amountFen > 0 && f.amountFen < f.estimatedFen },
		To:   ToUnit, Title: "项目已批复，金额核减：{项目}", Body: "批复金额 {金额} 元，申报金额 {申报金额} 元。"},
	// Payments are no workflow transition: the gateway writes these with the payment (NotifyPayment).
	{Kind: "payment_recorded", Event: "付款已登记，待确认（R15）", payment: true,
		To: ToPaymentConfirmers, Title: "付款待确认：{项目}", Body: "{付款}：{金额} 元，付款日期 {付款日期}。"},
	{Kind: "payment_rejected", Event: "付款被退回（R15）", payment: true,
		To: ToPaymentRecorder, Title: "付款被退回：{项目}", Body: "{付款}：{金额} 元。退回理由：{意见}"},
	// A CC is no transition either: the gateway writes it after the decision (CCDecision).
	{Kind: "decision_cc", Event: "审批决定抄送给您（抄送，本人或所在机构）", cc: true,
		To: ToCC, Title: "抄送：{任务}决定——{项目}", Body: "{决定人}：{决定}。意见：{意见}"},
	// Written with the close of a delegated task (delegatorNotices), not by deriveNotices.
	{Kind: "delegated_task_decided", Event: "您委派的任务已由受委派人办理（委派）", delegated: true,
		To: ToDelegator, Title: "委派的任务已办理：{任务}——{项目}", Body: "{决定人}：{决定}。意见：{意见}"},
}

// opinionNames are the reason codes a workflow audits, as the unit reads them.
var opinionNames = map[string]string{"expert_review_failed": "专家评审未获通过"}

// noticeFacts are what a rule's text and condition read: the transition and its project.
type noticeFacts struct {
	subject      string // the project's name, or the bundle's
	taskKind     string
	due          time.Time
	opinion      string
	action       string
	planYear     int
	amountFen    int64
	estimatedFen int64
	milestone    string
	paidOn       string
}

// fill replaces the placeholders of template s with f's values.
func (f noticeFacts) fill(s string) string {
	opinion := f.opinion
	if opinion == "" {
		opinion = "（未填写）"
	}
	kind := domain.TaskKindNames[f.taskKind]
	if kind == "" {
		kind = f.taskKind
	}
	return strings.NewReplacer(
		"{项目}", f.subject,
		"{任务}", kind,
		"{到期}", f.due.In(calendar.Shanghai).Format("2006年1月2日"),
		"{意见}", opinion,
		"{年度}", strconv.Itoa(f.planYear),
		"{金额}", domain.YuanGrouped(f.amountFen),
		"{申报金额}", domain.YuanGrouped(f.estimatedFen),
		"{付款}", f.milestone,
		"{付款日期}", f.paidOn,
	).Replace(s)
}

// opinionOf is what a transition says of its decision: a known reason code's name, else the
// first closed task's comment, else the comment or reason its first audit row records.
func opinionOf(t domain.Transition) string {
	detail := map[string]any{}
	if len(t.Audit) > 0 && t.Audit[0].Detail != nil {
		detail = t.Audit[0].Detail
	}
	if r, ok := detail["reason"].(string); ok && opinionNames[r] != "" {
		return opinionNames[r]
	}
	for _, c := range t.Close {
		if strings.TrimSpace(c.Comment) != "" {
			return c.Comment
		}
	}
	for _, k := range []string{"comment", "reason"} {
		if s, ok := detail[k].(string); ok && strings.TrimSpace(s) != "" {
			return s
		}
	}
	return ""
}

// DerivesNotices reports whether applying t may write derived notifications (it opens a task
// or moves its project to a stage of NoticeRules): the mail of those is the caller's to send
// when t has no explicit notices, which the workflow sends itself.
func DerivesNotices(t domain.Transition) bool {
	if len(t.Open) > 0 {
		return true
	}
	if t.ProjectID == "" || t.Stage == "" {
		return false
	}
	for _, r := range NoticeRules {
		if !r.payment && !r.cc && !r.delegated && (r.stage == t.Stage || t.Through != "" && r.stage == t.Through) {
			return true
		}
	}
	return false
}

// explicitIDPrefixes are the id prefixes of t's explicit notifications (Store.notify): the
// notification of notice i to user u is "<t.ID>#<i>:<u>".
func explicitIDPrefixes(t domain.Transition) []string {
	out := make([]string, len(t.Notify))
	for i := range t.Notify {
		out[i] = fmt.Sprintf("%s#%d:", t.ID, i)
	}
	return out
}

// deriveNotices writes the notifications NoticeRules derive from t, in the transaction that
// applies it (after its explicit notices); a project event's rule matches t's new stage or the
// stage it passes through (t.Through). Ids derive from the transition ("<t.ID>#t<i>:<user>"
// for opened task i, "<t.ID>#<kind>:<user>" for a project event), so a retry writes nothing
// twice, and the workflow's SendNotifications(t.ID) mails them with the explicit ones.
func (s *Store) deriveNotices(ctx context.Context, tx *sqlx.Tx, t domain.Transition) error {
	if !DerivesNotices(t) {
		return nil
	}
	explicit := explicitIDPrefixes(t)
	task := NoticeRules[0]
	for i, n := range t.Open {
		f, users, err := s.taskHolders(ctx, tx, n.ID)
		if err != nil {
			return err
		}
		err = s.insertNotices(ctx, tx, fmt.Sprintf("%s#t%d:", t.ID, i), task.Kind, f.fill(task.Title), f.fill(task.Body),
			n.ProjectID, n.ID, users, explicit)
		if err != nil {
			return err
		}
	}
	if t.ProjectID == "" || t.Stage == "" {
		return nil
	}
	var f noticeFacts
	loaded := false
	for _, r := range NoticeRules[1:] {
		if r.payment || r.cc || r.delegated || r.stage != t.Stage && (t.Through == "" || r.stage != t.Through) {
			continue
		}
		if !loaded {
			var err error
			if f, err = s.projectFacts(ctx, tx, t); err != nil {
				return err
			}
			loaded = true
		}
		if r.when != nil && !r.when(f) {
			continue
		}
		var users []string
		if err := tx.SelectContext(ctx, &users, `SELECT u.id FROM users u JOIN projects p ON p.id = $1 AND u.org_id = p.unit_id
			WHERE NOT u.disabled AND EXISTS (SELECT 1 FROM user_roles r WHERE r.user_id = u.id AND r.role = $2) ORDER BY u.id`,
			t.ProjectID, domain.RoleSubmitter); err != nil {
			return fmt.Errorf("unit of %s: %w", t.ProjectID, err)
		}
		err := s.insertNotices(ctx, tx, t.ID+"#"+r.Kind+":", r.Kind, f.fill(r.Title), f.fill(r.Body), t.ProjectID, "", users, explicit)
		if err != nil {
			return err
		}
	}
	return nil
}

// projectFacts are the facts of a project event of t.
func (s *Store) projectFacts(ctx context.Context, tx *sqlx.Tx, t domain.Transition) (noticeFacts, error) {
	var p struct {
		Name      string `db:"name"`
		PlanYear  int    `db:"plan_year"`
		Estimated int64  `db:"estimated_investment_fen"`
		Approved  int64  `db:"approved"`
	}
	err := tx.GetContext(ctx, &p, `SELECT name, plan_year, estimated_investment_fen, coalesce(approved_amount_fen, 0) AS approved
		FROM projects WHERE id = $1`, t.ProjectID)
	if err != nil {
		return noticeFacts{}, fmt.Errorf("project %s: %w", t.ProjectID, notFound(err))
	}
	f := noticeFacts{subject: p.Name, opinion: opinionOf(t), planYear: p.PlanYear, amountFen: t.ApprovedAmountFen,
		estimatedFen: p.Estimated}
	if len(t.Audit) > 0 {
		f.action = t.Audit[0].Action
	}
	return f, nil
}

// taskHolders are the facts of open task id and the people it notifies (ToTaskHolders): its
// assignee or its candidates, each as authz.ActOnTask lets act on it. A task no longer open
// notifies nobody.
func (s *Store) taskHolders(ctx context.Context, tx *sqlx.Tx, id string) (noticeFacts, []string, error) {
	var t struct {
		Task
		Subject string `db:"subject"`
	}
	err := tx.GetContext(ctx, &t, `SELECT `+taskCols+`, `+taskSubmittedByCol+` AS submitted_by,
		coalesce(p.name, (SELECT b.plan_year || ' 年度打捆项目建议书（' || b.id || '）' FROM bundles b WHERE b.id = t.bundle_id), t.id) AS subject
		FROM tasks t LEFT JOIN projects p ON p.id = t.project_id WHERE t.id = $1`, id)
	if err != nil {
		return noticeFacts{}, nil, fmt.Errorf("task %s: %w", id, notFound(err))
	}
	f := noticeFacts{subject: t.Subject, taskKind: t.Kind, due: t.DueAt}
	facts := authz.TaskFacts{Kind: domain.TaskKind(t.Kind), CandidateRole: t.CandidateRole, CandidateOrgID: t.CandidateOrgID.String,
		AssigneeID: t.AssigneeID.String, ProjectUnitID: t.ProjectUnitID.String, Open: t.Status == "open", SubmittedBy: t.SubmittedBy}
	if !facts.Open {
		return f, nil, nil
	}
	var people []struct {
		ID    string         `db:"id"`
		OrgID string         `db:"org_id"`
		Roles pq.StringArray `db:"roles"`
	}
	err = tx.SelectContext(ctx, &people, `SELECT u.id, u.org_id, array_agg(r.role ORDER BY r.role) AS roles
		FROM users u JOIN user_roles r ON r.user_id = u.id
		WHERE NOT u.disabled AND CASE WHEN $1 <> '' THEN u.id = $1
			ELSE EXISTS (SELECT 1 FROM user_roles c WHERE c.user_id = u.id AND c.role = $2) AND ($3 = '' OR u.org_id = $3) END
		GROUP BY u.id, u.org_id ORDER BY u.id`, facts.AssigneeID, facts.CandidateRole, facts.CandidateOrgID)
	if err != nil {
		return f, nil, fmt.Errorf("holders of task %s: %w", id, err)
	}
	var users []string
	for _, p := range people {
		if authz.ActOnTask(domain.Actor{ID: p.ID, OrgID: p.OrgID, Roles: p.Roles}, facts) == nil {
			users = append(users, p.ID)
		}
	}
	return f, users, nil
}

// insertNoticesSQL writes a derived notice for each of the users $7 (and their deputies) who has
// no explicit notice of the transition (ids $8 prefixes || user) for the same task ($6) or of
// the same kind. The explicit ids are looked up by the primary key, a join of $8 and the user:
// written as x.id = ANY(SELECT …) the planner cannot, and scanned the whole table for each
// insert (a province's year of submissions, 285,000 rows at 7,000 projects: each submission's
// Apply past its 15 s deadline, issue 20 item 1, docs/PERFORMANCE.md §11.1.4).
var insertNoticesSQL = `INSERT INTO notifications (id, user_id, kind, title, body, project_id, task_id)
		SELECT $1 || u.id, u.id, $2, $3, $4, NULLIF($5, ''), NULLIF($6, '')
		FROM ` + withDeputies("unnest($7::text[]) AS s(id)") + ` AS u(id)
		WHERE NOT EXISTS (SELECT 1 FROM unnest($8::text[]) e JOIN notifications x ON x.id = e || u.id
			WHERE CASE WHEN $6 <> '' THEN x.task_id = $6 ELSE x.kind = $2 AND x.task_id IS NULL END)
		ON CONFLICT (id) DO NOTHING`

// insertNotices writes one notification per user and per active deputy (代理人) of an absent
// user (withDeputies), id idPrefix + the recipient's id, but none to a recipient who has an
// explicit notification of the transition (id explicit[i] + user) about the same task, or,
// without a task, of the same kind and no task (insertNoticesSQL).
func (s *Store) insertNotices(ctx context.Context, tx *sqlx.Tx, idPrefix, kind, title, body, projectID, taskID string,
	users, explicit []string) error {
	if len(users) == 0 {
		return nil
	}
	if _, err := tx.ExecContext(ctx, insertNoticesSQL, idPrefix, kind, title, body, projectID, taskID, pq.Array(users), pq.Array(explicit)); err != nil {
		return fmt.Errorf("derived notifications %s: %w", idPrefix, err)
	}
	return nil
}

// SendStaleNotifications delivers (SendNotifications) the notifications left unsent after
// grace and written within horizon, oldest first, at most limit of them: the durable path of
// the mail of notifications nobody sends at once (the notices a transition derives without
// explicit ones, which the workflow does not send; a send that gave up). It returns how many it
// sent; the first error ends the run, to be tried again at the next.
func (s *Store) SendStaleNotifications(ctx context.Context, grace, horizon time.Duration, limit int,
	send func(PendingNotification) error) (int, error) {
	var ids []string
	// Not the rows held for a digest (SendDigests mails them): read here, a digest user's
	// backlog would fill every batch and keep the sweep from the rows behind it.
	err := s.db.SelectContext(ctx, &ids, `SELECT n.id FROM notifications n JOIN users u ON u.id = n.user_id
		WHERE n.sent_at IS NULL AND n.failed_at IS NULL AND NOT (`+heldForDigest+`)
		AND n.created_at < now() - $1 * interval '1 microsecond' AND n.created_at > now() - $2 * interval '1 microsecond'
		ORDER BY n.created_at, n.id LIMIT $3`, grace.Microseconds(), horizon.Microseconds(), limit)
	if err != nil {
		return 0, fmt.Errorf("stale notifications: %w", err)
	}
	sent := 0
	for _, id := range ids {
		// By the whole id: a row another sender took meanwhile is skipped (sent, or locked).
		n, err := s.sendUnsent(ctx, unsentByIDSQL, id, send)
		sent += n
		if err != nil {
			return sent, err
		}
	}
	return sent, nil
}

// MailGiveUpType is the activity type of the O1 record the mail sweep writes for a mail still
// unsent a day after it was written (RecordUnsentMail): the name of the activity that recorded
// it before notify-in-apply, when a transition's explicit notices were sent by one.
const MailGiveUpType = "SendNotifications"

// zhSpan is d in Chinese for the ops notice: whole days as 一天, 7 天 (一周 for seven), else hours.
func zhSpan(d time.Duration) string {
	switch {
	case d == 24*time.Hour:
		return "一天"
	case d == 7*24*time.Hour:
		return "一周"
	case d%(24*time.Hour) == 0:
		return fmt.Sprintf("%d 天", int(d/(24*time.Hour)))
	default:
		return fmt.Sprintf("%g 小时", d.Hours())
	}
}

// MailUnsentKind is the kind of the notice to ops that RecordUnsentMail writes with a record.
// RecordUnsentMail does not record such a notice unsent in its turn: it tells ops of a record
// the stuck list already shows.
const MailUnsentKind = "mail_unsent"

// recordUnsentMailBatch bounds the records one transaction of RecordUnsentMail adds (each an
// audit row after the chain's head, which the transaction holds until it commits).
const recordUnsentMailBatch = 200

// RecordUnsentMail records for ops (O1) the notifications still unsent (neither sent nor
// refused for good) after after and written within horizon, one record per transition (the
// id's part before '#'), as recordGaveUp records an activity that gave up (the
// SendNotifications activity that gave up after a day was before notify-in-apply), all three
// in one transaction: an activity_failures row (id FailureID("mail/" + the transition), type
// MailGiveUpType, workflow and run the transition id's first two parts), which the stuck list
// shows until ops resolves it; an audit row activity.gave_up (R18, through the chain); and a
// notice to the ops role (MailUnsentKind, id "mail/<transition>#0:<user>", mailed by the
// sweep). A transition recorded before, resolved or not, adds nothing: a sweep repeated, or two
// workers' sweeps, record each once. The rows stay the sweep's to send until they are horizon
// old. A row held for its user's daily digest (heldForDigest) waits by choice until the next
// working day's DigestAt: it counts only when written before digestDue, the latest digest due
// after or more ago (DigestDue(now - after)), which should have carried it. It returns how many
// records it added.
func (s *Store) RecordUnsentMail(ctx context.Context, after, horizon time.Duration, digestDue time.Time) (int64, error) {
	var added int64
	for {
		var read, n int
		err := s.inTx(ctx, func(tx *sqlx.Tx) error {
			var err error
			read, n, err = s.recordUnsentMail(ctx, tx, after, horizon, digestDue)
			return err
		})
		if err != nil {
			return added, fmt.Errorf("record unsent mail: %w", err)
		}
		added += int64(n)
		// By the candidates read, not the records added: another sweep may have added some of a
		// full batch meanwhile, and the rest may be past it. Those it added are not read again
		// (NOT EXISTS, its rows committed before ours: ON CONFLICT waits for them), so each round
		// reads fewer until one reads less than a batch.
		if read < recordUnsentMailBatch {
			return added, nil
		}
	}
}

// unsentMail is a record RecordUnsentMail adds: the first unsent notification of a transition.
type unsentMail struct {
	Transition     string         `db:"tr"`
	WorkflowID     string         `db:"workflow_id"`
	RunID          string         `db:"run_id"`
	ProjectID      sql.NullString `db:"project_id"`
	NotificationID string         `db:"notification_id"`
	UserID         string         `db:"user_id"`
	Error          string         `db:"error"`
	Added          bool           `db:"added"`
}

// recordUnsentMailSQL adds up to $6 activity_failures rows of the transitions with mail unsent
// ($1: after, $2: horizon, in microseconds; a row held for its user's daily digest only when
// written before $8, the digest due that should have carried it) not recorded before, and returns every candidate it
// read, added true for those it added (false for those another sweep added meanwhile).
const recordUnsentMailSQL = `WITH c AS (
		SELECT * FROM (SELECT DISTINCT ON (k.tr) k.tr, 'af-' || left(encode(sha256(convert_to('mail/' || k.tr, 'UTF8')), 'hex'), 24) AS id,
			split_part(k.tr, '/', 1) AS workflow_id, split_part(k.tr, '/', 2) AS run_id, n.project_id, n.id AS notification_id, n.user_id,
			format('mail of notification %s (to %s) not sent %s after it was written; the mail sweep retries it until it is %s old',
				n.id, n.user_id, $4::text, $5::text) AS error
		FROM notifications n, LATERAL (SELECT split_part(n.id, '#', 1) AS tr) k
		WHERE n.sent_at IS NULL AND n.failed_at IS NULL AND n.kind <> $7
			AND n.created_at < now() - $1 * interval '1 microsecond' AND n.created_at > now() - $2 * interval '1 microsecond'
			AND NOT EXISTS (SELECT 1 FROM users u WHERE u.id = n.user_id AND ` + heldForDigest + `
				AND n.created_at >= $8)
		ORDER BY k.tr, n.id) u
		WHERE NOT EXISTS (SELECT 1 FROM activity_failures f WHERE f.id = u.id)
		ORDER BY u.tr LIMIT $6),
	i AS (INSERT INTO activity_failures (id, workflow_id, run_id, project_id, activity_type, error)
		SELECT id, workflow_id, run_id, project_id, $3, error FROM c
		ON CONFLICT (id) DO NOTHING RETURNING id)
	SELECT c.tr, c.workflow_id, c.run_id, c.project_id, c.notification_id, c.user_id, c.error, i.id IS NOT NULL AS added
	FROM c LEFT JOIN i USING (id) ORDER BY c.tr`

// recordUnsentMail adds in tx a batch of RecordUnsentMail's records, each with its audit row
// and its notice to ops, and returns how many candidates it read (added or, another sweep's
// meanwhile, not) and how many of them it added.
func (s *Store) recordUnsentMail(ctx context.Context, tx *sqlx.Tx, after, horizon time.Duration, digestDue time.Time) (read, added int, err error) {
	var rs []unsentMail
	if err := tx.SelectContext(ctx, &rs, recordUnsentMailSQL, after.Microseconds(), horizon.Microseconds(), MailGiveUpType,
		after.String(), horizon.String(), recordUnsentMailBatch, MailUnsentKind, digestDue); err != nil {
		return 0, 0, err
	}
	for _, r := range rs {
		if !r.Added {
			continue
		}
		added++
		id := "mail/" + r.Transition
		e := audit.Entry{ActorID: "system", Action: "activity.gave_up", ObjectType: "workflow", ObjectID: r.WorkflowID,
			Outcome: "failed", DedupKey: id + "#0", Detail: map[string]any{"activity_type": MailGiveUpType, "run_id": r.RunID,
				"error": r.Error, "transition_id": r.Transition, "notification_id": r.NotificationID}}
		if err := s.Audit.Append(ctx, tx, e); err != nil {
			return 0, 0, fmt.Errorf("audit of unsent mail %s: %w", r.Transition, err)
		}
		n := domain.Notice{Kind: MailUnsentKind, Role: domain.RoleOps,
			Title: fmt.Sprintf("通知 %s %s未能发出，需要运维处理", r.NotificationID, zhSpan(after)),
			Body: fmt.Sprintf("流程 %s 的通知 %s（收件人 %s）写入%s后仍未发出（邮件中继不可用或拒收）；邮件清扫将继续重试，直至写入满%s。"+
				"请检查邮件中继，处理后在卡住列表中标记已处理。", r.WorkflowID, r.NotificationID, r.UserID, zhSpan(after), zhSpan(horizon))}
		if err := s.notify(ctx, tx, id+"#0", r.ProjectID.String, n); err != nil {
			return 0, 0, fmt.Errorf("ops notice of unsent mail %s: %w", r.Transition, err)
		}
	}
	return len(rs), added, nil
}

// NotifyPayment writes in tx the notices of payment p's event kind (NoticeRules:
// payment_recorded to the people of confirmerRoles who may confirm it, never its recorder;
// payment_rejected to its recorder), keyed "<id>#<kind>:<user>". The caller mails them
// (SendNotifications(id)) after the commit; the mail sweep sends what it does not.
func (s *Store) NotifyPayment(ctx context.Context, t *Tx, id, kind string, p Payment, confirmerRoles []string) error {
	tx := t.tx
	var r *NoticeRule
	for i := range NoticeRules {
		if NoticeRules[i].payment && NoticeRules[i].Kind == kind {
			r = &NoticeRules[i]
		}
	}
	if r == nil {
		return fmt.Errorf("notify payment %s: no rule %q", p.ID, kind)
	}
	f := noticeFacts{amountFen: p.AmountFen, milestone: p.Milestone, paidOn: p.PaidOn, opinion: p.Comment}
	if err := tx.GetContext(ctx, &f.subject, `SELECT name FROM projects WHERE id = $1`, p.ProjectID); err != nil {
		return fmt.Errorf("project %s: %w", p.ProjectID, notFound(err))
	}
	var users []string
	var err error
	switch r.To {
	case ToPaymentConfirmers:
		err = tx.SelectContext(ctx, &users, `SELECT u.id FROM users u WHERE NOT u.disabled AND u.id <> $1
			AND EXISTS (SELECT 1 FROM user_roles r WHERE r.user_id = u.id AND r.role = ANY($2::text[])) ORDER BY u.id`,
			p.RecordedBy, pq.Array(confirmerRoles))
	case ToPaymentRecorder:
		err = tx.SelectContext(ctx, &users, `SELECT id FROM users WHERE id = $1 AND NOT disabled`, p.RecordedBy)
	}
	if err != nil {
		return fmt.Errorf("recipients of payment %s: %w", p.ID, err)
	}
	return s.insertNotices(ctx, tx, id+"#"+r.Kind+":", r.Kind, f.fill(r.Title), f.fill(r.Body), p.ProjectID, "", users, nil)
}

// delegatedRule is NoticeRules' delegated_task_decided.
func delegatedRule() NoticeRule {
	for _, r := range NoticeRules {
		if r.delegated {
			return r
		}
	}
	panic("no delegated rule")
}

// delegatorNoticeBodies are, for each of closes, the delegated_task_decided body as a format
// string whose %1$s is the decider's name ({决定人}, which the statement fills from users):
// the decision in words and its comment filled in.
func delegatorNoticeBodies(closes []domain.TaskClose) []string {
	r := delegatedRule()
	var out []string
	for _, c := range closes {
		words := domain.DecisionNames[c.Decision]
		if words == "" {
			words = c.Decision
		}
		f := noticeFacts{opinion: c.Comment}
		before, after, _ := strings.Cut(strings.ReplaceAll(r.Body, "{决定}", words), "{决定人}")
		esc := func(s string) string { return strings.ReplaceAll(f.fill(s), "%", "%%") }
		out = append(out, esc(before)+"%1$s"+esc(after))
	}
	return out
}

// kindNamesJSON is domain.TaskKindNames as a JSON object, for the statement that names a task
// kind.
var kindNamesJSON = func() string {
	b, err := json.Marshal(domain.TaskKindNames)
	if err != nil {
		panic(err)
	}
	return string(b)
}()

// delegatorNotices is the WITH item (after c, the tasks transition tID closes, RETURNING their
// id, kind, project_id, status, decided_by, delegated_by and b, the body's format) that tells
// the delegator (委派, issue 19 item 6) of each task decided (not cancelled) by someone else,
// and his active deputy (代理人), if enabled: delegated_task_decided, id
// "<tID>#delegated_task_decided:<task>:<user>", in the statement that closes the task, so a
// decision that was applied never lacks it and a retry (the task no longer open) adds nothing.
// Most decisions close no delegated task: the insert then selects nothing. Kept short: the
// whole statement's text up to the audit head shows in pg_stat_activity (1 kB).
func delegatorNotices(tID string, arg func(any) string) string {
	r := delegatedRule()
	title := strings.NewReplacer("%", "%%", "{任务}", "%1$s", "{项目}", "%2$s").Replace(r.Title)
	return `dn AS(INSERT INTO notifications(id,user_id,kind,title,body,project_id,task_id)SELECT ` + arg(tID+"#"+r.Kind+":") +
		`||c.id||':'||u,u,` + arg(r.Kind) + `,format(` + arg(title) + `,` + arg(kindNamesJSON) + `::jsonb->>c.kind,p.name),format(c.b,d.name),p.id,c.id
	FROM c JOIN users d ON d.id=c.decided_by JOIN projects p ON p.id=c.project_id,unnest(c.delegated_by||array(SELECT a.deputy_id FROM
	absences a WHERE a.user_id=c.delegated_by AND a.ended_at IS NULL AND now()<@tstzrange(a.starts_at,a.ends_at)))u
	WHERE c.status='done' AND u<>d.id AND u IN(SELECT id FROM users WHERE NOT disabled)ON CONFLICT DO NOTHING)`
}
