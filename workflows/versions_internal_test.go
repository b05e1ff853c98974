package workflows

import (
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/workflow"
)

// TestVersionsAtStartListEveryChange: every version call site of ProjectLifecycle (the files
// not named plan*.go) and AnnualPlan (plan*.go; both send notifications) is in the list its run
// meets at start, with the same highest version, and so covered by its baseline.
// A change id left out would be met first by a decision again, and the decision would pay the
// search-attribute write (versionsAtStart, withBaseline). No file calls workflow.GetVersion
// but versions.go: a direct call would bypass the baseline.
func TestVersionsAtStartListEveryChange(t *testing.T) {
	var lifecycleFiles, planFiles []string
	files, err := filepath.Glob("*.go")
	require.NoError(t, err)
	for _, f := range files {
		switch {
		case strings.HasSuffix(f, "_test.go") || f == "versions.go":
			continue
		case strings.HasPrefix(f, "plan"):
			planFiles = append(planFiles, f)
		default:
			lifecycleFiles = append(lifecycleFiles, f)
		}
		b, err := os.ReadFile(f)
		require.NoError(t, err)
		require.NotContains(t, string(b), "workflow.GetVersion(", "%s calls GetVersion directly", f)
	}
	site := regexp.MustCompile(`version\(ctx, "([a-z0-9-]+)", ([0-9]+)\)`)
	sites := func(files ...string) map[string]workflow.Version {
		out := map[string]workflow.Version{}
		for _, f := range files {
			b, err := os.ReadFile(f)
			require.NoError(t, err)
			for _, m := range site.FindAllStringSubmatch(string(b), -1) {
				v, err := strconv.Atoi(m[2])
				require.NoError(t, err)
				out[m[1]] = workflow.Version(v)
			}
		}
		return out
	}
	asMap := func(cs []change) map[string]workflow.Version {
		out := map[string]workflow.Version{}
		for _, c := range cs {
			out[c.id] = c.max
		}
		return out
	}
	lifecycle := sites(lifecycleFiles...)
	require.Contains(t, lifecycle, "transition-id-by-update", "the call-site pattern no longer matches")
	require.Equal(t, lifecycle, asMap(lifecycleChanges))

	plan := sites(planFiles...)
	plan["send-notifications"] = lifecycle["send-notifications"]
	require.Equal(t, plan, asMap(planChanges))
}
