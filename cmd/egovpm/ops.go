package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"

	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/sdk/client"

	"egovpm/internal/config"
	"egovpm/internal/logging"
	"egovpm/internal/ops"
	"egovpm/internal/platform"
	"egovpm/internal/store"
	"egovpm/internal/text"
	"egovpm/workflows"
)

// The ops-* commands are the CLI of internal/ops (SPEC.md O1–O3), the same code as the
// gateway's /api/v1/ops routes; their actions are audited with actor "cli".

// withOps runs fn with an ops service. Temporal is dialled only when temporal is set (a
// replay of history files needs the database for its audit row, not Temporal).
func withOps(ctx context.Context, e env, temporal bool, fn func(svc *ops.Service) error) error {
	return withStore(ctx, e, func(cfg config.Config, st *store.Store) error {
		log, err := logging.New(cfg.LogLevel)
		if err != nil {
			return err
		}
		defer func() { _ = log.Sync() }()
		var tc client.Client
		if temporal {
			if tc, err = platform.DialTemporal(ctx, cfg, log); err != nil {
				return err
			}
			defer tc.Close()
		}
		return fn(ops.New(tc, st, log.Named("ops"), ops.Options{Namespace: cfg.TemporalNamespace, Register: workflows.Register}))
	})
}

// cliActor is the audit actor of an ops command.
func cliActor(e env) ops.Actor { return ops.Actor{ID: "cli", OSUser: e.getenv("USER")} }

func printJSON(e env, v any) error {
	enc := json.NewEncoder(e.stdout)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

func cmdOpsStuck(ctx context.Context, e env, args []string) error {
	fs := flags(e, "ops-stuck")
	minAttempts := fs.Int("min-attempts", ops.DefaultMinAttempts, "an activity on this attempt or later is failing (N of O1)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *minAttempts < 1 || *minAttempts > 1000 {
		return errors.New("ops-stuck: --min-attempts must be 1–1000")
	}
	return withOps(ctx, e, true, func(svc *ops.Service) error {
		all := []ops.StuckWorkflow{}
		q := ops.StuckQuery{MinAttempts: int32(*minAttempts), Limit: 100}
		for {
			page, err := svc.Stuck(ctx, q)
			if err != nil {
				return describe(err)
			}
			all = append(all, page.Items...)
			if page.Truncated && q.Cursor == "" {
				fmt.Fprintf(e.stderr, "ops-stuck: more workflows than one scan covers (%d scanned); the list is partial\n", page.Scanned)
			}
			if q.Cursor = page.NextCursor; q.Cursor == "" {
				break
			}
		}
		return printJSON(e, all)
	})
}

// cmdOpsReconcile runs the reconciliation of resets, terminations and cancellations made
// outside egovpm once (ops.Service.Reconcile, issue 21 item 5) and prints what it looked at
// and wrote.
func cmdOpsReconcile(ctx context.Context, e env, args []string) error {
	fs := flags(e, "ops-reconcile")
	settle := fs.Duration("settle", ops.DefaultReconcileSettle, "leave changes younger than this to the next run")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *settle <= 0 {
		return errors.New("ops-reconcile: --settle must be positive")
	}
	return withOps(ctx, e, true, func(svc *ops.Service) error {
		res, err := svc.Reconcile(ctx, ops.ReconcileOptions{Settle: *settle})
		if err != nil {
			return describe(err)
		}
		return printJSON(e, res)
	})
}

func cmdOpsReset(ctx context.Context, e env, args []string) error {
	fs := flags(e, "ops-reset")
	workflowID := fs.String("workflow", "", "workflow id (e.g. project:p-…)")
	runID := fs.String("run", "", "run to reset (default: the current run; naming it makes a repeat idempotent)")
	eventID := fs.Int64("event", 0, "workflow task event to reset to (default: the last good workflow task)")
	reason := fs.String("reason", "", "why (recorded in Temporal and the audit log)")
	if err := parse(fs, args); err != nil {
		return err
	}
	switch {
	case *workflowID == "" || len(*workflowID) > 255:
		return errors.New("ops-reset: --workflow is required")
	case *eventID != 0 && *eventID < 3:
		return errors.New("ops-reset: --event must be a workflow task event id (3 or more)")
	}
	return withOps(ctx, e, true, func(svc *ops.Service) error {
		res, err := svc.Reset(ctx, cliActor(e), ops.ResetRequest{WorkflowID: *workflowID, RunID: *runID, EventID: *eventID,
			Reason: *reason})
		if err != nil {
			return fmt.Errorf("ops-reset: %w", describe(err))
		}
		return printJSON(e, res)
	})
}

func cmdOpsRetry(ctx context.Context, e env, args []string) error {
	fs := flags(e, "ops-retry")
	workflowID := fs.String("workflow", "", "workflow id (e.g. project:p-…)")
	activityID := fs.String("activity", "", "id of the pending activity (activity_id in ops-stuck)")
	reason := fs.String("reason", "", "why (recorded in the audit log)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *workflowID == "" || *activityID == "" {
		return errors.New("ops-retry: --workflow and --activity are required")
	}
	return withOps(ctx, e, true, func(svc *ops.Service) error {
		res, err := svc.RetryActivity(ctx, cliActor(e), *workflowID, *activityID, *reason)
		if err != nil {
			return fmt.Errorf("ops-retry: %w", describe(err))
		}
		return printJSON(e, res)
	})
}

func cmdOpsResolve(ctx context.Context, e env, args []string) error {
	fs := flags(e, "ops-resolve")
	id := fs.String("failure", "", "failure_id of an activity_gave_up reason in ops-stuck")
	comment := fs.String("comment", "", "what was done about it (recorded on the failure and in the audit log)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *id == "" || text.Blank(*comment) {
		return errors.New("ops-resolve: --failure and --comment are required")
	}
	return withOps(ctx, e, false, func(svc *ops.Service) error {
		f, err := svc.ResolveFailure(ctx, cliActor(e), *id, *comment)
		if err != nil {
			return fmt.Errorf("ops-resolve: %w", describe(err))
		}
		return printJSON(e, f)
	})
}

// workflowList collects repeated --workflow flags.
type workflowList []string

func (l *workflowList) String() string     { return strings.Join(*l, ",") }
func (l *workflowList) Set(v string) error { *l = append(*l, v); return nil }

func cmdOpsReplay(ctx context.Context, e env, args []string) error {
	fs := flags(e, "ops-replay")
	live := fs.Bool("live", false, "also replay the live histories of open workflows (all, or those named by --workflow)")
	var ids workflowList
	fs.Var(&ids, "workflow", "with --live: replay this workflow (repeatable)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	files := fs.Args()
	if len(ids) > 0 && !*live {
		return errors.New("ops-replay: --workflow needs --live")
	}
	if len(files) == 0 && !*live {
		return errors.New("ops-replay: give history files (temporal workflow show --output json) and/or --live")
	}
	var histories []*historypb.History
	for _, name := range files {
		h, err := readHistory(name)
		if err != nil {
			return fmt.Errorf("ops-replay: %w", err)
		}
		histories = append(histories, h)
	}
	return withOps(ctx, e, *live, func(svc *ops.Service) error {
		req := ops.ReplayRequest{Histories: histories, Live: *live, WorkflowIDs: ids}
		var all ops.ReplayReport
		for {
			rep, err := svc.Replay(ctx, cliActor(e), req)
			if err != nil {
				return fmt.Errorf("ops-replay: %w", describe(err))
			}
			all.Items = append(all.Items, rep.Items...)
			all.OK, all.Nondeterministic, all.Errors = all.OK+rep.OK, all.Nondeterministic+rep.Nondeterministic, all.Errors+rep.Errors
			if rep.NextCursor == "" {
				break
			}
			req = ops.ReplayRequest{Live: true, Cursor: rep.NextCursor}
		}
		all.Passed = all.Nondeterministic == 0 && all.Errors == 0
		if err := printJSON(e, all); err != nil {
			return err
		}
		if !all.Passed {
			return fmt.Errorf("ops-replay: %d nondeterministic, %d not replayable of %d histories", all.Nondeterministic, all.Errors, len(all.Items))
		}
		return nil
	})
}

func readHistory(name string) (*historypb.History, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	h, err := client.HistoryFromJSON(f, client.HistoryJSONOptions{})
	if err != nil {
		return nil, fmt.Errorf("read history %s: %w", name, err)
	}
	return h, nil
}
