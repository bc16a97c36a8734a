package validate

import (
	"context"
	"testing"

	"prenv.dev/prenv/kit"
)

// BenchmarkValidateObjects validates the objects of one environment of
// examples/web (what render sync validates per PR) with one Validator,
// whose schemas a first run outside the timing has compiled. Besides
// ns/op (wall time) it reports cpu-ns/op, the process's CPU time per
// validation (garbage collection included), which a loaded machine
// disturbs less.
func BenchmarkValidateObjects(b *testing.B) {
	ctx := context.Background()
	v := embeddedValidator(b)
	r, err := kit.LoadEnvKit(nil)
	if err != nil {
		b.Fatal(err)
	}
	objs := renderExample(b, r, "web", 42)
	if r, err := v.ValidateObjects(ctx, objs, nil); err != nil || !r.Valid() {
		b.Fatalf("examples/web invalid: %v %v", err, texts(r))
	}
	b.Run("serial", func(b *testing.B) {
		b.ReportAllocs()
		defer reportCPU(b)()
		for b.Loop() {
			if _, err := v.ValidateObjects(ctx, objs, nil); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(len(objs)), "objects/op")
	})
	b.Run("parallel", func(b *testing.B) {
		b.ReportAllocs()
		defer reportCPU(b)()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, err := v.ValidateObjects(ctx, objs, nil); err != nil {
					b.Error(err)
					return
				}
			}
		})
		b.ReportMetric(float64(len(objs)), "objects/op")
	})
}

// reportCPU starts measuring the process's CPU time; the function it
// returns reports it per operation.
func reportCPU(b *testing.B) func() {
	start := processCPU()
	return func() {
		if used := processCPU() - start; used > 0 && b.N > 0 {
			b.ReportMetric(float64(used.Nanoseconds())/float64(b.N), "cpu-ns/op")
		}
	}
}
