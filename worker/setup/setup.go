// Package setup builds the egovpm worker and its Schedule: the client-side code around the
// deterministic package workflows, which does no I/O. Integration tests build exactly the worker
// that production runs (NewWorker).
package setup

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"time"

	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/worker"
	"go.uber.org/zap"

	"egovpm/activities"
	"egovpm/activities/wire"
	"egovpm/internal/notify"
	"egovpm/internal/store"
	"egovpm/workflows"
)

// AnnualScheduleID is the id of the Temporal Schedule of the annual cycle (T1).
const AnnualScheduleID = "egovpm-annual-cycle"

// Register adds every workflow and activity of egovpm to r.
func Register(r worker.Registry, acts *activities.Activities) {
	workflows.Register(r)
	r.RegisterActivity(acts)
}

// NewWorker builds the egovpm worker on taskQueue. sender, when given, delivers notifications
// (default: the log).
//
// The worker also polls taskQueue's similarity queue (workflows.SimilarityQueue) for
// ComputeSimilar with store.SimilarScans activity slots: Start, Run and Stop start and stop
// both. ComputeSimilar stays registered on taskQueue for runs started before
// similarity-queue, which schedule it there.
func NewWorker(c client.Client, taskQueue string, st *store.Store, log *zap.Logger, sender ...notify.Sender) worker.Worker {
	w := worker.New(c, taskQueue, Options())
	acts := &activities.Activities{Store: st, Log: log, Temporal: c}
	if len(sender) > 0 {
		acts.Sender = sender[0]
	}
	Register(w, acts)
	sim := worker.New(c, workflows.SimilarityQueue(taskQueue), worker.Options{MaxConcurrentActivityExecutionSize: store.SimilarScans})
	sim.RegisterActivityWithOptions(acts.ComputeSimilar, activity.RegisterOptions{Name: wire.ComputeSimilar})
	return &pair{Worker: w, similarity: sim}
}

// pair is the worker of a task queue and the worker of its similarity queue, started and
// stopped together; registrations go to the first.
type pair struct {
	worker.Worker
	similarity worker.Worker
}

// Start starts the similarity worker, then the main one (stopping the first if the second fails).
func (p *pair) Start() error {
	if err := p.similarity.Start(); err != nil {
		return fmt.Errorf("similarity worker: %w", err)
	}
	if err := p.Worker.Start(); err != nil {
		p.similarity.Stop()
		return err
	}
	return nil
}

// Run starts both, blocks until interruptCh is closed or receives (worker.Worker.Run), and
// stops both.
func (p *pair) Run(interruptCh <-chan any) error {
	if err := p.similarity.Start(); err != nil {
		return fmt.Errorf("similarity worker: %w", err)
	}
	defer p.similarity.Stop()
	return p.Worker.Run(interruptCh)
}

// Stop stops the main worker, then the similarity worker.
func (p *pair) Stop() {
	p.Worker.Stop()
	p.similarity.Stop()
}

// StickyScheduleToStart is how long a workflow task waits on this worker's sticky queue (the
// workflow in its cache) before the server moves it to the task queue, where it starts from
// the full history: the SDK's 5 s is shorter than the queue a burst builds on a busy machine.
// In a bundle decision's fan-out to 1,000 members at load average 25, 254 of 300 members'
// workflow tasks timed out on the sticky queue, and each was then fetched with its whole
// history and replayed by the same worker: more work when there is least CPU for it (issue 20
// item 1, docs/PERFORMANCE.md §11.1.1). A worker that stopped polling loses its sticky tasks
// at once (the server sees no poller on the sticky queue), so a longer wait costs nothing there.
const StickyScheduleToStart = time.Minute

// WorkflowTaskSlotsEnv, when set to a positive number, caps the workflow tasks the worker
// executes at once (worker.Options.MaxConcurrentWorkflowTaskExecutionSize; the SDK's default
// otherwise). An experiment's knob (docs/PERFORMANCE.md §11.1.1): a burst's workflow tasks
// then wait on the sticky queue instead of each holding a local activity that waits for one
// of the worker's database connections.
const WorkflowTaskSlotsEnv = "EGOVPM_WORKFLOW_TASK_SLOTS"

// Options are the egovpm worker's options.
func Options() worker.Options {
	o := worker.Options{StickyScheduleToStartTimeout: StickyScheduleToStart}
	if n, err := strconv.Atoi(os.Getenv(WorkflowTaskSlotsEnv)); err == nil && n > 0 {
		o.MaxConcurrentWorkflowTaskExecutionSize = n
	}
	return o
}

// EnsureSchedule creates the annual Schedule if it does not exist: on 1 May 09:00
// Asia/Shanghai every year it runs AnnualCycle, so next year's plan (and its June reminders)
// exists before units start submitting. Creating it again is a no-op.
func EnsureSchedule(ctx context.Context, c client.Client, id, taskQueue, policyVersion string) error {
	_, err := c.ScheduleClient().Create(ctx, client.ScheduleOptions{
		ID: id,
		Spec: client.ScheduleSpec{
			Calendars: []client.ScheduleCalendarSpec{{
				Month:      []client.ScheduleRange{{Start: 5}},
				DayOfMonth: []client.ScheduleRange{{Start: 1}},
				Hour:       []client.ScheduleRange{{Start: 9}},
				Minute:     []client.ScheduleRange{{Start: 0}},
				Second:     []client.ScheduleRange{{Start: 0}},
			}},
			TimeZoneName: "Asia/Shanghai",
		},
		Action: &client.ScheduleWorkflowAction{
			ID:                 id + ":run",
			Workflow:           workflows.AnnualCycle,
			Args:               []any{workflows.AnnualCycleInput{PolicyVersion: policyVersion}},
			TaskQueue:          taskQueue,
			WorkflowRunTimeout: time.Hour,
		},
		Overlap:            enumspb.SCHEDULE_OVERLAP_POLICY_SKIP,
		CatchupWindow:      30 * 24 * time.Hour,
		TriggerImmediately: false,
	})
	if errors.Is(err, temporal.ErrScheduleAlreadyRunning) {
		return updateSchedulePolicy(ctx, c, id, policyVersion)
	}
	if err != nil {
		return fmt.Errorf("create schedule %s: %w", id, err)
	}
	return nil
}

// updateSchedulePolicy makes an existing schedule start its cycles with policyVersion (R19: a
// plan started after EGOVPM_POLICY changed follows the new policy, not the version the
// schedule was created with). Only the action's argument changes, and only when it differs: a
// worker start with the same policy reads the schedule and writes nothing.
func updateSchedulePolicy(ctx context.Context, c client.Client, id, policyVersion string) error {
	err := c.ScheduleClient().GetHandle(ctx, id).Update(ctx, client.ScheduleUpdateOptions{
		DoUpdate: func(in client.ScheduleUpdateInput) (*client.ScheduleUpdate, error) {
			current, err := ScheduledPolicy(&in.Description)
			if err != nil {
				return nil, fmt.Errorf("schedule %s: %w", id, err)
			}
			if current == policyVersion {
				return nil, temporal.ErrSkipScheduleUpdate
			}
			in.Description.Schedule.Action.(*client.ScheduleWorkflowAction).Args = []any{workflows.AnnualCycleInput{PolicyVersion: policyVersion}}
			return &client.ScheduleUpdate{Schedule: &in.Description.Schedule}, nil
		},
	})
	if err != nil {
		return fmt.Errorf("update schedule %s: %w", id, err)
	}
	return nil
}

// ScheduledPolicy is the policy version the annual schedule d starts its AnnualCycle with.
func ScheduledPolicy(d *client.ScheduleDescription) (string, error) {
	action, ok := d.Schedule.Action.(*client.ScheduleWorkflowAction)
	if !ok || len(action.Args) != 1 {
		return "", fmt.Errorf("action is %T, not an AnnualCycle with its input", d.Schedule.Action)
	}
	p, ok := action.Args[0].(*commonpb.Payload)
	if !ok {
		return "", fmt.Errorf("argument is %T, not a payload", action.Args[0])
	}
	var in workflows.AnnualCycleInput
	if err := converter.GetDefaultDataConverter().FromPayload(p, &in); err != nil {
		return "", err
	}
	return in.PolicyVersion, nil
}
