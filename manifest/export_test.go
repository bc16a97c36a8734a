package manifest

import (
	"bytes"
	"fmt"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// WriterCovers reports whether Marshal's own writer writes obj, without
// falling back to yaml.v2. For the external tests.
func WriterCovers(obj map[string]any) bool {
	w := new(yamlWriter)
	return w.document(obj)
}

// MarshalYAMLv2 is Marshal with every document written by
// go.yaml.in/yaml/v2 (marshalDocument): the bytes Marshal must give.
func MarshalYAMLv2(objs []*unstructured.Unstructured) ([]byte, error) {
	var b bytes.Buffer
	for i, o := range objs {
		if i > 0 {
			b.WriteString("---\n")
		}
		y, err := marshalDocument(o.Object)
		if err != nil {
			return nil, fmt.Errorf("%s %s: %w", o.GetKind(), o.GetName(), err)
		}
		b.Write(y)
	}
	return b.Bytes(), nil
}

// CheckMarshal fails t unless Marshal and MarshalYAMLv2 give the same bytes
// for objs.
func CheckMarshal(t testing.TB, objs []*unstructured.Unstructured) {
	t.Helper()
	got, err := Marshal(objs)
	if err != nil {
		t.Fatal(err)
	}
	want, err := MarshalYAMLv2(objs)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("Marshal differs from yaml.v2:\n got %q\nwant %q", got, want)
	}
}
