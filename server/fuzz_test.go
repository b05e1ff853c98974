package main

// Fuzz targets for request decoding and validation (issue 7, item 3): every JSON-body route of
// routeTable, and the keyset cursors of the list endpoints. They need neither PostgreSQL nor
// Temporal: each route runs what its handler runs on the body before it reaches the store or a
// workflow (bindJSON into the request type, then the pure checks the handler calls), behind
// the real Gin router and the real respondError. The property is the one of the issue: no body
// panics, and every refusal is a 4xx (400, 413 or 415), never a 5xx.
//
// The seed corpus (f.Add below and testdata/fuzz/<Target>/) runs in every plain `go test`; a
// real fuzzing run is `go test -run='^$' -fuzz=FuzzJSONEndpoints -fuzztime=30s ./server/`.
//
// Inputs that decode cleanly here but that the database would refuse (a NUL character in a
// string, a funds cursor year beyond PostgreSQL's integer) fail the targets: see fzFail.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/gin-gonic/gin"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"

	"egovpm/internal/apperr"
	"egovpm/internal/auth"
	"egovpm/internal/calendar"
	"egovpm/internal/domain"
	"egovpm/internal/store"
)

// fzFail reports an input that passes the gateway's checks but that PostgreSQL would refuse
// (a 500): text with U+0000 ("invalid byte sequence for encoding UTF8: 0x00"). bindJSON and
// store.DecodeCursor refuse those now; this is the regression check.
func fzFail(t *testing.T, format string, args ...any) {
	t.Helper()
	t.Errorf(format, args...)
}

// fzRoute is one JSON-body route and what its handler does with the body before the store.
type fzRoute struct {
	method, path string
	// decode decodes and checks the body like the handler; it returns the decoded request.
	decode func(s *Server, c *gin.Context) (any, error)
}

// fzBind binds T with bindJSON, then runs the handler's pure checks (then may be nil).
func fzBind[T any](then func(s *Server, req *T) error) func(*Server, *gin.Context) (any, error) {
	return func(s *Server, c *gin.Context) (any, error) {
		req := new(T)
		if err := bindJSON(c, req); err != nil {
			return req, err
		}
		if then != nil {
			return req, then(s, req)
		}
		return req, nil
	}
}

// fzOptional is a handler that reads a body only when one is sent (ContentLength > 0, or != 0
// for createBundle): an empty request is not decoded.
func fzOptional[T any](nonZero bool) func(*Server, *gin.Context) (any, error) {
	bind := fzBind[T](nil)
	return func(s *Server, c *gin.Context) (any, error) {
		if (nonZero && c.Request.ContentLength == 0) || (!nonZero && c.Request.ContentLength <= 0) {
			return nil, nil
		}
		return bind(s, c)
	}
}

// fzJSONRoutes lists every route whose handler reads a JSON body. TestFuzzRoutesCoverRouteTable
// keeps it in step with routeTable.
var fzJSONRoutes = []fzRoute{
	{http.MethodPost, "/api/v1/auth/login", fzBind[loginRequest](nil)},
	{http.MethodPost, "/api/v1/auth/password", fzBind[changePasswordReq](nil)},
	{http.MethodPut, "/api/v1/me/mail-settings", fzBind(func(_ *Server, r *mailSettingsReq) error { return r.check() })},
	{http.MethodPost, "/api/v1/me/mail-settings/confirm", fzBind[emailCodeReq](nil)},
	{http.MethodPost, "/api/v1/users", fzBind[createUserRequest](nil)},
	{http.MethodPost, "/api/v1/orgs", fzBind[createOrgRequest](nil)},
	{http.MethodPatch, "/api/v1/users/:id", fzBind(func(_ *Server, r *updateUserRequest) error { _, err := r.check(); return err })},
	{http.MethodPost, "/api/v1/users/:id/reset-password", fzBind[resetPasswordRequest](func(_ *Server, r *resetPasswordRequest) error {
		return auth.CheckPasswordPolicy(r.Password)
	})},
	{http.MethodPost, "/api/v1/users/:id/unlock", fzOptional[struct{}](true)},
	{http.MethodPost, "/api/v1/projects", fzBind[createProjectReq](nil)},
	{http.MethodPatch, "/api/v1/projects/:id", fzBind[patchProjectReq](nil)},
	{http.MethodPost, "/api/v1/projects/:id/contract", fzBind(fzContractChecks)},
	{http.MethodPost, "/api/v1/projects/:id/construction-complete", fzOptional[struct{}](false)},
	{http.MethodPost, "/api/v1/projects/:id/acceptance-application", fzOptional[struct{}](false)},
	{http.MethodPost, "/api/v1/projects/:id/om-reports", fzBind[omReportReq](nil)},
	{http.MethodPost, "/api/v1/projects/:id/payments", fzBind(func(s *Server, req *recordPaymentReq) error {
		_, err := s.parsePaidOn(req.PaidOn)
		return err
	})},
	{http.MethodPost, "/api/v1/payments/:id/confirm", fzBind[confirmPaymentReq](nil)},
	{http.MethodPost, "/api/v1/tasks/:id/decision", fzBind[decisionReq](nil)},
	{http.MethodPost, "/api/v1/tasks/:id/reassign", fzBind[reassignReq](nil)},
	{http.MethodPost, "/api/v1/tasks/:id/delegate", fzBind[delegateReq](nil)},
	{http.MethodPost, "/api/v1/tasks/bulk-decision", fzBind(func(s *Server, req *bulkDecisionReq) error { return checkBulk(*req, "fz-key") })},
	{http.MethodPost, "/api/v1/tasks/bulk-reassign", fzBind(func(s *Server, req *bulkReassignReq) error { return checkBulkIDs(req.TaskIDs, "fz-key") })},
	{http.MethodPost, "/api/v1/tasks/:id/urge", fzOptional[urgeReq](true)},
	{http.MethodPost, "/api/v1/projects/:id/withdraw", fzOptional[withdrawReq](false)},
	{http.MethodPost, "/api/v1/projects/:id/changes", fzBind[changeReq](nil)},
	{http.MethodPost, "/api/v1/projects/:id/terminate", fzBind[closeReq](nil)},
	{http.MethodPost, "/api/v1/projects/:id/retire", fzBind[closeReq](nil)},
	{http.MethodPost, "/api/v1/projects/:id/termination-request", fzBind[termRequestReq](nil)},
	{http.MethodPost, "/api/v1/projects/:id/deadline-extension", fzBind[extensionReq](nil)},
	{http.MethodPost, "/api/v1/tasks/:id/deputize", fzBind[deputizeReq](nil)},
	{http.MethodPost, "/api/v1/absences", fzBind[absenceReq](nil)},
	{http.MethodPost, "/api/v1/tasks/:id/withdraw-decision", fzBind[withdrawDecisionReq](nil)},
	{http.MethodPost, "/api/v1/plans/:year/expert-sessions", fzBind[sessionReq](nil)},
	{http.MethodPost, "/api/v1/plans/:year/expert-draws", fzBind[drawReq](nil)},
	{http.MethodPost, "/api/v1/plans/:year/compile", fzBind[compileReq](nil)},
	{http.MethodPost, "/api/v1/plans/:year/compile-preview", fzBind[compileReq](nil)},
	{http.MethodPost, "/api/v1/plans/:year/bundles", fzOptional[bundleReq](true)},
	{http.MethodPost, "/api/v1/plans/:year/adjustments", fzBind[adjustReq](nil)},
	{http.MethodPost, "/api/v1/ops/workflows/:workflow_id/reset", fzBind[resetReq](nil)},
	{http.MethodPost, "/api/v1/ops/workflows/:workflow_id/activities/:activity_id/retry", fzBind[retryReq](nil)},
	{http.MethodPost, "/api/v1/ops/replay", fzReplay},
	{http.MethodPost, "/api/v1/ops/activity-failures/:id/resolve", fzBind[resolveReq](nil)},
}

// fzBodyless are the state-changing routes that read no JSON body (uploads are multipart and
// are covered by the document tests).
var fzBodyless = map[string]string{
	"POST /api/v1/auth/logout":                   "no body",
	"POST /api/v1/me/mail-settings/test":         "no body",
	"POST /api/v1/me/mail-settings/resend":       "no body",
	"POST /api/v1/projects/:id/submit":           "no body",
	"POST /api/v1/projects/:id/documents":        "multipart upload",
	"POST /api/v1/projects/:id/trial-run-report": "multipart upload",
	"POST /api/v1/tasks/:id/claim":               "no body",
	"POST /api/v1/notifications/:id/read":        "no body",
	"POST /api/v1/notifications/read-all":        "no body",
	"POST /api/v1/absences/:id/end":              "no body",
	"POST /api/v1/auth/refresh":                  "no body",
}

// fzContractChecks is registerContract's pure part: the signing date and the data three lists
// (R9) against the default field set.
func fzContractChecks(s *Server, req *contractReq) error {
	fields := map[string]string{}
	if _, err := time.ParseInLocation("2006-01-02", req.SignedOn, calendar.Shanghai); err != nil {
		fields["signed_on"] = "须为 YYYY-MM-DD 日期"
	}
	lists := domain.DataLists{
		Demand:         domain.DataList{Items: req.DataLists.Demand.Items, NoneReason: req.DataLists.Demand.NoneReason},
		Responsibility: domain.DataList{Items: req.DataLists.Responsibility.Items, NoneReason: req.DataLists.Responsibility.NoneReason},
		Negative:       domain.DataList{Items: req.DataLists.Negative.Items, NoneReason: req.DataLists.Negative.NoneReason},
	}
	// A broken invariant panics, so the fuzzer reports it with its reason.
	errs := domain.ValidateDataLists(lists, s.policy.ListFields())
	if errs == nil {
		panic("ValidateDataLists returned a nil map")
	}
	for name, l := range map[string]domain.DataList{"demand": lists.Demand, "responsibility": lists.Responsibility, "negative": lists.Negative} {
		if len(l.Items) == 0 && l.NoneReason == "" {
			if _, ok := errs["data_lists."+name]; !ok {
				panic("empty list accepted: " + name)
			}
		}
	}
	for k, v := range errs {
		if !strings.HasPrefix(k, "data_lists.") || v == "" {
			panic(fmt.Sprintf("ValidateDataLists error %q: %q", k, v))
		}
		fields[k] = v
	}
	if len(fields) > 0 {
		return apperr.Invalid(fields)
	}
	return nil
}

// fzReplay is replayHistories' pure part: bindReplay, then each history parsed.
func fzReplay(_ *Server, c *gin.Context) (any, error) {
	req, err := bindReplay(c)
	if err != nil {
		return &req, err
	}
	for i, raw := range req.Histories {
		h, err := client.HistoryFromJSON(bytes.NewReader(raw), client.HistoryJSONOptions{})
		if err != nil || len(h.GetEvents()) == 0 {
			return &req, apperr.Invalid(map[string]string{fmt.Sprintf("histories[%d]", i): "不是可读的工作流历史"})
		}
	}
	return &req, nil
}

// fzPath fills a route's parameters with plausible values.
var fzPath = strings.NewReplacer(":id", "p-fuzz", ":year", "2027", ":workflow_id", "project-p-fuzz", ":activity_id", "5")

// fzContentTypes are the Content-Type headers a fuzz input is sent with (index by a byte).
var fzContentTypes = []string{"application/json", "", "application/json; charset=utf-8", "text/plain", "application/x-www-form-urlencoded"}

func fzIsJSONType(ct string) bool {
	return ct == "" || strings.HasPrefix(ct, "application/json")
}

// fzHarness is a Gin engine with the JSON-body routes' paths whose handlers decode and answer
// 204, or the error through respondError. Without a recovery middleware a panic reaches the
// fuzzer.
type fzHarness struct {
	engine *gin.Engine
	last   any // the decoded request of the last 204 (fuzz inputs run one at a time)
}

func newFzHarness() *fzHarness {
	now := time.Date(2026, 7, 15, 10, 0, 0, 0, calendar.Shanghai)
	s := &Server{now: func() time.Time { return now }, policy: domain.Policy{}}
	h := &fzHarness{engine: gin.New()}
	h.engine.Use(requestID())
	for _, r := range fzJSONRoutes {
		h.engine.Handle(r.method, r.path, func(c *gin.Context) {
			v, err := r.decode(s, c)
			if err != nil {
				respondError(c, err)
				return
			}
			h.last = v
			c.Status(http.StatusNoContent)
		})
	}
	return h
}

// check sends body to every JSON-body route and asserts the fuzz properties.
func (h *fzHarness) check(t *testing.T, body []byte, ct string) {
	t.Helper()
	h.checkRoutes(t, fzJSONRoutes, body, ct)
}

func (h *fzHarness) checkRoutes(t *testing.T, routes []fzRoute, body []byte, ct string) {
	t.Helper()
	for _, r := range routes {
		req := httptest.NewRequest(r.method, fzPath.Replace(r.path), bytes.NewReader(body))
		if ct != "" {
			req.Header.Set("Content-Type", ct)
		}
		w := httptest.NewRecorder()
		h.last = nil
		h.engine.ServeHTTP(w, req)
		where := fmt.Sprintf("%s %s (Content-Type %q)", r.method, r.path, ct)
		switch w.Code {
		case http.StatusNoContent:
			if !fzIsJSONType(ct) && len(body) > 0 {
				t.Fatalf("%s: a %q body was accepted", where, ct)
			}
			fzCheckDecoded(t, where, h.last)
		case http.StatusBadRequest, http.StatusRequestEntityTooLarge, http.StatusUnsupportedMediaType:
			var eb errorBody
			require.NoError(t, json.Unmarshal(w.Body.Bytes(), &eb), "%s: error body %s", where, w.Body)
			require.NotEmpty(t, eb.Error.Code, "%s: %s", where, w.Body)
			require.NotEmpty(t, eb.Error.Message, "%s: %s", where, w.Body)
			require.NotEmpty(t, eb.Error.RequestID, "%s: %s", where, w.Body)
			if !fzIsJSONType(ct) && len(body) > 0 {
				require.Equal(t, http.StatusUnsupportedMediaType, w.Code, "%s: %s", where, w.Body)
			}
		default:
			t.Fatalf("%s: status %d for body %q: %s", where, w.Code, body, w.Body)
		}
	}
}

// fzCheckDecoded checks an accepted request: every string is valid UTF-8 (the JSON decoder
// guarantees it, and PostgreSQL needs it) and holds no U+0000 (PostgreSQL text refuses it).
func fzCheckDecoded(t *testing.T, where string, v any) {
	t.Helper()
	if v == nil {
		return
	}
	fzWalkStrings(reflect.ValueOf(v), "", func(path, s string) {
		if !utf8.ValidString(s) {
			t.Fatalf("%s: accepted invalid UTF-8 in %s: %q", where, path, s)
		}
		if strings.ContainsRune(s, 0) {
			fzFail(t, "%s: accepted U+0000 in %s: %q (PostgreSQL answers 500)", where, path, s)
		}
	})
}

// fzWalkStrings calls fn with every string (including map keys) reachable from v. Byte
// slices (json.RawMessage) are not strings and are skipped.
func fzWalkStrings(v reflect.Value, path string, fn func(path, s string)) {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			fzWalkStrings(v.Elem(), path, fn)
		}
	case reflect.String:
		fn(path, v.String())
	case reflect.Struct:
		for i := range v.NumField() {
			fzWalkStrings(v.Field(i), path+"."+v.Type().Field(i).Name, fn)
		}
	case reflect.Slice, reflect.Array:
		if v.Type().Elem().Kind() == reflect.Uint8 {
			return
		}
		for i := range v.Len() {
			fzWalkStrings(v.Index(i), fmt.Sprintf("%s[%d]", path, i), fn)
		}
	case reflect.Map:
		it := v.MapRange()
		for it.Next() {
			fzWalkStrings(it.Key(), path+"{key}", fn)
			fzWalkStrings(it.Value(), fmt.Sprintf("%s[%v]", path, it.Key()), fn)
		}
	}
}

// fzSeeds are bodies for FuzzJSONEndpoints: the valid bodies of the end-to-end tests, and
// tricky ones. Each is sent to every route.
func fzSeeds() [][]byte {
	item := `{"resource":"卫生健康统计数据","department":"市卫健委","sharing":"conditional","legal_basis":"《安徽省政务数据资源管理办法》","frequency":"每月","interface":"jh-la-wj-001"}`
	seeds := []string{
		// Valid bodies of the end-to-end tests.
		`{"username":"alice","password":"demo-Passw0rd"}`,
		`{"username":"carol","name":"王小","org_id":"unit-a","roles":["submitter"],"password":"a-long-passw0rd"}`,
		`{"id":"unit-c","name":"市民政局","kind":"unit"}`,
		`{"name":"智慧教育平台","type":"new","plan_year":2027,"estimated_investment_fen":100000000,"description":"智慧教育平台：建设内容说明","mlps_level":2,"uses_crypto":false}`,
		`{"name":"监理","type":"supervision","plan_year":2027,"estimated_investment_fen":1,"mlps_level":1,"parent_project_id":"p-1"}`,
		`{"description":"已补充数据共享清单"}`,
		`{"vendor":"安徽某信息技术有限公司","amount_fen":900000000,"signed_on":"2026-07-01","procurement_ref":"LA-2026-001","data_lists":{"demand":{"items":[` + item + `]},"responsibility":{"items":[` + item + `]},"negative":{"none_reason":"不涉及禁止共享数据"}}}`,
		`{"year":1,"document_id":"d-1"}`,
		`{"milestone":"合同进度款","amount_fen":6000000,"paid_on":"2024-06-18"}`,
		`{"decision":"reject","comment":"金额有误"}`,
		`{"decision":"pass","score":88,"comment":"可行"}`,
		`{"decision":"approve","approved_amount_fen":1000000000,"excluded_project_ids":["p-3"]}`,
		`{"decision":"approve","score":86,"grade":"good","comment":"达到预期目标"}`,
		`{"expert_ids":["u-exp2","u-exp3","u-exp4"],"project_ids":["p-1","p-2"]}`,
		`{"included":[{"project_id":"p-1","approved_amount_fen":1200000000}],"excluded":[{"project_id":"p-2","reason":"重复建设"}]}`,
		`{"project_ids":["p-1","p-2","p-3"]}`,
		`{}`,
		`{"to":"last_good","reason":"修复后重放"}`,
		`{"event_id":5,"run_id":"r-1"}`,
		`{"reason":"依赖已恢复"}`,
		`{"histories":[{"events":[{"eventId":"1","eventType":"EVENT_TYPE_WORKFLOW_EXECUTION_STARTED","workflowExecutionStartedEventAttributes":{"workflowType":{"name":"ProjectWorkflow"}}}]}]}`,
		`{"live":true,"workflow_ids":["project-p-1"],"cursor":"abc"}`,
		// Refused by rules or types.
		`{"stage":"approved"}`,
		`{"unit_id":"unit-b"}`,
		`{"decision":"return"}`,
		`{"plan_year":"2027"}`,
		`{"plan_year":2027.5}`,
		`{"estimated_investment_fen":1e400}`,
		`{"amount_fen":99999999999999999999999}`,
		`{"amount_fen":-0}`,
		`{"score":-1}`,
		`{"year":1e2}`,
		`{"included":[{"approved_amount_fen":"x"}]}`,
		`{"excluded":[null]}`,
		`{"data_lists":{"demand":{"items":[{"sharing":"sometimes","extra":"x"}],"none_reason":"x"}}}`,
		`{"data_lists":{"demand":{"items":[{"a":1}]}}}`,
		`{"histories":[{"events":"x"}]}`,
		`{"histories":[1,null,"x"]}`,
		// Syntax and shape.
		``, ` `, `null`, `[]`, `"x"`, `0`, `true`, `{`, `}`, `{"a"}`, `{"decision":}`, `NaN`, `{"score":NaN}`,
		`{"score":Infinity}`, `{} {}`, `{}x`, `{}]`, `{"decision":"approve"}{"decision":"reject"}`,
		"\xef\xbb\xbf{}", "{\"name\":\"\xff\xfe\"}", `{"name":"\ud800"}`, `{"name":"\u0000"}`,
		`{"username":"a\u0000b","password":"x"}`, `{"DECISION":"approve"}`, `{"decision":"approve","decision":"x"}`,
		`{"name":null,"type":null,"plan_year":null}`, `{"parent_project_id":null}`, `{"roles":[null,""]}`,
		`{"expert_ids":{},"project_ids":"p"}`, `{"__proto__":{}}`, "{\"decision\":\"approve\"\x00}",
		`{"comment":"` + strings.Repeat("评", 501) + `"}`,
		strings.Repeat("[", 100) + strings.Repeat("]", 100),
		`{"data_lists":` + strings.Repeat(`{"demand":`, 100) + strings.Repeat("}", 101),
	}
	out := make([][]byte, len(seeds))
	for i, s := range seeds {
		out[i] = []byte(s)
	}
	return out
}

// FuzzJSONEndpoints: no body of any JSON route panics or is answered with a 5xx; a body of
// another media type is 415; an accepted request holds only valid UTF-8. routeSel 0 sends the
// body to every route (the seeds do); n sends it to route n-1 only, so a fuzzing run spends
// its executions on one decoder at a time.
func FuzzJSONEndpoints(f *testing.F) {
	for _, s := range fzSeeds() {
		f.Add(s, byte(0), byte(0))
	}
	f.Add([]byte(`{"reason":"x"}`), byte(1), byte(0))
	f.Add([]byte(`{"reason":"x"}`), byte(2), byte(0))
	f.Add([]byte(`{"reason":"x"}`), byte(3), byte(0))
	f.Add([]byte(`a=b`), byte(4), byte(0))
	f.Add([]byte{}, byte(3), byte(0))
	h := newFzHarness()
	f.Fuzz(func(t *testing.T, body []byte, ctSel, routeSel byte) {
		ct := fzContentTypes[int(ctSel)%len(fzContentTypes)]
		if routeSel == 0 {
			h.check(t, body, ct)
			return
		}
		i := int(routeSel-1) % len(fzJSONRoutes)
		h.checkRoutes(t, fzJSONRoutes[i:i+1], body, ct)
	})
}

// TestFuzzJSONEndpointsLimits: the size limits answer 413 on every JSON route, and nesting far
// beyond the decoder's depth limit is 400 (inputs too large for the fuzz corpus).
func TestFuzzJSONEndpointsLimits(t *testing.T) {
	h := newFzHarness()
	for _, r := range fzJSONRoutes {
		limit := maxJSONBody
		if r.path == "/api/v1/ops/replay" {
			limit = maxReplayBody
		}
		body := append([]byte(`{"reason":"`), bytes.Repeat([]byte("x"), limit)...)
		body = append(body, `"}`...)
		req := httptest.NewRequest(r.method, fzPath.Replace(r.path), bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		w := httptest.NewRecorder()
		h.engine.ServeHTTP(w, req)
		require.Equal(t, http.StatusRequestEntityTooLarge, w.Code, "%s %s: %s", r.method, r.path, w.Body)
	}
	for _, b := range []string{
		strings.Repeat(`{"a":`, 200000) + "1" + strings.Repeat("}", 200000),
		strings.Repeat("[", 500000),
		strings.Repeat("[", 10001) + strings.Repeat("]", 10001),
		`{"data_lists":` + strings.Repeat(`{"demand":`, 20000) + strings.Repeat("}", 20001),
		`{"comment":"` + strings.Repeat("评", 5001) + `"}`,
		`{"project_ids":[` + strings.Repeat(`"p",`, 1000) + `"p"]}`,
		`{"data_lists":{"demand":{"items":[` + strings.Repeat(`{},`, 1000) + `{}]}}}`,
	} {
		h.check(t, []byte(b), "application/json")
	}
}

// TestFuzzRoutesCoverRouteTable: every state-changing route of routeTable is either fuzzed as a
// JSON-body route or listed as reading no JSON body, so a new endpoint cannot miss the fuzzer.
func TestFuzzRoutesCoverRouteTable(t *testing.T) {
	fuzzed := map[string]bool{}
	for _, r := range fzJSONRoutes {
		fuzzed[r.method+" "+r.path] = true
	}
	inTable := map[string]bool{}
	for _, r := range routeTable {
		k := r.method + " " + r.path
		inTable[k] = true
		if r.method == http.MethodGet {
			continue
		}
		_, bodyless := fzBodyless[k]
		require.True(t, fuzzed[k] != bodyless, "%s must be in exactly one of fzJSONRoutes and fzBodyless", k)
	}
	for k := range fuzzed {
		require.True(t, inTable[k], "fuzzed route %s is not in routeTable", k)
	}
}

// Mirrors of the store's cursor types (internal/store: projectCursor, taskCursor, fundsCursor,
// idCursor, usernameCursor), which are unexported.
type (
	fzProjectCursor struct {
		CreatedAt time.Time `json:"t"`
		ID        string    `json:"i"`
	}
	fzTaskCursor struct {
		Due time.Time `json:"d"`
		ID  string    `json:"i"`
	}
	fzFundsCursor struct {
		Year   int    `json:"y"`
		UnitID string `json:"u"`
	}
	fzIDCursor struct {
		ID string `json:"i"`
	}
	fzUsernameCursor struct {
		Username string `json:"u"`
	}
)

var fzCursorTypes = []func() any{
	func() any { return &fzProjectCursor{} },
	func() any { return &fzTaskCursor{} },
	func() any { return &fzFundsCursor{} },
	func() any { return &fzIDCursor{} },
	func() any { return &fzUsernameCursor{} },
	func() any { return &map[string]any{} },
}

// FuzzCursor: store.DecodeCursor never panics; a bad cursor is the "bad cursor" error the
// handlers turn into 400; a decoded cursor re-encodes to a cursor that decodes to the same
// value; and any cursor the store makes decodes back.
func FuzzCursor(f *testing.F) {
	t0 := time.Date(2026, 7, 1, 9, 30, 0, 123456789, calendar.Shanghai)
	for _, v := range []any{
		fzProjectCursor{CreatedAt: t0, ID: "p-01J0000000000000000000000"},
		fzTaskCursor{Due: t0.UTC(), ID: "t-1"},
		fzFundsCursor{Year: 2027, UnitID: "unit-a"},
		fzIDCursor{ID: "unit-b"},
		fzUsernameCursor{Username: "drb1"},
		map[string]any{"y": int64(9e18), "u": "x"},
		map[string]any{"i": "\x00"},
		map[string]any{"t": "0000-01-01T00:00:00Z", "i": "x"},
		map[string]any{"t": "9999-12-31T23:59:59.999999999-23:59", "i": "x"},
	} {
		f.Add(store.EncodeCursor(v))
	}
	for _, s := range []string{"", "%%%", "e30", "e30=", "bnVsbA", "W10", "eyJ0IjoieCJ9", "eyJ5IjoxZTQwMH0", "____", "-_-_", "AA", "A"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, mk := range fzCursorTypes {
			v := mk()
			err := store.DecodeCursor(s, v)
			if err != nil {
				require.Equal(t, "bad cursor", err.Error())
				e := classify(badCursor(err))
				require.Equal(t, http.StatusBadRequest, statusOf(e))
				require.Contains(t, e.Fields, "cursor")
				continue
			}
			fzCheckCursor(t, v)
			enc := store.EncodeCursor(v)
			w := mk()
			require.NoError(t, store.DecodeCursor(enc, w), "re-encoded %T %+v as %q", v, v, enc)
			require.Equal(t, enc, store.EncodeCursor(w), "%T %+v does not round-trip", v, v)
		}
		// The funds list decodes its cursor with DecodeFundsCursor: a year it accepts fits
		// PostgreSQL's integer (9e18 was a 500).
		if y, _, err := store.DecodeFundsCursor(s); err != nil {
			require.Equal(t, "bad cursor", err.Error())
		} else if y > math.MaxInt32 || y < math.MinInt32 {
			fzFail(t, "funds cursor year %d is beyond PostgreSQL integer", y)
		}
		// The store's own cursors round-trip exactly.
		if utf8.ValidString(s) {
			for _, v := range []any{fzIDCursor{ID: s}, fzProjectCursor{CreatedAt: t0, ID: s}} {
				w := reflect.New(reflect.TypeOf(v))
				require.NoError(t, store.DecodeCursor(store.EncodeCursor(v), w.Interface()))
				got := w.Elem().Interface()
				if p, ok := got.(fzProjectCursor); ok {
					require.True(t, p.CreatedAt.Equal(t0))
					require.Equal(t, s, p.ID)
				} else {
					require.Equal(t, v, got)
				}
			}
		}
	})
}

// fzCheckCursor fails on a decoded cursor the list endpoints would answer with a 500: text
// with U+0000.
func fzCheckCursor(t *testing.T, v any) {
	t.Helper()
	fzWalkStrings(reflect.ValueOf(v), "", func(path, s string) {
		if strings.ContainsRune(s, 0) {
			fzFail(t, "cursor %T holds U+0000 in %s", v, path)
		}
	})
}
