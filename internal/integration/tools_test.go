// Package integration checks prenv against the real tools its users run:
// helm and helmfile, built from source by tools/build.sh. The tests skip
// when the binaries are not built, unless PRENV_REQUIRE_TOOLS=1 (CI), when
// they fail instead.
package integration

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"prenv.dev/prenv/internal/golden"
	"prenv.dev/prenv/kit"
	"prenv.dev/prenv/manifest"
	"prenv.dev/prenv/outputdir"
	"prenv.dev/prenv/plan"
	"prenv.dev/prenv/render"
	"prenv.dev/prenv/spec"
)

const pr = 123

// tool returns the path of a built tool: $PRENV_TOOLS_BIN/<name>, or
// .tools/bin/<name> in the repository.
func tool(t testing.TB, name string) string {
	t.Helper()
	dir := os.Getenv("PRENV_TOOLS_BIN")
	if dir == "" {
		dir = filepath.Join(golden.Root(t), ".tools", "bin")
	}
	p := filepath.Join(dir, name)
	if _, err := os.Stat(p); err != nil {
		if os.Getenv("PRENV_REQUIRE_TOOLS") == "1" {
			t.Fatalf("%s is not built (run bash tools/build.sh): %v", name, err)
		}
		t.Skipf("%s is not built; run bash tools/build.sh to include this test", name)
	}
	return p
}

// runTool runs a tool and returns its standard output.
func runTool(t testing.TB, dir, bin string, args ...string) []byte {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "HELMFILE_UPGRADE_NOTICE_DISABLED=1")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s %v: %v\n%s", filepath.Base(bin), args, err, stderr.String())
	}
	return stdout.Bytes()
}

type example struct {
	name   string
	model  *plan.Model
	infra  []*unstructured.Unstructured
	app    []*unstructured.Unstructured
	values string // path of app-values.yaml
}

// load renders an example in-process: the env, and its app chart as
// render env --chart does.
func load(t testing.TB, name string) example {
	t.Helper()
	root := golden.Root(t)
	data, err := os.ReadFile(filepath.Join(root, "examples", name, "prenv.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	env, err := spec.Load(data)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	out, err := render.Render(ctx, env, pr, render.Options{})
	if err != nil {
		t.Fatal(err)
	}
	valuesPath := filepath.Join(root, "examples", name, "app-values.yaml")
	values, err := os.ReadFile(valuesPath)
	if err != nil {
		t.Fatal(err)
	}
	app, err := kit.RenderChart(ctx, out.Model, kit.ChartOptions{Dir: filepath.Join(root, "charts", "preview-app"), Values: [][]byte{values}})
	if err != nil {
		t.Fatal(err)
	}
	return example{name: name, model: out.Model, infra: out.Objects, app: app, values: valuesPath}
}

// parse parses a tool's output into objects in prenv's order.
func parse(t testing.TB, b []byte) []*unstructured.Unstructured {
	t.Helper()
	objs, err := manifest.ParseObjects(b)
	if err != nil {
		t.Fatalf("parsing tool output: %v\n%s", err, b)
	}
	manifest.SortObjects(objs)
	return objs
}

func asMaps(objs []*unstructured.Unstructured) []map[string]any {
	out := make([]map[string]any, len(objs))
	for i, o := range objs {
		out[i] = o.Object
	}
	return out
}

// writeHelmValues writes what render env --helm-values prints.
func writeHelmValues(t testing.TB, m *plan.Model) string {
	t.Helper()
	b, err := kit.HelmValuesYAML(m)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "prenv-values.yaml")
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestHelmTemplateMatches: the real `helm template` of the app chart, given
// the values `render env --helm-values` prints, yields the same objects as
// `render env --chart` renders in-process.
func TestHelmTemplateMatches(t *testing.T) {
	helm := tool(t, "helm")
	root := golden.Root(t)
	for _, name := range []string{"web", "large"} {
		t.Run(name, func(t *testing.T) {
			ex := load(t, name)
			got := runTool(t, root, helm, "template", ex.model.App, filepath.Join(root, "charts", "preview-app"),
				"--namespace", ex.model.Namespace, "-f", ex.values, "-f", writeHelmValues(t, ex.model))
			if diff := cmp.Diff(asMaps(parse(t, got)), asMaps(ex.app)); diff != "" {
				t.Errorf("helm template and render env --chart differ (-helm +prenv):\n%s", diff)
			}
		})
	}
}

// TestHelmTemplateChartsMatch: charts that lean on what helm template
// decides (capabilities and the Kubernetes version, release fields,
// subcharts switched by condition and tags, imported values) render the same
// in-process as with the real helm.
func TestHelmTemplateChartsMatch(t *testing.T) {
	helm := tool(t, "helm")
	root := golden.Root(t)
	ex := load(t, "web")
	charts, err := filepath.Glob(filepath.Join(root, "internal", "integration", "testdata", "charts", "*", "Chart.yaml"))
	if err != nil || len(charts) == 0 {
		t.Fatalf("no test charts: %v", err)
	}
	for _, c := range charts {
		dir := filepath.Dir(c)
		t.Run(filepath.Base(dir), func(t *testing.T) {
			got := runTool(t, root, helm, "template", ex.model.App, dir, "--namespace", ex.model.Namespace, "-f", writeHelmValues(t, ex.model))
			app, err := kit.RenderChart(context.Background(), ex.model, kit.ChartOptions{Dir: dir})
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(asMaps(parse(t, got)), asMaps(app)); diff != "" {
				t.Errorf("helm template and render env --chart differ (-helm +prenv):\n%s", diff)
			}
		})
	}
}

// TestHelmfileTemplateMatches: `helmfile template` over a helmfile with the
// env's raw manifests (render env --output-dir) and the app chart (with
// render env --helm-values) yields the same objects as render env --chart.
// It also checks that the committed examples/helmfile inputs are current.
func TestHelmfileTemplateMatches(t *testing.T) {
	helmfile := tool(t, "helmfile")
	helm := tool(t, "helm")
	root := golden.Root(t)
	ex := load(t, "web")
	dir := filepath.Join(root, "examples", "helmfile")

	// The committed inputs are what prenv writes today.
	wantValues, err := kit.HelmValuesYAML(ex.model)
	if err != nil {
		t.Fatal(err)
	}
	gotValues, err := os.ReadFile(filepath.Join(dir, "prenv-values.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(string(wantValues), string(gotValues)); diff != "" {
		t.Errorf("examples/helmfile/prenv-values.yaml is stale (-want +got); regenerate it with render env --helm-values:\n%s", diff)
	}
	fresh := filepath.Join(t.TempDir(), "rendered")
	if err := outputdir.WriteDir(fresh, ex.infra); err != nil {
		t.Fatal(err)
	}
	entries, _ := os.ReadDir(fresh)
	for _, e := range entries {
		want, _ := os.ReadFile(filepath.Join(fresh, e.Name()))
		got, err := os.ReadFile(filepath.Join(dir, "rendered", e.Name()))
		if err != nil || !bytes.Equal(want, got) {
			t.Errorf("examples/helmfile/rendered/%s is missing or stale; regenerate with render env --output-dir", e.Name())
		}
	}
	committed, _ := os.ReadDir(filepath.Join(dir, "rendered"))
	if len(committed) != len(entries) {
		t.Errorf("examples/helmfile/rendered has %d files, render env --output-dir writes %d", len(committed), len(entries))
	}

	out := runTool(t, dir, helmfile, "--helm-binary", helm, "-f", "helmfile.yaml", "template")
	got := parse(t, out)
	// helmfile turns the folder of plain manifests into a chart (chartify),
	// which sets the release's namespace on every object, the cluster-scoped
	// Namespace included. Helm drops a namespace on cluster-scoped objects
	// when it applies them, so that is the one difference allowed.
	for _, o := range got {
		if o.GetKind() == "Namespace" && o.GetAPIVersion() == "v1" {
			unstructured.RemoveNestedField(o.Object, "metadata", "namespace")
		}
	}
	want := append(append([]*unstructured.Unstructured{}, ex.infra...), ex.app...)
	manifest.SortObjects(want)
	if diff := cmp.Diff(asMaps(got), asMaps(want)); diff != "" {
		t.Errorf("helmfile template and render env --chart differ (-helmfile +prenv):\n%s", diff)
	}
}

// BenchmarkChart compares, in one run, rendering the web example's app
// chart in-process (render env --chart) with running the real helm template.
func BenchmarkChart(b *testing.B) {
	root := golden.Root(b)
	ex := load(b, "web")
	values, err := os.ReadFile(ex.values)
	if err != nil {
		b.Fatal(err)
	}
	chartDir := filepath.Join(root, "charts", "preview-app")
	b.Run("in-process", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := kit.RenderChart(context.Background(), ex.model, kit.ChartOptions{Dir: chartDir, Values: [][]byte{values}}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("helm-template", func(b *testing.B) {
		helm := tool(b, "helm")
		hv := writeHelmValues(b, ex.model)
		for b.Loop() {
			runTool(b, root, helm, "template", ex.model.App, chartDir, "--namespace", ex.model.Namespace, "-f", ex.values, "-f", hv)
		}
	})
}
