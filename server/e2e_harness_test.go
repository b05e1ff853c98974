package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"
	"go.uber.org/zap"

	"egovpm/internal/config"
	"egovpm/internal/logging"
	"egovpm/internal/platform"
	"egovpm/internal/seed"
	"egovpm/internal/store"
	"egovpm/internal/testdb"
	"egovpm/internal/testenv"
	"egovpm/worker/setup"
)

// stack is the whole platform on real parts: the devserver subprocess, a fresh PostgreSQL
// database with the demo seed, the production worker (in process, on its own task queue) and
// the gateway over httptest.
type stack struct {
	t        *testing.T
	srv      *Server
	http     *httptest.Server
	store    *store.Store
	temporal client.Client
	tokens   map[string]string
	// unavailable lets the next responses be 503 (a test of a dependency outage); any other
	// 5xx fails the test, as every 5xx does otherwise.
	unavailable bool
	// url and queue are the stack's database and task queue; stop stops its worker and
	// gateway (restart).
	url, queue string
	stop       func()
	// metrics and workerMetrics are the gateway's and the worker's registries: each has its
	// own connections, as the two processes do.
	metrics, workerMetrics *prometheus.Registry
	// mailDir is where the gateway's mail goes (NOTIFY_MAIL_DIR: one file a message), as on a
	// machine with no relay: the browser tests read an address's confirmation code there.
	mailDir string
}

// devAddr is the devserver shared by this package's tests (started once in TestMain), and
// devMetricsAddr its Prometheus endpoint.
var devAddr, devMetricsAddr string

func TestMain(m *testing.M) {
	os.Exit(runMain(m))
}

func runMain(m *testing.M) int {
	dir, err := os.MkdirTemp("", "egovpm-devserver-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	if devMetricsAddr, err = testenv.FreeAddr(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		cancel()
		return 1
	}
	d, err := testenv.StartDevserver(ctx, dir, "", "--metrics-addr", devMetricsAddr)
	cancel()
	if err != nil {
		// A missing Temporal fails the run: integration tests never skip.
		fmt.Fprintln(os.Stderr, "devserver:", err)
		return 1
	}
	defer d.Stop()
	devAddr = d.Addr
	return m.Run()
}

// newStack starts a worker and a gateway over a fresh database, with the given policy in force.
func newStack(t *testing.T, policy string) *stack {
	t.Helper()
	return newStackLoggingTo(t, policy, nil)
}

// newStackLoggingTo is newStack with the gateway and the worker logging to log (nil: as
// newStackLogged).
func newStackLoggingTo(t *testing.T, policy string, log *zap.Logger) *stack {
	t.Helper()
	return newStackLogged(t, policy, testdb.URL(t), "egovpm-test-"+newID(""), log)
}

// restart stops s's worker and gateway and starts new ones on the same database and task
// queue with policy in force (EGOVPM_POLICY), as an operator's configuration change does.
func (s *stack) restart(t *testing.T, policy string) *stack {
	t.Helper()
	s.stop()
	return newStackOn(t, policy, s.url, s.queue)
}

// newStackOn is newStack on the database at url and the task queue queue.
func newStackOn(t *testing.T, policy, url, queue string) *stack {
	t.Helper()
	return newStackLogged(t, policy, url, queue, nil)
}

// newStackLogged is newStackOn with the gateway and the worker logging to log (nil: nowhere,
// or with EGOVPM_TEST_LOG set to stderr).
func newStackLogged(t *testing.T, policy, url, queue string, log *zap.Logger) *stack {
	t.Helper()
	mailDir := t.TempDir()
	cfg, err := config.Load(func(k string) string {
		return map[string]string{
			"NOTIFY_MAIL_DIR": mailDir,
			"DATABASE_URL":    url, "TEMPORAL_ADDRESS": devAddr, "TEMPORAL_TASK_QUEUE": queue,
			"DATA_DIR": t.TempDir(), "EGOVPM_POLICY": policy, "EGOVPM_AUDIT_KEY": testdb.AuditKey, "LOG_LEVEL": "error",
			// Tests drive many decisions per user; TestDecisionRateLimit checks the limiter itself.
			"EGOVPM_DECISION_BURST": "100000",
		}[k]
	})
	require.NoError(t, err)
	if log == nil {
		log = zap.NewNop()
		if os.Getenv("EGOVPM_TEST_LOG") != "" {
			log, _ = logging.New("debug")
		}
	}
	ctx := context.Background()
	deps, err := platform.Connect(ctx, cfg, log)
	require.NoError(t, err)
	t.Cleanup(deps.Close)
	require.NoError(t, useInboxPool(ctx, cfg, deps.Store), "the inbox pool, as the gateway's main sets it up")
	require.NoError(t, seed.Demo(ctx, deps.Store, cfg.DemoPassword))

	wdeps, err := platform.Connect(ctx, cfg, log)
	require.NoError(t, err)
	t.Cleanup(wdeps.Close)
	w := setup.NewWorker(wdeps.Temporal, queue, wdeps.Store, log)
	require.NoError(t, w.Start())
	var once sync.Once
	stopWorker := func() { once.Do(w.Stop) }
	t.Cleanup(stopWorker)

	srv, err := New(cfg, deps, log)
	require.NoError(t, err)
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(hs.Close)
	s := &stack{t: t, srv: srv, http: hs, store: deps.Store, temporal: deps.Temporal, tokens: map[string]string{},
		url: url, queue: queue, stop: func() { stopWorker(); hs.Close() }, metrics: deps.Metrics, workerMetrics: wdeps.Metrics, mailDir: mailDir}
	t.Cleanup(func() {
		if !t.Failed() {
			s.recordHistories(t, queue)
		}
	})
	return s
}

type resp struct {
	Status int
	Body   map[string]any
	Raw    []byte
}

func (r resp) str(path ...string) string {
	var v any = r.Body
	for _, p := range path {
		m, _ := v.(map[string]any)
		v = m[p]
	}
	s, _ := v.(string)
	return s
}

func (r resp) code() string { return r.str("error", "code") }

func (s *stack) token(user string) string {
	if tok, ok := s.tokens[user]; ok {
		return tok
	}
	r := s.do("", http.MethodPost, "/api/v1/auth/login", map[string]any{"username": user, "password": config.DefaultDemoPassword}, nil)
	require.Equal(s.t, http.StatusOK, r.Status, "login %s: %s", user, r.Raw)
	s.tokens[user] = r.str("token")
	return s.tokens[user]
}

// do sends a JSON request as user ("" for none).
func (s *stack) do(user, method, path string, body any, hdr map[string]string) resp {
	s.t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		require.NoError(s.t, err)
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, s.http.URL+path, rd)
	require.NoError(s.t, err)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if user != "" {
		req.Header.Set("Authorization", "Bearer "+s.token(user))
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	return s.send(req)
}

func (s *stack) send(req *http.Request) resp {
	s.t.Helper()
	res, err := http.DefaultClient.Do(req)
	require.NoError(s.t, err)
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	require.NoError(s.t, err)
	out := resp{Status: res.StatusCode, Raw: raw}
	_ = json.Unmarshal(raw, &out.Body)
	if !(s.unavailable && res.StatusCode == http.StatusServiceUnavailable) {
		require.Less(s.t, res.StatusCode, 500, "%s %s → %d %s", req.Method, req.URL.Path, res.StatusCode, raw)
	}
	return out
}

// upload sends a multipart document upload.
func (s *stack) upload(user, projectID, kind string, content []byte) resp {
	s.t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	require.NoError(s.t, mw.WriteField("kind", kind))
	fw, err := mw.CreateFormFile("file", kind+".pdf")
	require.NoError(s.t, err)
	_, _ = fw.Write(content)
	require.NoError(s.t, mw.Close())
	req, err := http.NewRequest(http.MethodPost, s.http.URL+"/api/v1/projects/"+projectID+"/documents", &buf)
	require.NoError(s.t, err)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Authorization", "Bearer "+s.token(user))
	return s.send(req)
}

var pdf = []byte("%PDF-1.7\n% egovpm test document\n%%EOF\n")

// createProject creates and returns a draft's id.
func (s *stack) createProject(user, name string, year int, fen int64) string {
	s.t.Helper()
	r := s.do(user, http.MethodPost, "/api/v1/projects", map[string]any{
		"name": name, "type": "new", "plan_year": year, "estimated_investment_fen": fen,
		"description": name + "：建设内容说明", "mlps_level": 2, "uses_crypto": false,
	}, nil)
	require.Equal(s.t, http.StatusCreated, r.Status, "%s", r.Raw)
	return r.str("id")
}

// stage polls the project's stage until it equals want (workflow steps after a signal are
// asynchronous to the request that caused them).
func (s *stack) waitStage(user, projectID, want string) {
	s.t.Helper()
	require.EventuallyWithT(s.t, func(c *assertT) {
		r := s.do(user, http.MethodGet, "/api/v1/projects/"+projectID, nil, nil)
		assertEqual(c, want, r.str("stage"))
	}, 20*time.Second, 50*time.Millisecond, "project %s never reached stage %s", projectID, want)
}

// openTask returns the id of the open task of kind on project visible to user, waiting for it.
func (s *stack) openTask(user, projectID, kind string) string {
	s.t.Helper()
	var id string
	require.EventuallyWithT(s.t, func(c *assertT) {
		r := s.do(user, http.MethodGet, "/api/v1/tasks?kind="+kind+"&project_id="+projectID, nil, nil)
		items, _ := r.Body["items"].([]any)
		if assertLen(c, items, 1) {
			id, _ = items[0].(map[string]any)["id"].(string)
		}
	}, 20*time.Second, 50*time.Millisecond, "no open %s task on %s for %s", kind, projectID, user)
	return id
}

func (s *stack) decide(user, taskID string, body map[string]any, hdr map[string]string) resp {
	return s.do(user, http.MethodPost, "/api/v1/tasks/"+taskID+"/decision", body, hdr)
}
