package admission_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/runtime/schema"
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
			var res map[string]any
			if err := json.Unmarshal([]byte(tc.resources), &res); err != nil {
				t.Fatal(err)
			}
			m, objs, prenvSays := envWithApps(t, "web", 9300+i, tc.unbounded, res, map[string]int64{"api": 1}, tc.prenv)
			podSpec := appPodSpec(m, res)

			// The server: the env's bounds and ServiceAccount, then a pod
			// of the template, as the Deployment's ReplicaSet would create.
			applyBounds(t, cl, m.Namespace, objs)
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
