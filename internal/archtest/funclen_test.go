package archtest

import (
	"go/ast"
	"strings"
	"testing"
)

// maxFuncLines is the longest a function may be (its first to its last line) outside tests,
// bench/ and devserver/: a reader holds one in their head.
const maxFuncLines = 80

// TestFunctionLength (issue 16) fails on a function or method over maxFuncLines lines outside
// tests, bench/ and devserver/.
func TestFunctionLength(t *testing.T) {
	for _, f := range sources(t, false) {
		if strings.HasPrefix(f.path, "bench/") {
			continue
		}
		for _, d := range f.ast.Decls {
			fd, ok := d.(*ast.FuncDecl)
			if !ok || fd.Body == nil {
				continue
			}
			start, end := f.fset.Position(fd.Pos()).Line, f.fset.Position(fd.End()).Line
			if n := end - start + 1; n > maxFuncLines {
				t.Errorf("%s:%d: %s is %d lines (at most %d)", f.path, start, funcName(fd), n, maxFuncLines)
			}
		}
	}
}

func funcName(fd *ast.FuncDecl) string {
	if fd.Recv == nil || len(fd.Recv.List) == 0 {
		return fd.Name.Name
	}
	typ := fd.Recv.List[0].Type
	if s, ok := typ.(*ast.StarExpr); ok {
		typ = s.X
	}
	if ix, ok := typ.(*ast.IndexExpr); ok {
		typ = ix.X
	}
	if id, ok := typ.(*ast.Ident); ok {
		return id.Name + "." + fd.Name.Name
	}
	return fd.Name.Name
}
