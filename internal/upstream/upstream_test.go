package upstream

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// recorder is a testing.TB that records what CRDs says instead of
// stopping the test.
type recorder struct {
	testing.TB
	fatal, log string
}

func (r *recorder) Helper()                      {}
func (r *recorder) Fatalf(f string, args ...any) { r.fatal = fmt.Sprintf(f, args...) }
func (r *recorder) Logf(f string, args ...any)   { r.log = fmt.Sprintf(f, args...) }

// TestCRDs: the folder is found through $PRENV_SHARED_CRDS or beside the
// repository; when absent, CRDs says so and returns false, and fails the
// test under PRENV_REQUIRE_TOOLS=1.
func TestCRDs(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "argocd"), 0o755); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(dir, "none")
	for _, tc := range []struct {
		env, require string
		wantOK       bool
		wantFatal    bool
	}{
		{dir, "", true, false},
		{dir, "1", true, false},
		{missing, "", false, false},
		{missing, "1", false, true},
	} {
		t.Setenv(EnvDir, tc.env)
		t.Setenv("PRENV_REQUIRE_TOOLS", tc.require)
		r := &recorder{TB: t}
		got, ok := CRDs(r, "argocd")
		if ok != tc.wantOK || (ok && got != filepath.Join(dir, "argocd")) || (r.fatal != "") != tc.wantFatal || (!ok && !tc.wantFatal && r.log == "") {
			t.Errorf("%s=%s PRENV_REQUIRE_TOOLS=%s: got %q %v, fatal %q, log %q", EnvDir, tc.env, tc.require, got, ok, r.fatal, r.log)
		}
	}
	t.Setenv(EnvDir, "")
	d, err := Dir()
	if wd, _ := os.Getwd(); err != nil || d != filepath.Join(filepath.Dir(filepath.Dir(filepath.Dir(wd))), "shared", "crds") {
		t.Errorf("Dir() = %q, %v; want shared/crds beside the repository", d, err)
	}
}
