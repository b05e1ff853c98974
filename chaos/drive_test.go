package chaos

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"egovpm/bench"
	"egovpm/internal/auth"
	"egovpm/internal/config"
	"egovpm/internal/domain"
	"egovpm/workflows"
)

// password is the demo users' password (the gateway's default EGOVPM_DEMO_PASSWORD).
const password = config.DefaultDemoPassword

// fenSmall is a small project's estimate (5 million CNY): bundle route (R6).
const fenSmall = int64(500_000_000)

// experts is the panel of every expert session: from org "experts", so no recusal (R4).
var experts = []string{"exp2", "exp3", "exp4"}

// ack is one operation the platform acknowledged (or, Unacked, applied without the 2xx
// reaching the client): an Update that must be in its workflow's history exactly once.
type ack struct {
	What       string // decide, convene, compile, bundle, contract, construction_complete, apply_acceptance
	WorkflowID string
	UpdateID   string // as the gateway derives it from the Idempotency-Key (server updateID)
	TaskID     string // decide only
	Unacked    bool
	// Resent: a first attempt ended in a transport error or a 5xx (the client could not know
	// whether it was applied) and the same key was sent again.
	Resent bool
}

// driver is the HTTP client side of the fault test.
type driver struct {
	cl     *bench.Client
	run    string // random run id, part of every key
	year   int
	opWait time.Duration // longest wait for a definitive answer to one operation
	think  time.Duration // longest pause between two steps of a lifecycle

	tokens   map[string]string
	inflight atomic.Int64

	mu       sync.Mutex
	acks     []ack
	retries  map[string]int // why requests were resent
	projects []string       // index → project id
	payments []payment      // every payment asked for, recorded or refused
	uploads  []upload       // every document acknowledged
	// ambiguous counts, per project and document kind, the upload attempts whose outcome the
	// client could not know (an upload carries no Idempotency-Key: a resend stores a second
	// row when the first attempt was stored).
	ambiguous map[string]int
	// faults500 are the 500 answers: a 500 is a server fault, never the answer to an outage
	// (a dependency unavailable is 503).
	faults500 []string
}

// payment is one payment the unit asked to record (R15) and what came of it.
type payment struct {
	ProjectID, Key, Milestone string
	AmountFen                 int64
	ID                        string // from the 201; "" when refused
	Refused                   bool   // 422 amount_over_contract (or amount_over_approved)
	Confirmed                 bool   // Finance's confirmation acknowledged (or applied, reply lost)
}

// upload is one acknowledged document upload.
type upload struct {
	ProjectID, Kind, ID string
}

func newDriver(base, run string, year, projects int, opWait, think time.Duration) *driver {
	cl := bench.NewClient(base, 64)
	// The gateway answers an Update within 30 s (503 temporal_timeout after); a client gives
	// up on a silent connection a little later and resends.
	cl.HTTP.Timeout = 45 * time.Second
	return &driver{cl: cl, run: run, year: year, opWait: opWait, think: think, tokens: map[string]string{},
		retries: map[string]int{}, projects: make([]string, projects), ambiguous: map[string]int{}}
}

// errApplied ends a resend loop: the operation went through, its 2xx was lost.
var errApplied = errors.New("applied, reply lost")

// resent is the attempts' record of one logical request, and the 4xx codes besides 404 and 409
// that mean "not yet" for it (e.g. trial_run_not_over): resent after a pause.
type resent struct {
	ambiguous bool
	wait      []string
}

// errCode is the error code of a refusal. The client keeps only the first 300 bytes of a
// body, which a long Chinese message cuts short of valid JSON: the code, which comes first,
// is read from the text then.
func errCode(se *bench.StatusError) string {
	var b struct {
		Error struct {
			Code string `json:"code"`
		} `json:"error"`
	}
	if json.Unmarshal([]byte(se.Body), &b) == nil {
		return b.Error.Code
	}
	if m := codeRE.FindStringSubmatch(se.Body); m != nil {
		return m[1]
	}
	return ""
}

var codeRE = regexp.MustCompile(`^\{"error":\{"code":"([a-z0-9_]+)"`)

// send makes one logical request, resending the same request (and the same Idempotency-Key)
// after a transport error, a 5xx, a 404 or a 409, until a 2xx or another 4xx. applied, when
// set, is asked after each 404/409 whether the operation has in fact gone through (its first
// reply was lost and the workflow has moved on); then send returns errApplied.
func (d *driver) send(ctx context.Context, label, user, method, path, key string, body any, want int, out any,
	applied func(se *bench.StatusError) bool) error {
	return d.sendR(ctx, label, user, method, path, key, body, want, out, applied, &resent{})
}

// sendR is send, noting in r whether an attempt had an ambiguous outcome.
func (d *driver) sendR(ctx context.Context, label, user, method, path, key string, body any, want int, out any,
	applied func(se *bench.StatusError) bool, r *resent) error {
	deadline := time.Now().Add(d.opWait)
	var hdr map[string]string
	if key != "" {
		hdr = map[string]string{"Idempotency-Key": key}
	}
	for attempt := 1; ; attempt++ {
		d.inflight.Add(1)
		var err error
		if up, ok := body.(multipartBody); ok {
			err = d.doMultipart(ctx, d.tokens[user], path, up, want, out)
		} else {
			err = d.cl.DoHeaders(ctx, d.tokens[user], method, path, hdr, body, want, out)
		}
		d.inflight.Add(-1)
		if err == nil {
			return nil
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		var why string
		var se *bench.StatusError
		switch {
		case !errors.As(err, &se):
			why, r.ambiguous = "transport error", true
		case se.Status >= 500:
			why, r.ambiguous = fmt.Sprintf("%d %s", se.Status, errCode(se)), true
			if se.Status == http.StatusInternalServerError {
				d.mu.Lock()
				d.faults500 = append(d.faults500, label+": "+se.Body)
				d.mu.Unlock()
			}
		case se.Status == http.StatusNotFound || se.Status == http.StatusConflict:
			if applied != nil && attempt > 1 && applied(se) {
				return errApplied
			}
			why = fmt.Sprintf("%d %s", se.Status, errCode(se))
		case slices.Contains(r.wait, errCode(se)):
			why = fmt.Sprintf("%d %s", se.Status, errCode(se))
		default:
			return fmt.Errorf("%s: %w", label, err)
		}
		d.mu.Lock()
		d.retries[why]++
		d.mu.Unlock()
		if time.Now().After(deadline) {
			return fmt.Errorf("%s: no definitive answer after %s (%d attempts), last: %w", label, d.opWait, attempt, err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(150 * time.Millisecond):
		}
	}
}

func (d *driver) record(a ack) {
	d.mu.Lock()
	d.acks = append(d.acks, a)
	d.mu.Unlock()
}

// login signs every user of the flow in (tokens outlive a gateway restart: they are signed,
// not held in the gateway's memory).
func (d *driver) login(ctx context.Context) error {
	for _, u := range append([]string{"alice", "bob", "drb1", "ndrc1", "prta1", "fin1"}, experts...) {
		var out struct {
			Token string `json:"token"`
		}
		if err := d.send(ctx, "login "+u, "", http.MethodPost, "/api/v1/auth/login", "",
			map[string]any{"username": u, "password": password}, http.StatusOK, &out, nil); err != nil {
			return err
		}
		d.tokens[u] = out.Token
	}
	return nil
}

// key is the Idempotency-Key of one logical operation of the run.
func (d *driver) key(projectID, step string) string {
	return fmt.Sprintf("chaos-%s-%s-%s", d.run, projectID, step)
}

// decide sends one decision until it is acknowledged and records it.
func (d *driver) decide(ctx context.Context, user, workflowID, taskID, key string, body map[string]any) error {
	uid := auth.UserID(user)
	a := ack{What: "decide", WorkflowID: workflowID, TaskID: taskID,
		UpdateID: "decide:" + taskID + ":" + uid + ":" + key}
	var res workflows.DecideResult
	var r resent
	err := d.sendR(ctx, "decide "+taskID, user, http.MethodPost, "/api/v1/tasks/"+taskID+"/decision", key, body, http.StatusOK, &res,
		func(*bench.StatusError) bool {
			// A 409 on a resend: has this user's decision closed the task already?
			var t struct {
				Status    string  `json:"status"`
				DecidedBy *string `json:"decided_by"`
			}
			err := d.cl.Do(ctx, d.tokens[user], http.MethodGet, "/api/v1/tasks/"+taskID, nil, http.StatusOK, &t)
			return err == nil && t.Status == "done" && t.DecidedBy != nil && *t.DecidedBy == uid
		}, &r)
	a.Resent = r.ambiguous
	switch {
	case errors.Is(err, errApplied):
		a.Unacked = true
	case err != nil:
		return err
	case res.TaskID != taskID:
		return fmt.Errorf("decide %s: reply names task %q", taskID, res.TaskID)
	}
	d.record(a)
	return nil
}

// planOp sends one plan-level operation (an Update on the year's AnnualPlan) and records it.
// duplicate is the 409 code that means "this key's operation exists already": seen on a
// resend, the first attempt went through.
func (d *driver) planOp(ctx context.Context, what, scope, path, key, duplicate string, body any, want int, out any) error {
	a := ack{What: what, WorkflowID: workflows.PlanWorkflowID(d.year), UpdateID: scope + ":" + auth.UserID("drb1") + ":" + key}
	var applied func(*bench.StatusError) bool
	if duplicate != "" {
		applied = func(se *bench.StatusError) bool { return errCode(se) == duplicate }
	}
	var r resent
	err := d.sendR(ctx, what+" "+key, "drb1", http.MethodPost, fmt.Sprintf("/api/v1/plans/%d/%s", d.year, path), key, body, want, out, applied, &r)
	a.Resent = r.ambiguous
	switch {
	case errors.Is(err, errApplied):
		a.Unacked = true
	case err != nil:
		return err
	}
	d.record(a)
	return nil
}

// pause is a person's think time between two steps: it spreads each lifecycle over the fault
// window, so that faults land in every phase.
func (d *driver) pause(ctx context.Context) error {
	if d.think <= 0 {
		return ctx.Err()
	}
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(rand.N(d.think)):
		return nil
	}
}

// lifecycle takes project i through its whole life: approval (R3–R6), then delivery (R9–R15):
// contract, payments and their confirmation, construction, the test policy's trial run,
// acceptance and evaluation.
func (d *driver) lifecycle(ctx context.Context, i int) error {
	user := []string{"alice", "bob"}[i%2]
	var created struct {
		ID string `json:"id"`
	}
	name := fmt.Sprintf("故障测试%s-%03d：城市运行管理平台", d.run, i)
	// The create carries an Idempotency-Key: resent after a lost reply it names the same
	// draft, so the final checks allow no stray draft.
	if err := d.send(ctx, "create", user, http.MethodPost, "/api/v1/projects", fmt.Sprintf("create-%s-%03d", d.run, i), map[string]any{
		"name": name, "type": "new", "plan_year": d.year, "estimated_investment_fen": fenSmall,
		"description": name + "：建设内容说明，含数据共享与安全保障", "mlps_level": 2, "uses_crypto": false,
	}, http.StatusCreated, &created, nil); err != nil {
		return err
	}
	id := created.ID
	d.mu.Lock()
	d.projects[i] = id
	d.mu.Unlock()
	wf := workflows.ProjectWorkflowID(id)

	if err := d.pause(ctx); err != nil {
		return err
	}
	// Submit is idempotent by design (it records the pinned policy first, then starts the
	// workflow, "already started" being success); once the stage has moved it answers 409
	// already_submitted, which on a resend means it went through.
	err := d.send(ctx, "submit "+id, user, http.MethodPost, "/api/v1/projects/"+id+"/submit", "", nil, http.StatusAccepted, nil,
		func(se *bench.StatusError) bool { return errCode(se) == "already_submitted" })
	if err != nil && !errors.Is(err, errApplied) {
		return err
	}

	if err := d.pause(ctx); err != nil {
		return err
	}
	// R3: preliminary review.
	if err := d.decide(ctx, "drb1", wf, prelimTask(id), d.key(id, "prelim"),
		map[string]any{"decision": "approve", "comment": "符合申报条件"}); err != nil {
		return err
	}

	if err := d.pause(ctx); err != nil {
		return err
	}
	// R4: an expert session for this project, then the three reviews at once.
	ids := make([]string, len(experts))
	for j, x := range experts {
		ids[j] = auth.UserID(x)
	}
	if err := d.planOp(ctx, "convene", "convene", "expert-sessions", d.key(id, "session"), "duplicate_session",
		map[string]any{"pick_reason": "测试指定专家", "expert_ids": ids, "project_ids": []string{id}}, http.StatusCreated, nil); err != nil {
		return err
	}
	errs := make([]error, len(experts))
	var wg sync.WaitGroup
	for j, x := range experts {
		wg.Go(func() {
			errs[j] = d.decide(ctx, x, wf, expertTask(id, x), d.key(id, x),
				map[string]any{"decision": "pass", "score": 85, "comment": "方案可行"})
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return err
	}

	if err := d.pause(ctx); err != nil {
		return err
	}
	// R5: the plan includes it at the requested amount (409 project_not_ready until the plan
	// has heard the project is awaiting the plan).
	if err := d.planOp(ctx, "compile", "compile", "compile", d.key(id, "plan"), "",
		map[string]any{"included": []map[string]any{{"project_id": id, "approved_amount_fen": fenSmall}}}, http.StatusOK, nil); err != nil {
		return err
	}

	if err := d.pause(ctx); err != nil {
		return err
	}
	// R6: a bundle of this one project, approved by NDRC.
	bkey := d.key(id, "bundle")
	var b struct {
		TaskID string `json:"task_id"`
	}
	if err := d.planOp(ctx, "bundle", "bundle", "bundles", bkey, "duplicate_bundle",
		map[string]any{"project_ids": []string{id}}, http.StatusCreated, &b); err != nil {
		return err
	}
	task := bundleTask(d.year, bkey)
	if b.TaskID != "" && b.TaskID != task {
		return fmt.Errorf("bundle %s: task %q, want %q", bkey, b.TaskID, task)
	}
	if err := d.pause(ctx); err != nil {
		return err
	}
	if err := d.decide(ctx, "ndrc1", workflows.PlanWorkflowID(d.year), task, d.key(id, "ndrc"),
		map[string]any{"decision": "approve", "comment": "同意"}); err != nil {
		return err
	}
	return d.deliver(ctx, user, id)
}

// Task ids as the workflows derive them (workflows/lifecycle_decide.go taskID, plan_apply.go createBundle):
// round 1, the expert's user id, the bundle id "b-"+key (server createBundle).
func prelimTask(id string) string {
	return workflows.ProjectWorkflowID(id) + ":" + string(domain.TaskPrelimReview) + ":1"
}

func expertTask(id, expert string) string {
	return workflows.ProjectWorkflowID(id) + ":" + string(domain.TaskExpertReview) + ":1:" + auth.UserID(expert)
}

func bundleTask(year int, key string) string {
	return workflows.PlanWorkflowID(year) + ":" + string(domain.TaskBundleApproval) + ":b-" + key
}

// retrySummary lists why requests were resent, most frequent first.
func (d *driver) retrySummary() string {
	d.mu.Lock()
	defer d.mu.Unlock()
	type kv struct {
		k string
		v int
	}
	var s []kv
	for k, v := range d.retries {
		s = append(s, kv{k, v})
	}
	sort.Slice(s, func(i, j int) bool { return s[i].v > s[j].v || s[i].v == s[j].v && s[i].k < s[j].k })
	var b strings.Builder
	for _, e := range s {
		fmt.Fprintf(&b, "%s ×%d; ", e.k, e.v)
	}
	return b.String()
}
