// Package admission_test runs the pod cases of prenv's offline admission
// against a real kube-apiserver's LimitRanger and ResourceQuota admission,
// with kube-controller-manager's resourcequota controller counting usage
// (the server applies a quota only once it has counted). A test binary of
// its own: the controller writes every quota's status, which the other
// tiers' tests of applying twice would see as a change.
package admission_test

import (
	"os"
	"path/filepath"
	"testing"

	"prenv.dev/prenv/e2e/internal/cluster"
	"prenv.dev/prenv/spec"
)

// env is the control plane of this test binary.
var env cluster.Env

func TestMain(m *testing.M) {
	os.Exit(cluster.Main(m, cluster.Options{Controllers: []string{"resourcequota"}}, &env))
}

// loadSpec reads examples/<name>/prenv.yaml as `render env -f` does.
func loadSpec(t testing.TB, example string) *spec.PreviewEnvironment {
	t.Helper()
	root, err := cluster.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(root, "examples", example, "prenv.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	s, err := spec.Load(data)
	if err != nil {
		t.Fatalf("%s: %v", example, err)
	}
	return s
}
