package main

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

func stdFinding(id, pkg string) finding {
	return finding{OSV: id, FixedVersion: "v1.26.9", Trace: []frame{{Module: "stdlib", Package: pkg, Function: "F"}, {Module: "egovpm", Function: "main"}}}
}

// TestJudge: only accepted standard-library findings pass; an unaccepted one, any module
// finding, and an accepted id found in a module fail (issue 21 item 8).
func TestJudge(t *testing.T) {
	acc := map[string]string{"GO-1": "reason", "GO-3": "reason"}
	var out bytes.Buffer
	require.NoError(t, judge([]finding{stdFinding("GO-1", "net/http"), stdFinding("GO-1", "net/http")}, acc, &out))
	require.Contains(t, out.String(), "no longer found", "GO-3 is stale")

	require.ErrorContains(t, judge([]finding{stdFinding("GO-2", "net/http")}, acc, &out), "not accepted")
	mod := finding{OSV: "GO-4", FixedVersion: "v0.41.1", Trace: []frame{{Module: "github.com/emmansun/gmsm", Package: "sm3", Function: "New"}}}
	out.Reset()
	require.Error(t, judge([]finding{mod}, acc, &out))
	require.Contains(t, out.String(), "upgrade the module to v0.41.1")
	mod.OSV = "GO-3"
	out.Reset()
	require.Error(t, judge([]finding{mod}, acc, &out), "an accepted id found in a module still fails")
	require.Contains(t, out.String(), "only standard-library findings")
}

// TestParseFindingsKeepsReachedOnes: a finding without a function in its first frame (the
// module or package is imported, the symbol not called) is not a failure.
func TestParseFindingsKeepsReachedOnes(t *testing.T) {
	raw := `{"config":{"scanner_name":"govulncheck"}}
{"finding":{"osv":"GO-1","trace":[{"module":"stdlib","package":"net/http"}]}}
{"finding":{"osv":"GO-2","fixed_version":"v1.26.9","trace":[{"module":"stdlib","package":"net/http","function":"Serve"}]}}`
	fs, err := parseFindings([]byte(raw))
	require.NoError(t, err)
	require.Len(t, fs, 1)
	require.Equal(t, "GO-2", fs[0].OSV)

	p := filepath.Join(t.TempDir(), "acc.txt")
	require.NoError(t, os.WriteFile(p, []byte("# c\nGO-2 a reason\n"), 0o600))
	acc, err := readAccepted(p)
	require.NoError(t, err)
	require.Equal(t, map[string]string{"GO-2": "a reason"}, acc)
	require.NoError(t, os.WriteFile(p, []byte("GO-2\n"), 0o600))
	_, err = readAccepted(p)
	require.ErrorContains(t, err, "no reason")
}
