package emulators_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"

	"prenv.dev/prenv/e2e/emulators"
)

// everyField is an ACK Table spec with every field prenv renders.
const everyField = `
  tableName: e-1-a_t
  attributeDefinitions: [{attributeName: pk, attributeType: S}, {attributeName: g, attributeType: "N"}, {attributeName: l, attributeType: B}]
  keySchema: [{attributeName: pk, keyType: HASH}, {attributeName: sk, keyType: RANGE}]
  billingMode: PROVISIONED
  provisionedThroughput: {readCapacityUnits: 5, writeCapacityUnits: 6}
  globalSecondaryIndexes:
  - indexName: byG
    keySchema: [{attributeName: g, keyType: HASH}]
    projection: {projectionType: INCLUDE, nonKeyAttributes: [x, z]}
    provisionedThroughput: {readCapacityUnits: 1, writeCapacityUnits: 2}
  localSecondaryIndexes:
  - indexName: byL
    keySchema: [{attributeName: pk, keyType: HASH}, {attributeName: l, keyType: RANGE}]
    projection: {projectionType: KEYS_ONLY}
  streamSpecification: {streamEnabled: true, streamViewType: NEW_IMAGE}
  timeToLive: {attributeName: exp, enabled: true}
  continuousBackups: {pointInTimeRecoveryEnabled: true}
  deletionProtectionEnabled: false
  tags: [{key: k, value: v}]
`

func table(t *testing.T, spec string) *unstructured.Unstructured {
	t.Helper()
	obj := &unstructured.Unstructured{}
	if err := yaml.Unmarshal([]byte("apiVersion: dynamodb.services.k8s.aws/v1alpha1\nkind: Table\nmetadata: {name: t}\nspec:\n"+spec), &obj.Object); err != nil {
		t.Fatal(err)
	}
	return obj
}

// TestCreateTable checks the mapping of an ACK Table to CreateTable on its
// own: member names, what is left out, and what is refused.
func TestCreateTable(t *testing.T) {
	t.Run("every field prenv emits", func(t *testing.T) {
		in, separate, err := emulators.CreateTable(table(t, everyField))
		if err != nil {
			t.Fatal(err)
		}
		const want = `{"TableName":"e-1-a_t",` +
			`"AttributeDefinitions":[{"AttributeName":"pk","AttributeType":"S"},{"AttributeName":"g","AttributeType":"N"},{"AttributeName":"l","AttributeType":"B"}],` +
			`"KeySchema":[{"AttributeName":"pk","KeyType":"HASH"},{"AttributeName":"sk","KeyType":"RANGE"}],` +
			`"BillingMode":"PROVISIONED","ProvisionedThroughput":{"ReadCapacityUnits":5,"WriteCapacityUnits":6},` +
			`"GlobalSecondaryIndexes":[{"IndexName":"byG","KeySchema":[{"AttributeName":"g","KeyType":"HASH"}],"Projection":{"ProjectionType":"INCLUDE","NonKeyAttributes":["x","z"]},"ProvisionedThroughput":{"ReadCapacityUnits":1,"WriteCapacityUnits":2}}],` +
			`"LocalSecondaryIndexes":[{"IndexName":"byL","KeySchema":[{"AttributeName":"pk","KeyType":"HASH"},{"AttributeName":"l","KeyType":"RANGE"}],"Projection":{"ProjectionType":"KEYS_ONLY"}}],` +
			`"StreamSpecification":{"StreamEnabled":true,"StreamViewType":"NEW_IMAGE"},` +
			`"DeletionProtectionEnabled":false,"Tags":[{"Key":"k","Value":"v"}]}`
		if got := mustJSON(in); got != want {
			t.Errorf("CreateTable request\n got %s\nwant %s", got, want)
		}
		if strings.Join(separate, ",") != "timeToLive,continuousBackups" {
			t.Errorf("fields set by other calls: %v, want timeToLive and continuousBackups", separate)
		}
	})
	t.Run("absent is left out, empty is sent", func(t *testing.T) {
		in, separate, err := emulators.CreateTable(table(t, `
  tableName: e-1-a_t
  keySchema: [{attributeName: pk}]
  globalSecondaryIndexes: []
`))
		if err != nil {
			t.Fatal(err)
		}
		if got, want := mustJSON(in), `{"TableName":"e-1-a_t","KeySchema":[{"AttributeName":"pk"}],"GlobalSecondaryIndexes":[]}`; got != want {
			t.Errorf("CreateTable request\n got %s\nwant %s", got, want)
		}
		if len(separate) != 0 {
			t.Errorf("fields set by other calls: %v, want none", separate)
		}
	})
	t.Run("unknown field", func(t *testing.T) {
		_, _, err := emulators.CreateTable(table(t, `
  tableName: e-1-a_t
  sseSpecification: {enabled: true}
`))
		if err == nil || !strings.Contains(err.Error(), `unknown field "sseSpecification"`) {
			t.Errorf("got %v, want an error naming sseSpecification", err)
		}
	})
	t.Run("unknown nested field", func(t *testing.T) {
		_, _, err := emulators.CreateTable(table(t, `
  tableName: e-1-a_t
  globalSecondaryIndexes: [{indexName: g, onDemandThroughput: {maxReadRequestUnits: 1}}]
`))
		if err == nil || !strings.Contains(err.Error(), `unknown field "onDemandThroughput"`) {
			t.Errorf("got %v, want an error naming onDemandThroughput", err)
		}
	})
	t.Run("not a Table", func(t *testing.T) {
		obj := table(t, "  tableName: x\n")
		obj.SetKind("GlobalTable")
		if _, _, err := emulators.CreateTable(obj); err == nil || !strings.Contains(err.Error(), "is not an ACK DynamoDB Table") {
			t.Errorf("got %v, want an error", err)
		}
	})
}

// TestCreateTableFieldsInCRD checks the ACK field names CreateTable reads
// against the upstream Table CRD (../shared/crds, next to the repository):
// every field of everyField must be in the CRD's schema.
func TestCreateTableFieldsInCRD(t *testing.T) {
	path := filepath.Join(repoRoot(t), "..", "shared", "crds", "ack", "dynamodb", "dynamodb.services.k8s.aws_tables.yaml")
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		t.Skipf("the upstream CRDs are absent (%v)", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	var crd struct {
		Spec struct {
			Versions []struct {
				Name   string
				Schema struct {
					OpenAPIV3Schema schemaProps `json:"openAPIV3Schema"`
				}
			}
		}
	}
	if err := yaml.Unmarshal(data, &crd); err != nil {
		t.Fatal(err)
	}
	var schema *schemaProps
	for _, v := range crd.Spec.Versions {
		if v.Name == "v1alpha1" {
			s := v.Schema.OpenAPIV3Schema.Properties["spec"]
			schema = &s
		}
	}
	if schema == nil {
		t.Fatal("the CRD has no version v1alpha1")
	}
	checkInSchema(t, "spec", table(t, everyField).Object["spec"], schema)
}

// schemaProps is the part of a CRD's OpenAPI schema that names fields.
type schemaProps struct {
	Properties map[string]schemaProps `json:"properties"`
	Items      *schemaProps           `json:"items"`
}

func checkInSchema(t *testing.T, path string, v any, s *schemaProps) {
	t.Helper()
	switch v := v.(type) {
	case map[string]any:
		for k, child := range v {
			p, ok := s.Properties[k]
			if !ok {
				t.Errorf("%s.%s is not in the CRD's schema", path, k)
				continue
			}
			checkInSchema(t, path+"."+k, child, &p)
		}
	case []any:
		if s.Items == nil {
			t.Errorf("%s is a list, the CRD's schema has no items", path)
			return
		}
		for i, child := range v {
			checkInSchema(t, fmt.Sprintf("%s[%d]", path, i), child, s.Items)
		}
	}
}
