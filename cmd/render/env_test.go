package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"prenv.dev/prenv/manifest"
)

const specYAML = `apiVersion: prenv.dev/v1alpha1
kind: PreviewEnvironment
metadata:
  name: shop
spec:
  prefix: pr
  aws:
    accountID: "210987654321"
    region: eu-west-1
    oidcProviderURL: https://oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLE
  dynamodb:
    tables:
    - name: orders
      attributes:
      - {name: id, type: S}
      hashKey: id
  sqs:
    queues:
    - name: jobs
`

const invalidYAML = `apiVersion: prenv.dev/v1alpha1
kind: PreviewEnvironment
metadata:
  name: Shop
spec:
  prefix: pr
  aws:
    accountID: "123"
    region: eu-west-1
    oidcProviderURL: http://issuer.example.com
`

type result struct {
	code           int
	stdout, stderr string
}

func runCLI(t *testing.T, stdin string, args ...string) result {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(context.Background(), args, strings.NewReader(stdin), &out, &errb)
	return result{code, out.String(), errb.String()}
}

func writeFile(t *testing.T, dir, name, data string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// objects parses the YAML stream render env printed.
func objects(t *testing.T, stdout string) map[string]map[string]any {
	t.Helper()
	objs, err := manifest.ParseObjects([]byte(stdout))
	if err != nil {
		t.Fatalf("output does not parse: %v\n%s", err, stdout)
	}
	byKey := map[string]map[string]any{}
	for _, o := range objs {
		byKey[o.GetKind()+"/"+o.GetName()] = o.Object
	}
	return byKey
}

func TestEnvOK(t *testing.T) {
	spec := writeFile(t, t.TempDir(), "prenv.yaml", specYAML)
	r := runCLI(t, "", "env", "-f", spec, "--pr", "123")
	if r.code != exitOK || r.stderr != "" {
		t.Fatalf("exit %d, stderr %q", r.code, r.stderr)
	}
	objs := objects(t, r.stdout)
	var keys []string
	for k := range objs {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	want := []string{"ConfigMap/shop-prenv", "LimitRange/prenv", "Namespace/pr-123-shop",
		"NetworkPolicy/prenv-allow-dns", "NetworkPolicy/prenv-allow-egress", "NetworkPolicy/prenv-allow-ingress",
		"NetworkPolicy/prenv-allow-same-namespace", "NetworkPolicy/prenv-default-deny",
		"Policy/shop", "Queue/jobs", "ResourceQuota/prenv", "Role/shop", "ServiceAccount/shop", "Table/orders"}
	if !slices.Equal(keys, want) {
		t.Errorf("objects %v, want %v", keys, want)
	}
	// The same spec from standard input gives the same bytes.
	in := runCLI(t, specYAML, "env", "-f", "-", "--pr", "123")
	if in.code != exitOK || in.stdout != r.stdout {
		t.Errorf("-f - : exit %d, same output %v, stderr %q", in.code, in.stdout == r.stdout, in.stderr)
	}
}

func TestEnvExample(t *testing.T) {
	r := runCLI(t, "", "env", "-f", filepath.Join("..", "..", "examples", "web", "prenv.yaml"), "--pr", "123")
	if r.code != exitOK {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	if _, ok := objects(t, r.stdout)["Namespace/test-123-web"]; !ok {
		t.Error("no namespace test-123-web")
	}
}

func TestEnvInvalid(t *testing.T) {
	dir := t.TempDir()
	bad := writeFile(t, dir, "bad.yaml", invalidYAML)
	tests := map[string]struct {
		args      []string
		stdin     string
		wantPaths []string
	}{
		"invalid values": {[]string{"env", "-f", bad, "--pr", "5"}, "", []string{"metadata.name", "spec.aws.accountID", "spec.aws.oidcProviderURL"}},
		"unknown field":  {[]string{"env", "-f", "-", "--pr", "5"}, specYAML + "  dns:\n    zones: x\n", []string{"spec.dns.zones: Forbidden: line 21, column 5: unknown field; did you mean \"zone\"?"}},
		"bad --set":      {[]string{"env", "-f", "-", "--pr", "5", "--set", "spec.prefix"}, specYAML, []string{"--set[0]"}},
		"--set breaks a rule": {[]string{"env", "-f", "-", "--pr", "5", "--set", "spec.sqs.queues[0].delaySeconds=901"}, specYAML,
			[]string{"spec.sqs.queues[0].delaySeconds: Invalid value: 901"}},
		"not YAML": {[]string{"env", "-f", "-", "--pr", "5"}, "a: [", []string{"not valid YAML"}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			r := runCLI(t, tc.stdin, tc.args...)
			if r.code != exitInvalid {
				t.Fatalf("exit %d, want %d; stderr %q", r.code, exitInvalid, r.stderr)
			}
			if r.stdout != "" {
				t.Errorf("stdout not empty: %q", r.stdout)
			}
			for _, p := range tc.wantPaths {
				if !strings.Contains(r.stderr, p) {
					t.Errorf("stderr does not name %q:\n%s", p, r.stderr)
				}
			}
			if strings.Contains(r.stderr, "internal error") {
				t.Errorf("an invalid spec reported as a bug:\n%s", r.stderr)
			}
		})
	}
	t.Run("every problem, one per line", func(t *testing.T) {
		r := runCLI(t, "", "env", "-f", bad, "--pr", "5")
		if !strings.HasPrefix(r.stderr, bad+": invalid spec, 3 problem(s):\n") {
			t.Errorf("stderr starts %q", r.stderr)
		}
		if n := strings.Count(r.stderr, "\n  "); n != 3 {
			t.Errorf("%d problem lines:\n%s", n, r.stderr)
		}
	})
}

func TestEnvUsage(t *testing.T) {
	spec := writeFile(t, t.TempDir(), "prenv.yaml", specYAML)
	tests := map[string]struct {
		args       []string
		wantStderr string
	}{
		"no command":         {nil, "usage: render COMMAND"},
		"unknown command":    {[]string{"envs"}, `unknown command "envs"`},
		"missing --pr":       {[]string{"env", "-f", spec}, "--pr N is required"},
		"--pr not a number":  {[]string{"env", "-f", spec, "--pr", "12a"}, `render env: --pr "12a": not a pull-request number (a whole number from 1 to 2147483647, without sign or leading zero)`},
		"bad flag":           {[]string{"env", "-f", spec, "--pr", "1", "--nope"}, "render env: unknown flag --nope\nRun \"render help env\" for usage.\n"},
		"missing -f":         {[]string{"env", "--pr", "1"}, "-f FILE is required"},
		"missing file":       {[]string{"env", "-f", filepath.Join(t.TempDir(), "absent.yaml"), "--pr", "1"}, "absent.yaml"},
		"extra argument":     {[]string{"env", "-f", spec, "--pr", "1", "more"}, "unexpected arguments"},
		"templates not dir":  {[]string{"env", "-f", spec, "--pr", "1", "--templates", spec}, "not a readable folder"},
		"templates missing":  {[]string{"env", "-f", spec, "--pr", "1", "--templates", filepath.Join(t.TempDir(), "none")}, "not a readable folder"},
		"--set without arg":  {[]string{"env", "-f", spec, "--pr", "1", "--set"}, "render env: --set needs a value"},
		"--pr without value": {[]string{"env", "-f", spec, "--pr"}, "render env: --pr needs a value"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			r := runCLI(t, "", tc.args...)
			if r.code != exitUsage {
				t.Fatalf("exit %d, want %d; stderr %q", r.code, exitUsage, r.stderr)
			}
			if r.stdout != "" {
				t.Errorf("stdout not empty: %q", r.stdout)
			}
			if !strings.Contains(r.stderr, tc.wantStderr) {
				t.Errorf("stderr does not say %q:\n%s", tc.wantStderr, r.stderr)
			}
		})
	}
	t.Run("help", func(t *testing.T) {
		r := runCLI(t, "", "env", "-h")
		if r.code != exitOK || !strings.HasPrefix(r.stdout, "usage: render env") || r.stderr != "" {
			t.Errorf("exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
		}
	})
}

func TestEnvOverrides(t *testing.T) {
	spec := writeFile(t, t.TempDir(), "prenv.yaml", specYAML)
	tests := map[string]struct {
		flags []string
		check func(t *testing.T, objs map[string]map[string]any, stdout string)
	}{
		"--set prefix": {[]string{"--set", "spec.prefix=review"}, func(t *testing.T, objs map[string]map[string]any, _ string) {
			if _, ok := objs["Namespace/review-9-shop"]; !ok {
				t.Error("no namespace review-9-shop")
			}
		}},
		"--set numeric account ID": {[]string{"--set", "spec.aws.accountID=123456789012"}, func(t *testing.T, _ map[string]map[string]any, out string) {
			if !strings.Contains(out, "arn:aws:iam::123456789012:role/pr-9-shop") || strings.Contains(out, "210987654321") {
				t.Error("the account ID was not replaced")
			}
		}},
		"--set-string account ID with a leading zero": {[]string{"--set-string", "spec.aws.accountID=012345678901"}, func(t *testing.T, _ map[string]map[string]any, out string) {
			if !strings.Contains(out, "arn:aws:iam::012345678901:role/pr-9-shop") {
				t.Error("the account ID was not replaced")
			}
		}},
		"--set list element and bool": {[]string{"--set", "spec.sqs.queues[0].fifo=true"}, func(t *testing.T, objs map[string]map[string]any, _ string) {
			q := objs["Queue/jobs"]
			spec, _ := q["spec"].(map[string]any)
			if spec["queueName"] != "pr-9-shop_jobs.fifo" || spec["fifoQueue"] != "true" {
				t.Errorf("queue spec %v", spec)
			}
		}},
		"--set-string keeps a number a string": {[]string{"--set-string", "spec.tags.cost=4711"}, func(t *testing.T, _ map[string]map[string]any, out string) {
			if !strings.Contains(out, "value: \"4711\"") {
				t.Error("tag cost=4711 missing")
			}
		}},
		"later flags win, across --set and --set-string": {[]string{"--set", "spec.prefix=one", "--set-string", "spec.prefix=two"}, func(t *testing.T, objs map[string]map[string]any, _ string) {
			if _, ok := objs["Namespace/two-9-shop"]; !ok {
				t.Error("no namespace two-9-shop")
			}
		}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			r := runCLI(t, "", append([]string{"env", "-f", spec, "--pr", "9"}, tc.flags...)...)
			if r.code != exitOK {
				t.Fatalf("exit %d: %s", r.code, r.stderr)
			}
			tc.check(t, objects(t, r.stdout), r.stdout)
		})
	}
}

func TestEnvTemplatesOverride(t *testing.T) {
	spec := writeFile(t, t.TempDir(), "prenv.yaml", specYAML)
	base := runCLI(t, "", "env", "-f", spec, "--pr", "3")
	if base.code != exitOK {
		t.Fatal(base.stderr)
	}

	t.Run("by name", func(t *testing.T) {
		dir := t.TempDir()
		// prenv's own ConfigMap keeps prenv's metadata (its sync wave and
		// labels): the override takes it from the kit's helper.
		writeFile(t, dir, "configmap.yaml", `apiVersion: v1
kind: ConfigMap
metadata:
  {{- include "prenv.metadata" (dict "root" $ "name" .Values.configMap.name "wave" .Values.waves.configMap "namespaced" true "ack" false "annotations" dict) | nindent 2 }}
data:
  OVERRIDDEN: "yes"
  APP: {{ .Values.app | toJson }}
`)
		writeFile(t, dir, "notes.txt", "not a template: ignored\n")
		r := runCLI(t, "", "env", "-f", spec, "--pr", "3", "--templates", dir)
		if r.code != exitOK {
			t.Fatalf("exit %d: %s", r.code, r.stderr)
		}
		objs := objects(t, r.stdout)
		data, _ := objs["ConfigMap/shop-prenv"]["data"].(map[string]any)
		if data["OVERRIDDEN"] != "yes" || data["APP"] != "shop" || data["PRENV_APP"] != nil {
			t.Errorf("ConfigMap data %v", data)
		}
		// The other kit templates still render, unchanged.
		baseObjs := objects(t, base.stdout)
		if len(objs) != len(baseObjs) {
			t.Errorf("%d objects, %d without the override", len(objs), len(baseObjs))
		}
		for k, o := range baseObjs {
			if k != "ConfigMap/shop-prenv" && !reflect.DeepEqual(o, objs[k]) {
				t.Errorf("%s changed", k)
			}
		}
	})
	t.Run("adds a new template", func(t *testing.T) {
		dir := t.TempDir()
		writeFile(t, dir, "extra.yaml", `apiVersion: v1
kind: Service
metadata:
  name: {{ printf "%s-extra" .Values.app | toJson }}
  namespace: {{ .Values.namespace | toJson }}
spec:
  ports:
  - port: 80
`)
		r := runCLI(t, "", "env", "-f", spec, "--pr", "3", "--templates", dir)
		if r.code != exitOK {
			t.Fatalf("exit %d: %s", r.code, r.stderr)
		}
		if _, ok := objects(t, r.stdout)["Service/shop-extra"]; !ok {
			t.Error("the added template's object is missing")
		}
	})
	t.Run("a template may not leave the env", func(t *testing.T) {
		dir := t.TempDir()
		writeFile(t, dir, "escape.yaml", `apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata:
  name: web-cluster-admin
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin}
subjects: [{kind: ServiceAccount, name: shop, namespace: {{ .Values.namespace | toJson }}}]
---
apiVersion: v1
kind: Namespace
metadata:
  name: kube-system
`)
		r := runCLI(t, "", "env", "-f", spec, "--pr", "3", "--templates", dir)
		if r.code != exitInvalid || r.stdout != "" {
			t.Fatalf("exit %d, stdout %d bytes: %s", r.code, len(r.stdout), r.stderr)
		}
		for _, want := range []string{"rbac.authorization.k8s.io/ClusterRoleBinding/web-cluster-admin", "Namespace/kube-system"} {
			if !strings.Contains(r.stderr, want) {
				t.Errorf("stderr does not name %s:\n%s", want, r.stderr)
			}
		}
	})
	for name, tpl := range map[string]string{
		"broken template":           "{{ .Values.nope.deeper }}",
		"non-deterministic":         "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ now | toJson }}\n",
		"object without a name":     "apiVersion: v1\nkind: ConfigMap\nmetadata: {}\n",
		"unparsable template":       "{{ if }}",
		"output that is not a YAML": "a: [\n",
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			writeFile(t, dir, "configmap.yaml", tpl)
			r := runCLI(t, "", "env", "-f", spec, "--pr", "3", "--templates", dir)
			if r.code != exitInvalid || r.stdout != "" {
				t.Fatalf("exit %d, stdout %q, stderr %q; want exit %d and no output", r.code, r.stdout, r.stderr, exitInvalid)
			}
			if !strings.Contains(r.stderr, "configmap.yaml") {
				t.Errorf("stderr does not name the template:\n%s", r.stderr)
			}
		})
	}
}

func TestEnvOutputDir(t *testing.T) {
	spec := writeFile(t, t.TempDir(), "prenv.yaml", specYAML)
	out := filepath.Join(t.TempDir(), "rendered")
	r := runCLI(t, "", "env", "-f", spec, "--pr", "8", "--output-dir", out)
	if r.code != exitOK || r.stdout != "" {
		t.Fatalf("exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
	entries, err := os.ReadDir(out)
	if err != nil {
		t.Fatal(err)
	}
	yamls := 0
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".yaml") {
			yamls++
		}
	}
	if yamls != 14 {
		t.Errorf("%d object files, want 14", yamls)
	}
	if _, err := os.Stat(filepath.Join(out, "namespace_pr-8-shop.yaml")); err != nil {
		t.Error(err)
	}
	// A folder holding someone else's file is refused and left alone.
	writeFile(t, out, "KEEP.md", "mine\n")
	r = runCLI(t, "", "env", "-f", spec, "--pr", "9", "--output-dir", out)
	if r.code != exitInvalid || !strings.Contains(r.stderr, "KEEP.md") {
		t.Errorf("exit %d, stderr %q", r.code, r.stderr)
	}
	if _, err := os.Stat(filepath.Join(out, "namespace_pr-8-shop.yaml")); err != nil {
		t.Error("the refused run changed the folder")
	}
}

// TestEnvWritesNamespaceAfterKustomize: an object that a kustomization
// adds without metadata.namespace comes out in the env's namespace, and one
// of another namespace is refused (exit 1) at metadata.namespace.
func TestEnvWritesNamespaceAfterKustomize(t *testing.T) {
	spec := writeFile(t, t.TempDir(), "prenv.yaml", specYAML)
	for name, c := range map[string]struct {
		extra string
		code  int
		want  string
	}{
		"no namespace":      {"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings}\n", exitOK, "name: settings\n  namespace: pr-3-shop\n"},
		"another namespace": {"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings, namespace: pr-5-pay}\n", exitInvalid, "ConfigMap/pr-5-pay/settings: metadata.namespace: Forbidden: must be the env's namespace pr-3-shop"},
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			writeFile(t, dir, "kustomization.yaml", "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: [extra.yaml]\n")
			writeFile(t, dir, "extra.yaml", c.extra)
			r := runCLI(t, "", "env", "-f", spec, "--pr", "3", "--kustomize", dir)
			if r.code != c.code || !strings.Contains(r.stdout+r.stderr, c.want) {
				t.Fatalf("exit %d, want %d and %q:\n%s%s", r.code, c.code, c.want, r.stdout, r.stderr)
			}
		})
	}
}
