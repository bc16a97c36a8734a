package spec_test

import (
	"testing"

	"prenv.dev/prenv/internal/testkit"
	"prenv.dev/prenv/spec"
)

// TestCheckRefusesPodSecurityLabels: spec.labels go on the env's Namespace
// too, so a Pod Security Admission label there would lower the level
// prenv enforces; every such key is refused at its path.
func TestCheckRefusesPodSecurityLabels(t *testing.T) {
	env := testkit.ValidSpec()
	env.Spec.Labels = map[string]string{
		"pod-security.kubernetes.io/enforce":         "privileged",
		"pod-security.kubernetes.io/warn":            "privileged",
		"pod-security.kubernetes.io/enforce-version": "v1.0",
		"team": "web",
	}
	errs := spec.Check(env)
	var got []string
	for _, e := range errs {
		got = append(got, e.Error())
	}
	const rule = "Forbidden: sets the env Namespace's Pod Security Admission level, which prenv sets itself (enforce baseline); a spec may not lower it"
	want := []string{
		"spec.labels[pod-security.kubernetes.io/enforce]: " + rule,
		"spec.labels[pod-security.kubernetes.io/enforce-version]: " + rule,
		"spec.labels[pod-security.kubernetes.io/warn]: " + rule,
	}
	if len(got) != len(want) {
		t.Fatalf("got %d problems, want %d:\n%q", len(got), len(want), got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("problem %d:\n got %s\nwant %s", i, got[i], want[i])
		}
	}
}
