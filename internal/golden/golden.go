// Package golden compares test output with files under the repository's
// golden/ folder. Every test package of the module imports it, so that
//
//	go test ./... -update
//
// rewrites the golden files instead of comparing with them.
package golden

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite golden files instead of comparing with them")

// Updating reports whether the test run rewrites golden files.
func Updating() bool { return *update }

// Root returns the repository root: the nearest folder above the test's
// working directory that holds go.mod.
func Root(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the test's folder")
		}
		dir = parent
	}
}

// Check compares got with the golden file at name, relative to the
// repository's golden/ folder, or rewrites the file under -update. Line
// endings are normalised, so a checkout with CRLF still matches.
func Check(t testing.TB, name string, got []byte) {
	t.Helper()
	CheckFile(t, "golden/"+name, got)
}

// CheckFile is Check for any generated file of the repository: name is
// slash-separated and relative to the repository's root.
func CheckFile(t testing.TB, name string, got []byte) {
	t.Helper()
	path := filepath.Join(Root(t), filepath.FromSlash(name))
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("reading generated file (run go test ./... -update to create it): %v", err)
	}
	want = bytes.ReplaceAll(want, []byte("\r\n"), []byte("\n"))
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("%s differs (-want +got); run go test ./... -update if the change is intended:\n%s", name, diff)
	}
}

// Examples lists the example folders (examples/<name>/prenv.yaml), sorted.
func Examples(t testing.TB) []string {
	t.Helper()
	matches, err := filepath.Glob(filepath.Join(Root(t), "examples", "*", "prenv.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, m := range matches {
		names = append(names, filepath.Base(filepath.Dir(m)))
	}
	return names
}

// ExampleSpecs loads the spec of every example (examples/*/prenv.yaml) with
// load (the spec package's Load, given no overrides), by the example's
// name. It fails t when a spec does not load or there is none.
func ExampleSpecs[T, O any](t testing.TB, load func([]byte, ...O) (T, error)) map[string]T {
	t.Helper()
	root := Root(t)
	out := map[string]T{}
	for _, name := range Examples(t) {
		data, err := os.ReadFile(filepath.Join(root, "examples", name, "prenv.yaml"))
		if err != nil {
			t.Fatal(err)
		}
		env, err := load(data)
		if err != nil {
			t.Fatalf("examples/%s: %v", name, err)
		}
		out[name] = env
	}
	if len(out) == 0 {
		t.Fatal("no example specs")
	}
	return out
}
