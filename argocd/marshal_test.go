package argocd

import (
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"prenv.dev/prenv/manifest"
)

func TestMarshal(t *testing.T) {
	tests := map[string]string{
		"plain":          "feature/login",
		"html":           "<a & b>",
		"DEL":            "a\x7fb",
		"C1 controls":    "\u0080\u009f\u0085",
		"non-characters": "\ufffe\uffff",
		"C0 controls":    "a\x00\t\n\rb",
		"emoji":          "🚀",
		"line separator": "\u2028",
	}
	for name, s := range tests {
		t.Run(name, func(t *testing.T) {
			o := &unstructured.Unstructured{Object: map[string]any{"apiVersion": "v1", "kind": "ConfigMap", "metadata": map[string]any{"name": "x"}, "data": map[string]any{"k": s}}}
			objs := []*unstructured.Unstructured{o, o}
			got, err := Marshal(objs)
			if err != nil {
				t.Fatal(err)
			}
			back, err := manifest.ParseObjects(got)
			if err != nil {
				t.Fatal(err)
			}
			if len(back) != 2 || back[1].Object["data"].(map[string]any)["k"] != s {
				t.Errorf("round trip: %q", got)
			}
			if want, err := manifest.Marshal(objs); err == nil && string(want) != string(got) {
				t.Errorf("differs from render.Marshal:\n%s\n%s", want, got)
			}
		})
	}
}
