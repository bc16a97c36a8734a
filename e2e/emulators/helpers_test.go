package emulators_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"prenv.dev/prenv/e2e/emulators"
	"prenv.dev/prenv/render"
	"prenv.dev/prenv/spec"
)

// repoRoot is the repository's root: the folder two levels up that holds
// the go.mod of prenv.dev/prenv.
func repoRoot(t testing.TB) string {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	mod, err := os.ReadFile(filepath.Join(root, "go.mod"))
	if err != nil || !strings.HasPrefix(string(mod), "module prenv.dev/prenv\n") {
		t.Fatalf("the repository root is not two levels up: no go.mod of prenv.dev/prenv there (%v)", err)
	}
	return root
}

// tools finds node and the npm packages. A missing tool skips the test,
// unless PRENV_REQUIRE_TOOLS=1, when it fails.
func tools(t testing.TB) *emulators.Tools {
	t.Helper()
	tl, err := emulators.FindTools(filepath.Join(repoRoot(t), "e2e", "npm"))
	if err != nil {
		if errors.Is(err, emulators.ErrToolMissing) && os.Getenv("PRENV_REQUIRE_TOOLS") != "1" {
			t.Skipf("%v; set PRENV_REQUIRE_TOOLS=1 to make this a failure", err)
		}
		t.Fatal(err)
	}
	return tl
}

// dynalite starts a dynalite server for the test and stops it at the end.
func dynalite(t testing.TB) *emulators.Dynalite {
	t.Helper()
	tl := tools(t)
	d, err := emulators.StartDynalite(context.Background(), tl)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(d.Close)
	return d
}

// example is one spec of the repository, rendered.
type example struct {
	name string
	env  *spec.PreviewEnvironment
	objs []*unstructured.Unstructured
}

// examples renders every examples/*/prenv.yaml and the large benchmark spec
// render/testdata/bench-large.yaml, each for its own PR number so that no
// two share an AWS name.
func examples(t testing.TB) []example {
	t.Helper()
	root := repoRoot(t)
	paths, err := filepath.Glob(filepath.Join(root, "examples", "*", "prenv.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	paths = append(paths, filepath.Join(root, "render", "testdata", "bench-large.yaml"))
	slices.Sort(paths)
	if len(paths) < 6 {
		t.Fatalf("found %d example specs, want the five examples and bench-large.yaml: %v", len(paths), paths)
	}
	r, err := render.NewRenderer(render.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var out []example
	for i, p := range paths {
		rel, _ := filepath.Rel(root, p)
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		env, err := spec.Load(data)
		if err != nil {
			t.Fatalf("%s: %v", rel, err)
		}
		o, err := r.Render(context.Background(), env, 100+i)
		if err != nil {
			t.Fatalf("%s: %v", rel, err)
		}
		out = append(out, example{name: filepath.ToSlash(rel), env: env, objs: o.Objects})
	}
	return out
}

// tables returns the ACK DynamoDB Tables among objs.
func tables(objs []*unstructured.Unstructured) []*unstructured.Unstructured {
	var out []*unstructured.Unstructured
	for _, o := range objs {
		if o.GroupVersionKind().Group == "dynamodb.services.k8s.aws" && o.GetKind() == "Table" {
			out = append(out, o)
		}
	}
	return out
}
