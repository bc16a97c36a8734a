package render_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"prenv.dev/prenv/internal/golden"
	"prenv.dev/prenv/internal/testkit"
	"prenv.dev/prenv/kit"
	"prenv.dev/prenv/manifest"
	"prenv.dev/prenv/spec/schema"
)

// TestGoldenEnv renders every example for PR 123 and compares the stream with
// golden/<example>/env.yaml.
func TestGoldenEnv(t *testing.T) {
	examples := golden.Examples(t)
	if len(examples) < 4 {
		t.Fatalf("want at least 4 examples, found %v", examples)
	}
	for _, name := range examples {
		t.Run(name, func(t *testing.T) {
			got, err := testkit.RenderExample(t, name).YAML()
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
	got, err := schema.JSONSchema()
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
			out := testkit.RenderExample(t, name)
			app, err := kit.RenderChart(context.Background(), out.Model, kit.ChartOptions{Dir: filepath.Join(root, "charts", "preview-app"), Values: [][]byte{values}})
			if err != nil {
				t.Fatal(err)
			}
			objs := append(out.Objects, app...)
			manifest.SortObjects(objs)
			got, err := manifest.Marshal(objs)
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
