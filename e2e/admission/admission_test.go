package admission_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"prenv.dev/prenv/e2e/internal/cluster"
	"prenv.dev/prenv/fence"
	"prenv.dev/prenv/render"
	"prenv.dev/prenv/spec"
)

// TestAdmissionAgreesWithServer runs the pod cases of prenv's offline
// admission (a request above the limit the LimitRange defaults, a limit
// above its max, a container without the limit the ResourceQuota caps when
// there is no LimitRange) against the server's own LimitRanger and
// ResourceQuota admission: in the env's Namespace, with the ServiceAccount,
// LimitRange and ResourceQuota prenv renders, a pod of the app's template
// is refused by the server exactly when prenv refuses it offline, each
// with its own message; the case prenv accepts is admitted.
func TestAdmissionAgreesWithServer(t *testing.T) {
	ctx := context.Background()
	cl := env.Client(t)
	for i, tc := range []struct {
		name      string
		unbounded bool
		resources string
		prenv     string // in prenv's problem at the container's resources; "" when prenv accepts
		server    string // in the server's refusal; "" when it admits
	}{{
		name:      "requests within the defaults",
		resources: `{"requests":{"cpu":"200m"}}`,
	}, {
		name:      "a request above the default limit",
		resources: `{"requests":{"cpu":"1"}}`,
		prenv:     `spec.template.spec.containers[0].resources.requests.cpu: Invalid value: "1": above the limit 500m that the env's LimitRange "prenv" defaults`,
		server:    `must be less than or equal to cpu limit of 500m`,
	}, {
		name:      "a limit above the LimitRange max",
		resources: `{"limits":{"memory":"5Gi"}}`,
		prenv:     `maximum memory usage per Container is 4Gi, but limit is 5Gi`,
		server:    `maximum memory usage per Container is 4Gi, but limit is 5Gi`,
	}, {
		name:      "no limits.cpu without a LimitRange",
		unbounded: true,
		resources: `{"requests":{"cpu":"100m","memory":"64Mi"},"limits":{"memory":"64Mi"}}`,
		prenv:     `spec.template.spec.containers[0].resources.limits.cpu: Required value: the env's ResourceQuota "prenv" caps limits.cpu`,
		server:    `must specify limits.cpu`,
	}} {
		t.Run(tc.name, func(t *testing.T) {
			env := loadSpec(t, "web")
			if tc.unbounded {
				env.Spec.LimitRange = &spec.LimitRange{Enabled: new(bool)}
			}
			r, err := render.NewRenderer(render.Options{AllowUnbounded: tc.unbounded})
			if err != nil {
				t.Fatal(err)
			}
			out, err := r.Objects(ctx, env, 9300+i)
			if err != nil {
				t.Fatal(err)
			}
			m := out.Model
			var res map[string]any
			if err := json.Unmarshal([]byte(tc.resources), &res); err != nil {
				t.Fatal(err)
			}
			podSpec := map[string]any{
				"serviceAccountName": m.ServiceAccount.Name,
				"containers": []any{map[string]any{
					"name": "app", "image": "registry.example/app:1", "resources": res,
				}},
			}
			deploy := &unstructured.Unstructured{Object: map[string]any{
				"apiVersion": "apps/v1", "kind": "Deployment",
				"metadata": map[string]any{"name": "api", "namespace": m.Namespace, "annotations": map[string]any{spec.AnnotationSyncWave: "1"}},
				"spec": map[string]any{
					"replicas": int64(1),
					"selector": map[string]any{"matchLabels": map[string]any{"app": "api"}},
					"template": map[string]any{"metadata": map[string]any{"labels": map[string]any{"app": "api"}}, "spec": podSpec},
				},
			}}
			objs := append(out.Objects, deploy)

			// prenv, offline.
			var prenvSays []string
			for _, p := range fence.CheckObjects(m, objs, fence.ObjectRules{AppKinds: spec.AppKinds(env)}) {
				prenvSays = append(prenvSays, p.Error())
			}
			switch {
			case tc.prenv == "" && len(prenvSays) > 0:
				t.Fatalf("prenv refuses what the case expects it to accept:\n%s", strings.Join(prenvSays, "\n"))
			case tc.prenv != "" && (len(prenvSays) != 1 || !strings.Contains(prenvSays[0], tc.prenv)):
				t.Fatalf("prenv says:\n%s\nwant one problem with %q", strings.Join(prenvSays, "\n"), tc.prenv)
			}

			// The server: the env's bounds and ServiceAccount, then a pod
			// of the template, as the Deployment's ReplicaSet would create.
			t.Cleanup(func() { _ = cl.DeleteNamespace(context.Background(), m.Namespace, time.Minute) })
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
			// Quota admission waits for the controller's first count.
			err = cluster.Poll(ctx, time.Minute, 200*time.Millisecond, func() (bool, error) {
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
			pod := map[string]any{
				"apiVersion": "v1", "kind": "Pod",
				"metadata": map[string]any{"name": "api", "namespace": m.Namespace, "labels": map[string]any{"app": "api"}},
				"spec":     podSpec,
			}
			body, err := json.Marshal(pod)
			if err != nil {
				t.Fatal(err)
			}
			err = cl.CreateRaw(ctx, schema.GroupVersionKind{Version: "v1", Kind: "Pod"}, m.Namespace, body, true)
			switch {
			case tc.server == "" && err != nil:
				t.Fatalf("the server refuses what prenv accepts: %v", err)
			case tc.server != "" && err == nil:
				t.Fatalf("the server admits what prenv refuses (prenv: %s)", prenvSays[0])
			case tc.server != "" && !strings.Contains(err.Error(), tc.server):
				t.Fatalf("the server says %v; want %q", err, tc.server)
			}
			t.Logf("prenv: %v; server: %v", prenvSays, err)
		})
	}
}
