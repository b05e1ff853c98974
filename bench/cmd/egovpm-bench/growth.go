package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/lib/pq"
	"go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/api/workflowservice/v1"
	"google.golang.org/protobuf/proto"

	"egovpm/activities/wire"
	"egovpm/bench"
	"egovpm/internal/domain"
	"egovpm/internal/metrics"
	"egovpm/workflows"
)

// Request caps of the plan endpoints (server/plans.go): projects per expert session, per
// compile request. A bundle that names no projects takes every candidate (R6): one request.
const (
	capSession = 500
	capCompile = 1000
)

// growth takes N projects of one plan year (for each N of -growth-n) to approved and times each
// portfolio step alone (issue 20, item 1): the convene request(s) and until every project's
// expert tasks are open in the read model; the compile request(s) and until every project is
// awaiting approval; the bundle create; the bundle decision and until every member workflow
// has written its next stage (the fan-out). The steps in between (create, submit, prelim
// review, expert reviews) are set-up, timed but not the subject. At each N it times the
// inbox (GET /tasks: an expert holding N open tasks, DRB's prelim inbox of N) and the plan
// (GET /plans/{year}), and counts the AnnualPlan workflow's history per run.
func (e *env) growth(ctx context.Context) ([]string, error) {
	var out []string
	for _, n := range e.o.growthN {
		lines, err := e.growthYear(ctx, n)
		if err != nil {
			return out, fmt.Errorf("growth of %d projects: %w", n, err)
		}
		out = append(out, lines...)
	}
	return out, nil
}

// growthStep is one timed step: its wall time, the longest request in it and how many it took.
type growthStep struct {
	name    string
	wall    time.Duration
	longest time.Duration
	reqs    int
	// tasks is a fan-out's workflow tasks (taskCounts.since), empty for a request step.
	tasks string
}

func (s growthStep) line(n int) string {
	l := fmt.Sprintf("  %-40s %9s  = %7.2f ms/project  (%d request(s), longest %s)",
		s.name, s.wall.Round(time.Millisecond), float64(s.wall.Microseconds())/1000/float64(n), s.reqs, s.longest.Round(time.Millisecond))
	if s.tasks != "" {
		l += "\n      its workflow tasks: " + s.tasks
	}
	return l
}

func (e *env) growthYear(ctx context.Context, n int) ([]string, error) {
	c := e.o.lcClients
	year := e.nextYear()
	e.vacuumedFor = ""
	fmt.Printf("\n== growth: %d projects in plan year %d, %d clients for the set-up ==\n", n, year, c)
	tok := func(u string) string { t, _ := e.cl.Token(ctx, u, password); return t }
	for _, u := range []string{"alice", "bob", "drb1", "exp2", "exp3", "exp4", "ndrc1"} {
		if _, err := e.cl.Token(ctx, u, password); err != nil {
			return nil, err
		}
	}
	retry := []int{http.StatusNotFound, http.StatusConflict}
	t0 := time.Now()
	ids, submit, err := e.submitted(ctx, n, year, c, fmt.Sprintf("规模%d", n))
	if err != nil {
		return nil, err
	}
	if err := e.waitOpenPrelim(ctx, ids); err != nil {
		return nil, err
	}
	fmt.Printf("set-up: %d created and submitted in %s (submits %s)\n", n, time.Since(t0).Round(time.Millisecond), submit.Round(time.Millisecond))
	var reads []string
	read := func(what, user, path string) error {
		t := tok(user)
		r := bench.RunItems(ctx, what, 1, make([]int, e.o.growthReads), nil, func(ctx context.Context, _ int, _ int) error {
			return e.cl.Do(ctx, t, http.MethodGet, path, nil, http.StatusOK, nil)
		})
		if r.Errors > 0 {
			return fmt.Errorf("%s: %s", what, r.FirstError)
		}
		fmt.Println(r.Summary("req"))
		reads = append(reads, fmt.Sprintf("  %-40s p50 %s  p99 %s  (%d requests, 1 client)", what, bench.Ms(r.Quantile(0.5)), bench.Ms(r.Quantile(0.99)), len(r.Latencies)))
		return nil
	}
	if err := read("GET /tasks drb1 (N open prelim)", "drb1", "/api/v1/tasks?limit=50"); err != nil {
		return nil, err
	}

	reviewers := make([]string, c)
	for i := range reviewers {
		reviewers[i] = tok(reviewer(i + 1))
	}
	worker := make(chan int, c)
	for i := range c {
		worker <- i
	}
	t0 = time.Now()
	if err := bench.Parallel(ctx, c, ids, func(ctx context.Context, id string) error {
		w := <-worker
		defer func() { worker <- w }()
		return bench.Retry(ctx, time.Minute, retry, func() error {
			return e.cl.Decide(ctx, reviewers[w], prelimTask(id), map[string]any{"decision": "approve", "comment": "符合申报条件"})
		})
	}); err != nil {
		return nil, err
	}
	if err := e.waitStage(ctx, ids, []string{"expert_review"}); err != nil {
		return nil, err
	}
	fmt.Printf("set-up: prelim review of %d in %s\n", n, time.Since(t0).Round(time.Millisecond))
	// The submissions' similarity activities (R16: one a submission, a few at a time on their
	// queue, each streaming the year's projects) drain before a step is timed: at 10,000 they
	// run on past the last submission.
	fmt.Printf("set-up: waited %s for the similarity activities and notifications to drain\n", e.cpu.WaitQuiet(waitLimit(n)).Round(time.Second))

	var steps []growthStep
	// timed runs the requests of one step one after another, then waits for the read model.
	timed := func(name string, reqs int, req func(i int) error, settle func() error) error {
		if err := e.vacuumReadModel(ctx, name); err != nil {
			return err
		}
		s := growthStep{name: name, reqs: reqs}
		tasks := e.workflowTasks(ctx)
		start := time.Now()
		for i := range reqs {
			t := time.Now()
			if err := req(i); err != nil {
				return fmt.Errorf("%s: %w", name, err)
			}
			s.longest = max(s.longest, time.Since(t))
		}
		s.wall = time.Since(start)
		steps = append(steps, s)
		if settle == nil {
			return nil
		}
		if err := settle(); err != nil {
			return err
		}
		f := growthStep{name: name + " → read model (fan-out)", reqs: reqs, longest: s.longest, wall: time.Since(start)}
		time.Sleep(2 * metrics.TemporalReportEvery) // the SDK's counters reach /metrics at its next report
		f.tasks = e.workflowTasks(ctx).since(tasks)
		steps = append(steps, f)
		return nil
	}
	drb := tok("drb1")
	timeouts := 0 // 503 temporal_timeout answers resent
	// planPost sends one plan request as a client does: with an Idempotency-Key, resent with
	// the same key while the plan is not ready for it (409) or the gateway stopped waiting
	// for the Update (503 temporal_timeout: the Update goes on; the resend gets its outcome).
	planPost := func(key, path string, body any, want int, out any) error {
		return bench.Retry(ctx, 5*time.Minute, []int{http.StatusConflict, http.StatusServiceUnavailable}, func() error {
			err := e.cl.DoHeaders(ctx, drb, http.MethodPost, path, map[string]string{"Idempotency-Key": key}, body, want, out)
			if se, ok := err.(*bench.StatusError); ok && se.Status == http.StatusServiceUnavailable {
				timeouts++
				fmt.Printf("    %s: 503 after the gateway's wait, resent with the same key\n", path)
			}
			return err
		})
	}
	runKey := bench.RandomSuffix()

	// Convene (R4): one session of three experts, in requests of at most capSession projects.
	experts := []string{"exp2", "exp3", "exp4"}
	if err := timed("convene", (n+capSession-1)/capSession, func(i int) error {
		batch := ids[i*capSession : min(n, (i+1)*capSession)]
		return planPost(fmt.Sprintf("growth-%s-convene-%d", runKey, i), fmt.Sprintf("/api/v1/plans/%d/expert-sessions", year),
			map[string]any{"pick_reason": "测试指定专家", "expert_ids": []string{"u-exp2", "u-exp3", "u-exp4"}, "project_ids": batch}, http.StatusCreated, nil)
	}, func() error {
		return e.waitCount(ctx, "open expert review tasks", 3*n, waitLimit(3*n),
			`SELECT count(*) FROM tasks WHERE project_id = ANY($1) AND kind = 'expert_review' AND status = 'open'`, pq.Array(ids))
	}); err != nil {
		return nil, err
	}
	if err := read("GET /tasks exp2 (N open expert reviews)", "exp2", "/api/v1/tasks?limit=50"); err != nil {
		return nil, err
	}

	// Expert reviews: set-up.
	t0 = time.Now()
	type review struct{ project, expert string }
	var reviews []review
	for _, id := range ids {
		for _, x := range experts {
			reviews = append(reviews, review{id, x})
		}
	}
	if err := bench.Parallel(ctx, c, reviews, func(ctx context.Context, r review) error {
		task := workflows.ProjectWorkflowID(r.project) + ":" + string(domain.TaskExpertReview) + ":1:u-" + r.expert
		return bench.Retry(ctx, time.Minute, retry, func() error {
			return e.cl.Decide(ctx, tok(r.expert), task, map[string]any{"decision": "pass", "score": 85, "comment": "方案可行"})
		})
	}); err != nil {
		return nil, err
	}
	if err := e.waitStage(ctx, ids, []string{"awaiting_plan"}); err != nil {
		return nil, err
	}
	fmt.Printf("set-up: %d expert reviews in %s\n", 3*n, time.Since(t0).Round(time.Millisecond))

	// Compile (R5): at the requested amounts, in requests of at most capCompile projects.
	if err := timed("compile", (n+capCompile-1)/capCompile, func(i int) error {
		var inc []map[string]any
		for _, id := range ids[i*capCompile : min(n, (i+1)*capCompile)] {
			inc = append(inc, map[string]any{"project_id": id, "approved_amount_fen": fenSmall})
		}
		return planPost(fmt.Sprintf("growth-%s-compile-%d", runKey, i), fmt.Sprintf("/api/v1/plans/%d/compile", year),
			map[string]any{"included": inc}, http.StatusOK, nil)
	}, func() error { return e.waitStage(ctx, ids, []string{"awaiting_approval"}) }); err != nil {
		return nil, err
	}
	if err := read("GET /plans/{year} (N items)", "drb1", fmt.Sprintf("/api/v1/plans/%d", year)); err != nil {
		return nil, err
	}

	// One bundle of every small project awaiting approval (R6): a request naming none.
	var b struct {
		TaskID     string   `json:"task_id"`
		ProjectIDs []string `json:"project_ids"`
	}
	if err := timed("bundle create (all, one request)", 1, func(int) error {
		return planPost(fmt.Sprintf("growth-%s-bundle", runKey), fmt.Sprintf("/api/v1/plans/%d/bundles", year), nil, http.StatusCreated, &b)
	}, nil); err != nil {
		return nil, err
	}
	if len(b.ProjectIDs) != n {
		return nil, fmt.Errorf("the bundle holds %d projects, want %d", len(b.ProjectIDs), n)
	}
	if err := read("GET /tasks ndrc1 (the bundle task)", "ndrc1", "/api/v1/tasks?limit=50"); err != nil {
		return nil, err
	}
	// The bundle decision's fan-out alone: after the earlier steps' work has drained (their
	// notification activities), with the CPU time of each process over it and, with -profile,
	// the gateway's, the worker's and the devserver's CPU profiles of its first seconds.
	if err := e.vacuumReadModel(ctx, "bundle decision"); err != nil {
		return nil, err
	}
	quiet := e.cpu.WaitQuiet(2 * time.Minute)
	pd := max(5*time.Second, time.Duration(n)*30*time.Millisecond)
	waitProf := []func(){e.profile(fmt.Sprintf("growth-%d-bundle-decision", n), pd),
		e.profileOf("worker", e.workerPprof, fmt.Sprintf("growth-%d-bundle-decision", n), pd),
		e.profileOf("devserver", e.ts.PprofAddr, fmt.Sprintf("growth-%d-bundle-decision", n), pd)}
	e.cpu.Start()
	if err := timed("bundle decision", 1, func(int) error {
		return bench.Retry(ctx, 5*time.Minute, append(retry, http.StatusServiceUnavailable), func() error {
			return e.cl.DecideKey(ctx, tok("ndrc1"), b.TaskID, "growth-"+runKey+"-bundle-decision", map[string]any{"decision": "approve", "comment": "同意"}, nil)
		})
	}, func() error { return e.waitStage(ctx, ids, []string{"approved", "procurement"}) }); err != nil {
		return nil, err
	}
	fanCPU := e.cpu.Stop()
	fanLine := fmt.Sprintf("  bundle decision → all approved, per member (waited %s for quiet before it): %s",
		quiet.Round(time.Second), fanCPU.PerOp(n))
	fmt.Println(fanLine)
	for _, w := range waitProf {
		w()
	}
	if err := read("GET /plans/{year} (N items, 1 bundle)", "drb1", fmt.Sprintf("/api/v1/plans/%d", year)); err != nil {
		return nil, err
	}

	hist, err := e.planHistory(ctx, year)
	if err != nil {
		return nil, err
	}
	member, err := e.runHistory(ctx, workflows.ProjectWorkflowID(ids[0]), "")
	if err != nil {
		return nil, err
	}
	lines := []string{fmt.Sprintf("growth N=%d (plan year %d), each step alone (wall, per project):", n, year)}
	for _, s := range steps {
		lines = append(lines, s.line(n))
	}
	if timeouts > 0 {
		lines = append(lines, fmt.Sprintf("  (%d plan request(s) answered 503 temporal_timeout after the gateway's 30 s wait and were resent with the same key: counted in their step)", timeouts))
	}
	lines = append(lines, fanLine)
	lines = append(lines, reads...)
	lines = append(lines, hist...)
	lines = append(lines, "  one member's ProjectLifecycle: "+member.String())
	fmt.Println(strings.Join(lines, "\n"))
	return lines, nil
}

// runStats is one workflow run's history: events, bytes and its largest event (the payload
// nearest Temporal's per-payload limits).
type runStats struct {
	runID       string
	status      string
	events      int64
	bytes       int64
	largest     int
	largestType string
	// fanOuts are the SignalMembers activities' times, scheduled to completed, in order
	// (plan-fanout-activity: each a convene's, a compile's or a bundle decision's fan-out),
	// and fanWaits the part of each before a worker started it (time in the task queue).
	fanOuts, fanWaits []time.Duration
	// byKind is the largest event of each kind: its type, with a marker's local activity and
	// an event's Update (the one accepted last before it: the plan handles one at a time).
	byKind map[string]int
}

// largestKinds lists the n largest kinds of event in byKind, largest first.
func (r runStats) largestKinds(n int) string {
	kinds := make([]string, 0, len(r.byKind))
	for k := range r.byKind {
		kinds = append(kinds, k)
	}
	sort.Slice(kinds, func(i, j int) bool { return r.byKind[kinds[i]] > r.byKind[kinds[j]] })
	parts := []string{}
	for _, k := range kinds[:min(n, len(kinds))] {
		parts = append(parts, fmt.Sprintf("%s %.1f KB", k, float64(r.byKind[k])/1024))
	}
	return strings.Join(parts, "; ")
}

// eventKind names ev for byKind: its type, a marker's local activity, and update (the Update
// being handled).
func eventKind(ev *historypb.HistoryEvent, update string) string {
	k := strings.TrimPrefix(ev.EventType.String(), "EVENT_TYPE_")
	if a := ev.GetMarkerRecordedEventAttributes(); a != nil {
		if d := a.GetDetails()["data"]; d != nil && len(d.Payloads) > 0 {
			var la struct{ ActivityType string }
			if json.Unmarshal(d.Payloads[0].Data, &la) == nil && la.ActivityType != "" {
				k += " " + la.ActivityType
			}
		}
	}
	if update != "" {
		k += " (" + update + ")"
	}
	return k
}

func (r runStats) String() string {
	out := fmt.Sprintf("run %s (%s): %d events, %.1f KB history, largest event %.1f KB (%s)",
		shortRun(r.runID), r.status, r.events, float64(r.bytes)/1024, float64(r.largest)/1024, r.largestType)
	if len(r.fanOuts) > 0 {
		ds := make([]string, len(r.fanOuts))
		for i, d := range r.fanOuts {
			ds[i] = d.Round(time.Millisecond).String()
			if i < len(r.fanWaits) {
				ds[i] += fmt.Sprintf(" (%s queued)", r.fanWaits[i].Round(time.Millisecond))
			}
		}
		out += fmt.Sprintf("; SignalMembers scheduled → completed: %s", strings.Join(ds, ", "))
	}
	if len(r.byKind) > 0 {
		out += "\n      largest by kind: " + r.largestKinds(5)
	}
	return out
}

// shortRun is the end of a run id (the start of a time-ordered one is the same for runs
// started the same minute).
func shortRun(id string) string {
	if len(id) > 8 {
		return id[len(id)-8:]
	}
	return id
}

// planHistory lists the runs of year's AnnualPlan (continue-as-new makes several), oldest first.
func (e *env) planHistory(ctx context.Context, year int) ([]string, error) {
	wid := workflows.PlanWorkflowID(year)
	var runs []string
	var token []byte
	for {
		res, err := e.tc.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{
			Namespace: "default", Query: fmt.Sprintf("WorkflowId = '%s'", wid), NextPageToken: token})
		if err != nil {
			return nil, fmt.Errorf("list runs of %s: %w", wid, err)
		}
		for _, x := range res.Executions {
			runs = append(runs, x.Execution.RunId)
		}
		if token = res.NextPageToken; len(token) == 0 {
			break
		}
	}
	out := []string{fmt.Sprintf("  AnnualPlan %s: %d run(s)", wid, len(runs))}
	for i := len(runs) - 1; i >= 0; i-- { // the list is newest first
		s, err := e.runHistory(ctx, wid, runs[i])
		if err != nil {
			return nil, err
		}
		out = append(out, "    "+s.String())
	}
	return out, nil
}

// runHistory reads one run's history (runID "" is the latest).
func (e *env) runHistory(ctx context.Context, wid, runID string) (runStats, error) {
	d, err := e.tc.DescribeWorkflow(ctx, wid, runID)
	if err != nil {
		return runStats{}, fmt.Errorf("describe %s: %w", wid, err)
	}
	info := d.RawResponse.WorkflowExecutionInfo
	s := runStats{runID: info.Execution.RunId, status: strings.ToLower(strings.TrimPrefix(info.Status.String(), "WORKFLOW_EXECUTION_STATUS_")),
		events: info.HistoryLength, bytes: info.HistorySizeBytes}
	it := e.tc.GetWorkflowHistory(ctx, wid, info.Execution.RunId, false, enums.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	scheduled := map[int64]time.Time{}
	s.byKind = map[string]int{}
	var update string
	started := map[int64]time.Duration{}
	for it.HasNext() {
		ev, err := it.Next()
		if err != nil {
			return s, fmt.Errorf("history of %s: %w", wid, err)
		}
		if a := ev.GetWorkflowExecutionUpdateAcceptedEventAttributes(); a != nil {
			update = a.GetAcceptedRequest().GetInput().GetName()
		}
		sz := proto.Size(ev)
		if sz > s.largest {
			s.largest, s.largestType = sz, strings.TrimPrefix(ev.EventType.String(), "EVENT_TYPE_")
		}
		if k := eventKind(ev, update); sz > s.byKind[k] {
			s.byKind[k] = sz
		}
		if a := ev.GetActivityTaskScheduledEventAttributes(); a != nil && a.ActivityType.GetName() == wire.SignalMembers {
			scheduled[ev.EventId] = ev.EventTime.AsTime()
		}
		if a := ev.GetActivityTaskStartedEventAttributes(); a != nil {
			if at, ok := scheduled[a.ScheduledEventId]; ok {
				started[a.ScheduledEventId] = ev.EventTime.AsTime().Sub(at)
			}
		}
		if a := ev.GetActivityTaskCompletedEventAttributes(); a != nil {
			if at, ok := scheduled[a.ScheduledEventId]; ok {
				s.fanOuts = append(s.fanOuts, ev.EventTime.AsTime().Sub(at))
				s.fanWaits = append(s.fanWaits, started[a.ScheduledEventId])
			}
		}
	}
	return s, nil
}

// vacuumReadModel vacuums and analyses the read model before step when the PostgreSQL server's
// autovacuum is off (this project's test machine has it so), as autovacuum would have after the
// set-up's writes: every project row rewritten some ten times leaves its dead versions in the
// table and its indexes. The devserver does the same for its own databases (devserver/vacuum.go).
// A step already vacuumed for (the bundle decision's timed call after its own) is not vacuumed
// twice.
func (e *env) vacuumReadModel(ctx context.Context, step string) error {
	if e.vacuumedFor == step {
		return nil
	}
	e.vacuumedFor = step
	var av string
	if err := e.st.DB().GetContext(ctx, &av, `SHOW autovacuum`); err != nil {
		return fmt.Errorf("read autovacuum: %w", err)
	}
	if av == "on" {
		return nil
	}
	t0 := time.Now()
	if _, err := e.st.DB().ExecContext(ctx, `VACUUM (ANALYZE)`); err != nil {
		return fmt.Errorf("vacuum the read model: %w", err)
	}
	fmt.Printf("set-up: read model vacuumed before %s in %s (the server's autovacuum is off)\n", step, time.Since(t0).Round(time.Millisecond))
	return nil
}
