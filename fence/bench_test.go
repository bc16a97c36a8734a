package fence_test

import (
	"slices"
	"testing"

	"prenv.dev/prenv/fence"
	"prenv.dev/prenv/spec"
)

// BenchmarkCheckObjects runs the final checks on one env of examples/web
// as render sync does: prenv's own objects are the final objects
// themselves (nothing shaped them), so each is compared with itself.
func BenchmarkCheckObjects(b *testing.B) {
	env, m, objs := finalObjects(b, "web", "", false, "")
	rules := fence.ObjectRules{AppKinds: spec.AppKinds(env), Own: slices.Clone(objs)}
	if problems := fence.CheckObjects(m, objs, rules); len(problems) > 0 {
		b.Fatalf("examples/web: %v", problems)
	}
	b.ReportAllocs()
	for b.Loop() {
		fence.CheckObjects(m, objs, rules)
	}
	b.ReportMetric(float64(len(objs)), "objects/op")
}
