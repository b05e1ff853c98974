package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
	tlog "go.temporal.io/server/common/log"
	"go.temporal.io/server/common/metrics"
	"go.temporal.io/server/common/persistence/sql"
	"go.temporal.io/server/common/persistence/sql/sqlplugin"
	"go.temporal.io/server/common/resolver"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"
)

// runMainEnv makes the test binary act as the devserver, so that tests can run it as a
// real subprocess without building it first.
const runMainEnv = "DEVSERVER_TEST_RUN_MAIN"

func TestMain(m *testing.M) {
	if os.Getenv(runMainEnv) == "1" {
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// startTimeout bounds how long a devserver subprocess may take to print its ready line.
const startTimeout = 2 * time.Minute

// devProcess is a devserver running as a subprocess.
type devProcess struct {
	cmd       *exec.Cmd
	readyLine string
	stderr    *lockedBuffer
	exited    chan struct{}
	exitErr   error
	// stdin is the write end of the process's standard input.
	stdin io.WriteCloser
}

// lockedBuffer is a bytes.Buffer safe for concurrent use.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// startDevProcess runs the devserver with args and waits for its ready line. The process
// is killed at the end of the test if it is still running.
func startDevProcess(t *testing.T, args ...string) *devProcess {
	t.Helper()
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), runMainEnv+"=1")
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	stdin, err := cmd.StdinPipe()
	require.NoError(t, err)
	p := &devProcess{cmd: cmd, stderr: &lockedBuffer{}, exited: make(chan struct{}), stdin: stdin}
	cmd.Stderr = p.stderr
	require.NoError(t, cmd.Start())

	lines := make(chan string, 16)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	go func() {
		p.exitErr = cmd.Wait()
		close(p.exited)
	}()
	t.Cleanup(func() {
		select {
		case <-p.exited:
		default:
			_ = cmd.Process.Kill()
			<-p.exited
		}
	})

	timer := time.NewTimer(startTimeout)
	defer timer.Stop()
	for {
		select {
		case line, ok := <-lines:
			if !ok {
				<-p.exited
				t.Fatalf("devserver exited before it was ready: %v\nstderr:\n%s", p.exitErr, p.stderr.String())
			}
			if strings.HasPrefix(line, "devserver ready ") {
				p.readyLine = line
				go func() { // Drain the rest of stdout.
					for range lines {
					}
				}()
				return p
			}
		case <-timer.C:
			t.Fatalf("devserver not ready after %s\nstderr:\n%s", startTimeout, p.stderr.String())
		}
	}
}

// stop sends SIGTERM and requires a clean exit.
func (p *devProcess) stop(t *testing.T) {
	t.Helper()
	require.NoError(t, p.cmd.Process.Signal(syscall.SIGTERM))
	select {
	case <-p.exited:
	case <-time.After(time.Minute):
		t.Fatalf("devserver did not stop within a minute\nstderr:\n%s", p.stderr.String())
	}
	require.NoError(t, p.exitErr, "devserver exit; stderr:\n%s", p.stderr.String())
}

// freeAddr returns a loopback address with a port that is free right now.
func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := l.Addr().String()
	require.NoError(t, l.Close())
	return addr
}

// dial connects an SDK client that logs warnings and errors only.
func dial(t *testing.T, addr string) client.Client {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := client.DialContext(ctx, client.Options{
		HostPort:  addr,
		Namespace: "default",
		Logger:    sdklog.NewStructuredLogger(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))),
	})
	require.NoError(t, err)
	t.Cleanup(c.Close)
	return c
}

// Names used by the test workflow.
const (
	testTaskQueue   = "devserver-test"
	counterWorkflow = "Counter"
	addUpdate       = "add"
	finishSignal    = "finish"
)

// counter keeps a running total changed through the "add" update and returns it once the
// "finish" signal arrives.
func counter(ctx workflow.Context) (int, error) {
	total := 0
	err := workflow.SetUpdateHandlerWithOptions(ctx, addUpdate,
		func(ctx workflow.Context, n int) (int, error) {
			total += n
			return total, nil
		},
		workflow.UpdateHandlerOptions{
			Validator: func(ctx workflow.Context, n int) error {
				if n < 0 {
					return errors.New("negative amounts are not allowed")
				}
				return nil
			},
		})
	if err != nil {
		return 0, err
	}
	workflow.GetSignalChannel(ctx, finishSignal).Receive(ctx, nil)
	err = workflow.Await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) })
	return total, err
}

// startWorker runs a worker for the counter workflow until the test ends or stop is
// called.
func startWorker(t *testing.T, c client.Client) worker.Worker {
	t.Helper()
	w := worker.New(c, testTaskQueue, worker.Options{})
	w.RegisterWorkflowWithOptions(counter, workflow.RegisterOptions{Name: counterWorkflow})
	require.NoError(t, w.Start())
	t.Cleanup(w.Stop)
	return w
}

// update sends the "add" update and waits for its result.
func update(ctx context.Context, c client.Client, workflowID string, n int) (int, error) {
	h, err := c.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{
		WorkflowID:   workflowID,
		UpdateName:   addUpdate,
		Args:         []any{n},
		WaitForStage: client.WorkflowUpdateStageCompleted,
	})
	if err != nil {
		return 0, err
	}
	var total int
	err = h.Get(ctx, &total)
	return total, err
}

func TestDevServerPersistsAcrossRestart(t *testing.T) {
	addr := freeAddr(t)
	// A nested path checks that parent directories are created.
	dbFile := filepath.Join(t.TempDir(), "nested", "dir", "temporal.db")
	args := []string{"--addr", addr, "--db-file", dbFile, "--ui=false", "--log-level", "error"}

	// First run: fresh database.
	p := startDevProcess(t, args...)
	require.Equal(t, fmt.Sprintf("devserver ready address=%s namespace=default ui=off", addr), p.readyLine)
	require.FileExists(t, dbFile)

	c := dial(t, addr)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	ns, err := c.WorkflowService().DescribeNamespace(ctx, &workflowservice.DescribeNamespaceRequest{Namespace: "default"})
	require.NoError(t, err)
	require.Equal(t, "default", ns.GetNamespaceInfo().GetName())
	require.Equal(t, defaultRetention, ns.GetConfig().GetWorkflowExecutionRetentionTtl().AsDuration())
	requireSearchAttributes(t, ctx, c)

	w := startWorker(t, c)
	const workflowID = "counter-before-restart"
	run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID:                    workflowID,
		TaskQueue:             testTaskQueue,
		TypedSearchAttributes: appSearchAttributes("p-1", "u-1", "draft", 2026, "counter"),
	}, counterWorkflow)
	require.NoError(t, err)

	total, err := update(ctx, c, workflowID, 2)
	require.NoError(t, err)
	require.Equal(t, 2, total)
	total, err = update(ctx, c, workflowID, 3)
	require.NoError(t, err)
	require.Equal(t, 5, total)
	_, err = update(ctx, c, workflowID, -1)
	require.ErrorContains(t, err, "negative amounts are not allowed")

	// The custom search attributes are usable in visibility queries.
	query := `ProjectID = 'p-1' AND UnitID = 'u-1' AND Stage = 'draft' AND PlanYear = 2026 AND TaskKind = 'counter'`
	require.Eventually(t, func() bool {
		resp, err := c.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{Namespace: "default", Query: query})
		return err == nil && len(resp.GetExecutions()) == 1 &&
			resp.GetExecutions()[0].GetExecution().GetWorkflowId() == workflowID
	}, 30*time.Second, 100*time.Millisecond, "workflow not found by its search attributes")

	w.Stop()
	c.Close()
	p.stop(t)

	// Second run on the same file: the schema and namespace exist, the workflow too.
	p = startDevProcess(t, args...)
	require.Equal(t, fmt.Sprintf("devserver ready address=%s namespace=default ui=off", addr), p.readyLine)
	c = dial(t, addr)
	requireSearchAttributes(t, ctx, c)

	desc, err := c.DescribeWorkflowExecution(ctx, workflowID, run.GetRunID())
	require.NoError(t, err)
	require.Equal(t, enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING, desc.GetWorkflowExecutionInfo().GetStatus())

	w = startWorker(t, c)
	total, err = update(ctx, c, workflowID, 4)
	require.NoError(t, err)
	require.Equal(t, 9, total, "the total from before the restart is kept")
	require.NoError(t, c.SignalWorkflow(ctx, workflowID, run.GetRunID(), finishSignal, nil))
	require.NoError(t, c.GetWorkflow(ctx, workflowID, run.GetRunID()).Get(ctx, &total))
	require.Equal(t, 9, total)

	require.Eventually(t, func() bool {
		resp, err := c.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{
			Namespace: "default",
			Query:     query + ` AND ExecutionStatus = 'Completed'`,
		})
		return err == nil && len(resp.GetExecutions()) == 1
	}, 30*time.Second, 100*time.Millisecond, "completed workflow not found by its search attributes")

	w.Stop()
	p.stop(t)
}

// appSearchAttributes are the application's custom search attributes (searchAttributes) with
// these values.
func appSearchAttributes(projectID, unitID, stage string, planYear int64, taskKind string) temporal.SearchAttributes {
	return temporal.NewSearchAttributes(
		temporal.NewSearchAttributeKeyKeyword("ProjectID").ValueSet(projectID),
		temporal.NewSearchAttributeKeyKeyword("UnitID").ValueSet(unitID),
		temporal.NewSearchAttributeKeyKeyword("Stage").ValueSet(stage),
		temporal.NewSearchAttributeKeyInt64("PlanYear").ValueSet(planYear),
		temporal.NewSearchAttributeKeyKeyword("TaskKind").ValueSet(taskKind),
	)
}

// requireSearchAttributes checks that every custom search attribute is registered with
// its type.
func requireSearchAttributes(t *testing.T, ctx context.Context, c client.Client) {
	t.Helper()
	resp, err := c.OperatorService().ListSearchAttributes(ctx, &operatorservice.ListSearchAttributesRequest{Namespace: "default"})
	require.NoError(t, err)
	want := map[string]enumspb.IndexedValueType{
		"ProjectID": enumspb.INDEXED_VALUE_TYPE_KEYWORD,
		"UnitID":    enumspb.INDEXED_VALUE_TYPE_KEYWORD,
		"Stage":     enumspb.INDEXED_VALUE_TYPE_KEYWORD,
		"PlanYear":  enumspb.INDEXED_VALUE_TYPE_INT,
		"TaskKind":  enumspb.INDEXED_VALUE_TYPE_KEYWORD,
	}
	for name, typ := range want {
		assert.Equal(t, typ, resp.GetCustomAttributes()[name], "search attribute %s", name)
	}
}

func TestDevServersSideBySideWithUI(t *testing.T) {
	dir := t.TempDir()
	addrA, uiAddr := freeAddr(t), freeAddr(t)

	a := startDevProcess(t, "--addr", addrA, "--db-file", filepath.Join(dir, "a.db"), "--ui-addr", uiAddr, "--log-level", "error")
	// Picked once a is up: a port chosen before could have gone to one of a's services.
	addrB := freeAddr(t)
	b := startDevProcess(t, "--addr", addrB, "--db-file", filepath.Join(dir, "b.db"), "--ui=false", "--log-level", "error")
	uiURL := "http://" + uiAddr
	require.Equal(t, fmt.Sprintf("devserver ready address=%s namespace=default ui=%s", addrA, uiURL), a.readyLine)
	require.Equal(t, fmt.Sprintf("devserver ready address=%s namespace=default ui=off", addrB), b.readyLine)

	// Issue 21 item 5: by default the UI only reads. Its settings say so (the page hides the
	// buttons) and its server refuses a write (a terminate) whatever the page shows.
	require.True(t, uiSettings(t, uiURL).DisableWriteActions, "write actions are off by default")
	require.Equal(t, http.StatusMethodNotAllowed, uiTerminate(t, uiURL), "a read-only UI refuses a terminate")

	for _, addr := range []string{addrA, addrB} {
		c := dial(t, addr)
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		requireSearchAttributes(t, ctx, c)
		cancel()
	}

	// The UI serves its page and proxies API calls to the frontend.
	for _, path := range []string{"/", "/api/v1/namespaces/default"} {
		resp, err := http.Get(uiURL + path)
		require.NoError(t, err)
		body, _ := io.ReadAll(resp.Body)
		_ = resp.Body.Close()
		require.Equal(t, http.StatusOK, resp.StatusCode, "GET %s: %s", path, body)
	}

	a.stop(t)
	b.stop(t)
}

// uiSettingsJSON is the part of the UI server's GET /api/v1/settings the tests read.
type uiSettingsJSON struct {
	DisableWriteActions bool
}

func uiSettings(t *testing.T, uiURL string) uiSettingsJSON {
	t.Helper()
	resp, err := http.Get(uiURL + "/api/v1/settings")
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, resp.StatusCode, "%s", body)
	var s uiSettingsJSON
	require.NoError(t, json.Unmarshal(body, &s), "%s", body)
	return s
}

// uiTerminate asks the UI at uiURL to terminate the (missing) workflow x as its page does,
// with the CSRF cookie and header, and returns the HTTP status.
func uiTerminate(t *testing.T, uiURL string) int {
	t.Helper()
	jar, err := cookiejar.New(nil)
	require.NoError(t, err)
	hc := &http.Client{Jar: jar, Timeout: 10 * time.Second}
	resp, err := hc.Get(uiURL + "/api/v1/settings")
	require.NoError(t, err)
	_ = resp.Body.Close()
	u, err := url.Parse(uiURL)
	require.NoError(t, err)
	var token string
	for _, c := range jar.Cookies(u) {
		if c.Name == "_csrf" {
			token = c.Value
		}
	}
	require.NotEmpty(t, token, "the UI sets a CSRF cookie")
	req, err := http.NewRequest(http.MethodPost, uiURL+"/api/v1/namespaces/default/workflows/x/terminate", strings.NewReader(`{"reason":"r"}`))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-CSRF-Token", token)
	resp, err = hc.Do(req)
	require.NoError(t, err)
	_ = resp.Body.Close()
	return resp.StatusCode
}

// TestUIWriteActionsOnRequest: --ui-write-actions turns the UI's writes back on (issue 21 item 5).
func TestUIWriteActionsOnRequest(t *testing.T) {
	uiAddr := freeAddr(t)
	p := startDevProcess(t, "--addr", freeAddr(t), "--db-file", filepath.Join(t.TempDir(), "w.db"), "--ui-addr", uiAddr,
		"--ui-write-actions", "--log-level", "error")
	require.False(t, uiSettings(t, "http://"+uiAddr).DisableWriteActions)
	// The request reaches the frontend, which has no workflow x.
	require.Equal(t, http.StatusNotFound, uiTerminate(t, "http://"+uiAddr))
	p.stop(t)
}

// A parent that dies (a killed go test) closes its end of the pipe: with
// --stop-on-stdin-close the devserver stops cleanly instead of running on as an orphan.
// Without the flag the end of stdin changes nothing (make dev's terminal, /dev/null).
func TestStopsWhenStdinCloses(t *testing.T) {
	dir := t.TempDir()
	kept := startDevProcess(t, "--addr", freeAddr(t), "--db-file", filepath.Join(dir, "kept.db"), "--ui=false", "--log-level", "error")
	p := startDevProcess(t, "--addr", freeAddr(t), "--db-file", filepath.Join(dir, "s.db"), "--ui=false", "--log-level", "info",
		"--stop-on-stdin-close")
	require.NoError(t, kept.stdin.Close())
	require.NoError(t, p.stdin.Close())
	select {
	case <-p.exited:
	case <-time.After(time.Minute):
		t.Fatalf("devserver still running a minute after its stdin closed\nstderr:\n%s", p.stderr.String())
	}
	require.NoError(t, p.exitErr, "devserver exit; stderr:\n%s", p.stderr.String())
	require.Contains(t, p.stderr.String(), "standard input closed: stopping")
	select {
	case <-kept.exited:
		t.Fatalf("devserver without --stop-on-stdin-close stopped when its stdin closed: %v\nstderr:\n%s", kept.exitErr, kept.stderr.String())
	default:
	}
	kept.stop(t)
}

func TestRunFailsWhenAddressInUse(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer l.Close()

	var stdout, stderr bytes.Buffer
	err = run(context.Background(), []string{
		"--addr", l.Addr().String(),
		"--db-file", filepath.Join(t.TempDir(), "temporal.db"),
		"--ui=false",
	}, noEnv, strings.NewReader(""), &stdout, &stderr)
	require.ErrorContains(t, err, "frontend address "+l.Addr().String()+" is not available")
	require.Empty(t, stdout.String())
}

func TestRunFailsWhenUIAddressInUse(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer l.Close()

	var stdout, stderr bytes.Buffer
	err = run(context.Background(), []string{
		"--addr", freeAddr(t),
		"--db-file", filepath.Join(t.TempDir(), "temporal.db"),
		"--ui-addr", l.Addr().String(),
	}, noEnv, strings.NewReader(""), &stdout, &stderr)
	require.ErrorContains(t, err, "UI address "+l.Addr().String()+" is not available")
}

func TestProcessExitsNonZeroOnFailure(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer l.Close()

	cmd := exec.Command(os.Args[0], "--addr", l.Addr().String(), "--db-file", filepath.Join(t.TempDir(), "x.db"), "--ui=false")
	cmd.Env = append(os.Environ(), runMainEnv+"=1")
	out, err := cmd.CombinedOutput()
	var exitErr *exec.ExitError
	require.ErrorAs(t, err, &exitErr)
	require.Equal(t, 1, exitErr.ExitCode())
	require.Contains(t, string(out), "devserver: frontend address "+l.Addr().String()+" is not available")
}

func TestRejectsForeignDatabase(t *testing.T) {
	dbFile := filepath.Join(t.TempDir(), "other.db")
	st, err := newSQLiteStore(dbFile, 0, 0)
	require.NoError(t, err)
	// Create an unrelated table through the same driver.
	db, err := sql.NewSQLAdminDB(sqlplugin.DbKindUnknown, st.sqlConfig(), resolver.NewNoopResolver(),
		tlog.NewNoopLogger(), metrics.NoopMetricsHandler)
	require.NoError(t, err)
	require.NoError(t, db.Exec("CREATE TABLE unrelated (id INTEGER)"))
	require.NoError(t, db.Close())

	err = st.prepare(namespaceSpec{Name: "default", Retention: defaultRetention, SearchAttributes: searchAttributes}, clusterName)
	require.ErrorContains(t, err, "is not a Temporal database")
}

// noEnv is a getenv that sees no environment variables.
func noEnv(string) string { return "" }

func TestParseOptions(t *testing.T) {
	env := func(m map[string]string) func(string) string {
		return func(k string) string { return m[k] }
	}

	t.Run("defaults", func(t *testing.T) {
		o, err := parseOptions(nil, noEnv, io.Discard)
		require.NoError(t, err)
		require.Equal(t, options{
			Addr:      "127.0.0.1:7233",
			DBFile:    ".data/temporal/temporal.db",
			Store:     "sqlite",
			Namespace: "default",
			Retention: 7 * 24 * time.Hour,
			UIAddr:    "127.0.0.1:8233",
			LogLevel:  zapcore.WarnLevel,

			PGURL:                "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable",
			PGDatabase:           "temporal",
			PGVisibilityDatabase: "temporal_visibility",
			PGSynchronousCommit:  "off",
			PGDriver:             "pgx",

			MetricsAddr:        "127.0.0.1:9466",
			MetricsAddrDefault: true,
			SearchAttributes:   true,
		}, o)
	})

	t.Run("postgres driver", func(t *testing.T) {
		o, err := parseOptions([]string{"--store", "postgres", "--pg-driver", "pq"}, noEnv, io.Discard)
		require.NoError(t, err)
		st, err := newStore(o)
		require.NoError(t, err)
		require.Equal(t, "postgres12", st.(*postgresStore).sqlConfig("x", 1).PluginName)
		o, err = parseOptions([]string{"--store", "postgres"}, noEnv, io.Discard)
		require.NoError(t, err)
		st, err = newStore(o)
		require.NoError(t, err)
		require.Equal(t, "postgres12_pgx", st.(*postgresStore).sqlConfig("x", 1).PluginName, "pgx by default")
		_, err = parseOptions([]string{"--store", "postgres"}, env(map[string]string{"TEMPORAL_PG_DRIVER": "odbc"}), io.Discard)
		require.ErrorContains(t, err, "invalid --pg-driver")
	})

	t.Run("metrics, search attributes and long poll", func(t *testing.T) {
		o, err := parseOptions([]string{"--metrics-addr", "127.0.0.1:9999", "--search-attributes=false", "--long-poll-interval", "2s"}, noEnv, io.Discard)
		require.NoError(t, err)
		require.Equal(t, "127.0.0.1:9999", o.MetricsAddr)
		require.False(t, o.MetricsAddrDefault, "a port asked for must be free")
		require.False(t, o.SearchAttributes)
		require.Equal(t, 2*time.Second, o.LongPoll)
		o, err = parseOptions(nil, env(map[string]string{"TEMPORAL_METRICS_ADDR": "", "TEMPORAL_SEARCH_ATTRIBUTES": "false",
			"TEMPORAL_LONG_POLL_INTERVAL": "3s"}), io.Discard)
		require.NoError(t, err)
		require.False(t, o.SearchAttributes)
		require.Equal(t, 3*time.Second, o.LongPoll)
		o, err = parseOptions([]string{"--metrics-addr="}, noEnv, io.Discard)
		require.NoError(t, err)
		require.Empty(t, o.MetricsAddr, "empty is off")
		_, err = parseOptions([]string{"--long-poll-interval", "-1s"}, noEnv, io.Discard)
		require.ErrorContains(t, err, "negative")
		_, err = parseOptions([]string{"--metrics-addr", "nope"}, noEnv, io.Discard)
		require.ErrorContains(t, err, "invalid --metrics-addr")
	})

	t.Run("environment", func(t *testing.T) {
		o, err := parseOptions(nil, env(map[string]string{
			"TEMPORAL_DEVSERVER_ADDR": "127.0.0.1:9233",
			"TEMPORAL_DB_FILE":        "/tmp/x.db",
			"TEMPORAL_NAMESPACE":      "dev",
			"TEMPORAL_RETENTION":      "720h",
			"TEMPORAL_UI_ADDR":        "127.0.0.1:9234",
			"LOG_LEVEL":               "debug",
		}), io.Discard)
		require.NoError(t, err)
		require.Equal(t, "127.0.0.1:9233", o.Addr)
		require.Equal(t, "/tmp/x.db", o.DBFile)
		require.Equal(t, "dev", o.Namespace)
		require.Equal(t, 720*time.Hour, o.Retention)
		require.Equal(t, "127.0.0.1:9234", o.UIAddr)
		require.Equal(t, zapcore.DebugLevel, o.LogLevel)
	})

	t.Run("flags win over environment", func(t *testing.T) {
		o, err := parseOptions([]string{"--addr", "127.0.0.1:1111", "--log-level", "error"},
			env(map[string]string{"TEMPORAL_DEVSERVER_ADDR": "127.0.0.1:2222", "LOG_LEVEL": "debug"}), io.Discard)
		require.NoError(t, err)
		require.Equal(t, "127.0.0.1:1111", o.Addr)
		require.Equal(t, zapcore.ErrorLevel, o.LogLevel)
	})

	t.Run("ui write actions", func(t *testing.T) {
		o, err := parseOptions([]string{"--ui-write-actions"}, noEnv, io.Discard)
		require.NoError(t, err)
		require.True(t, o.UIWriteActions)
		o, err = parseOptions(nil, env(map[string]string{"TEMPORAL_UI_WRITE_ACTIONS": "true"}), io.Discard)
		require.NoError(t, err)
		require.True(t, o.UIWriteActions)
		o, err = parseOptions([]string{"--ui=false", "--ui-write-actions"}, noEnv, io.Discard)
		require.NoError(t, err)
		require.False(t, o.UIWriteActions, "no UI, nothing to write through")
		_, err = parseOptions(nil, env(map[string]string{"TEMPORAL_UI_WRITE_ACTIONS": "maybe"}), io.Discard)
		require.ErrorContains(t, err, "invalid TEMPORAL_UI_WRITE_ACTIONS")
	})

	t.Run("full visibility indexes", func(t *testing.T) {
		o, err := parseOptions(nil, noEnv, io.Discard)
		require.NoError(t, err)
		require.False(t, o.FullVisibilityIndexes, "the lean index set by default")
		o, err = parseOptions([]string{"--full-visibility-indexes"}, noEnv, io.Discard)
		require.NoError(t, err)
		require.True(t, o.FullVisibilityIndexes)
		o, err = parseOptions(nil, env(map[string]string{"TEMPORAL_FULL_VISIBILITY_INDEXES": "true"}), io.Discard)
		require.NoError(t, err)
		require.True(t, o.FullVisibilityIndexes)
		_, err = parseOptions(nil, env(map[string]string{"TEMPORAL_FULL_VISIBILITY_INDEXES": "maybe"}), io.Discard)
		require.ErrorContains(t, err, "invalid TEMPORAL_FULL_VISIBILITY_INDEXES")
	})

	t.Run("sqlite cache and map", func(t *testing.T) {
		o, err := parseOptions([]string{"--sqlite-cache-mib", "256", "--sqlite-mmap-mib", "1024"}, noEnv, io.Discard)
		require.NoError(t, err)
		require.Equal(t, 256, o.SQLiteCacheMiB)
		require.Equal(t, 1024, o.SQLiteMmapMiB)
		o, err = parseOptions(nil, env(map[string]string{"TEMPORAL_SQLITE_CACHE_MIB": "64", "TEMPORAL_SQLITE_MMAP_MIB": "8"}), io.Discard)
		require.NoError(t, err)
		require.Equal(t, 64, o.SQLiteCacheMiB)
		require.Equal(t, 8, o.SQLiteMmapMiB)
		_, err = parseOptions([]string{"--sqlite-cache-mib", "-1"}, noEnv, io.Discard)
		require.ErrorContains(t, err, "--sqlite-cache-mib -1: want 0 to 65536 MiB")
		_, err = parseOptions([]string{"--sqlite-mmap-mib", "70000"}, noEnv, io.Discard)
		require.ErrorContains(t, err, "--sqlite-mmap-mib 70000")
		_, err = parseOptions(nil, env(map[string]string{"TEMPORAL_SQLITE_CACHE_MIB": "lots"}), io.Discard)
		require.ErrorContains(t, err, "invalid TEMPORAL_SQLITE_CACHE_MIB")
		_, err = parseOptions([]string{"--store", "postgres", "--sqlite-mmap-mib", "8"}, noEnv, io.Discard)
		require.ErrorContains(t, err, "apply to --store sqlite only", "not silently ignored")
	})

	t.Run("history caches", func(t *testing.T) {
		o, err := parseOptions(nil, noEnv, io.Discard)
		require.NoError(t, err)
		require.Zero(t, o.HistoryCacheEntries, "the devserver's default unless set")
		require.Zero(t, o.EventsCacheMiB, "Temporal's default unless set")
		o, err = parseOptions([]string{"--history-cache-entries", "40000", "--events-cache-mib", "128"}, noEnv, io.Discard)
		require.NoError(t, err)
		require.Equal(t, 40000, o.HistoryCacheEntries)
		require.Equal(t, 128, o.EventsCacheMiB)
		o, err = parseOptions([]string{"--store", "postgres"}, env(map[string]string{"TEMPORAL_HISTORY_CACHE_ENTRIES": "20000",
			"TEMPORAL_EVENTS_CACHE_MIB": "16"}), io.Discard)
		require.NoError(t, err, "the history caches are the server's, whatever its store")
		require.Equal(t, 20000, o.HistoryCacheEntries)
		require.Equal(t, 16, o.EventsCacheMiB)
		_, err = parseOptions([]string{"--history-cache-entries", "-5"}, noEnv, io.Discard)
		require.ErrorContains(t, err, "--history-cache-entries -5: want 0 to 1280000 workflows")
		_, err = parseOptions([]string{"--events-cache-mib", "20000"}, noEnv, io.Discard)
		require.ErrorContains(t, err, "--events-cache-mib 20000: want 0 to 16384 MiB")
		_, err = parseOptions(nil, env(map[string]string{"TEMPORAL_HISTORY_CACHE_ENTRIES": "many"}), io.Discard)
		require.ErrorContains(t, err, "invalid TEMPORAL_HISTORY_CACHE_ENTRIES \"many\": want a whole number of workflows")
		_, err = parseOptions(nil, env(map[string]string{"TEMPORAL_EVENTS_CACHE_MIB": "1.5"}), io.Discard)
		require.ErrorContains(t, err, "invalid TEMPORAL_EVENTS_CACHE_MIB")
	})

	t.Run("tls", func(t *testing.T) {
		o, err := parseOptions(nil, noEnv, io.Discard)
		require.NoError(t, err)
		require.False(t, o.TLS.on(), "plain gRPC by default")
		_, err = parseOptions([]string{"--tls-cert-file", "c.pem"}, noEnv, io.Discard)
		require.ErrorContains(t, err, "set all three, or none")
		_, err = parseOptions(nil, env(map[string]string{"TEMPORAL_TLS_SERVER_CERT_FILE": "c.pem", "TEMPORAL_TLS_SERVER_KEY_FILE": "k.pem",
			"TEMPORAL_TLS_SERVER_CA_FILE": "ca.pem"}), io.Discard)
		require.ErrorContains(t, err, "--tls-cert-file/--tls-key-file", "files that cannot be read are named at start")
		_, err = parseOptions([]string{"--tls-client-ca-file", "ca.pem"}, noEnv, io.Discard)
		require.ErrorContains(t, err, "need TLS", "mTLS without TLS")
		_, err = parseOptions(nil, env(map[string]string{"TEMPORAL_SERVER_API_KEY_FILE": "key"}), io.Discard)
		require.ErrorContains(t, err, "need TLS", "an API key is not sent in clear")
		empty := filepath.Join(t.TempDir(), "api-key")
		require.NoError(t, os.WriteFile(empty, []byte(" \n"), 0o600))
		tlsArgs := []string{"--tls-cert-file", "c.pem", "--tls-key-file", "k.pem", "--tls-ca-file", "ca.pem"}
		_, err = parseOptions(append(tlsArgs, "--api-key-file", empty), noEnv, io.Discard)
		require.ErrorContains(t, err, "holds no key")
		_, err = parseOptions(append(tlsArgs, "--tls-client-ca-file", empty), noEnv, io.Discard)
		require.ErrorContains(t, err, "--tls-client-ca-file: no PEM certificate")
	})

	t.Run("ui off", func(t *testing.T) {
		for _, tc := range []struct {
			args []string
			env  map[string]string
		}{
			{args: []string{"--ui=false"}},
			{args: []string{"--ui-addr="}},
			{env: map[string]string{"TEMPORAL_UI": "false"}},
		} {
			o, err := parseOptions(tc.args, env(tc.env), io.Discard)
			require.NoError(t, err)
			require.Empty(t, o.UIAddr, "args %v env %v", tc.args, tc.env)
		}
	})

	t.Run("errors", func(t *testing.T) {
		for _, tc := range []struct {
			args []string
			env  map[string]string
			want string
		}{
			{args: []string{"--store", "mysql"}, want: `unknown --store "mysql": supported stores are sqlite, postgres`},
			{args: []string{"--store", "postgres", "--pg-url", "mysql://x"}, want: "invalid --pg-url"},
			{args: []string{"--store", "postgres", "--pg-database", "Temporal-1"}, want: "invalid --pg-database"},
			{args: []string{"--store", "postgres", "--pg-visibility-database", "temporal"}, want: "must differ"},
			{args: []string{"--addr", "7233"}, want: "invalid --addr"},
			{args: []string{"--addr", "127.0.0.1:0"}, want: "port must be a number from 1 to 65535"},
			{args: []string{"--ui-addr", "nope"}, want: "invalid --ui-addr"},
			{args: []string{"--namespace", " "}, want: "--namespace must not be empty"},
			{args: []string{"--db-file", ""}, want: "--db-file must not be empty"},
			{args: []string{"--retention", "1h"}, want: "--retention 1h0m0s is too short"},
			{args: []string{"--log-level", "loud"}, want: "invalid --log-level"},
			{args: []string{"extra"}, want: "unexpected arguments"},
			{env: map[string]string{"TEMPORAL_UI": "maybe"}, want: "invalid TEMPORAL_UI"},
			{env: map[string]string{"TEMPORAL_RETENTION": "week"}, want: "invalid TEMPORAL_RETENTION"},
		} {
			_, err := parseOptions(tc.args, env(tc.env), io.Discard)
			require.ErrorContains(t, err, tc.want, "args %v env %v", tc.args, tc.env)
		}
	})
}

func TestSQLitePrepareIsIdempotent(t *testing.T) {
	dbFile := filepath.Join(t.TempDir(), "a", "b", "temporal.db")
	st, err := newSQLiteStore(dbFile, 0, 0)
	require.NoError(t, err)
	ns := namespaceSpec{Name: "default", Retention: defaultRetention, SearchAttributes: searchAttributes}
	require.NoError(t, st.prepare(ns, clusterName))
	require.FileExists(t, dbFile)
	require.NoError(t, st.prepare(ns, clusterName), "second prepare on the same file")
}

func TestUnknownStoreIsRejected(t *testing.T) {
	_, err := newStore(options{Store: "mysql"})
	require.ErrorContains(t, err, `unknown store "mysql"`)
}

// TestTuneGC: the devserver's GC defaults apply where the environment sets nothing, and an
// operator's GOGC or GOMEMLIMIT is left alone.
func TestTuneGC(t *testing.T) {
	defer debug.SetGCPercent(debug.SetGCPercent(100))
	defer debug.SetMemoryLimit(debug.SetMemoryLimit(-1))

	debug.SetGCPercent(100)
	debug.SetMemoryLimit(math.MaxInt64)
	percent, limit := tuneGC(func(string) string { return "" }, 0)
	want := int64(1<<30 + defaultHistoryCache*96<<10)
	if percent != gcPercent || limit != want {
		t.Fatalf("tuneGC set %d, %d; want %d, %d", percent, limit, gcPercent, want)
	}
	if got := debug.SetGCPercent(100); got != gcPercent {
		t.Fatalf("GOGC is %d, want %d", got, gcPercent)
	}
	if got := debug.SetMemoryLimit(-1); got != want {
		t.Fatalf("memory limit is %d, want %d", got, want)
	}
	// The limit follows --history-cache-entries: a smaller cache, a smaller heap.
	if _, limit := tuneGC(func(string) string { return "" }, 1000); limit != 1<<30+1000*96<<10 {
		t.Fatalf("limit for a cache of 1,000 = %d", limit)
	}
	if got := debug.SetMemoryLimit(-1); got != 1<<30+1000*96<<10 {
		t.Fatalf("memory limit is %d for a cache of 1,000", got)
	}
	debug.SetGCPercent(100)

	debug.SetMemoryLimit(math.MaxInt64)
	env := map[string]string{"GOGC": "150", "GOMEMLIMIT": "2GiB"}
	percent, limit = tuneGC(func(k string) string { return env[k] }, 32768)
	if percent != 0 || limit != 0 {
		t.Fatalf("tuneGC set %d, %d over the environment's", percent, limit)
	}
	if got := debug.SetGCPercent(100); got != 100 {
		t.Fatalf("GOGC changed to %d over the environment's", got)
	}
	if got := debug.SetMemoryLimit(-1); got != math.MaxInt64 {
		t.Fatalf("memory limit changed to %d over the environment's", got)
	}
}

// TestUITLS_SaysWhatTheBase64KeyIs: on a guarded frontend the web UI gets the internal client
// certificate and key as base64 PEM, and the devserver logs what they are (the UI server's own
// "Loaded TLS key from base64" says nothing more), without the key.
func TestUITLS_SaysWhatTheBase64KeyIs(t *testing.T) {
	core, logs := observer.New(zap.InfoLevel)
	plain := uiTLS(tlsFiles{Cert: "c.pem", Key: "k.pem", CA: "ca.pem"}, zap.New(core))
	require.Equal(t, "ca.pem", plain.CaFile)
	require.Empty(t, plain.KeyData)
	require.Zero(t, logs.Len(), "nothing handed over, nothing to say")

	id, err := newInternalIdentity()
	require.NoError(t, err)
	guarded := uiTLS(tlsFiles{Cert: "c.pem", Key: "k.pem", CA: "ca.pem", APIKey: "secret", internal: id}, zap.New(core))
	require.Equal(t, b64(id.keyPEM), guarded.KeyData)
	require.Equal(t, b64(id.certPEM), guarded.CertData)
	entries := logs.All()
	require.Len(t, entries, 1)
	require.Contains(t, entries[0].Message, "Loaded TLS key from base64")
	f := entries[0].ContextMap()
	require.Equal(t, "egovpm devserver", f["subject"])
	require.Equal(t, "egovpm devserver internal CA", f["issuer"])
	require.Contains(t, f, "not_after")
	for _, v := range f {
		s := fmt.Sprint(v)
		require.NotContains(t, s, "PRIVATE KEY")
		require.NotContains(t, s, guarded.KeyData)
		require.NotContains(t, s, "secret")
	}
}
