// Package layout holds the test that keeps prenv's packages one per stage:
// no library package over [maxLines] lines of non-test Go, each stage
// importing only the stages before it, and the packages beside the
// pipeline (argocd, leftovers, diff) never importing render.
package layout

import (
	"bytes"
	"fmt"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"prenv.dev/prenv/internal/golden"
)

// module is the import path of the repository's module.
const module = "prenv.dev/prenv"

// maxLines bounds the lines of non-test Go of one library package, as
// wc -l counts them (comments and blank lines included), so that no
// package grows into one that does everything.
const maxLines = 4000

// stages are the library's packages in the order of the data flow: each
// may import only the ones before it.
var stages = []string{"awsrules", "spec", "trust", "spec/schema", "plan", "kit", "fence", "validate", "outputdir", "render"}

// beside are the packages, and the trees under them, that read the spec
// beside the pipeline: they may import any stage but render.
var beside = []string{"argocd", "leftovers", "diff"}

// utilities are packages that every stage may use: they import no stage.
var utilities = []string{"manifest", "templates", "schemas"}

// pkg is one package of the module: its lines of non-test Go and the
// packages of the module it imports, both by path relative to the module.
type pkg struct {
	lines   int
	imports []string
}

// readPackages reads every package of the module under root, leaving out
// testdata, hidden folders and folders of other modules (e2e, tools).
func readPackages(t *testing.T, root string) map[string]*pkg {
	t.Helper()
	pkgs := map[string]*pkg{}
	fset := token.NewFileSet()
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			name := d.Name()
			if path != root && (name == "testdata" || strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_")) {
				return filepath.SkipDir
			}
			if _, err := os.Stat(filepath.Join(path, "go.mod")); path != root && err == nil {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		rel, err := filepath.Rel(root, filepath.Dir(path))
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		p := pkgs[rel]
		if p == nil {
			p = &pkg{}
			pkgs[rel] = p
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		p.lines += bytes.Count(src, []byte("\n"))
		f, err := parser.ParseFile(fset, path, src, parser.ImportsOnly)
		if err != nil {
			return err
		}
		for _, imp := range f.Imports {
			ip, err := strconv.Unquote(imp.Path.Value)
			if err != nil {
				return err
			}
			if rest, ok := strings.CutPrefix(ip, module+"/"); ok && !slices.Contains(p.imports, rest) {
				p.imports = append(p.imports, rest)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return pkgs
}

// under reports whether the package at path is one of roots or under one.
func under(path string, roots []string) bool {
	return slices.ContainsFunc(roots, func(r string) bool { return path == r || strings.HasPrefix(path, r+"/") })
}

// reaches lists the packages of the module that path imports, directly or
// through others, sorted.
func reaches(pkgs map[string]*pkg, path string) []string {
	seen := map[string]bool{}
	var walk func(string)
	walk = func(p string) {
		if pkgs[p] == nil {
			return
		}
		for _, imp := range pkgs[p].imports {
			if !seen[imp] {
				seen[imp] = true
				walk(imp)
			}
		}
	}
	walk(path)
	var out []string
	for p := range seen {
		out = append(out, p)
	}
	slices.Sort(out)
	return out
}

// problems lists, sorted, every package of pkgs that breaks the layout:
// a library package (all but cmd/ and the internal ones, which no library
// user sees) that is not classified, or over maxLines; a stage that
// imports a later stage, a utility that imports a stage, and a package
// beside the pipeline that reaches render.
func problems(pkgs map[string]*pkg) []string {
	var out []string
	for path, p := range pkgs {
		if under(path, []string{"cmd"}) {
			continue
		}
		if p.lines > maxLines {
			out = append(out, fmt.Sprintf("package %s has %d lines of non-test Go, over %d: move a part that stands on its own into a package of its own", path, p.lines, maxLines))
		}
		if under(path, []string{"internal"}) {
			continue
		}
		switch {
		case slices.Contains(stages, path):
			i := slices.Index(stages, path)
			for _, imp := range p.imports {
				if j := slices.Index(stages, imp); j > i {
					out = append(out, fmt.Sprintf("stage %s imports %s, a later stage (the stages are %s)", path, imp, strings.Join(stages, " → ")))
				}
			}
		case under(path, beside):
			if slices.Contains(reaches(pkgs, path), "render") {
				out = append(out, fmt.Sprintf("package %s reaches render: it reads the spec beside the pipeline and may use the stages before render only", path))
			}
		case slices.Contains(utilities, path):
			for _, imp := range p.imports {
				if slices.Contains(stages, imp) {
					out = append(out, fmt.Sprintf("package %s imports the stage %s: a utility imports no stage", path, imp))
				}
			}
		default:
			out = append(out, fmt.Sprintf("package %s is not a stage, a package beside the pipeline or a utility: add it to one of the lists of this test", path))
		}
	}
	slices.Sort(out)
	return out
}

// TestOnePackagePerStage: the repository's packages keep the layout
// ([problems]), and every package the lists name exists.
func TestOnePackagePerStage(t *testing.T) {
	pkgs := readPackages(t, golden.Root(t))
	for _, want := range slices.Concat(stages, beside, utilities) {
		if pkgs[want] == nil {
			t.Errorf("package %s has no Go files: update the lists of this test", want)
		}
	}
	for _, p := range problems(pkgs) {
		t.Error(p)
	}
}

// TestLayoutCatches: each kind of fault of the layout is reported, on a
// small tree of packages written for the test, and a folder of another
// module is not read.
func TestLayoutCatches(t *testing.T) {
	root := t.TempDir()
	write := func(dir, src string) {
		t.Helper()
		if err := os.MkdirAll(filepath.Join(root, dir), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(root, dir, "a.go"), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	imports := func(name, imp string) string {
		return "package " + name + "\n\nimport _ \"" + module + "/" + imp + "\"\n"
	}
	write("spec", imports("spec", "plan"))
	write("argocd/sub", imports("sub", "kit"))
	write("kit", imports("kit", "render"))
	write("manifest", imports("manifest", "spec"))
	write("render", "package render\n"+strings.Repeat("\n", maxLines))
	write("newpkg", "package newpkg\n")
	write("internal/helper", imports("helper", "render"))
	write("cmd/tool", "package main\n"+strings.Repeat("\n", maxLines))
	write("e2e", imports("e2e", "render"))
	if err := os.WriteFile(filepath.Join(root, "e2e", "go.mod"), []byte("module e2e\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	pkgs := readPackages(t, root)
	if pkgs["e2e"] != nil {
		t.Error("the folder of another module was read")
	}
	want := []string{
		"package argocd/sub reaches render: it reads the spec beside the pipeline and may use the stages before render only",
		"package manifest imports the stage spec: a utility imports no stage",
		"package newpkg is not a stage, a package beside the pipeline or a utility: add it to one of the lists of this test",
		"package render has 4001 lines of non-test Go, over 4000: move a part that stands on its own into a package of its own",
		"stage kit imports render, a later stage (the stages are awsrules → spec → trust → spec/schema → plan → kit → fence → validate → outputdir → render)",
		"stage spec imports plan, a later stage (the stages are awsrules → spec → trust → spec/schema → plan → kit → fence → validate → outputdir → render)",
	}
	if got := problems(pkgs); !slices.Equal(got, want) {
		t.Errorf("problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
