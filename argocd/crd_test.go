package argocd

import (
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apiextensions-apiserver/pkg/apis/apiextensions"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	structuralschema "k8s.io/apiextensions-apiserver/pkg/apiserver/schema"
	"k8s.io/apiextensions-apiserver/pkg/apiserver/schema/pruning"
	"k8s.io/apiextensions-apiserver/pkg/apiserver/validation"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"sigs.k8s.io/yaml"

	"prenv.dev/prenv/internal/upstream"
)

type crdSchema struct {
	structural *structuralschema.Structural
	validator  validation.SchemaValidator
}

var (
	crdOnce    sync.Once
	crdSchemas map[schema.GroupVersionKind]*crdSchema
	crdErr     error
)

// upstreamCRDs loads the upstream Argo CD CRDs, byte for byte as published
// (see their SOURCES.md), from ../shared/crds/argocd beside the
// repository. Without them it returns nil, and only the comparison with
// them is left out of the test (see package internal/upstream).
func upstreamCRDs(t *testing.T) map[schema.GroupVersionKind]*crdSchema {
	t.Helper()
	dir, ok := upstream.CRDs(t, "argocd")
	if !ok {
		return nil
	}
	crdOnce.Do(func() { crdSchemas, crdErr = loadCRDs(dir) })
	if crdErr != nil {
		t.Fatal(crdErr)
	}
	return crdSchemas
}

func loadCRDs(dir string) (map[schema.GroupVersionKind]*crdSchema, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.yaml"))
	if err != nil {
		return nil, err
	}
	out := map[schema.GroupVersionKind]*crdSchema{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		var v1 apiextensionsv1.CustomResourceDefinition
		if err := yaml.Unmarshal(b, &v1); err != nil {
			return nil, err
		}
		var crd apiextensions.CustomResourceDefinition
		if err := apiextensionsv1.Convert_v1_CustomResourceDefinition_To_apiextensions_CustomResourceDefinition(&v1, &crd, nil); err != nil {
			return nil, err
		}
		for _, v := range crd.Spec.Versions {
			s := v.Schema
			if s == nil {
				s = crd.Spec.Validation
			}
			st, err := structuralschema.NewStructural(s.OpenAPIV3Schema)
			if err != nil {
				return nil, err
			}
			val, _, err := validation.NewSchemaValidator(s.OpenAPIV3Schema)
			if err != nil {
				return nil, err
			}
			gvk := schema.GroupVersionKind{Group: crd.Spec.Group, Version: v.Name, Kind: crd.Spec.Names.Kind}
			out[gvk] = &crdSchema{structural: st, validator: val}
		}
	}
	return out, nil
}

// validateCRD validates an object against its upstream CRD as the API
// server does on create, and reports fields the schema does not know
// (which the API server drops, and refuses under strict validation).
func validateCRD(t *testing.T, obj *unstructured.Unstructured) field.ErrorList {
	t.Helper()
	crds := upstreamCRDs(t)
	if crds == nil {
		return nil // not there: this step only is left out
	}
	s, ok := crds[obj.GroupVersionKind()]
	if !ok {
		t.Fatalf("no upstream CRD for %s", obj.GroupVersionKind())
	}
	errs := validation.ValidateCustomResource(nil, obj.UnstructuredContent(), s.validator)
	cp := runtime.DeepCopyJSON(obj.UnstructuredContent())
	pruned := pruning.PruneWithOptions(cp, s.structural, true, structuralschema.UnknownFieldPathOptions{TrackUnknownFieldPaths: true})
	for _, p := range pruned {
		errs = append(errs, &field.Error{Type: field.ErrorTypeNotSupported, Field: p, BadValue: field.OmitValueType{}, Detail: "unknown field"})
	}
	return errs
}

// validateObjects checks every object: Argo CD kinds against the upstream
// CRDs, ConfigMaps by decoding strictly into the Go type.
func validateObjects(t *testing.T, objs []*unstructured.Unstructured) {
	t.Helper()
	for _, o := range objs {
		switch o.GroupVersionKind().Group {
		case "argoproj.io":
			if errs := validateCRD(t, o); len(errs) > 0 {
				t.Errorf("%s %s does not validate against the upstream CRD:\n%v", o.GetKind(), o.GetName(), errs.ToAggregate())
			}
		case "":
			if o.GetKind() != "ConfigMap" {
				t.Errorf("unexpected core kind %s", o.GetKind())
			}
			strictDecode(t, o, &corev1.ConfigMap{})
		default:
			t.Errorf("unexpected object %s %s", o.GetAPIVersion(), o.GetKind())
		}
	}
}

// strictDecode decodes o into into, refusing unknown fields.
func strictDecode(t *testing.T, o *unstructured.Unstructured, into any) {
	t.Helper()
	b, err := o.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.UnmarshalStrict(b, into); err != nil {
		t.Errorf("%s %s: %v", o.GetKind(), o.GetName(), err)
	}
}

// TestUpstreamCRDsLoad guards the helper: a broken Application must fail.
func TestUpstreamCRDsLoad(t *testing.T) {
	if upstreamCRDs(t) == nil {
		t.Skip("no upstream CRDs to validate against")
	}
	bad := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "argoproj.io/v1alpha1", "kind": "Application",
		"metadata": map[string]any{"name": "x", "namespace": "argocd"},
		"spec":     map[string]any{"destination": map[string]any{"server": "https://kubernetes.default.svc"}, "project": int64(3), "bogus": true},
	}}
	errs := validateCRD(t, bad)
	msg := errs.ToAggregate()
	if msg == nil || !strings.Contains(msg.Error(), "spec.project") || !strings.Contains(msg.Error(), "spec.bogus") {
		t.Fatalf("want errors for spec.project and spec.bogus, got %v", msg)
	}
}
