package archtest

import (
	"bufio"
	"bytes"
	"encoding/json"
	"go/ast"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"testing"
)

const module = "egovpm"

// rule is one row of the import table of docs/ARCHITECTURE.md.
type rule struct {
	pkg      string // a package, or a prefix with "/..."
	any      bool   // may import any package of the module
	may      []string
	mustNot  []string
	mustLink []string // must not link, even indirectly
}

func (r rule) matches(pkg string) bool {
	if p, ok := strings.CutSuffix(r.pkg, "/..."); ok {
		return pkg == p || strings.HasPrefix(pkg, p+"/")
	}
	return pkg == r.pkg
}

var backticked = regexp.MustCompile("`([^`]+)`")

// importTable reads the table under "## The packages and their imports".
func importTable(t *testing.T) []rule {
	t.Helper()
	doc, err := os.ReadFile(root + "/docs/ARCHITECTURE.md")
	if err != nil {
		t.Fatal(err)
	}
	var rules []rule
	in := false
	sc := bufio.NewScanner(bytes.NewReader(doc))
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "## ") {
			in = line == "## The packages and their imports"
			continue
		}
		if !in || !strings.HasPrefix(line, "| `") {
			continue
		}
		cells := strings.Split(strings.Trim(line, "|"), "|")
		if len(cells) != 4 {
			t.Fatalf("import table row with %d cells, want 4: %s", len(cells), line)
		}
		names := func(cell string) []string {
			var out []string
			for _, m := range backticked.FindAllStringSubmatch(cell, -1) {
				out = append(out, m[1])
			}
			return out
		}
		r := rule{pkg: names(cells[0])[0], may: names(cells[1]), mustNot: names(cells[2]), mustLink: names(cells[3])}
		r.any = strings.TrimSpace(cells[1]) == "any"
		rules = append(rules, r)
	}
	if len(rules) == 0 {
		t.Fatal("docs/ARCHITECTURE.md has no import table")
	}
	return rules
}

// listed is what go list says of a package.
type listed struct {
	ImportPath string
	Imports    []string
	Deps       []string
}

func goList(t *testing.T) []listed {
	t.Helper()
	cmd := exec.Command("go", "list", "-json=ImportPath,Imports,Deps", "./...")
	cmd.Dir = root
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v: %s", err, stderr.String())
	}
	var pkgs []listed
	dec := json.NewDecoder(bytes.NewReader(out))
	for dec.More() {
		var p listed
		if err := dec.Decode(&p); err != nil {
			t.Fatal(err)
		}
		pkgs = append(pkgs, p)
	}
	return pkgs
}

func local(path string) (string, bool) {
	if path == module {
		return ".", true
	}
	return strings.CutPrefix(path, module+"/")
}

// TestImports (issue 16 item 6) fails on an import outside the table of docs/ARCHITECTURE.md:
// a package of the module a row does not allow, a package a row refuses, or (must not link)
// a package a row's package depends on even indirectly; and on a package without a row.
func TestImports(t *testing.T) {
	rules := importTable(t)
	for _, p := range goList(t) {
		pkg, ok := local(p.ImportPath)
		if !ok {
			continue
		}
		i := slices.IndexFunc(rules, func(r rule) bool { return r.matches(pkg) })
		if i < 0 {
			t.Errorf("%s has no row in the import table of docs/ARCHITECTURE.md", pkg)
			continue
		}
		r := rules[i]
		for _, imp := range p.Imports {
			if slices.Contains(r.mustNot, imp) {
				t.Errorf("%s imports %s (must not import, docs/ARCHITECTURE.md)", pkg, imp)
			}
			if dep, ok := local(imp); ok && !r.any && !slices.Contains(r.may, dep) {
				t.Errorf("%s imports %s, which its row does not allow (docs/ARCHITECTURE.md)", pkg, dep)
			}
		}
		for _, dep := range p.Deps {
			name := dep
			if l, ok := local(dep); ok {
				name = l
			}
			if slices.Contains(r.mustLink, name) {
				t.Errorf("%s links %s (must not link, docs/ARCHITECTURE.md)", pkg, name)
			}
		}
	}
}

// TestStoreHandle (issue 16 item 3): outside internal/store, only tests and the harnesses
// (bench/, chaos/, internal/testdb) take the store's database handle (Store.DB); the processes
// call the store's methods.
func TestStoreHandle(t *testing.T) {
	for _, f := range sources(t, false) {
		switch {
		case f.dir == "internal/store", f.dir == "internal/testdb", strings.HasPrefix(f.path, "bench/"),
			strings.HasPrefix(f.path, "chaos/"):
			continue
		}
		ast.Inspect(f.ast, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok || len(call.Args) != 0 {
				return true
			}
			if sel, ok := call.Fun.(*ast.SelectorExpr); ok && sel.Sel.Name == "DB" {
				t.Errorf("%s: calls %s: use a method of the store", f.fset.Position(call.Pos()), "DB()")
			}
			return true
		})
	}
}
