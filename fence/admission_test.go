package fence_test

import (
	"cmp"
	"context"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"

	"prenv.dev/prenv/fence"
	"prenv.dev/prenv/internal/testkit"
	"prenv.dev/prenv/plan"
	"prenv.dev/prenv/render"
	"prenv.dev/prenv/spec"
)

// appObject parses one object of the app, in the env's namespace.
func appObject(t *testing.T, ns, text string) *unstructured.Unstructured {
	t.Helper()
	u := &unstructured.Unstructured{}
	if err := yaml.Unmarshal([]byte(text), &u.Object); err != nil {
		t.Fatal(err)
	}
	u.SetNamespace(ns)
	u.SetAnnotations(map[string]string{spec.AnnotationSyncWave: "1"})
	return u
}

// deployment is an app Deployment on the env's ServiceAccount "web".
func deployment(name string, replicas int, resources string) string {
	return `apiVersion: apps/v1
kind: Deployment
metadata: {name: ` + name + `}
spec:
  replicas: ` + itoa(replicas) + `
  selector: {matchLabels: {app: ` + name + `}}
  template:
    metadata: {labels: {app: ` + name + `}}
    spec:
      serviceAccountName: web
      containers:
      - name: app
        image: registry.example/app:1
        resources: ` + resources + `
`
}

func itoa(n int) string {
	b, _ := yaml.Marshal(n)
	return strings.TrimSpace(string(b))
}

// tiny are the resources of a container that takes next to nothing.
const tiny = "{requests: {cpu: 10m, memory: 16Mi}, limits: {cpu: 10m, memory: 16Mi}}"

// TestAdmission: the pods of the final objects are admitted offline as the
// API server admits them (LimitRange defaults and bounds, requests not above
// limits, what the ResourceQuota requires of each container), and what runs
// at once must fit the quota. Each case adds app objects to the web
// example's env.
func TestAdmission(t *testing.T) {
	for _, tc := range []struct {
		name      string
		example   string // default web
		unbounded bool
		objects   []string
		want      []wantProblem
	}{{
		name:    "requests within the defaults",
		objects: []string{deployment("api", 2, "{requests: {cpu: 200m}}")},
	}, {
		name:    "a request above the default limit",
		objects: []string{deployment("api", 1, "{requests: {cpu: \"1\"}}")},
		want: []wantProblem{{
			Object: "apps/Deployment/test-123-web/api", Field: "spec.template.spec.containers[0].resources.requests.cpu", Type: "FieldValueInvalid",
			Message: []string{`apps/Deployment/test-123-web/api: spec.template.spec.containers[0].resources.requests.cpu: Invalid value: "1": above the limit 500m that the env's LimitRange "prenv" defaults (spec.limitRange.default[cpu]): the API server refuses this pod; set resources.limits.cpu or lower the request`},
		}},
	}, {
		name:    "a limit over the LimitRange max",
		objects: []string{deployment("api", 1, "{limits: {memory: 5Gi}}")},
		want: []wantProblem{{
			Object: "apps/Deployment/test-123-web/api", Field: "spec.template.spec.containers[0].resources.limits.memory", Type: "FieldValueForbidden",
			Message: []string{`Forbidden: maximum memory usage per Container is 4Gi, but limit is 5Gi (the env's LimitRange "prenv", spec.limitRange.max[memory]): the API server refuses this pod`},
		}},
	}, {
		name:    "more pods than the quota",
		objects: []string{deployment("api", 20, tiny), deployment("worker", 11, tiny)},
		want: []wantProblem{{
			Object: "ResourceQuota/test-123-web/prenv", Field: "spec.hard[pods]", Type: "FieldValueInvalid",
			Message: []string{`ResourceQuota/test-123-web/prenv: spec.hard[pods]: Invalid value: "30": what runs at once needs 31 of pods: the workloads and objects at rest take 31 (apps/Deployment/test-123-web/api 20 × 1, apps/Deployment/test-123-web/worker 11 × 1); the API server refuses what passes the quota (exceeded quota), so Argo CD's sync never completes: raise spec.resourceQuota.hard[pods] or take less`},
		}},
	}, {
		name:    "hooks run while the workloads run",
		example: "databases",
		objects: []string{deployment("api", 1, "{requests: {cpu: 1600m}, limits: {cpu: 1600m}}")},
		want: []wantProblem{{
			Object: "ResourceQuota/test-123-catalog/prenv", Field: "spec.hard[requests.cpu]", Type: "FieldValueInvalid",
			Message: []string{`ResourceQuota/test-123-catalog/prenv: spec.hard[requests.cpu]: Invalid value: "2": what runs at once needs 2050m of requests.cpu: the workloads and objects at rest take 1950m (apps/StatefulSet/test-123-catalog/db-main 250m, apps/StatefulSet/test-123-catalog/db-reports 100m, apps/Deployment/test-123-catalog/api 1600m), and the Sync hooks of sync wave -1 take 100m at once (batch/Job/test-123-catalog/db-main-migrations 100m)`},
		}},
	}, {
		name: "LoadBalancer Services",
		objects: []string{`apiVersion: v1
kind: Service
metadata: {name: public}
spec:
  type: LoadBalancer
  selector: {app: api}
  ports: [{port: 443}]
`},
		want: []wantProblem{{
			Object: "ResourceQuota/test-123-web/prenv", Field: "spec.hard[services.loadbalancers]", Type: "FieldValueInvalid",
			Message: []string{`Invalid value: "0": what runs at once needs 1 of services.loadbalancers: the workloads and objects at rest take 1 (Service/test-123-web/public 1)`},
		}, {
			Object: "ResourceQuota/test-123-web/prenv", Field: "spec.hard[services.nodeports]", Type: "FieldValueInvalid",
			Message: []string{`Invalid value: "0": what runs at once needs 1 of services.nodeports`},
		}},
	}, {
		name:      "without a LimitRange every container states what the quota caps",
		unbounded: true,
		objects:   []string{deployment("api", 1, "{requests: {cpu: 100m, memory: 64Mi}, limits: {memory: 64Mi}}")},
		want: []wantProblem{{
			Object: "apps/Deployment/test-123-web/api", Field: "spec.template.spec.containers[0].resources.limits.cpu", Type: "FieldValueRequired",
			Message: []string{`Required value: the env's ResourceQuota "prenv" caps limits.cpu (spec.resourceQuota.hard[limits.cpu]) and the env has no LimitRange (spec.limitRange.enabled: false) to default it: the API server refuses a pod whose containers do not all set it (must specify limits.cpu)`},
		}},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			env, m, objs := boundedObjects(t, cmp.Or(tc.example, "web"), tc.unbounded)
			for _, o := range tc.objects {
				objs = append(objs, appObject(t, m.Namespace, o))
			}
			got := fence.CheckObjects(m, objs, fence.ObjectRules{AppKinds: spec.AppKinds(env)})
			checkProblems(t, got, tc.want)
		})
	}
}

// boundedObjects renders an example (with its LimitRange turned off
// when unbounded, as --allow-unbounded lets a spec), unfenced.
func boundedObjects(t *testing.T, example string, unbounded bool) (*spec.PreviewEnvironment, *plan.Model, []*unstructured.Unstructured) {
	t.Helper()
	env, m, objs := finalObjects(t, example, "", false, "")
	if !unbounded {
		return env, m, objs
	}
	env.Spec.LimitRange = &spec.LimitRange{Enabled: testkit.Ptr(false)}
	r, err := render.NewRenderer(render.Options{AllowUnbounded: true})
	if err != nil {
		t.Fatal(err)
	}
	out, err := r.Objects(context.Background(), env, testkit.GoldenPR)
	if err != nil {
		t.Fatal(err)
	}
	return env, out.Model, out.Objects
}
