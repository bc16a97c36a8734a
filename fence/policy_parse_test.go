package fence

import (
	"testing"

	"prenv.dev/prenv/internal/golden"
	"prenv.dev/prenv/plan"
	"prenv.dev/prenv/spec"
)

// TestModelDocumentsParse: every IAM document of a model (its policies'
// and its role's trust policy) is one the final checks read without error.
// comparePolicies relies on it: an object's document equal to the model's
// is accepted without parsing either.
func TestModelDocumentsParse(t *testing.T) {
	docs := 0
	for name, env := range golden.ExampleSpecs(t, spec.Load) {
		for _, pr := range []int{1, 4321, spec.MaxPR} {
			m, err := plan.Plan(env, pr)
			if err != nil {
				t.Fatalf("examples/%s, PR %d: %v", name, pr, err)
			}
			list := []string{m.Role.TrustPolicy}
			for _, pm := range m.Policies {
				list = append(list, pm.Document)
			}
			for _, d := range list {
				docs++
				if _, err := parsePolicy(d); err != nil {
					t.Errorf("examples/%s, PR %d: %v\n%s", name, pr, err, d)
				}
			}
		}
	}
	if docs < 30 {
		t.Errorf("parsed %d documents only", docs)
	}
}
