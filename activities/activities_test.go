package activities_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/zap"

	"egovpm/activities"
	"egovpm/internal/calendar"
	"egovpm/internal/domain"
	"egovpm/internal/notify"
	"egovpm/internal/seed"
	"egovpm/internal/store"
	"egovpm/internal/testdb"
)

// sender refuses some recipients for good and fails the rest transiently, as told.
type sender struct {
	refuse    map[string]bool
	transient bool
	sent      []string
}

func (s *sender) Send(_ context.Context, m notify.Message) error {
	if s.refuse[m.UserID] {
		return &notify.RefusedError{Err: errors.New("550 5.1.1 no such mailbox")}
	}
	if s.transient {
		return errors.New("421 relay busy")
	}
	s.sent = append(s.sent, m.ID)
	return nil
}

// SendNotifications: a recipient the relay refuses for good is recorded and skipped, the rest
// of the transition's notifications go out, and the activity succeeds; a transient failure
// fails it (Temporal retries).
func TestSendNotificationsSkipsRefusedRecipients(t *testing.T) {
	st := testdb.New(t)
	ctx := context.Background()
	require.NoError(t, seed.Demo(ctx, st, "demo-Passw0rd"))
	testdb.Notifications(t, st, "tr-1#0:u-alice", "tr-1#0:u-bob", "tr-2#0:u-bob")

	s := &sender{refuse: map[string]bool{"u-alice": true}}
	a := &activities.Activities{Store: st, Sender: s, Log: zap.NewNop()}
	n, err := a.SendNotifications(ctx, "tr-1")
	require.NoError(t, err)
	require.Equal(t, 1, n)
	require.Equal(t, []string{"tr-1#0:u-bob"}, s.sent)
	var failed int
	require.NoError(t, st.DB().Get(&failed, `SELECT count(*) FROM notifications WHERE failed_at IS NOT NULL AND failure LIKE '%no such mailbox%'`))
	require.Equal(t, 1, failed)

	s.transient = true
	_, err = a.SendNotifications(ctx, "tr-2")
	require.ErrorContains(t, err, "relay busy")
}

// The SendNotifications activity mails the notifications of exactly its transition, not those
// of a transition whose id its id is a prefix of ("…/r/1" of "…/r/10").
func TestSendNotificationsMailsOnlyItsTransition(t *testing.T) {
	st := testdb.New(t)
	ctx := context.Background()
	require.NoError(t, seed.Demo(ctx, st, "demo-Passw0rd"))
	testdb.Notifications(t, st, "project:px/run-1/r/1#0:u-drb1", "project:px/run-1/r/10#0:u-drb1")
	s := &sender{}
	a := &activities.Activities{Store: st, Sender: s, Log: zap.NewNop()}
	n, err := a.SendNotifications(ctx, "project:px/run-1/r/1")
	require.NoError(t, err)
	require.Equal(t, 1, n)
	require.Equal(t, []string{"project:px/run-1/r/1#0:u-drb1"}, s.sent)
}

// T2 with the real calendar: Apply counts a task's working days from the transaction's clock
// over the calendar with the holiday_overrides rows (here the next ten days made holidays, so
// two working days end after them), and reminds at 09:00 Asia/Shanghai on the working day
// before. A transition that opens no task needs no calendar and answers no instants.
func TestApplyDueDatesUseTheHolidayOverrides(t *testing.T) {
	st := testdb.New(t)
	ctx := context.Background()
	require.NoError(t, seed.Demo(ctx, st, "demo-Passw0rd"))
	var today time.Time
	require.NoError(t, st.DB().Get(&today, `SELECT (now() AT TIME ZONE 'Asia/Shanghai')::date::timestamp`))
	var ov []calendar.Override
	for i := 1; i <= 10; i++ {
		d := today.AddDate(0, 0, i).Format("2006-01-02")
		_, err := st.DB().Exec(`INSERT INTO holiday_overrides (day, workday, name) VALUES ($1, false, '测试假期')`, d)
		require.NoError(t, err)
		ov = append(ov, calendar.Override{Date: d, Workday: false, Name: "测试假期"})
	}
	cal, err := calendar.New(ov)
	require.NoError(t, err)

	a := &activities.Activities{Store: st, Log: zap.NewNop()}
	res, err := a.Apply(ctx, domain.Transition{ID: "tr-t2", WorkflowID: "wf-t2", Open: []domain.NewTask{{ID: "task-t2",
		Kind: domain.TaskPrelimReview, CandidateRole: domain.RoleDRBReviewer, CandidateOrgID: "drb", DueWorkdays: 2}}})
	require.NoError(t, err)
	var opened time.Time
	require.NoError(t, st.DB().Get(&opened, `SELECT created_at FROM tasks WHERE id = 'task-t2'`))
	want := cal.AddWorkdays(opened, 2)
	require.True(t, want.Equal(res.Due["task-t2"]), "due %s, want %s", res.Due["task-t2"], want)
	require.True(t, res.Due["task-t2"].After(today.AddDate(0, 0, 11)), "the ten override days are not working days")
	prev := cal.PrevWorkday(want).In(calendar.Shanghai)
	require.True(t, time.Date(prev.Year(), prev.Month(), prev.Day(), 9, 0, 0, 0, calendar.Shanghai).Equal(res.Remind["task-t2"]))

	res, err = a.Apply(ctx, domain.Transition{ID: "tr-t2b", WorkflowID: "wf-t2", Close: []domain.TaskClose{{TaskID: "task-t2",
		Decision: domain.DecisionApprove, ActorID: "u-drb1"}}})
	require.NoError(t, err)
	require.Empty(t, res.Due)
	require.Empty(t, res.Remind)
}

// lockedSender records what it sends, from any goroutine.
type lockedSender struct {
	mu   sync.Mutex
	sent []string
}

func (s *lockedSender) Send(_ context.Context, m notify.Message) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sent = append(s.sent, m.ID+" "+m.Title)
	return nil
}

func (s *lockedSender) Sent() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.sent...)
}

// Issue 19 item 1: the notices Apply derives from a transition without explicit notices (the
// workflow sends only those) are mailed after the write, by the activity itself.
func TestApplyMailsDerivedNotices(t *testing.T) {
	st := testdb.New(t)
	ctx := context.Background()
	require.NoError(t, seed.Demo(ctx, st, "demo-Passw0rd"))
	s := &lockedSender{}
	a := &activities.Activities{Store: st, Sender: s, Log: zap.NewNop()}
	_, err := a.Apply(ctx, domain.Transition{ID: "tr-d", WorkflowID: "wf-d", Open: []domain.NewTask{{ID: "task-d",
		Kind: domain.TaskAcceptanceWitness, CandidateRole: domain.RolePRTAWitness, CandidateOrgID: "prta", DueWorkdays: 2}}})
	require.NoError(t, err)
	// The mail goes out in the background after the answer: wait for it.
	require.EventuallyWithT(t, func(c *assert.CollectT) {
		assert.Equal(c, []string{"tr-d#t0:u-prta1 新待办：验收见证——task-d"}, s.Sent())
	}, 20*time.Second, 50*time.Millisecond)
	var unsent int
	require.NoError(t, st.DB().Get(&unsent, `SELECT count(*) FROM notifications WHERE sent_at IS NULL`))
	require.Zero(t, unsent)
}

// Issue 19 item 1: the worker's mail sweep sends a notification nobody sent (older than its
// grace), once, and leaves a fresh one to its transition's own send.
func TestSweepMailSendsWhatIsLeftUnsent(t *testing.T) {
	st := testdb.New(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	require.NoError(t, seed.Demo(ctx, st, "demo-Passw0rd"))
	testdb.Notifications(t, st, "tr-old#t0:u-drb1", "tr-new#t0:u-drb1")
	_, err := st.DB().Exec(`UPDATE notifications SET created_at = now() - interval '5 minutes' WHERE id = 'tr-old#t0:u-drb1'`)
	require.NoError(t, err)
	s := &lockedSender{}
	done := make(chan struct{})
	go func() {
		activities.MailSweep{Store: st, Sender: s, Log: zap.NewNop(), Every: 20 * time.Millisecond, RecordEvery: activities.MailRecordEvery}.Run(ctx)
		close(done)
	}()
	require.EventuallyWithT(t, func(c *assert.CollectT) {
		assert.Equal(c, []string{"tr-old#t0:u-drb1 tr-old#t0:u-drb1"}, s.Sent())
	}, 20*time.Second, 50*time.Millisecond, "the sweep sends the old row")
	cancel()
	<-done
	require.Equal(t, []string{"tr-old#t0:u-drb1 tr-old#t0:u-drb1"}, s.Sent(), "once; the fresh row is not the sweep's yet")
}

// notify-in-apply (issue 20 item 1): a transition whose workflow asks Apply to mail its
// notifications (MailNotify) has its explicit notice mailed after the commit, in the
// background, with no SendNotifications activity; one that does not ask leaves it to the
// workflow's activity (a run started before).
func TestApplyMailsTheWorkflowsNoticesWhenAsked(t *testing.T) {
	st := testdb.New(t)
	ctx := context.Background()
	require.NoError(t, seed.Demo(ctx, st, "demo-Passw0rd"))
	s := &lockedSender{}
	a := &activities.Activities{Store: st, Sender: s, Log: zap.NewNop()}
	notice := []domain.Notice{{Kind: "approved", Title: "项目已批复", UserID: "u-drb1"}}
	_, err := a.Apply(ctx, domain.Transition{ID: "tr-old", WorkflowID: "wf-n", Notify: notice})
	require.NoError(t, err)
	_, err = a.Apply(ctx, domain.Transition{ID: "tr-new", WorkflowID: "wf-n", Notify: notice, MailNotify: true})
	require.NoError(t, err)
	require.EventuallyWithT(t, func(c *assert.CollectT) {
		assert.Equal(c, []string{"tr-new#0:u-drb1 项目已批复"}, s.Sent())
	}, 20*time.Second, 50*time.Millisecond)
	var unsent []string
	require.NoError(t, st.DB().Select(&unsent, `SELECT id FROM notifications WHERE sent_at IS NULL ORDER BY id`))
	require.Equal(t, []string{"tr-old#0:u-drb1"}, unsent, "without MailNotify the workflow's activity sends it")
}

// O1 (notify-in-apply): a mail still unsent a day after it was written (the relay down all
// day) is recorded by the mail sweep for ops, once per transition, in the stuck list's
// activity failures (with an audit row and a notice to ops, TestRecordUnsentMailAuditsAndTellsOps),
// as the SendNotifications activity that gave up after a day was; a fresher one is not, and
// the rows stay the sweep's to retry.
func TestSweepMailRecordsAMailUnsentADayForOps(t *testing.T) {
	st := testdb.New(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	require.NoError(t, seed.Demo(ctx, st, "demo-Passw0rd"))
	old, fresh := "project:px/run-1/3", "project:px/run-1/4"
	testdb.Notifications(t, st, old+"#0:u-drb1", old+"#t0:u-drbsup", fresh+"#0:u-drb1")
	_, err := st.DB().Exec(`UPDATE notifications SET created_at = now() - interval '25 hours' WHERE starts_with(id, $1)`, old)
	require.NoError(t, err)
	_, err = st.DB().Exec(`UPDATE notifications SET created_at = now() - interval '2 hours' WHERE starts_with(id, $1)`, fresh)
	require.NoError(t, err)
	done := make(chan struct{})
	go func() {
		activities.MailSweep{Store: st, Sender: &sender{transient: true}, Log: zap.NewNop(), Every: 20 * time.Millisecond,
			RecordEvery: activities.MailRecordEvery}.Run(ctx)
		close(done)
	}()
	var fs []store.ActivityFailure
	require.EventuallyWithT(t, func(c *assert.CollectT) {
		var err error
		fs, err = st.OpenActivityFailures(ctx, 10)
		assert.NoError(c, err)
		assert.Len(c, fs, 1)
	}, 20*time.Second, 50*time.Millisecond)
	time.Sleep(100 * time.Millisecond) // a few more sweeps: still one record
	cancel()
	<-done
	fs, err = st.OpenActivityFailures(context.Background(), 10)
	require.NoError(t, err)
	require.Len(t, fs, 1)
	f := fs[0]
	require.Equal(t, store.FailureID("mail/"+old), f.ID)
	require.Equal(t, "project:px", f.WorkflowID)
	require.Equal(t, "run-1", f.RunID)
	require.Equal(t, store.MailGiveUpType, f.ActivityType)
	require.Contains(t, f.Error, old+"#0:u-drb1")
	var unsent []string
	require.NoError(t, st.DB().Select(&unsent, `SELECT id FROM notifications WHERE sent_at IS NULL AND failed_at IS NULL ORDER BY id COLLATE "C"`))
	require.Equal(t, []string{"mail/" + old + "#0:u-ops1", old + "#0:u-drb1", old + "#t0:u-drbsup", fresh + "#0:u-drb1"}, unsent,
		"the rows stay the sweep's to retry; ops is told (its notice the sweep's to mail)")
}

// relayDown fails every send transiently and counts the attempts, from any goroutine.
type relayDown struct {
	mu       sync.Mutex
	attempts map[string]int
}

func (s *relayDown) Send(_ context.Context, m notify.Message) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.attempts == nil {
		s.attempts = map[string]int{}
	}
	s.attempts[m.ID]++
	return errors.New("421 relay busy")
}

func (s *relayDown) Attempts(id string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.attempts[id]
}

// The mail sweep records the mail unsent a day for ops at most once per RecordEvery (the
// worker: an hour), not at every sweep (a minute): a transition's mail found unsent a day after
// the sweep recorded is not recorded while the sweeps go on within the interval; a sweep whose
// interval has passed records it.
func TestSweepMailRecordsAtMostOncePerInterval(t *testing.T) {
	st := testdb.New(t)
	ctx := context.Background()
	require.NoError(t, seed.Demo(ctx, st, "demo-Passw0rd"))
	a, b := "project:px/run-1/3", "project:py/run-2/5"
	dayOld := func(id string) {
		t.Helper()
		testdb.Notifications(t, st, id)
		_, err := st.DB().Exec(`UPDATE notifications SET created_at = now() - interval '25 hours' WHERE id = $1`, id)
		require.NoError(t, err)
	}
	records := func() int {
		fs, err := st.OpenActivityFailures(ctx, 10)
		require.NoError(t, err)
		return len(fs)
	}
	sweep := func(recordEvery time.Duration, s *relayDown) (stop func()) {
		sctx, cancel := context.WithCancel(ctx)
		done := make(chan struct{})
		go func() {
			activities.MailSweep{Store: st, Sender: s, Log: zap.NewNop(), Every: 20 * time.Millisecond, RecordEvery: recordEvery}.Run(sctx)
			close(done)
		}()
		return func() { cancel(); <-done }
	}

	dayOld(a + "#0:u-drb1")
	relay := &relayDown{}
	stop := sweep(time.Hour, relay)
	require.Eventually(t, func() bool { return records() == 1 }, 20*time.Second, 20*time.Millisecond, "the first sweep records")
	dayOld(b + "#0:u-drb1")
	// Each sweep tries a's row first, fails, and stops until the next.
	before := relay.Attempts(a + "#0:u-drb1")
	require.Eventually(t, func() bool { return relay.Attempts(a+"#0:u-drb1") >= before+5 }, 20*time.Second, 20*time.Millisecond,
		"the sweeps go on")
	stop()
	require.Equal(t, 1, records(), "no record within the hour")

	stop = sweep(time.Millisecond, &relayDown{})
	require.Eventually(t, func() bool { return records() == 2 }, 20*time.Second, 20*time.Millisecond, "a record once the interval passed")
	stop()
}

// The mail sweep sends the daily digest (每日汇总) of a person who chose it, once its 08:30 has
// passed: one message with the rows it held, none of them mailed alone.
func TestSweepMailSendsTheDayDigest(t *testing.T) {
	st := testdb.New(t)
	ctx := context.Background()
	require.NoError(t, seed.Demo(ctx, st, "demo-Passw0rd"))
	digest := true
	_, err := st.SetMailSettings(ctx, "u-drb1", store.MailChange{Digest: &digest}, func(*store.Tx, map[string]any) error { return nil })
	require.NoError(t, err)
	// Its last digest long before the latest working day's (a test run on a Monday before 08:30
	// has Friday's due).
	_, err = st.DB().Exec(`UPDATE users SET digest_sent_at = now() - interval '40 days' WHERE id = 'u-drb1'`)
	require.NoError(t, err)
	testdb.Notifications(t, st, "project:px/run-1/3#t0:u-drb1", "project:px/run-1/4#t0:u-drb1")
	_, err = st.DB().Exec(`INSERT INTO projects (id, unit_id, name, type, plan_year, estimated_investment_fen, mlps_level, stage, created_by)
		VALUES ('px', 'unit-a', '智慧教育云平台', 'new', 2031, 150000000, 2, 'prelim_review', 'u-alice')`)
	require.NoError(t, err)
	_, err = st.DB().Exec(`UPDATE notifications SET created_at = now() - interval '5 minutes',
		project_id = CASE WHEN id LIKE '%/3#%' THEN 'px' END`)
	require.NoError(t, err)

	s := &bodySender{}
	sctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		activities.MailSweep{Store: st, Sender: s, Log: zap.NewNop(), Every: 20 * time.Millisecond, RecordEvery: time.Hour,
			LinkBase: "https://zwxm.luan.gov.cn"}.Run(sctx)
		close(done)
	}()
	require.Eventually(t, func() bool { return len(s.Sent()) > 0 }, 20*time.Second, 20*time.Millisecond)
	time.Sleep(200 * time.Millisecond) // further sweeps send nothing more
	cancel()
	<-done
	sent := s.Sent()
	require.Len(t, sent, 1, "%v", sent)
	require.True(t, strings.HasPrefix(sent[0].ID, "digest/u-drb1/"), sent[0].ID)
	require.Contains(t, sent[0].Title, "每日通知汇总")
	require.Contains(t, sent[0].Body, "查看：https://zwxm.luan.gov.cn/projects/px", "the item about a project links to it")
}

// The mail sweep keeps the digest to working days (T2's calendar with holiday_overrides, read at
// each sweep): with every day of the last three weeks a day off, the latest digest due is one
// before them, and the person's last digest was sent after it, so nothing goes out while an
// instant notice does; once the days off are removed, the held row goes out in the day's digest.
func TestSweepMailSendsNoDigestOnADayOff(t *testing.T) {
	st := testdb.New(t)
	ctx := context.Background()
	require.NoError(t, seed.Demo(ctx, st, "demo-Passw0rd"))
	db := st.DB()
	digest := true
	_, err := st.SetMailSettings(ctx, "u-drb1", store.MailChange{Digest: &digest}, func(*store.Tx, map[string]any) error { return nil })
	require.NoError(t, err)
	_, err = db.Exec(`INSERT INTO holiday_overrides (day, workday, name)
		SELECT d::date, false, '测试停工' FROM generate_series((now() AT TIME ZONE 'Asia/Shanghai')::date - 20,
			(now() AT TIME ZONE 'Asia/Shanghai')::date + 1, interval '1 day') d`)
	require.NoError(t, err)
	_, err = db.Exec(`UPDATE users SET digest_sent_at = now() - interval '19 days' WHERE id = 'u-drb1'`)
	require.NoError(t, err)
	testdb.Notifications(t, st, "project:px/run-1/3#t0:u-drb1", "urge:t1#0:u-drb1")
	_, err = db.Exec(`UPDATE notifications SET created_at = now() - interval '5 minutes',
		kind = CASE WHEN id LIKE 'urge:%' THEN 'task_urged' ELSE kind END`)
	require.NoError(t, err)

	s := &bodySender{}
	run := func() func() {
		sctx, cancel := context.WithCancel(ctx)
		done := make(chan struct{})
		go func() {
			activities.MailSweep{Store: st, Sender: s, Log: zap.NewNop(), Every: 20 * time.Millisecond, RecordEvery: time.Hour}.Run(sctx)
			close(done)
		}()
		return func() { cancel(); <-done }
	}
	stop := run()
	require.Eventually(t, func() bool { return len(s.Sent()) > 0 }, 20*time.Second, 20*time.Millisecond)
	time.Sleep(300 * time.Millisecond) // further sweeps, each reading the calendar
	stop()
	sent := s.Sent()
	require.Len(t, sent, 1, "the 催办 alone: no digest on days off")
	require.Equal(t, "urge:t1#0:u-drb1", sent[0].ID)

	_, err = db.Exec(`DELETE FROM holiday_overrides WHERE name = '测试停工'`)
	require.NoError(t, err)
	stop = run()
	require.Eventually(t, func() bool { return len(s.Sent()) > 1 }, 20*time.Second, 20*time.Millisecond)
	stop()
	require.True(t, strings.HasPrefix(s.Sent()[1].ID, "digest/u-drb1/"), s.Sent()[1].ID)
}

// bodySender records the messages it sends, whole, from any goroutine.
type bodySender struct {
	mu   sync.Mutex
	sent []notify.Message
}

func (s *bodySender) Send(_ context.Context, m notify.Message) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sent = append(s.sent, m)
	return nil
}

func (s *bodySender) Sent() []notify.Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]notify.Message(nil), s.sent...)
}
