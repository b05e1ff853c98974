package chaos

import (
	"bufio"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"egovpm/bench"
	"egovpm/internal/testenv"
)

// stack is the running platform of one fault test: it owns the three processes and the
// PostgreSQL cluster, and replaces or restarts them when the chaos loop kills them.
type stack struct {
	dir     string
	bins    bench.Binaries
	cli     string // the egovpm command (audit-verify)
	ts      bench.TemporalStore
	pg      *pgCluster
	devAddr string
	gwAddr  string
	appEnv  []string

	mu      sync.Mutex
	dev     *bench.Proc
	worker  *bench.Proc
	gw      *bench.Proc
	started map[string]int // instances started per role, for log names
}

// programs are the binaries a run starts: the devserver, the production worker and gateway,
// and the egovpm command (audit-verify).
type programs struct {
	bench.Binaries
	CLI string
}

// buildPrograms builds the worker, the gateway and the egovpm command into dir (the devserver
// comes from testenv.DevserverBinary).
func buildPrograms(ctx context.Context, dir string) (programs, error) {
	var p programs
	dev, err := testenv.DevserverBinary()
	if err != nil {
		return p, fmt.Errorf("devserver binary: %w", err)
	}
	if p.Binaries, err = bench.BuildApp(ctx, dir); err != nil {
		return p, err
	}
	p.Devserver = dev
	p.CLI = filepath.Join(dir, "egovpm")
	build := exec.CommandContext(ctx, "go", "build", "-o", p.CLI, "./cmd/egovpm")
	build.Dir = testenv.RepoRoot()
	if out, err := build.CombinedOutput(); err != nil {
		return p, fmt.Errorf("go build ./cmd/egovpm: %v\n%s", err, out)
	}
	return p, nil
}

// startStack starts the devserver, worker and gateway of progs with their logs in dir, on the
// cluster pg (the read model at dbURL; Temporal's store too with ts.Kind postgres).
func startStack(ctx context.Context, dir string, progs programs, ts bench.TemporalStore, pg *pgCluster, dbURL, queue string) (*stack, error) {
	s := &stack{dir: dir, bins: progs.Binaries, cli: progs.CLI, ts: ts, pg: pg, started: map[string]int{}}
	var err error
	if s.devAddr, err = testenv.FreeAddr(); err != nil {
		return s, err
	}
	if s.gwAddr, err = testenv.FreeAddr(); err != nil {
		return s, err
	}
	// The test policy (dev mode only) for its five-second trial run (R11); the gateway signs
	// the audit chain's head every second, so that checkpoints are written while it is killed.
	s.appEnv = append(bench.AppEnv(dbURL, s.devAddr, queue, filepath.Join(dir, "data")),
		"EGOVPM_POLICY=test", "EGOVPM_AUDIT_CHECKPOINT_EVERY=1s")
	if err := s.startDevserver(ctx); err != nil {
		return s, err
	}
	if err := s.startWorker(ctx); err != nil {
		return s, err
	}
	return s, s.startGateway(ctx)
}

func (s *stack) name(role string) string {
	s.started[role]++
	return fmt.Sprintf("%s-%02d", role, s.started[role])
}

func (s *stack) startDevserver(ctx context.Context) error {
	p, err := bench.StartDevserverAt(ctx, s.bins.Devserver, s.dir, s.name("devserver"), s.devAddr, s.ts)
	if err != nil {
		return err
	}
	s.mu.Lock()
	s.dev = p
	s.mu.Unlock()
	return nil
}

func (s *stack) startWorker(ctx context.Context) error {
	p, err := bench.StartWorker(ctx, s.bins.Worker, s.dir, s.name("worker"), s.appEnv)
	if err != nil {
		return err
	}
	s.mu.Lock()
	s.worker = p
	s.mu.Unlock()
	return nil
}

func (s *stack) startGateway(ctx context.Context) error {
	p, _, err := bench.StartGatewayAt(ctx, s.bins.Server, s.dir, s.name("server"), s.gwAddr, s.appEnv)
	if err != nil {
		return err
	}
	s.mu.Lock()
	s.gw = p
	s.mu.Unlock()
	return nil
}

// base is the gateway's URL; a restarted gateway keeps it.
func (s *stack) base() string { return "http://" + s.gwAddr }

// procs returns the current processes.
func (s *stack) procs() []*bench.Proc {
	s.mu.Lock()
	defer s.mu.Unlock()
	return []*bench.Proc{s.gw, s.worker, s.dev}
}

// checkAlive reports a current process that has ended without being killed: the worker and
// the gateway must survive everything but their own SIGKILL, a devserver or PostgreSQL outage
// included.
func (s *stack) checkAlive() error {
	if done, err := s.pg.exited(); done {
		return fmt.Errorf("postgres exited on its own (%v); see %s", err, s.dir)
	}
	for _, p := range s.procs() {
		if p == nil {
			continue
		}
		if done, err := p.Exited(); done {
			return fmt.Errorf("%s exited on its own (%v); see %s", p.Name, err, p.LogPath())
		}
	}
	return nil
}

func (s *stack) stop() {
	for _, p := range s.procs() {
		p.Stop()
	}
}

// kill is one fault: SIGKILL to one process, then a new one in its place.
type kill struct {
	Role     string        // worker, server, devserver or postgres
	At       time.Duration // since the chaos began
	InFlight int64         // client requests in flight when the process died
	Down     time.Duration // until the new process was started (and, for the gateway, devserver and PostgreSQL, ready)
}

// chaos runs the faults of schedule, one every ~every (uniformly 0.5–1.5×), and returns what it
// did. It stops early, with an error, when a process has exited on its own or cannot be
// started again, or when ctx ends.
func (s *stack) chaos(ctx context.Context, schedule []string, every time.Duration, rng *rand.Rand, inflight *atomic.Int64) ([]kill, error) {
	start := time.Now()
	var done []kill
	for _, role := range schedule {
		gap := every/2 + time.Duration(rng.Int64N(int64(every)))
		select {
		case <-ctx.Done():
			return done, ctx.Err()
		case <-time.After(gap):
		}
		if err := s.checkAlive(); err != nil {
			return done, err
		}
		// Strike while clients wait on the platform (up to 2 s), so that a fault cuts work
		// in flight rather than an idle stack.
		for wait := time.Now().Add(2 * time.Second); inflight.Load() == 0 && time.Now().Before(wait); {
			time.Sleep(20 * time.Millisecond)
		}
		k := kill{Role: role, At: time.Since(start), InFlight: inflight.Load()}
		t0 := time.Now()
		var err error
		switch role {
		case "worker":
			s.procs()[1].Kill()
			err = s.startWorker(ctx)
		case "server":
			s.procs()[0].Kill()
			err = s.startGateway(ctx)
		case "devserver":
			s.procs()[2].Kill()
			err = s.startDevserver(ctx)
		case "postgres":
			// The read model and, with the postgres store, Temporal's own store go down at
			// once, as when their server crashes; every process must ride it out.
			if err = s.pg.crash(); err == nil {
				err = s.pg.start(ctx)
			}
		default:
			err = fmt.Errorf("unknown role %q", role)
		}
		if err != nil {
			return done, fmt.Errorf("restart %s: %w", role, err)
		}
		k.Down = time.Since(t0)
		done = append(done, k)
	}
	return done, s.checkAlive()
}

// schedule is the order of the faults: the worker and gateway kills shuffled, and the
// devserver and PostgreSQL restarts spread evenly among them (alternating, the devserver first).
func schedule(rng *rand.Rand, workerKills, gatewayKills, devserverRestarts, pgRestarts int) []string {
	var s []string
	for range workerKills {
		s = append(s, "worker")
	}
	for range gatewayKills {
		s = append(s, "server")
	}
	rng.Shuffle(len(s), func(i, j int) { s[i], s[j] = s[j], s[i] })
	var rare []string
	for i := 0; i < devserverRestarts || i < pgRestarts; i++ {
		if i < devserverRestarts {
			rare = append(rare, "devserver")
		}
		if i < pgRestarts {
			rare = append(rare, "postgres")
		}
	}
	out := make([]string, 0, len(s)+len(rare))
	next := 0
	for k, r := range rare {
		at := len(s) * (k + 1) / (len(rare) + 1)
		out = append(append(out, s[next:at]...), r)
		next = at
	}
	return append(out, s[next:]...)
}

// logTails prints the last lines of every process log in dir.
func logTails(t *testing.T, dir string, lines int) {
	paths, _ := filepath.Glob(filepath.Join(dir, "*.log"))
	sort.Strings(paths)
	for _, p := range paths {
		f, err := os.Open(p)
		if err != nil {
			continue
		}
		var all []string
		sc := bufio.NewScanner(f)
		sc.Buffer(make([]byte, 64*1024), 1024*1024)
		for sc.Scan() {
			all = append(all, sc.Text())
		}
		_ = f.Close()
		t.Logf("---- %s (last %d of %d lines) ----\n%s", filepath.Base(p), min(lines, len(all)), len(all),
			strings.Join(all[max(0, len(all)-lines):], "\n"))
	}
}
