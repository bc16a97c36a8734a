package render_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"prenv.dev/prenv/internal/golden"
	"prenv.dev/prenv/render"
)

// goldenPR is the pull-request number the golden files are rendered for.
const goldenPR = 123

// renderExample renders examples/<name>/prenv.yaml for goldenPR.
func renderExample(t *testing.T, name string) *render.Output {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(golden.Root(t), "examples", name, "prenv.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	env, err := render.Load(data)
	if err != nil {
		t.Fatal(err)
	}
	out, err := render.Render(context.Background(), env, goldenPR, render.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestGoldenEnv renders every example for PR 123 and compares the stream with
// golden/<example>/env.yaml.
func TestGoldenEnv(t *testing.T) {
	examples := golden.Examples(t)
	if len(examples) < 4 {
		t.Fatalf("want at least 4 examples, found %v", examples)
	}
	for _, name := range examples {
		t.Run(name, func(t *testing.T) {
			got, err := renderExample(t, name).YAML()
			if err != nil {
				t.Fatal(err)
			}
			golden.Check(t, name+"/env.yaml", got)
		})
	}
}

// TestSchemaInSync keeps schemas/prenv.schema.json equal to the schema
// generated from the Go types.
func TestSchemaInSync(t *testing.T) {
	got, err := render.JSONSchema()
	if err != nil {
		t.Fatal(err)
	}
	golden.CheckFile(t, "schemas/prenv.schema.json", got)
}

// TestGoldenFull renders the whole environment, infrastructure and app chart,
// of every example that has app-values.yaml, and compares it with
// golden/<example>/full.yaml.
func TestGoldenFull(t *testing.T) {
	root := golden.Root(t)
	n := 0
	for _, name := range golden.Examples(t) {
		values, err := os.ReadFile(filepath.Join(root, "examples", name, "app-values.yaml"))
		if os.IsNotExist(err) {
			continue
		}
		n++
		t.Run(name, func(t *testing.T) {
			if err != nil {
				t.Fatal(err)
			}
			out := renderExample(t, name)
			app, err := render.RenderChart(context.Background(), out.Model, render.ChartOptions{Dir: filepath.Join(root, "charts", "preview-app"), Values: [][]byte{values}})
			if err != nil {
				t.Fatal(err)
			}
			objs := append(out.Objects, app...)
			render.SortObjects(objs)
			got, err := render.Marshal(objs)
			if err != nil {
				t.Fatal(err)
			}
			golden.Check(t, name+"/full.yaml", got)
		})
	}
	if n < 2 {
		t.Errorf("want at least 2 examples with app-values.yaml, found %d", n)
	}
}
