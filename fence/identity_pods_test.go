package fence_test

import (
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"prenv.dev/prenv/fence"
	"prenv.dev/prenv/plan"
	"prenv.dev/prenv/spec"
)

// TestKubeAPILabel: the label that the NetworkPolicy prenv-allow-kube-api
// selects stays on the password Job's pods, where a kustomization must not
// take it off (the Job could not reach the API), and on no pod of the app
// (which would reach the API past spec.networkPolicy.egress).
func TestKubeAPILabel(t *testing.T) {
	env, m, objs := finalObjects(t, "databases", "", false, "")
	for _, o := range objs {
		if o.GetKind() == "Job" && o.GetName() == m.DatabaseSecrets.Name {
			unstructured.RemoveNestedField(o.Object, "spec", "template", "metadata", "labels", plan.LabelKubeAPIClient)
		}
	}
	app := appObject(t, m.Namespace, deployment("api", 1, tiny))
	if err := unstructured.SetNestedField(app.Object, "true", "spec", "template", "metadata", "labels", plan.LabelKubeAPIClient); err != nil {
		t.Fatal(err)
	}
	got := fence.CheckObjects(m, append(objs, app), fence.ObjectRules{AppKinds: spec.AppKinds(env)})
	checkProblems(t, got, []wantProblem{{
		Object: "batch/Job/test-123-catalog/catalog-db-secrets", Field: "spec.template.metadata.labels[prenv.dev/kube-api-client]", Type: "FieldValueRequired",
		Message: []string{`Required value: "true": the NetworkPolicy prenv-allow-kube-api lets the password Job's pods reach the Kubernetes API by this label`},
	}, {
		Object: "apps/Deployment/test-123-catalog/api", Field: "spec.template.metadata.labels[prenv.dev/kube-api-client]", Type: "FieldValueForbidden",
		Message: []string{"Forbidden: only prenv's password Job's pods reach the Kubernetes API through the NetworkPolicy prenv-allow-kube-api; the app's pods reach what spec.networkPolicy.egress allows"},
	}})
}
