package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/lib/pq"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"

	"egovpm/bench"
	"egovpm/internal/auth"
	"egovpm/internal/config"
	"egovpm/internal/domain"
	"egovpm/internal/logging"
	"egovpm/internal/platform"
	"egovpm/internal/seed"
	"egovpm/internal/store"
	"egovpm/internal/testenv"
)

// password is the demo users' password (the gateway's default EGOVPM_DEMO_PASSWORD).
const password = config.DefaultDemoPassword

// env is the running stack of one benchmark run.
type env struct {
	o       options
	dir     string
	bins    bench.Binaries
	ts      bench.TemporalStore
	dev     *bench.Proc
	devAddr string
	dbName  string
	st      *store.Store
	queue   string
	worker  *bench.Proc
	gw      *bench.Proc
	base    string
	tc      client.Client
	bw      worker.Worker
	cpu     *bench.CPUSet
	cl      *bench.Client
	policy  domain.Policy
	// extra databases and processes to clean up
	dbs   []string
	procs []*bench.Proc

	// vacuumedFor is the growth step the read model was last vacuumed before (vacuumReadModel).
	vacuumedFor string
	// pprofAddr and workerPprof serve the gateway's and the worker's net/http/pprof when
	// -profile is set.
	pprofAddr, workerPprof string
	// workerMetrics is where the worker serves /metrics ("" when EGOVPM_METRICS_ADDR=off).
	workerMetrics string
	// year hands out fresh plan years (one AnnualPlan workflow each).
	year int
}

func (e *env) nextYear() int { e.year++; return e.year }

func startEnv(ctx context.Context, o options) (*env, error) {
	e := &env{o: o, year: 2030}
	sfx := bench.RandomSuffix()
	e.dir = o.workDir
	if e.dir == "" {
		d, err := os.MkdirTemp("", "egovpm-bench-")
		if err != nil {
			return nil, err
		}
		e.dir = d
	} else if err := os.MkdirAll(e.dir, 0o755); err != nil {
		return nil, err
	}
	fmt.Printf("work directory (binaries, process logs): %s\n", e.dir)

	t0 := time.Now()
	bins, err := bench.Build(ctx, filepath.Join(e.dir, "bin"))
	if err != nil {
		return e, err
	}
	e.bins = bins
	fmt.Printf("built devserver, worker, server in %s\n", time.Since(t0).Round(time.Millisecond))

	e.ts = bench.TemporalStore{Kind: o.store, Suffix: sfx, SyncCommit: o.pgSync}
	// Its own /metrics port: the growth phase reads the server's sticky queue timeouts there.
	if e.ts.MetricsAddr, err = testenv.FreeAddr(); err != nil {
		return e, err
	}
	if o.profileDir != "" {
		if e.ts.PprofAddr, err = testenv.FreeAddr(); err != nil {
			return e, err
		}
	}
	t0 = time.Now()
	e.dev, e.devAddr, err = bench.StartDevserver(ctx, bins.Devserver, e.dir, e.ts)
	if err != nil {
		return e, err
	}
	fmt.Printf("devserver (%s) ready at %s in %s\n", o.store, e.devAddr, time.Since(t0).Round(time.Millisecond))

	e.dbName = "egovpm_bench_" + sfx
	e.dbs = append(e.dbs, e.dbName)
	if e.st, err = bench.CreateDatabase(ctx, e.dbName); err != nil {
		return e, err
	}
	if err := seed.Demo(ctx, e.st, password); err != nil {
		return e, err
	}
	if e.policy, err = e.st.Policy(ctx, "2021", false); err != nil {
		return e, err
	}
	if err := createReviewers(ctx, e.st, maxLevel(o)); err != nil {
		return e, err
	}

	e.queue = "egovpm-bench-" + sfx
	baseEnv := bench.AppEnv(bench.DatabaseURL(e.dbName), e.devAddr, e.queue, filepath.Join(e.dir, "data"))
	var userEnv []string
	if o.appEnv != "" {
		userEnv = strings.Split(o.appEnv, ",")
		fmt.Printf("worker and gateway environment adds %s\n", o.appEnv)
	}
	appEnv := append(slices.Clone(baseEnv), userEnv...)
	workerEnv, err := e.workerEnvOf(baseEnv, userEnv)
	if err != nil {
		return e, err
	}
	if e.worker, err = bench.StartWorker(ctx, bins.Worker, e.dir, "worker", workerEnv); err != nil {
		return e, err
	}
	if err := e.startGateway(ctx, appEnv); err != nil {
		return e, err
	}
	fmt.Printf("database %s, worker pid %d (queue %s), gateway pid %d at %s\n", e.dbName, e.worker.Pid(), e.queue, e.gw.Pid(), e.base)

	if err := e.startBaselineWorker(ctx); err != nil {
		return e, err
	}
	e.cpu = bench.NewCPUSet(map[string]int{"devserver": e.dev.Pid(), "worker": e.worker.Pid(), "gateway": e.gw.Pid(), "bench": os.Getpid()})
	e.cpu.PGPids = e.pgBackends
	e.cl = bench.NewClient(e.base, 512)
	return e, nil
}

// profile starts a CPU profile of the gateway lasting d (when -profile is set) and returns
// the function that waits for it and writes it to <profileDir>/gateway-<name>.pprof.
func (e *env) profile(name string, d time.Duration) func() {
	return e.profileOf("gateway", e.pprofAddr, name, d)
}

// profileOf is profile of the process serving pprof at addr.
func (e *env) profileOf(proc, addr, name string, d time.Duration) func() {
	if addr == "" {
		return func() {}
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		url := fmt.Sprintf("http://%s/debug/pprof/profile?seconds=%d", addr, max(1, int(d.Seconds())))
		resp, err := http.Get(url)
		if err != nil {
			fmt.Println("    profile:", err)
			return
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err == nil {
			err = os.MkdirAll(e.o.profileDir, 0o755)
		}
		path := filepath.Join(e.o.profileDir, proc+"-"+slug(name)+".pprof")
		if err == nil {
			err = os.WriteFile(path, b, 0o644)
		}
		if err != nil {
			fmt.Println("    profile:", err)
			return
		}
		fmt.Printf("    CPU profile of the %s: %s (go tool pprof -top %s)\n", proc, path, path)
	}()
	return func() { <-done }
}

// slug turns a run name into a file name part.
func slug(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
			b.WriteRune(r)
		} else if b.Len() > 0 && !strings.HasSuffix(b.String(), "-") {
			b.WriteByte('-')
		}
	}
	return strings.Trim(b.String(), "-")
}

// startGateway runs the gateway, serving its pprof with -profile.
func (e *env) startGateway(ctx context.Context, env []string) error {
	if e.o.profileDir != "" {
		addr, err := testenv.FreeAddr()
		if err != nil {
			return err
		}
		e.pprofAddr = addr
		env = append(slices.Clone(env), "EGOVPM_PPROF_ADDR="+addr)
	}
	var err error
	e.gw, e.base, err = bench.StartGateway(ctx, e.bins.Server, e.dir, "server", env)
	return err
}

// startBaselineWorker dials Temporal for the baselines and runs their worker in this process.
func (e *env) startBaselineWorker(ctx context.Context) error {
	log, _ := logging.New("warn")
	var err error
	// The baselines' client and worker talk to Temporal as the platform's do (TEMPORAL_GRPC_COMPRESSION's default).
	if e.tc, err = client.DialContext(ctx, client.Options{HostPort: e.devAddr, Namespace: "default",
		ConnectionOptions: client.ConnectionOptions{GrpcCompression: platform.Compression(bench.TemporalCompression)},
		Logger:            logging.NewTemporal(log.Named("temporal"))}); err != nil {
		return err
	}
	if e.bw, err = bench.StartBaselineWorker(e.tc); err != nil {
		return err
	}
	return nil
}

// workerEnvOf is the worker's environment: the platform's, its /metrics on a free port (the
// decisions read its sticky cache counters; the default port another stack on this machine may
// hold), then -env and -worker-env (which may override it), and its pprof with -profile. It
// sets e.workerMetrics and e.workerPprof.
func (e *env) workerEnvOf(baseEnv, userEnv []string) ([]string, error) {
	metricsAddr, err := testenv.FreeAddr()
	if err != nil {
		return nil, err
	}
	env := append(append(slices.Clone(baseEnv), "EGOVPM_METRICS_ADDR="+metricsAddr), userEnv...)
	if e.o.workerEnv != "" {
		env = append(env, strings.Split(e.o.workerEnv, ",")...)
		fmt.Printf("worker environment adds %s\n", e.o.workerEnv)
	}
	if e.o.profileDir != "" {
		if e.workerPprof, err = testenv.FreeAddr(); err != nil {
			return nil, err
		}
		env = append(env, "EGOVPM_PPROF_ADDR="+e.workerPprof)
	}
	e.workerMetrics = metricsListen(env)
	return env, nil
}

// metricsListen is the /metrics address a worker started with env serves: the last
// EGOVPM_METRICS_ADDR wins (os/exec keeps the last of duplicate keys), unset or empty is the
// worker's default, off is none.
func metricsListen(env []string) string {
	v := ""
	for _, kv := range env {
		if s, ok := strings.CutPrefix(kv, "EGOVPM_METRICS_ADDR="); ok {
			v = s
		}
	}
	switch v {
	case "":
		return config.DefaultWorkerMetricsAddr
	case config.MetricsOff:
		return ""
	}
	return v
}

func maxLevel(o options) int {
	m := 8
	for _, l := range o.levels {
		m = max(m, l)
	}
	return m
}

// pgBackends lists the PostgreSQL backends serving this run's databases (the application's
// and, with the postgres store, Temporal's), so that other clients of the shared server do
// not count.
func (e *env) pgBackends() []int {
	dbs := append([]string(nil), e.dbs...)
	if e.ts.Kind == "postgres" {
		m, v := e.ts.DBNames()
		dbs = append(dbs, m, v)
	}
	var pids []int
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = e.st.DB().SelectContext(ctx, &pids, `SELECT pid FROM pg_stat_activity WHERE datname = ANY($1)`, pq.Array(dbs))
	return pids
}

// reviewer is the username of the n-th benchmark DRB reviewer (1-based).
func reviewer(n int) string { return fmt.Sprintf("bench-drb-%02d", n) }

// createReviewers adds n DRB reviewers: each decision client signs in as its own reviewer
// (the login limit allows 10 sign-ins per user at once).
func createReviewers(ctx context.Context, st *store.Store, n int) error {
	h, err := auth.HashPassword(password, auth.LightHashParams)
	if err != nil {
		return err
	}
	return st.WithTx(ctx, func(tx *store.Tx) error {
		for i := 1; i <= n; i++ {
			u := reviewer(i)
			if _, err := st.EnsureUser(ctx, tx, store.NewUser{ID: auth.UserID(u), Username: u, Name: "压测审核员" + u[len(u)-2:],
				OrgID: "drb", PasswordHash: h, Roles: []string{domain.RoleDRBReviewer}, Demo: true}); err != nil {
				return err
			}
		}
		return nil
	})
}

func (e *env) close() {
	if e.bw != nil {
		e.bw.Stop()
	}
	if e.tc != nil {
		e.tc.Close()
	}
	for _, p := range e.procs {
		p.Stop()
	}
	e.gw.Stop()
	e.worker.Stop()
	e.dev.Stop()
	if e.st != nil {
		_ = e.st.DB().Close()
	}
	if e.o.keep {
		fmt.Printf("kept: work directory %s, databases %v\n", e.dir, e.dbs)
		return
	}
	for _, d := range e.dbs {
		if err := bench.DropDatabase(d); err != nil {
			fmt.Fprintf(os.Stderr, "drop database %s: %v\n", d, err)
		}
	}
	if e.ts.Kind == "postgres" {
		main, vis := e.ts.DBNames()
		for _, d := range []string{main, vis} {
			if err := bench.DropDatabase(d); err != nil {
				fmt.Fprintf(os.Stderr, "drop database %s: %v\n", d, err)
			}
		}
	}
	if e.o.workDir == "" {
		_ = os.RemoveAll(e.dir)
	}
}

// waitCount polls a count query until it reaches want.
func (e *env) waitCount(ctx context.Context, what string, want int, limit time.Duration, q string, args ...any) error {
	start := time.Now()
	deadline := start.Add(limit)
	var n int
	for {
		if err := e.st.DB().GetContext(ctx, &n, q, args...); err != nil {
			return err
		}
		if n >= want {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s: %d of %d after %s", what, n, want, limit)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(pollEvery(time.Since(start))):
		}
	}
}

// pollEvery is how long waitCount sleeps between its counts after waiting for elapsed: 100 ms,
// or a hundredth of the wait so far, up to a second. A count of 10,000 projects by id costs
// PostgreSQL milliseconds, which every 100 ms through a fan-out of minutes took ~5 % of the two
// cores from the platform being timed (§11.1.9); the end is still seen within 1 % of the wait.
func pollEvery(elapsed time.Duration) time.Duration {
	return min(time.Second, max(100*time.Millisecond, elapsed/100))
}
