package emulators_test

import (
	"context"
	"encoding/json"
	"slices"
	"testing"

	"prenv.dev/prenv/e2e/emulators"
)

// tableDescription is what CreateTable answers, limited to what a request
// sets.
type tableDescription struct {
	TableName              string
	TableStatus            string
	AttributeDefinitions   []emulators.AttributeDefinition
	KeySchema              []emulators.KeySchemaElement
	BillingModeSummary     *struct{ BillingMode string }
	ProvisionedThroughput  *throughputDescription
	GlobalSecondaryIndexes []struct {
		IndexName             string
		KeySchema             []emulators.KeySchemaElement
		Projection            emulators.Projection
		ProvisionedThroughput *throughputDescription
	}
	LocalSecondaryIndexes []struct {
		IndexName  string
		KeySchema  []emulators.KeySchemaElement
		Projection emulators.Projection
	}
	StreamSpecification json.RawMessage
}

// throughputDescription is a described capacity. dynalite holds numbers as
// JavaScript does, in float64, so a capacity above 2^53 comes back rounded.
type throughputDescription struct {
	ReadCapacityUnits, WriteCapacityUnits float64
}

// equals reports whether the described capacity is the one sent.
func (d *throughputDescription) equals(sent *emulators.ProvisionedThroughput) bool {
	return d != nil && d.ReadCapacityUnits == float64(*sent.ReadCapacityUnits) && d.WriteCapacityUnits == float64(*sent.WriteCapacityUnits)
}

// createTable sends CreateTable and returns the table dynalite describes.
func createTable(ctx context.Context, d *emulators.Dynalite, in *emulators.CreateTableInput) (*tableDescription, error) {
	var out struct{ TableDescription tableDescription }
	if err := d.Call(ctx, "CreateTable", in, &out); err != nil {
		return nil, err
	}
	return &out.TableDescription, nil
}

// checkDescribed compares the table dynalite created with the request:
// keys, indexes, billing mode and capacity must be as sent.
func checkDescribed(t *testing.T, in *emulators.CreateTableInput, got *tableDescription) {
	t.Helper()
	if got.TableName != in.TableName {
		t.Errorf("TableName = %q, want %q", got.TableName, in.TableName)
	}
	if sent, created := mustJSON(in.AttributeDefinitions), mustJSON(got.AttributeDefinitions); sent != created {
		t.Errorf("%s: AttributeDefinitions\n sent    %s\n created %s", in.TableName, sent, created)
	}
	if sent, created := mustJSON(in.KeySchema), mustJSON(got.KeySchema); sent != created {
		t.Errorf("%s: KeySchema\n sent    %s\n created %s", in.TableName, sent, created)
	}
	mode := "PROVISIONED"
	if got.BillingModeSummary != nil {
		mode = got.BillingModeSummary.BillingMode
	}
	if in.BillingMode == nil || *in.BillingMode != mode {
		t.Errorf("%s: billing mode %s, sent %v", in.TableName, mode, in.BillingMode)
	}
	if pt := in.ProvisionedThroughput; pt != nil {
		if !got.ProvisionedThroughput.equals(pt) {
			t.Errorf("%s: ProvisionedThroughput %+v, sent %d/%d", in.TableName, got.ProvisionedThroughput, *pt.ReadCapacityUnits, *pt.WriteCapacityUnits)
		}
	}
	if len(got.GlobalSecondaryIndexes) != len(in.GlobalSecondaryIndexes) {
		t.Fatalf("%s: %d global indexes created, %d sent", in.TableName, len(got.GlobalSecondaryIndexes), len(in.GlobalSecondaryIndexes))
	}
	for i, g := range in.GlobalSecondaryIndexes {
		c := got.GlobalSecondaryIndexes[i]
		if c.IndexName != *g.IndexName || mustJSON(c.KeySchema) != mustJSON(g.KeySchema) || mustJSON(c.Projection) != mustJSON(g.Projection) {
			t.Errorf("%s: global index %d created as %+v, sent %s", in.TableName, i, c, mustJSON(g))
		}
		if pt := g.ProvisionedThroughput; pt != nil && !c.ProvisionedThroughput.equals(pt) {
			t.Errorf("%s: global index %s capacity %+v, sent %s", in.TableName, c.IndexName, c.ProvisionedThroughput, mustJSON(pt))
		}
	}
	if len(got.LocalSecondaryIndexes) != len(in.LocalSecondaryIndexes) {
		t.Fatalf("%s: %d local indexes created, %d sent", in.TableName, len(got.LocalSecondaryIndexes), len(in.LocalSecondaryIndexes))
	}
	for i, l := range in.LocalSecondaryIndexes {
		c := got.LocalSecondaryIndexes[i]
		if c.IndexName != *l.IndexName || mustJSON(c.KeySchema) != mustJSON(l.KeySchema) || mustJSON(c.Projection) != mustJSON(l.Projection) {
			t.Errorf("%s: local index %d created as %+v, sent %s", in.TableName, i, c, mustJSON(l))
		}
	}
}

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// TestExampleTablesCreate sends every Table that prenv renders for the
// examples and the large benchmark spec to dynalite as the CreateTable
// request of the ACK controller: each must be accepted and created as sent.
func TestExampleTablesCreate(t *testing.T) {
	d := dynalite(t)
	ctx := context.Background()
	total := 0
	for _, ex := range examples(t) {
		t.Run(ex.name, func(t *testing.T) {
			tbls := tables(ex.objs)
			want := 0
			if ex.env.Spec.DynamoDB != nil {
				want = len(ex.env.Spec.DynamoDB.Tables)
			}
			if len(tbls) != want {
				t.Fatalf("rendered %d Tables, the spec has %d", len(tbls), want)
			}
			for i, obj := range tbls {
				spec := ex.env.Spec.DynamoDB.Tables[i]
				in, separate, err := emulators.CreateTable(obj)
				if err != nil {
					t.Fatal(err)
				}
				// TTL and point-in-time recovery are set by calls that
				// dynalite does not have; prenv's own checks cover them.
				var wantSeparate []string
				if spec.TTLAttribute != "" {
					wantSeparate = append(wantSeparate, "timeToLive")
				}
				wantSeparate = append(wantSeparate, "continuousBackups")
				if !slices.Equal(separate, wantSeparate) {
					t.Errorf("Table %s: fields set by other calls %v, want %v", obj.GetName(), separate, wantSeparate)
				}
				got, err := createTable(ctx, d, in)
				if err != nil {
					t.Errorf("Table %s: dynalite refused %s: %v", obj.GetName(), mustJSON(in), err)
					continue
				}
				checkDescribed(t, in, got)
				total++
			}
		})
	}
	// examples/web, worker and large, and bench-large.yaml, have tables.
	if total < 15 {
		t.Errorf("created %d tables in all, want at least 15", total)
	}
}

// TestExamplePoliciesValid validates every IAM policy document prenv renders
// for the examples and the large benchmark spec with
// @cloud-copilot/iam-policy: the managed policies' documents as identity
// policies, the Role's trust policy as a trust policy.
func TestExamplePoliciesValid(t *testing.T) {
	tl := tools(t)
	var docs []emulators.PolicyDocument
	trust := 0
	for _, ex := range examples(t) {
		ds, err := emulators.PolicyDocuments(ex.name+": ", ex.objs)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, d := range ds {
			if d.Type == emulators.TrustPolicy {
				n++
			}
		}
		if n != 1 {
			t.Errorf("%s: %d trust policies, want the Role's one", ex.name, n)
		}
		trust += n
		docs = append(docs, ds...)
	}
	if len(docs) <= trust {
		t.Fatalf("%d documents of which %d trust policies: no managed policy was found", len(docs), trust)
	}
	results, err := emulators.ValidatePolicies(context.Background(), tl, docs)
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range results {
		for _, f := range r.Findings {
			t.Errorf("%s: %s: %s\n%s", r.ID, f.Path, f.Message, docs[i].Document)
		}
	}
	t.Logf("%d policy documents valid (%d trust policies)", len(docs), trust)
}
