package main

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"egovpm/web"
)

// TestUIServing: the embedded UI answers every page path with the app (history fallback) under
// a CSP, hashed assets are cached for good and the page revalidated; /api/… and other methods
// keep the JSON 404, and a missing asset is never answered with the page.
func TestUIServing(t *testing.T) {
	t.Parallel()
	is := newIdentityServer(t)
	get := func(method, path string, hdr ...string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(method, path, nil)
		for i := 0; i+1 < len(hdr); i += 2 {
			req.Header.Set(hdr[i], hdr[i+1])
		}
		w := httptest.NewRecorder()
		is.engine.ServeHTTP(w, req)
		return w
	}
	for _, p := range []string{"/", "/login", "/projects/p-123", "/tasks?kind=prelim_review", "/index.html"} {
		w := get(http.MethodGet, p)
		require.Equal(t, http.StatusOK, w.Code, p)
		require.Equal(t, "text/html; charset=utf-8", w.Header().Get("Content-Type"), p)
		require.Equal(t, "no-cache", w.Header().Get("Cache-Control"), p)
		require.Equal(t, uiCSP, w.Header().Get("Content-Security-Policy"), p)
		require.Contains(t, uiCSP, "script-src 'self';", "no inline script")
		require.Equal(t, "nosniff", w.Header().Get("X-Content-Type-Options"), p)
		require.Contains(t, w.Body.String(), "六安市电子政务项目管理系统", p)
		etag := w.Header().Get("ETag")
		require.NotEmpty(t, etag)
		require.Equal(t, http.StatusNotModified, get(http.MethodGet, p, "If-None-Match", etag).Code, p)
	}
	for _, p := range []string{"/api/v1/nothing", "/api", "/api/", "/assets/missing-abc123.js", "/favicon-missing.png"} {
		w := get(http.MethodGet, p)
		require.Equal(t, http.StatusNotFound, w.Code, p)
		require.Contains(t, w.Body.String(), `"no_route"`, p)
	}
	// GO-2026-6609 (accepted in .ci/govulncheck-accepted.txt): a Range header is never parsed;
	// the page goes out whole, however many ranges are asked for.
	full := get(http.MethodGet, "/login")
	for _, r := range []string{"bytes=0-9", "bytes=" + strings.Repeat("0-0,", 5000) + "0-0"} {
		w := get(http.MethodGet, "/login", "Range", r)
		require.Equal(t, http.StatusOK, w.Code, "no 206/416: the range is ignored")
		require.Empty(t, w.Header().Get("Content-Range"))
		require.Equal(t, full.Body.String(), w.Body.String())
	}

	w := get(http.MethodPost, "/login")
	require.Equal(t, http.StatusNotFound, w.Code)
	require.Contains(t, w.Body.String(), `"no_route"`)

	if _, built := web.UI(); !built {
		require.Contains(t, get(http.MethodGet, "/").Body.String(), "make ui", "the placeholder says how to build the UI")
		return
	}
	h := newUIHandler()
	// The largest script: a tiny one (a few bytes of a lazy chunk) may not shrink under gzip
	// and goes out as it is, so the first one map order gave failed now and then.
	var asset string
	for name, f := range h.files {
		if strings.HasPrefix(name, "assets/") && strings.HasSuffix(name, ".js") && (asset == "" || len(f.body) > len(h.files[asset].body)) {
			asset = name
		}
	}
	require.NotEmpty(t, asset, "a built UI has hashed scripts under assets/")
	w = get(http.MethodGet, "/"+asset)
	require.Equal(t, http.StatusOK, w.Code)
	require.Equal(t, "public, max-age=31536000, immutable", w.Header().Get("Cache-Control"))
	require.Equal(t, "text/javascript; charset=utf-8", w.Header().Get("Content-Type"))
	require.NotContains(t, get(http.MethodGet, "/").Body.String(), "<script>", "no inline script in the page")
	gz := get(http.MethodGet, "/"+asset, "Accept-Encoding", "gzip, br")
	require.Equal(t, "gzip", gz.Header().Get("Content-Encoding"))
	require.Less(t, gz.Body.Len(), w.Body.Len(), "scripts go out compressed")
}
