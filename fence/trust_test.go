package fence_test

import (
	"context"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"

	"prenv.dev/prenv/fence"
	"prenv.dev/prenv/render"
	"prenv.dev/prenv/spec"
)

// objectsOf parses YAML documents into objects.
func objectsOf(t *testing.T, docs ...string) []*unstructured.Unstructured {
	t.Helper()
	var out []*unstructured.Unstructured
	for _, d := range docs {
		u := &unstructured.Unstructured{}
		if err := yaml.Unmarshal([]byte(d), &u.Object); err != nil {
			t.Fatal(err)
		}
		out = append(out, u)
	}
	return out
}

// problemLines are the problems as "object field: message" lines.
func problemLines(got []*fence.ObjectError) []string {
	var lines []string
	for _, p := range got {
		lines = append(lines, p.Error())
	}
	return lines
}

func wantLines(t *testing.T, got []*fence.ObjectError, want ...string) {
	t.Helper()
	lines := problemLines(got)
	if len(lines) != len(want) {
		t.Fatalf("got %d problems, want %d:\n%s", len(lines), len(want), strings.Join(lines, "\n"))
	}
	for i, w := range want {
		if !strings.HasPrefix(lines[i], w) {
			t.Errorf("problem %d:\n got %s\nwant %s…", i, lines[i], w)
		}
	}
}

// TestCheckObjectsGatewayRoutes: Gateway API routes and listeners claim
// hostnames as an Ingress does: only the env's own, and none means every
// hostname; a TCPRoute takes a whole listener port.
func TestCheckObjectsGatewayRoutes(t *testing.T) {
	env, m, objs := finalObjects(t, "web", "", false, "")
	gw := "gateway.networking.k8s.io"
	kinds := append(spec.AppKinds(env), spec.GroupKind{Group: gw, Kind: "HTTPRoute"}, spec.GroupKind{Group: gw, Kind: "GRPCRoute"}, spec.GroupKind{Group: gw, Kind: "Gateway"}, spec.GroupKind{Group: gw, Kind: "TCPRoute"})
	route := func(version, kind, name, hostnames string) string {
		return "apiVersion: gateway.networking.k8s.io/" + version + "\nkind: " + kind + "\nmetadata: {name: " + name + ", namespace: test-123-web}\nspec:\n  parentRefs: [{name: shared, namespace: gateways}]\n" + hostnames
	}
	objs = append(objs, objectsOf(t,
		route("v1", "HTTPRoute", "own", "  hostnames: [test-123-web.preview.example.com, \"*.test-123-web.preview.example.com\"]\n"),
		route("v1", "HTTPRoute", "steal", "  hostnames: [test-5-payments.preview.example.com]\n"),
		route("v1", "GRPCRoute", "everything", ""), `
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: own, namespace: test-123-web}
spec:
  gatewayClassName: shared
  listeners:
  - {name: http, port: 80, protocol: HTTP}
  - {name: other, port: 80, protocol: HTTP, hostname: payments.example.com}
`, route("v1alpha2", "TCPRoute", "port", ""))...)
	wantLines(t, fence.CheckObjects(m, objs, fence.ObjectRules{AppKinds: kinds}),
		`gateway.networking.k8s.io/HTTPRoute/test-123-web/steal: spec.hostnames[0]: Forbidden: "test-5-payments.preview.example.com": an env may only claim its own hostname "test-123-web.preview.example.com"`,
		`gateway.networking.k8s.io/GRPCRoute/test-123-web/everything: spec.hostnames: Required value: a route without hostnames takes every hostname the shared ingress controller or gateway serves`,
		`gateway.networking.k8s.io/Gateway/test-123-web/own: spec.listeners[0].hostname: Required value: a listener without hostname takes every hostname`,
		`gateway.networking.k8s.io/Gateway/test-123-web/own: spec.listeners[1].hostname: Forbidden: "payments.example.com": an env may only claim its own hostname`,
		`gateway.networking.k8s.io/TCPRoute/test-123-web/port: kind: Forbidden: a TCPRoute has no hostnames: it takes every connection to a gateway's listener port`,
	)
}

// TestWriteNamespaces: every namespaced object without a namespace gets
// the env's; cluster-scoped objects and objects of another namespace stay
// as they are, and CheckObjects refuses a namespaced object that has none.
func TestWriteNamespaces(t *testing.T) {
	env, m, objs := finalObjects(t, "web", "", false, "")
	extra := objectsOf(t, `
apiVersion: v1
kind: ConfigMap
metadata: {name: settings}
`, `
apiVersion: v1
kind: ConfigMap
metadata: {name: elsewhere, namespace: test-5-payments}
`, `
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: reader}
`)
	rules := fence.ObjectRules{AppKinds: append(spec.AppKinds(env), spec.GroupKind{Kind: "ConfigMap"})}
	wantLines(t, fence.CheckObjects(m, append(objs, extra[0]), rules),
		"ConfigMap/settings: metadata.namespace: Required value: the env's namespace test-123-web: kubectl and helm would put the object into their current namespace (fence.WriteNamespaces writes it)")
	fence.WriteNamespaces(m, extra)
	for i, want := range []string{"test-123-web", "test-5-payments", ""} {
		if got := extra[i].GetNamespace(); got != want {
			t.Errorf("%s %s: namespace %q, want %q", extra[i].GetKind(), extra[i].GetName(), got, want)
		}
	}
	wantLines(t, fence.CheckObjects(m, append(objs, extra[0]), rules))
}

// TestCheckObjectsServiceQuota: LoadBalancer Services are allowed up to
// the quota the spec raises, counted across the env's Services with what
// else runs at once; a quota that does not cap them allows none.
func TestCheckObjectsServiceQuota(t *testing.T) {
	env, m, _ := finalObjects(t, "web", "", false, "")
	m.ResourceQuota.Hard["services.loadbalancers"] = "1"
	m.ResourceQuota.Hard["services.nodeports"] = "3"
	objs, err := render.Execute(context.Background(), m, render.Options{})
	if err != nil {
		t.Fatal(err)
	}
	lb := func(name string, ports string) string {
		return "apiVersion: v1\nkind: Service\nmetadata: {name: " + name + ", namespace: test-123-web}\nspec:\n  type: LoadBalancer\n  ports: " + ports + "\n"
	}
	objs = append(objs, objectsOf(t, lb("a", "[{port: 80}, {port: 443}]"), lb("b", "[{port: 80}]"))...)
	wantLines(t, fence.CheckObjects(m, objs, fence.ObjectRules{AppKinds: spec.AppKinds(env)}),
		`ResourceQuota/test-123-web/prenv: spec.hard[services.loadbalancers]: Invalid value: "1": what runs at once needs 2 of services.loadbalancers: the workloads and objects at rest take 2 (Service/test-123-web/a 1, Service/test-123-web/b 1)`)
	// A quota that does not cap load balancers allows none.
	delete(m.ResourceQuota.Hard, "services.loadbalancers")
	if objs, err = render.Execute(context.Background(), m, render.Options{}); err != nil {
		t.Fatal(err)
	}
	objs = append(objs, objectsOf(t, lb("a", "[{port: 80}, {port: 443}]"), lb("b", "[{port: 80}]"))...)
	wantLines(t, fence.CheckObjects(m, objs, fence.ObjectRules{AppKinds: spec.AppKinds(env)}),
		"Service/test-123-web/a: spec.type: Forbidden: a LoadBalancer Service takes 1 of the env's services.loadbalancers, which the quota does not cap, so none are allowed",
		"Service/test-123-web/b: spec.type: Forbidden: a LoadBalancer Service takes 1 of the env's services.loadbalancers, which the quota does not cap, so none are allowed")
}

// TestCheckObjectsOwnGivenOrRendered: CheckObjects finds the same problems
// with prenv's own objects given (as render passes them) and rendered by
// itself.
func TestCheckObjectsOwnGivenOrRendered(t *testing.T) {
	env, m, objs := finalObjects(t, "databases", "", false, "")
	for _, o := range objs {
		if o.GetKind() == "Queue" || o.GetKind() == "StatefulSet" {
			a := o.GetAnnotations()
			a["helm.sh/resource-policy"] = "keep"
			o.SetAnnotations(a)
		}
	}
	own, err := fence.OwnObjects(context.Background(), m)
	if err != nil {
		t.Fatal(err)
	}
	given := problemLines(fence.CheckObjects(m, objs, fence.ObjectRules{AppKinds: spec.AppKinds(env), Own: own}))
	rendered := problemLines(fence.CheckObjects(m, objs, fence.ObjectRules{AppKinds: spec.AppKinds(env)}))
	if len(given) == 0 || strings.Join(given, "\n") != strings.Join(rendered, "\n") {
		t.Fatalf("given:\n%s\nrendered:\n%s", strings.Join(given, "\n"), strings.Join(rendered, "\n"))
	}
}

// TestCheckObjectsBackendsByAddress: even when the AppProject allows them,
// hand-written Endpoints and EndpointSlices (which can name another env's
// pods) and a TargetGroupBinding (which joins a load balancer by ARN) are
// refused.
func TestCheckObjectsBackendsByAddress(t *testing.T) {
	env, m, objs := finalObjects(t, "web", "", false, "")
	kinds := append(spec.AppKinds(env), spec.GroupKind{Kind: "Endpoints"}, spec.GroupKind{Group: "discovery.k8s.io", Kind: "EndpointSlice"}, spec.GroupKind{Group: "elbv2.k8s.aws", Kind: "TargetGroupBinding"})
	objs = append(objs, objectsOf(t, `
apiVersion: v1
kind: Endpoints
metadata: {name: payments, namespace: test-123-web}
subsets: [{addresses: [{ip: 10.1.2.3}], ports: [{port: 8080}]}]
`, `
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: payments-1, namespace: test-123-web}
addressType: IPv4
endpoints: [{addresses: [10.1.2.3]}]
`, `
apiVersion: elbv2.k8s.aws/v1beta1
kind: TargetGroupBinding
metadata: {name: join, namespace: test-123-web}
spec:
  serviceRef: {name: web, port: 80}
  targetGroupARN: arn:aws:elasticloadbalancing:ap-northeast-1:123456789012:targetgroup/test-5-payments/0123456789abcdef
`)...)
	wantLines(t, fence.CheckObjects(m, objs, fence.ObjectRules{AppKinds: kinds}),
		"Endpoints/test-123-web/payments: kind: Forbidden: Endpoints written by hand can name any address, other envs' pods included",
		"discovery.k8s.io/EndpointSlice/test-123-web/payments-1: kind: Forbidden: EndpointSlice written by hand can name any address",
		"elbv2.k8s.aws/TargetGroupBinding/test-123-web/join: kind: Forbidden: a TargetGroupBinding registers the env's pods in a load balancer's target group named by ARN",
	)
}

// TestCheckObjectsOwnOwnersAndFinalizers: an owner reference (the garbage
// collector deletes the env's NetworkPolicy at once when no owner has that
// UID) or a finalizer nobody removes (the Namespace never goes) on prenv's
// own objects is refused.
func TestCheckObjectsOwnOwnersAndFinalizers(t *testing.T) {
	env, m, objs := finalObjects(t, "web", "", false, "")
	for _, o := range objs {
		switch o.GetKind() {
		case "NetworkPolicy":
			if o.GetName() == "prenv-default-deny" {
				_ = unstructured.SetNestedSlice(o.Object, []any{map[string]any{"apiVersion": "v1", "kind": "ConfigMap", "name": "gone", "uid": "00000000-0000-0000-0000-000000000000"}}, "metadata", "ownerReferences")
			}
		case "Namespace":
			o.SetFinalizers([]string{"example.com/never"})
		}
	}
	const why = "Forbidden: prenv's own objects have none: the garbage collector would delete the object with an owner"
	wantLines(t, fence.CheckObjects(m, objs, fence.ObjectRules{AppKinds: spec.AppKinds(env)}),
		"Namespace/test-123-web: metadata.finalizers: "+why,
		"networking.k8s.io/NetworkPolicy/test-123-web/prenv-default-deny: metadata.ownerReferences: "+why,
	)
}

// TestCheckObjectsNotificationsWiring: an app's chart or kustomization
// cannot reach Argo CD's notifications wiring (docs/feedback.md): neither
// argocd-notifications-cm in Argo CD's namespace (another app's triggers
// and templates, the github service's settings) nor an Application, in
// Argo CD's namespace or the env's, subscribed to a trigger with another
// repository and head commit.
func TestCheckObjectsNotificationsWiring(t *testing.T) {
	env, m, objs := finalObjects(t, "web", "", false, "")
	subscribed := "  annotations:\n    notifications.argoproj.io/subscribe.prenv-test-web-healthy.prenv: \"\"\n    prenv.dev/repo-url: https://github.com/example/other\n    prenv.dev/head-sha: 0123456789abcdef0123456789abcdef01234567\n"
	objs = append(objs, objectsOf(t,
		"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: argocd-notifications-cm, namespace: argocd}\ndata:\n  trigger.prenv-test-api-healthy: \"- when: 'true'\"\n",
		"apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: test-1-web\n  namespace: argocd\n"+subscribed+"spec: {project: previews-web}\n",
		"apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: hijack\n  namespace: test-123-web\n"+subscribed+"spec: {project: previews-web}\n",
	)...)
	wantLines(t, fence.CheckObjects(m, objs, fence.ObjectRules{AppKinds: spec.AppKinds(env)}),
		"ConfigMap/argocd/argocd-notifications-cm: metadata.namespace: Forbidden: must be the env's namespace test-123-web: a preview may only create objects in its own namespace",
		"argoproj.io/Application/argocd/test-1-web: kind: Forbidden: Application.argoproj.io is not among the kinds the env's AppProject allows",
		"argoproj.io/Application/test-123-web/hijack: kind: Forbidden: Application.argoproj.io is not among the kinds the env's AppProject allows",
	)
}
