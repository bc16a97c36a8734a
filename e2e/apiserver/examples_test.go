package apiserver_test

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"prenv.dev/prenv/e2e/internal/cluster"
	"prenv.dev/prenv/kit"
	"prenv.dev/prenv/manifest"
	"prenv.dev/prenv/render"
)

// overlay is a small kustomization, as a user would pass with --kustomize:
// a label and an annotation on every object, and a patch of the
// ConfigMap.
const overlay = `apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
labels:
- pairs: {e2e.prenv.dev/overlay: "true"}
  includeSelectors: false
commonAnnotations:
  e2e.prenv.dev/owner: platform-team
patches:
- target: {kind: ConfigMap}
  patch: |-
    - op: add
      path: /data/E2E_OVERLAY
      value: "on"
`

// variant is one way of calling `render env` on an example.
type variant struct {
	name      string
	chart     bool // --chart charts/preview-app --values examples/<ex>/app-values.yaml
	kustomize bool // --kustomize <overlay>
}

var variants = []variant{
	{name: "plain"},
	{name: "chart", chart: true},
	{name: "kustomize", kustomize: true},
	{name: "chart+kustomize", chart: true, kustomize: true},
}

// renderVariant renders an example as `render env` does with the
// variant's flags (the same library calls as cmd/render's env command), and
// returns the objects as printed.
func renderVariant(t *testing.T, example string, pr int, v variant, overlayDir string) []*unstructured.Unstructured {
	t.Helper()
	ctx := context.Background()
	root := repoRoot(t)
	out, err := render.Render(ctx, loadSpec(t, example), pr, render.Options{})
	if err != nil {
		t.Fatal(err)
	}
	objs := out.Objects
	if v.chart {
		values, err := os.ReadFile(filepath.Join(root, "examples", example, "app-values.yaml"))
		if err != nil {
			t.Fatal(err)
		}
		app, err := kit.RenderChart(ctx, out.Model, kit.ChartOptions{
			Dir: filepath.Join(root, "charts", "preview-app"), Values: [][]byte{values},
		})
		if err != nil {
			t.Fatal(err)
		}
		objs = append(objs, app...)
		manifest.SortObjects(objs)
	}
	if v.kustomize {
		objs, err = kit.Kustomize(ctx, overlayDir, objs)
		if err != nil {
			t.Fatal(err)
		}
	}
	objs = printed(t, objs)
	mustValidate(t, objs, nil)
	return objs
}

// TestExamples applies every example, with and without the app chart and a
// kustomization, to the API server with server-side apply (field manager
// prenv, strict field validation), reads every object back and checks that
// the server stored every field as rendered: prenv's own objects exactly,
// apart from the fields the server sets (uid, resourceVersion,
// managedFields, a Namespace's finalizers and status; see serverSetFields),
// the app chart's objects with the server's defaults added. Then it applies
// the same objects again and checks that nothing changed (the same
// resourceVersion), and that the server sent no warning.
func TestExamples(t *testing.T) {
	cl := client(t)
	root := repoRoot(t)
	files, err := filepath.Glob(filepath.Join(root, "examples", "*", "prenv.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var examples []string
	for _, f := range files {
		examples = append(examples, filepath.Base(filepath.Dir(f)))
	}
	for _, want := range []string{"databases", "large", "minimal", "previews", "web", "worker"} {
		if !slices.Contains(examples, want) {
			t.Errorf("examples/%s/prenv.yaml is missing; found %q", want, examples)
		}
	}
	overlayDir := t.TempDir()
	if err := os.WriteFile(filepath.Join(overlayDir, "kustomization.yaml"), []byte(overlay), 0o644); err != nil {
		t.Fatal(err)
	}

	// Each example and variant gets a PR number of its own, so a namespace
	// of its own.
	pr := 9000
	applied := 0
	for _, ex := range examples {
		_, err := os.Stat(filepath.Join(root, "examples", ex, "app-values.yaml"))
		hasChart := err == nil
		for _, v := range variants {
			if v.chart && !hasChart {
				continue
			}
			pr++
			t.Run(ex+"/"+v.name, func(t *testing.T) {
				objs := renderVariant(t, ex, pr, v, overlayDir)
				if v.chart {
					var kinds []string
					for _, o := range objs {
						kinds = append(kinds, o.GetKind())
					}
					for _, k := range []string{"Deployment", "Service", "Ingress"} {
						if !slices.Contains(kinds, k) {
							t.Errorf("--chart rendered no %s (kinds %q)", k, kinds)
						}
					}
				}
				if v.kustomize {
					for _, o := range objs {
						if o.GetLabels()["e2e.prenv.dev/overlay"] != "true" {
							t.Errorf("%s: the kustomization's label is missing", objectName(o))
						}
					}
				}
				applied += applyAndCompare(t, cl, objs)
			})
		}
	}
	// 7 examples with 2 variants, 2 of them (web and large) with 4.
	if want := 7*2 + 2*2; pr-9000 != want {
		t.Errorf("rendered %d example variants, want %d", pr-9000, want)
	}
	t.Logf("applied %d objects", applied)
}

// serverSetFields lists the fields the API server adds to an object that
// prenv renders; exact is false for the app chart's kinds and the
// databases' workloads, which the server defaults at length (a Deployment's
// strategy, a Service's clusterIP, a Job's selector and pod defaults, ...),
// and for which only rendered ⊆ stored is checked.
func serverSetFields(o *unstructured.Unstructured) (fields []string, exact bool) {
	if g := o.GroupVersionKind().Group; g == "apps" || g == "batch" || o.GetKind() == "Service" || o.GetKind() == "Ingress" {
		return nil, false
	}
	fields = []string{
		"metadata.creationTimestamp", "metadata.generation", "metadata.managedFields",
		"metadata.resourceVersion", "metadata.uid",
	}
	if o.GetAPIVersion() == "v1" && o.GetKind() == "Namespace" {
		// The NamespaceDefaultLabelName admission and the namespace
		// registry: its name as a label, the kubernetes finalizer, its
		// phase.
		fields = append(fields, "metadata.labels.kubernetes.io/metadata.name", "spec", "status")
	}
	if o.GetAPIVersion() == "v1" && o.GetKind() == "ResourceQuota" {
		// The quota controller fills in what is used.
		fields = append(fields, "status")
	}
	return fields, true
}

// applyAndCompare applies objs in order (the Namespace first), reads each
// back and compares, applies them again and checks that no
// resourceVersion changed. It returns the number of objects applied.
func applyAndCompare(t *testing.T, cl *cluster.Client, objs []*unstructured.Unstructured) int {
	t.Helper()
	ctx := context.Background()
	if len(objs) == 0 || objs[0].GetKind() != "Namespace" {
		t.Fatalf("the first object is not the Namespace")
	}
	versions := map[cluster.ObjectKey]string{}
	for _, o := range objs {
		if _, err := cl.Apply(ctx, o, cluster.ApplyOptions{}); err != nil {
			t.Errorf("apply %s: %v", objectName(o), err)
			continue
		}
		stored, err := cl.Get(ctx, o)
		if err != nil {
			t.Errorf("get %s: %v", objectName(o), err)
			continue
		}
		for _, d := range subsetDiff("", o.Object, stored.Object) {
			t.Errorf("%s: %s", objectName(o), d)
		}
		if set, exact := serverSetFields(o); exact {
			for _, f := range extraFields(o.Object, stored.Object) {
				if !slices.Contains(set, f) {
					t.Errorf("%s: the server added %s, which prenv did not render", objectName(o), f)
				}
			}
		}
		versions[cluster.KeyOf(o)] = stored.GetResourceVersion()
	}
	if t.Failed() {
		return 0
	}
	for _, w := range cl.TakeWarnings() {
		t.Errorf("the server warned: %s", w)
	}
	for _, o := range objs {
		again, err := cl.Apply(ctx, o, cluster.ApplyOptions{})
		if err != nil {
			t.Errorf("second apply %s: %v", objectName(o), err)
			continue
		}
		if rv, want := again.GetResourceVersion(), versions[cluster.KeyOf(o)]; rv != want {
			t.Errorf("second apply of %s changed it: resourceVersion %s, was %s", objectName(o), rv, want)
		}
	}
	return len(objs)
}
