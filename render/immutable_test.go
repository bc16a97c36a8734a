package render_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"prenv.dev/prenv/fence"
	"prenv.dev/prenv/internal/golden"
	"prenv.dev/prenv/internal/testkit"
	"prenv.dev/prenv/plan"
	"prenv.dev/prenv/render"
	"prenv.dev/prenv/spec"
)

// immutableFields are, for each kind prenv renders, the fields that the API
// server or AWS does not change once the object exists, as paths into the
// object:
//   - StatefulSet: its spec but replicas, ordinals, template, updateStrategy,
//     revisionHistoryLimit, persistentVolumeClaimRetentionPolicy and
//     minReadySeconds (k8s.io/kubernetes pkg/apis/apps/validation,
//     ValidateStatefulSetUpdate), so the volume claims' labels too;
//   - Service: spec.clusterIP and spec.clusterIPs (core validation,
//     ValidateServiceUpdate: "field is immutable");
//   - RoleBinding: roleRef (rbac validation, ValidateRoleBindingUpdate:
//     "cannot change roleRef");
//   - Table: the table's name, key schema and local secondary indexes
//     (DynamoDB API Reference, UpdateTable: neither can change; ACK's
//     dynamodb-controller marks them immutable);
//   - Queue: the queue's name and FIFO-ness (SQS API Reference,
//     SetQueueAttributes: "FifoQueue ... can't be changed"; a queue is
//     renamed by no call);
//   - IAM Role and Policy: name and path (IAM API: no call changes them),
//     and a Policy's description ("You cannot change the description", IAM
//     API Reference, CreatePolicy).
//
// A Job's spec.template and selector are immutable too, but prenv's Jobs
// are Argo CD hooks that Argo CD deletes before it creates them again
// (BeforeHookCreation): never updated, which the test checks instead.
var immutableFields = map[spec.GroupKind][][]string{
	{Group: "apps", Kind: "StatefulSet"}:                      {{"spec", "selector"}, {"spec", "serviceName"}, {"spec", "volumeClaimTemplates"}, {"spec", "podManagementPolicy"}},
	{Kind: "Service"}:                                         {{"spec", "clusterIP"}, {"spec", "clusterIPs"}},
	{Group: "rbac.authorization.k8s.io", Kind: "RoleBinding"}: {{"roleRef"}},
	{Group: spec.GroupDynamoDB, Kind: "Table"}:                {{"spec", "tableName"}, {"spec", "keySchema"}, {"spec", "localSecondaryIndexes"}},
	{Group: spec.GroupSQS, Kind: "Queue"}:                     {{"spec", "queueName"}, {"spec", "fifoQueue"}},
	{Group: spec.GroupIAM, Kind: "Role"}:                      {{"spec", "name"}, {"spec", "path"}},
	{Group: spec.GroupIAM, Kind: "Policy"}:                    {{"spec", "name"}, {"spec", "path"}, {"spec", "description"}},
}

// mutableEdits change what a spec may change during a pull request's life:
// its labels, its tags, the ServiceAccount's annotations.
var mutableEdits = map[string]func(s *spec.Spec){
	"labels added": func(s *spec.Spec) {
		s.Labels = mergeMap(s.Labels, map[string]string{"team": "payments", "example.com/tier": "gold"})
	},
	"labels changed": func(s *spec.Spec) { s.Labels = changeAll(s.Labels, map[string]string{"team": "search"}) },
	"tags added":     func(s *spec.Spec) { s.Tags = mergeMap(s.Tags, map[string]string{"cost-center": "1234"}) },
	"tags changed":   func(s *spec.Spec) { s.Tags = changeAll(s.Tags, map[string]string{"cost-center": "5678"}) },
	"service account annotations": func(s *spec.Spec) {
		sa := &spec.ServiceAccount{}
		if s.ServiceAccount != nil {
			c := *s.ServiceAccount
			sa = &c
		}
		sa.Annotations = mergeMap(sa.Annotations, map[string]string{"example.com/owner": "team-b"})
		s.ServiceAccount = sa
	},
}

func mergeMap(m, add map[string]string) map[string]string {
	out := maps.Clone(m)
	if out == nil {
		out = map[string]string{}
	}
	maps.Copy(out, add)
	return out
}

// changeAll gives every key of m a new value, or adds def when m is empty.
func changeAll(m, def map[string]string) map[string]string {
	if len(m) == 0 {
		return maps.Clone(def)
	}
	out := map[string]string{}
	for k, v := range m {
		out[k] = v + "-2"
	}
	return out
}

// TestImmutableFieldsFollowNoMutableInput renders every example, and a spec
// with FIFO and dead-letter queues, then renders each again with one
// mutable field of the spec edited, with the first render as
// Options.Previous (`render env --previous`): the update must be allowed,
// and every immutable field of every object must be byte for byte the same.
func TestImmutableFieldsFollowNoMutableInput(t *testing.T) {
	envs := golden.ExampleSpecs(t, spec.Load)
	envs["least-privilege"] = testkit.LeastPrivilegeSpec()
	ctx := context.Background()
	for _, name := range slices.Sorted(maps.Keys(envs)) {
		base := envs[name]
		first, err := render.Render(ctx, base, 7, render.Options{})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		before := immutableValues(t, first.Objects)
		for _, edit := range slices.Sorted(maps.Keys(mutableEdits)) {
			t.Run(name+"/"+edit, func(t *testing.T) {
				env := *base
				env.Spec = base.Spec
				mutableEdits[edit](&env.Spec)
				out, err := render.Render(ctx, &env, 7, render.Options{Previous: first.Objects})
				var ve *render.ValidationError
				if errors.As(err, &ve) {
					t.Fatalf("the update is refused: %v", err)
				}
				if err != nil {
					t.Fatal(err)
				}
				after := immutableValues(t, out.Objects)
				for _, k := range slices.Sorted(maps.Keys(before)) {
					if after[k] != before[k] {
						t.Errorf("%s changed:\n  before %s\n  after  %s", k, before[k], after[k])
					}
				}
			})
		}
	}
}

// immutableValues returns each immutable field of objs as JSON, by object
// and path, and checks that every Job is a hook Argo CD creates anew or runs only
// when it deletes the env.
func immutableValues(t *testing.T, objs []*unstructured.Unstructured) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, o := range objs {
		ref := fence.RefOf(o)
		if ref.GroupKind == (spec.GroupKind{Group: "batch", Kind: "Job"}) {
			// A PreDelete hook runs once, when Argo CD deletes the env, so
			// no sync ever updates it.
			if a := o.GetAnnotations(); a[plan.AnnotationHook] == "" || (a[plan.AnnotationHookDeletePolicy] != plan.HookBeforeHookCreation && a[plan.AnnotationHook] != plan.HookPreDelete) {
				t.Errorf("%s is a Job that Argo CD would update: its spec.template cannot change", ref)
			}
			continue
		}
		for _, path := range immutableFields[ref.GroupKind] {
			v, found, _ := unstructured.NestedFieldNoCopy(o.Object, path...)
			b, _ := json.Marshal(v)
			out[fmt.Sprintf("%s %v", ref, path)] = fmt.Sprint(found, " ", string(b))
		}
	}
	return out
}
