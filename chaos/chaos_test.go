package chaos

import (
	"context"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lib/pq"
	"go.temporal.io/sdk/client"

	"egovpm/bench"
	"egovpm/internal/auth"
	"egovpm/internal/domain"
	"egovpm/internal/logging"
	"egovpm/internal/seed"
	"egovpm/internal/store"
)

var (
	long       = flag.Bool("chaos.long", false, "run the long fault test (make chaos): 50 projects, 12 kills each of worker and gateway, 2 devserver and 2 PostgreSQL restarts, per store")
	storesFlag = flag.String("chaos.store", "", "devserver stores to run on: sqlite, postgres or both (default both; CHAOS_STORE)")
)

// settings is the size of one run (one devserver store).
type settings struct {
	projects     int
	workerKills  int
	gatewayKills int
	devRestarts  int
	pgRestarts   int
	every        time.Duration // mean gap between two faults
	seed         uint64
	stores       []string      // devserver stores, one run each: sqlite, postgres
	limit        time.Duration // the whole drive, all lifecycles
	opWait       time.Duration // one operation's resend loop
}

func loadSettings(t *testing.T) settings {
	s := settings{projects: 3, workerKills: 2, gatewayKills: 2, devRestarts: 1, pgRestarts: 1, every: 2 * time.Second,
		seed: uint64(time.Now().UnixNano()), stores: []string{"sqlite", "postgres"}, limit: 4 * time.Minute, opWait: 2 * time.Minute}
	if *long {
		s.projects, s.workerKills, s.gatewayKills, s.devRestarts, s.pgRestarts, s.every, s.limit = 50, 12, 12, 2, 2, 3*time.Second, 20*time.Minute
	}
	atoi := func(name string, dst *int, least int) {
		if v := os.Getenv(name); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < least {
				t.Fatalf("%s=%q: want an integer of at least %d", name, v, least)
			}
			*dst = n
		}
	}
	atoi("CHAOS_PROJECTS", &s.projects, 1)
	if v := os.Getenv("CHAOS_KILLS"); v != "" {
		atoi("CHAOS_KILLS", &s.workerKills, 0)
		s.gatewayKills = s.workerKills
	}
	atoi("CHAOS_DEVSERVER_RESTARTS", &s.devRestarts, 0)
	atoi("CHAOS_PG_RESTARTS", &s.pgRestarts, 0)
	if v := os.Getenv("CHAOS_EVERY"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < 100*time.Millisecond {
			t.Fatalf("CHAOS_EVERY=%q: want a duration of at least 100ms", v)
		}
		s.every = d
	}
	if v := os.Getenv("CHAOS_SEED"); v != "" {
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			t.Fatalf("CHAOS_SEED=%q: %v", v, err)
		}
		s.seed = n
	}
	v := *storesFlag
	if v == "" {
		v = os.Getenv("CHAOS_STORE")
	}
	switch v {
	case "", "both":
	case "sqlite", "postgres":
		s.stores = []string{v}
	default:
		t.Fatalf("chaos store %q (-chaos.store, CHAOS_STORE): want sqlite, postgres or both", v)
	}
	return s
}

// TestChaos is the fault test of issues 7 and 21 (see doc.go): one run per devserver store.
func TestChaos(t *testing.T) {
	cfg := loadSettings(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	progs, err := buildPrograms(ctx, t.TempDir())
	cancel()
	if err != nil {
		t.Fatal(err)
	}
	for i, st := range cfg.stores {
		c := cfg
		c.seed += uint64(i) // each store its own fault order, both from the logged seed
		t.Run(st, func(t *testing.T) { runChaos(t, c, progs, st) })
	}
}

// runChaos is one fault test on the devserver store kind.
func runChaos(t *testing.T, cfg settings, progs programs, kind string) {
	ctx, cancel := context.WithTimeout(context.Background(), cfg.limit+5*time.Minute)
	defer cancel()
	run := bench.RandomSuffix()
	rng := rand.New(rand.NewPCG(cfg.seed, 0))
	t.Logf("run %s: %d projects, %d worker and %d gateway kills, %d devserver and %d PostgreSQL restarts, one fault every ~%s, seed %d (CHAOS_SEED), devserver store %s",
		run, cfg.projects, cfg.workerKills, cfg.gatewayKills, cfg.devRestarts, cfg.pgRestarts, cfg.every, cfg.seed, kind)
	began := time.Now()

	dir := t.TempDir()
	keep := os.Getenv("CHAOS_KEEP") != ""
	if keep {
		// Logs, the devserver's file and the PostgreSQL cluster stay for a post-mortem.
		var err error
		if dir, err = os.MkdirTemp("", "egovpm-chaos-"); err != nil {
			t.Fatal(err)
		}
	}
	// A private PostgreSQL cluster holds the read model and, with the postgres store,
	// Temporal's databases: the test crashes it, which the shared server must never be.
	pg, err := newPGCluster(ctx, dir)
	t.Cleanup(func() {
		if pg == nil {
			return
		}
		if keep {
			pg.stop()
			t.Logf("kept the PostgreSQL cluster in %s (port %d; CHAOS_KEEP)", pg.base, pg.port)
			return
		}
		pg.remove()
	})
	if err != nil {
		t.Fatalf("cannot create the private PostgreSQL cluster: %v", err)
	}
	t.Setenv("TEST_DATABASE_URL", pg.serverURL()) // bench's databases and the devserver's --pg-url
	dbName := "egovpm_chaos_" + run
	st, err := bench.CreateDatabase(ctx, dbName)
	if err != nil {
		t.Fatalf("cannot create the test database on %s: %v", pg.serverURL(), err)
	}
	t.Cleanup(func() { _ = st.DB().Close() })
	if err := seed.Demo(ctx, st, password); err != nil {
		t.Fatal(err)
	}
	// Temporal on PostgreSQL commits synchronously here, as a Temporal server's sessions do by
	// default: the devserver's own default (off) may lose the last fraction of a second of
	// acknowledged work when PostgreSQL crashes (devserver --pg-synchronous-commit).
	ts := bench.TemporalStore{Kind: kind, Suffix: "chaos_" + run, SyncCommit: "on"}

	s, err := startStack(ctx, dir, progs, ts, pg, bench.DatabaseURL(dbName), "egovpm-chaos-"+run)
	t.Cleanup(func() {
		s.stop()
		if t.Failed() {
			logTails(t, dir, 25)
		}
	})
	if err != nil {
		t.Fatalf("start the stack: %v", err)
	}
	t.Logf("stack up in %s: PostgreSQL 127.0.0.1:%d, devserver %s, gateway %s, logs in %s", time.Since(began).Round(time.Millisecond),
		pg.port, s.devAddr, s.gwAddr, dir)

	// The drive: every project's pipeline, started over the first part of the fault window
	// so that faults land in every phase, while the chaos loop kills processes.
	plan := schedule(rng, cfg.workerKills, cfg.gatewayKills, cfg.devRestarts, cfg.pgRestarts)
	window := time.Duration(len(plan)) * cfg.every
	// A lifecycle has about 16 steps after its create: pauses of up to window/16 spread it over
	// about half the window, and the starts are spread over the first 60% of it.
	d := newDriver(s.base(), run, 2031, cfg.projects, cfg.opWait, window/16)
	if err := d.login(ctx); err != nil {
		t.Fatal(err)
	}
	driveCtx, stopDrive := context.WithTimeout(ctx, cfg.limit)
	defer stopDrive()
	chaosDone := make(chan struct{})
	var kills []kill
	var chaosErr error
	go func() {
		defer close(chaosDone)
		kills, chaosErr = s.chaos(driveCtx, plan, cfg.every, rng, &d.inflight)
		if chaosErr != nil {
			stopDrive()
		}
	}()
	t0 := time.Now()
	errs := make([]error, cfg.projects)
	var wg sync.WaitGroup
	for i := range cfg.projects {
		wg.Go(func() {
			select {
			case <-driveCtx.Done():
				errs[i] = driveCtx.Err()
				return
			case <-time.After(time.Duration(i) * window * 6 / 10 / time.Duration(cfg.projects)):
			}
			if err := d.lifecycle(driveCtx, i); err != nil {
				errs[i] = fmt.Errorf("project %d: %w", i, err)
			}
		})
	}
	wg.Wait()
	driven := time.Since(t0)
	<-chaosDone
	if chaosErr != nil {
		t.Fatalf("chaos: %v", chaosErr)
	}
	if err := joinErrs(errs); err != nil {
		t.Fatalf("drive: %v", err)
	}
	for _, k := range kills {
		t.Logf("fault at %6s: %-18s (%d requests in flight), back in %s", k.At.Round(100*time.Millisecond), faultName(k.Role), k.InFlight, k.Down.Round(time.Millisecond))
	}
	if len(kills) != len(plan) {
		t.Fatalf("%d faults done, %d planned", len(kills), len(plan))
	}
	t.Logf("all %d lifecycles acknowledged in %s; resends: %s", cfg.projects, driven.Round(time.Millisecond), d.retrySummary())
	// A fault is an outage of a dependency (503), never a server fault (500).
	for i, f := range d.faults500 {
		if i == 5 {
			t.Errorf("… %d answers 500 in all", len(d.faults500))
			break
		}
		t.Errorf("answered 500: %s", f)
	}

	// Every lifecycle completes: accepted and evaluated, every project is in O&M.
	if err := waitStage(ctx, st, d.projects, domain.StageOM, 2*time.Minute); err != nil {
		t.Fatal(err)
	}
	if err := s.checkAlive(); err != nil {
		t.Fatal(err)
	}

	// Every acknowledged operation is in its workflow's history exactly once.
	log, _ := logging.New("warn")
	tc, err := client.DialContext(ctx, client.Options{HostPort: s.devAddr, Logger: logging.NewTemporal(log)})
	if err != nil {
		t.Fatalf("temporal client: %v", err)
	}
	defer tc.Close()
	byWorkflow := map[string]updates{}
	unacked, resent, runs := 0, 0, 0
	for _, a := range d.acks {
		if a.Unacked {
			unacked++
		}
		if a.Resent {
			resent++
		}
		if _, ok := byWorkflow[a.WorkflowID]; ok {
			continue
		}
		evs, n, err := history(ctx, tc, a.WorkflowID)
		if err != nil {
			t.Fatal(err)
		}
		runs += n
		if byWorkflow[a.WorkflowID], err = countUpdates(evs); err != nil {
			t.Fatal(err)
		}
	}
	if want := cfg.projects * opsPerLifecycle; len(d.acks) != want {
		t.Errorf("%d operations recorded, want %d (%d per lifecycle)", len(d.acks), want, opsPerLifecycle)
	}
	for _, b := range exactlyOnce(d.acks, byWorkflow) {
		t.Error(b)
	}
	t.Logf("%d operations checked against %d workflow histories (%d runs): %d resent with the same key after a reply that did not come (transport error or 5xx), %d applied with the reply lost",
		len(d.acks), len(byWorkflow), runs, resent, unacked)

	// The read model: unique logical tasks, one application of each decision, payments within
	// their caps, documents once.
	bad, strays := readModel(ctx, st, d)
	for _, b := range bad {
		t.Error(b)
	}
	if strays > 0 {
		t.Errorf("%d stray drafts: a create resent with its Idempotency-Key after a lost reply made a second project", strays)
	}
	fb, summary := funds(ctx, st, d)
	for _, b := range fb {
		t.Error(b)
	}
	t.Log(summary)
	db, summary := documents(ctx, st, d)
	for _, b := range db {
		t.Error(b)
	}
	t.Log(summary)

	// The audit chain, as an operator checks it: `egovpm audit-verify` against the signed
	// checkpoints the gateways wrote (every second) while they were being killed.
	res, err := s.auditVerify(ctx)
	if err != nil {
		t.Error(err)
	} else {
		t.Logf("egovpm audit-verify: %s", res)
	}
	t.Logf("total %s", time.Since(began).Round(time.Millisecond))
}

// opsPerLifecycle is the Updates one lifecycle acknowledges: prelim, three expert reviews,
// convene, compile, bundle, NDRC; contract, construction complete, acceptance application,
// check, sign-off, witness, evaluation.
var opsPerLifecycle = 1 + len(experts) + 4 + 7

func faultName(role string) string {
	switch role {
	case "postgres":
		return "restart PostgreSQL"
	case "devserver":
		return "SIGKILL devserver"
	}
	return "SIGKILL " + role
}

func joinErrs(errs []error) error {
	var msgs []string
	for _, e := range errs {
		if e != nil {
			msgs = append(msgs, e.Error())
		}
	}
	if len(msgs) == 0 {
		return nil
	}
	return fmt.Errorf("%d failed:\n%s", len(msgs), strings.Join(msgs, "\n"))
}

// waitStage waits until every project of ids is at stage.
func waitStage(ctx context.Context, st *store.Store, ids []string, stage domain.Stage, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for {
		var stages []struct {
			ID    string `db:"id"`
			Stage string `db:"stage"`
		}
		if err := st.DB().SelectContext(ctx, &stages, `SELECT id, stage FROM projects WHERE id = ANY($1) ORDER BY id`, pq.Array(ids)); err != nil {
			return err
		}
		var late []string
		for _, p := range stages {
			if p.Stage != string(stage) {
				late = append(late, p.ID+" at "+p.Stage)
			}
		}
		if len(stages) == len(ids) && len(late) == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("after %s, %d of %d projects not at %s: %v", limit, len(ids)-len(stages)+len(late), len(ids), stage, late)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// readModel checks the PostgreSQL read model of the run (the database holds nothing else).
//
// Every task row is unique: task ids are derived from the logical task — the workflow, the
// kind, the review round and the expert (workflows lifecycle.taskID) or the bundle (plan
// createBundle) — so the primary key makes such rows unique by construction and a count of
// duplicate ids would prove nothing. What a crash or a resend could still produce is a
// logical duplicate the key does not see: a second review round, a second expert session or
// panel, a second bundle holding the same project (a bundle created without a key gets a new
// id), or a task left open. So the invariant checked is the exact set: each project has one
// preliminary review, one expert review per panel member and one bundle approval (of its own
// bundle), one acceptance check, sign-off and witness and one evaluation, all done with the
// expected decision by the expected person; there is no other task row, and one expert
// session, one plan item and one bundle per project. A decision applied
// twice in the read model would show as a second task.decide audit row for its task.
func readModel(ctx context.Context, st *store.Store, d *driver) (bad []string, strays int) {
	fail := func(format string, args ...any) { bad = append(bad, fmt.Sprintf(format, args...)) }
	type want struct{ kind, decidedBy, decision string }
	expect := map[string]want{}
	sessions := map[string]bool{}
	bundles := map[string]string{} // bundle id → project id
	for _, id := range d.projects {
		expect[prelimTask(id)] = want{string(domain.TaskPrelimReview), "drb1", "approve"}
		for _, x := range experts {
			expect[expertTask(id, x)] = want{string(domain.TaskExpertReview), x, "pass"}
		}
		expect[bundleTask(d.year, d.key(id, "bundle"))] = want{string(domain.TaskBundleApproval), "ndrc1", "approve"}
		expect[acceptanceTask(id, domain.TaskAcceptanceCheck)] = want{string(domain.TaskAcceptanceCheck), "drb1", "approve"}
		expect[acceptanceTask(id, domain.TaskAcceptanceSignoff)] = want{string(domain.TaskAcceptanceSignoff), "drb1", "pass"}
		expect[acceptanceTask(id, domain.TaskAcceptanceWitness)] = want{string(domain.TaskAcceptanceWitness), "prta1", "pass"}
		expect[evaluationTask(id)] = want{string(domain.TaskEvaluation), "drb1", "approve"}
		sessions["s-"+d.key(id, "session")] = true
		bundles["b-"+d.key(id, "bundle")] = id
	}

	var tasks []struct {
		ID        string  `db:"id"`
		Kind      string  `db:"kind"`
		Status    string  `db:"status"`
		Decision  *string `db:"decision"`
		DecidedBy *string `db:"decided_by"`
	}
	if err := st.DB().SelectContext(ctx, &tasks, `SELECT id, kind, status, decision, decided_by FROM tasks ORDER BY id`); err != nil {
		return []string{err.Error()}, 0
	}
	seen := map[string]bool{}
	for _, tk := range tasks {
		w, ok := expect[tk.ID]
		if !ok {
			fail("task %s (%s, %s): not a task of the flow (a logical duplicate?)", tk.ID, tk.Kind, tk.Status)
			continue
		}
		seen[tk.ID] = true
		if tk.Kind != w.kind || tk.Status != "done" || deref(tk.Decision) != w.decision || deref(tk.DecidedBy) != auth.UserID(w.decidedBy) {
			fail("task %s: %s %s %s by %s, want %s done %s by %s", tk.ID, tk.Kind, tk.Status, deref(tk.Decision), deref(tk.DecidedBy),
				w.kind, w.decision, auth.UserID(w.decidedBy))
		}
	}
	for id := range expect {
		if !seen[id] {
			fail("task %s: missing", id)
		}
	}

	// One task.decide audit row per task: the read model applied each decision once.
	var decided []struct {
		TaskID string `db:"task_id"`
		N      int    `db:"n"`
	}
	if err := st.DB().SelectContext(ctx, &decided, `SELECT coalesce(detail->>'task_id', '') AS task_id, count(*) AS n
		FROM audit_log WHERE action = 'task.decide' GROUP BY 1`); err != nil {
		return append(bad, err.Error()), 0
	}
	got := map[string]int{}
	for _, r := range decided {
		got[r.TaskID] = r.N
	}
	for id := range expect {
		if got[id] != 1 {
			fail("task %s: %d task.decide audit rows, want 1", id, got[id])
		}
		delete(got, id)
	}
	for id, n := range got {
		fail("task.decide audit rows for unknown task %q: %d", id, n)
	}

	// The plan's own operations and the unit's delivery requests, likewise once per project
	// in the audit log.
	onceActions := []string{"expert_review.convene", "plan.compile", "bundle.create", "contract.register",
		"construction.complete", "acceptance.apply"}
	var planRows []struct {
		Action  string `db:"action"`
		Project string `db:"object_id"`
		N       int    `db:"n"`
	}
	if err := st.DB().SelectContext(ctx, &planRows, `SELECT action, object_id, count(*) AS n FROM audit_log
		WHERE action = ANY($1) GROUP BY 1, 2`, pq.Array(onceActions)); err != nil {
		return append(bad, err.Error()), 0
	}
	perAction := map[string]int{}
	for _, r := range planRows {
		perAction[r.Action]++
		if r.N != 1 || !slices.Contains(d.projects, r.Project) {
			fail("%s of project %s: %d audit rows, want 1", r.Action, r.Project, r.N)
		}
	}
	for _, a := range onceActions {
		if perAction[a] != len(d.projects) {
			fail("%s audit rows for %d projects, want %d", a, perAction[a], len(d.projects))
		}
	}

	var ids []string
	if err := st.DB().SelectContext(ctx, &ids, `SELECT id FROM expert_sessions ORDER BY id`); err != nil {
		return append(bad, err.Error()), 0
	}
	if !sameSet(ids, keys(sessions)) {
		fail("expert sessions %v, want one per project %v", ids, keys(sessions))
	}
	var members []struct {
		Bundle  string  `db:"bundle_id"`
		Project string  `db:"project_id"`
		Outcome *string `db:"outcome"`
		Status  string  `db:"status"`
	}
	if err := st.DB().SelectContext(ctx, &members, `SELECT bp.bundle_id, bp.project_id, bp.outcome, b.status
		FROM bundles b LEFT JOIN bundle_projects bp ON bp.bundle_id = b.id ORDER BY 1`); err != nil {
		return append(bad, err.Error()), 0
	}
	if len(members) != len(bundles) {
		fail("%d bundle memberships, want %d (one bundle of one project each)", len(members), len(bundles))
	}
	for _, m := range members {
		if bundles[m.Bundle] != m.Project || deref(m.Outcome) != "approved" || m.Status != "approved" {
			fail("bundle %s: project %s outcome %s status %s, want project %s approved", m.Bundle, m.Project, deref(m.Outcome), m.Status, bundles[m.Bundle])
		}
	}
	var items []struct {
		Project  string `db:"project_id"`
		N        int    `db:"n"`
		Included bool   `db:"included"`
	}
	if err := st.DB().SelectContext(ctx, &items, `SELECT project_id, count(*) AS n, bool_and(included) AS included FROM plan_items GROUP BY 1`); err != nil {
		return append(bad, err.Error()), 0
	}
	if len(items) != len(d.projects) {
		fail("plan items for %d projects, want %d", len(items), len(d.projects))
	}
	for _, it := range items {
		if it.N != 1 || !it.Included || !slices.Contains(d.projects, it.Project) {
			fail("plan items of %s: %d (included %v), want one included", it.Project, it.N, it.Included)
		}
	}

	// Stray drafts (a create resent after a lost reply that made a second project): none are
	// allowed, and none may have been submitted.
	var stray []struct {
		ID       string  `db:"id"`
		Stage    string  `db:"stage"`
		Workflow *string `db:"workflow_id"`
	}
	if err := st.DB().SelectContext(ctx, &stray, `SELECT id, stage, workflow_id FROM projects WHERE NOT (id = ANY($1))`, pq.Array(d.projects)); err != nil {
		return append(bad, err.Error()), 0
	}
	for _, p := range stray {
		if p.Stage != string(domain.StageDraft) || p.Workflow != nil {
			fail("project %s is not one of the run's yet is at %s (workflow %s)", p.ID, p.Stage, deref(p.Workflow))
		}
	}
	sort.Strings(bad)
	return bad, len(stray)
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func keys(m map[string]bool) []string {
	var s []string
	for k := range m {
		s = append(s, k)
	}
	sort.Strings(s)
	return s
}

func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	sort.Strings(a)
	sort.Strings(b)
	return slices.Equal(a, b)
}
