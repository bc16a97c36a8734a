package render

import (
	"os"
	"path/filepath"
	"testing"

	"prenv.dev/prenv/internal/golden"
)

// exampleSpecs loads the spec of every example (examples/*/prenv.yaml), by
// the example's name.
func exampleSpecs(t testing.TB) map[string]*PreviewEnvironment {
	t.Helper()
	root := golden.Root(t)
	out := map[string]*PreviewEnvironment{}
	for _, name := range golden.Examples(t) {
		data, err := os.ReadFile(filepath.Join(root, "examples", name, "prenv.yaml"))
		if err != nil {
			t.Fatal(err)
		}
		env, err := Load(data)
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
