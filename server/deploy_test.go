package main

import (
	"encoding/json"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"

	"egovpm/internal/metrics"
	"egovpm/internal/monitor"
)

// exportedMetrics are the names the code exports: the gateway's, the pools', the monitor's
// (described by their collectors), the Temporal SDK's that metrics.TemporalSDK lists (checked
// against the SDK by TestTemporalSDKNames), the Temporal server's as the devserver serves them,
// and Prometheus's own `up`.
func exportedMetrics(t *testing.T) map[string]bool {
	t.Helper()
	_, gw := newGatewayMetrics(nil)
	cs := append(gw, newReadinessCollector(&Server{}), metrics.NewDBCollector(nil, nil))
	cs = append(cs, monitor.New(nil, nil, nil).Collectors()...)
	names := map[string]bool{"up": true}
	for _, n := range metrics.DescribedNames(cs...) {
		names[n] = true
	}
	for _, n := range metrics.TemporalSDK {
		names[n] = true
	}
	for n := range scrape(t, "http://"+devMetricsAddr+"/metrics").Names() {
		names[n] = true
	}
	return names
}

var (
	promStrings   = regexp.MustCompile(`"(?:[^"\\]|\\.)*"`)
	promMatchers  = regexp.MustCompile(`\{[^}]*\}`)
	promRanges    = regexp.MustCompile(`\[[^\]]*\]`)
	promGrouping  = regexp.MustCompile(`\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)`)
	promIdent     = regexp.MustCompile(`[A-Za-z_:][A-Za-z0-9_:]*`)
	promOperators = map[string]bool{"and": true, "or": true, "unless": true, "bool": true, "offset": true, "inf": true, "nan": true}
)

// metricNames returns the metric names a PromQL expression reads: identifiers left once
// strings, label matchers, ranges and grouping clauses are gone, other than functions
// (followed by a parenthesis) and keywords.
func metricNames(expr string) []string {
	e := promStrings.ReplaceAllString(expr, `""`)
	e = promMatchers.ReplaceAllString(e, " ")
	e = promRanges.ReplaceAllString(e, " ")
	e = promGrouping.ReplaceAllString(e, " ")
	var out []string
	for _, loc := range promIdent.FindAllStringIndex(e, -1) {
		name := e[loc[0]:loc[1]]
		rest := strings.TrimLeft(e[loc[1]:], " ")
		if strings.HasPrefix(rest, "(") || promOperators[strings.ToLower(name)] {
			continue
		}
		out = append(out, name)
	}
	return out
}

func requireExported(t *testing.T, known map[string]bool, where, expr string) {
	t.Helper()
	names := metricNames(expr)
	require.NotEmptyf(t, names, "%s: no metric in %q", where, expr)
	for _, n := range names {
		base := n
		for _, suf := range []string{"_bucket", "_sum", "_count"} {
			if b, ok := strings.CutSuffix(n, suf); ok && known[b] {
				base = b
			}
		}
		require.Truef(t, known[base], "%s: %q names %s, which no egovpm process exports", where, expr, n)
	}
}

func TestMetricNamesOfPromQL(t *testing.T) {
	require.Equal(t, []string{"a_total", "b_seconds_bucket"},
		metricNames(`sum by (route, x) (rate(a_total{status=~"5.."}[5m])) / histogram_quantile(0.9, rate(b_seconds_bucket[1m])) > 0 and on(instance) vector(1)`))
}

// TestAlertRulesNameOnlyExportedMetrics parses deploy/prometheus/alerts.yml (issue 21 item 4)
// and checks every rule: a name, a severity, a summary, and an expression over metrics the code
// exports. It also covers what the issue asks alerts for.
func TestAlertRulesNameOnlyExportedMetrics(t *testing.T) {
	raw, err := os.ReadFile("../deploy/prometheus/alerts.yml")
	require.NoError(t, err)
	var f struct {
		Groups []struct {
			Name  string `yaml:"name"`
			Rules []struct {
				Alert       string            `yaml:"alert"`
				Expr        string            `yaml:"expr"`
				For         string            `yaml:"for"`
				Labels      map[string]string `yaml:"labels"`
				Annotations map[string]string `yaml:"annotations"`
			} `yaml:"rules"`
		} `yaml:"groups"`
	}
	require.NoError(t, yaml.Unmarshal(raw, &f))
	known := exportedMetrics(t)
	used := map[string]bool{}
	for _, g := range f.Groups {
		for _, r := range g.Rules {
			require.NotEmpty(t, r.Alert)
			require.Contains(t, []string{"warning", "critical"}, r.Labels["severity"], r.Alert)
			require.NotEmpty(t, r.Annotations["summary"], r.Alert)
			requireExported(t, known, r.Alert, r.Expr)
			for _, n := range metricNames(r.Expr) {
				used[n] = true
			}
		}
	}
	for _, n := range []string{"egovpm_ready", "egovpm_stuck_workflows", "egovpm_notifications_mail_failed_total",
		"egovpm_audit_chain_ok", "egovpm_audit_verify_timestamp_seconds", "egovpm_audit_checkpoint_timestamp_seconds", "temporal_workflow_task_execution_failed_total",
		"temporal_activity_execution_failed_total", "egovpm_external_workflow_changes_total", "egovpm_reconcile_timestamp_seconds"} {
		require.Truef(t, used[n], "no alert watches %s", n)
	}
}

// TestDashboardNamesOnlyExportedMetrics parses the provisioned Grafana dashboard and checks
// every panel's queries name exported metrics.
func TestDashboardNamesOnlyExportedMetrics(t *testing.T) {
	raw, err := os.ReadFile("../deploy/grafana/dashboards/egovpm.json")
	require.NoError(t, err)
	var d struct {
		UID    string `json:"uid"`
		Panels []struct {
			Title   string `json:"title"`
			Targets []struct {
				Expr string `json:"expr"`
			} `json:"targets"`
		} `json:"panels"`
	}
	require.NoError(t, json.Unmarshal(raw, &d))
	require.Equal(t, "egovpm", d.UID)
	require.NotEmpty(t, d.Panels)
	known := exportedMetrics(t)
	for _, p := range d.Panels {
		require.NotEmpty(t, p.Targets, p.Title)
		for _, tg := range p.Targets {
			requireExported(t, known, p.Title, tg.Expr)
		}
	}
}

var _ prometheus.Collector = (*readinessCollector)(nil)
