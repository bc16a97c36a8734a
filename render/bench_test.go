package render_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"prenv.dev/prenv/plan"
	"prenv.dev/prenv/render"
	"prenv.dev/prenv/spec"
)

// benchSpecs are the benchmark sizes:
//
//	small:  the required fields only (a role, a policy-less env), built in Go
//	medium: examples/web/prenv.yaml (one table, one queue with a DLQ, DNS)
//	large:  examples/large/prenv.yaml, the "large example" (3 tables
//	        with GSIs, LSIs, streams, TTL, PITR; 3 queues, 2 with DLQs)
//	xlarge: testdata/bench-large.yaml (10 PROVISIONED tables with GSIs, LSIs,
//	        streams, TTL and PITR; 10 queues, 9 with DLQs; IAM extras; tags)
func benchSpecs(b *testing.B) []struct {
	name string
	env  *spec.PreviewEnvironment
} {
	b.Helper()
	load := func(path string) *spec.PreviewEnvironment {
		b.Helper()
		data, err := os.ReadFile(path)
		if err != nil {
			b.Fatal(err)
		}
		env, err := spec.Load(data)
		if err != nil {
			b.Fatal(err)
		}
		return env
	}
	return []struct {
		name string
		env  *spec.PreviewEnvironment
	}{
		{"small", minimalSpec()},
		{"medium", load(filepath.Join("..", "examples", "web", "prenv.yaml"))},
		{"large", load(filepath.Join("..", "examples", "large", "prenv.yaml"))},
		{"xlarge", load(filepath.Join("testdata", "bench-large.yaml"))},
	}
}

// minimalSpec has only what every spec must have.
func minimalSpec() *spec.PreviewEnvironment {
	return &spec.PreviewEnvironment{
		APIVersion: spec.APIVersion,
		Kind:       spec.Kind,
		Metadata:   spec.Metadata{Name: "web"},
		Spec: spec.Spec{
			Prefix: "test",
			AWS: spec.AWS{
				AccountID:       "123456789012",
				Region:          "eu-west-1",
				OIDCProviderURL: "https://oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE",
			},
		},
	}
}

// BenchmarkPlan is the model alone: checks, names, ARNs, policy packing.
func BenchmarkPlan(b *testing.B) {
	for _, s := range benchSpecs(b) {
		b.Run(s.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := plan.Plan(s.env, 123); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkRender is the first stages of render.Render with a new
// Renderer each time: Plan plus Helm's engine and parsing its output.
func BenchmarkRender(b *testing.B) {
	ctx := context.Background()
	for _, s := range benchSpecs(b) {
		b.Run(s.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				r, err := render.NewRenderer(render.Options{})
				if err != nil {
					b.Fatal(err)
				}
				if _, err := r.Objects(ctx, s.env, 123); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkRenderer is Renderer.Objects with one Renderer reused, as a
// program that renders many environments does: the kit is read and checked
// once.
func BenchmarkRenderer(b *testing.B) {
	ctx := context.Background()
	r, err := render.NewRenderer(render.Options{})
	if err != nil {
		b.Fatal(err)
	}
	for _, s := range benchSpecs(b) {
		b.Run(s.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := r.Objects(ctx, s.env, 123); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkRenderMarshal is Renderer.Objects with a new Renderer, then YAML.
func BenchmarkRenderMarshal(b *testing.B) {
	ctx := context.Background()
	for _, s := range benchSpecs(b) {
		b.Run(s.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				r, err := render.NewRenderer(render.Options{})
				if err != nil {
					b.Fatal(err)
				}
				out, err := r.Objects(ctx, s.env, 123)
				if err != nil {
					b.Fatal(err)
				}
				y, err := out.YAML()
				if err != nil {
					b.Fatal(err)
				}
				b.SetBytes(int64(len(y)))
			}
		})
	}
}

// BenchmarkLoad is decoding: YAML to JSON, strict decoding.
func BenchmarkLoad(b *testing.B) {
	for _, name := range []string{filepath.Join("..", "examples", "web", "prenv.yaml"), filepath.Join("testdata", "bench-large.yaml")} {
		data, err := os.ReadFile(name)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(filepath.Base(name), func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(data)))
			for b.Loop() {
				if _, err := spec.Load(data); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkRenderFull is what render env does after loading, in one call:
// render.Render (check, plan, kit, final checks, validation with a new
// validator), then YAML.
func BenchmarkRenderFull(b *testing.B) {
	ctx := context.Background()
	for _, s := range benchSpecs(b) {
		b.Run(s.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				out, err := render.Render(ctx, s.env, 123, render.Options{})
				if err != nil {
					b.Fatal(err)
				}
				y, err := out.YAML()
				if err != nil {
					b.Fatal(err)
				}
				b.SetBytes(int64(len(y)))
			}
		})
	}
}
