package fence

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
	psaapi "k8s.io/pod-security-admission/api"
	psapolicy "k8s.io/pod-security-admission/policy"
)

// TestPodFieldsCoverEveryCheck: every Pod Security check of the pinned
// k8s.io/pod-security-admission has its fields in podFields, so that a
// problem names a field, not only the pod spec.
func TestPodFieldsCoverEveryCheck(t *testing.T) {
	for _, k := range psapolicy.DefaultChecks() {
		if _, ok := podFields[k.ID]; !ok {
			t.Errorf("check %s (%s) has no fields in podFields", k.ID, k.Level)
		}
	}
}

// TestPodChecksAgreeWithTheEvaluator: the checks one at a time fail
// exactly where Pod Security Admission's evaluator of all default checks
// does, at each level, for a pod that breaks many rules and for one that
// breaks none.
func TestPodChecksAgreeWithTheEvaluator(t *testing.T) {
	all, err := psapolicy.NewEvaluator(psapolicy.DefaultChecks(), nil)
	if err != nil {
		t.Fatal(err)
	}
	yes, no, root := true, false, int64(0)
	bad := &corev1.PodSpec{
		HostNetwork: true, HostIPC: true,
		SecurityContext: &corev1.PodSecurityContext{RunAsUser: &root, Sysctls: []corev1.Sysctl{{Name: "kernel.msgmax", Value: "1"}}},
		Containers: []corev1.Container{{
			Name: "a", Ports: []corev1.ContainerPort{{ContainerPort: 80, HostPort: 80}},
			SecurityContext: &corev1.SecurityContext{Privileged: &yes, AllowPrivilegeEscalation: &yes, RunAsNonRoot: &no, Capabilities: &corev1.Capabilities{Add: []corev1.Capability{"NET_ADMIN"}}},
		}},
		Volumes: []corev1.Volume{{Name: "h", VolumeSource: corev1.VolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: "/"}}}, {Name: "n", VolumeSource: corev1.VolumeSource{NFS: &corev1.NFSVolumeSource{Server: "x", Path: "/"}}}},
	}
	good := &corev1.PodSpec{
		SecurityContext: &corev1.PodSecurityContext{RunAsNonRoot: &yes, SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault}},
		Containers:      []corev1.Container{{Name: "a", SecurityContext: &corev1.SecurityContext{AllowPrivilegeEscalation: &no, Capabilities: &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}}}}},
	}
	c := &objectChecker{}
	for _, level := range []psaapi.Level{psaapi.LevelBaseline, psaapi.LevelRestricted} {
		checks, err := c.podChecks(level)
		if err != nil {
			t.Fatal(err)
		}
		for name, s := range map[string]*corev1.PodSpec{"bad": bad, "good": good} {
			meta := &metav1.ObjectMeta{}
			want := 0
			for _, r := range all.EvaluatePod(psaapi.LevelVersion{Level: level, Version: psaapi.LatestVersion()}, meta, s) {
				if !r.Allowed {
					want++
				}
			}
			got := 0
			for _, k := range checks {
				if !k.result(meta, s).Allowed {
					got++
					if ps := k.paths(meta, s, field.NewPath("spec")); len(ps) == 1 && ps[0].String() == "spec" {
						t.Errorf("%s %s: check %s names no field", level, name, k.id)
					}
				}
			}
			if got != want || (name == "good" && got != 0) || (name == "bad" && got == 0) {
				t.Errorf("%s %s: %d checks fail one at a time, the evaluator fails %d", level, name, got, want)
			}
		}
	}
}
