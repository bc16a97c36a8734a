package render

import (
	"os"
	"path/filepath"
	"testing"
)

// TestModelDocumentsParse: every IAM document of a model (its policies'
// and its role's trust policy) is one the final checks read without error.
// comparePolicies relies on it: an object's document equal to the model's
// is accepted without parsing either.
func TestModelDocumentsParse(t *testing.T) {
	paths, err := filepath.Glob(filepath.Join("..", "examples", "*", "prenv.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if len(paths) < 5 {
		t.Fatalf("found %d example specs", len(paths))
	}
	docs := 0
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		env, err := Load(data)
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		for _, pr := range []int{1, 4321, MaxPR} {
			m, err := Plan(env, pr)
			if err != nil {
				t.Fatalf("%s, PR %d: %v", p, pr, err)
			}
			list := []string{m.Role.TrustPolicy}
			for _, pm := range m.Policies {
				list = append(list, pm.Document)
			}
			for _, d := range list {
				docs++
				if _, err := parsePolicy(d); err != nil {
					t.Errorf("%s, PR %d: %v\n%s", p, pr, err, d)
				}
			}
		}
	}
	if docs < 30 {
		t.Errorf("parsed %d documents only", docs)
	}
}
