package plan_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	corev1 "k8s.io/api/core/v1"

	"prenv.dev/prenv/internal/golden"
	"prenv.dev/prenv/internal/kuberules"
	"prenv.dev/prenv/render"
	"prenv.dev/prenv/spec"
)

// TestOwnPodsFitTheBounds: prenv's own pods (the databases with their seed
// init container, the password Job, the migrations Jobs) state their CPU and
// memory requests and limits, so that the env's ResourceQuota admits them
// with the env's LimitRange, with another one, and with none
// (--allow-unbounded, the quota still capping limits.*); the final checks,
// which admit every pod as the API server does, pass.
func TestOwnPodsFitTheBounds(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(golden.Root(t), "examples", "databases", "prenv.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	for name, tc := range map[string]struct {
		limitRange *spec.LimitRange
		// wantCPU is the migrations Job's CPU limit.
		wantCPU string
	}{
		"the default LimitRange": {nil, "500m"},
		"another default":        {&spec.LimitRange{Default: spec.ResourceList{"cpu": "300m"}}, "300m"},
		"no LimitRange":          {&spec.LimitRange{Enabled: new(false)}, "500m"},
	} {
		t.Run(name, func(t *testing.T) {
			env, err := spec.Load(data)
			if err != nil {
				t.Fatal(err)
			}
			env.Spec.LimitRange = tc.limitRange
			out, err := render.Render(context.Background(), env, 7, render.Options{AllowUnbounded: true})
			if err != nil {
				t.Fatal(err)
			}
			n := 0
			for _, o := range out.Objects {
				pods, err := kuberules.PodTemplates(o)
				if err != nil {
					t.Fatal(err)
				}
				for _, p := range pods {
					for _, c := range append(p.Spec.InitContainers, p.Spec.Containers...) {
						n++
						for _, k := range []string{"cpu", "memory"} {
							_, req := c.Resources.Requests[corev1.ResourceName(k)]
							_, lim := c.Resources.Limits[corev1.ResourceName(k)]
							if !req || !lim {
								t.Errorf("%s %s: container %s does not state its %s request and limit: %v", o.GetKind(), o.GetName(), c.Name, k, c.Resources)
							}
						}
						if c.Name == "migrations" {
							if got := c.Resources.Limits[corev1.ResourceName("cpu")]; got.String() != tc.wantCPU {
								t.Errorf("migrations CPU limit %s, want %s", got.String(), tc.wantCPU)
							}
						}
					}
				}
			}
			if n != 5 {
				t.Errorf("found %d containers of prenv's own pods, want 5 (2 databases, a seed, 2 Jobs)", n)
			}
		})
	}
}
