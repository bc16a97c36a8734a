package manifest_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"prenv.dev/prenv/internal/golden"
	"prenv.dev/prenv/kit"
	"prenv.dev/prenv/manifest"
	"prenv.dev/prenv/render"
	"prenv.dev/prenv/spec"
)

const goldenPRNumber = 123

// renderedExamples renders every example (examples/<name>/prenv.yaml) for
// pr, with its app chart (charts/preview-app) where it has app-values.yaml.
func renderedExamples(t testing.TB, pr int) map[string][]*unstructured.Unstructured {
	t.Helper()
	root := golden.Root(t)
	out := map[string][]*unstructured.Unstructured{}
	for name, env := range golden.ExampleSpecs(t, spec.Load) {
		o, err := render.Render(context.Background(), env, pr, render.Options{})
		if err != nil {
			t.Fatal(err)
		}
		out[name] = o.Objects
		values, err := os.ReadFile(filepath.Join(root, "examples", name, "app-values.yaml"))
		if os.IsNotExist(err) {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		app, err := kit.RenderChart(context.Background(), o.Model, kit.ChartOptions{Dir: filepath.Join(root, "charts", "preview-app"), Values: [][]byte{values}})
		if err != nil {
			t.Fatal(err)
		}
		out[name+"/app"] = app
	}
	return out
}

// TestMarshalExamplesMatchYAMLv2 compares Marshal with yaml.v2 on every
// object the examples render (for two PR numbers) and on the objects of
// every golden file.
func TestMarshalExamplesMatchYAMLv2(t *testing.T) {
	sets := map[string][]*unstructured.Unstructured{}
	for _, pr := range []int{goldenPRNumber, 2147483647} {
		for name, objs := range renderedExamples(t, pr) {
			sets[fmt.Sprintf("examples/%s/pr%d", name, pr)] = objs
		}
	}
	files, err := filepath.Glob(filepath.Join(golden.Root(t), "golden", "*", "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 10 {
		t.Fatalf("want golden files, found %v", files)
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		objs, err := manifest.ParseObjects(data)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		sets["golden/"+filepath.Base(filepath.Dir(f))+"/"+filepath.Base(f)] = objs
	}
	for name, objs := range sets {
		t.Run(name, func(t *testing.T) {
			if len(objs) == 0 {
				t.Fatal("no objects")
			}
			manifest.CheckMarshal(t, objs)
			for _, o := range objs {
				manifest.CheckMarshal(t, []*unstructured.Unstructured{o})
			}
		})
	}
}

// TestMarshalWriterCoversExamples keeps the fast path fast: the writer
// writes every object the examples render without falling back to
// yaml.v2 for the whole document.
func TestMarshalWriterCoversExamples(t *testing.T) {
	for name, objs := range renderedExamples(t, goldenPRNumber) {
		for _, o := range objs {
			if !manifest.WriterCovers(o.Object) {
				t.Errorf("%s: %s %s: the writer fell back to yaml.v2", name, o.GetKind(), o.GetName())
			}
		}
	}
}

// BenchmarkMarshal writes the objects examples/web renders for one PR, with
// the writer and with yaml.v2 alone.
func BenchmarkMarshal(b *testing.B) {
	objs := renderedExamples(b, goldenPRNumber)["web"]
	for _, bm := range []struct {
		name    string
		marshal func([]*unstructured.Unstructured) ([]byte, error)
	}{{"writer", manifest.Marshal}, {"yaml.v2", manifest.MarshalYAMLv2}} {
		b.Run(bm.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := bm.marshal(objs); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
