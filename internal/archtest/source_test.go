package archtest

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// root is the module's root, two levels up from this package.
const root = "../.."

// file is one parsed Go file of the module.
type file struct {
	path string // relative to root, with forward slashes
	dir  string // its package directory, relative to root
	ast  *ast.File
	fset *token.FileSet
}

// skipDir reports whether the walk skips dir: the web UI (its node_modules ship stray .go
// files), the nested devserver module and test data.
func skipDir(rel string) bool {
	base := filepath.Base(rel)
	return rel == "web" || rel == "devserver" || base == "testdata" || base == "node_modules" || strings.HasPrefix(base, ".")
}

// sources parses the module's Go files (tests too when withTests), sorted by path.
func sources(t *testing.T, withTests bool) []file {
	t.Helper()
	fset := token.NewFileSet()
	var out []file
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		rel = filepath.ToSlash(rel)
		if d.IsDir() {
			if rel != "." && skipDir(rel) {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(p, ".go") || (!withTests && strings.HasSuffix(p, "_test.go")) {
			return nil
		}
		src, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		f, err := parser.ParseFile(fset, rel, src, parser.ParseComments)
		if err != nil {
			return err
		}
		out = append(out, file{path: rel, dir: filepath.ToSlash(filepath.Dir(rel)), ast: f, fset: fset})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].path < out[j].path })
	return out
}
