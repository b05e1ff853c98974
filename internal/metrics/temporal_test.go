package metrics

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestTemporalSDKNames checks every name of TemporalSDK against the metric constants of the
// Temporal SDK this module builds with, as NewPrometheusNamingScope names them: counters end in
// _total, latencies (timers) in _seconds, gauges as they are.
func TestTemporalSDKNames(t *testing.T) {
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "go.temporal.io/sdk").Output()
	require.NoError(t, err)
	src, err := os.ReadFile(filepath.Join(strings.TrimSpace(string(out)), "internal", "common", "metrics", "constants.go"))
	require.NoError(t, err)
	dir := strings.TrimSpace(string(out))
	// Constants are "TemporalMetricsPrefix + \"name\"" or another constant + a suffix.
	decl := regexp.MustCompile(`(?m)^\s*(\w+)\s*=\s*(\w+) \+ "(\w+)"`)
	value := map[string]string{"TemporalMetricsPrefix": "temporal_"}
	for _, m := range decl.FindAllStringSubmatch(string(src), -1) {
		if base, ok := value[m[2]]; ok {
			value[m[1]] = base + m[3]
		}
	}
	// Which kind each is: as the SDK's code creates it, else as its constant's name says.
	kind := map[string]string{}
	use := regexp.MustCompile(`\.(Counter|Timer|Gauge)\(metrics\.(\w+)\)`)
	require.NoError(t, filepath.WalkDir(filepath.Join(dir, "internal"), func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".go") {
			return err
		}
		b, err := os.ReadFile(p)
		for _, m := range use.FindAllStringSubmatch(string(b), -1) {
			kind[m[2]] = m[1]
		}
		return err
	}))
	sdk := map[string]bool{}
	for c, name := range value {
		k := kind[c]
		switch {
		case k == "":
			switch {
			case strings.Contains(c, "Counter") || strings.Contains(c, "Failure"):
				k = "Counter"
			case strings.Contains(c, "Latency"):
				k = "Timer"
			}
		}
		switch k {
		case "Counter":
			name += "_total"
		case "Timer":
			name += "_seconds"
		}
		sdk[name] = true
	}
	require.Greater(t, len(sdk), 30, "the SDK's constants were not found")
	for _, n := range TemporalSDK {
		require.Truef(t, sdk[n], "%s is not a metric of the Temporal SDK in go.mod", n)
	}
}
