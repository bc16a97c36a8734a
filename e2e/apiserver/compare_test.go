package apiserver_test

import (
	"slices"
	"testing"

	"prenv.dev/prenv/validate"
)

// TestSubsetDiff checks the comparison of rendered and stored objects that
// TestExamples relies on: it must see every rendered field that the server
// lost or changed, and nothing else.
func TestSubsetDiff(t *testing.T) {
	rendered := map[string]any{
		"metadata": map[string]any{"name": "web", "labels": map[string]any{"a": "1"}},
		"spec": map[string]any{
			"replicas": int64(2),
			"ports":    []any{map[string]any{"port": int64(80)}},
		},
	}
	tests := map[string]struct {
		stored any
		want   []string
	}{
		"server fields added": {
			stored: map[string]any{
				"metadata": map[string]any{"name": "web", "uid": "u", "labels": map[string]any{"a": "1"}},
				"spec":     map[string]any{"replicas": float64(2), "ports": []any{map[string]any{"port": int64(80), "protocol": "TCP"}}},
				"status":   map[string]any{},
			},
		},
		"label changed, field pruned, item added": {
			stored: map[string]any{
				"metadata": map[string]any{"name": "web", "labels": map[string]any{"a": "2"}},
				"spec":     map[string]any{"ports": []any{map[string]any{"port": int64(80)}, map[string]any{"port": int64(81)}}},
			},
			want: []string{
				"metadata.labels.a: rendered string 1, stored string 2",
				"spec.ports: rendered 1 items, stored 2",
				"spec.replicas: rendered int64 2, not stored",
			},
		},
		"type changed": {
			stored: map[string]any{
				"metadata": map[string]any{"name": "web", "labels": "a=1"},
				"spec":     map[string]any{"replicas": "2", "ports": map[string]any{}},
			},
			want: []string{
				"metadata.labels: rendered an object, stored string a=1",
				"spec.ports: rendered a list, stored an object",
				"spec.replicas: rendered int64 2, stored string 2",
			},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got := subsetDiff("", rendered, tc.stored)
			if !slices.Equal(got, tc.want) {
				t.Errorf("got %q\nwant %q", got, tc.want)
			}
		})
	}
}

// TestSameField checks how TestCorpusAgreesWithServer matches the server's
// error with prenv's problems: by field path, list indexes and keys aside.
func TestSameField(t *testing.T) {
	tests := []struct {
		server  string
		problem validate.Problem
		want    bool
	}{
		{`Table.dynamodb.services.k8s.aws "t" is invalid: spec.keySchema: Invalid value: Value is immutable once set`,
			validate.Problem{Field: "spec.keySchema", Message: "Invalid value: ..."}, true},
		{`failed to create typed patch object (/web; apps/v1, Kind=Deployment): .spec.template.spec.containers[name="web"].imagePullPolice: field not declared in schema`,
			validate.Problem{Field: "spec.template.spec.containers[0].imagePullPolice", Message: "unknown field"}, true},
		{`failed to create typed patch object (/web-env; /v1, Kind=ConfigMap): .data.PORT: expected string`,
			validate.Problem{Field: "data[PORT]", Message: "Invalid value: 8080: must be of type string, not integer"}, true},
		{"error converting YAML to JSON: yaml: unmarshal errors:\n  line 10: key \"queueName\" already set in map",
			validate.Problem{Message: `line 10: key "queueName" already set in map`}, true},
		// Refused elsewhere: another field, or a field that only starts alike.
		{`Queue.sqs.services.k8s.aws "q" is invalid: spec.queueName: Invalid value: "q2": Value is immutable once set`,
			validate.Problem{Field: "spec.fifoQueue", Message: "Forbidden: ..."}, false},
		{`Role.iam.services.k8s.aws "r" is invalid: spec.nameSuffix: Required value`,
			validate.Problem{Field: "spec.name", Message: "Required value"}, false},
		{"error converting YAML to JSON: yaml: line 3: mapping values are not allowed in this context",
			validate.Problem{Message: `line 10: key "queueName" already set in map`}, false},
	}
	for _, tc := range tests {
		if got := sameField(tc.server, []validate.Problem{tc.problem}); got != tc.want {
			t.Errorf("sameField(%q, %s) = %v, want %v", tc.server, tc.problem.Field, got, tc.want)
		}
	}
}

// TestExtraFields checks the list of fields the server added that
// TestExamples compares with serverSetFields.
func TestExtraFields(t *testing.T) {
	rendered := map[string]any{
		"metadata": map[string]any{"name": "ns", "labels": map[string]any{"a": "1"}},
		"items":    []any{map[string]any{"x": int64(1)}},
	}
	stored := map[string]any{
		"metadata": map[string]any{"name": "ns", "uid": "u", "labels": map[string]any{"a": "1", "b": "2"}},
		"items":    []any{map[string]any{"x": int64(1), "y": int64(2)}, map[string]any{"z": true}},
		"spec":     map[string]any{"finalizers": []any{"kubernetes"}},
	}
	want := []string{"items[].y", "metadata.labels.b", "metadata.uid", "spec"}
	if got := extraFields(rendered, stored); !slices.Equal(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
	if got := extraFields(rendered, rendered); len(got) != 0 {
		t.Errorf("an object against itself: got %q, want none", got)
	}
}
