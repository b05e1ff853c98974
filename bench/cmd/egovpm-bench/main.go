// Command egovpm-bench is the load harness of issue 7 (`make bench`). It builds and starts the
// real platform on this machine — the devserver (embedded Temporal, SQLite file or PostgreSQL),
// a fresh PostgreSQL database with the demo seed, the production worker and gateway binaries —
// and drives it through HTTP as clients do, printing every figure with its unit:
//
//	decisions   POST /api/v1/tasks/{id}/decision round trip (prelim approvals) at 1, 8, 32
//	            clients beside bare-Temporal baselines on the same server taking the same
//	            Update (-baselines): one local activity (the floor), one regular activity, …;
//	            each level set up right before it runs, so its workflows are in the workers'
//	            sticky caches; it prints their workflow tasks (polled, sticky cache hits and
//	            misses, the server's sticky queue timeouts)
//	lifecycles  N projects from submit to approved through HTTP (prelim review, expert panel,
//	            plan, bundle, NDRC approval)
//	reads       GET /api/v1/projects/{id} and GET /api/v1/tasks with 64 connections
//	memory      worker RSS with N open project workflows
//	growth      (optional) N projects of one plan year to approved, each portfolio step timed
//	            alone (convene, compile, bundle create, bundle decision and its fan-out), the
//	            inbox and plan reads, the AnnualPlan's history per run (issue 20)
//	decade      (optional) one project over HTTP from submission through ten compressed O&M
//	            years (filings, evaluations) and its retirement, on a dev-only test policy;
//	            every lifecycle and AnnualPlan run's history events, failing past 10,240
//	readmodel   (optional) a decade's read model loaded by COPY (projects, tasks, an audit
//	            chain) and the product's reads on it: inbox, project list, funds, audit
//	            verify, the registry export (issue 20)
//	inbox       (optional, -inbox) GET /api/v1/tasks on a 1,000,000-task database: first and
//	            deep keyset page, store time and HTTP time, EXPLAIN (ANALYZE, BUFFERS)
//
// Every process runs on this machine and talks over 127.0.0.1 only. Databases the run creates
// are dropped at the end (-keep keeps them).
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"egovpm/bench"
)

type options struct {
	phases       map[string]bool
	store        string
	pgSync       string
	levels       []int
	decisions    int
	backlog      int
	baselines    []baselineKind
	lifecycles   int
	lcClients    int
	readConns    int
	readDur      time.Duration
	memWorkflows int
	inboxTasks   int
	inboxOpen    int
	inboxSamples int
	keep         bool
	timeout      time.Duration
	workDir      string
	profileDir   string
	workerEnv    string
	appEnv       string
	growthN      []int
	growthReads  int
	rm           readModelSize
}

func parseFlags() (options, error) {
	var o options
	phases := flag.String("phases", "decisions,lifecycles,reads,memory,export", "comma-separated phases: decisions, lifecycles, reads, memory, export, inbox; floor runs the bare-Temporal baselines alone; growth, decade and readmodel run only when named")
	inbox := flag.Bool("inbox", false, "also run the inbox phase (seeds a 1,000,000-task database; takes minutes)")
	flag.StringVar(&o.store, "store", "sqlite", "devserver persistence: sqlite or postgres")
	flag.StringVar(&bench.TemporalCompression, "temporal-compression", bench.TemporalCompression, "gRPC compression to Temporal of the worker, the gateway and the baselines: none or gzip (TEMPORAL_GRPC_COMPRESSION)")
	flag.StringVar(&o.pgSync, "pg-synchronous-commit", "", "devserver --pg-synchronous-commit with -store postgres (default: the devserver's, off)")
	levels := flag.String("levels", "1,8,32", "concurrent clients of the decision round trip")
	flag.IntVar(&o.decisions, "decisions", 400, "decisions per concurrency level (at least 25 per client)")
	flag.IntVar(&o.backlog, "backlog", 300, "submitted projects left in prelim review (the reads phase's inbox)")
	baselines := flag.String("baselines", strings.Join(keysOf(baselineKinds), ","), "bare-Temporal baselines run beside the decisions, comma-separated: floor (the ratios need only it), regular, signal, version, versions5; or none")
	flag.IntVar(&o.lifecycles, "n", 200, "projects taken from submit to approved in the lifecycles phase")
	flag.IntVar(&o.lcClients, "lifecycle-clients", 8, "concurrent clients of the lifecycles phase")
	flag.IntVar(&o.readConns, "read-conns", 64, "connections of the reads phase")
	flag.DurationVar(&o.readDur, "read-duration", 10*time.Second, "duration of each read run")
	flag.IntVar(&o.memWorkflows, "workflows", 10000, "open project workflows of the memory phase")
	flag.IntVar(&o.inboxTasks, "inbox-tasks", 1_000_000, "tasks seeded by the inbox phase")
	flag.IntVar(&o.inboxOpen, "inbox-open", 100_000, "open tasks among them")
	flag.IntVar(&o.inboxSamples, "inbox-samples", 300, "timed requests per inbox query")
	flag.BoolVar(&o.keep, "keep", false, "keep the databases and the work directory")
	flag.DurationVar(&o.timeout, "timeout", 90*time.Minute, "give up after this long")
	flag.StringVar(&o.workDir, "dir", "", "work directory for binaries, logs and the SQLite file (default: a new temporary directory)")
	flag.StringVar(&o.appEnv, "env", "", "extra environment of the worker and gateway processes, comma-separated KEY=VALUE (e.g. OTEL_SDK_DISABLED=true,EGOVPM_METRICS_ADDR=off), to compare settings")
	flag.StringVar(&o.workerEnv, "worker-env", "", "extra environment of the worker process, comma-separated KEY=VALUE (e.g. GOGC=200), to compare worker settings")
	flag.StringVar(&o.profileDir, "profile", "", "write CPU profiles into this directory (go tool pprof): of the gateway during each read run; of the gateway, the worker and the devserver during each decision run, and of the devserver under the floor")
	growthN := flag.String("growth-n", "100,1000", "projects per plan year of the growth phase, one year per entry")
	flag.IntVar(&o.growthReads, "growth-reads", 50, "timed requests per read of the growth phase")
	flag.IntVar(&o.rm.Projects, "projects", 30_000, "projects of the readmodel phase's decade")
	flag.IntVar(&o.rm.Tasks, "tasks", 1_000_000, "tasks of the readmodel phase's decade")
	flag.IntVar(&o.rm.Audit, "audit", 1_000_000, "audit rows of the readmodel phase's decade (one hash chain)")
	flag.IntVar(&o.rm.Samples, "rm-samples", 100, "timed requests per read of the readmodel phase")
	flag.Parse()
	for _, s := range strings.Split(*growthN, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < 1 || n > 100_000 {
			return o, fmt.Errorf("bad -growth-n entry %q", s)
		}
		o.growthN = append(o.growthN, n)
	}
	o.phases = map[string]bool{}
	for _, p := range strings.Split(*phases, ",") {
		if p = strings.TrimSpace(p); p != "" {
			if !slices.Contains([]string{"floor", "decisions", "lifecycles", "reads", "memory", "export", "inbox", "growth", "decade", "readmodel"}, p) {
				return o, fmt.Errorf("unknown phase %q", p)
			}
			o.phases[p] = true
		}
	}
	if *inbox {
		o.phases["inbox"] = true
	}
	for _, l := range strings.Split(*levels, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(l))
		if err != nil || n < 1 || n > 256 {
			return o, fmt.Errorf("bad -levels entry %q", l)
		}
		o.levels = append(o.levels, n)
	}
	var err error
	if o.baselines, err = parseBaselines(*baselines); err != nil {
		return o, err
	}
	if bench.TemporalCompression != "none" && bench.TemporalCompression != "gzip" {
		return o, fmt.Errorf("-temporal-compression: want none or gzip, got %q", bench.TemporalCompression)
	}
	if o.store != "sqlite" && o.store != "postgres" {
		return o, fmt.Errorf("-store: want sqlite or postgres, got %q", o.store)
	}
	return o, nil
}

func main() {
	o, err := parseFlags()
	if err != nil {
		fmt.Fprintln(os.Stderr, "egovpm-bench:", err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	ctx, cancel := context.WithTimeout(ctx, o.timeout)
	err = run(ctx, o)
	cancel()
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "egovpm-bench:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, o options) error {
	printMachine(o)
	e, err := startEnv(ctx, o)
	if e != nil {
		defer e.close()
	}
	if err != nil {
		return err
	}
	var summary []string
	phases := []struct {
		name string
		fn   func(context.Context) ([]string, error)
	}{
		{"floor", func(ctx context.Context) ([]string, error) { return e.decisions(ctx, false) }},
		{"decisions", func(ctx context.Context) ([]string, error) { return e.decisions(ctx, true) }},
		{"lifecycles", e.lifecycles},
		{"reads", e.reads},
		{"memory", e.memory},
		{"export", e.export},
		{"growth", e.growth},
		{"decade", e.decadeLife},
		{"readmodel", e.readModel},
		{"inbox", e.inbox},
	}
	for _, p := range phases {
		if !o.phases[p.name] || (p.name == "floor" && o.phases["decisions"]) {
			continue
		}
		s, err := p.fn(ctx)
		if err != nil {
			return fmt.Errorf("%s: %w", p.name, err)
		}
		summary = append(summary, s...)
	}
	fmt.Printf("\n== summary (devserver store: %s) ==\n", o.store)
	for _, l := range summary {
		fmt.Println(l)
	}
	return nil
}

func printMachine(o options) {
	mem := ""
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if strings.HasPrefix(l, "MemTotal:") {
				f := strings.Fields(l)
				if kb, err := strconv.ParseInt(f[1], 10, 64); err == nil {
					mem = fmt.Sprintf("%.1f GiB", float64(kb)/(1<<20))
				}
			}
		}
	}
	model := ""
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if strings.HasPrefix(l, "model name") {
				_, model, _ = strings.Cut(l, ":")
				model = strings.TrimSpace(model)
				break
			}
		}
	}
	load := ""
	if b, err := os.ReadFile("/proc/loadavg"); err == nil {
		load = strings.Join(strings.Fields(string(b))[:3], " ")
	}
	fmt.Printf("egovpm-bench %s\n", time.Now().Format(time.RFC3339))
	fmt.Printf("machine: %d CPUs (%s), %s RAM, %s %s/%s, load average at start %s\n",
		runtime.NumCPU(), model, mem, runtime.Version(), runtime.GOOS, runtime.GOARCH, load)
	st := o.store
	if o.store == "postgres" {
		sc := o.pgSync
		if sc == "" {
			sc = "off (devserver default)"
		}
		st += ", synchronous_commit " + sc
	}
	fmt.Printf("devserver store: %s; gRPC compression to Temporal: %s; phases: %s\n", st, bench.TemporalCompression, strings.Join(phaseList(o), ","))
}

func phaseList(o options) []string {
	var ps []string
	for _, p := range []string{"floor", "decisions", "lifecycles", "reads", "memory", "export", "inbox", "growth", "decade", "readmodel"} {
		if o.phases[p] {
			ps = append(ps, p)
		}
	}
	return ps
}
