package validate

import (
	"encoding/json"
	"reflect"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	kjson "sigs.k8s.io/json"
)

// agreesWithJSON checks decodeTyped against what it stands for: when it
// decodes o into a t, the type check finds no problem and
// sigs.k8s.io/json's UnmarshalStrict of o's JSON text gives the same value,
// without error or strict error. It reports whether decodeTyped decoded o.
func agreesWithJSON(tb testing.TB, tc *typeChecker, t reflect.Type, o interface{}) bool {
	tb.Helper()
	fast := reflect.New(t)
	if !tc.decodeTyped(fast.Elem(), o) {
		return false
	}
	var problems []fieldProblem
	tc.check(t, o, nil, &problems)
	if len(problems) > 0 {
		tb.Fatalf("decoded %#v into %s, in which the type check finds %v", o, t, problems)
	}
	data, err := json.Marshal(o)
	if err != nil {
		tb.Fatalf("decoded %#v, which has no JSON text: %v", o, err)
	}
	slow := reflect.New(t)
	strict, err := kjson.UnmarshalStrict(data, slow.Interface())
	if err != nil || len(strict) > 0 {
		tb.Fatalf("decoded %s into %s, which UnmarshalStrict refuses: %v %v", data, t, err, strict)
	}
	if !reflect.DeepEqual(fast.Interface(), slow.Interface()) {
		tb.Fatalf("%s into %s (-UnmarshalStrict +decodeTyped):\n%s", data, t, cmp.Diff(slow.Interface(), fast.Interface(), cmp.Exporter(func(reflect.Type) bool { return true })))
	}
	return true
}

// builtinCorpus returns the objects of built-in kinds of the equivalence
// corpus, unchanged and mutated, normalized as ValidateObjects does, with
// their Go types.
func builtinCorpus(t testing.TB, v *Validator) (objs []*unstructured.Unstructured, types []reflect.Type, unchanged int) {
	t.Helper()
	files := corpusObjects(t)
	var all []*unstructured.Unstructured
	for _, f := range files {
		all = append(all, f...)
	}
	unchangedAll := len(all)
	base := firstOfKinds(files)
	for _, m := range mutations {
		all = append(all, mutated(base, m)...)
	}
	for i, o := range all {
		n, err := normalize(o)
		if err != nil {
			continue
		}
		typ, ok := v.builtin.lookup(n.GroupVersionKind())
		if !ok {
			continue
		}
		objs, types = append(objs, n), append(types, typ)
		if i < unchangedAll {
			unchanged++
		}
	}
	return objs, types, unchanged
}

// TestDecodeTypedAgreesWithJSON decodes every built-in object of the
// equivalence corpus, and its metadata into ObjectMeta, both ways.
func TestDecodeTypedAgreesWithJSON(t *testing.T) {
	v := equivalenceValidator(t)
	objs, types, unchanged := builtinCorpus(t, v)
	metaType := reflect.TypeOf(metav1.ObjectMeta{})
	decoded := 0
	for i, o := range objs {
		if agreesWithJSON(t, v.types, types[i], o.Object) {
			decoded++
		} else if i < unchanged {
			t.Errorf("%s %s/%s: not decoded directly", o.GetAPIVersion(), o.GetKind(), o.GetName())
		}
		agreesWithJSON(t, v.types, metaType, o.Object["metadata"])
	}
	t.Logf("%d of %d objects decoded directly", decoded, len(objs))
	// CRDs: recursive types (JSONSchemaProps), many UnmarshalJSON methods.
	srcs, err := EmbeddedCRDs()
	if err != nil {
		t.Fatal(err)
	}
	crdType := reflect.TypeOf(apiextensionsv1.CustomResourceDefinition{})
	for _, src := range srcs {
		objs, err := DecodeObjects(src.Name, src.Data)
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range objs {
			if !agreesWithJSON(t, v.types, crdType, o.Object) {
				t.Errorf("%s: not decoded directly", src.Name)
			}
		}
	}
}

// FuzzDecodeTyped puts a generated value (see fuzzValue) in place of one
// value of a built-in object of the corpus and checks decodeTyped on the
// result.
func FuzzDecodeTyped(f *testing.F) {
	v := equivalenceValidator(f)
	objs, types, _ := builtinCorpus(f, v)
	f.Add(uint16(0), uint16(0), []byte{1, 'x'})
	f.Add(uint16(3), uint16(40), []byte{3, 1, 0, 0, 0, 0, 0, 0, 0})
	f.Add(uint16(5), uint16(7), []byte{0})
	f.Add(uint16(9), uint16(12), []byte{5, 1, 1, 'a', 1, 1, 'b'})
	f.Fuzz(func(t *testing.T, obj, place uint16, data []byte) {
		i := int(obj) % len(objs)
		o := runtime.DeepCopyJSON(objs[i].Object)
		if s := slots(o); len(s) > 0 {
			s[int(place)%len(s)].set(fuzzValue(&data, 0))
		}
		n, err := normalize(&unstructured.Unstructured{Object: o})
		if err != nil {
			return
		}
		agreesWithJSON(t, v.types, types[i], n.Object)
	})
}

// TestDecodeTypedConcurrently makes the decoders of a fresh typeChecker
// from several goroutines at once (run with -race) and compares what they
// decode with what a lone typeChecker decodes.
func TestDecodeTypedConcurrently(t *testing.T) {
	v := equivalenceValidator(t)
	objs, types, _ := builtinCorpus(t, v)
	decodeAll := func(tc *typeChecker) []interface{} {
		out := make([]interface{}, len(objs))
		for i, o := range objs {
			p := reflect.New(types[i])
			if tc.decodeTyped(p.Elem(), o.Object) {
				out[i] = p.Interface()
			}
		}
		return out
	}
	want := decodeAll(&typeChecker{})
	shared := &typeChecker{}
	const workers = 4
	got := make([][]interface{}, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			got[w] = decodeAll(shared)
		}()
	}
	wg.Wait()
	for w := range workers {
		for i := range want {
			if !reflect.DeepEqual(want[i], got[w][i]) {
				t.Errorf("worker %d, object %d (%s): decoded differently", w, i, objs[i].GetKind())
			}
		}
	}
}
