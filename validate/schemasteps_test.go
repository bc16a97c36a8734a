package validate

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	structuralschema "k8s.io/apiextensions-apiserver/pkg/apiserver/schema"
	structuraldefaulting "k8s.io/apiextensions-apiserver/pkg/apiserver/schema/defaulting"
	"k8s.io/apiextensions-apiserver/pkg/apiserver/schema/listtype"
	schemaobjectmeta "k8s.io/apiextensions-apiserver/pkg/apiserver/schema/objectmeta"
	"k8s.io/apiextensions-apiserver/pkg/apiserver/schema/pruning"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// TestSkippedSchemaStepsDoNothing runs the CR handler steps that
// validateCustom skips for a schema without defaults, embedded resources
// or list types, and for an object without null values, on every custom
// object of the equivalence corpus (unchanged and mutated) that lacks
// them: they must neither change the object nor report anything. The
// Widget schema has all three. It also checks copyJSON against
// runtime.DeepCopyJSON, mapHoldsNull against copyJSON and prunes against
// pruning.
func TestSkippedSchemaStepsDoNothing(t *testing.T) {
	v := equivalenceValidator(t)
	widget := schemaOf(t, v, schema.GroupVersionKind{Group: "example.com", Version: "v1", Kind: "Widget"})
	if widget == nil || !widget.defaults || !widget.embedded || !widget.listTypes {
		t.Fatalf("the Widget schema has defaults, embedded resources and list types: %+v", widget)
	}
	files := corpusObjects(t)
	var objs []map[string]interface{}
	for _, f := range files {
		for _, o := range f {
			objs = append(objs, o.Object)
		}
	}
	for _, m := range mutations {
		for _, o := range mutated(firstOfKinds(files), m) {
			if n, err := normalize(o); err == nil {
				objs = append(objs, n.Object)
			}
		}
	}
	checked, pruned := 0, 0
	for _, o := range objs {
		apiVersion, _ := o["apiVersion"].(string)
		kind, _ := o["kind"].(string)
		gv, err := schema.ParseGroupVersion(apiVersion)
		if err != nil {
			continue
		}
		cv := schemaOf(t, v, gv.WithKind(kind))
		if cv == nil || cv.structural == nil {
			continue
		}
		checked++
		s := cv.structural
		c, nulls := copyJSON(o)
		if diff := cmp.Diff(runtime.DeepCopyJSON(o), c); diff != "" {
			t.Errorf("%s: copyJSON differs from DeepCopyJSON:\n%s", kind, diff)
		}
		if mapHoldsNull(o) != nulls {
			t.Errorf("%s: mapHoldsNull says %v, copyJSON %v", kind, !nulls, nulls)
		}
		p := runtime.DeepCopyJSON(o)
		paths := pruning.PruneWithOptions(p, s, true, structuralschema.UnknownFieldPathOptions{TrackUnknownFieldPaths: true})
		if pruned := len(paths) > 0 || !cmp.Equal(o, p); prunes(o, s) != pruned {
			t.Errorf("%s: prunes says %v, pruning deleted %v (%v)", kind, !pruned, pruned, paths)
		}
		if prunes(o, s) {
			pruned++
		}
		if !nulls {
			structuraldefaulting.PruneNonNullableNullsWithoutDefaults(c, s)
			if diff := cmp.Diff(o, c); diff != "" {
				t.Errorf("%s: no null found, but PruneNonNullableNullsWithoutDefaults changed the object:\n%s", kind, diff)
			}
		}
		if !cv.defaults {
			c := runtime.DeepCopyJSON(o)
			structuraldefaulting.Default(c, s)
			if diff := cmp.Diff(o, c); diff != "" {
				t.Errorf("%s: Default changed the object:\n%s", kind, diff)
			}
		}
		if !cv.embedded {
			c := runtime.DeepCopyJSON(o)
			ferr, paths := schemaobjectmeta.CoerceWithOptions(nil, c, s, false, schemaobjectmeta.CoerceOptions{ReturnUnknownFieldPaths: true})
			if ferr != nil || paths != nil {
				t.Errorf("%s: Coerce reported %v %v", kind, ferr, paths)
			}
			if diff := cmp.Diff(o, c); diff != "" {
				t.Errorf("%s: Coerce changed the object:\n%s", kind, diff)
			}
			if errs := schemaobjectmeta.Validate(context.Background(), nil, o, s, false); errs != nil {
				t.Errorf("%s: embedded-resource validation reported %v", kind, errs)
			}
		}
		if !cv.listTypes {
			if errs := listtype.ValidateListSetsAndMaps(nil, s, o); errs != nil {
				t.Errorf("%s: list-type validation reported %v", kind, errs)
			}
		}
	}
	if checked == 0 || pruned == 0 {
		t.Fatalf("%d custom objects checked, %d pruned", checked, pruned)
	}
}

// TestSetObjectMeta compares setObjectMeta with apiextensions-apiserver's
// SetObjectMeta on the metadata of the corpus's objects (read as
// prepareCustom reads it) and on ObjectMetas with every field set.
func TestSetObjectMeta(t *testing.T) {
	if !objectMetaKnown {
		t.Fatal("ObjectMeta's fields are not the ones setObjectMeta knows: update it")
	}
	v := equivalenceValidator(t)
	var metas []*metav1.ObjectMeta
	files := corpusObjects(t)
	for _, m := range mutations {
		for _, o := range mutated(firstOfKinds(files), m) {
			if n, err := normalize(o); err == nil {
				if meta, _, _, err := v.objectMeta(runtime.DeepCopyJSON(n.Object)); err == nil && meta != nil {
					metas = append(metas, meta)
				}
			}
		}
	}
	now := metav1.NewTime(time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC))
	grace := int64(30)
	full := metav1.ObjectMeta{
		Name: "n", GenerateName: "g-", Namespace: "ns", SelfLink: "/s", UID: "u", ResourceVersion: "1", Generation: 2,
		Labels: map[string]string{"a": "b"}, Annotations: map[string]string{"c": "d"}, Finalizers: []string{"f"},
	}
	metas = append(metas, &metav1.ObjectMeta{}, &full,
		&metav1.ObjectMeta{Labels: map[string]string{}, Annotations: map[string]string{}, Finalizers: []string{}, OwnerReferences: []metav1.OwnerReference{}})
	for _, change := range []func(m *metav1.ObjectMeta){
		func(m *metav1.ObjectMeta) { m.CreationTimestamp = now },
		func(m *metav1.ObjectMeta) { m.DeletionTimestamp = &now },
		func(m *metav1.ObjectMeta) { m.DeletionGracePeriodSeconds = &grace },
		func(m *metav1.ObjectMeta) {
			m.OwnerReferences = []metav1.OwnerReference{{APIVersion: "v1", Kind: "ConfigMap", Name: "x", UID: "y"}}
		},
		func(m *metav1.ObjectMeta) { m.ManagedFields = []metav1.ManagedFieldsEntry{{Manager: "m"}} },
	} {
		m := full.DeepCopy()
		change(m)
		metas = append(metas, m)
	}
	for _, m := range metas {
		want, got := map[string]interface{}{"metadata": "old"}, map[string]interface{}{"metadata": "old"}
		if err := schemaobjectmeta.SetObjectMeta(want, m.DeepCopy()); err != nil {
			t.Fatal(err)
		}
		if err := setObjectMeta(got, m.DeepCopy()); err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%+v (-SetObjectMeta +setObjectMeta):\n%s", m, diff)
		}
	}
}

// FuzzPrunes puts a generated value (see fuzzValue) in place of one value
// of a custom object of the corpus and compares prunes and mapHoldsNull
// with what pruning deletes and copyJSON finds, under the object's schema
// or any other.
func FuzzPrunes(f *testing.F) {
	v := validatorWithCRD(f, "testdata/equivalence/prune-crd.yaml")
	var schemas []*structuralschema.Structural
	for _, gvk := range v.CustomKinds() {
		schemas = append(schemas, schemaOf(f, v, gvk).structural)
	}
	var objs []map[string]interface{}
	for _, file := range corpusObjects(f) {
		for _, o := range file {
			if schemaOf(f, v, o.GroupVersionKind()) != nil {
				objs = append(objs, o.Object)
			}
		}
	}
	objs = append(objs, map[string]interface{}{"apiVersion": "example.com/v1", "kind": "Prune", "spec": map[string]interface{}{
		"kept":      map[string]interface{}{"known": map[string]interface{}{"a": "x"}, "list": []interface{}{map[string]interface{}{"b": "y"}}, "other": int64(1)},
		"byName":    map[string]interface{}{"n": map[string]interface{}{"c": "z"}},
		"resources": []interface{}{map[string]interface{}{"apiVersion": "v1", "kind": "K", "metadata": map[string]interface{}{"name": "m"}, "spec": map[string]interface{}{"d": "w"}}},
	}})
	f.Add(uint16(len(objs)-1), uint16(0), uint16(4), []byte{5, 1, 1, 'z', 1, 1, 'q'})
	f.Add(uint16(len(objs)-1), uint16(0), uint16(9), []byte{0})
	f.Add(uint16(0), uint16(1), uint16(2), []byte{1, 'x'})
	f.Fuzz(func(t *testing.T, obj, schema, place uint16, data []byte) {
		o := runtime.DeepCopyJSON(objs[int(obj)%len(objs)])
		if s := slots(o); len(s) > 0 {
			s[int(place)%len(s)].set(fuzzValue(&data, 0))
		}
		n, err := normalize(&unstructured.Unstructured{Object: o})
		if err != nil {
			return
		}
		o = n.Object
		s := schemas[int(schema)%len(schemas)]
		p := runtime.DeepCopyJSON(o)
		paths := pruning.PruneWithOptions(p, s, true, structuralschema.UnknownFieldPathOptions{TrackUnknownFieldPaths: true})
		if pruned := len(paths) > 0 || !cmp.Equal(o, p); prunes(o, s) != pruned {
			t.Fatalf("prunes says %v, pruning deleted %v (%v) from %v", !pruned, pruned, paths, o)
		}
		if _, nulls := copyJSON(o); mapHoldsNull(o) != nulls {
			t.Fatalf("mapHoldsNull says %v, copyJSON %v", !nulls, nulls)
		}
	})
}
