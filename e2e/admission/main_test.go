// Package admission_test runs the cases of prenv's offline admission
// against a real kube-apiserver's LimitRanger and ResourceQuota admission,
// with kube-controller-manager's resourcequota controller counting usage
// (the server applies a quota only once it has counted) and its
// deployment, replicaset, statefulset and job controllers creating the
// pods of the env's workloads and hook Jobs, as in a cluster (no kubelet:
// pods stay Pending, and a Pending pod counts against the quota). A test binary of
// its own: the controller writes every quota's status, which the other
// tiers' tests of applying twice would see as a change.
package admission_test

import (
	"context"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"prenv.dev/prenv/e2e/internal/cluster"
	"prenv.dev/prenv/fence"
	"prenv.dev/prenv/plan"
	"prenv.dev/prenv/render"
	"prenv.dev/prenv/spec"
)

// env is the control plane of this test binary.
var env cluster.Env

func TestMain(m *testing.M) {
	os.Exit(cluster.Main(m, cluster.Options{Controllers: []string{
		"resourcequota-controller", "serviceaccount-controller", "deployment-controller",
		"replicaset-controller", "statefulset-controller", "job-controller",
		// Lets the namespace of a database case go: it removes the claims'
		// protection finalizer once no pod uses them.
		"persistentvolumeclaim-protection-controller",
	}}, &env))
}

// loadSpec reads examples/<name>/prenv.yaml as `render env -f` does.
func loadSpec(t testing.TB, example string) *spec.PreviewEnvironment {
	t.Helper()
	root, err := cluster.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(root, "examples", example, "prenv.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	s, err := spec.Load(data)
	if err != nil {
		t.Fatalf("%s: %v", example, err)
	}
	return s
}

// appDeployment is an app's Deployment in namespace, of sync wave 1, whose
// pods (labelled app: name) have podSpec.
func appDeployment(namespace, name string, replicas int64, podSpec map[string]any) *unstructured.Unstructured {
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "apps/v1", "kind": "Deployment",
		"metadata": map[string]any{"name": name, "namespace": namespace, "annotations": map[string]any{spec.AnnotationSyncWave: "1"}},
		"spec": map[string]any{
			"replicas": replicas,
			"selector": map[string]any{"matchLabels": map[string]any{"app": name}},
			"template": map[string]any{"metadata": map[string]any{"labels": map[string]any{"app": name}}, "spec": podSpec},
		},
	}}
}

// applyBounds applies the env's Namespace, ServiceAccounts, LimitRange and
// ResourceQuota of objs, removes the namespace when the test ends, and
// waits until the resourcequota controller has counted the quota (quota
// admission applies a quota only then).
func applyBounds(t *testing.T, cl *cluster.Client, namespace string, objs []*unstructured.Unstructured) {
	t.Helper()
	ctx := context.Background()
	t.Cleanup(func() { _ = cl.DeleteNamespace(context.Background(), namespace, time.Minute) })
	var quota *unstructured.Unstructured
	for _, o := range objs {
		switch o.GetKind() {
		case "Namespace", "ServiceAccount", "LimitRange", "ResourceQuota":
		default:
			continue
		}
		if o.GetAPIVersion() != "v1" {
			continue
		}
		if _, err := cl.Apply(ctx, o, cluster.ApplyOptions{}); err != nil {
			t.Fatalf("%s %s: %v", o.GetKind(), o.GetName(), err)
		}
		if o.GetKind() == "ResourceQuota" {
			quota = o
		}
	}
	if quota == nil {
		t.Fatal("prenv rendered no ResourceQuota")
	}
	err := cluster.Poll(ctx, time.Minute, 200*time.Millisecond, func() (bool, error) {
		got, err := cl.Get(ctx, quota)
		if err != nil {
			return false, err
		}
		hard, _, _ := unstructured.NestedMap(got.Object, "status", "hard")
		return len(hard) > 0, nil
	}, func() string { return "the ResourceQuota's status" })
	if err != nil {
		t.Fatal(err)
	}
}

// envWithApps renders example's env for pull request pr (with its
// LimitRange turned off when unbounded, as --allow-unbounded lets a spec),
// adds an app Deployment per entry of apps (name → replicas) whose
// container has resources, and runs prenv's final checks on the objects,
// as render does. It returns the model, the objects and prenv's problems,
// and fails unless prenv refuses with one problem containing wantPrenv or,
// when wantPrenv is "", accepts.
func envWithApps(t *testing.T, example string, pr int, unbounded bool, resources map[string]any, apps map[string]int64, wantPrenv string) (*plan.Model, []*unstructured.Unstructured, []string) {
	t.Helper()
	env := loadSpec(t, example)
	if unbounded {
		env.Spec.LimitRange = &spec.LimitRange{Enabled: new(bool)}
	}
	r, err := render.NewRenderer(render.Options{AllowUnbounded: unbounded})
	if err != nil {
		t.Fatal(err)
	}
	out, err := r.Objects(context.Background(), env, pr)
	if err != nil {
		t.Fatal(err)
	}
	m, objs := out.Model, out.Objects
	for _, name := range slices.Sorted(maps.Keys(apps)) {
		objs = append(objs, appDeployment(m.Namespace, name, apps[name], appPodSpec(m, resources)))
	}
	var says []string
	for _, p := range fence.CheckObjects(m, objs, fence.ObjectRules{AppKinds: spec.AppKinds(env)}) {
		says = append(says, p.Error())
	}
	switch {
	case wantPrenv == "" && len(says) > 0:
		t.Fatalf("prenv refuses what the case expects it to accept:\n%s", strings.Join(says, "\n"))
	case wantPrenv != "" && (len(says) != 1 || !strings.Contains(says[0], wantPrenv)):
		t.Fatalf("prenv says:\n%s\nwant one problem with %q", strings.Join(says, "\n"), wantPrenv)
	}
	return m, objs, says
}

// appPodSpec is the pod template of an app of m's env: one container with
// resources, running as the env's ServiceAccount.
func appPodSpec(m *plan.Model, resources map[string]any) map[string]any {
	return map[string]any{
		"serviceAccountName": m.ServiceAccount.Name,
		"containers": []any{map[string]any{
			"name": "app", "image": "registry.example/app:1", "resources": resources,
		}},
	}
}
