package domain

import (
	"os"
	"path/filepath"
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

// 基础共用's deployments and platforms are named as the project form offers them and its facts
// show them (labels.ts deploymentLabels, platformLabels).
func TestDeploymentNames_MatchWeb(t *testing.T) {
	require.Equal(t, webLabels(t, "deploymentLabels"), DeploymentNames)
	require.Equal(t, webLabels(t, "platformLabels"), PlatformNames)
	requireNoWebCopy(t, DeploymentNames)
	requireNoWebCopy(t, PlatformNames)
}

// The kinds of organisation are named as 用户管理's 新建机构 offers them (labels.ts orgKindLabels).
func TestOrgKindNames_MatchWeb(t *testing.T) {
	require.Equal(t, webLabels(t, "orgKindLabels"), OrgKindNames)
}

func TestChangeKindNames_MatchWeb(t *testing.T) {
	require.Equal(t, webLabels(t, "changeKindLabels"), ChangeKindNames)
	for _, k := range ChangeKinds {
		require.NotEmpty(t, ChangeKindNames[k], k)
	}
}

// The grades of a performance evaluation are named as the decision dialog offers them and the
// evaluations list shows them (labels.ts gradeLabels, which both use).
func TestGradeNames_MatchWeb(t *testing.T) {
	require.Equal(t, webLabels(t, "gradeLabels"), GradeNames)
	requireNoWebCopy(t, GradeNames)
}

// The actions of a plan adjustment (R5) are named as its card offers them and the decision
// dialog lists a task's changes (labels.ts planAdjustLabels, which both use).
func TestPlanAdjustNames_MatchWeb(t *testing.T) {
	require.Equal(t, webLabels(t, "planAdjustLabels"), PlanAdjustNames)
	requireNoWebCopy(t, PlanAdjustNames)
}

// requireNoWebCopy: no component of web/src spells one of names' entries as its own label (an
// el-option's label="名" or a `code: '名'` entry of a map of its own), which would drift from
// labels.ts unseen by the tests above.
func requireNoWebCopy(t *testing.T, names map[string]string) {
	t.Helper()
	files, err := filepath.Glob("../../web/src/*/*.vue")
	require.NoError(t, err)
	require.NotEmpty(t, files)
	for _, f := range files {
		src, err := os.ReadFile(f)
		require.NoError(t, err)
		for code, name := range names {
			q := regexp.QuoteMeta(name)
			copied := regexp.MustCompile(`label="` + q + `"|\b` + code + `: '` + q + `'`)
			require.Nil(t, copied.Find(src), "%s names %s %s itself: use labels.ts", f, code, name)
		}
	}
}
