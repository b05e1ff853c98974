package workflows

import (
	"os"
	"regexp"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/workflow"
)

// TestVersionsAtStartListEveryChange: every GetVersion call site of ProjectLifecycle
// (lifecycle.go, delivery.go) and AnnualPlan (plan.go; both send notifications) is in the
// list its run meets at start, with the same highest version. A change id left out would be
// met first by a decision again, and the decision would pay the search-attribute write
// (versionsAtStart).
func TestVersionsAtStartListEveryChange(t *testing.T) {
	site := regexp.MustCompile(`GetVersion\(ctx, "([a-z0-9-]+)", workflow\.DefaultVersion, ([0-9]+)\)`)
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
	lifecycle := sites("lifecycle.go", "delivery.go")
	require.Contains(t, lifecycle, "transition-id-by-update", "the call-site pattern no longer matches")
	require.Equal(t, lifecycle, asMap(lifecycleChanges))

	plan := sites("plan.go")
	delete(plan, "plan-stages-from-read-model") // met before the list, to set the run's mode
	plan["send-notifications"] = lifecycle["send-notifications"]
	require.Equal(t, plan, asMap(planChanges))
}
