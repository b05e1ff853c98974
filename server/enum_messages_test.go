package main

import (
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"egovpm/internal/apperr"
	"egovpm/internal/config"
	"egovpm/internal/domain"
)

// fieldsOf is the field messages of a 400 invalid_input answer.
func fieldsOf(t *testing.T, r reply) map[string]any {
	t.Helper()
	require.Equal(t, http.StatusBadRequest, r.Status, "%v", r.Body)
	require.Equal(t, "invalid_input", r.code(), "the code stays stable")
	e, _ := r.Body["error"].(map[string]any)
	f, _ := e["fields"].(map[string]any)
	require.NotNil(t, f, "%v", r.Body)
	return f
}

// TestEnumMessages_Chinese: a value outside a fixed vocabulary is refused with a Chinese message
// that names the allowed values by their Chinese names, each with the code the request must send
// (roles, organisation kinds; the validator's oneof fields); the error code stays invalid_input.
func TestEnumMessages_Chinese(t *testing.T) {
	t.Parallel()
	is := newIdentityServer(t)
	drb1 := is.login("drb1", config.DefaultDemoPassword)
	admin := is.login("admin", config.DefaultDemoPassword)
	roles := "取值必须是其中之一：申报单位经办人（submitter）、数管局审核人员（drb_reviewer）、数管局主管（drb_supervisor）、" +
		"评审专家（expert）、发改委审批人（ndrc_approver）、市政府审批人（citygov_approver）、公管局见证人（prta_witness）、" +
		"财政局（finance）、密码管理局（crypto）、审计局（audit）、运维人员（ops）、系统管理员（admin）"
	orgKinds := "取值必须是其中之一：项目建设单位（unit）、市数管局（drb）、市发改委（ndrc）、市财政局（finance）、市密码管理局（crypto）、" +
		"市公管局（prta）、市审计局（audit）、市政府（citygov）、专家（expert）、运维（ops）"

	require.Equal(t, roles, fieldsOf(t, is.do(drb1, http.MethodGet, "/api/v1/users?role=king", ""))["role"])
	require.Equal(t, roles, fieldsOf(t, is.do(admin, http.MethodPost, "/api/v1/users",
		`{"username":"dave","name":"李四","org_id":"unit-a","roles":["king"],"password":"Str0ng-password!"}`))["roles"])
	require.Equal(t, orgKinds, fieldsOf(t, is.do(drb1, http.MethodGet, "/api/v1/orgs?kind=bank", ""))["kind"])
	require.Equal(t, orgKinds, fieldsOf(t, is.do(admin, http.MethodPost, "/api/v1/orgs", `{"id":"unit-d","name":"x","kind":"bank"}`))["kind"])
}

// TestOneOfMessage_NamesEachField: the validator's oneof message of each enum field.
func TestOneOfMessage_NamesEachField(t *testing.T) {
	for _, tc := range []struct {
		v     any
		field string
		want  string
	}{
		{&decisionReq{Decision: "maybe"}, "decision", "取值必须是其中之一：通过（approve）、退回修改（return）、不予通过（reject）、通过（pass）、不通过（fail）"},
		{&decisionReq{Decision: "approve", Grade: "top"}, "grade", "取值必须是其中之一：优秀（excellent）、良好（good）、一般（fair）、较差（poor）"},
		{&confirmPaymentReq{Decision: "maybe"}, "decision", "取值必须是其中之一：确认（confirm）、退回（reject）"},
		{&adjustReq{Reason: "调整", Changes: []adjustChangeReq{{ProjectID: "p-1", Action: "swap"}}}, "changes[0].action",
			"取值必须是其中之一：增补列入（add）、移出计划（remove）、调整金额（amount）"},
		{&changeReq{Kind: "colour"}, "kind", "取值必须是其中之一：建设内容（scope）、投资金额（amount）、承建单位（vendor）、建设周期（schedule）"},
		{&resetReq{To: "first"}, "to", "取值必须是其中之一：最后一个正常的工作流任务（last_good）"},
		{&createProjectReq{Deployment: "cloud"}, "deployment", "取值必须是其中之一：市政务云平台（gov_cloud）、自建机房或独立部署（self_built）、不涉及部署（none）"},
		{&createProjectReq{SharedPlatforms: []string{"data_platform", "wechat"}}, "shared_platforms[1]",
			"取值必须是其中之一：江淮大数据中心六安市子平台（data_platform）、一体化在线政务服务平台（皖事通办）（service_platform）"},
		{&drawReq{Specialty: "law"}, "specialty", "取值必须是其中之一：软件与信息系统（software）、网络与信息安全（security）、数据资源（data）、基础设施与云（infrastructure）"},
	} {
		err := validateStruct(tc.v)
		e, ok := apperr.As(err)
		require.True(t, ok, "%T: %v", tc.v, err)
		require.Equal(t, "invalid_input", e.Code)
		require.Equal(t, tc.want, e.Fields[tc.field], "%T: %v", tc.v, e.Fields)
	}
	require.Equal(t, "取值必须是其中之一：a、b", oneOfMessage([]string{"a", "b"}, nil), "values without names keep their codes")
}

// TestOneOfNames_Complete: every value of every oneof field of the gateway's requests has a
// Chinese name in oneOfNames, so no message lists bare codes (a new enum field needs its names).
func TestOneOfNames_Complete(t *testing.T) {
	files, err := filepath.Glob("*.go")
	require.NoError(t, err)
	tag := regexp.MustCompile("json:\"([a-z_]+)[,\"].*validate:\"[^\"]*oneof=([^,\"]+)")
	n := 0
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		src, err := os.ReadFile(f)
		require.NoError(t, err)
		for _, m := range tag.FindAllStringSubmatch(string(src), -1) {
			n++
			for _, v := range strings.Fields(m[2]) {
				require.NotEmpty(t, oneOfNames[m[1]][v], "%s: %s=%s has no Chinese name in oneOfNames", f, m[1], v)
			}
		}
	}
	require.GreaterOrEqual(t, n, 11, "the oneof fields found")
}

// TestMerged_PanicsOnOverlap: merged refuses maps whose keys overlap rather than name a value by
// whichever map came last, so a clash in oneOfNames (built with merged when the package
// initialises) fails every test of the gateway. The maps merged there today are disjoint.
func TestMerged_PanicsOnOverlap(t *testing.T) {
	require.PanicsWithValue(t, `merged: key "om" is in two maps ("运维", "运维（项目）")`, func() {
		merged(map[string]string{"ops": "运维人员", "om": "运维"}, map[string]string{"om": "运维（项目）"})
	})
	require.Equal(t, map[string]string{"a": "甲", "b": "乙"}, merged(map[string]string{"a": "甲"}, map[string]string{"b": "乙"}))
	require.NotPanics(t, func() {
		merged(domain.DecisionNames, map[string]string{"confirm": "确认"})
		merged(domain.OrgKindNames, domain.ChangeKindNames)
	})
}
