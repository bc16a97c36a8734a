package kit

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"
	"testing/fstest"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"prenv.dev/prenv/internal/golden"
	"prenv.dev/prenv/plan"
	"prenv.dev/prenv/spec"
)

// renderWithAddedTemplate renders an example with the embedded kit plus one
// template a pull request adds (--templates). Files render in reverse name
// order, so zz-*.yaml runs first and can change .Values for the embedded
// templates (Helm semantics: one .Values for the whole run).
func renderWithAddedTemplate(t *testing.T, example, name, text string) ([]*unstructured.Unstructured, error) {
	t.Helper()
	k, err := LoadEnvKit(fstest.MapFS{name: &fstest.MapFile{Data: []byte(text)}})
	if err != nil {
		t.Fatal(err)
	}
	env, ok := golden.ExampleSpecs(t, spec.Load)[example]
	if !ok {
		t.Fatalf("no example %s", example)
	}
	m, err := plan.Plan(env, 7)
	if err != nil {
		t.Fatal(err)
	}
	return k.ExecuteModel(context.Background(), m)
}

// TestTemplatesPrintValuesAsTheyFindThem pins what the embedded templates
// print when a template a pull request adds (rendered first: files run in
// reverse name order) changes .Values, which all files share as in Helm:
// maps and lists of strings are printed whole with one toJson, so what the
// added template changed is printed as it is, and the final checks and
// validation judge it; nothing of it is dropped on the way, so nothing
// hides from them. (Before the templates printed tags and labels field by
// field, a field added to a tag was dropped and an emptied map printed
// null; both are refused either way, by validation or by the fence.)
func TestTemplatesPrintValuesAsTheyFindThem(t *testing.T) {
	t.Run("a field added to each tag", func(t *testing.T) {
		objs, err := renderWithAddedTemplate(t, "web", "zz-tags.yaml", `{{- range .Values.tags }}{{ $_ := set . "extra" "x" }}{{ end }}`+"\n")
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, o := range objs {
			tags, found, _ := unstructured.NestedSlice(o.Object, "spec", "tags")
			if !found {
				continue
			}
			for _, tag := range tags {
				n++
				if tag.(map[string]any)["extra"] != "x" {
					t.Errorf("%s %s: tag %v: want the added field printed, for validation to refuse", o.GetKind(), o.GetName(), tag)
				}
			}
		}
		if n == 0 {
			t.Fatal("no tags rendered")
		}
	})
	t.Run("tags emptied", func(t *testing.T) {
		objs, err := renderWithAddedTemplate(t, "web", "zz-tags.yaml", `{{- $_ := set .Values "tags" list }}`+"\n")
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, o := range objs {
			if v, found, _ := unstructured.NestedFieldNoCopy(o.Object, "spec", "tags"); found {
				n++
				// SQS's tags are a map, still printed entry by entry:
				// with no entries, null.
				if o.GetKind() == "Queue" {
					if v != nil {
						t.Errorf("%s %s: spec.tags is %#v, want null", o.GetKind(), o.GetName(), v)
					}
					continue
				}
				if l, ok := v.([]any); !ok || len(l) != 0 {
					t.Errorf("%s %s: spec.tags is %#v, want []", o.GetKind(), o.GetName(), v)
				}
			}
		}
		if n == 0 {
			t.Fatal("no object with spec.tags")
		}
	})
	t.Run("labels emptied", func(t *testing.T) {
		objs, err := renderWithAddedTemplate(t, "web", "zz-labels.yaml", `{{- $_ := set .Values "labels" dict }}`+"\n")
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range objs {
			if o.GetKind() == "Namespace" {
				continue // its own labels are printed besides (hasKey "labels")
			}
			if v, found, _ := unstructured.NestedFieldNoCopy(o.Object, "metadata", "labels"); !found || !reflect.DeepEqual(v, map[string]any{}) {
				t.Errorf("%s %s: metadata.labels is %#v, want {}", o.GetKind(), o.GetName(), v)
			}
		}
	})
	t.Run("a value toJson cannot print", func(t *testing.T) {
		_, err := renderWithAddedTemplate(t, "web", "zz-labels.yaml", `{{- $_ := set .Values.labels "x" (float64 "NaN") }}`+"\n")
		var te *TemplateError
		if !errors.As(err, &te) || !strings.Contains(err.Error(), "_helpers.tpl:") || !strings.Contains(err.Error(), "unsupported value: NaN") {
			t.Errorf("error %v, want a *TemplateError in _helpers.tpl for the NaN", err)
		}
	})
}
