package workflows_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Limits that keep the workflow packages readable (issue 16): a file under workflows/ a person
// reads in one sitting, a function on one screen.
const (
	maxWorkflowFileLines = 450
	maxFuncLines         = 80
)

// TestWorkflowFilesStaySmall: no .go file under workflows/ (tests included) is over
// maxWorkflowFileLines lines.
func TestWorkflowFilesStaySmall(t *testing.T) {
	n := 0
	walkGo(t, ".", func(path string, src []byte) {
		n++
		lines := strings.Count(string(src), "\n")
		assert.LessOrEqual(t, lines, maxWorkflowFileLines, "%s has %d lines: split it by concern", path, lines)
	})
	require.Greater(t, n, 10, "the walk found the package's files")
}

// TestFunctionsStayShort: no function outside tests in workflows/, worker/ and activities/ is
// over maxFuncLines lines (from its func keyword to its closing brace).
func TestFunctionsStayShort(t *testing.T) {
	n := 0
	for _, dir := range []string{".", "../worker", "../activities"} {
		walkGo(t, dir, func(path string, src []byte) {
			if strings.HasSuffix(path, "_test.go") {
				return
			}
			fset := token.NewFileSet()
			f, err := parser.ParseFile(fset, path, src, parser.SkipObjectResolution)
			require.NoError(t, err)
			for _, d := range f.Decls {
				fn, ok := d.(*ast.FuncDecl)
				if !ok || fn.Body == nil {
					continue
				}
				n++
				lines := fset.Position(fn.End()).Line - fset.Position(fn.Pos()).Line + 1
				assert.LessOrEqual(t, lines, maxFuncLines, "%s: %s has %d lines", path, fn.Name.Name, lines)
			}
		})
	}
	require.Greater(t, n, 50, "the walk found the functions")
}

// walkGo calls fn with every .go file under dir.
func walkGo(t *testing.T, dir string, fn func(path string, src []byte)) {
	t.Helper()
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") {
			return err
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		fn(path, src)
		return nil
	})
	require.NoError(t, err)
}
