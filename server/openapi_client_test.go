package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"egovpm/internal/config"
	"egovpm/internal/openapi30"
	"egovpm/internal/testenv"
)

// The contract for integrators (issue 21 item 7): server/openapi.yaml passes Redocly's
// recommended rules with no error and no warning, and a Go client generated (oapi-codegen,
// pinned in tools/openapi/go.mod) from its OpenAPI 3.0 copy compiles and talks to the real
// gateway, decoding exactly the JSON the gateway sends.

// toolsDir is tools/openapi: Redocly CLI (package.json, installed by make test's npm ci) and the
// Go tool module of oapi-codegen.
func toolsDir() string { return filepath.Join(testenv.RepoRoot(), "tools", "openapi") }

// lintProblem is one finding of `redocly lint --format json`.
type lintProblem struct {
	RuleID   string `json:"ruleId"`
	Severity string `json:"severity"`
	Message  string `json:"message"`
	Location []struct {
		Pointer string `json:"pointer"`
	} `json:"location"`
}

// redoclyLint lints the OpenAPI document at path with tools/openapi/redocly.yaml (the
// recommended ruleset) and returns its findings.
func redoclyLint(t *testing.T, path string) []lintProblem {
	t.Helper()
	dir := toolsDir()
	bin := filepath.Join(dir, "node_modules", ".bin", "redocly")
	_, err := os.Stat(bin)
	require.NoError(t, err, "Redocly CLI is not installed: run `make openapi-tools` (npm ci in tools/openapi; make test does it)")
	cmd := exec.Command(bin, "lint", "--config", filepath.Join(dir, "redocly.yaml"), "--format", "json", path)
	cmd.Dir = dir
	// No usage telemetry and no update check: the lint reads only the file.
	cmd.Env = append(os.Environ(), "REDOCLY_TELEMETRY=off", "REDOCLY_SUPPRESS_UPDATE_NOTICE=true", "NO_UPDATE_NOTIFIER=1")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	runErr := cmd.Run() // exits 1 on errors; the JSON report says which
	var report struct {
		Totals struct {
			Errors, Warnings int
		} `json:"totals"`
		Problems []lintProblem `json:"problems"`
	}
	require.NoError(t, json.Unmarshal(stdout.Bytes(), &report), "redocly lint %s (%v): %s\n%s", path, runErr, stdout.String(), stderr.String())
	require.Len(t, report.Problems, report.Totals.Errors+report.Totals.Warnings, "problems vs totals")
	return report.Problems
}

func problemLines(ps []lintProblem) string {
	var b strings.Builder
	for _, p := range ps {
		at := ""
		if len(p.Location) > 0 {
			at = p.Location[0].Pointer
		}
		fmt.Fprintf(&b, "\n  %s %s at %s: %s", p.Severity, p.RuleID, at, p.Message)
	}
	return b.String()
}

// TestOpenAPIRedoclyLint: the contract passes Redocly's recommended rules with no error and no
// warning (a new operation needs an operationId, a summary, a 2xx and a 4xx response, and its
// tag among the document's tags).
func TestOpenAPIRedoclyLint(t *testing.T) {
	t.Parallel()
	ps := redoclyLint(t, filepath.Join(testenv.RepoRoot(), "server", "openapi.yaml"))
	require.Empty(t, ps, "server/openapi.yaml breaks Redocly's recommended rules:%s", problemLines(ps))
}

// TestRedoclyLintFindsProblems shows the lint can fail: a copy of the contract with a route
// lacking its operationId and its 4xx responses is reported.
func TestRedoclyLintFindsProblems(t *testing.T) {
	t.Parallel()
	bad := strings.Replace(string(openapiYAML), "      operationId: healthz\n", "", 1)
	require.NotEqual(t, string(openapiYAML), bad)
	i := strings.Index(bad, "  /healthz:")
	j := strings.Index(bad, "  /readyz:")
	block := bad[i:j]
	k := strings.Index(block, `        "400":`)
	require.Positive(t, k)
	bad = bad[:i] + block[:k] + "\n" + bad[j:]
	path := filepath.Join(t.TempDir(), "openapi.yaml")
	require.NoError(t, os.WriteFile(path, []byte(bad), 0o644))
	rules := map[string]bool{}
	for _, p := range redoclyLint(t, path) {
		rules[p.RuleID] = true
	}
	require.True(t, rules["operation-operationId"], "missing operationId not reported: %v", rules)
	require.True(t, rules["operation-4xx-response"], "missing 4xx not reported: %v", rules)
}

// TestOpenAPIGeneratedClient down-converts the contract to OpenAPI 3.0, checks the copy is valid
// 3.0 (Redocly: no error; the one warning allowed is the license's, whose SPDX identifier 3.0
// cannot carry), generates a Go client from it with oapi-codegen, builds it, and runs it against
// the real gateway: it signs in, reads GET /api/v1/me and is refused without a token, each
// decoded into the generated models; its models re-encode the gateway's answer unchanged.
func TestOpenAPIGeneratedClient(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	copy30, err := openapi30.Convert(openapiYAML)
	require.NoError(t, err)
	spec := filepath.Join(dir, "openapi-3.0.yaml")
	require.NoError(t, os.WriteFile(spec, copy30, 0o644))
	var errs []lintProblem
	for _, p := range redoclyLint(t, spec) {
		if p.Severity == "error" || p.RuleID != "info-license-strict" {
			errs = append(errs, p)
		}
	}
	require.Empty(t, errs, "the OpenAPI 3.0 copy is not clean:%s", problemLines(errs))

	// Generate with the oapi-codegen pinned by the tool module, and build beside the test's
	// main in a scratch module that has the tool module's requirements.
	src := filepath.Join(dir, "client")
	require.NoError(t, os.Mkdir(src, 0o755))
	tools := toolsDir()
	gen := exec.Command("go", "tool", "oapi-codegen", "-generate", "types,client", "-package", "main",
		"-o", filepath.Join(src, "client.gen.go"), spec)
	gen.Dir = tools
	out, err := gen.CombinedOutput()
	require.NoError(t, err, "oapi-codegen: %s", out)
	for _, f := range []string{"go.mod", "go.sum"} {
		b, err := os.ReadFile(filepath.Join(tools, f))
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(filepath.Join(src, f), b, 0o644))
	}
	b, err := os.ReadFile(filepath.Join("testdata", "openapiclient", "main.go"))
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(src, "main.go"), b, 0o644))
	bin := filepath.Join(dir, "openapiclient")
	build := exec.Command("go", "build", "-o", bin, ".")
	build.Dir = src
	out, err = build.CombinedOutput()
	require.NoError(t, err, "the generated client does not compile: %s", out)

	s := newStack(t, "2021")
	run := exec.Command(bin, "-base", s.http.URL, "-user", "alice", "-password", config.DefaultDemoPassword)
	var stderr bytes.Buffer
	run.Stderr = &stderr
	out, err = run.Output()
	require.NoError(t, err, "the generated client: %s", stderr.String())
	var got struct {
		LoginStatus        int             `json:"login_status"`
		LoginUser          string          `json:"login_user"`
		MustChange         bool            `json:"must_change"`
		Me                 json.RawMessage `json:"me"`
		MeRaw              json.RawMessage `json:"me_raw"`
		UnauthorizedStatus int             `json:"unauthorized_status"`
		UnauthorizedCode   string          `json:"unauthorized_code"`
		RequestID          string          `json:"request_id"`
	}
	require.NoError(t, json.Unmarshal(out, &got), "%s", out)
	require.Equal(t, http.StatusOK, got.LoginStatus)
	require.Equal(t, "u-alice", got.LoginUser)
	require.False(t, got.MustChange)
	require.Equal(t, http.StatusUnauthorized, got.UnauthorizedStatus)
	require.Equal(t, "unauthenticated", got.UnauthorizedCode)
	require.NotEmpty(t, got.RequestID)

	// The gateway's own answer to the same request, and the generated model's re-encoding of
	// it: the same JSON (every field the gateway sends has its place in the model).
	direct := s.do("alice", http.MethodGet, "/api/v1/me", nil, nil)
	require.Equal(t, http.StatusOK, direct.Status, "%s", direct.Raw)
	require.JSONEq(t, string(direct.Raw), string(got.MeRaw), "the client saw another body than a direct request")
	require.JSONEq(t, string(got.MeRaw), string(got.Me), "the generated model does not carry the gateway's JSON unchanged")
}

// TestPublicRoutesAnswer400 shows the 400 the contract documents for the public routes: the
// URL and Idempotency-Key checks run on every route before its handler.
func TestPublicRoutesAnswer400(t *testing.T) {
	t.Parallel()
	s := newStack(t, "2021")
	for _, c := range []struct{ path, key, code string }{
		{"/healthz?q=%00", "", "invalid_input"},
		{"/readyz?q=%FF", "", "invalid_input"},
		{"/api/v1/openapi.yaml", "bad key", "bad_idempotency_key"},
		{"/healthz", "bad key", "bad_idempotency_key"},
	} {
		req, err := http.NewRequest(http.MethodGet, s.http.URL+c.path, nil)
		require.NoError(t, err)
		if c.key != "" {
			req.Header.Set("Idempotency-Key", c.key)
		}
		r := s.send(req)
		require.Equal(t, http.StatusBadRequest, r.Status, "%s: %s", c.path, r.Raw)
		require.Equal(t, c.code, r.code(), "%s", c.path)
	}
}
