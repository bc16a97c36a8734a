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
// (2^53). Above 10^12 (and below 1) prenv must refuse the capacity with
// its rule at the capacity's path, emulator or not; up to 10^12 it must
// accept it and render it unchanged, and dynalite must create the table.
func TestCapacityEdges(t *testing.T) {
	ctx := context.Background()
	table := func(c int64) *spec.PreviewEnvironment {
		return &spec.PreviewEnvironment{
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
	}
	// Refused: no emulator needed.
	for _, c := range []int64{0, 1_000_000_000_001, 1<<53 + 1, math.MaxInt64} {
		errs := spec.Check(table(c))
		want := fmt.Sprintf("spec.dynamodb.tables[0].capacity.read: Invalid value: %d: must be between 1 and 1000000000000 capacity units", c)
		if len(errs) != 1 || errs[0].Error() != want {
			t.Errorf("prenv's verdict on capacity %d: %v\nwant exactly: %s", c, errs.ToAggregate(), want)
		}
	}
	d := dynalite(t)
	for i, c := range []int64{1, 40000, 1_000_000_000_000} {
		t.Run(fmt.Sprint(c), func(t *testing.T) {
			env := table(c)
			if errs := spec.Check(env); len(errs) > 0 {
				t.Fatalf("prenv refuses capacity %d, which DynamoDB takes: %v", c, errs.ToAggregate())
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
