package validate

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

const validQueue = `apiVersion: sqs.services.k8s.aws/v1alpha1
kind: Queue
metadata:
  name: jobs
  namespace: pr-1
spec:
  queueName: pr-1-jobs
`

// texts renders problems as "Location Object: field: message" lines.
func texts(r Result) []string {
	out := []string{}
	for _, p := range r.Problems {
		out = append(out, p.String())
	}
	return out
}

func mustNew(t *testing.T, opts Options) *Validator {
	t.Helper()
	v, err := New(context.Background(), opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return v
}

func TestValidateStream(t *testing.T) {
	v := embeddedValidator(t)
	tests := map[string]struct {
		in         string
		want       []string
		objects    int
		invalidObj int
	}{
		"valid queue": {in: validQueue, want: []string{}, objects: 1},
		"document numbers skip empty documents and comments": {
			in: "---\n# Source: chart/templates/a.yaml\n---\n" + validQueue + "---\n\n---\n" +
				strings.Replace(validQueue, "queueName: pr-1-jobs", "queueName: 7", 1),
			want: []string{
				`f.yaml:2 Queue/jobs: spec.queueName: Invalid value: "integer": spec.queueName in body must be of type string: "integer"`,
				`f.yaml:2 Queue/jobs: Invalid value: null: some validation rules were not checked because the object was invalid; correct the existing errors to complete validation`,
			},
			objects: 2, invalidObj: 1,
		},
		"not YAML": {
			in:      "a: [1,\n",
			want:    []string{`f.yaml:1 <unknown>: not valid YAML or JSON: line 1: did not find expected node content`},
			objects: 1, invalidObj: 1,
		},
		"not an object": {
			in:      "- a\n- b\n",
			want:    []string{`f.yaml:1 <unknown>: a document must be an object, not array`},
			objects: 1, invalidObj: 1,
		},
		"missing apiVersion and kind": {
			in:      "metadata:\n  name: x\n",
			want:    []string{`f.yaml:1 <unknown>/x: apiVersion: Required value`, `f.yaml:1 <unknown>/x: kind: Required value`},
			objects: 1, invalidObj: 1,
		},
		"JSON document": {
			in:      `{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}, "data": {"a": "b"}}`,
			want:    []string{},
			objects: 1,
		},
		"List items are checked one by one": {
			in: `apiVersion: v1
kind: List
items:
- apiVersion: v1
  kind: ConfigMap
  metadata: {name: ok}
- apiVersion: v1
  kind: ConfigMap
  metadata: {name: Bad}
`,
			want:    []string{`f.yaml:1[2] ConfigMap/Bad: metadata.name: Invalid value: "Bad": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')`},
			objects: 2, invalidObj: 1,
		},
		"typed lists give their items a kind": {
			in:      "apiVersion: v1\nkind: ConfigMapList\nitems:\n- metadata: {name: a}\n  data: {x: z}\n",
			want:    []string{},
			objects: 1,
		},
		"cluster-scoped namespace is ignored, as by the API server": {
			in:      "apiVersion: v1\nkind: Namespace\nmetadata: {name: a, namespace: b}\n",
			want:    []string{},
			objects: 1,
		},
		"generateName stands for a name": {
			in:      "apiVersion: batch/v1\nkind: Job\nmetadata: {generateName: migrate-}\nspec:\n  template:\n    spec:\n      restartPolicy: Never\n      containers: [{name: m, image: m}]\n",
			want:    []string{},
			objects: 1,
		},
		"bad generateName": {
			in:      strings.Replace(validQueue, "name: jobs", "generateName: Jobs-", 1),
			want:    []string{`f.yaml:1 Queue: metadata.generateName: Invalid value: "Jobs-": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')`, `f.yaml:1 Queue: metadata.name: Invalid value: "Jobs-b2c4d": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')`},
			objects: 1, invalidObj: 1,
		},
		"bad namespace": {
			in:      "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a, namespace: B_1}\n",
			want:    []string{`f.yaml:1 ConfigMap/a: metadata.namespace: Invalid value: "B_1": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')`},
			objects: 1, invalidObj: 1,
		},
		"status of a kind with the status subresource: unknown to prenv's schema": {
			in:      validQueue + "status:\n  queueURL: x\n",
			want:    []string{`f.yaml:1 Queue/jobs: status: unknown field`},
			objects: 1, invalidObj: 1,
		},
		"Secret data must be base64": {
			in:      "apiVersion: v1\nkind: Secret\nmetadata: {name: s}\ndata: {k: 'not base64!'}\n",
			want:    []string{`f.yaml:1 Secret/s: data[k]: Invalid value: "<value omitted>": must be base64-encoded: illegal base64 data at input byte 3`},
			objects: 1, invalidObj: 1,
		},
		"Secret and ConfigMap keys": {
			in: "apiVersion: v1\nkind: Secret\nmetadata: {name: s}\ndata: {'a b': eA==}\nstringData: {'c/d': x, a: x}\n---\n" +
				"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: {k: x}\nbinaryData: {k: eA==}\n",
			want: []string{
				`f.yaml:1 Secret/s: data[a b]: Invalid value: "a b": a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')`,
				`f.yaml:1 Secret/s: stringData[c/d]: Invalid value: "c/d": a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')`,
				`f.yaml:2 ConfigMap/c: binaryData[k]: Invalid value: "k": duplicate of key present in data`,
			},
			objects: 2, invalidObj: 2,
		},
		"int32 range": {
			in:      "apiVersion: v1\nkind: Service\nmetadata: {name: s}\nspec:\n  ports: [{port: 3000000000}]\n",
			want:    []string{`f.yaml:1 Service/s: spec.ports[0].port: Invalid value: 3000000000: must be between -2147483648 and 2147483647`},
			objects: 1, invalidObj: 1,
		},
		"Service names are DNS-1035 labels": {
			in:      "apiVersion: v1\nkind: Service\nmetadata: {name: 1web}\nspec:\n  ports: [{port: 80}]\n",
			want:    []string{`f.yaml:1 Service/1web: metadata.name: Invalid value: "1web": a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')`},
			objects: 1, invalidObj: 1,
		},
		"CRD among the objects, valid": {
			in:      mustRead(t, "../schemas/crds/sqs.services.k8s.aws_queues.yaml"),
			want:    []string{},
			objects: 1,
		},
		"CRD among the objects, not structural": {
			in: `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: widgets.example.com}
spec:
  group: example.com
  names: {kind: Widget, plural: widgets}
  scope: Namespaced
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            properties:
              size: {type: integer}
`,
			want:    []string{`f.yaml:1 CustomResourceDefinition/widgets.example.com: spec.validation.openAPIV3Schema.properties[spec].type: Required value: must not be empty for specified object fields`},
			objects: 1, invalidObj: 1,
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			r, err := v.ValidateStream(context.Background(), "f.yaml", []byte(tc.in), nil)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, texts(r)); diff != "" {
				t.Errorf("problems (-want +got):\n%s", diff)
			}
			if r.Objects != tc.objects || r.Invalid != tc.invalidObj {
				t.Errorf("objects %d invalid %d, want %d and %d", r.Objects, r.Invalid, tc.objects, tc.invalidObj)
			}
		})
	}
}

func mustRead(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestProblemFields(t *testing.T) {
	v := embeddedValidator(t)
	in := "# leading comment\n\n" + strings.Replace(validQueue, "  queueName: pr-1-jobs\n", "  queueName: pr-1-jobs\n  delay: \"1\"\n", 1)
	r, err := v.ValidateStream(context.Background(), "x.yaml", []byte(in), nil)
	if err != nil {
		t.Fatal(err)
	}
	want := []Problem{{
		File: "x.yaml", Document: 1, Line: 3, APIVersion: "sqs.services.k8s.aws/v1alpha1", Kind: "Queue",
		Namespace: "pr-1", Name: "jobs", Field: "spec.delay", Type: TypeUnknownField, Message: "unknown field",
	}}
	if diff := cmp.Diff(want, r.Problems); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestValidateObjects(t *testing.T) {
	v := embeddedValidator(t)
	objs := []*unstructured.Unstructured{
		{Object: map[string]interface{}{
			"apiVersion": "dynamodb.services.k8s.aws/v1alpha1", "kind": "Table",
			"metadata": map[string]interface{}{"name": "t"},
			"spec": map[string]interface{}{
				"tableName":            "t",
				"attributeDefinitions": []interface{}{map[string]interface{}{"attributeName": "id", "attributeType": "S"}},
				"keySchema":            []interface{}{map[string]interface{}{"attributeName": "id", "keyType": "HASH"}},
				// float64, as encoding/json decodes numbers: still an integer.
				"provisionedThroughput": map[string]interface{}{"readCapacityUnits": float64(5), "writeCapacityUnits": int64(5)},
			},
		}},
		{Object: map[string]interface{}{
			"apiVersion": "v1", "kind": "ConfigMap",
			"metadata": map[string]interface{}{"name": "c"},
			"data":     map[string]interface{}{"a": "b"},
			"extra":    true,
		}},
	}
	before := objs[1].DeepCopy()
	r, err := v.ValidateObjects(context.Background(), objs, nil)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"#2 ConfigMap/c: extra: unknown field"}, texts(r)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if !cmp.Equal(before.Object, objs[1].Object) {
		t.Error("ValidateObjects modified its input")
	}
	err = r.Err()
	if !errors.Is(err, ErrInvalid) {
		t.Errorf("Err() = %v, want ErrInvalid", err)
	}
	var ie *InvalidError
	if !errors.As(err, &ie) || len(ie.Result.Problems) != 1 {
		t.Errorf("errors.As(*InvalidError) failed: %v", err)
	}
	if (Result{}).Err() != nil {
		t.Error("valid result has an error")
	}
}

func TestTransitionRules(t *testing.T) {
	old := `apiVersion: dynamodb.services.k8s.aws/v1alpha1
kind: Table
metadata: {name: t, namespace: ns}
spec:
  tableName: t
  attributeDefinitions: [{attributeName: id, attributeType: S}]
  keySchema: [{attributeName: id, keyType: HASH}]
`
	changed := strings.Replace(old, "keySchema: [{attributeName: id,", "keySchema: [{attributeName: pk,", 1)
	tests := map[string]struct {
		old, new string
		want     []string
	}{
		"unchanged":                       {old: old, new: old, want: []string{}},
		"no old object":                   {old: "", new: changed, want: []string{}},
		"key schema changed":              {old: old, new: changed, want: []string{"#1 Table/t: spec.keySchema: Invalid value: the key schema of a table cannot be changed after the resource is created"}},
		"other namespace":                 {old: strings.Replace(old, "namespace: ns", "namespace: other", 1), new: changed, want: []string{}},
		"other API version":               {old: strings.Replace(old, "v1alpha1", "v1beta1", 1), new: changed, want: []string{}},
		"other group, same kind and name": {old: strings.Replace(old, "dynamodb.services", "other.services", 1), new: changed, want: []string{}},
		// The old object is what the cluster holds; its other problems do
		// not stop the transition check.
		"old object invalid elsewhere": {old: strings.Replace(old, "tableName: t", "tableName: 1", 1), new: changed, want: []string{"#1 Table/t: spec.keySchema: Invalid value: the key schema of a table cannot be changed after the resource is created"}},
		"old object unreadable":        {old: strings.Replace(old, "metadata: {name: t, namespace: ns}", "metadata: {name: t, namespace: ns, labels: [x]}", 1), new: changed, want: []string{}},
		"other object changed":         {old: strings.Replace(old, "name: t,", "name: u,", 1), new: changed, want: []string{}},
	}
	v := embeddedValidator(t)
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			var oldObjs []*unstructured.Unstructured
			if tc.old != "" {
				var err error
				oldObjs, err = DecodeObjects("old", []byte(tc.old))
				if err != nil {
					t.Fatal(err)
				}
			}
			newObjs, err := DecodeObjects("new", []byte(tc.new))
			if err != nil {
				t.Fatal(err)
			}
			r, err := v.ValidateObjects(context.Background(), newObjs, oldObjs)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, texts(r)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestMissingSchemas(t *testing.T) {
	in := "apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w}\n---\n" +
		"apiVersion: sqs.services.k8s.aws/v1\nkind: Queue\nmetadata: {name: q}\n---\n" + validQueue
	tests := map[string]struct {
		opts    Options
		want    []string
		skipped int
	}{
		"reported": {
			want: []string{
				"f:1 Widget/w: no schema for example.com/v1, Kind=Widget: not a built-in kind and no CustomResourceDefinition loaded for it",
				"f:2 Queue/q: no schema for sqs.services.k8s.aws/v1, Kind=Queue: known versions of Queue.sqs.services.k8s.aws are v1alpha1",
			},
		},
		"ignored": {opts: Options{IgnoreMissingSchemas: true}, want: []string{}, skipped: 2},
		"no embedded schemas": {
			opts: Options{NoEmbedded: true, IgnoreMissingSchemas: true}, want: []string{}, skipped: 3,
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			v := mustNew(t, tc.opts)
			r, err := v.ValidateStream(context.Background(), "f", []byte(in), nil)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, texts(r)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
			if r.Skipped != tc.skipped || r.Objects != 3 {
				t.Errorf("skipped %d objects %d, want %d and 3", r.Skipped, r.Objects, tc.skipped)
			}
		})
	}
}

// queueCRD is a minimal Queue CRD of the user's own, with an extra field.
const queueCRD = `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: queues.sqs.services.k8s.aws
spec:
  group: sqs.services.k8s.aws
  names: {kind: Queue, listKind: QueueList, plural: queues, singular: queue}
  scope: Namespaced
  versions:
  - name: v1alpha1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            required: [queueName]
            properties:
              queueName: {type: string}
              kmsMasterKeyID: {type: string}
`

func TestCRDOverride(t *testing.T) {
	withKMS := strings.Replace(validQueue, "  queueName: pr-1-jobs\n", "  queueName: pr-1-jobs\n  kmsMasterKeyID: alias/x\n", 1)
	tests := map[string]struct {
		crds []Source
		want []string
	}{
		"embedded: field not declared": {want: []string{"f:1 Queue/jobs: spec.kmsMasterKeyID: unknown field"}},
		"user CRD replaces the embedded one": {
			crds: []Source{{Name: "q.yaml", Data: []byte(queueCRD)}}, want: []string{},
		},
		"CRD in a v1 List": {
			crds: []Source{{Name: "l.yaml", Data: []byte("apiVersion: v1\nkind: List\nitems:\n" + indent(queueCRD, "- ", "  "))}}, want: []string{},
		},
		"CRD in a CustomResourceDefinitionList": {
			crds: []Source{{Name: "l.yaml", Data: []byte("apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinitionList\nitems:\n" + indent(queueCRD, "- ", "  "))}}, want: []string{},
		},
		"later source wins": {
			crds: []Source{{Name: "q.yaml", Data: []byte(queueCRD)}, {Name: "q2.yaml", Data: mustEmbedded(t, "sqs.services.k8s.aws_queues.yaml")}},
			want: []string{"f:1 Queue/jobs: spec.kmsMasterKeyID: unknown field"},
		},
		"other documents are skipped": {
			crds: []Source{{Name: "m.yaml", Data: []byte(validQueue + "---\n" + queueCRD)}}, want: []string{},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			v := mustNew(t, Options{CRDs: tc.crds})
			r, err := v.ValidateStream(context.Background(), "f", []byte(withKMS), nil)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, texts(r)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func mustEmbedded(t *testing.T, name string) []byte {
	t.Helper()
	srcs, err := EmbeddedCRDs()
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range srcs {
		if strings.HasSuffix(s.Name, "/"+name) {
			return s.Data
		}
	}
	t.Fatalf("no embedded %s", name)
	return nil
}

// indent prefixes the first line with first and the others with rest.
func indent(s, first, rest string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	for i := range lines {
		if i == 0 {
			lines[i] = first + lines[i]
		} else {
			lines[i] = rest + lines[i]
		}
	}
	return strings.Join(lines, "\n") + "\n"
}

func TestBadCRDs(t *testing.T) {
	tests := map[string]struct {
		data string
		want string // substring of the error
	}{
		"not YAML":       {data: "a: [", want: "bad.yaml:1: CustomResourceDefinition: not valid YAML"},
		"not structural": {data: strings.Replace(queueCRD, "queueName: {type: string}", "queueName: {}", 1), want: "spec.validation.openAPIV3Schema.properties[spec].properties[queueName].type: Required value"},
		"wrong name":     {data: strings.Replace(queueCRD, "name: queues.sqs", "name: q.sqs", 1), want: `metadata.name: Invalid value: "q.sqs.services.k8s.aws": must be spec.names.plural+"."+spec.group`},
		"unknown field":  {data: strings.Replace(queueCRD, "scope: Namespaced", "scope: Namespaced\n  scopes: x", 1), want: "spec.scopes: Forbidden: unknown field"},
		"bad CEL rule": {
			data: strings.Replace(queueCRD, "queueName: {type: string}", "queueName: {type: string, x-kubernetes-validations: [{rule: 'self ==== 1'}]}", 1),
			want: "x-kubernetes-validations[0].rule: Invalid value: {\"Rule\":\"self ==== 1\"",
		},
		"unknown schema keyword": {data: strings.Replace(queueCRD, "queueName: {type: string}", "queueName: {type: string, maxlength: 3}", 1), want: "spec.versions[0].schema.openAPIV3Schema.properties[spec].properties[queueName].maxlength: Forbidden: unknown field"},
		"v1beta1":                {data: strings.Replace(queueCRD, "apiextensions.k8s.io/v1", "apiextensions.k8s.io/v1beta1", 1), want: "apiVersion apiextensions.k8s.io/v1beta1 is not supported"},
		"duplicate key":          {data: strings.Replace(queueCRD, "scope: Namespaced", "scope: Namespaced\n  scope: Cluster", 1), want: `key "scope" already set in map`},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := New(context.Background(), Options{CRDs: []Source{{Name: "bad.yaml", Data: []byte(tc.data)}}})
			if err == nil {
				t.Fatal("no error")
			}
			if !errors.Is(err, ErrInvalidCRD) {
				t.Errorf("error %v is not ErrInvalidCRD", err)
			}
			var ce *CRDError
			if !errors.As(err, &ce) || ce.Source != "bad.yaml" {
				t.Errorf("error %#v is not a *CRDError of bad.yaml", err)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not contain %q", err, tc.want)
			}
		})
	}
}

func TestSplitDocuments(t *testing.T) {
	in := "# head\n---\na: 1\n--- # second\n\n# c\nb: 2\n---\n---\n...\nc: 3\n--- d: 4\n---\r\ne: 5"
	type doc struct {
		Index, Line, First int
		Data               string
	}
	var got []doc
	for _, d := range splitDocuments([]byte(in)) {
		got = append(got, doc{d.index, d.line, d.first, string(d.data)})
	}
	want := []doc{
		{1, 3, 3, "a: 1\n"},
		{2, 7, 5, "\n# c\nb: 2\n"},
		{3, 11, 11, "c: 3\n"},
		{4, 12, 12, "d: 4\n"},
		{5, 14, 14, "e: 5"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestYAMLErrorLines(t *testing.T) {
	v := embeddedValidator(t)
	in := validQueue + "---\n# c\nkind: ConfigMap\napiVersion: v1\nmetadata: {name: a}\ndata:\n  a: b\n  a: c\n"
	r, err := v.ValidateStream(context.Background(), "f", []byte(in), nil)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{`f:2 ConfigMap/a: line 15: key "a" already set in map`}
	if diff := cmp.Diff(want, texts(r)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestLoadObjects(t *testing.T) {
	dir := t.TempDir()
	write := func(name, data string) {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("a.yaml", validQueue+"---\n"+strings.Replace(validQueue, "name: jobs", "name: jobs2", 1))
	write("sub/b.yml", "apiVersion: v1\nkind: List\nitems:\n- {apiVersion: v1, kind: ConfigMap, metadata: {name: c}}\n")
	write("c.txt", "not read")
	write(".hidden/d.yaml", "not: [read")

	objs, err := LoadObjects(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, o := range objs {
		names = append(names, o.GetKind()+"/"+o.GetName())
	}
	if diff := cmp.Diff([]string{"Queue/jobs", "Queue/jobs2", "ConfigMap/c"}, names); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if _, err := LoadObjects(filepath.Join(dir, "missing.yaml")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
	write("bad.yaml", "a: [")
	if _, err := LoadObjects(filepath.Join(dir, "bad.yaml")); !errors.Is(err, ErrDecode) {
		t.Errorf("bad file: %v, want ErrDecode", err)
	}
}

// TestConcurrentUse shares one Validator between goroutines (run with -race).
func TestConcurrentUse(t *testing.T) {
	v := mustNew(t, Options{})
	data := []byte(mustRead(t, "testdata/valid/ack.yaml") + "---\n" + mustRead(t, "testdata/valid/core.yaml"))
	var wg sync.WaitGroup
	errs := make(chan string, 8)
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r, err := v.ValidateStream(context.Background(), "f", data, nil)
			if err != nil || !r.Valid() {
				errs <- fmt.Sprint(err, texts(r))
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}

func TestContextCanceled(t *testing.T) {
	v := embeddedValidator(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := v.ValidateStream(ctx, "f", []byte(validQueue), nil); !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
	if _, err := v.ValidateObjects(ctx, nil, nil); !errors.Is(err, context.Canceled) {
		t.Errorf("ValidateObjects: err = %v, want context.Canceled", err)
	}
	if _, err := New(ctx, Options{}); !errors.Is(err, context.Canceled) {
		t.Errorf("New: err = %v, want context.Canceled", err)
	}
}

func TestLoadedCRDs(t *testing.T) {
	v := mustNew(t, Options{CRDs: []Source{{Name: "q.yaml", Data: []byte(queueCRD)}}})
	var got []string
	for _, c := range v.CRDs() {
		var kinds []string
		for _, k := range c.Kinds {
			kinds = append(kinds, k.Kind)
		}
		got = append(got, fmt.Sprintf("%s %s %v", c.Source, c.Name, kinds))
	}
	want := []string{
		"<embedded>/argoproj.io_applications.yaml applications.argoproj.io [Application]",
		"<embedded>/argoproj.io_applicationsets.yaml applicationsets.argoproj.io [ApplicationSet]",
		"<embedded>/argoproj.io_appprojects.yaml appprojects.argoproj.io [AppProject]",
		"<embedded>/dynamodb.services.k8s.aws_tables.yaml tables.dynamodb.services.k8s.aws [Table]",
		"<embedded>/eks.services.k8s.aws_podidentityassociations.yaml podidentityassociations.eks.services.k8s.aws [PodIdentityAssociation]",
		"<embedded>/iam.services.k8s.aws_policies.yaml policies.iam.services.k8s.aws [Policy]",
		"<embedded>/iam.services.k8s.aws_roles.yaml roles.iam.services.k8s.aws [Role]",
		"<embedded>/s3.services.k8s.aws_buckets.yaml buckets.s3.services.k8s.aws [Bucket]",
		"<embedded>/sqs.services.k8s.aws_queues.yaml queues.sqs.services.k8s.aws []",
		"q.yaml queues.sqs.services.k8s.aws [Queue]",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	gvk := schema.GroupVersionKind{Group: "sqs.services.k8s.aws", Version: "v1alpha1", Kind: "Queue"}
	found := false
	for _, k := range v.CustomKinds() {
		found = found || k == gvk
	}
	if !found {
		t.Errorf("CustomKinds() lacks %s", gvk)
	}
}

// TestAgreementCheckFindsDisagreements makes sure the schema comparison of
// TestEmbeddedSchemasAgreeWithUpstream reports what it should.
func TestAgreementCheckFindsDisagreements(t *testing.T) {
	up := upstreamValidator(t)
	wrong := strings.NewReplacer(
		"required: [queueName]", "required: [queueName, kmsMasterKeyID]",
		"kmsMasterKeyID: {type: string}", "kmsMasterKeyID: {type: integer}\n              colour: {type: string}",
	).Replace(queueCRD)
	v := mustNew(t, Options{NoEmbedded: true, CRDs: []Source{{Name: "q.yaml", Data: []byte(wrong)}}})
	gvk := schema.GroupVersionKind{Group: "sqs.services.k8s.aws", Version: "v1alpha1", Kind: "Queue"}
	got := compareSchemas("", schemaOf(t, v, gvk).structural, schemaOf(t, up, gvk).structural)
	want := []string{
		`spec.colour: not in the upstream schema`,
		`spec.kmsMasterKeyID: type "integer", upstream "string"`,
		`spec.queueName: x-kubernetes-validations rules [], upstream ["self == oldSelf"]`,
		`spec: required ["kmsMasterKeyID" "queueName"], upstream ["queueName"]`,
	}
	if diff := cmp.Diff(want, sortedCopy(got)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// A folder given through a symbolic link is read like the folder itself.
func TestReadPathsThroughSymlink(t *testing.T) {
	dir := t.TempDir()
	real := filepath.Join(dir, "real")
	if err := os.MkdirAll(real, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(real, "cm.yaml"), []byte("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a, namespace: b}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "link")
	if err := os.Symlink(real, link); err != nil {
		t.Skip(err)
	}
	srcs, err := ReadSources(link)
	if err != nil {
		t.Fatal(err)
	}
	if len(srcs) != 1 || srcs[0].Name != filepath.Join(link, "cm.yaml") {
		t.Fatalf("got %+v, want the one file under %s", srcs, link)
	}
}
