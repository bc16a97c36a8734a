package diff_test

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"

	"prenv.dev/prenv/diff"
	_ "prenv.dev/prenv/internal/golden" // -update is defined for every test package
)

func objs(t *testing.T, docs ...string) []*unstructured.Unstructured {
	t.Helper()
	var out []*unstructured.Unstructured
	for _, d := range docs {
		var m map[string]any
		if err := yaml.Unmarshal([]byte(d), &m); err != nil {
			t.Fatal(err)
		}
		out = append(out, &unstructured.Unstructured{Object: m})
	}
	return out
}

const (
	cm = `apiVersion: v1
kind: ConfigMap
metadata: {name: web-prenv, namespace: test-1-web}
data: {PRENV_PR: "1", PRENV_APP: web}
`
	cmChanged = `apiVersion: v1
kind: ConfigMap
metadata: {name: web-prenv, namespace: test-1-web, labels: {prenv.dev/pr: "1"}}
data: {PRENV_PR: "2", PRENV_APP: web}
`
	queue = `apiVersion: sqs.services.k8s.aws/v1alpha1
kind: Queue
metadata: {name: jobs, namespace: test-1-web}
spec: {queueName: test-1-web_jobs}
`
	table = `apiVersion: dynamodb.services.k8s.aws/v1alpha1
kind: Table
metadata: {name: orders, namespace: test-1-web}
spec:
  tableName: test-1-web_orders
  keySchema: [{attributeName: id, keyType: HASH}]
`
	tableV2 = `apiVersion: dynamodb.services.k8s.aws/v1beta1
kind: Table
metadata: {name: orders, namespace: test-1-web}
spec:
  tableName: test-1-web_orders
  keySchema: [{attributeName: pk, keyType: HASH}]
`
	ns = `apiVersion: v1
kind: Namespace
metadata: {name: test-1-web}
`
)

// TestObjects: added, removed, changed and unchanged objects, sorted by
// group, kind, namespace and name, each changed one with its changed
// fields (a label key with / written as [key]; the API version is not part
// of an object's identity) and a unified diff.
func TestObjects(t *testing.T) {
	res, err := diff.Objects(objs(t, queue, cm, table, ns), objs(t, tableV2, ns, cmChanged))
	if err != nil {
		t.Fatal(err)
	}
	got := string(res.Unified())
	wantObjects := []struct {
		id     string
		status diff.Status
		fields []string
	}{
		{"ConfigMap/test-1-web/web-prenv", diff.Changed, []string{"data.PRENV_PR", "metadata.labels"}},
		{"Namespace/test-1-web", diff.Unchanged, nil},
		{"dynamodb.services.k8s.aws/Table/test-1-web/orders", diff.Changed, []string{"apiVersion", "spec.keySchema[0].attributeName"}},
		{"sqs.services.k8s.aws/Queue/test-1-web/jobs", diff.Removed, nil},
	}
	if len(res.Objects) != len(wantObjects) {
		t.Fatalf("got %d objects, want %d: %+v", len(res.Objects), len(wantObjects), res.Objects)
	}
	for i, w := range wantObjects {
		o := res.Objects[i]
		if o.ID() != w.id || o.Status != w.status || !cmp.Equal(o.Fields, w.fields) {
			t.Errorf("object %d: got %s %s %v, want %s %s %v", i, o.ID(), o.Status, o.Fields, w.id, w.status, w.fields)
		}
	}
	wantText := `--- a/ConfigMap/test-1-web/web-prenv
+++ b/ConfigMap/test-1-web/web-prenv
@@ -1,8 +1,10 @@
 apiVersion: v1
 data:
   PRENV_APP: web
-  PRENV_PR: "1"
+  PRENV_PR: "2"
 kind: ConfigMap
 metadata:
+  labels:
+    prenv.dev/pr: "1"
   name: web-prenv
   namespace: test-1-web
--- a/dynamodb.services.k8s.aws/Table/test-1-web/orders
+++ b/dynamodb.services.k8s.aws/Table/test-1-web/orders
@@ -1,10 +1,10 @@
-apiVersion: dynamodb.services.k8s.aws/v1alpha1
+apiVersion: dynamodb.services.k8s.aws/v1beta1
 kind: Table
 metadata:
   name: orders
   namespace: test-1-web
 spec:
   keySchema:
-  - attributeName: id
+  - attributeName: pk
     keyType: HASH
   tableName: test-1-web_orders
--- a/sqs.services.k8s.aws/Queue/test-1-web/jobs
+++ /dev/null
@@ -1,7 +0,0 @@
-apiVersion: sqs.services.k8s.aws/v1alpha1
-kind: Queue
-metadata:
-  name: jobs
-  namespace: test-1-web
-spec:
-  queueName: test-1-web_jobs
0 added, 1 removed, 2 changed, 1 unchanged
`
	if diffText := cmp.Diff(wantText, got); diffText != "" {
		t.Errorf("Unified() (-want +got):\n%s", diffText)
	}
}

// TestObjectsStable: the comparison does not depend on the order of the
// objects in either render.
func TestObjectsStable(t *testing.T) {
	a, err := diff.Objects(objs(t, queue, cm, table), objs(t, tableV2, cmChanged, ns))
	if err != nil {
		t.Fatal(err)
	}
	b, err := diff.Objects(objs(t, table, queue, cm), objs(t, ns, cmChanged, tableV2))
	if err != nil {
		t.Fatal(err)
	}
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	if string(ja) != string(jb) {
		t.Errorf("order matters:\n%s\n%s", ja, jb)
	}
}

// TestObjectsJSON: the machine-readable form.
func TestObjectsJSON(t *testing.T) {
	res, err := diff.Objects(objs(t, ns), objs(t, ns, queue))
	if err != nil {
		t.Fatal(err)
	}
	res.Objects[1].Diff = "" // the text is checked above
	got, err := json.Marshal(res)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"added":1,"removed":0,"changed":0,"unchanged":1,"objects":[{"group":"","kind":"Namespace","name":"test-1-web","status":"unchanged"},{"group":"sqs.services.k8s.aws","kind":"Queue","namespace":"test-1-web","name":"jobs","status":"added"}]}`
	if string(got) != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	if res.Empty() {
		t.Error("Empty() with an added object")
	}
	same, _ := diff.Objects(objs(t, ns, cm), objs(t, cm, ns))
	if !same.Empty() || string(same.Unified()) != "0 added, 0 removed, 0 changed, 2 unchanged\n" {
		t.Errorf("identical renders: %+v %q", same, same.Unified())
	}
}

// TestObjectsDuplicate: an object twice in one render is an error, not a
// guess.
func TestObjectsDuplicate(t *testing.T) {
	_, err := diff.Objects(objs(t, cm), objs(t, cm, cmChanged))
	var de *diff.DuplicateError
	if !errors.As(err, &de) || de.Error() != "the head render holds ConfigMap/test-1-web/web-prenv twice" {
		t.Fatalf("got %v", err)
	}
}
