package argocd

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"prenv.dev/prenv/internal/golden"
)

// TestAppProjectDatabaseKinds checks that spec.databases adds exactly the
// kinds the databases are rendered as (StatefulSet, Service, Job, RBAC
// Role and RoleBinding) to the AppProject's namespaced kinds, and nothing
// when the spec has none.
func TestAppProjectDatabaseKinds(t *testing.T) {
	env := loadSpec(t, filepath.Join(golden.Root(t), "examples", "databases", "prenv.yaml"))
	whitelist := func() []string {
		t.Helper()
		objs, err := AppSet(context.Background(), env, Options{})
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range objs {
			if o.GetKind() != "AppProject" {
				continue
			}
			list, _, _ := unstructured.NestedSlice(o.Object, "spec", "namespaceResourceWhitelist")
			var out []string
			for _, e := range list {
				e := e.(map[string]any)
				out = append(out, e["group"].(string)+"/"+e["kind"].(string))
			}
			return out
		}
		t.Fatal("no AppProject")
		return nil
	}
	with := whitelist()
	dbs := env.Spec.Databases
	env.Spec.Databases = nil
	without := whitelist()
	env.Spec.Databases = dbs

	want := []string{
		"/ConfigMap", "/LimitRange", "/ResourceQuota", "/Service", "/ServiceAccount", "apps/Deployment", "apps/StatefulSet", "batch/Job",
		"iam.services.k8s.aws/Role", "networking.k8s.io/Ingress", "networking.k8s.io/NetworkPolicy",
		"rbac.authorization.k8s.io/Role", "rbac.authorization.k8s.io/RoleBinding",
	}
	if diff := cmp.Diff(want, with); diff != "" {
		t.Errorf("AppProject kinds with databases (-want +got):\n%s", diff)
	}
	// Without databases: no StatefulSet, Job or RBAC kind (Service stays:
	// the app's chart has one).
	wantWithout := []string{"/ConfigMap", "/LimitRange", "/ResourceQuota", "/Service", "/ServiceAccount", "apps/Deployment",
		"iam.services.k8s.aws/Role", "networking.k8s.io/Ingress", "networking.k8s.io/NetworkPolicy"}
	if diff := cmp.Diff(wantWithout, without); diff != "" {
		t.Errorf("AppProject kinds without databases (-want +got):\n%s", diff)
	}
}
