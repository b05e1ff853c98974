// Command vulncheck runs govulncheck over the module against a local vulnerability database
// (scripts/vulndb.sh) and fails on any vulnerability the code reaches, except those listed in
// the accepted file: findings in the Go standard library that only a newer Go release fixes,
// each with its reason. An accepted id found in a module other than the standard library
// fails too (upgrade the module instead). `make vulncheck` runs it; CI runs make vulncheck.
//
//	go run ./scripts/vulncheck -db .data/vulndb -accepted .ci/govulncheck-accepted.txt [-govulncheck VERSION] [packages]
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
)

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "vulncheck:", err)
		os.Exit(1)
	}
}

func run(args []string, out io.Writer) error {
	fs := flag.NewFlagSet("vulncheck", flag.ContinueOnError)
	db := fs.String("db", ".data/vulndb", "vulnerability database directory (scripts/vulndb.sh)")
	acceptedFile := fs.String("accepted", ".ci/govulncheck-accepted.txt", "accepted standard-library ids with reasons")
	version := fs.String("govulncheck", "v1.9.0", "golang.org/x/vuln version")
	input := fs.String("json", "", "read govulncheck -format json output from this file instead of running it")
	if err := fs.Parse(args); err != nil {
		return err
	}
	pkgs := fs.Args()
	if len(pkgs) == 0 {
		pkgs = []string{"./..."}
	}
	accepted, err := readAccepted(*acceptedFile)
	if err != nil {
		return err
	}
	var raw []byte
	if *input != "" {
		if raw, err = os.ReadFile(*input); err != nil {
			return err
		}
	} else {
		dir, err := filepath.Abs(*db)
		if err != nil {
			return err
		}
		cmd := exec.Command("go", append([]string{"run", "golang.org/x/vuln/cmd/govulncheck@" + *version,
			"-db", "file://" + dir, "-format", "json"}, pkgs...)...)
		cmd.Stderr = os.Stderr
		if raw, err = cmd.Output(); err != nil {
			return fmt.Errorf("govulncheck: %w", err)
		}
	}
	findings, err := parseFindings(raw)
	if err != nil {
		return err
	}
	return judge(findings, accepted, out)
}

// finding is the part of govulncheck's JSON finding this check reads.
type finding struct {
	OSV          string  `json:"osv"`
	FixedVersion string  `json:"fixed_version"`
	Trace        []frame `json:"trace"`
}

type frame struct {
	Module   string `json:"module"`
	Version  string `json:"version"`
	Package  string `json:"package"`
	Function string `json:"function"`
}

// parseFindings reads the stream of JSON messages and keeps the findings the code reaches
// (a function in the first frame: govulncheck's symbol level).
func parseFindings(raw []byte) ([]finding, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	var out []finding
	for {
		var msg struct {
			Finding *finding `json:"finding"`
		}
		if err := dec.Decode(&msg); errors.Is(err, io.EOF) {
			return out, nil
		} else if err != nil {
			return nil, fmt.Errorf("govulncheck output: %w", err)
		}
		if f := msg.Finding; f != nil && len(f.Trace) > 0 && f.Trace[0].Function != "" {
			out = append(out, *f)
		}
	}
}

// readAccepted reads "ID reason…" lines; # starts a comment.
func readAccepted(path string) (map[string]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	m := map[string]string{}
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		id, reason, _ := strings.Cut(line, " ")
		if strings.TrimSpace(reason) == "" {
			return nil, fmt.Errorf("%s:%d: %s has no reason", path, n, id)
		}
		m[id] = strings.TrimSpace(reason)
	}
	return m, sc.Err()
}

// judge prints each reached vulnerability once and fails unless every one is an accepted
// standard-library finding.
func judge(findings []finding, accepted map[string]string, out io.Writer) error {
	type vuln struct {
		module, pkg, fixed string
	}
	seen := map[string]vuln{}
	for _, f := range findings {
		top := f.Trace[0]
		seen[f.OSV+" "+top.Module] = vuln{module: top.Module, pkg: top.Package, fixed: f.FixedVersion}
	}
	keys := make([]string, 0, len(seen))
	for k := range seen {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var bad []string
	found := map[string]bool{}
	for _, k := range keys {
		id, _, _ := strings.Cut(k, " ")
		v := seen[k]
		found[id] = true
		reason, ok := accepted[id]
		switch {
		case ok && v.module == "stdlib":
			fmt.Fprintf(out, "accepted %s in %s (%s, fixed in Go %s): %s\n", id, v.pkg, runtime.Version(), strings.TrimPrefix(v.fixed, "v"), reason)
		case ok:
			bad = append(bad, fmt.Sprintf("%s in %s %s is accepted, but only standard-library findings may be: upgrade the module (fixed in %s)", id, v.module, v.pkg, v.fixed))
		case v.module == "stdlib":
			bad = append(bad, fmt.Sprintf("%s in %s (fixed in Go %s): upgrade Go, or if no newer Go can be had here, add it to the accepted file with the reason", id, v.pkg, strings.TrimPrefix(v.fixed, "v")))
		default:
			bad = append(bad, fmt.Sprintf("%s in %s %s: upgrade the module to %s", id, v.module, v.pkg, v.fixed))
		}
	}
	for _, id := range sortedKeys(accepted) {
		if !found[id] {
			fmt.Fprintf(out, "note: accepted %s is no longer found; remove it from the accepted file\n", id)
		}
	}
	if len(bad) > 0 {
		for _, b := range bad {
			fmt.Fprintln(out, "FAIL", b)
		}
		return fmt.Errorf("%d vulnerabilities reached by the code are not accepted", len(bad))
	}
	fmt.Fprintf(out, "vulncheck: ok (%d reached vulnerabilities, all accepted standard-library findings)\n", len(keys))
	return nil
}

func sortedKeys(m map[string]string) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}
