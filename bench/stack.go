// Package bench is the performance harness of issue 7: it starts the real platform (the
// devserver, the production worker and gateway binaries, a fresh PostgreSQL database) and
// drives it through HTTP as clients do, beside bare-Temporal baselines on the same server.
// The load command is cmd/egovpm-bench; docs/PERFORMANCE.md records its figures.
package bench

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/lib/pq"

	"egovpm/internal/audit"
	"egovpm/internal/store"
	"egovpm/internal/testenv"
	"egovpm/schema"
)

// AuditKey is the audit chain key of the benchmark's databases.
const AuditKey = "bench-audit-key"

// Binaries are the built programs the stack runs.
type Binaries struct {
	Devserver, Worker, Server string
}

// Build compiles the devserver, the worker and the gateway into dir (with the warm build
// cache this takes seconds).
func Build(ctx context.Context, dir string) (Binaries, error) {
	root := testenv.RepoRoot()
	b, err := BuildApp(ctx, dir)
	if err != nil {
		return b, err
	}
	b.Devserver = filepath.Join(dir, "devserver")
	return b, goBuild(ctx, filepath.Join(root, "devserver"), b.Devserver, ".")
}

// BuildApp compiles the worker and the gateway into dir, leaving Devserver empty (for a
// caller that has a devserver binary already, e.g. testenv.DevserverBinary under make test).
func BuildApp(ctx context.Context, dir string) (Binaries, error) {
	root := testenv.RepoRoot()
	b := Binaries{Worker: filepath.Join(dir, "worker"), Server: filepath.Join(dir, "server")}
	if err := goBuild(ctx, root, b.Worker, "./worker"); err != nil {
		return b, err
	}
	return b, goBuild(ctx, root, b.Server, "./server")
}

func goBuild(ctx context.Context, dir, out, pkg string) error {
	cmd := exec.CommandContext(ctx, "go", "build", "-o", out, pkg)
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go build %s: %v\n%s", pkg, err, out)
	}
	return nil
}

// RandomSuffix returns a short random hex string for database and queue names.
func RandomSuffix() string {
	var b [4]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// PGServerURL is the URL of the local PostgreSQL server's "postgres" database
// (TEST_DATABASE_URL, as internal/testdb).
func PGServerURL() string {
	if u := os.Getenv("TEST_DATABASE_URL"); u != "" {
		return u
	}
	return "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
}

// DatabaseURL returns the URL of database name on the local server.
func DatabaseURL(name string) string {
	u, _ := url.Parse(PGServerURL())
	u.Path = "/" + name
	return u.String()
}

// CreateDatabase creates, migrates and opens a fresh application database.
func CreateDatabase(ctx context.Context, name string) (*store.Store, error) {
	u := DatabaseURL(name)
	if err := store.EnsureDatabase(ctx, u); err != nil {
		return nil, err
	}
	db, err := store.Open(ctx, u)
	if err != nil {
		return nil, err
	}
	if _, err := schema.Migrate(ctx, db.DB); err != nil {
		_ = db.Close()
		return nil, err
	}
	return store.New(db, audit.New(AuditKey)), nil
}

// DropDatabase drops database name, ending its sessions first.
func DropDatabase(name string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	db, err := store.Open(ctx, PGServerURL())
	if err != nil {
		return err
	}
	defer db.Close()
	_, _ = db.ExecContext(ctx, `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()`, name)
	_, err = db.ExecContext(ctx, `DROP DATABASE IF EXISTS `+pq.QuoteIdentifier(name))
	return err
}

// Proc is a subprocess of the stack.
type Proc struct {
	Name string
	cmd  *exec.Cmd
	done chan error
	log  *os.File
	// stdin is the write end of the process's standard input, open while the bench runs: a
	// devserver started with --stop-on-stdin-close ends when the bench does, killed or not.
	stdin io.WriteCloser
}

// Pid returns the process id.
func (p *Proc) Pid() int { return p.cmd.Process.Pid }

// startProc starts bin with args and env (added to the bench's environment), its stdout and
// stderr going to dir/name.log. When ready is set, it waits for a stdout line with that prefix.
func startProc(ctx context.Context, dir, name, bin string, args, env []string, ready string, timeout time.Duration) (*Proc, error) {
	logf, err := os.Create(filepath.Join(dir, name+".log"))
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stderr = logf
	cmd.SysProcAttr = procAttr()
	p := &Proc{Name: name, cmd: cmd, done: make(chan error, 1), log: logf}
	if p.stdin, err = cmd.StdinPipe(); err != nil {
		return nil, err
	}
	lines := make(chan string, 1)
	if ready != "" {
		out, err := cmd.StdoutPipe()
		if err != nil {
			return nil, err
		}
		go func() {
			sc := bufio.NewScanner(out)
			sent := false
			for sc.Scan() {
				fmt.Fprintln(logf, sc.Text())
				if !sent && strings.HasPrefix(sc.Text(), ready) {
					lines <- sc.Text()
					sent = true
				}
			}
		}()
	} else {
		cmd.Stdout = logf
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	go func() { p.done <- cmd.Wait() }()
	if ready == "" {
		return p, nil
	}
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case <-lines:
		return p, nil
	case err := <-p.done:
		p.done <- err
		return nil, fmt.Errorf("%s exited before it was ready (%v); see %s", name, err, logf.Name())
	case <-t.C:
		p.Stop()
		return nil, fmt.Errorf("%s not ready after %s; see %s", name, timeout, logf.Name())
	case <-ctx.Done():
		p.Stop()
		return nil, ctx.Err()
	}
}

// Stop ends the process: SIGTERM, then SIGKILL to its process group after 20 s.
func (p *Proc) Stop() {
	if p == nil || p.cmd.Process == nil {
		return
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-p.done:
		p.done <- err
	case <-time.After(20 * time.Second):
		_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
		p.done <- <-p.done
	}
	_ = p.log.Close()
}

// Kill ends the process group at once with SIGKILL (a crash, as the fault test needs) and
// waits until the process is gone.
func (p *Proc) Kill() {
	if p == nil || p.cmd.Process == nil {
		return
	}
	_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
	err := <-p.done
	p.done <- err
	_ = p.log.Close()
}

// Exited reports whether the process has ended, and how.
func (p *Proc) Exited() (bool, error) {
	select {
	case err := <-p.done:
		p.done <- err
		return true, err
	default:
		return false, nil
	}
}

// LogPath is the file holding the process's stdout and stderr.
func (p *Proc) LogPath() string { return p.log.Name() }

// TemporalStore selects the devserver's persistence.
type TemporalStore struct {
	// Kind is "sqlite" or "postgres".
	Kind string
	// Suffix names the postgres databases temporal_bench_<suffix> and
	// temporal_visibility_bench_<suffix>.
	Suffix string
	// SyncCommit is the devserver's --pg-synchronous-commit (empty: its default).
	SyncCommit string
	// PprofAddr is the devserver's --pprof-addr (empty: no profiles), for egovpm-bench -profile.
	PprofAddr string
	// MetricsAddr is the devserver's --metrics-addr (empty: its default).
	MetricsAddr string
}

// DBNames returns the postgres database names of a postgres store.
func (t TemporalStore) DBNames() (string, string) {
	return "temporal_bench_" + t.Suffix, "temporal_visibility_bench_" + t.Suffix
}

// StartDevserver runs the devserver on a free port with its state in dir (SQLite) or in its
// own databases on the local PostgreSQL server.
func StartDevserver(ctx context.Context, bin, dir string, ts TemporalStore) (*Proc, string, error) {
	addr, err := testenv.FreeAddr()
	if err != nil {
		return nil, "", err
	}
	p, err := StartDevserverAt(ctx, bin, dir, "devserver", addr, ts)
	return p, addr, err
}

// StartDevserverAt runs the devserver at addr, its log in dir/name.log. Started again on the
// same dir and store after a crash, it resumes the same state (dir/temporal.db or the
// store's databases), so clients that keep addr reconnect to it.
func StartDevserverAt(ctx context.Context, bin, dir, name, addr string, ts TemporalStore) (*Proc, error) {
	args := []string{"--addr", addr, "--ui=false", "--log-level", "error", "--retention", "24h", "--stop-on-stdin-close"}
	switch ts.Kind {
	case "sqlite":
		args = append(args, "--db-file", filepath.Join(dir, "temporal.db"))
	case "postgres":
		main, vis := ts.DBNames()
		args = append(args, "--store", "postgres", "--pg-url", PGServerURL(),
			"--pg-database", main, "--pg-visibility-database", vis)
		if ts.SyncCommit != "" {
			args = append(args, "--pg-synchronous-commit", ts.SyncCommit)
		}
	default:
		return nil, fmt.Errorf("unknown temporal store %q", ts.Kind)
	}
	if ts.PprofAddr != "" {
		args = append(args, "--pprof-addr", ts.PprofAddr)
	}
	if ts.MetricsAddr != "" {
		args = append(args, "--metrics-addr", ts.MetricsAddr)
	}
	return startProc(ctx, dir, name, bin, args, nil, "devserver ready", 3*time.Minute)
}

// TemporalCompression is TEMPORAL_GRPC_COMPRESSION of the worker and the gateway, and the
// compression of the baselines' client (egovpm-bench -temporal-compression).
var TemporalCompression = "none"

// AppEnv is the environment of the worker and gateway processes.
func AppEnv(dbURL, temporalAddr, queue, dataDir string) []string {
	return []string{"TEMPORAL_GRPC_COMPRESSION=" + TemporalCompression,
		"DATABASE_URL=" + dbURL, "TEMPORAL_ADDRESS=" + temporalAddr, "TEMPORAL_TASK_QUEUE=" + queue,
		"DATA_DIR=" + dataDir, "EGOVPM_AUDIT_KEY=" + AuditKey, "EGOVPM_POLICY=2021", "LOG_LEVEL=info",
		"EGOVPM_MODE=dev",
	}
}

// StartWorker runs the production worker binary.
func StartWorker(ctx context.Context, bin, dir, name string, env []string) (*Proc, error) {
	return startProc(ctx, dir, name, bin, nil, env, "", 0)
}

// GatewayEnv lifts the per-user decision rate limit (config EGOVPM_DECISION_BURST/EVERY): the
// benchmark drives many decisions per second as few users, which the default (20 at once,
// then one per 200 ms) is there to refuse. Tokens live long enough for the whole run.
var GatewayEnv = []string{"EGOVPM_DECISION_BURST=1000000000", "EGOVPM_DECISION_EVERY=1ns", "EGOVPM_TOKEN_TTL=6h"}

// StartGateway runs the production gateway binary on a free port and waits for /readyz.
func StartGateway(ctx context.Context, bin, dir, name string, env []string) (*Proc, string, error) {
	addr, err := testenv.FreeAddr()
	if err != nil {
		return nil, "", err
	}
	return StartGatewayAt(ctx, bin, dir, name, addr, env)
}

// StartGatewayAt runs the production gateway binary at addr (a restarted gateway keeps its
// predecessor's address, so clients need not learn a new one) and waits for /readyz.
func StartGatewayAt(ctx context.Context, bin, dir, name, addr string, env []string) (*Proc, string, error) {
	env = append(append(append([]string(nil), env...), GatewayEnv...), "HTTP_ADDR="+addr)
	p, err := startProc(ctx, dir, name, bin, nil, env, "", 0)
	if err != nil {
		return nil, "", err
	}
	base := "http://" + addr
	deadline := time.Now().Add(time.Minute)
	for {
		res, err := http.Get(base + "/readyz")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return p, base, nil
			}
		}
		select {
		case err := <-p.done:
			p.done <- err
			return nil, "", fmt.Errorf("%s exited (%v); see %s", name, err, p.log.Name())
		default:
		}
		if time.Now().After(deadline) {
			p.Stop()
			return nil, "", errors.New(name + " not ready after 1m")
		}
		time.Sleep(100 * time.Millisecond)
	}
}
