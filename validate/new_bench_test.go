package validate

import (
	"context"
	"testing"

	"prenv.dev/prenv/kit"
)

// BenchmarkNew builds a Validator with the embedded schemas, as render sync
// and render validate do once per process. Each New has a type checker of
// its own; what Go and the Kubernetes libraries cache process-wide is warm
// after the first (run it with -benchtime=1x in fresh processes for the
// cold cost). Besides ns/op it reports cpu-ns/op, the process's CPU time
// per New.
func BenchmarkNew(b *testing.B) {
	ctx := context.Background()
	b.ReportAllocs()
	defer reportCPU(b)()
	for i := 0; i < b.N; i++ {
		if _, err := New(ctx, Options{}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkFirstValidateObjects validates the objects of one environment
// of examples/web with a new Validator, as render sync does for its first
// env: "new" times New and the validation together (and reports
// cpu-ns/op), "validate" the validation alone, schemas it needs loaded and
// compiled on the way.
func BenchmarkFirstValidateObjects(b *testing.B) {
	ctx := context.Background()
	r, err := kit.LoadEnvKit(nil)
	if err != nil {
		b.Fatal(err)
	}
	objs := renderExample(b, r, "web", 42)
	validate := func(b *testing.B, v *Validator) {
		if r, err := v.ValidateObjects(ctx, objs, nil); err != nil || !r.Valid() {
			b.Fatalf("examples/web invalid: %v %v", err, texts(r))
		}
	}
	b.Run("new", func(b *testing.B) {
		defer reportCPU(b)()
		for i := 0; i < b.N; i++ {
			v, err := New(ctx, Options{})
			if err != nil {
				b.Fatal(err)
			}
			validate(b, v)
		}
	})
	b.Run("validate", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			b.StopTimer()
			v, err := New(ctx, Options{})
			if err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
			validate(b, v)
		}
	})
}
