package validate

import (
	"context"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"
)

const (
	updateTable = `apiVersion: dynamodb.services.k8s.aws/v1alpha1
kind: Table
metadata: {name: sessions, namespace: pr-1-web}
spec:
  tableName: pr-1-web-sessions
  attributeDefinitions:
  - {attributeName: id, attributeType: S}
  - {attributeName: userId, attributeType: S}
  keySchema:
  - {attributeName: id, keyType: HASH}
  billingMode: PAY_PER_REQUEST
  globalSecondaryIndexes:
  - indexName: byUser
    keySchema: [{attributeName: userId, keyType: HASH}]
    projection: {projectionType: ALL}
  streamSpecification: {streamEnabled: true, streamViewType: NEW_IMAGE}
  timeToLive: {attributeName: expiresAt, enabled: true}
`
	updateQueue = `apiVersion: sqs.services.k8s.aws/v1alpha1
kind: Queue
metadata: {name: jobs, namespace: pr-1-web}
spec:
  queueName: pr-1-web-jobs
  visibilityTimeout: "30"
`
	updateRole = `apiVersion: iam.services.k8s.aws/v1alpha1
kind: Role
metadata: {name: web, namespace: pr-1-web}
spec:
  name: pr-1-web
  description: role of pr-1-web
  assumeRolePolicyDocument: '{"Version":"2012-10-17","Statement":[]}'
  maxSessionDuration: 3600
`
	updatePolicy = `apiVersion: iam.services.k8s.aws/v1alpha1
kind: Policy
metadata: {name: web, namespace: pr-1-web}
spec:
  name: pr-1-web
  description: permissions of pr-1-web
  policyDocument: '{"Version":"2012-10-17","Statement":[]}'
`
)

// edit is a change to an object's spec, written as YAML merged over it
// (a null value deletes the key).
type edit string

// apply returns base with the edits merged into its spec.
func apply(t *testing.T, base string, edits ...edit) *unstructured.Unstructured {
	t.Helper()
	var obj map[string]interface{}
	if err := yaml.Unmarshal([]byte(base), &obj); err != nil {
		t.Fatal(err)
	}
	spec := obj["spec"].(map[string]interface{})
	for _, e := range edits {
		var m map[string]interface{}
		if err := yaml.Unmarshal([]byte(e), &m); err != nil {
			t.Fatalf("edit %q: %v", e, err)
		}
		for k, v := range m {
			if v == nil {
				delete(spec, k)
				continue
			}
			spec[k] = v
		}
	}
	return &unstructured.Unstructured{Object: obj}
}

// wantProblem is one expected problem: its exact field path and a fragment
// of its message.
type wantProblem struct{ field, fragment string }

func TestAWSUpdateRules(t *testing.T) {
	twoIndexes := edit(`globalSecondaryIndexes:
- {indexName: byUser, keySchema: [{attributeName: userId, keyType: HASH}], projection: {projectionType: ALL}}
- {indexName: byOrg, keySchema: [{attributeName: orgId, keyType: HASH}], projection: {projectionType: KEYS_ONLY}}`)
	orgAttr := edit(`attributeDefinitions: [{attributeName: id, attributeType: S}, {attributeName: userId, attributeType: S}, {attributeName: orgId, attributeType: S}]`)
	lsi := edit(`localSecondaryIndexes:
- {indexName: byCreated, keySchema: [{attributeName: id, keyType: HASH}, {attributeName: created, keyType: RANGE}], projection: {projectionType: ALL}}`)
	lsiAttrs := edit(`attributeDefinitions: [{attributeName: id, attributeType: S}, {attributeName: userId, attributeType: S}, {attributeName: created, attributeType: "N"}]`)

	tests := map[string]struct {
		base     string
		old, new []edit
		want     []wantProblem
		reason   string
	}{
		"table unchanged": {base: updateTable},

		// DynamoDB streams.
		"stream view type of an enabled stream": {
			base: updateTable,
			new:  []edit{`streamSpecification: {streamEnabled: true, streamViewType: NEW_AND_OLD_IMAGES}`},
			want: []wantProblem{{"spec.streamSpecification.streamViewType", "Forbidden: DynamoDB cannot change the view type of an enabled stream (NEW_IMAGE to NEW_AND_OLD_IMAGES; UpdateTable: \"Table already has an enabled stream\"); disable the stream in one PR (streamEnabled: false), enable the new view in the next"}},
		},
		"stream of an enabled stream left out": {
			base:   updateTable,
			new:    []edit{`streamSpecification: null`},
			want:   []wantProblem{{"spec.streamSpecification", "leaving streamSpecification out does not disable it"}},
			reason: "ACK sends a stream change only from streamSpecification",
		},
		"stream disabled":   {base: updateTable, new: []edit{`streamSpecification: {streamEnabled: false}`}},
		"stream enabled":    {base: updateTable, old: []edit{`streamSpecification: null`}},
		"stream re-enabled": {base: updateTable, old: []edit{`streamSpecification: {streamEnabled: false, streamViewType: KEYS_ONLY}`}, reason: "a disabled stream may come back with another view"},

		// Time to live.
		"time to live moved to another attribute": {
			base: updateTable,
			new:  []edit{`timeToLive: {attributeName: ttl, enabled: true}`},
			want: []wantProblem{{"spec.timeToLive.attributeName", `time to live is enabled on attribute "expiresAt" and DynamoDB does not move an enabled time to live to another attribute (UpdateTimeToLive is refused; each change also locks the setting for up to an hour); disable time to live in one PR (enabled: false, or no timeToLive), enable it on "ttl" in a later PR at least an hour after`}},
		},
		"time to live disabled":              {base: updateTable, new: []edit{`timeToLive: {attributeName: expiresAt, enabled: false}`}},
		"time to live left out":              {base: updateTable, new: []edit{`timeToLive: null`}},
		"time to live enabled after disable": {base: updateTable, old: []edit{`timeToLive: {attributeName: expiresAt, enabled: false}`}, new: []edit{`timeToLive: {attributeName: ttl, enabled: true}`}, reason: "the one-hour window is not visible offline"},

		// Global secondary indexes.
		"two global secondary indexes created": {
			base: updateTable,
			old:  []edit{`globalSecondaryIndexes: null`, `attributeDefinitions: [{attributeName: id, attributeType: S}]`},
			new:  []edit{twoIndexes, orgAttr},
			want: []wantProblem{{"spec.globalSecondaryIndexes", `DynamoDB creates or deletes one global secondary index per UpdateTable, and this update makes 2 such changes (created: "byUser", "byOrg"); create or delete one index per PR`}},
		},
		"two global secondary indexes deleted": {
			base: updateTable,
			old:  []edit{twoIndexes, orgAttr},
			new:  []edit{`globalSecondaryIndexes: null`, `attributeDefinitions: [{attributeName: id, attributeType: S}]`},
			want: []wantProblem{{"spec.globalSecondaryIndexes", `makes 2 such changes (deleted: "byUser", "byOrg")`}},
		},
		"global secondary index replaced under a new name": {
			base: updateTable,
			new:  []edit{`globalSecondaryIndexes: [{indexName: byUser2, keySchema: [{attributeName: userId, keyType: HASH}], projection: {projectionType: ALL}}]`},
			want: []wantProblem{{"spec.globalSecondaryIndexes", `makes 2 such changes (created: "byUser2"; deleted: "byUser")`}},
		},
		"one global secondary index created": {base: updateTable, old: []edit{`globalSecondaryIndexes: null`, `attributeDefinitions: [{attributeName: id, attributeType: S}]`}},
		"global secondary index key schema changed": {
			base: updateTable,
			new:  []edit{`globalSecondaryIndexes: [{indexName: byUser, keySchema: [{attributeName: userId, keyType: HASH}, {attributeName: id, keyType: RANGE}], projection: {projectionType: ALL}}]`},
			want: []wantProblem{{"spec.globalSecondaryIndexes[0].keySchema", `DynamoDB cannot change the key schema of global secondary index "byUser" (HASH userId before, HASH userId, RANGE id now): UpdateTable changes only an index's throughput; create the new index under a new name in one PR, delete "byUser" in the next`}},
		},
		"global secondary index projection changed": {
			base: updateTable,
			new:  []edit{`globalSecondaryIndexes: [{indexName: byUser, keySchema: [{attributeName: userId, keyType: HASH}], projection: {projectionType: INCLUDE, nonKeyAttributes: [b, a]}}]`},
			want: []wantProblem{{"spec.globalSecondaryIndexes[0].projection", `(ALL before, INCLUDE a b now)`}},
		},
		"global secondary index non-key attributes reordered": {
			base: updateTable,
			old:  []edit{`globalSecondaryIndexes: [{indexName: byUser, keySchema: [{attributeName: userId, keyType: HASH}], projection: {projectionType: INCLUDE, nonKeyAttributes: [a, b]}}]`},
			new:  []edit{`globalSecondaryIndexes: [{indexName: byUser, keySchema: [{attributeName: userId, keyType: HASH}], projection: {projectionType: INCLUDE, nonKeyAttributes: [b, a]}}]`},
		},
		"global secondary index throughput changed": {
			base: updateTable,
			old:  []edit{`billingMode: PROVISIONED`, `provisionedThroughput: {readCapacityUnits: 5, writeCapacityUnits: 5}`, `globalSecondaryIndexes: [{indexName: byUser, keySchema: [{attributeName: userId, keyType: HASH}], projection: {projectionType: ALL}, provisionedThroughput: {readCapacityUnits: 5, writeCapacityUnits: 5}}]`},
			new:  []edit{`billingMode: PROVISIONED`, `provisionedThroughput: {readCapacityUnits: 5, writeCapacityUnits: 5}`, `globalSecondaryIndexes: [{indexName: byUser, keySchema: [{attributeName: userId, keyType: HASH}], projection: {projectionType: ALL}, provisionedThroughput: {readCapacityUnits: 9, writeCapacityUnits: 9}}]`},
		},

		// Billing mode.
		"billing switched to provisioned with indexes": {
			base: updateTable,
			new:  []edit{`billingMode: PROVISIONED`, `provisionedThroughput: {readCapacityUnits: 5, writeCapacityUnits: 5}`},
			want: []wantProblem{{"spec.billingMode", `switching from PAY_PER_REQUEST to PROVISIONED needs the provisioned throughput of every global secondary index ("byUser") in the same UpdateTable, which the ACK controller does not send, so DynamoDB refuses the switch; delete the indexes (one per PR), switch, and create them again (one per PR)`}},
		},
		"billing switched to provisioned, billingMode left out": {
			base:   updateTable,
			new:    []edit{`billingMode: null`, `provisionedThroughput: {readCapacityUnits: 5, writeCapacityUnits: 5}`},
			want:   []wantProblem{{"spec.billingMode", "switching from PAY_PER_REQUEST to PROVISIONED"}},
			reason: "a missing billingMode is PROVISIONED",
		},
		"billing switched to provisioned without indexes": {
			base: updateTable,
			old:  []edit{`globalSecondaryIndexes: null`, `attributeDefinitions: [{attributeName: id, attributeType: S}]`},
			new:  []edit{`globalSecondaryIndexes: null`, `attributeDefinitions: [{attributeName: id, attributeType: S}]`, `billingMode: PROVISIONED`, `provisionedThroughput: {readCapacityUnits: 5, writeCapacityUnits: 5}`},
		},
		"billing switched to on-demand": {
			base:   updateTable,
			old:    []edit{`billingMode: PROVISIONED`, `provisionedThroughput: {readCapacityUnits: 5, writeCapacityUnits: 5}`},
			reason: "up to four times in 24 hours; one update is one switch",
		},

		// Local secondary indexes.
		"local secondary index added": {
			base:   updateTable,
			new:    []edit{lsi, lsiAttrs},
			want:   []wantProblem{{"spec.localSecondaryIndexes", `DynamoDB fixes a table's local secondary indexes at creation (created: "byCreated"); to change it, add a new Table (new object name and tableName), copy the data, and remove this one in a later PR`}},
			reason: "the CRD's transition rule does not run when the field is new",
		},
		"local secondary index removed": {
			base: updateTable,
			old:  []edit{lsi, lsiAttrs},
			want: []wantProblem{{"spec.localSecondaryIndexes", `(deleted: "byCreated")`}},
		},
		"local secondary index changed": {
			base:   updateTable,
			old:    []edit{lsi, lsiAttrs},
			new:    []edit{`localSecondaryIndexes: [{indexName: byCreated, keySchema: [{attributeName: id, keyType: HASH}, {attributeName: created, keyType: RANGE}], projection: {projectionType: KEYS_ONLY}}]`, lsiAttrs},
			want:   []wantProblem{{"spec.localSecondaryIndexes", "Invalid value: "}},
			reason: "the CRD's own rule reports the field; the AWS rule does not repeat it",
		},

		// Table name and keys.
		"table renamed": {
			base: updateTable,
			new:  []edit{`tableName: pr-1-web-sessions2`},
			want: []wantProblem{{"spec.tableName", `a DynamoDB table cannot be renamed: the ACK controller looks the table up by tableName, so it creates a new, empty table "pr-1-web-sessions2" and leaves "pr-1-web-sessions" with its data in AWS, no longer managed; keep tableName "pr-1-web-sessions"`}},
		},
		"table key attribute type changed": {
			base: updateTable,
			new:  []edit{`attributeDefinitions: [{attributeName: id, attributeType: "N"}, {attributeName: userId, attributeType: S}]`},
			want: []wantProblem{{"spec.attributeDefinitions[0].attributeType", `attribute "id" is a key of the table and DynamoDB fixes the type of a key attribute with the key (S before, N now); to change it, add a new Table`}},
		},
		"index key attribute type changed": {
			base: updateTable,
			new:  []edit{`attributeDefinitions: [{attributeName: id, attributeType: S}, {attributeName: userId, attributeType: B}]`},
			want: []wantProblem{{"spec.attributeDefinitions[1].attributeType", `attribute "userId" is a key of global secondary index "byUser" and DynamoDB fixes the type of a key attribute with the key (S before, B now); delete index "byUser" in one PR, create it with the new type in the next`}},
		},
		"local index key attribute type changed": {
			base: updateTable,
			old:  []edit{lsi, lsiAttrs},
			new:  []edit{lsi, `attributeDefinitions: [{attributeName: id, attributeType: S}, {attributeName: userId, attributeType: S}, {attributeName: created, attributeType: S}]`},
			want: []wantProblem{{"spec.attributeDefinitions[2].attributeType", `attribute "created" is a key of local secondary index "byCreated"`}},
		},
		"key schema changed": {
			base:   updateTable,
			new:    []edit{`keySchema: [{attributeName: userId, keyType: HASH}]`},
			want:   []wantProblem{{"spec.keySchema", "Invalid value: "}},
			reason: "the CRD's own rule reports the field; the AWS rule does not repeat it",
		},

		// SQS.
		"queue standard to FIFO": {
			base: updateQueue,
			new:  []edit{`queueName: pr-1-web-jobs.fifo`, `fifoQueue: "true"`},
			want: []wantProblem{
				{"spec.fifoQueue", "SQS fixes a queue's type at creation (standard before, FIFO now: FifoQueue can be set only by CreateQueue, and a FIFO queue's name ends in .fifo); add a new Queue (new object name and queueName) and remove this one in a later PR, once it is drained"},
				{"spec.queueName", "Invalid value: "},
			},
		},
		"queue FIFO to standard": {
			base: updateQueue,
			old:  []edit{`queueName: pr-1-web-jobs.fifo`, `fifoQueue: "true"`},
			new:  []edit{`fifoQueue: "false"`},
			want: []wantProblem{{"spec.fifoQueue", "(FIFO before, standard now"}, {"spec.queueName", "Invalid value: "}},
		},
		"queue renamed": {
			base: updateQueue,
			new:  []edit{`queueName: pr-1-web-jobs2`},
			want: []wantProblem{{"spec.queueName", "Invalid value: "}},
		},
		"queue attribute changed": {base: updateQueue, new: []edit{`visibilityTimeout: "60"`}},

		// IAM.
		"role renamed": {
			base: updateRole,
			new:  []edit{`name: pr-1-web2`},
			want: []wantProblem{{"spec.name", `IAM cannot rename a role: the ACK controller looks the role up by name, so it creates a new role "pr-1-web2" and leaves "pr-1-web", with its policies, in AWS, no longer managed; keep name "pr-1-web", or add a new Role (new object name) and remove this one in a later PR`}},
		},
		"role path changed": {
			base: updateRole,
			new:  []edit{`path: /preview/`},
			want: []wantProblem{{"spec.path", `IAM cannot change a role's path ("/" before, "/preview/" now): UpdateRole has no path`}},
		},
		"role path made explicit": {base: updateRole, new: []edit{`path: /`}},
		"role updated in place": {
			base: updateRole,
			new:  []edit{`description: other`, `maxSessionDuration: 7200`, `assumeRolePolicyDocument: '{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"*","Principal":"*"}]}'`},
		},
		"policy renamed": {
			base: updatePolicy,
			new:  []edit{`name: pr-1-web-2`},
			want: []wantProblem{{"spec.name", `IAM cannot rename a managed policy ("pr-1-web" before, "pr-1-web-2" now) and the ACK controller ignores the change; keep name "pr-1-web", or add a new Policy (new object name) and remove this one in a later PR`}},
		},
		"policy path changed": {
			base: updatePolicy,
			new:  []edit{`path: /preview/`},
			want: []wantProblem{{"spec.path", `IAM cannot change a managed policy's path ("/" before, "/preview/" now)`}},
		},
		"policy description changed": {
			base: updatePolicy,
			new:  []edit{`description: permissions of pr-1-web (1 of 2)`},
			want: []wantProblem{{"spec.description", `IAM fixes a managed policy's description at creation ("permissions of pr-1-web" before, "permissions of pr-1-web (1 of 2)" now)`}},
		},
		"policy document changed": {base: updatePolicy, new: []edit{`policyDocument: '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}'`}},
	}
	for _, set := range schemaSets() {
		t.Run(set.name, func(t *testing.T) {
			v := set.get(t)
			for name, tc := range tests {
				t.Run(name, func(t *testing.T) {
					ctx := context.Background()
					oldObj, newObj := apply(t, tc.base, tc.old...), apply(t, tc.base, tc.new...)
					// Each side is valid on its own: only the update is refused.
					for _, o := range []*unstructured.Unstructured{oldObj, newObj} {
						r, err := v.ValidateObjects(ctx, []*unstructured.Unstructured{o}, nil)
						if err != nil {
							t.Fatal(err)
						}
						for _, p := range r.Problems {
							t.Errorf("valid alone: %s", p)
						}
					}
					r, err := v.ValidateObjects(ctx, []*unstructured.Unstructured{newObj}, []*unstructured.Unstructured{oldObj})
					if err != nil {
						t.Fatal(err)
					}
					checkProblems(t, r, tc.want)
				})
			}
		})
	}
}

// checkProblems wants one problem per want, in field order, each at the
// exact field with the fragment in its message.
func checkProblems(t *testing.T, r Result, want []wantProblem) {
	t.Helper()
	want = append([]wantProblem(nil), want...)
	sort.SliceStable(want, func(i, j int) bool { return want[i].field < want[j].field })
	if len(r.Problems) != len(want) {
		t.Errorf("%d problems, want %d", len(r.Problems), len(want))
	}
	for i, p := range r.Problems {
		if i >= len(want) {
			t.Errorf("unexpected: %s", p)
			continue
		}
		w := want[i]
		if p.Field != w.field || !strings.Contains(p.Message, w.fragment) {
			t.Errorf("problem %d:\n got %s: %s\nwant %s: ...%s...", i, p.Field, p.Message, w.field, w.fragment)
		}
	}
	for _, w := range want[min(len(r.Problems), len(want)):] {
		t.Errorf("missing: %s: ...%s...", w.field, w.fragment)
	}
}

// TestAWSUpdateRulesWithoutCRDRules: with a CRD that carries no transition
// rule (an older or a trimmed cluster CRD), the AWS rules still report the
// fields the CRD rules would have.
func TestAWSUpdateRulesWithoutCRDRules(t *testing.T) {
	crds := []Source{{Name: "bare.yaml", Data: []byte(`apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: queues.sqs.services.k8s.aws}
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
            x-kubernetes-preserve-unknown-fields: true
---
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: tables.dynamodb.services.k8s.aws}
spec:
  group: dynamodb.services.k8s.aws
  names: {kind: Table, listKind: TableList, plural: tables, singular: table}
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
            x-kubernetes-preserve-unknown-fields: true
`)}}
	v := mustNew(t, Options{CRDs: crds, NoEmbedded: true})
	tests := map[string]struct {
		base string
		new  []edit
		want []wantProblem
	}{
		"queue renamed": {
			base: updateQueue,
			new:  []edit{`queueName: pr-1-web-jobs2`},
			want: []wantProblem{{"spec.queueName", `SQS cannot rename a queue: "pr-1-web-jobs2" would be a new, empty queue and the messages of "pr-1-web-jobs" stay behind; keep queueName "pr-1-web-jobs", or add a new Queue (new object name) and remove this one in a later PR, once it is drained`}},
		},
		"key schema changed": {
			base: updateTable,
			new:  []edit{`keySchema: [{attributeName: userId, keyType: HASH}]`},
			want: []wantProblem{{"spec.keySchema", "DynamoDB fixes a table's key schema at creation (HASH id before, HASH userId now); to change it, add a new Table"}},
		},
		"local secondary index added": {
			base: updateTable,
			new:  []edit{`localSecondaryIndexes: [{indexName: byCreated, keySchema: [{attributeName: id, keyType: HASH}, {attributeName: created, keyType: RANGE}], projection: {projectionType: KEYS_ONLY}}]`},
			want: []wantProblem{{"spec.localSecondaryIndexes", `(created: "byCreated")`}},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			r, err := v.ValidateObjects(context.Background(), []*unstructured.Unstructured{apply(t, tc.base, tc.new...)}, []*unstructured.Unstructured{apply(t, tc.base)})
			if err != nil {
				t.Fatal(err)
			}
			checkProblems(t, r, tc.want)
		})
	}
}

// TestAWSUpdateRulesMatchObjects: the old object is matched by group, kind,
// namespace and name, and used only with the same apiVersion.
func TestAWSUpdateRulesMatchObjects(t *testing.T) {
	v := embeddedValidator(t)
	renamed := edit(`tableName: pr-1-web-other`)
	tests := map[string]struct {
		old  *unstructured.Unstructured
		want []wantProblem
	}{
		"same object":     {old: apply(t, updateTable), want: []wantProblem{{"spec.tableName", "cannot be renamed"}}},
		"other namespace": {old: withMeta(apply(t, updateTable), "namespace", "pr-2-web")},
		"other name":      {old: withMeta(apply(t, updateTable), "name", "users")},
		"other version":   {old: withAPIVersion(apply(t, updateTable), "dynamodb.services.k8s.aws/v1beta1")},
		"other group":     {old: withAPIVersion(apply(t, updateTable), "other.services.k8s.aws/v1alpha1")},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			r, err := v.ValidateObjects(context.Background(), []*unstructured.Unstructured{apply(t, updateTable, renamed)}, []*unstructured.Unstructured{tc.old})
			if err != nil {
				t.Fatal(err)
			}
			checkProblems(t, r, tc.want)
		})
	}
}

func withMeta(u *unstructured.Unstructured, key, value string) *unstructured.Unstructured {
	u.Object["metadata"].(map[string]interface{})[key] = value
	return u
}

func withAPIVersion(u *unstructured.Unstructured, v string) *unstructured.Unstructured {
	u.SetAPIVersion(v)
	return u
}

// TestAWSUpdateCorpus runs the cases of testdata/update (NAME.old.yaml to
// NAME.yaml, see its README) against both schema sets: each side is valid
// alone, and the update has exactly the problems the "# want:" lines name.
func TestAWSUpdateCorpus(t *testing.T) {
	files, err := filepath.Glob("testdata/update/*.old.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 3 {
		t.Fatalf("testdata/update has %d cases, want at least 3", len(files))
	}
	for _, set := range schemaSets() {
		t.Run(set.name, func(t *testing.T) {
			v := set.get(t)
			for _, oldFile := range files {
				name := strings.TrimSuffix(filepath.Base(oldFile), ".old.yaml")
				t.Run(name, func(t *testing.T) {
					ctx := context.Background()
					oldData, newData := []byte(mustRead(t, oldFile)), []byte(mustRead(t, filepath.Join("testdata", "update", name+".yaml")))
					var wants []string
					for _, line := range strings.Split(string(newData), "\n") {
						if w, ok := strings.CutPrefix(line, "# want: "); ok {
							wants = append(wants, w)
						}
					}
					if len(wants) == 0 {
						t.Fatalf("%s.yaml has no '# want:' line", name)
					}
					for _, side := range []struct {
						name string
						data []byte
					}{{name + ".old.yaml", oldData}, {name + ".yaml", newData}} {
						r, err := v.ValidateStream(ctx, side.name, side.data, nil)
						if err != nil {
							t.Fatalf("%s: %v", side.name, err)
						}
						for _, p := range r.Problems {
							t.Errorf("valid alone: %s", p)
						}
					}
					old, err := DecodeObjects(name+".old.yaml", oldData)
					if err != nil {
						t.Fatal(err)
					}
					r, err := v.ValidateStream(ctx, name+".yaml", newData, old)
					if err != nil {
						t.Fatal(err)
					}
					var got []string
					for _, p := range r.Problems {
						got = append(got, problemText(p))
					}
					if len(got) != len(wants) {
						t.Errorf("%d problems, want %d:\n%s", len(got), len(wants), strings.Join(got, "\n"))
					}
					for i := range min(len(got), len(wants)) {
						if !strings.HasPrefix(got[i], wants[i]) {
							t.Errorf("problem %d:\n got %s\nwant %s...", i, got[i], wants[i])
						}
					}
				})
			}
		})
	}
}
