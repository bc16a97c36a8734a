package validate

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"

	"prenv.dev/prenv/internal/golden"
	"prenv.dev/prenv/manifest"
)

// The equivalence corpus: objects of every kind prenv and the example app
// charts emit, and variants of them broken in every way a caller or a
// template can break them. Its results, as the validator gave them before
// its hot paths were optimised, are in testdata/equivalence/results.json
// (rewritten with -update); TestEquivalence checks that the validator still
// gives exactly those results.

const equivalenceResults = "validate/testdata/equivalence/results.json"

// corpusFiles are the rendered outputs (parsed as manifest.ParseObjects
// does, which is what render sync validates) and fixtures (decoded as
// ValidateStream does) the base objects come from.
var corpusFiles = []struct {
	path     string
	rendered bool
}{
	{"../golden/web/full.yaml", true},
	{"../golden/databases/env.yaml", true},
	{"../golden/large/full.yaml", true},
	{"../golden/previews/appset.yaml", true},
	{"../golden/previews/apps-pr123.yaml", true},
	{"testdata/valid/ack.yaml", false},
	{"testdata/valid/argocd.yaml", false},
	{"testdata/valid/core.yaml", false},
	{"testdata/valid/list.yaml", false},
	{"testdata/equivalence/widgets.yaml", false},
}

// maxPerKind bounds the objects of one kind that get every mutation (the
// first ones met), so that the results file stays small; every object is
// validated unchanged.
const maxPerKind = 1

// equivalenceValidator uses the embedded schemas and the Widget CRD
// (testdata/equivalence/widget-crd.yaml), whose schema has CEL rules that
// run without an old object.
func equivalenceValidator(t testing.TB) *Validator {
	t.Helper()
	return validatorWithCRD(t, "testdata/equivalence/widget-crd.yaml")
}

// validatorWithCRD returns a Validator with the embedded schemas and the
// CRDs of a file.
func validatorWithCRD(t testing.TB, file string) *Validator {
	t.Helper()
	crd, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	v, err := New(context.Background(), Options{CRDs: []Source{{Name: filepath.Base(file), Data: crd}}})
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// corpusObjects returns the objects of each corpus file, in file order.
func corpusObjects(t testing.TB) [][]*unstructured.Unstructured {
	t.Helper()
	var out [][]*unstructured.Unstructured
	for _, f := range corpusFiles {
		data, err := os.ReadFile(f.path)
		if err != nil {
			t.Fatal(err)
		}
		var objs []*unstructured.Unstructured
		if f.rendered {
			objs, err = manifest.ParseObjects(data)
		} else {
			objs, err = DecodeObjects(f.path, data)
		}
		if err != nil {
			t.Fatalf("%s: %v", f.path, err)
		}
		out = append(out, objs)
	}
	return out
}

// firstOfKinds keeps the first maxPerKind objects of each kind.
func firstOfKinds(files [][]*unstructured.Unstructured) []*unstructured.Unstructured {
	perKind := map[string]int{}
	var out []*unstructured.Unstructured
	for _, objs := range files {
		for _, o := range objs {
			k := o.GetAPIVersion() + "/" + o.GetKind()
			if perKind[k] < maxPerKind {
				perKind[k]++
				out = append(out, o)
			}
		}
	}
	return out
}

// mutation changes a deep copy of an object. Values may be left in forms
// decoded JSON does not have (Go ints, typed maps, NaN, ...), as a library
// caller could pass them.
type mutation struct {
	name  string
	apply func(obj map[string]interface{})
}

// slot is a place in an object: a map entry or a list element.
type slot struct {
	get func() interface{}
	set func(interface{})
}

// slots lists the places of v depth first, map keys in sorted order, each
// container before what it holds; the top-level keys in skip are left out.
func slots(v interface{}, skip ...string) []slot {
	var out []slot
	var walk func(v interface{}, top bool)
	walk = func(v interface{}, top bool) {
		switch c := v.(type) {
		case map[string]interface{}:
			for _, k := range sortedKeys(c) {
				if top && slices.Contains(skip, k) {
					continue
				}
				out = append(out, slot{get: func() interface{} { return c[k] }, set: func(x interface{}) { c[k] = x }})
				walk(c[k], false)
			}
		case []interface{}:
			for i := range c {
				out = append(out, slot{get: func() interface{} { return c[i] }, set: func(x interface{}) { c[i] = x }})
				walk(c[i], false)
			}
		}
	}
	walk(v, true)
	return out
}

// targetSlots are where value mutations go: spec, else data, rules or
// subjects, else the object without its apiVersion and kind.
func targetSlots(obj map[string]interface{}) []slot {
	for _, k := range []string{"spec", "data", "rules", "subjects"} {
		if t, ok := obj[k]; ok {
			return slots(t)
		}
	}
	return slots(obj, "apiVersion", "kind")
}

// first changes the first place of the target that holds a value for which
// match is true; all changes every such place.
func first(match func(interface{}) bool, change func(interface{}) interface{}) func(map[string]interface{}) {
	return func(obj map[string]interface{}) {
		for _, s := range targetSlots(obj) {
			if v := s.get(); match(v) {
				s.set(change(v))
				return
			}
		}
	}
}

func all(match func(interface{}) bool, change func(interface{}) interface{}) func(map[string]interface{}) {
	return func(obj map[string]interface{}) {
		for _, s := range slots(obj, "apiVersion", "kind") {
			if v := s.get(); match(v) {
				s.set(change(v))
			}
		}
	}
}

func isString(v interface{}) bool { _, ok := v.(string); return ok }
func isInt(v interface{}) bool    { _, ok := v.(int64); return ok }
func isMap(v interface{}) bool    { _, ok := v.(map[string]interface{}); return ok }
func isList(v interface{}) bool   { _, ok := v.([]interface{}); return ok }
func isNumber(v interface{}) bool { return isInt(v) || isFloat(v) }
func isFloat(v interface{}) bool  { _, ok := v.(float64); return ok }
func isStringList(v interface{}) bool {
	l, ok := v.([]interface{})
	if !ok || len(l) == 0 {
		return false
	}
	for _, e := range l {
		if !isString(e) {
			return false
		}
	}
	return true
}

func to(x interface{}) func(interface{}) interface{} {
	return func(interface{}) interface{} { return x }
}

// inMeta changes metadata (creating it when missing).
func inMeta(f func(meta map[string]interface{})) func(map[string]interface{}) {
	return func(obj map[string]interface{}) {
		m, ok := obj["metadata"].(map[string]interface{})
		if !ok {
			m = map[string]interface{}{}
			obj["metadata"] = m
		}
		f(m)
	}
}

// nested returns n maps, each the only value of the one before, under key.
func nested(key string, n int) map[string]interface{} {
	root := map[string]interface{}{}
	cur := root
	for i := 0; i < n; i++ {
		next := map[string]interface{}{}
		cur[key] = next
		cur = next
	}
	return root
}

// deepValue and tooDeepValue are shared by the objects they are put in:
// the validator only reads them.
var (
	deepValue    = nested("d", 1100)
	tooDeepValue = nested("d", 10050)
)

var mutations = []mutation{
	{"as-is", func(map[string]interface{}) {}},
	// Unknown fields at several depths.
	{"unknown-top", func(o map[string]interface{}) { o["bogusField"] = int64(1) }},
	{"unknown-metadata", inMeta(func(m map[string]interface{}) { m["bogusMeta"] = "x" })},
	{"unknown-target", first(isMap, func(v interface{}) interface{} {
		v.(map[string]interface{})["bogusTarget"] = "x"
		return v
	})},
	{"unknown-deepest", func(o map[string]interface{}) {
		var deepest map[string]interface{}
		best := -1
		var walk func(v interface{}, d int)
		walk = func(v interface{}, d int) {
			switch c := v.(type) {
			case map[string]interface{}:
				if d > best {
					deepest, best = c, d
				}
				for _, k := range sortedKeys(c) {
					walk(c[k], d+1)
				}
			case []interface{}:
				for _, e := range c {
					walk(e, d+1)
				}
			}
		}
		walk(o, 0)
		deepest["bogusDeep"] = map[string]interface{}{"x": []interface{}{int64(1)}}
	}},
	{"unknown-list-item", func(o map[string]interface{}) {
		for _, s := range slots(o) {
			if l, ok := s.get().([]interface{}); ok && len(l) > 0 && isMap(l[0]) {
				l[0].(map[string]interface{})["bogusItem"] = true
				return
			}
		}
	}},
	// Wrong types.
	{"string-as-int", first(isString, to(int64(7)))},
	{"string-as-bool", first(isString, to(true))},
	{"string-as-map", first(isString, to(map[string]interface{}{"a": "b"}))},
	{"int-as-string", first(isInt, to("7"))},
	{"int-as-list", first(isInt, to([]interface{}{int64(7)}))},
	{"map-as-string", first(isMap, to("object"))},
	{"map-as-list", first(isMap, to([]interface{}{"a"}))},
	{"list-as-map", first(isList, to(map[string]interface{}{"a": "b"}))},
	{"list-as-string", first(isList, to("list"))},
	{"labels-as-string", inMeta(func(m map[string]interface{}) { m["labels"] = "app=web" })},
	{"name-as-int", inMeta(func(m map[string]interface{}) { m["name"] = int64(42) })},
	{"apiVersion-as-int", func(o map[string]interface{}) { o["apiVersion"] = int64(1) }},
	{"kind-as-list", func(o map[string]interface{}) { o["kind"] = []interface{}{"Queue"} }},
	// Numbers: float64 where an int belongs, huge values, Go kinds.
	{"ints-as-whole-floats", all(isInt, func(v interface{}) interface{} { return float64(v.(int64)) })},
	{"int-as-fraction", first(isInt, func(v interface{}) interface{} { return float64(v.(int64)) + 0.5 })},
	{"int-max", first(isInt, to(int64(math.MaxInt64)))},
	{"int-min", first(isInt, to(int64(math.MinInt64)))},
	{"int-negative", first(isInt, to(int64(-1)))},
	{"int-above-int32", first(isInt, to(int64(math.MaxInt32)+1))},
	{"float-1e21", first(isInt, to(float64(1e21)))},
	{"float-2p63", first(isInt, to(float64(1<<63)))},
	{"float-1e300", first(isInt, to(1e300))},
	{"float-tiny", first(isInt, to(1e-7))},
	{"float-negative-zero", first(isInt, to(math.Copysign(0, -1)))},
	{"float-nan", first(isNumber, to(math.NaN()))},
	{"float-inf", first(isNumber, to(math.Inf(1)))},
	{"string-as-float", first(isString, to(2.5))},
	{"json-number-int", first(isInt, to(json.Number("12")))},
	{"json-number-float", first(isInt, to(json.Number("1.5e3")))},
	{"json-number-huge", first(isInt, to(json.Number("123456789012345678901234567890")))},
	{"go-int", all(isInt, func(v interface{}) interface{} { return int(v.(int64)) })},
	{"go-int32", first(isInt, func(v interface{}) interface{} { return int32(v.(int64)) })},
	{"go-float32", first(isInt, func(v interface{}) interface{} { return float32(v.(int64)) + 0.25 })},
	{"go-uint", first(isInt, func(v interface{}) interface{} { return uint(v.(int64)) })},
	// Nulls.
	{"null-string", first(isString, to(nil))},
	{"null-int", first(isInt, to(nil))},
	{"null-map", first(isMap, to(nil))},
	{"null-list", first(isList, to(nil))},
	{"typed-nil-map", first(isMap, to(map[string]interface{}(nil)))},
	{"typed-nil-list", first(isList, to([]interface{}(nil)))},
	{"null-spec", func(o map[string]interface{}) { o["spec"] = nil }},
	{"null-metadata", func(o map[string]interface{}) { o["metadata"] = nil }},
	{"null-labels", inMeta(func(m map[string]interface{}) { m["labels"] = nil })},
	// Missing fields.
	{"missing-name", inMeta(func(m map[string]interface{}) { delete(m, "name") })},
	{"missing-namespace", inMeta(func(m map[string]interface{}) { delete(m, "namespace") })},
	{"generate-name", inMeta(func(m map[string]interface{}) { delete(m, "name"); m["generateName"] = "gen-" })},
	{"missing-kind", func(o map[string]interface{}) { delete(o, "kind") }},
	{"missing-apiVersion", func(o map[string]interface{}) { delete(o, "apiVersion") }},
	{"missing-spec", func(o map[string]interface{}) { delete(o, "spec") }},
	{"missing-first-target-field", func(o map[string]interface{}) {
		for _, k := range []string{"spec", "data"} {
			if t, ok := o[k].(map[string]interface{}); ok && len(t) > 0 {
				delete(t, sortedKeys(t)[0])
				return
			}
		}
	}},
	{"empty-target", func(o map[string]interface{}) {
		for _, k := range []string{"spec", "data"} {
			if _, ok := o[k]; ok {
				o[k] = map[string]interface{}{}
			}
		}
	}},
	// Values the API server refuses.
	{"bad-name", inMeta(func(m map[string]interface{}) { m["name"] = "Bad_Name." })},
	{"long-name", inMeta(func(m map[string]interface{}) { m["name"] = strings.Repeat("a", 64) })},
	{"bad-label", inMeta(func(m map[string]interface{}) {
		m["labels"] = map[string]interface{}{"bad key!": "v", "ok": strings.Repeat("v", 70)}
	})},
	{"bad-annotation", inMeta(func(m map[string]interface{}) { m["annotations"] = map[string]interface{}{"/x": "v"} })},
	{"finalizers", inMeta(func(m map[string]interface{}) {
		m["finalizers"] = []interface{}{"bad", "example.com/ok", "example.com/ok"}
	})},
	{"owner-reference", inMeta(func(m map[string]interface{}) {
		m["ownerReferences"] = []interface{}{map[string]interface{}{"apiVersion": "v1", "kind": "ConfigMap", "name": "x"}}
	})},
	{"strings-renamed", all(isString, func(v interface{}) interface{} {
		s := v.(string)
		if strings.Contains(s, "/") || s == "" {
			return s
		}
		return s + "-x"
	})},
	{"string-lists-duplicated", all(isStringList, func(v interface{}) interface{} {
		l := v.([]interface{})
		return append(append([]interface{}{}, l...), l...)
	})},
	{"list-items-duplicated", first(func(v interface{}) bool {
		l, ok := v.([]interface{})
		return ok && len(l) > 0 && isMap(l[0])
	}, func(v interface{}) interface{} {
		l := v.([]interface{})
		return append(append([]interface{}{}, l...), runtime.DeepCopyJSONValue(l[0]))
	})},
	{"status-added", func(o map[string]interface{}) {
		o["status"] = map[string]interface{}{"anything": "goes", "replicas": "x"}
	}},
	// Go values that are not decoded JSON.
	{"typed-labels", inMeta(func(m map[string]interface{}) { m["labels"] = map[string]string{"app": "web", "tier": "front"} })},
	{"typed-string-list", first(isStringList, func(v interface{}) interface{} {
		var out []string
		for _, e := range v.([]interface{}) {
			out = append(out, e.(string))
		}
		return out
	})},
	{"typed-map-list", first(isList, func(v interface{}) interface{} {
		var out []map[string]interface{}
		for _, e := range v.([]interface{}) {
			m, _ := e.(map[string]interface{})
			out = append(out, m)
		}
		return out
	})},
	{"any-keyed-map", inMeta(func(m map[string]interface{}) { m["annotations"] = map[interface{}]interface{}{"a": "b"} })},
	{"int-keyed-map", inMeta(func(m map[string]interface{}) { m["labels"] = map[int]string{1: "a"} })},
	{"struct-value", first(isString, to(struct{ A string }{A: "x"}))},
	{"pointer-value", first(isString, func(v interface{}) interface{} { s := v.(string); return &s })},
	{"channel-value", first(isString, to(make(chan int)))},
	{"invalid-utf8-string", first(isString, func(v interface{}) interface{} { return v.(string) + "\xff" })},
	{"invalid-utf8-key", inMeta(func(m map[string]interface{}) {
		m["labels"] = map[string]interface{}{"app\xff": "web", "app\xfe": "api"}
	})},
	{"html-and-separators", first(isString, func(v interface{}) interface{} { return v.(string) + "<&>\u2028\u2029" })},
	{"shared-submap", inMeta(func(m map[string]interface{}) {
		shared := map[string]interface{}{"app": "web"}
		m["labels"], m["annotations"] = shared, shared
	})},
	{"deep-nesting", func(o map[string]interface{}) {
		// Past the depth where encoding/json starts looking for cycles;
		// the Widget's spec.extra keeps unknown fields.
		o["deep"] = deepValue
		if spec, ok := o["spec"].(map[string]interface{}); ok {
			spec["extra"] = deepValue
		}
	}},
	// Past the decoder's depth limit.
	{"too-deep-nesting", func(o map[string]interface{}) { o["deep"] = tooDeepValue }},
	{"cycle", func(o map[string]interface{}) {
		m := map[string]interface{}{}
		m["self"] = m
		o["loop"] = m
	}},
}

// updateMutations are the mutations also checked as updates.
var updateMutations = map[string]bool{
	"as-is": true, "unknown-target": true, "string-as-int": true, "int-as-string": true,
	"ints-as-whole-floats": true, "int-as-fraction": true, "json-number-int": true, "go-int": true,
	"float-nan": true, "null-string": true, "null-list": true, "typed-nil-list": true,
	"missing-first-target-field": true, "empty-target": true, "strings-renamed": true,
	"string-lists-duplicated": true, "list-items-duplicated": true, "typed-labels": true,
	"typed-string-list": true, "status-added": true, "cycle": true,
}

// mutated applies m to a deep copy of each object.
func mutated(objs []*unstructured.Unstructured, m mutation) []*unstructured.Unstructured {
	out := make([]*unstructured.Unstructured, len(objs))
	for i, o := range objs {
		c := runtime.DeepCopyJSON(o.Object)
		m.apply(c)
		out[i] = &unstructured.Unstructured{Object: c}
	}
	return out
}

// hostileStreams are stream inputs whose text matters: duplicate keys,
// number literals, nulls and keys that decoded JSON cannot hold.
var hostileStreams = map[string]string{
	"duplicate-top-key":     "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\ndata: {a: b}\ndata: {c: d}\n",
	"duplicate-nested-key":  "apiVersion: sqs.services.k8s.aws/v1alpha1\nkind: Queue\nmetadata: {name: q}\nspec:\n  queueName: q\n  queueName: r\n",
	"duplicate-item-key":    "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\nspec:\n  selector: {matchLabels: {a: b}}\n  template:\n    metadata: {labels: {a: b}}\n    spec:\n      containers:\n      - name: c\n        image: i\n        image: j\n",
	"duplicate-in-list-doc": "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: ConfigMap\n  metadata: {name: a, name: b}\n",
	"duplicate-json-key":    `{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a"}, "data": {"k": "1", "k": "2"}}`,
	"float-replicas":        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\nspec:\n  replicas: 1.0\n  selector: {matchLabels: {a: b}}\n  template:\n    metadata: {labels: {a: b}}\n    spec: {containers: [{name: c, image: i}]}\n",
	"exponent-replicas":     "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\nspec:\n  replicas: 1e3\n  selector: {matchLabels: {a: b}}\n  template:\n    metadata: {labels: {a: b}}\n    spec: {containers: [{name: c, image: i}]}\n",
	"huge-replicas":         "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\nspec:\n  replicas: 99999999999999999999\n  selector: {matchLabels: {a: b}}\n  template:\n    metadata: {labels: {a: b}}\n    spec: {containers: [{name: c, image: i}]}\n",
	"fraction-delay":        "apiVersion: sqs.services.k8s.aws/v1alpha1\nkind: Queue\nmetadata: {name: q}\nspec: {queueName: q, delaySeconds: 1.5}\n",
	"huge-widget-size":      "apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w}\nspec: {size: 123456789012345678901234567890, mode: fast}\n",
	"whole-float-widget":    "apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w}\nspec: {size: 5.0, mode: fast, replicas: 2.0, ratio: 2}\n",
	"widget-cel":            "apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w}\nspec: {size: 5, mode: fast, replicas: 1, minReplicas: 3, name: x-bad}\n",
	"widget-blocked-cel":    "apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w}\nspec: {size: 500, mode: other, replicas: 1, minReplicas: 3}\n",
	"widget-nulls":          "apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w}\nspec: {size: 5, mode: fast, replicas: null, tags: null, items: [{key: a, value: null, weight: null}]}\n",
	"widget-embedded":       "apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w}\nspec: {size: 5, mode: fast, template: {metadata: {name: Bad_Name, bogus: 1}}}\n",
	"widget-list-types":     "apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w}\nspec: {size: 5, mode: fast, set: [a, a], items: [{key: k}, {key: k}, {value: v}]}\n",
	"null-spec":             "apiVersion: sqs.services.k8s.aws/v1alpha1\nkind: Queue\nmetadata: {name: q}\nspec: ~\n",
	"null-metadata":         "apiVersion: v1\nkind: ConfigMap\nmetadata: null\n",
	"number-key":            "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a, labels: {1: a}}\ndata: {2: b}\n",
	"bool-key":              "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\ndata: {yes: b, on: c}\n",
	"binary-tag":            "apiVersion: v1\nkind: Secret\nmetadata: {name: a}\ndata: {k: !!binary aGVsbG8=}\n",
	"anchors":               "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a, labels: &l {x: y}, annotations: *l}\ndata: {a: b}\n",
	"invalid-utf8":          "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\ndata: {a: \"b\xff\"}\n",
	"tabs":                  "apiVersion: v1\nkind: ConfigMap\nmetadata:\n\tname: a\n",
	"not-an-object":         "- a\n- b\n",
	"list-with-scalar-item": "apiVersion: v1\nkind: List\nitems: [1, {apiVersion: v1, kind: ConfigMap, metadata: {name: a}}]\n",
	"crd-object":            "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata: {name: things.example.com}\nspec:\n  group: example.com\n  names: {plural: things, kind: Thing}\n  scope: Namespaced\n  versions: [{name: v1, served: true, storage: true, schema: {openAPIV3Schema: {type: object, x-kubernetes-validations: [{rule: 'self.x'}]}}}]\n",
	"no-schema":             "apiVersion: example.com/v2\nkind: Widget\nmetadata: {name: w}\n---\napiVersion: example.org/v1\nkind: Gadget\nmetadata: {name: g}\n",
}

// equivalenceCase is one validation of the corpus.
type equivalenceCase struct {
	name     string
	objs     []*unstructured.Unstructured // ValidateObjects' objects
	old      []*unstructured.Unstructured
	stream   []byte // ValidateStream's data, when set
	isStream bool
}

func equivalenceCases(t testing.TB) []equivalenceCase {
	t.Helper()
	files := corpusObjects(t)
	base := firstOfKinds(files)
	var updatable []*unstructured.Unstructured
	for _, o := range base {
		switch o.GetKind() {
		case "Table", "Queue", "Role", "Policy", "Widget", "StatefulSet":
			updatable = append(updatable, o)
		}
	}
	var cases []equivalenceCase
	for i, objs := range files {
		cases = append(cases, equivalenceCase{name: "objects/" + corpusFiles[i].path, objs: objs})
	}
	for _, m := range mutations {
		cases = append(cases, equivalenceCase{name: "objects/" + m.name, objs: mutated(base, m)})
		if updateMutations[m.name] {
			// The objects of kinds with update rules, with the unchanged
			// objects as the previous render: transition rules and
			// update rules run.
			cases = append(cases, equivalenceCase{name: "update/" + m.name, objs: mutated(updatable, m), old: updatable})
		}
	}
	cases = append(cases,
		equivalenceCase{name: "objects/nil-object", objs: []*unstructured.Unstructured{nil, base[0]}},
		equivalenceCase{name: "objects/nil-map", objs: []*unstructured.Unstructured{{}, {Object: map[string]interface{}{}}}},
		equivalenceCase{name: "update/nil-old", objs: base, old: []*unstructured.Unstructured{nil, {}, {Object: map[string]interface{}{"kind": 1}}}},
	)
	// Every fixture and rendered file as a stream, with its previous
	// version when it has one.
	paths, err := filepath.Glob("testdata/*/*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range corpusFiles {
		if f.rendered {
			paths = append(paths, f.path)
		}
	}
	sort.Strings(paths)
	for _, f := range paths {
		if strings.HasSuffix(f, ".old.yaml") || strings.HasSuffix(f, "-crd.yaml") {
			continue
		}
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		c := equivalenceCase{name: "stream/" + f, stream: data, isStream: true}
		if b, err := os.ReadFile(strings.TrimSuffix(f, ".yaml") + ".old.yaml"); err == nil {
			if c.old, err = DecodeObjects(f, b); err != nil {
				t.Fatal(err)
			}
		}
		cases = append(cases, c)
	}
	for _, name := range slices.Sorted(maps.Keys(hostileStreams)) {
		cases = append(cases, equivalenceCase{name: "stream/" + name, stream: []byte(hostileStreams[name]), isStream: true})
	}
	return cases
}

// run validates the case with v.
func (c equivalenceCase) run(t testing.TB, v *Validator) Result {
	t.Helper()
	ctx := context.Background()
	if c.isStream {
		r, err := v.ValidateStream(ctx, "f.yaml", c.stream, c.old)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		return r
	}
	r, err := v.ValidateObjects(ctx, c.objs, c.old)
	if err != nil {
		t.Fatalf("%s: %v", c.name, err)
	}
	return r
}

// TestEquivalence checks every case of the corpus against the results the
// validator gave before its hot paths were optimised, and that validation
// leaves the objects as they were.
func TestEquivalence(t *testing.T) {
	v := equivalenceValidator(t)
	cases := equivalenceCases(t)
	got := map[string]Result{}
	for _, c := range cases {
		if _, dup := got[c.name]; dup {
			t.Fatalf("case %s twice", c.name)
		}
		got[c.name] = c.run(t, v)
	}
	if golden.Updating() {
		golden.CheckFile(t, equivalenceResults, encodeResults(t, got))
		return
	}
	data, err := os.ReadFile(filepath.Join(golden.Root(t), equivalenceResults))
	if err != nil {
		t.Fatal(err)
	}
	var want map[string]Result
	if err := json.Unmarshal(data, &want); err != nil {
		t.Fatal(err)
	}
	for _, c := range cases {
		if diff := cmp.Diff(want[c.name], got[c.name]); diff != "" {
			t.Errorf("%s (-want +got):\n%s", c.name, diff)
		}
	}
	if len(want) != len(got) {
		t.Errorf("%d cases, %d in %s", len(got), len(want), equivalenceResults)
	}
	// The objects are as they were made.
	for i, twin := range equivalenceCases(t) {
		c := cases[i]
		if c.isStream || strings.Contains(c.name, "cycle") {
			continue
		}
		if diff := cmp.Diff(twin.objs, c.objs, cmpopts.EquateNaNs()); diff != "" {
			t.Errorf("%s: objects modified (-before +after):\n%s", c.name, diff)
		}
		if diff := cmp.Diff(twin.old, c.old, cmpopts.EquateNaNs()); diff != "" {
			t.Errorf("%s: old objects modified (-before +after):\n%s", c.name, diff)
		}
	}
}

// encodeResults writes results as a JSON object, one line per problem.
func encodeResults(t testing.TB, results map[string]Result) []byte {
	t.Helper()
	var b strings.Builder
	b.WriteString("{")
	for i, name := range slices.Sorted(maps.Keys(results)) {
		r := results[name]
		if i > 0 {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, "\n%s: {\"objects\": %d, \"invalid\": %d, \"skipped\": %d, \"problems\": ", mustJSON(t, name), r.Objects, r.Invalid, r.Skipped)
		if r.Problems == nil {
			b.WriteString("null}")
			continue
		}
		b.WriteString("[")
		for j, p := range r.Problems {
			if j > 0 {
				b.WriteString(",")
			}
			b.WriteString("\n  " + mustJSON(t, p))
		}
		b.WriteString("]}")
	}
	b.WriteString("\n}\n")
	return []byte(b.String())
}

func mustJSON(t testing.TB, v interface{}) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
