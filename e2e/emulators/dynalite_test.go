package emulators_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"prenv.dev/prenv/e2e/emulators"
)

func ptr[T any](v T) *T { return &v }

func key(name, typ string) emulators.KeySchemaElement {
	return emulators.KeySchemaElement{AttributeName: ptr(name), KeyType: ptr(typ)}
}

func attr(name, typ string) emulators.AttributeDefinition {
	return emulators.AttributeDefinition{AttributeName: ptr(name), AttributeType: ptr(typ)}
}

func capacity(r, w int64) *emulators.ProvisionedThroughput {
	return &emulators.ProvisionedThroughput{ReadCapacityUnits: ptr(r), WriteCapacityUnits: ptr(w)}
}

// baseTable is a valid request: a PROVISIONED table with a range key, a
// global and a local index.
func baseTable(name string) *emulators.CreateTableInput {
	return &emulators.CreateTableInput{
		TableName:             name,
		AttributeDefinitions:  []emulators.AttributeDefinition{attr("pk", "S"), attr("sk", "S"), attr("g", "N"), attr("l", "N")},
		KeySchema:             []emulators.KeySchemaElement{key("pk", "HASH"), key("sk", "RANGE")},
		BillingMode:           ptr("PROVISIONED"),
		ProvisionedThroughput: capacity(5, 5),
		GlobalSecondaryIndexes: []emulators.GlobalSecondaryIndex{{
			IndexName: ptr("byG"), KeySchema: []emulators.KeySchemaElement{key("g", "HASH")},
			Projection: &emulators.Projection{ProjectionType: ptr("ALL")}, ProvisionedThroughput: capacity(1, 1),
		}},
		LocalSecondaryIndexes: []emulators.LocalSecondaryIndex{{
			IndexName: ptr("byL"), KeySchema: []emulators.KeySchemaElement{key("pk", "HASH"), key("l", "RANGE")},
			Projection: &emulators.Projection{ProjectionType: ptr("KEYS_ONLY")},
		}},
	}
}

// TestDynaliteRules shows that dynalite applies AWS's CreateTable rules that
// the tests here rely on (so that "accepted" means something), and records
// the rules and calls it does not cover, for which prenv's own checks stay.
// Messages are AWS's (DynamoDB API Reference, "CreateTable", errors).
func TestDynaliteRules(t *testing.T) {
	d := dynalite(t)
	ctx := context.Background()
	n := 0
	create := func(mutate func(*emulators.CreateTableInput)) (*tableDescription, error) {
		n++
		in := baseTable(fmt.Sprintf("rules_%d", n))
		mutate(in)
		return createTable(ctx, d, in)
	}

	refused := []struct {
		name   string
		mutate func(*emulators.CreateTableInput)
		want   string
	}{
		{"index key not defined", func(in *emulators.CreateTableInput) {
			in.GlobalSecondaryIndexes[0].KeySchema[0].AttributeName = ptr("missing")
		}, "Some index key attributes are not defined in AttributeDefinitions"},
		{"unused attribute definition, no index", func(in *emulators.CreateTableInput) {
			in.GlobalSecondaryIndexes, in.LocalSecondaryIndexes = nil, nil
		}, "Number of attributes in KeySchema does not exactly match number of attributes defined in AttributeDefinitions"},
		{"capacity with PAY_PER_REQUEST", func(in *emulators.CreateTableInput) {
			in.BillingMode = ptr("PAY_PER_REQUEST")
		}, "Neither ReadCapacityUnits nor WriteCapacityUnits can be specified when BillingMode is PAY_PER_REQUEST"},
		{"index capacity with PAY_PER_REQUEST", func(in *emulators.CreateTableInput) {
			in.BillingMode, in.ProvisionedThroughput = ptr("PAY_PER_REQUEST"), nil
		}, "ProvisionedThroughput should not be specified for index: byG when BillingMode is PAY_PER_REQUEST"},
		{"PROVISIONED without capacity", func(in *emulators.CreateTableInput) {
			in.ProvisionedThroughput = nil
		}, "ReadCapacityUnits and WriteCapacityUnits must both be specified when BillingMode is PROVISIONED"},
		{"capacity zero", func(in *emulators.CreateTableInput) {
			in.ProvisionedThroughput.ReadCapacityUnits = ptr[int64](0)
		}, "Member must have value greater than or equal to 1"},
		{"capacity out of bounds", func(in *emulators.CreateTableInput) {
			in.ProvisionedThroughput.WriteCapacityUnits = ptr[int64](1_000_000_000_001)
		}, "Given value 1000000000001 for WriteCapacityUnits is out of bounds"},
		{"table name too short", func(in *emulators.CreateTableInput) {
			in.TableName = "ab"
		}, "TableName must be at least 3 characters long and at most 255 characters long"},
		{"table name characters", func(in *emulators.CreateTableInput) {
			in.TableName = "a b c"
		}, "Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+"},
		{"hash and range the same", func(in *emulators.CreateTableInput) {
			in.KeySchema[1].AttributeName = ptr("pk")
		}, "Both the Hash Key and the Range Key element in the KeySchema have the same name"},
		{"local index on another hash key", func(in *emulators.CreateTableInput) {
			in.LocalSecondaryIndexes[0].KeySchema[0].AttributeName = ptr("sk")
		}, "Index KeySchema does not have the same leading hash key as table KeySchema"},
		{"local index without range key", func(in *emulators.CreateTableInput) {
			in.KeySchema = in.KeySchema[:1]
		}, "Table KeySchema does not have a range key, which is required when specifying a LocalSecondaryIndex"},
		{"non-key attributes without INCLUDE", func(in *emulators.CreateTableInput) {
			in.GlobalSecondaryIndexes[0].Projection.NonKeyAttributes = []string{"x"}
		}, "ProjectionType is ALL, but NonKeyAttributes is specified"},
		{"duplicate index name", func(in *emulators.CreateTableInput) {
			in.GlobalSecondaryIndexes[0].IndexName = ptr("byL")
		}, "Duplicate index name: byL"},
		{"index name too short", func(in *emulators.CreateTableInput) {
			in.GlobalSecondaryIndexes[0].IndexName = ptr("g")
		}, "Member must have length greater than or equal to 3"},
		{"empty list of global indexes", func(in *emulators.CreateTableInput) {
			in.GlobalSecondaryIndexes = []emulators.GlobalSecondaryIndex{}
		}, "List of GlobalSecondaryIndexes is empty"},
	}
	for _, tc := range refused {
		t.Run("refuses "+tc.name, func(t *testing.T) {
			_, err := create(tc.mutate)
			e, ok := emulators.AsAPIError(err)
			if !ok || e.Type != "ValidationException" || !strings.Contains(e.Message, tc.want) {
				t.Fatalf("got %v, want a ValidationException containing %q", err, tc.want)
			}
		})
	}

	t.Run("accepts the base table", func(t *testing.T) {
		in := baseTable("rules_base")
		got, err := createTable(ctx, d, in)
		if err != nil {
			t.Fatal(err)
		}
		checkDescribed(t, in, got)
		if _, err := createTable(ctx, d, in); !isType(err, "ResourceInUseException") {
			t.Errorf("creating it again: got %v, want ResourceInUseException", err)
		}
	})

	// AWS refuses these; dynalite accepts them. prenv's checks cover them
	// (render.Check: attributes not used by a key, PROVISIONED global indexes
	// get the table's capacity, INCLUDE needs nonKeyAttributes, at most 100
	// projected attributes).
	notCovered := []struct {
		name   string
		mutate func(*emulators.CreateTableInput)
	}{
		{"unused attribute definition next to an index", func(in *emulators.CreateTableInput) {
			in.AttributeDefinitions = append(in.AttributeDefinitions, attr("unused", "S"))
		}},
		{"PROVISIONED global index without capacity", func(in *emulators.CreateTableInput) {
			in.GlobalSecondaryIndexes[0].ProvisionedThroughput = nil
		}},
		{"INCLUDE without non-key attributes", func(in *emulators.CreateTableInput) {
			in.GlobalSecondaryIndexes[0].Projection.ProjectionType = ptr("INCLUDE")
		}},
		{"over 100 projected attributes", func(in *emulators.CreateTableInput) {
			p := in.GlobalSecondaryIndexes[0].Projection
			p.ProjectionType = ptr("INCLUDE")
			for i := range 101 {
				p.NonKeyAttributes = append(p.NonKeyAttributes, fmt.Sprintf("a%d", i))
			}
		}},
		{"attribute defined twice", func(in *emulators.CreateTableInput) {
			in.AttributeDefinitions = append(in.AttributeDefinitions, attr("pk", "N"))
		}},
	}
	for _, tc := range notCovered {
		t.Run("does not cover "+tc.name, func(t *testing.T) {
			if _, err := create(tc.mutate); err != nil {
				t.Fatalf("dynalite now refuses this (%v): move the case to the refused ones and update the package documentation", err)
			}
		})
	}

	t.Run("ignores streams, tags and deletion protection", func(t *testing.T) {
		in := baseTable("rules_ignored")
		in.StreamSpecification = &emulators.StreamSpecification{StreamEnabled: ptr(true), StreamViewType: ptr("NOT_A_VIEW_TYPE")}
		in.Tags = []emulators.Tag{{Key: ptr("")}}
		in.DeletionProtectionEnabled = ptr(true)
		got, err := createTable(ctx, d, in)
		if err != nil {
			t.Fatalf("dynalite now validates these (%v): update the package documentation", err)
		}
		if got.StreamSpecification != nil {
			t.Errorf("dynalite now keeps StreamSpecification (%s): update the package documentation", got.StreamSpecification)
		}
	})

	// The ACK controller sets a Table's timeToLive with UpdateTimeToLive and
	// its continuousBackups with UpdateContinuousBackups.
	for _, op := range []string{"UpdateTimeToLive", "UpdateContinuousBackups"} {
		t.Run("has no "+op, func(t *testing.T) {
			err := d.Call(ctx, op, json.RawMessage(`{"TableName": "rules_base"}`), nil)
			if !isType(err, "UnknownOperationException") {
				t.Fatalf("%s: got %v, want UnknownOperationException: dynalite may cover it now", op, err)
			}
		})
	}
}

func isType(err error, typ string) bool {
	e, ok := emulators.AsAPIError(err)
	return ok && e.Type == typ
}

// TestStartDynaliteFails checks that a server that cannot start is
// reported with its standard error, not waited for.
func TestStartDynaliteFails(t *testing.T) {
	tl := tools(t)
	broken := *tl
	broken.Dir = t.TempDir() // no dynalite-server.js here
	d, err := emulators.StartDynalite(context.Background(), &broken)
	if err == nil {
		d.Close()
		t.Fatal("started without its script")
	}
	if !strings.Contains(err.Error(), "exited before it listened") || !strings.Contains(err.Error(), "dynalite-server.js") {
		t.Errorf("got %v, want an error naming the missing script", err)
	}
}
