package render_test

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"prenv.dev/prenv/internal/golden"
	"prenv.dev/prenv/render"
)

// TestHelmVersionsMatchGoMod keeps HelmVersion and HelmKubeVersion equal to
// what the released helm of go.mod reports: its version, and v1.N.0 for the
// client-go v0.N its own go.mod requires (helm's release build stamps that).
func TestHelmVersionsMatchGoMod(t *testing.T) {
	gomod, err := os.ReadFile(filepath.Join(golden.Root(t), "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	helm := ""
	for _, line := range strings.Split(string(gomod), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "helm.sh/helm/v3" {
			helm = f[1]
		}
	}
	if helm != render.HelmVersion {
		t.Errorf("go.mod requires helm %s, render.HelmVersion is %s", helm, render.HelmVersion)
	}
	out, err := exec.Command("go", "mod", "download", "-json", "helm.sh/helm/v3@"+helm).Output()
	if err != nil {
		t.Skipf("cannot read helm's go.mod from the module cache: %v", err)
	}
	var info struct{ GoMod string }
	if err := json.Unmarshal(out, &info); err != nil {
		t.Fatal(err)
	}
	helmMod, err := os.ReadFile(info.GoMod)
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(helmMod), "\n") {
		f := strings.Fields(line)
		if len(f) >= 2 && f[0] == "k8s.io/client-go" {
			parts := strings.Split(strings.TrimPrefix(f[1], "v"), ".")
			if want := "v1." + parts[1] + ".0"; want != render.HelmKubeVersion {
				t.Errorf("helm %s requires client-go %s, so its release reports Kubernetes %s; render.HelmKubeVersion is %s", helm, f[1], want, render.HelmKubeVersion)
			}
			return
		}
	}
	t.Errorf("helm %s's go.mod names no k8s.io/client-go", helm)
}
