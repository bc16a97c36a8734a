package emulators_test

import (
	"context"
	"fmt"
	"math"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"prenv.dev/prenv/e2e/emulators"
	"prenv.dev/prenv/render"
	"prenv.dev/prenv/spec"
)

// TestCapacityEdges puts a table's provisioned capacity at the edges of
// what DynamoDB takes (1 to 10^12 units; dynalite's rule, which its tests
// check against DynamoDB itself) and of what a JSON number holds exactly
// (2^53). When prenv accepts a capacity, it must render it unchanged and
// dynalite must create the table.
func TestCapacityEdges(t *testing.T) {
	d := dynalite(t)
	ctx := context.Background()
	for i, c := range []int64{1, 40000, 1_000_000_000_000, 1_000_000_000_001, 1<<53 + 1, math.MaxInt64} {
		t.Run(fmt.Sprint(c), func(t *testing.T) {
			env := &spec.PreviewEnvironment{
				APIVersion: spec.APIVersion,
				Kind:       spec.Kind,
				Metadata:   spec.Metadata{Name: "web"},
				Spec: spec.Spec{
					Prefix: "e2e",
					AWS:    spec.AWS{AccountID: "123456789012", Region: "eu-west-1", OIDCProviderURL: "oidc.eks.eu-west-1.amazonaws.com/id/X"},
					DynamoDB: &spec.DynamoDB{Tables: []spec.Table{{
						Name:        "t",
						Attributes:  []spec.Attribute{{Name: "pk", Type: "S"}},
						HashKey:     "pk",
						BillingMode: "PROVISIONED",
						Capacity:    &spec.Capacity{Read: c, Write: 1},
					}}},
				},
			}
			if errs := spec.Check(env); len(errs) > 0 {
				t.Logf("prenv refuses: %v", errs.ToAggregate())
				return
			}
			out, err := render.Render(ctx, env, 2000+i, render.Options{})
			if err != nil {
				t.Fatal(err)
			}
			obj := tables(out.Objects)[0]
			// The API server reads an integer field as an int64, not a float.
			v, _, _ := unstructured.NestedFieldNoCopy(obj.Object, "spec", "provisionedThroughput", "readCapacityUnits")
			if n, ok := v.(int64); !ok || n != c {
				t.Errorf("spec capacity %d is rendered as %v (%T)", c, v, v)
			}
			in, _, err := emulators.CreateTable(obj)
			if err != nil {
				t.Fatalf("prenv accepts capacity %d: %v", c, err)
			}
			if _, err := createTable(ctx, d, in); err != nil {
				t.Errorf("prenv accepts capacity %d, dynalite refuses the table: %v", c, err)
			}
		})
	}
}
