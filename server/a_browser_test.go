package main

// This file's name sorts first so that go test, which runs a package's tests in the order of
// its files, starts TestBrowserE2E (the package's long pole: Playwright's whole run) before the
// other parallel tests queue for -parallel's slots. Its fixtures are in e2e_browser_test.go.

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel"
	"go.uber.org/zap"

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
	// In parallel with the other end-to-end tests (each on its own database and task queue):
	// Playwright's run is the package's long pole and mostly waits on the browser. First, before
	// the tracing globals below change: the sequential tests (tracing_test.go) have run by then.
	t.Parallel()
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
	projects := ""
	if os.Getenv("EGOVPM_UI_BENCH") != "" {
		seedBenchInbox(t, s)
	} else {
		env = append(listsFixture(t, s), seedOverdue(t, s)...)
		projects = projectFixtures(t, s)
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
		// And 计划调整's (plan-adjust.spec.ts): a year from futureYear too, never one a parallel
		// test's AnnualPlan holds.
		fmt.Sprintf("EGOVPM_PLAN_YEAR_4=%d", futureYear()),
		"EGOVPM_E2E_PROJECTS="+projects,
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
