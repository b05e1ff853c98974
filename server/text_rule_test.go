package main

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestRequiredTextsAndNames (issue 15 items 10 and 16): every required text of a JSON body
// (names, reasons, milestones, vendors) that holds only white space (U+3000 included) or
// invisible characters (U+200B–U+200D, U+2060, U+FEFF) is refused with a field error, as an
// empty one is; and a name that holds a bidi override or isolate (U+202E shows
// "evil\u202egpj.exe" as "evilexe.jpg"), a zero-width character or a line break is refused.
// The harness runs what each handler runs on its body before the store (fuzz_test.go).
func TestRequiredTextsAndNames(t *testing.T) {
	h := newFzHarness()
	project := func(name string) map[string]any {
		return map[string]any{"name": name, "type": "new", "plan_year": 2027, "estimated_investment_fen": 100,
			"mlps_level": 2, "uses_crypto": false}
	}
	contract := func(vendor, ref, none string) map[string]any {
		item := map[string]string{"resource": "学籍信息", "department": "市教育局", "sharing": "conditional",
			"legal_basis": "《安徽省政务数据资源管理办法》", "frequency": "每日", "interface": "jh-la-edu-001"}
		return map[string]any{"vendor": vendor, "amount_fen": 100, "signed_on": "2026-07-01", "procurement_ref": ref,
			"data_lists": map[string]any{"demand": map[string]any{"items": []any{item}},
				"responsibility": map[string]any{"items": []any{item}}, "negative": map[string]any{"none_reason": none}}}
	}
	withResources := project("智慧教育平台")
	withResources["data_resources"] = []string{"学籍信息", "\u200b"}
	cases := []struct {
		name, method, path string
		body               any
		field              string // "" means accepted
	}{
		{"project name of spaces", http.MethodPost, "/api/v1/projects", project("   "), "name"},
		{"project name of U+3000", http.MethodPost, "/api/v1/projects", project("\u3000\u3000"), "name"},
		{"project name of zero-width characters", http.MethodPost, "/api/v1/projects", project("\u200b\ufeff\u2060"), "name"},
		{"project name with U+202E", http.MethodPost, "/api/v1/projects", project("evil\u202egpj.exe"), "name"},
		{"project name with a zero-width space", http.MethodPost, "/api/v1/projects", project("智慧\u200b教育"), "name"},
		{"project name with a line break", http.MethodPost, "/api/v1/projects", project("智慧\n教育"), "name"},
		{"project name with U+3000 around it", http.MethodPost, "/api/v1/projects", project("\u3000智慧教育平台\u3000"), ""},
		{"blank data resource name (R16)", http.MethodPost, "/api/v1/projects", withResources, "data_resources[1]"},
		{"patched name of spaces", http.MethodPatch, "/api/v1/projects/:id", map[string]any{"name": " \u3000 "}, "name"},
		{"patched name with an isolate", http.MethodPatch, "/api/v1/projects/:id", map[string]any{"name": "\u2066教育\u2069"}, "name"},
		{"user name of a zero-width space", http.MethodPost, "/api/v1/users",
			map[string]any{"username": "carol", "name": "\u200b", "org_id": "unit-a", "roles": []string{"submitter"}, "password": "a-long-passw0rd"}, "name"},
		{"org name of U+3000", http.MethodPost, "/api/v1/orgs", map[string]any{"id": "unit-c", "name": "\u3000\u200c", "kind": "unit"}, "name"},
		{"org name with U+202E", http.MethodPost, "/api/v1/orgs", map[string]any{"id": "unit-c", "name": "市民\u202e局", "kind": "unit"}, "name"},
		{"blank vendor (R9)", http.MethodPost, "/api/v1/projects/:id/contract", contract("\u3000", "LA-1", "不涉及"), "vendor"},
		{"blank procurement ref (R9)", http.MethodPost, "/api/v1/projects/:id/contract", contract("某公司", "\u200b", "不涉及"), "procurement_ref"},
		{"none reason of spaces (R9)", http.MethodPost, "/api/v1/projects/:id/contract", contract("某公司", "LA-1", "    "), "data_lists.negative"},
		{"none reason of U+3000 and U+FEFF (R9)", http.MethodPost, "/api/v1/projects/:id/contract", contract("某公司", "LA-1", "\u3000\ufeff"), "data_lists.negative"},
		{"contract with a reason", http.MethodPost, "/api/v1/projects/:id/contract", contract("某公司", "LA-1", "不涉及禁止共享数据"), ""},
		{"blank milestone (R15)", http.MethodPost, "/api/v1/projects/:id/payments",
			map[string]any{"milestone": "\u3000\u200b", "amount_fen": 100, "paid_on": "2026-07-01"}, "milestone"},
		{"blank exclusion reason (R5)", http.MethodPost, "/api/v1/plans/:year/compile",
			map[string]any{"excluded": []any{map[string]any{"project_id": "p-1", "reason": "\u3000"}}}, "excluded[0].reason"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b, err := json.Marshal(c.body)
			require.NoError(t, err)
			req := httptest.NewRequest(c.method, fzPath.Replace(c.path), bytes.NewReader(b))
			req.Header.Set("Content-Type", "application/json")
			w := httptest.NewRecorder()
			h.engine.ServeHTTP(w, req)
			if c.field == "" {
				require.Equal(t, http.StatusNoContent, w.Code, "%s", w.Body)
				return
			}
			require.Equal(t, http.StatusBadRequest, w.Code, "%s", w.Body)
			var eb errorBody
			require.NoError(t, json.Unmarshal(w.Body.Bytes(), &eb))
			require.Equal(t, "invalid_input", eb.Error.Code, "%s", w.Body)
			require.Contains(t, eb.Error.Fields, c.field, "%s", w.Body)
		})
	}
}
