package admission_test

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"prenv.dev/prenv/e2e/internal/cluster"
	"prenv.dev/prenv/plan"
)

// TestQuotaTotalsAgreeWithServer runs the quota-total cases of prenv's
// offline admission (issue "Late failures of the env's own objects") with
// the server's controllers: the env's workloads are applied and their
// controllers create every pod they run at rest, then the hook Jobs of one
// hook phase and sync wave are applied, as a sync after the first runs
// them while the workloads run. When prenv refuses the env offline, saying
// that what runs at once needs N of a resource the quota caps at L, the
// server refuses the pod that passes L (exceeded quota) with the same
// figures, and the workload or hook never gets it: Argo CD's sync would
// wait for it forever. When prenv accepts the env, every pod is admitted.
func TestQuotaTotalsAgreeWithServer(t *testing.T) {
	ctx := context.Background()
	cl := env.Client(t)
	small := map[string]any{"cpu": "10m", "memory": "16Mi"}
	tiny := map[string]any{"requests": small, "limits": small}
	for i, tc := range []struct {
		name    string
		example string
		apps    map[string]int64 // Deployment name → replicas
		cpu     string           // requests and limits.cpu of the apps' containers, "" for tiny
		hooks   []string         // hook Jobs applied once the workloads run
		// prenv and server are in prenv's problem and in the server's
		// refusal of the pod past the quota; "" when prenv accepts and
		// every pod is admitted.
		prenv, server string
		// refusedHook is the hook Job whose pod the server refuses; ""
		// when a workload's pod is refused (which workload's is a race
		// between their controllers).
		refusedHook string
	}{{
		name:        "hooks run while the workloads run",
		example:     "databases",
		apps:        map[string]int64{"api": 1},
		cpu:         "1600m",
		hooks:       []string{"db-main-migrations"},
		prenv:       `spec.hard[requests.cpu]: Invalid value: "2": what runs at once needs 2050m of requests.cpu: the workloads and objects at rest take 1950m`,
		server:      `exceeded quota: prenv, requested: requests.cpu=100m, used: requests.cpu=1950m, limited: requests.cpu=2`,
		refusedHook: "db-main-migrations",
	}, {
		name:    "hooks fit beside the workloads",
		example: "databases",
		apps:    map[string]int64{"api": 1},
		cpu:     "1500m",
		hooks:   []string{"db-main-migrations"},
	}, {
		name:    "more pods than the quota",
		example: "web",
		apps:    map[string]int64{"api": 20, "worker": 11},
		prenv:   `spec.hard[pods]: Invalid value: "30": what runs at once needs 31 of pods`,
		server:  `exceeded quota: prenv, requested: pods=1, used: pods=30, limited: pods=30`,
	}, {
		name:    "as many pods as the quota",
		example: "web",
		apps:    map[string]int64{"api": 20, "worker": 10},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			res := tiny
			if tc.cpu != "" {
				res = map[string]any{"requests": map[string]any{"cpu": tc.cpu}, "limits": map[string]any{"cpu": tc.cpu}}
			}
			m, objs, _ := envWithApps(t, tc.example, 9400+i, false, res, tc.apps, tc.prenv)

			// The server: the bounds, then the workloads at rest
			// (prenv's and the app's), then the hooks.
			applyBounds(t, cl, m.Namespace, objs)
			var workloads, hooks []*unstructured.Unstructured
			for _, o := range objs {
				switch o.GetKind() {
				case "Deployment", "StatefulSet":
					workloads = append(workloads, o)
				case "Job":
					if slices.Contains(tc.hooks, o.GetName()) {
						if _, ok := o.GetAnnotations()[plan.AnnotationHook]; !ok {
							t.Fatalf("Job %s is not a hook", o.GetName())
						}
						hooks = append(hooks, o)
					}
				}
			}
			if len(hooks) != len(tc.hooks) {
				t.Fatalf("prenv rendered %d of the hook Jobs %v", len(hooks), tc.hooks)
			}
			// Argo CD applies the workloads with the field manager its
			// server-side apply uses; which one does not matter here.
			for _, o := range workloads {
				if _, err := cl.Apply(ctx, o, cluster.ApplyOptions{}); err != nil {
					t.Fatalf("%s %s: %v", o.GetKind(), o.GetName(), err)
				}
			}
			atRest := wantPods(t, workloads)
			if tc.server != "" && tc.refusedHook == "" {
				// A workload's pod past the quota: all others run.
				waitRefused(ctx, t, cl, m.Namespace, "", tc.server)
				waitPods(ctx, t, cl, m.Namespace, atRest-1)
				return
			}
			waitPods(ctx, t, cl, m.Namespace, atRest)
			for _, o := range hooks {
				if _, err := cl.Apply(ctx, o, cluster.ApplyOptions{}); err != nil {
					t.Fatalf("%s %s: %v", o.GetKind(), o.GetName(), err)
				}
			}
			if tc.server != "" {
				waitRefused(ctx, t, cl, m.Namespace, tc.refusedHook, tc.server)
				waitPods(ctx, t, cl, m.Namespace, atRest)
				return
			}
			waitPods(ctx, t, cl, m.Namespace, atRest+len(hooks))
		})
	}
}

// wantPods is how many pods the workloads run at rest.
func wantPods(t *testing.T, workloads []*unstructured.Unstructured) int {
	t.Helper()
	n := 0
	for _, o := range workloads {
		r, ok, err := unstructured.NestedInt64(o.Object, "spec", "replicas")
		if err != nil {
			t.Fatal(err)
		}
		if !ok {
			r = 1
		}
		n += int(r)
	}
	return n
}

// waitPods waits until namespace holds n pods, and fails if it ever holds
// more.
func waitPods(ctx context.Context, t *testing.T, cl *cluster.Client, namespace string, n int) {
	t.Helper()
	ri, _, err := cl.ResourceFor(schema.GroupVersionKind{Version: "v1", Kind: "Pod"}, namespace)
	if err != nil {
		t.Fatal(err)
	}
	got := 0
	err = cluster.Poll(ctx, 2*time.Minute, 200*time.Millisecond, func() (bool, error) {
		l, err := ri.List(ctx, metav1.ListOptions{})
		if err != nil {
			return false, err
		}
		got = len(l.Items)
		if got > n {
			return false, fmt.Errorf("%d pods in %s, want %d", got, namespace, n)
		}
		return got == n, nil
	}, func() string { return fmt.Sprintf("%d pods in %s, want %d", got, namespace, n) })
	if err != nil {
		t.Fatal(err)
	}
}

// failedCreate matches the server's refusal in the message of the event a
// workload controller records when it cannot create a pod (`Error
// creating: pods "<name>" is forbidden: …` from the ReplicaSet and Job
// controllers, `create Pod <name> in StatefulSet <set> failed error: pods
// "<name>" is forbidden: …` from the StatefulSet controller).
var failedCreate = regexp.MustCompile(`pods "[^"]+" is forbidden: (.*)$`)

// waitRefused waits for a FailedCreate event whose refusal contains want,
// of the controller of object name (Job name, or a ReplicaSet of
// Deployment name), or of any when name is "".
func waitRefused(ctx context.Context, t *testing.T, cl *cluster.Client, namespace, name, want string) {
	t.Helper()
	ri, _, err := cl.ResourceFor(schema.GroupVersionKind{Version: "v1", Kind: "Event"}, namespace)
	if err != nil {
		t.Fatal(err)
	}
	var seen []string
	err = cluster.Poll(ctx, 2*time.Minute, 200*time.Millisecond, func() (bool, error) {
		l, err := ri.List(ctx, metav1.ListOptions{})
		if err != nil {
			return false, err
		}
		seen = seen[:0]
		for _, e := range l.Items {
			reason, _, _ := unstructured.NestedString(e.Object, "reason")
			obj, _, _ := unstructured.NestedString(e.Object, "involvedObject", "name")
			msg, _, _ := unstructured.NestedString(e.Object, "message")
			if reason != "FailedCreate" {
				continue
			}
			seen = append(seen, obj+": "+msg)
			if name != "" && obj != name && !strings.HasPrefix(obj, name+"-") {
				continue
			}
			if m := failedCreate.FindStringSubmatch(msg); m != nil && strings.Contains(m[1], want) {
				t.Logf("the server refuses a pod of %s: %s", obj, m[1])
				return true, nil
			}
		}
		return false, nil
	}, func() string {
		return fmt.Sprintf("no FailedCreate event of %s with %q; seen: %v; pods: %v", name, want, seen, podRequests(ctx, cl, namespace))
	})
	if err != nil {
		t.Fatal(err)
	}
}

// podRequests lists namespace's pods with their containers' requests, for
// failure messages.
func podRequests(ctx context.Context, cl *cluster.Client, namespace string) []string {
	ri, _, err := cl.ResourceFor(schema.GroupVersionKind{Version: "v1", Kind: "Pod"}, namespace)
	if err != nil {
		return []string{err.Error()}
	}
	l, err := ri.List(ctx, metav1.ListOptions{})
	if err != nil {
		return []string{err.Error()}
	}
	var out []string
	for _, p := range l.Items {
		var cs []string
		for _, list := range []string{"initContainers", "containers"} {
			items, _, _ := unstructured.NestedSlice(p.Object, "spec", list)
			for _, c := range items {
				c, _ := c.(map[string]any)
				req, _, _ := unstructured.NestedMap(c, "resources", "requests")
				cs = append(cs, fmt.Sprintf("%s %s %v", list, c["name"], req))
			}
		}
		out = append(out, p.GetName()+" ("+strings.Join(cs, "; ")+")")
	}
	return out
}
