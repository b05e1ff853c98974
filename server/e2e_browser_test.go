package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel"
	"go.uber.org/zap"

	"egovpm/internal/auth"
	"egovpm/internal/tracing"
	"egovpm/web"
)

// TestBrowserE2E runs the web UI's browser tests (web/e2e, Playwright driving Debian's
// chromium) against one real stack: the devserver, the production worker, the gateway serving
// the embedded UI on a loopback port, and PostgreSQL with the demo seed. It fails, never skips,
// when the UI was not built into this binary, when chromium is missing or when npm's packages
// are not installed (`make test` builds the UI and installs them first). Playwright's output is
// the failure message; screenshots land in web/test-results/screens/.
func TestBrowserE2E(t *testing.T) {
	if _, built := web.UI(); !built {
		t.Fatal("the gateway embeds only the placeholder page: build the UI first (`make ui`; `make test` does)")
	}
	chromium := os.Getenv("CHROMIUM_PATH")
	if chromium == "" {
		chromium = "/usr/bin/chromium"
	}
	if _, err := os.Stat(chromium); err != nil {
		t.Fatalf("chromium not found at %s (apt-get install chromium fonts-noto-cjk; .ci/run does): %v", chromium, err)
	}
	webDir, err := filepath.Abs("../web")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(webDir, "node_modules", "@playwright", "test")); err != nil {
		t.Fatalf("web/node_modules lacks @playwright/test: run `make ui` (npm ci) first: %v", err)
	}

	// The dev-only test policy: the 2021 rules with a trial run of seconds (R11) and short O&M
	// years (R13), so delivery runs to O&M within the test.
	// Tracing as the gateway and worker run it by default (on, no exporter: tracing.Setup with
	// no OTEL_* variable), so the audit rows carry trace ids and 审计日志 shows them (issue 21).
	prevTP, prevProp := otel.GetTracerProvider(), otel.GetTextMapPropagator()
	tr, err := tracing.Setup(context.Background(), func(string) string { return "" }, "egovpm-gateway", zap.NewNop())
	require.NoError(t, err)
	t.Cleanup(func() {
		_ = tr.Shutdown(context.Background())
		otel.SetTracerProvider(prevTP)
		otel.SetTextMapPropagator(prevProp)
	})
	s := newStack(t, "test")
	env := []string{}
	delivery := ""
	if os.Getenv("EGOVPM_UI_BENCH") != "" {
		seedBenchInbox(t, s)
	} else {
		env = append(listsFixture(t, s), seedOverdue(t, s)...)
		delivery = deliveryFixture(t, s)
	}
	// A ceiling for a hung run, not a speed goal: the suite takes about 8 minutes on a quiet
	// machine and 12 when other builds share its two cores (make test's -timeout is 25m).
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	args := []string{"playwright", "test"}
	if grep := os.Getenv("EGOVPM_E2E_GREP"); grep != "" {
		args = append(args, "--grep", grep)
	}
	cmd := exec.CommandContext(ctx, "npx", args...)
	cmd.Dir = webDir
	cmd.Env = append(os.Environ(),
		"EGOVPM_BASE_URL="+s.http.URL,
		"CHROMIUM_PATH="+chromium,
		fmt.Sprintf("EGOVPM_PLAN_YEAR=%d", futureYear()),
		// The plan and approval screens' own year (issue 18): a plan is one workflow per year.
		fmt.Sprintf("EGOVPM_PLAN_YEAR_2=%d", futureYear()),
		// The task turns' screens (issue 19 item 6: the expert draw) have theirs too.
		fmt.Sprintf("EGOVPM_PLAN_YEAR_3=%d", futureYear()),
		"EGOVPM_E2E_DELIVERY="+delivery,
		"PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1",
		"CI=1",
	)
	cmd.Env = append(cmd.Env, env...)
	start := time.Now()
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("browser tests failed (%v) after %s:\n%s", err, time.Since(start).Round(time.Second), out)
	}
	t.Logf("browser tests passed in %s:\n%s", time.Since(start).Round(time.Second), lastLines(string(out), 40))
}

// seedOverdue makes three projects' preliminary reviews overdue (T2), as the ops tests do
// (server/ops_e2e_test.go: the task's due date moved into the past): one for the supervisor's
// 转办 on 逾期督办, one that ops finds stuck (O1, task_overdue) and resets from 运维监控, and
// one claimed by drb1 that the unit urges (催办, issue 19). It returns their names and ids for
// the browser tests.
func seedOverdue(t *testing.T, s *stack) []string {
	year := futureYear()
	var env []string
	for _, v := range []struct{ name, key string }{{"逾期督办测试：学籍管理系统", "REASSIGN"}, {"运维重置测试：校车监管平台", "STUCK"},
		{"催办测试：校园安全监控平台", "URGE"}} {
		p := s.createProject("alice", v.name, year, 100_000_000)
		s.submit("alice", p)
		task := s.openTask("drb1", p, "prelim_review")
		_, err := s.store.DB().Exec(`UPDATE tasks SET due_at = now() - interval '3 days' WHERE id = $1`, task)
		if err != nil {
			t.Fatal(err)
		}
		if v.key == "URGE" { // held by drb1: the unit urges its assignee (issue 19 item 6)
			if r := s.do("drb1", http.MethodPost, "/api/v1/tasks/"+task+"/claim", nil, nil); r.Status != http.StatusOK {
				t.Fatalf("claim %s: %s", task, r.Raw)
			}
		}
		env = append(env, "EGOVPM_E2E_"+v.key+"_NAME="+v.name, "EGOVPM_E2E_"+v.key+"_ID="+p)
	}
	return env
}

// deliveryFixture sets up, through the API, the projects the browser tests start from in a
// later stage than their own steps reach (issue 18's chain, web/e2e/lifecycle.spec.ts, makes its
// two projects through the screens and needs none of these but the first): a draft of alice's
// whose plan year's submission window has closed (R8's special request, which lists.spec.ts
// finds too); projects in O&M and in construction for terminate.spec.ts; one approved for
// change.spec.ts (whose page workbench.spec.ts checks for similar projects, R16); one in O&M
// under a policy with an hour-long O&M year for extension.spec.ts. It returns them as JSON.
func deliveryFixture(t *testing.T, s *stack) string {
	t.Helper()
	tag := newID("")[:6]
	lateYear := pastYear()
	late := s.createProject("alice", "浏览器测试：应急指挥专题请示 "+tag, lateYear, 300_000_000)
	// In O&M, for terminate.spec.ts's 系统下线 (issue 19 item 4).
	om := s.approvedLarge("alice", "浏览器测试：老旧办公系统 "+tag, false)
	s.inOM("alice", om)
	// In construction, for terminate.spec.ts's 终止 with a final settlement (终止结算).
	built := s.approvedLarge("alice", "浏览器测试：停建的平台 "+tag, false)
	r := s.do("alice", http.MethodPost, "/api/v1/projects/"+built+"/contract", contractBody(900_000_000, "LA-B-"+built[len(built)-6:]), nil)
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Raw)
	change := s.approvedLarge("alice", "浏览器测试：智慧审批变更 "+tag, false) // web/e2e/change.spec.ts (项目变更)
	// In O&M under a test policy whose O&M year lasts an hour, for extension.spec.ts's 申请延期
	// (issue 19 item 4): the deadline stays ahead while the screens ask and decide.
	_, err := s.store.DB().Exec(`INSERT INTO policy_versions (version, effective_from, title, test_only, body)
		SELECT 'test-extend-ui', effective_from, '测试策略（运维年度 1 小时）', true,
			jsonb_set(body, '{version}', '"test-extend-ui"') || '{"om_year": "1h"}'::jsonb
		FROM policy_versions WHERE version = 'test'`)
	require.NoError(t, err)
	extend := s.approvedLargeUnder("alice", "浏览器测试：政务服务运维平台 "+tag, false, "test-extend-ui")
	s.inOM("alice", extend)
	name := func(id string) string {
		return s.do("drb1", http.MethodGet, "/api/v1/projects/"+id, nil, nil).str("name")
	}
	out, err := json.Marshal(map[string]map[string]string{
		"late":   {"id": late, "name": name(late), "year": strconv.Itoa(lateYear)},
		"om":     {"id": om, "name": name(om)},
		"built":  {"id": built, "name": name(built)},
		"change": {"id": change, "name": name(change)},
		"extend": {"id": extend, "name": name(extend)},
	})
	require.NoError(t, err)
	return string(out)
}

// listsFixture sets up, in SQL, what web/e2e/lists.spec.ts pages through: 55 expert reviews of
// plan year Y held by exp5 (more than 待办's page of 50) on projects of a unit no demo user
// belongs to, created a day ago and due in a year, so the other specs' lists show them last or
// not at all; and a user with TOTP that the spec signs in as (issue 17 screen 1). It returns
// them as environment variables for the spec.
func listsFixture(t *testing.T, s *stack) []string {
	t.Helper()
	year := futureYear()
	db := s.store.DB()
	_, err := db.Exec(`INSERT INTO orgs (id, name, kind) VALUES ('unit-paging', '市交通运输局', 'unit')`)
	require.NoError(t, err)
	_, err = db.Exec(`INSERT INTO projects (id, unit_id, name, type, plan_year, estimated_investment_fen, description, mlps_level, uses_crypto, created_by, stage, created_at)
		SELECT 'p-paging-' || g, 'unit-paging', '翻页测试：交通数据项目 ' || g, 'new', $1, 100000000, '说明', 2, false, 'u-alice', 'expert_review', now() - interval '1 day'
		FROM generate_series(1, 55) g`, year)
	require.NoError(t, err)
	_, err = db.Exec(`INSERT INTO tasks (id, kind, workflow_id, project_id, candidate_role, assignee_id, status, due_at)
		SELECT 't-paging-' || g, 'expert_review', 'project:p-paging-' || g, 'p-paging-' || g, 'expert', 'u-exp5', 'open', now() + interval '365 days' + g * interval '1 hour'
		FROM generate_series(1, 55) g`)
	require.NoError(t, err)

	user := "totp" + newID("")[:6]
	r := s.do("admin", http.MethodPost, "/api/v1/users", map[string]any{"username": user, "name": "秦动态",
		"org_id": "unit-b", "roles": []string{"submitter"}, "password": "Totp-Passw0rd1"}, nil)
	require.Equal(t, http.StatusCreated, r.Status, "%s", r.Raw)
	key, err := auth.GenerateTOTP(user)
	require.NoError(t, err)
	_, err = db.Exec(`UPDATE users SET totp_secret = $2, must_change_password = false WHERE id = $1`, r.str("id"), key.Secret())
	require.NoError(t, err)
	return []string{fmt.Sprintf("EGOVPM_E2E_PAGING_YEAR=%d", year), "EGOVPM_E2E_TOTP_USER=" + user,
		"EGOVPM_E2E_TOTP_SECRET=" + key.Secret(), "EGOVPM_E2E_TOTP_PASSWORD=Totp-Passw0rd1"}
}

// seedBenchInbox gives drb1 50 open tasks on 50 projects (make ui-bench measures 待办 with them).
func seedBenchInbox(t *testing.T, s *stack) {
	_, err := s.store.DB().Exec(`INSERT INTO projects (id, unit_id, name, type, plan_year, estimated_investment_fen, description, mlps_level, uses_crypto, created_by, stage)
		SELECT 'p-bench-' || g, 'unit-a', '性能测试项目 ' || g, 'new', 2090, 100000000, '说明', 2, false, 'u-alice', 'prelim_review' FROM generate_series(1, 50) g`)
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.store.DB().Exec(`INSERT INTO tasks (id, kind, workflow_id, project_id, candidate_role, status, due_at)
		SELECT 't-bench-' || g, 'prelim_review', 'project:p-bench-' || g, 'p-bench-' || g, 'drb_reviewer', 'open', now() + g * interval '1 hour'
		FROM generate_series(1, 50) g`)
	if err != nil {
		t.Fatal(err)
	}
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
