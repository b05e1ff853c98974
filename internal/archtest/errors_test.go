package archtest

import (
	"bytes"
	"flag"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite docs/ERRORS.md from the source")

// constructors are the apperr functions that fix a code's kind (and, for some, the code).
var constructors = map[string]struct{ kind, code string }{
	"BadRequest": {kind: "KindInvalid"}, "Unauthorized": {kind: "KindUnauthenticated"},
	"Forbidden": {kind: "KindForbidden"}, "Conflict": {kind: "KindConflict"}, "Rule": {kind: "KindRule"},
	"NotFound": {kind: "KindNotFound", code: "not_found"}, "TooLarge": {kind: "KindTooLarge", code: "too_large"},
	"Invalid": {kind: "KindInvalid", code: "invalid_input"},
}

// errorCode is one code the source raises, with its kind and where.
type errorCode struct {
	code, kind string
	dirs       []string
}

// consts maps "dir.Name" and "pkgname.Name" to the string value of a constant.
type consts map[string]string

func collectConsts(files []file) consts {
	c := consts{}
	for _, f := range files {
		for _, d := range f.ast.Decls {
			g, ok := d.(*ast.GenDecl)
			if !ok || g.Tok != token.CONST {
				continue
			}
			for _, s := range g.Specs {
				vs := s.(*ast.ValueSpec)
				for i, n := range vs.Names {
					if i < len(vs.Values) {
						c[f.dir+"."+n.Name] = exprString(vs.Values[i])
						c[f.ast.Name.Name+"."+n.Name] = exprString(vs.Values[i])
					}
				}
			}
		}
	}
	return c
}

// exprString is a string literal's value, or the text of a selector or identifier.
func exprString(e ast.Expr) string {
	switch e := e.(type) {
	case *ast.BasicLit:
		if s, err := strconv.Unquote(e.Value); err == nil {
			return s
		}
	case *ast.SelectorExpr:
		if x, ok := e.X.(*ast.Ident); ok {
			return "@" + x.Name + "." + e.Sel.Name
		}
	case *ast.Ident:
		return "@." + e.Name
	}
	return ""
}

// resolve follows constant references from file f ("@pkg.Name", "@.Name") to a value.
func (c consts) resolve(f file, v string) string {
	for range 5 {
		if !strings.HasPrefix(v, "@") {
			return v
		}
		ref := v[1:]
		if strings.HasPrefix(ref, ".") {
			ref = f.dir + ref
		}
		next, ok := c[ref]
		if !ok {
			return ""
		}
		v = next
	}
	return ""
}

// assigned lists the string literals assigned to variable name inside fn.
func assigned(fn ast.Node, name string) []string {
	var out []string
	ast.Inspect(fn, func(n ast.Node) bool {
		if as, ok := n.(*ast.AssignStmt); ok && len(as.Lhs) == len(as.Rhs) {
			for i, l := range as.Lhs {
				if id, ok := l.(*ast.Ident); ok && id.Name == name {
					if lit, ok := as.Rhs[i].(*ast.BasicLit); ok && lit.Kind == token.STRING {
						s, _ := strconv.Unquote(lit.Value)
						out = append(out, s)
					}
				}
			}
		}
		return true
	})
	return out
}

// kindName resolves e to the name of an apperr kind constant ("KindConflict"), or "".
func (c consts) kindName(f file, e ast.Expr, kinds map[string]string) string {
	v := exprString(e)
	for range 5 {
		if !strings.HasPrefix(v, "@") {
			return ""
		}
		name := v[strings.LastIndex(v, ".")+1:]
		if _, ok := kinds[name]; ok && (strings.HasPrefix(v, "@apperr.") || f.dir == "internal/apperr") {
			return name
		}
		ref := v[1:]
		if strings.HasPrefix(ref, ".") {
			ref = f.dir + ref
		}
		if v = c[ref]; v == "" {
			return ""
		}
	}
	return ""
}

// errorCodes walks the non-test source for the codes it raises: calls of the apperr
// constructors, of any function whose first two arguments are a kind and a code
// (apperr.New, domain.Refuse, domain.RefuseWith and their wrappers), and apperr.Error literals.
func errorCodes(files []file, kinds map[string]string) map[[2]string]*errorCode {
	c := collectConsts(files)
	out := map[[2]string]*errorCode{}
	add := func(f file, fn ast.Node, kind string, codeExpr ast.Expr, fixed string) {
		codes := []string{fixed}
		if fixed == "" {
			v := c.resolve(f, exprString(codeExpr))
			codes = []string{v}
			if v == "" {
				if id, ok := codeExpr.(*ast.Ident); ok && fn != nil {
					codes = assigned(fn, id.Name)
				}
			}
		}
		for _, code := range codes {
			if code == "" {
				continue
			}
			k := [2]string{kinds[kind], code}
			e := out[k]
			if e == nil {
				e = &errorCode{code: code, kind: kinds[kind]}
				out[k] = e
			}
			if !slices.Contains(e.dirs, f.dir) {
				e.dirs = append(e.dirs, f.dir)
			}
		}
	}
	for _, f := range files {
		if strings.HasPrefix(f.path, "bench/") || strings.HasPrefix(f.path, "chaos/") {
			continue
		}
		for _, d := range f.ast.Decls {
			fn, ok := d.(*ast.FuncDecl)
			var scope ast.Node = d
			if ok {
				scope = fn
			}
			ast.Inspect(d, func(n ast.Node) bool {
				switch n := n.(type) {
				case *ast.CallExpr:
					if name := calleeName(n.Fun); name != "" && (isApperr(n.Fun) || f.dir == "internal/apperr") {
						if ctor, ok := constructors[name]; ok && (ctor.code != "" || len(n.Args) > 0) {
							var codeExpr ast.Expr
							if len(n.Args) > 0 {
								codeExpr = n.Args[0]
							}
							add(f, scope, ctor.kind, codeExpr, ctor.code)
							return true
						}
					}
					if len(n.Args) >= 2 {
						if k := c.kindName(f, n.Args[0], kinds); k != "" {
							add(f, scope, k, n.Args[1], "")
						}
					}
				case *ast.CompositeLit:
					var kind string
					var codeExpr ast.Expr
					for _, el := range n.Elts {
						kv, ok := el.(*ast.KeyValueExpr)
						if !ok {
							continue
						}
						switch key, _ := kv.Key.(*ast.Ident); {
						case key == nil:
						case key.Name == "Kind":
							kind = c.kindName(f, kv.Value, kinds)
						case key.Name == "Code":
							codeExpr = kv.Value
						}
					}
					if kind != "" && codeExpr != nil {
						add(f, scope, kind, codeExpr, "")
					}
				}
				return true
			})
		}
	}
	return out
}

func calleeName(e ast.Expr) string {
	switch e := e.(type) {
	case *ast.SelectorExpr:
		return e.Sel.Name
	case *ast.Ident:
		return e.Name
	}
	return ""
}

func isApperr(e ast.Expr) bool {
	sel, ok := e.(*ast.SelectorExpr)
	if !ok {
		return false
	}
	x, ok := sel.X.(*ast.Ident)
	return ok && x.Name == "apperr"
}

// kindTable reads the kinds of internal/apperr: constant name → value, their order (Kinds)
// and their doc comments.
func kindTable(t *testing.T) (names map[string]string, order []string, doc map[string]string) {
	t.Helper()
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, root+"/internal/apperr/apperr.go", nil, parser.ParseComments)
	if err != nil {
		t.Fatal(err)
	}
	names, doc = map[string]string{}, map[string]string{}
	for _, d := range f.Decls {
		g, ok := d.(*ast.GenDecl)
		if !ok {
			continue
		}
		for _, s := range g.Specs {
			vs, ok := s.(*ast.ValueSpec)
			if !ok {
				continue
			}
			for i, n := range vs.Names {
				if g.Tok == token.CONST && strings.HasPrefix(n.Name, "Kind") && i < len(vs.Values) {
					names[n.Name] = exprString(vs.Values[i])
					text := strings.TrimSpace(vs.Doc.Text())
					_, text, _ = strings.Cut(text, ": ")
					doc[names[n.Name]] = strings.Join(strings.Fields(text), " ")
				}
				if g.Tok == token.VAR && n.Name == "Kinds" {
					for _, el := range vs.Values[i].(*ast.CompositeLit).Elts {
						order = append(order, names[el.(*ast.Ident).Name])
					}
				}
			}
		}
	}
	return names, order, doc
}

// httpStatuses reads the httpStatus table of server/errors.go: kind value → status number,
// the numbers from net/http's constants.
func httpStatuses(t *testing.T, kinds map[string]string) map[string]int {
	t.Helper()
	fset := token.NewFileSet()
	std := map[string]int{}
	goroot, err := exec.Command("go", "env", "GOROOT").Output()
	if err != nil {
		t.Fatal(err)
	}
	sf, err := parser.ParseFile(fset, filepath.Join(strings.TrimSpace(string(goroot)), "src/net/http/status.go"), nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	ast.Inspect(sf, func(n ast.Node) bool {
		if vs, ok := n.(*ast.ValueSpec); ok && len(vs.Values) == len(vs.Names) {
			for i, name := range vs.Names {
				if lit, ok := vs.Values[i].(*ast.BasicLit); ok && lit.Kind == token.INT {
					std[name.Name], _ = strconv.Atoi(lit.Value)
				}
			}
		}
		return true
	})
	ef, err := parser.ParseFile(fset, root+"/server/errors.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	local := map[string]int{}
	out := map[string]int{}
	ast.Inspect(ef, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.ValueSpec:
			for i, name := range n.Names {
				if i < len(n.Values) {
					if lit, ok := n.Values[i].(*ast.BasicLit); ok && lit.Kind == token.INT {
						local[name.Name], _ = strconv.Atoi(lit.Value)
					}
					if cl, ok := n.Values[i].(*ast.CompositeLit); ok && name.Name == "httpStatus" {
						for _, el := range cl.Elts {
							kv := el.(*ast.KeyValueExpr)
							k := kinds[kv.Key.(*ast.SelectorExpr).Sel.Name]
							switch v := kv.Value.(type) {
							case *ast.SelectorExpr:
								out[k] = std[v.Sel.Name]
							case *ast.Ident:
								out[k] = local[v.Name]
							}
						}
					}
				}
			}
		}
		return true
	})
	return out
}

func errorsDoc(t *testing.T) []byte {
	names, order, kindDoc := kindTable(t)
	status := httpStatuses(t, names)
	codes := errorCodes(sources(t, false), names)
	var b bytes.Buffer
	b.WriteString("# Error codes\n\n")
	b.WriteString("Every error the gateway answers has the one body of DESIGN.md, `{\"error\": {\"code\", \"message\",\n")
	b.WriteString("\"fields\"?, \"extra\"?, \"request_id\"}}`: `code` is a stable English id, `message` the Chinese\n")
	b.WriteString("explanation. An error has a kind (`internal/apperr`); the gateway alone turns the kind into\n")
	b.WriteString("the HTTP status (`server/errors.go`). A workflow refuses an Update with the same type\n")
	b.WriteString("(`domain.Refuse`).\n\n")
	b.WriteString("Generated from the source by `go test ./internal/archtest -run TestErrorsDoc -update`;\n")
	b.WriteString("the test fails when this page and the code differ.\n\n")
	b.WriteString("## Kinds\n\n| kind | HTTP status | meaning |\n|---|---|---|\n")
	for _, k := range order {
		fmt.Fprintf(&b, "| `%s` | %d | %s |\n", k, status[k], kindDoc[k])
	}
	b.WriteString("\n## Codes\n\n| code | kind | HTTP status | raised in |\n|---|---|---|---|\n")
	list := make([]*errorCode, 0, len(codes))
	for _, e := range codes {
		list = append(list, e)
	}
	sort.Slice(list, func(i, j int) bool {
		if list[i].code != list[j].code {
			return list[i].code < list[j].code
		}
		return slices.Index(order, list[i].kind) < slices.Index(order, list[j].kind)
	})
	for _, e := range list {
		slices.Sort(e.dirs)
		fmt.Fprintf(&b, "| `%s` | `%s` | %d | %s |\n", e.code, e.kind, status[e.kind], "`"+strings.Join(e.dirs, "`, `")+"`")
	}
	return b.Bytes()
}

// TestErrorsDoc (issue 16 item 2) fails when docs/ERRORS.md is not the page the source
// generates: every kind with its HTTP status, every code with its kind. -update rewrites it.
func TestErrorsDoc(t *testing.T) {
	want := errorsDoc(t)
	path := root + "/docs/ERRORS.md"
	if *update {
		if err := os.WriteFile(path, want, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("docs/ERRORS.md differs from the codes in the source: run go test ./internal/archtest -run TestErrorsDoc -update")
	}
}
