package awsrules

import (
	"testing"

	"prenv.dev/prenv/internal/iamactions"
)

// TestDerivedActionsAreKnown: every action prenv grants itself, and the one
// its trust policy allows, is an action of AWS's as the catalogue spells it.
func TestDerivedActionsAreKnown(t *testing.T) {
	cat := iamactions.Default()
	lists := map[string][]string{
		"tableReadActions":    tableReadActions,
		"tableWriteActions":   tableWriteActions,
		"tableStreamActions":  tableStreamActions,
		"queueCommonActions":  queueCommonActions,
		"queueConsumeActions": queueConsumeActions,
		"queueProduceActions": queueProduceActions,
		"trust policy":        {"sts:AssumeRoleWithWebIdentity"},
	}
	n := 0
	for name, list := range lists {
		for _, a := range list {
			n++
			if got, ok := cat.Action(a); !ok || got != a {
				t.Errorf("%s: %q is not in the catalogue as written (found %q, %v); suggestion %q", name, a, got, ok, cat.Suggest(a))
			}
		}
	}
	if n < 15 {
		t.Errorf("checked %d actions only", n)
	}
}
