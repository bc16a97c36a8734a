package emulators

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// CreateTableInput is the body of DynamoDB's CreateTable request, with the
// API's member names (DynamoDB API Reference, "CreateTable"). Fields are
// left out exactly when the ACK controller leaves them out: a nil pointer or
// slice is not sent, an empty list is.
type CreateTableInput struct {
	TableName                 string                 `json:"TableName"`
	AttributeDefinitions      []AttributeDefinition  `json:"AttributeDefinitions,omitzero"`
	KeySchema                 []KeySchemaElement     `json:"KeySchema,omitzero"`
	BillingMode               *string                `json:"BillingMode,omitzero"`
	ProvisionedThroughput     *ProvisionedThroughput `json:"ProvisionedThroughput,omitzero"`
	GlobalSecondaryIndexes    []GlobalSecondaryIndex `json:"GlobalSecondaryIndexes,omitzero"`
	LocalSecondaryIndexes     []LocalSecondaryIndex  `json:"LocalSecondaryIndexes,omitzero"`
	StreamSpecification       *StreamSpecification   `json:"StreamSpecification,omitzero"`
	DeletionProtectionEnabled *bool                  `json:"DeletionProtectionEnabled,omitzero"`
	Tags                      []Tag                  `json:"Tags,omitzero"`
}

// AttributeDefinition is a key attribute and its scalar type (S, N or B).
type AttributeDefinition struct {
	AttributeName *string `json:"AttributeName,omitzero"`
	AttributeType *string `json:"AttributeType,omitzero"`
}

// KeySchemaElement is one key attribute of a table or an index, HASH or RANGE.
type KeySchemaElement struct {
	AttributeName *string `json:"AttributeName,omitzero"`
	KeyType       *string `json:"KeyType,omitzero"`
}

// ProvisionedThroughput is a table's or a global index's capacity.
type ProvisionedThroughput struct {
	ReadCapacityUnits  *int64 `json:"ReadCapacityUnits,omitzero"`
	WriteCapacityUnits *int64 `json:"WriteCapacityUnits,omitzero"`
}

// Projection is what an index copies from the table.
type Projection struct {
	ProjectionType   *string  `json:"ProjectionType,omitzero"`
	NonKeyAttributes []string `json:"NonKeyAttributes,omitzero"`
}

// GlobalSecondaryIndex is one global secondary index of CreateTable.
type GlobalSecondaryIndex struct {
	IndexName             *string                `json:"IndexName,omitzero"`
	KeySchema             []KeySchemaElement     `json:"KeySchema,omitzero"`
	Projection            *Projection            `json:"Projection,omitzero"`
	ProvisionedThroughput *ProvisionedThroughput `json:"ProvisionedThroughput,omitzero"`
}

// LocalSecondaryIndex is one local secondary index of CreateTable.
type LocalSecondaryIndex struct {
	IndexName  *string            `json:"IndexName,omitzero"`
	KeySchema  []KeySchemaElement `json:"KeySchema,omitzero"`
	Projection *Projection        `json:"Projection,omitzero"`
}

// StreamSpecification turns on the table's stream.
type StreamSpecification struct {
	StreamEnabled  *bool   `json:"StreamEnabled,omitzero"`
	StreamViewType *string `json:"StreamViewType,omitzero"`
}

// Tag is one resource tag.
type Tag struct {
	Key   *string `json:"Key,omitzero"`
	Value *string `json:"Value,omitzero"`
}

// ackTableSpec is the spec of an ACK Table (dynamodb.services.k8s.aws/v1alpha1),
// with the CRD's field names, limited to the fields this package knows how
// the controller uses: a rendered Table with any other field is refused, so
// that a field prenv starts to emit is mapped here before it is trusted.
type ackTableSpec struct {
	TableName                 *string                  `json:"tableName"`
	AttributeDefinitions      []ackAttributeDefinition `json:"attributeDefinitions"`
	KeySchema                 []ackKeySchemaElement    `json:"keySchema"`
	BillingMode               *string                  `json:"billingMode"`
	ProvisionedThroughput     *ackThroughput           `json:"provisionedThroughput"`
	GlobalSecondaryIndexes    []ackGlobalIndex         `json:"globalSecondaryIndexes"`
	LocalSecondaryIndexes     []ackLocalIndex          `json:"localSecondaryIndexes"`
	StreamSpecification       *ackStreamSpecification  `json:"streamSpecification"`
	DeletionProtectionEnabled *bool                    `json:"deletionProtectionEnabled"`
	Tags                      []ackTag                 `json:"tags"`

	// TimeToLive and ContinuousBackups are not part of CreateTable: the
	// controller calls UpdateTimeToLive right after CreateTable (sdkCreate),
	// and UpdateContinuousBackups in its update (customUpdateTable).
	TimeToLive        *json.RawMessage `json:"timeToLive"`
	ContinuousBackups *json.RawMessage `json:"continuousBackups"`
}

type ackAttributeDefinition struct {
	AttributeName *string `json:"attributeName"`
	AttributeType *string `json:"attributeType"`
}

type ackKeySchemaElement struct {
	AttributeName *string `json:"attributeName"`
	KeyType       *string `json:"keyType"`
}

type ackThroughput struct {
	ReadCapacityUnits  *int64 `json:"readCapacityUnits"`
	WriteCapacityUnits *int64 `json:"writeCapacityUnits"`
}

type ackProjection struct {
	NonKeyAttributes []string `json:"nonKeyAttributes"`
	ProjectionType   *string  `json:"projectionType"`
}

type ackGlobalIndex struct {
	IndexName             *string               `json:"indexName"`
	KeySchema             []ackKeySchemaElement `json:"keySchema"`
	Projection            *ackProjection        `json:"projection"`
	ProvisionedThroughput *ackThroughput        `json:"provisionedThroughput"`
}

type ackLocalIndex struct {
	IndexName  *string               `json:"indexName"`
	KeySchema  []ackKeySchemaElement `json:"keySchema"`
	Projection *ackProjection        `json:"projection"`
}

type ackStreamSpecification struct {
	StreamEnabled  *bool   `json:"streamEnabled"`
	StreamViewType *string `json:"streamViewType"`
}

type ackTag struct {
	Key   *string `json:"key"`
	Value *string `json:"value"`
}

// CreateTable maps a rendered ACK Table to the CreateTable request the ACK
// DynamoDB controller sends for it (newCreateRequestPayload in the
// controller's pkg/resource/table/sdk.go: every member set in the spec is
// copied, nothing is defaulted), and lists the spec fields that it sets
// with other calls instead: timeToLive (UpdateTimeToLive, right after
// CreateTable) and continuousBackups (UpdateContinuousBackups, in the
// controller's update once the table exists). A spec field this package does not know is an error.
func CreateTable(obj *unstructured.Unstructured) (*CreateTableInput, []string, error) {
	if gvk := obj.GroupVersionKind(); gvk.Group != "dynamodb.services.k8s.aws" || gvk.Kind != "Table" {
		return nil, nil, fmt.Errorf("%s %s is not an ACK DynamoDB Table", gvk, obj.GetName())
	}
	raw, err := json.Marshal(obj.Object["spec"])
	if err != nil {
		return nil, nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	var s ackTableSpec
	if err := dec.Decode(&s); err != nil {
		return nil, nil, fmt.Errorf("Table %s: spec: %w (map the field in CreateTable before relying on it)", obj.GetName(), err)
	}
	in := &CreateTableInput{
		AttributeDefinitions:      mapSlice(s.AttributeDefinitions, func(a ackAttributeDefinition) AttributeDefinition { return AttributeDefinition(a) }),
		KeySchema:                 keySchema(s.KeySchema),
		BillingMode:               s.BillingMode,
		ProvisionedThroughput:     throughput(s.ProvisionedThroughput),
		DeletionProtectionEnabled: s.DeletionProtectionEnabled,
		GlobalSecondaryIndexes: mapSlice(s.GlobalSecondaryIndexes, func(g ackGlobalIndex) GlobalSecondaryIndex {
			return GlobalSecondaryIndex{IndexName: g.IndexName, KeySchema: keySchema(g.KeySchema), Projection: projection(g.Projection), ProvisionedThroughput: throughput(g.ProvisionedThroughput)}
		}),
		LocalSecondaryIndexes: mapSlice(s.LocalSecondaryIndexes, func(l ackLocalIndex) LocalSecondaryIndex {
			return LocalSecondaryIndex{IndexName: l.IndexName, KeySchema: keySchema(l.KeySchema), Projection: projection(l.Projection)}
		}),
		Tags: mapSlice(s.Tags, func(t ackTag) Tag { return Tag(t) }),
	}
	if s.TableName != nil {
		in.TableName = *s.TableName
	}
	if s.StreamSpecification != nil {
		in.StreamSpecification = &StreamSpecification{StreamEnabled: s.StreamSpecification.StreamEnabled, StreamViewType: s.StreamSpecification.StreamViewType}
	}
	var separate []string
	if s.TimeToLive != nil {
		separate = append(separate, "timeToLive")
	}
	if s.ContinuousBackups != nil {
		separate = append(separate, "continuousBackups")
	}
	return in, separate, nil
}

// mapSlice maps a slice element by element, keeping nil nil and empty empty,
// as the controller's generated code does.
func mapSlice[A, B any](in []A, f func(A) B) []B {
	if in == nil {
		return nil
	}
	out := make([]B, 0, len(in))
	for _, a := range in {
		out = append(out, f(a))
	}
	return out
}

func keySchema(in []ackKeySchemaElement) []KeySchemaElement {
	return mapSlice(in, func(k ackKeySchemaElement) KeySchemaElement { return KeySchemaElement(k) })
}

func throughput(in *ackThroughput) *ProvisionedThroughput {
	if in == nil {
		return nil
	}
	return &ProvisionedThroughput{ReadCapacityUnits: in.ReadCapacityUnits, WriteCapacityUnits: in.WriteCapacityUnits}
}

func projection(in *ackProjection) *Projection {
	if in == nil {
		return nil
	}
	return &Projection{ProjectionType: in.ProjectionType, NonKeyAttributes: slices.Clone(in.NonKeyAttributes)}
}
