package fence_test

import (
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"prenv.dev/prenv/fence"
	"prenv.dev/prenv/spec"
)

// TestCheckObjectsFieldEdits edits single fields of an example's final
// objects, as a kustomize patch would, and expects exactly one problem at
// the edited field, or none.
func TestCheckObjectsFieldEdits(t *testing.T) {
	find := func(objs []*unstructured.Unstructured, kind, name string) *unstructured.Unstructured {
		for _, o := range objs {
			if o.GetKind() == kind && o.GetName() == name {
				return o
			}
		}
		t.Fatalf("no %s %s", kind, name)
		return nil
	}
	tests := map[string]struct {
		edit         func(objs []*unstructured.Unstructured)
		object, path string
		message      string // "" for no problem
	}{
		"redrive into another env's queue": {func(objs []*unstructured.Unstructured) {
			unstructured.SetNestedField(find(objs, "Queue", "jobs").Object, `{"deadLetterTargetArn":"arn:aws:sqs:ap-northeast-1:123456789012:test-123-other_jobs","maxReceiveCount":1}`, "spec", "redrivePolicy")
		}, "sqs.services.k8s.aws/Queue/test-123-web/jobs", "spec.redrivePolicy", "must be {\"deadLetterTargetArn\":\"arn:aws:sqs:ap-northeast-1:123456789012:test-123-web_jobs_dlq\""},
		"dead-letter queue open to all": {func(objs []*unstructured.Unstructured) {
			unstructured.SetNestedField(find(objs, "Queue", "jobs-dlq").Object, `{"redrivePermission":"allowAll"}`, "spec", "redriveAllowPolicy")
		}, "sqs.services.k8s.aws/Queue/test-123-web/jobs-dlq", "spec.redriveAllowPolicy", "the redrive policies fence the env's queues in"},
		"an attribute the spec does not set": {func(objs []*unstructured.Unstructured) {
			unstructured.SetNestedField(find(objs, "Queue", "jobs").Object, "900", "spec", "delaySeconds")
		}, "sqs.services.k8s.aws/Queue/test-123-web/jobs", "spec.delaySeconds", "Forbidden: prenv does not set it"},
		"another env's tag on a table": {func(objs []*unstructured.Unstructured) {
			tags, _, _ := unstructured.NestedSlice(find(objs, "Table", "sessions").Object, "spec", "tags")
			for _, tg := range tags {
				if m := tg.(map[string]any); m["key"] == spec.LabelEnv {
					m["value"] = "test-5-other"
				}
			}
			unstructured.SetNestedSlice(find(objs, "Table", "sessions").Object, tags, "spec", "tags")
		}, "dynamodb.services.k8s.aws/Table/test-123-web/sessions", "spec.tags[", `must be "test-123-web"`},
		"a queue tag added": {func(objs []*unstructured.Unstructured) {
			unstructured.SetNestedField(find(objs, "Queue", "jobs").Object, "yes", "spec", "tags", "admin")
		}, "sqs.services.k8s.aws/Queue/test-123-web/jobs", "spec.tags[admin]", `tag "admin" is not in spec.tags`},
		"deletion protection with deletionPolicy delete": {func(objs []*unstructured.Unstructured) {
			unstructured.SetNestedField(find(objs, "Table", "sessions").Object, true, "spec", "deletionProtectionEnabled")
		}, "dynamodb.services.k8s.aws/Table/test-123-web/sessions", "spec.deletionProtectionEnabled", "deletion protection would keep it"},
		"longer sessions": {func(objs []*unstructured.Unstructured) {
			unstructured.SetNestedField(find(objs, "Role", "web").Object, int64(43200), "spec", "maxSessionDuration")
		}, "iam.services.k8s.aws/Role/test-123-web/web", "spec.maxSessionDuration", "must be 3600"},
		"a repeated key in the trust policy": {func(objs []*unstructured.Unstructured) {
			r := find(objs, "Role", "web")
			doc, _, _ := unstructured.NestedString(r.Object, "spec", "assumeRolePolicyDocument")
			doc = strings.Replace(doc, `"Condition": {`, `"Condition": {"StringEquals": {"x:sub": "system:serviceaccount:test-9-admin:admin"}, `, 1)
			unstructured.SetNestedField(r.Object, doc, "spec", "assumeRolePolicyDocument")
		}, "iam.services.k8s.aws/Role/test-123-web/web", "spec.assumeRolePolicyDocument", `repeats the key "StringEquals"`},
		"owner account on the namespace": {func(objs []*unstructured.Unstructured) {
			ns := find(objs, "Namespace", "test-123-web")
			a := ns.GetAnnotations()
			a["services.k8s.aws/owner-account-id"] = "999999999999"
			ns.SetAnnotations(a)
		}, "Namespace/test-123-web", "metadata.annotations[services.k8s.aws/owner-account-id]", "for every object in it"},
		"unchanged": {func([]*unstructured.Unstructured) {}, "", "", ""},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			env, m, objs := finalObjects(t, "web", "", false, "")
			tc.edit(objs)
			got := fence.CheckObjects(m, objs, fence.ObjectRules{AppKinds: spec.AppKinds(env)})
			if tc.message == "" {
				if len(got) > 0 {
					t.Fatalf("unexpected: %v", got)
				}
				return
			}
			if len(got) != 1 || got[0].Object.String() != tc.object || !strings.HasPrefix(got[0].Err.Field, tc.path) || !strings.Contains(got[0].Error(), tc.message) {
				t.Fatalf("got %v\nwant one problem of %s at %s containing %q", got, tc.object, tc.path, tc.message)
			}
		})
	}
}

// TestCheckObjectsHostnames: an app may claim only its env's hostname.
func TestCheckObjectsHostnames(t *testing.T) {
	env, m, objs := finalObjects(t, "web", "", true, "")
	var ing *unstructured.Unstructured
	for _, o := range objs {
		if o.GetKind() == "Ingress" {
			ing = o
		}
	}
	if ing == nil {
		t.Fatal("the chart renders no Ingress")
	}
	if got := fence.CheckObjects(m, objs, fence.ObjectRules{AppKinds: spec.AppKinds(env)}); len(got) > 0 {
		t.Fatalf("the example's own hostname refused: %v", got)
	}
	rules, _, _ := unstructured.NestedSlice(ing.Object, "spec", "rules")
	rules[0].(map[string]any)["host"] = "test-5-other.preview.example.com"
	unstructured.SetNestedSlice(ing.Object, rules, "spec", "rules")
	ing.SetAnnotations(map[string]string{"external-dns.alpha.kubernetes.io/hostname": "api.test-123-web.preview.example.com,www.example.com"})
	got := fence.CheckObjects(m, objs, fence.ObjectRules{AppKinds: spec.AppKinds(env)})
	var msgs []string
	for _, p := range got {
		msgs = append(msgs, p.Error())
	}
	joined := strings.Join(msgs, "\n")
	if len(got) != 2 || !strings.Contains(joined, `spec.rules[0].host: Forbidden: "test-5-other.preview.example.com"`) || !strings.Contains(joined, `"www.example.com": an env may only claim its own hostname`) {
		t.Fatalf("got:\n%s", joined)
	}
}
