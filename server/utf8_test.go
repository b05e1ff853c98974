package main

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestInvalidUTF8InJSONIs400 (issue 15 item 15): a JSON body with bytes that are not UTF-8,
// or a \u escape of a lone UTF-16 surrogate, is refused with 400 invalid_utf8 on every JSON
// route; the decoder would otherwise store each as U+FFFD. A valid surrogate pair, a
// backslash-escaped \ud800 (text, not an escape) and U+FFFD sent as itself are accepted.
func TestInvalidUTF8InJSONIs400(t *testing.T) {
	h := newFzHarness()
	send := func(path, body string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		w := httptest.NewRecorder()
		h.engine.ServeHTTP(w, req)
		return w
	}
	project := func(name string) string {
		return `{"name":"` + name + `","type":"new","plan_year":2027,"estimated_investment_fen":100,"mlps_level":2,"description":"说明"}`
	}
	for _, name := range []string{"\xff\xfe", "智慧\xe6\x95", "\xc0\xaf", "\xed\xa0\x80", `\ud800`, `\udc00x`, `a\ud83d`, `\ud83d\u0041`} {
		w := send("/api/v1/projects", project(name))
		require.Equal(t, http.StatusBadRequest, w.Code, "%q: %s", name, w.Body)
		var eb errorBody
		require.NoError(t, json.Unmarshal(w.Body.Bytes(), &eb))
		require.Equal(t, "invalid_utf8", eb.Error.Code, "%q", name)
	}
	for _, name := range []string{`\ud83d\ude00平台`, `a\\ud800`, "\ufffd平台", `\u00e9`} {
		w := send("/api/v1/projects", project(name))
		require.Equal(t, http.StatusNoContent, w.Code, "%q: %s", name, w.Body)
	}
	// Outside strings too, and on every JSON route.
	for _, r := range fzJSONRoutes {
		req := httptest.NewRequest(r.method, fzPath.Replace(r.path), bytes.NewReader([]byte("{\"reason\":\"\xff\"}")))
		req.Header.Set("Content-Type", "application/json")
		w := httptest.NewRecorder()
		h.engine.ServeHTTP(w, req)
		require.Equal(t, http.StatusBadRequest, w.Code, "%s %s: %s", r.method, r.path, w.Body)
		require.Contains(t, w.Body.String(), `"invalid_utf8"`, "%s %s", r.method, r.path)
	}
}

// TestE2E_InvalidUTF8StoresNothing: create and patch with invalid UTF-8 are 400 and change
// nothing (they stored U+FFFD).
func TestE2E_InvalidUTF8StoresNothing(t *testing.T) {
	t.Parallel()
	s := newStack(t, "2021")
	raw := func(method, path, body string) resp {
		req, err := http.NewRequest(method, s.http.URL+path, strings.NewReader(body))
		require.NoError(t, err)
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+s.token("alice"))
		return s.send(req)
	}
	r := raw(http.MethodPost, "/api/v1/projects", "{\"name\":\"智慧\xff平台\",\"type\":\"new\",\"plan_year\":2031,\"estimated_investment_fen\":100,\"mlps_level\":2}")
	require.Equal(t, http.StatusBadRequest, r.Status, "%s", r.Raw)
	require.Equal(t, "invalid_utf8", r.code())
	var n int
	require.NoError(t, s.store.DB().Get(&n, `SELECT count(*) FROM projects WHERE name LIKE '%' || chr(65533) || '%'`))
	require.Zero(t, n, "no project with U+FFFD")

	p := s.createProject("alice", "编码校验项目", futureYear(), 100_000_000)
	r = raw(http.MethodPatch, "/api/v1/projects/"+p, "{\"description\":\"说明\xc3\"}")
	require.Equal(t, http.StatusBadRequest, r.Status, "%s", r.Raw)
	require.Equal(t, "invalid_utf8", r.code())
	r = raw(http.MethodPatch, "/api/v1/projects/"+p, `{"description":"说明\udfff"}`)
	require.Equal(t, http.StatusBadRequest, r.Status, "%s", r.Raw)
	got := s.do("alice", http.MethodGet, "/api/v1/projects/"+p, nil, nil)
	require.Equal(t, "编码校验项目：建设内容说明", got.str("description"))
}
