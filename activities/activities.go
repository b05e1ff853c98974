// Package activities does the I/O of the workflows: it writes the read model (stages, tasks,
// plan items, audit rows, notifications) and computes what needs the database.
//
// Every write is idempotent, keyed by an id the workflow derives, so a retried activity changes
// nothing twice.
package activities

import (
	"context"
	"fmt"
	"sync"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
	"go.uber.org/zap"

	"egovpm/activities/wire"
	"egovpm/internal/calendar"
	"egovpm/internal/domain"
	"egovpm/internal/mailout"
	"egovpm/internal/notify"
	"egovpm/internal/store"
)

// Activities are registered with the worker; workflows call them by name (package wire, whose
// names are these methods' names).
type Activities struct {
	Store *store.Store
	Log   *zap.Logger
	// Sender delivers notifications; nil means the log.
	Sender notify.Sender
	// Temporal signals other workflows (TellPlan).
	Temporal client.Client
	// FanOutWait bounds how long SignalMembers waits for a page's members to take up their
	// signals before it signals more (zero: 30 s; the fan-out's pace, fanOutWindow).
	FanOutWait time.Duration

	// readsStages holds the plan years known to read stages from the read model (TellPlan
	// skips them; a year never goes back).
	readsStages sync.Map
}

// calendar loads the working-day calendar with the overrides of holiday_overrides (T2). It is
// read inside activities only, so a table change never breaks replay.
func (a *Activities) calendar(ctx context.Context) (*calendar.Calendar, error) {
	return a.Store.Calendar(ctx)
}

// Apply writes a lifecycle transition to the read model in one transaction and returns the due
// dates of the tasks it opened. It runs as a local activity on the decision path.
func (a *Activities) Apply(ctx context.Context, t domain.Transition) (domain.TransitionResult, error) {
	if t.ID == "" || t.WorkflowID == "" {
		return domain.TransitionResult{}, temporal.NewNonRetryableApplicationError("transition without id", "BadInput", nil)
	}
	// The calendar (a query and the holidays of the years around) loads only when a task opens:
	// most decisions open none.
	var cal *calendar.Calendar
	if len(t.Open) > 0 {
		var err error
		if cal, err = a.calendar(ctx); err != nil {
			return domain.TransitionResult{}, err
		}
	}
	due := func(now time.Time, workdays int) time.Time { return cal.AddWorkdays(now, workdays) }
	res, err := a.Store.ApplyTransition(ctx, t, due)
	if err != nil {
		return res, fmt.Errorf("apply transition %s: %w", t.ID, err)
	}
	a.mailDerived(t)
	res.Remind = make(map[string]time.Time, len(res.Due))
	for id, d := range res.Due {
		prev := cal.PrevWorkday(d).In(calendar.Shanghai)
		res.Remind[id] = time.Date(prev.Year(), prev.Month(), prev.Day(), 9, 0, 0, 0, calendar.Shanghai)
	}
	return res, nil
}

// DocsInput and DocsResult are MissingDocuments' payloads (package wire).
type (
	DocsInput  = wire.DocsInput
	DocsResult = wire.DocsResult
)

// MissingDocuments returns the kinds in.Kinds that the project has no document of.
func (a *Activities) MissingDocuments(ctx context.Context, in DocsInput) (DocsResult, error) {
	have, err := a.Store.DocumentKinds(ctx, in.ProjectID)
	if err != nil {
		return DocsResult{}, fmt.Errorf("document kinds of %s: %w", in.ProjectID, err)
	}
	res := DocsResult{Missing: []string{}}
	for _, k := range in.Kinds {
		if !domain.Contains(have, k) {
			res.Missing = append(res.Missing, k)
		}
	}
	return res, nil
}

// ComputeSimilar stores the project's duplicate-construction candidates (R16). It flags; it
// never rejects.
func (a *Activities) ComputeSimilar(ctx context.Context, projectID string) (int, error) {
	return a.Store.ComputeSimilar(ctx, projectID)
}

// SendNotifications delivers the notifications transition transitionID wrote (ids
// transitionID + "#…", not those of a transition whose id it is a prefix of), each once
// (store.SendNotifications). It runs as a regular activity with retries, off the decision's
// reply path.
func (a *Activities) SendNotifications(ctx context.Context, transitionID string) (int, error) {
	return a.Store.SendNotifications(ctx, transitionID, mailout.Through(ctx, a.Sender, a.Log))
}

// mailedByApply reports whether Apply mails the notifications applying t wrote, because the
// workflow does not:
//   - t has explicit notices (t.Notify): only when the workflow asked for it (t.MailNotify,
//     notify-in-apply); otherwise the workflow's SendNotifications(t.ID) activity mails them,
//     and the derived ones with them (same id prefix);
//   - t has none: when applying it may derive some (store.DerivesNotices), which no workflow
//     mails; a transition that derives none wrote nothing to mail, whatever t.MailNotify says.
func mailedByApply(t domain.Transition) bool {
	if len(t.Notify) > 0 {
		return t.MailNotify
	}
	return store.DerivesNotices(t)
}

// mailDerived mails, in the background, the notifications applying t wrote when the workflow
// does not (mailedByApply). The rows are committed; a send lost here (the worker stops, the
// relay is down) is the mail sweep's (MailSweep), which records for ops a mail still unsent a
// day after (O1).
func (a *Activities) mailDerived(t domain.Transition) {
	if !mailedByApply(t) {
		return
	}
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if _, err := a.Store.SendNotifications(ctx, t.ID, mailout.Through(ctx, a.Sender, a.Log)); err != nil {
			a.Log.Warn("derived notifications not mailed yet", zap.String("transition", t.ID), zap.Error(err))
		}
	}()
}

// Mail sweep: a notification still unsent a minute after it was written is sent by the sweep,
// for a week after it was written; a week-old mail about a task helps nobody.
const (
	mailSweepGrace   = time.Minute
	mailSweepHorizon = 7 * 24 * time.Hour
	// mailSweepGiveUp: a notification still unsent a day after it was written is recorded for
	// ops (O1), as the SendNotifications activity that gave up after a day was before
	// notify-in-apply; the sweep goes on trying it until the horizon.
	mailSweepGiveUp = 24 * time.Hour
	mailSweepBatch  = 500
)

// MailRecordEvery is how often, at most, the mail sweep records for ops the mail unsent a day
// (store.RecordUnsentMail, which reads the unsent rows of the week): an hour late on a day's
// wait tells ops the same, at a 60th of the reads of a record at every sweep.
const MailRecordEvery = time.Hour

// MailSweep mails the notifications left unsent (store.SendStaleNotifications): rows first,
// mail after, retried at each sweep until sent or refused for good; and records for ops (O1,
// store.RecordUnsentMail) those still unsent a day after they were written. It also sends the
// daily digests (每日汇总, store.SendDigests) of the users who chose one, at the first sweep after
// store.DigestAt each working day. The worker runs it.
type MailSweep struct {
	Store *store.Store
	// Sender delivers the mail; nil means the log.
	Sender notify.Sender
	Log    *zap.Logger
	// Every is how often it sends.
	Every time.Duration
	// RecordEvery is how often, at most, it records the mail unsent a day: at its first sweep,
	// then at the first sweep RecordEvery or more after the last record.
	RecordEvery time.Duration
	// LinkBase is the web UI's address (config NOTIFY_LINK_BASE): a digest's items about a
	// project link to its page. Empty: no links.
	LinkBase string
}

// Run sweeps every m.Every until ctx ends.
func (m MailSweep) Run(ctx context.Context) {
	t := time.NewTicker(m.Every)
	defer t.Stop()
	var recorded time.Time
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		n, err := m.Store.SendStaleNotifications(ctx, mailSweepGrace, mailSweepHorizon, mailSweepBatch, mailout.Through(ctx, m.Sender, m.Log))
		if err != nil && ctx.Err() == nil {
			m.Log.Warn("mail sweep stopped early", zap.Int("sent", n), zap.Error(err))
		} else if n > 0 {
			m.Log.Info("mail sweep sent notifications", zap.Int("sent", n))
		}
		// The daily digests (每日汇总) of those who chose them, once DigestAt has passed on a
		// working day (T2's calendar, read each sweep so a change of holiday_overrides is seen).
		cal, err := m.Store.Calendar(ctx)
		if err != nil {
			if ctx.Err() == nil {
				m.Log.Warn("mail sweep: no working-day calendar, digests and the record of unsent mail wait", zap.Error(err))
			}
			continue
		}
		link := func(projectID string) string { return notify.Link(m.LinkBase, notify.Message{ProjectID: projectID}) }
		due := store.DigestDue(time.Now(), cal)
		since := store.DigestDue(due.Add(-time.Second), cal) // the previous working day's
		if d, err := m.Store.SendDigests(ctx, due, since, link, mailout.Through(ctx, m.Sender, m.Log)); err != nil && ctx.Err() == nil {
			m.Log.Warn("mail sweep: digests stopped early", zap.Int("sent", d), zap.Error(err))
		} else if d > 0 {
			m.Log.Info("mail sweep sent daily digests", zap.Int("sent", d))
		}
		if !recorded.IsZero() && time.Since(recorded) < m.RecordEvery {
			continue
		}
		recorded = time.Now()
		digestDue := store.DigestDue(recorded.Add(-mailSweepGiveUp), cal)
		if r, err := m.Store.RecordUnsentMail(ctx, mailSweepGiveUp, mailSweepHorizon, digestDue); err != nil && ctx.Err() == nil {
			m.Log.Warn("mail sweep: unsent mail not recorded for ops", zap.Error(err))
		} else if r > 0 {
			m.Log.Warn("mail sweep: mail unsent a day recorded for ops (O1)", zap.Int64("transitions", r))
		}
	}
}

// DraftReminderInput is RemindDrafts' payload (package wire).
type DraftReminderInput = wire.DraftReminderInput

// RemindDrafts writes and sends a T1 reminder (1 June, 20 June, 27 June) to units with
// unsubmitted drafts, or the "window closed" notice (1 July) to every submitter.
func (a *Activities) RemindDrafts(ctx context.Context, in DraftReminderInput) (int, error) {
	dl := in.Deadline.In(calendar.Shanghai).Format("2006年1月2日 15:04")
	kind, title, body := "submission_reminder", fmt.Sprintf("%d 年度电子政务项目申报将于 %s 截止", in.PlanYear, dl),
		"贵单位尚有未提交的项目草稿，请按时提交。"
	if in.Closed {
		kind, title, body = "submission_closed", fmt.Sprintf("%d 年度电子政务项目申报已于 %s 截止", in.PlanYear, dl),
			"计划外项目须上传专题请示并报市政府批准（R8）。"
	}
	if _, err := a.Store.NotifyUnitsWithDrafts(ctx, in.ID+"#0", in.PlanYear, in.Closed, kind, title, body); err != nil {
		return 0, err
	}
	return a.SendNotifications(ctx, in.ID)
}

// LoadPolicy returns policy version v (R19) for workflows that start plans.
func (a *Activities) LoadPolicy(ctx context.Context, v string) (domain.Policy, error) {
	p, err := a.Store.Policy(ctx, v, false)
	if err != nil {
		return p, temporal.NewNonRetryableApplicationError(err.Error(), "BadPolicy", err)
	}
	return p, nil
}
