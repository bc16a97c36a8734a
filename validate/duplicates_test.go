package validate_test

import (
	"testing"

	"prenv.dev/prenv/validate"
)

func TestDuplicates(t *testing.T) {
	cm := func(ns, name string) string {
		return "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: " + name + ", namespace: " + ns + "}\n"
	}
	sources := []validate.Source{
		{Name: "a.yaml", Data: []byte(cm("ns", "x") + "---\n" + cm("other", "x") + "---\n" + cm("ns", "x"))},
		{Name: "b.yaml", Data: []byte("apiVersion: apps/v1beta1\nkind: Deployment\nmetadata: {name: d, namespace: ns}\n---\n" +
			"apiVersion: v1\nkind: List\nitems:\n- " + "{apiVersion: v1, kind: ConfigMap, metadata: {name: z, namespace: ns}}\n")},
		{Name: "c.yaml", Data: []byte(cm("ns", "x") + "---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d, namespace: ns}\n---\n" +
			cm("ns", "z") + "---\napiVersion: v1\nkind: Secret\nmetadata: {name: x, namespace: ns}\n---\nnot: [valid\n")},
	}
	want := []string{
		`a.yaml:3 ConfigMap/x: metadata.name: Duplicate value: "x": the same group, kind, namespace and name as a.yaml:1`,
		`c.yaml:1 ConfigMap/x: metadata.name: Duplicate value: "x": the same group, kind, namespace and name as a.yaml:1`,
		`c.yaml:2 Deployment/d: metadata.name: Duplicate value: "d": the same group, kind, namespace and name as b.yaml:1`,
		`c.yaml:3 ConfigMap/z: metadata.name: Duplicate value: "z": the same group, kind, namespace and name as b.yaml:2[1]`,
	}
	got := validate.Duplicates(sources)
	if len(got) != len(want) {
		t.Fatalf("got %d problems, want %d: %v", len(got), len(want), got)
	}
	for i, p := range got {
		if p.String() != want[i] || p.Type != "FieldValueDuplicate" {
			t.Errorf("problem %d: %q (%s), want %q", i, p.String(), p.Type, want[i])
		}
	}
}
