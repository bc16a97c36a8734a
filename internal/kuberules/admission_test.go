package kuberules

import (
	"slices"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
)

func list(kv ...string) corev1.ResourceList {
	out := corev1.ResourceList{}
	for i := 0; i < len(kv); i += 2 {
		out[corev1.ResourceName(kv[i])] = resource.MustParse(kv[i+1])
	}
	return out
}

// TestDefaulting: a request left out is the limit (the API server's
// defaulting), then the LimitRange's defaults fill what is still missing;
// a request above a limit is reported.
func TestDefaulting(t *testing.T) {
	items := []corev1.LimitRangeItem{{Type: corev1.LimitTypeContainer, Default: list("cpu", "500m", "memory", "512Mi"), DefaultRequest: list("cpu", "100m", "memory", "128Mi")}}
	r := corev1.ResourceRequirements{Requests: list("cpu", "1"), Limits: list("memory", "64Mi")}
	DefaultRequests(&r)
	set := ApplyLimitRangeDefaults(&r, items)
	want := corev1.ResourceRequirements{Requests: list("cpu", "1", "memory", "64Mi"), Limits: list("cpu", "500m", "memory", "64Mi")}
	for _, k := range []corev1.ResourceName{"cpu", "memory"} {
		gotReq, gotLim := r.Requests[k], r.Limits[k]
		if gotReq.Cmp(want.Requests[k]) != 0 || gotLim.Cmp(want.Limits[k]) != 0 {
			t.Errorf("%s: got %v, want %v", k, r, want)
		}
	}
	if !slices.Equal(set, []corev1.ResourceName{"cpu"}) {
		t.Errorf("set limits %v, want [cpu]", set)
	}
	if got := RequestsOverLimits(r); !slices.Equal(got, []corev1.ResourceName{"cpu"}) {
		t.Errorf("RequestsOverLimits = %v, want [cpu]", got)
	}
}

// TestCheckLimits: the LimitRanger plugin's constraints and messages.
func TestCheckLimits(t *testing.T) {
	it := corev1.LimitRangeItem{Type: corev1.LimitTypeContainer, Min: list("cpu", "50m"), Max: list("memory", "1Gi"), MaxLimitRequestRatio: list("cpu", "4")}
	for name, tc := range map[string]struct {
		requests, limits corev1.ResourceList
		want             []string
	}{
		"within":             {list("cpu", "100m", "memory", "1Gi"), list("cpu", "400m", "memory", "1Gi"), nil},
		"below min":          {list("cpu", "10m", "memory", "1Gi"), list("cpu", "40m", "memory", "1Gi"), []string{"minimum cpu usage per Container is 50m, but request is 10m"}},
		"no request":         {list("memory", "1Gi"), list("cpu", "1", "memory", "1Gi"), []string{"minimum cpu usage per Container is 50m.  No request is specified", "cpu max limit to request ratio per Container is 4, but no request is specified or request is 0"}},
		"over max":           {list("cpu", "100m", "memory", "2Gi"), list("cpu", "100m", "memory", "2Gi"), []string{"maximum memory usage per Container is 1Gi, but limit is 2Gi"}},
		"no limit":           {list("cpu", "100m"), list("cpu", "100m"), []string{"maximum memory usage per Container is 1Gi.  No limit is specified"}},
		"ratio over":         {list("cpu", "100m", "memory", "1Gi"), list("cpu", "401m", "memory", "1Gi"), []string{"cpu max limit to request ratio per Container is 4, but provided ratio is 4.010000"}},
		"ratio exactly at 4": {list("cpu", "250m", "memory", "1Gi"), list("cpu", "1", "memory", "1Gi"), nil},
	} {
		t.Run(name, func(t *testing.T) {
			var got []string
			for _, v := range CheckLimits(it, tc.requests, tc.limits) {
				got = append(got, v.Message)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("got %q\nwant %q", got, tc.want)
			}
		})
	}
}

// TestQuotaMissing: a quota on cpu or memory (requests, limits or the bare
// name) makes every container state it; ephemeral storage is counted but
// not required (the quota evaluator's validationSet).
func TestQuotaMissing(t *testing.T) {
	hard := list("requests.cpu", "2", "limits.memory", "8Gi", "memory", "4Gi", "requests.ephemeral-storage", "10Gi", "pods", "10")
	r := corev1.ResourceRequirements{Requests: list("cpu", "100m")}
	got := QuotaMissing(r, hard)
	if want := []corev1.ResourceName{"limits.memory", "memory"}; !slices.Equal(got, want) {
		t.Errorf("QuotaMissing = %v, want %v", got, want)
	}
}

// TestPodQuotaUsage: a pod's requests take the larger of its containers'
// sum and its largest init container, and a sidecar (an init container
// that restarts always) adds to both, as the quota evaluator counts with
// component-helpers; limits count as limits.<name>.
func TestPodQuotaUsage(t *testing.T) {
	always := corev1.ContainerRestartPolicyAlways
	spec := corev1.PodSpec{
		InitContainers: []corev1.Container{
			{Name: "seed", Resources: corev1.ResourceRequirements{Requests: list("cpu", "900m", "memory", "64Mi"), Limits: list("cpu", "1")}},
			{Name: "proxy", RestartPolicy: &always, Resources: corev1.ResourceRequirements{Requests: list("cpu", "50m", "memory", "32Mi")}},
		},
		Containers: []corev1.Container{
			{Name: "a", Resources: corev1.ResourceRequirements{Requests: list("cpu", "200m", "memory", "256Mi"), Limits: list("cpu", "500m", "ephemeral-storage", "1Gi")}},
			{Name: "b", Resources: corev1.ResourceRequirements{Requests: list("cpu", "100m", "memory", "128Mi")}},
		},
	}
	got := PodQuotaUsage(&spec)
	want := list("pods", "1",
		"requests.cpu", "900m", "cpu", "900m", // the seed runs alone: 900m over 50m+200m+100m
		"requests.memory", "416Mi", "memory", "416Mi", // 32Mi+256Mi+128Mi over 64Mi
		"limits.cpu", "1", "limits.ephemeral-storage", "1Gi")
	if len(got) != len(want) {
		t.Fatalf("got %v\nwant %v", got, want)
	}
	for k, w := range want {
		if g, ok := got[k]; !ok || g.Cmp(w) != 0 {
			t.Errorf("%s: got %v, want %v", k, got[k], w.String())
		}
	}
}
