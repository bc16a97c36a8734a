// Package upstream finds, for tests, the upstream ACK and Argo CD CRDs:
// unchanged, with their provenance, in a folder beside the repository
// (../shared/crds from its root) or where $PRENV_SHARED_CRDS points. A test
// that compares prenv's output with them skips only that comparison when
// they are absent, and fails instead when PRENV_REQUIRE_TOOLS=1 (CI).
package upstream

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// EnvDir is the variable that names the upstream CRD folder instead of
// ../shared/crds beside the repository.
const EnvDir = "PRENV_SHARED_CRDS"

// Dir is the upstream CRD folder: $PRENV_SHARED_CRDS, or shared/crds
// beside the root of module prenv.dev/prenv, found above the working
// directory (a test's is its package's folder).
func Dir() (string, error) {
	if d := os.Getenv(EnvDir); d != "" {
		return d, nil
	}
	wd, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for d := wd; ; d = filepath.Dir(d) {
		if b, err := os.ReadFile(filepath.Join(d, "go.mod")); err == nil && strings.HasPrefix(string(b), "module prenv.dev/prenv\n") {
			return filepath.Join(filepath.Dir(d), "shared", "crds"), nil
		}
		if filepath.Dir(d) == d {
			return "", fmt.Errorf("no module prenv.dev/prenv above %s", wd)
		}
	}
}

// CRDs returns the upstream CRD folder sub ("argocd", or "" for all) and
// true; when it is absent it returns false after logging why, or fails t
// when PRENV_REQUIRE_TOOLS=1.
func CRDs(t testing.TB, sub string) (string, bool) {
	t.Helper()
	root, err := Dir()
	dir := filepath.Join(root, sub)
	if err == nil {
		_, err = os.Stat(dir)
	}
	if err == nil {
		return dir, true
	}
	if os.Getenv("PRENV_REQUIRE_TOOLS") == "1" {
		t.Fatalf("upstream CRDs not found at %s (../shared/crds beside the repository, or $%s), and PRENV_REQUIRE_TOOLS=1: %v", dir, EnvDir, err)
	}
	t.Logf("upstream CRDs not found at %s (../shared/crds beside the repository, or $%s): the comparison with them is skipped: %v", dir, EnvDir, err)
	return "", false
}
