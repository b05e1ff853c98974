package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"egovpm/internal/auth"
)

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

// seedMailRefused gives crypto1 a mistyped address and a notification whose mail the relay
// refused for good (what the SMTP sender records on a 5xx): mail-settings.spec shows the person
// being told and correcting it. The relay itself is not part of the browser stack.
func seedMailRefused(t *testing.T, s *stack) {
	_, err := s.store.DB().Exec(`UPDATE users SET email = 'heming@luan.gov', email_changed_at = now() - interval '1 day' WHERE id = 'u-crypto1';
		INSERT INTO notifications (id, user_id, kind, title, body, failed_at, failure)
		VALUES ('e2e-refused#0:u-crypto1', 'u-crypto1', 'task', '新待办：密码应用方案审查——邮件退信测试', '请于三日内办理。',
			now() - interval '2 hours', '550 5.1.2 <heming@luan.gov>: Recipient address rejected: Domain not found')`)
	if err != nil {
		t.Fatal(err)
	}
}

// projectFixtures sets up, through the API, the projects the browser tests start from in a
// later stage than their own steps reach (issue 18's chain, web/e2e/lifecycle.spec.ts, makes its
// two projects through the screens and needs none of these but the first): a draft of alice's
// whose plan year's submission window has closed (R8's special request, which lists.spec.ts
// finds too); projects in O&M and in construction for terminate.spec.ts; one approved for
// change.spec.ts (whose page workbench.spec.ts checks for similar projects, R16); one under
// contract for mobile.spec.ts's 付款确认 on a phone; one in O&M
// under a policy with an hour-long O&M year for extension.spec.ts (the O&M one for
// terminate.spec.ts is under it too). It returns them as JSON.
func projectFixtures(t *testing.T, s *stack) string {
	t.Helper()
	tag := newID("")[:6]
	lateYear := pastYear()
	late := s.createProject("alice", "浏览器测试：应急指挥专题请示 "+tag, lateYear, 300_000_000)
	// In construction, for terminate.spec.ts's 终止 with a final settlement (终止结算).
	built := s.approvedLarge("alice", "浏览器测试：停建的平台 "+tag, false)
	r := s.do("alice", http.MethodPost, "/api/v1/projects/"+built+"/contract", contractBody(900_000_000, "LA-B-"+built[len(built)-6:]), nil)
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Raw)
	change := s.approvedLarge("alice", "浏览器测试：智慧审批变更 "+tag, false) // web/e2e/change.spec.ts (项目变更)
	// Contracted, for mobile.spec.ts's 付款确认 on a phone: the spec records the payment.
	paying := s.approvedLarge("alice", "浏览器测试：手机付款确认平台 "+tag, false)
	r = s.do("alice", http.MethodPost, "/api/v1/projects/"+paying+"/contract", contractBody(900_000_000, "LA-P-"+paying[len(paying)-6:]), nil)
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Raw)
	// In O&M under a test policy whose O&M year lasts an hour, for extension.spec.ts's 申请延期
	// (issue 19 item 4): the deadline stays ahead while the screens ask and decide.
	_, err := s.store.DB().Exec(`INSERT INTO policy_versions (version, effective_from, title, test_only, body)
		SELECT 'test-extend-ui', effective_from, '测试策略（运维年度 1 小时）', true,
			jsonb_set(body, '{version}', '"test-extend-ui"') || '{"om_year": "1h"}'::jsonb
		FROM policy_versions WHERE version = 'test'`)
	require.NoError(t, err)
	extend := s.approvedLargeUnder("alice", "浏览器测试：政务服务运维平台 "+tag, false, "test-extend-ui")
	s.inOM("alice", extend)
	// In O&M, for terminate.spec.ts's 系统下线 (issue 19 item 4), under the same hour-long O&M
	// year: under the test policy's 6 s its run would continue as new some 80 times during the
	// suite and send alice's unit as many overdue notices. A retirement during a year's close
	// is TestE2E_TerminateAndRetire's, under the 6-s year.
	om := s.approvedLargeUnder("alice", "浏览器测试：老旧办公系统 "+tag, false, "test-extend-ui")
	s.inOM("alice", om)
	name := func(id string) string {
		return s.do("drb1", http.MethodGet, "/api/v1/projects/"+id, nil, nil).str("name")
	}
	out, err := json.Marshal(map[string]map[string]string{
		"late":   {"id": late, "name": name(late), "year": strconv.Itoa(lateYear)},
		"om":     {"id": om, "name": name(om)},
		"built":  {"id": built, "name": name(built)},
		"change": {"id": change, "name": name(change)},
		"extend": {"id": extend, "name": name(extend)},
		"paying": {"id": paying, "name": name(paying)},
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
