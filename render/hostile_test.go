package render_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"testing/fstest"

	"prenv.dev/prenv/internal/golden"
	"prenv.dev/prenv/internal/testkit"
	"prenv.dev/prenv/render"
	"prenv.dev/prenv/spec"
)

// TestRenderRefusesHostileShapes renders the web example through
// render.Render with hostile --templates or a hostile kustomization, one
// of each kind the final checks refuse whatever made the objects, and
// expects a FenceError holding the problem at its path.
func TestRenderRefusesHostileShapes(t *testing.T) {
	env := golden.ExampleSpecs(t, spec.Load)["web"]
	for name, c := range hostileShapes() {
		t.Run(name, func(t *testing.T) {
			_, err := render.Render(context.Background(), env, testkit.GoldenPR, c.options(t))
			var fe *render.FenceError
			if !errors.As(err, &fe) {
				t.Fatalf("got %v, want a FenceError", err)
			}
			for _, p := range fe.Problems {
				if strings.HasPrefix(p.Error(), c.want) {
					return
				}
			}
			t.Fatalf("no problem starts with %q:\n%v", c.want, err)
		})
	}
}

// TestSyncRefusesHostileShapes: render.SyncFiles refuses each hostile
// shape at the final checks as render.Render does. Without templates or a
// kustomization the final checks take the embedded kit's objects as
// prenv's own without a copy; a kustomization can patch them, so they are
// compared with a copy then.
func TestSyncRefusesHostileShapes(t *testing.T) {
	env := golden.ExampleSpecs(t, spec.Load)["web"]
	for name, c := range hostileShapes() {
		t.Run(name, func(t *testing.T) {
			r, err := render.NewRenderer(c.options(t))
			if err != nil {
				t.Fatal(err)
			}
			_, err = render.SyncFiles(context.Background(), []*spec.PreviewEnvironment{env}, []int{testkit.GoldenPR}, render.SyncOptions{Renderer: r})
			var ee *render.EnvError
			if !errors.As(err, &ee) || ee.Stage != render.StageCheck {
				t.Fatalf("got %v, want an EnvError of the final checks", err)
			}
			for _, p := range ee.Errs {
				if strings.HasPrefix(p.Error(), c.want) {
					return
				}
			}
			t.Fatalf("no problem starts with %q:\n%v", c.want, err)
		})
	}
}

// hostileShape is hostile --templates (file name → text) or a hostile
// kustomization, and the start of the problem the final checks report.
type hostileShape struct {
	templates map[string]string
	kustomize string
	want      string
}

// options are the render options that give c's templates or kustomization.
func (c hostileShape) options(t *testing.T) render.Options {
	t.Helper()
	var opts render.Options
	if c.templates != nil {
		fs := fstest.MapFS{}
		for n, body := range c.templates {
			fs[n] = &fstest.MapFile{Data: []byte(body)}
		}
		opts.Templates = fs
	}
	if c.kustomize != "" {
		dir := t.TempDir()
		testkit.WriteTree(t, dir, map[string]string{"kustomization.yaml": c.kustomize})
		opts.Kustomize = dir
	}
	return opts
}

// hostileShapes are one shape of each kind the final checks refuse,
// whatever made the objects.
func hostileShapes() map[string]hostileShape {
	ns := "{{ .Values.namespace | toJson }}"
	return map[string]hostileShape{
		"a privileged app pod": {templates: map[string]string{"app.yaml": `apiVersion: apps/v1
kind: Deployment
metadata: {name: app, namespace: ` + ns + `}
spec:
  selector: {matchLabels: {app: x}}
  template:
    metadata: {labels: {app: x}}
    spec:
      containers: [{name: app, image: busybox, securityContext: {privileged: true}}]
`}, want: `apps/Deployment/test-123-web/app: spec.template.spec.containers[0].securityContext.privileged: Forbidden: violates PodSecurity "baseline:latest": privileged (container "app" must not set securityContext.privileged=true)`},
		"an ExternalName Service": {templates: map[string]string{"svc.yaml": `apiVersion: v1
kind: Service
metadata: {name: payments, namespace: ` + ns + `}
spec: {type: ExternalName, externalName: payments.test-5-payments.svc.cluster.local}
`}, want: "Service/test-123-web/payments: spec.type: Forbidden: an ExternalName Service is a DNS alias"},
		"another env's hostname and a server alias": {templates: map[string]string{"ing.yaml": `apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: web
  namespace: ` + ns + `
  annotations: {nginx.ingress.kubernetes.io/server-alias: test-5-payments.preview.example.com}
spec:
  rules: [{host: test-123-web.preview.example.com}]
`}, want: "networking.k8s.io/Ingress/test-123-web/web: metadata.annotations[nginx.ingress.kubernetes.io/server-alias]: Forbidden: not among the nginx.ingress.kubernetes.io/ annotations an env may set"},
		"a NetworkPolicy turned into a hook": {kustomize: `apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
patches:
- target: {kind: NetworkPolicy, name: prenv-default-deny}
  patch: |-
    - op: add
      path: /metadata/annotations/argocd.argoproj.io~1hook
      value: PostSync
`, want: "networking.k8s.io/NetworkPolicy/test-123-web/prenv-default-deny: metadata.annotations[argocd.argoproj.io/hook]: Forbidden: prenv does not set it: it decides whether the object is a resource of the env or a hook"},
		"a table replica in another region": {kustomize: `apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
patches:
- target: {kind: Table}
  patch: |-
    - op: add
      path: /spec/tableReplicas
      value: [{regionName: us-east-1}]
`, want: "dynamodb.services.k8s.aws/Table/test-123-web/sessions: spec.tableReplicas: Forbidden: prenv does not set it: a Table's spec comes from spec.dynamodb.tables alone"},
		"a List wrapping a Role": {templates: map[string]string{"list.yaml": `apiVersion: v1
kind: List
metadata: {name: wrapped}
items:
- apiVersion: rbac.authorization.k8s.io/v1
  kind: Role
  metadata: {name: admin}
  rules: [{apiGroups: ["*"], resources: ["*"], verbs: ["*"]}]
`}, want: "List/test-123-web/wrapped: items: Forbidden: List holds a list of objects"},
	}
}

// TestRenderWritesNamespaces: an object of the caller's templates without
// metadata.namespace comes out in the env's namespace.
func TestRenderWritesNamespaces(t *testing.T) {
	env := golden.ExampleSpecs(t, spec.Load)["web"]
	opts := render.Options{Templates: fstest.MapFS{"extra.yaml": {Data: []byte("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings}\ndata: {mode: preview}\n")}}}
	out, err := render.Render(context.Background(), env, testkit.GoldenPR, opts)
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range out.Objects {
		if o.GetName() == "settings" {
			if o.GetNamespace() != "test-123-web" {
				t.Fatalf("namespace %q", o.GetNamespace())
			}
			return
		}
	}
	t.Fatal("no ConfigMap settings")
}

// TestRenderRefusesPodSecurityLabels: a spec that sets a Pod Security
// Admission label is refused before anything renders.
func TestRenderRefusesPodSecurityLabels(t *testing.T) {
	env := golden.ExampleSpecs(t, spec.Load)["web"]
	env.Spec.Labels = map[string]string{"pod-security.kubernetes.io/enforce": "privileged"}
	_, err := render.Render(context.Background(), env, testkit.GoldenPR, render.Options{})
	var inv *spec.InvalidError
	if !errors.As(err, &inv) || len(inv.Errs) != 1 || inv.Errs[0].Field != "spec.labels[pod-security.kubernetes.io/enforce]" {
		t.Fatalf("got %v", err)
	}
}
