package kit_test

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"prenv.dev/prenv/awsrules"
	"prenv.dev/prenv/internal/golden"
	"prenv.dev/prenv/internal/testkit"
	"prenv.dev/prenv/kit"
	"prenv.dev/prenv/plan"
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
	if helm != kit.HelmVersion {
		t.Errorf("go.mod requires helm %s, render.HelmVersion is %s", helm, kit.HelmVersion)
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
			if want := "v1." + parts[1] + ".0"; want != kit.HelmKubeVersion {
				t.Errorf("helm %s requires client-go %s, so its release reports Kubernetes %s; render.HelmKubeVersion is %s", helm, f[1], want, kit.HelmKubeVersion)
			}
			return
		}
	}
	t.Errorf("helm %s's go.mod names no k8s.io/client-go", helm)
}

// TestChartReleaseNameLimit: as helm template, a release name over 53
// characters is refused before anything renders; the default release name,
// the app, always fits because prefix and app have at most 51 characters.
func TestChartReleaseNameLimit(t *testing.T) {
	env := testkit.ValidSpec()
	m, err := plan.Plan(env, 1)
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(golden.Root(t), "charts", "preview-app")
	vals := []byte("image: {repository: registry.example/web, tag: \"1\"}\ningress: {enabled: false}\n")
	_, err = kit.RenderChart(t.Context(), m, kit.ChartOptions{Dir: dir, Values: [][]byte{vals}, ReleaseName: strings.Repeat("r", 54)})
	if err == nil || !strings.Contains(err.Error(), `release name "`+strings.Repeat("r", 54)+`": invalid release name`) {
		t.Fatalf("err = %v, want helm's invalid release name", err)
	}
	if _, err := kit.RenderChart(t.Context(), m, kit.ChartOptions{Dir: dir, Values: [][]byte{vals}, ReleaseName: strings.Repeat("r", 53)}); err != nil {
		t.Fatalf("53 characters: %v", err)
	}
	if awsrules.MaxEnvNameParts-1 > awsrules.MaxReleaseNameLen {
		t.Errorf("an app may have %d characters, over Helm's %d", awsrules.MaxEnvNameParts-1, awsrules.MaxReleaseNameLen)
	}
}
