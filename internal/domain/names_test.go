package domain

import (
	"os"
	"regexp"
	"testing"

	"github.com/stretchr/testify/require"
)

// webLabels reads one `export const <name>: Record<string, string> = { k: '名', … }` of the web
// UI's label file, so that the server's messages and the screens name things alike.
func webLabels(t *testing.T, name string) map[string]string {
	t.Helper()
	return webLabelsIn(t, "labels.ts", name)
}

// webLabelsIn reads the label map name of web/src/lib/<file>.
func webLabelsIn(t *testing.T, file, name string) map[string]string {
	t.Helper()
	src, err := os.ReadFile("../../web/src/lib/" + file)
	require.NoError(t, err)
	block := regexp.MustCompile(`(?s)export const ` + name + `: Record<string, string> = \{(.*?)\n?\}`).FindSubmatch(src)
	require.NotNil(t, block, "%s in web/src/lib/%s", name, file)
	out := map[string]string{}
	for _, m := range regexp.MustCompile(`(\w+): '([^']*)'`).FindAllSubmatch(block[1], -1) {
		out[string(m[1])] = string(m[2])
	}
	require.NotEmpty(t, out)
	return out
}

// Every document kind has a Chinese name, the one the web UI shows (refusals such as
// documents_missing, R12/R17, name the kinds by it).
func TestDocKindNames_MatchWeb(t *testing.T) {
	for _, k := range DocKinds {
		require.NotEmpty(t, DocKindNames[k], k)
	}
	require.Len(t, DocKindNames, len(DocKinds))
	require.Equal(t, webLabels(t, "documentKindLabels"), DocKindNames)
	require.Equal(t, "试运行报告、密评报告", DocKindNameList([]string{"trial_run_report", "crypto_assessment"}))
	require.Equal(t, "unknown_kind", DocKindName("unknown_kind"), "a kind without a name keeps its code")
}

func TestStageNames_MatchWeb(t *testing.T) {
	for _, s := range Stages {
		require.NotEmpty(t, StageNames[string(s)], s)
	}
	require.Len(t, StageNames, len(Stages))
	require.Equal(t, webLabels(t, "stageLabels"), StageNames)
	require.Equal(t, "建设、试运行", StageNameList([]Stage{StageConstruction, StageTrialRun}))
}

func TestRoleNames_MatchWeb(t *testing.T) {
	web := webLabels(t, "roleLabels")
	require.Equal(t, web, RoleNames)
	for _, r := range []Role{RoleSubmitter, RoleDRBReviewer, RoleDRBSupervisor, RoleExpert, RoleNDRCApprover,
		RoleCityGovApprover, RolePRTAWitness, RoleFinance, RoleCrypto, RoleAudit, RoleOps, RoleAdmin} {
		require.NotEmpty(t, RoleNames[r], r)
	}
}

// TaskKindNames name every task kind, as the web UI does.
func TestTaskKindNames_MatchWeb(t *testing.T) {
	for _, k := range TaskKinds {
		require.NotEmpty(t, TaskKindNames[k], k)
	}
	require.Equal(t, webLabels(t, "taskKindLabels"), TaskKindNames)
}

// The data lists' sharing conditions (R9) are named in refusals as the 三清单 form names them.
func TestEnumValueNames_MatchWeb(t *testing.T) {
	require.Equal(t, webLabelsIn(t, "dataLists.ts", "sharingLabels"), enumValueNames)
	for _, f := range DefaultDataListFields {
		for _, v := range f.Enum {
			require.NotEmpty(t, enumValueNames[v], "%s=%s", f.Name, v)
		}
	}
}

func TestProjectTypeNames_MatchWeb(t *testing.T) {
	require.Equal(t, webLabels(t, "typeLabels"), ProjectTypeNames)
	for _, ty := range ProjectTypes {
		require.NotEmpty(t, ProjectTypeNames[ty], ty)
	}
}

func TestChangeKindNames_MatchWeb(t *testing.T) {
	require.Equal(t, webLabels(t, "changeKindLabels"), ChangeKindNames)
	for _, k := range ChangeKinds {
		require.NotEmpty(t, ChangeKindNames[k], k)
	}
}
