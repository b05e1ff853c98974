package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"mime/multipart"
	"net/http"
	"path/filepath"
	"strings"
	"time"

	enumspb "go.temporal.io/api/enums/v1"

	"egovpm/bench"
	"egovpm/internal/config"
	"egovpm/internal/domain"
	"egovpm/workflows"
)

// decadePolicy is the dev-only test policy of the decade phase: a copy of the seed's "test"
// policy (trial run 5 s) whose O&M year is 20 s and whose R14 evaluation opens 10 s after
// acceptance and recurs every 20 s, so each compressed O&M year has one filing and one round.
const decadePolicy = "bench-decade"

// historyLimit is the per-run history bound of issue 5 and issue 20 (Temporal's default
// suggestion to continue as new is at 4,096 events, its hard limit 51,200).
const historyLimit = 10_240

// decadeYears is how many O&M years the phase plays before retiring the project.
const decadeYears = 10

// decadeLife (issue 20 item 2) drives one project over HTTP from submission through approval,
// an amount change, contract, construction, trial run and acceptance, ten compressed O&M years
// (each filed and its evaluation round decided) and its retirement, on a worker and gateway of
// its own running decadePolicy; then it reads every run of the project's lifecycle (following
// continue-as-new) and of the AnnualPlan of ten plan years from Temporal and fails if any run
// passes historyLimit events.
func (e *env) decadeLife(ctx context.Context) ([]string, error) {
	fmt.Printf("\n== decade: one project, submission → %d O&M years → retired (policy %s) ==\n", decadeYears, decadePolicy)
	if _, err := e.st.DB().ExecContext(ctx, `INSERT INTO policy_versions (version, effective_from, title, test_only, body)
		SELECT $1, effective_from, '压测策略（十年运维压缩）', true, jsonb_set(body, '{version}', to_jsonb($1::text))
			|| '{"om_year": "20s", "evaluation_after": "10s", "evaluation_every": "20s"}'::jsonb
		FROM policy_versions WHERE version = 'test' ON CONFLICT (version) DO NOTHING`, decadePolicy); err != nil {
		return nil, err
	}
	queue := e.queue + "-decade"
	env := append(bench.AppEnv(bench.DatabaseURL(e.dbName), e.devAddr, queue, filepath.Join(e.dir, "data")), "EGOVPM_POLICY="+decadePolicy,
		"EGOVPM_METRICS_ADDR="+config.MetricsOff) // the run's own worker and gateway hold the default ports
	w, err := bench.StartWorker(ctx, e.bins.Worker, e.dir, "worker-decade", env)
	if err != nil {
		return nil, err
	}
	e.procs = append(e.procs, w)
	gw, base, err := bench.StartGateway(ctx, e.bins.Server, e.dir, "server-decade", env)
	if err != nil {
		return nil, err
	}
	e.procs = append(e.procs, gw)
	d := &decade{e: e, cl: bench.NewClient(base, 8), base: base, year: e.nextYear()}
	start := time.Now()
	if err := d.toOM(ctx); err != nil {
		return nil, err
	}
	fmt.Printf("    %s: submission → O&M in %s\n", d.p, time.Since(start).Round(time.Millisecond))
	if err := d.omYears(ctx); err != nil {
		return nil, err
	}
	if err := d.retire(ctx); err != nil {
		return nil, err
	}
	fmt.Printf("    retired after %d O&M years, %s in all\n", decadeYears, time.Since(start).Round(time.Millisecond))
	// The AnnualPlan of the project's year was started by its submission; the next nine as the
	// annual Schedule (AnnualCycle) starts them: plan:<year>, the policy in force, nothing to do
	// but wait for their reminders and close.
	for y := d.year + 1; y < d.year+decadeYears; y++ {
		if _, err := e.tc.ExecuteWorkflow(ctx, workflows.PlanStartOptions(y, queue), workflows.AnnualPlan, workflows.AnnualPlanInput{Year: y, Policy: d.policy}); err != nil {
			return nil, err
		}
	}
	return d.histories(ctx)
}

// decade is the state of the decade phase: its client, project and plan year.
type decade struct {
	e      *env
	cl     *bench.Client
	base   string
	year   int
	p      string
	policy domain.Policy
}

func (d *decade) tok(ctx context.Context, u string) string {
	t, _ := d.cl.Token(ctx, u, password)
	return t
}

// openTask waits until user's inbox holds one open task of kind on the project and returns it.
func (d *decade) openTask(ctx context.Context, user, kind string) (string, error) {
	deadline := time.Now().Add(2 * time.Minute)
	for {
		var r struct {
			Items []struct {
				ID string `json:"id"`
			} `json:"items"`
		}
		if err := d.cl.Do(ctx, d.tok(ctx, user), http.MethodGet, "/api/v1/tasks?kind="+kind+"&project_id="+d.p, nil, http.StatusOK, &r); err != nil {
			return "", err
		}
		if len(r.Items) == 1 {
			return r.Items[0].ID, nil
		}
		if time.Now().After(deadline) {
			return "", fmt.Errorf("no open %s task on %s for %s after 2 minutes", kind, d.p, user)
		}
		select {
		case <-ctx.Done():
			return "", ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// decideOpen decides the one open task of kind as user.
func (d *decade) decideOpen(ctx context.Context, user, kind string, body map[string]any) error {
	id, err := d.openTask(ctx, user, kind)
	if err != nil {
		return err
	}
	return bench.Retry(ctx, time.Minute, []int{http.StatusNotFound, http.StatusConflict}, func() error {
		return d.cl.Decide(ctx, d.tok(ctx, user), id, body)
	})
}

// post is a JSON POST on the project as user, answered with want.
func (d *decade) post(ctx context.Context, user, sub string, body any, want int, out any) error {
	return d.cl.Do(ctx, d.tok(ctx, user), http.MethodPost, "/api/v1/projects/"+d.p+sub, body, want, out)
}

// upload stores a document of kind on the project as user and returns its id.
func (d *decade) upload(ctx context.Context, user, kind string) (string, error) {
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	_ = mw.WriteField("kind", kind)
	fw, err := mw.CreateFormFile("file", kind+".pdf")
	if err != nil {
		return "", err
	}
	_, _ = fw.Write([]byte("%PDF-1.7\n% egovpm bench document\n%%EOF\n"))
	_ = mw.Close()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, d.base+"/api/v1/projects/"+d.p+"/documents", &buf)
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Authorization", "Bearer "+d.tok(ctx, user))
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", err
	}
	defer res.Body.Close()
	var out struct {
		ID string `json:"id"`
	}
	if err := json.NewDecoder(res.Body).Decode(&out); err != nil || res.StatusCode != http.StatusCreated {
		return "", fmt.Errorf("upload %s: %d %v", kind, res.StatusCode, err)
	}
	return out.ID, nil
}

// waitStage waits until the read model shows the project in stage.
func (d *decade) waitStage(ctx context.Context, stage string) error {
	return d.e.waitStage(ctx, []string{d.p}, []string{stage})
}

// toOM takes a 12M project of bob's through R3–R7 (NDRC approves), an amount change NDRC
// approves, the contract, construction, the trial run and acceptance into O&M.
func (d *decade) toOM(ctx context.Context) error {
	id, err := d.cl.CreateProject(ctx, d.tok(ctx, "bob"), "十年运维压测项目：城市运行管理平台", d.year, 1_200_000_000)
	if err != nil {
		return err
	}
	d.p = id
	if err := d.cl.Submit(ctx, d.tok(ctx, "bob"), id); err != nil {
		return err
	}
	if d.policy, err = d.e.st.Policy(ctx, decadePolicy, false); err != nil {
		return err
	}
	steps := []func() error{
		func() error {
			return d.decideOpen(ctx, "drb1", "prelim_review", map[string]any{"decision": "approve", "comment": "符合申报条件"})
		},
		func() error {
			return bench.Retry(ctx, 2*time.Minute, []int{http.StatusConflict}, func() error {
				return d.cl.Do(ctx, d.tok(ctx, "drb1"), http.MethodPost, fmt.Sprintf("/api/v1/plans/%d/expert-sessions", d.year),
					map[string]any{"pick_reason": "测试指定专家", "expert_ids": []string{"u-exp2", "u-exp3", "u-exp4"}, "project_ids": []string{id}}, http.StatusCreated, nil)
			})
		},
	}
	for _, x := range []string{"exp2", "exp3", "exp4"} {
		steps = append(steps, func() error {
			return d.decideOpen(ctx, x, "expert_review", map[string]any{"decision": "pass", "score": 88, "comment": "方案可行"})
		})
	}
	steps = append(steps,
		func() error { return d.waitStage(ctx, "awaiting_plan") },
		func() error {
			return bench.Retry(ctx, 2*time.Minute, []int{http.StatusConflict}, func() error {
				return d.cl.Do(ctx, d.tok(ctx, "drb1"), http.MethodPost, fmt.Sprintf("/api/v1/plans/%d/compile", d.year),
					map[string]any{"included": []map[string]any{{"project_id": id, "approved_amount_fen": 1_200_000_000}}}, http.StatusOK, nil)
			})
		},
		func() error { return d.waitStage(ctx, "awaiting_approval") })
	for _, s := range steps {
		if err := s(); err != nil {
			return err
		}
	}
	return d.approvedToOM(ctx)
}

// approvedToOM is toOM from the approval on.
func (d *decade) approvedToOM(ctx context.Context) error {
	contract := map[string]any{"vendor": "安徽某信息技术有限公司", "amount_fen": 1_100_000_000, "signed_on": time.Now().Format("2006-01-02"),
		"procurement_ref": "LA-DECADE-" + d.p[len(d.p)-6:], "data_lists": map[string]any{
			"demand":         map[string]any{"items": []any{map[string]any{"resource": "城市运行数据", "department": "市数据资源局", "sharing": "conditional", "legal_basis": "《安徽省政务数据资源管理办法》", "frequency": "每日", "interface": "la-decade-001"}}},
			"responsibility": map[string]any{"none_reason": "本项目不产生共享数据"},
			"negative":       map[string]any{"none_reason": "不涉及禁止共享数据"}}}
	steps := []func() error{}
	for _, k := range []string{"opinion", "impl_plan"} {
		steps = append(steps, func() error { _, err := d.upload(ctx, "bob", k); return err })
	}
	steps = append(steps,
		func() error {
			return d.decideOpen(ctx, "ndrc1", "project_approval", map[string]any{"decision": "approve", "approved_amount_fen": 1_000_000_000})
		},
		func() error { return d.waitStage(ctx, "procurement") },
		func() error {
			return d.post(ctx, "bob", "/changes", map[string]any{"kind": "amount", "description": "增加视频会商模块", "reason": "省级平台对接要求",
				"new_amount_fen": 1_200_000_000}, http.StatusOK, nil)
		},
		func() error {
			return d.decideOpen(ctx, "ndrc1", "change_review", map[string]any{"decision": "approve", "comment": "同意增加"})
		},
		func() error { return d.post(ctx, "bob", "/contract", contract, http.StatusOK, nil) },
		func() error { return d.post(ctx, "bob", "/construction-complete", nil, http.StatusOK, nil) },
		func() error { _, err := d.upload(ctx, "bob", "trial_run_report"); return err },
		func() error { _, err := d.upload(ctx, "bob", "mlps_filing"); return err },
		func() error {
			return bench.Retry(ctx, time.Minute, []int{http.StatusUnprocessableEntity}, func() error {
				return d.post(ctx, "bob", "/acceptance-application", nil, http.StatusOK, nil)
			})
		},
		func() error {
			return d.decideOpen(ctx, "drb1", "acceptance_check", map[string]any{"decision": "approve", "comment": "材料齐全"})
		},
		func() error {
			return d.decideOpen(ctx, "drb1", "acceptance_signoff", map[string]any{"decision": "pass", "comment": "同意验收"})
		},
		func() error {
			return d.decideOpen(ctx, "prta1", "acceptance_witness", map[string]any{"decision": "pass", "comment": "见证无异议"})
		},
		func() error { return d.waitStage(ctx, "om") })
	for _, s := range steps {
		if err := s(); err != nil {
			return err
		}
	}
	return nil
}

// omYears files each O&M year's report (as soon as the year is open: 422 wrong_om_year
// before) and decides each evaluation round as it opens, for decadeYears years.
func (d *decade) omYears(ctx context.Context) error {
	for n := 1; n <= decadeYears; n++ {
		doc, err := d.upload(ctx, "bob", "om_report")
		if err != nil {
			return err
		}
		var filed struct {
			Late bool `json:"late"`
		}
		if err := bench.Retry(ctx, 2*time.Minute, []int{http.StatusUnprocessableEntity}, func() error {
			return d.post(ctx, "bob", "/om-reports", map[string]any{"year": n, "document_id": doc}, http.StatusOK, &filed)
		}); err != nil {
			return fmt.Errorf("O&M year %d: %w", n, err)
		}
		if err := d.decideOpen(ctx, "drb1", "evaluation", map[string]any{"decision": "approve", "score": 70 + n, "grade": "good",
			"comment": fmt.Sprintf("第 %d 期运行平稳", n)}); err != nil {
			return fmt.Errorf("evaluation round %d: %w", n, err)
		}
		fmt.Printf("    O&M year %d filed (late: %v), evaluation round %d decided\n", n, filed.Late, n)
	}
	return nil
}

// retire waits for O&M year decadeYears to close (year decadeYears+1 opened: the tenth
// continue-as-new) and retires the system as the unit (系统下线).
func (d *decade) retire(ctx context.Context) error {
	if err := d.e.waitCount(ctx, "O&M year after the last", 1, 2*time.Minute,
		`SELECT count(*) FROM om_filings WHERE project_id = $1 AND year = $2`, d.p, decadeYears+1); err != nil {
		return err
	}
	if err := d.post(ctx, "bob", "/retire", map[string]any{"reason": "系统已并入市一体化平台"}, http.StatusOK, nil); err != nil {
		return err
	}
	return d.waitStage(ctx, "closed")
}

// histories reads every run of the project's lifecycle (newest first from the visibility
// list, printed oldest first) and of the ten plans, and fails past historyLimit events.
func (d *decade) histories(ctx context.Context) ([]string, error) {
	lines := []string{fmt.Sprintf("decade: project %s (plan year %d, policy %s): submission → %d O&M years → retired", d.p, d.year, decadePolicy, decadeYears)}
	wid := workflows.ProjectWorkflowID(d.p)
	runs, err := d.runs(ctx, wid)
	if err != nil {
		return nil, err
	}
	var maxEvents int64
	for i, r := range runs {
		s, err := d.e.runHistory(ctx, wid, r)
		if err != nil {
			return nil, err
		}
		maxEvents = max(maxEvents, s.events)
		lines = append(lines, fmt.Sprintf("  ProjectLifecycle run %d: %s", i+1, s))
	}
	lines = append(lines, fmt.Sprintf("  ProjectLifecycle: %d runs, max %d events per run", len(runs), maxEvents))
	for y := d.year; y < d.year+decadeYears; y++ {
		pw := workflows.PlanWorkflowID(y)
		prs, err := d.runs(ctx, pw)
		if err != nil {
			return nil, err
		}
		for _, r := range prs {
			s, err := d.e.runHistory(ctx, pw, r)
			if err != nil {
				return nil, err
			}
			maxEvents = max(maxEvents, s.events)
			lines = append(lines, fmt.Sprintf("  AnnualPlan %s: %s", pw, s))
		}
	}
	fmt.Println(strings.Join(lines, "\n"))
	if maxEvents > historyLimit {
		return lines, fmt.Errorf("a run has %d history events, over %d", maxEvents, historyLimit)
	}
	return lines, nil
}

// runs lists the run ids of workflow wid, oldest first: from the first run, each run's
// WorkflowExecutionContinuedAsNew event names the next.
func (d *decade) runs(ctx context.Context, wid string) ([]string, error) {
	desc, err := d.e.tc.DescribeWorkflow(ctx, wid, "")
	if err != nil {
		return nil, fmt.Errorf("describe %s: %w", wid, err)
	}
	run := desc.RawResponse.WorkflowExecutionInfo.FirstRunId
	if run == "" {
		run = desc.RawResponse.WorkflowExecutionInfo.Execution.RunId
	}
	var runs []string
	for run != "" && len(runs) < 1000 {
		runs = append(runs, run)
		it := d.e.tc.GetWorkflowHistory(ctx, wid, run, false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
		run = ""
		for it.HasNext() {
			ev, err := it.Next()
			if err != nil {
				return nil, fmt.Errorf("history of %s: %w", wid, err)
			}
			if a := ev.GetWorkflowExecutionContinuedAsNewEventAttributes(); a != nil {
				run = a.NewExecutionRunId
			}
		}
	}
	return runs, nil
}
