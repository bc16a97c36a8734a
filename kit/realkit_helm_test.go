package kit_test

import (
	"context"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v3/pkg/engine"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"prenv.dev/prenv/kit"
	"prenv.dev/prenv/manifest"
	"prenv.dev/prenv/plan"
	"prenv.dev/prenv/spec"
	"prenv.dev/prenv/templates"
)

// TestKitMatchesHelm: the embedded templates (templates/), run by the
// kit as render runs them, give the same objects as Helm's own engine
// (helm.sh/helm/v3/pkg/engine, strict) given the same files as a chart and
// the same values and release, for every example spec.
func TestKitMatchesHelm(t *testing.T) {
	ctx := context.Background()
	k, err := kit.LoadEnvKit(nil)
	if err != nil {
		t.Fatal(err)
	}
	c := &chart.Chart{Metadata: &chart.Metadata{APIVersion: chart.APIVersionV2, Name: "prenv", Version: "0.0.0", Type: "application"}}
	names, err := fs.Glob(templates.FS, "*")
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range names {
		if !strings.HasSuffix(n, ".yaml") && !strings.HasSuffix(n, ".tpl") {
			continue
		}
		b, err := fs.ReadFile(templates.FS, n)
		if err != nil {
			t.Fatal(err)
		}
		c.Templates = append(c.Templates, &chart.File{Name: "templates/" + n, Data: b})
	}
	if len(c.Templates) < 10 {
		t.Fatalf("%d templates in the embedded kit; want every file of templates/", len(c.Templates))
	}
	specs, err := filepath.Glob(filepath.Join("..", "examples", "*", "prenv.yaml"))
	if err != nil || len(specs) == 0 {
		t.Fatalf("no example specs: %v", err)
	}
	kinds := map[string]bool{}
	for _, p := range specs {
		t.Run(filepath.Base(filepath.Dir(p)), func(t *testing.T) {
			data, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			env, err := spec.Load(data)
			if err != nil {
				t.Fatal(err)
			}
			m, err := plan.Plan(env, 123)
			if err != nil {
				t.Fatal(err)
			}
			got, err := k.ExecuteModel(ctx, m)
			if err != nil {
				t.Fatal(err)
			}
			values, err := kit.TemplateValues(m)
			if err != nil {
				t.Fatal(err)
			}
			release := map[string]any{"Name": m.EnvName, "Namespace": m.Namespace, "Service": "prenv", "IsInstall": true, "IsUpgrade": false, "Revision": 1}
			rendered, err := engine.Engine{Strict: true}.Render(c, chartutil.Values{"Values": values, "Release": release, "Capabilities": kit.HelmCapabilities()})
			if err != nil {
				t.Fatalf("Helm's engine: %v", err)
			}
			sameAsHelm(t, got, rendered)
			for _, o := range got {
				kinds[o.GetKind()] = true
			}
		})
	}
	// The examples reach every kind the kit renders, not a few.
	for _, kind := range []string{"Namespace", "ServiceAccount", "Policy", "Role", "Table", "Queue", "ConfigMap", "NetworkPolicy", "ResourceQuota", "LimitRange", "StatefulSet", "Service", "Job", "RoleBinding"} {
		if !kinds[kind] {
			t.Errorf("no example renders a %s: the comparison does not cover its template", kind)
		}
	}
}

// sameAsHelm fails unless the kit's objects are those of Helm's rendered
// files (parsed in file order, sorted as the kit sorts), and returns the
// kit's YAML.
func sameAsHelm(t *testing.T, got []*unstructured.Unstructured, rendered map[string]string) []byte {
	t.Helper()
	var want []*unstructured.Unstructured
	for _, n := range slices.Sorted(maps.Keys(rendered)) {
		objs, err := manifest.ParseObjects([]byte(rendered[n]))
		if err != nil {
			t.Fatalf("%s: %v", n, err)
		}
		want = append(want, objs...)
	}
	manifest.SortObjects(want)
	wantYAML, err := manifest.Marshal(want)
	if err != nil {
		t.Fatal(err)
	}
	gotYAML, err := manifest.Marshal(got)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) == 0 || string(gotYAML) != string(wantYAML) {
		t.Errorf("the kit gives\n%s\nHelm's engine gives\n%s", gotYAML, wantYAML)
	}
	return gotYAML
}
