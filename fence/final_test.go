package fence_test

import (
	"bufio"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"

	"prenv.dev/prenv/fence"
	"prenv.dev/prenv/internal/golden"
	"prenv.dev/prenv/internal/testkit"
	"prenv.dev/prenv/kit"
	"prenv.dev/prenv/manifest"
	"prenv.dev/prenv/plan"
	"prenv.dev/prenv/render"
	"prenv.dev/prenv/spec"
)

// finalCase is testdata/final/<case>/case.yaml. The case folder may hold
// templates/ (given as Options.Templates, as --templates) and kustomize/ (a
// kustomization applied over the objects, as --kustomize).
type finalCase struct {
	// Example is the example whose spec is rendered for testkit.GoldenPR.
	Example string `json:"example"`
	// Chart adds charts/preview-app with the example's app-values.yaml.
	Chart bool `json:"chart"`
	// Want is every problem CheckObjects must report, in order.
	Want []wantProblem `json:"want"`
}

type wantProblem struct {
	// Object is the ObjectRef as a string.
	Object string `json:"object"`
	// Field is the path inside the object.
	Field string `json:"field"`
	// Type is the field.ErrorType, for example FieldValueForbidden.
	Type string `json:"type"`
	// Message are fragments of the whole message (ObjectError.Error()).
	Message []string `json:"message"`
}

// finalObjects renders an example for testkit.GoldenPR as render env does with
// --templates, --chart and --kustomize: templates, then the chart, then the
// kustomization.
func finalObjects(t testing.TB, example, templates string, chart bool, kustomize string) (*spec.PreviewEnvironment, *plan.Model, []*unstructured.Unstructured) {
	t.Helper()
	root := golden.Root(t)
	data, err := os.ReadFile(filepath.Join(root, "examples", example, "prenv.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	env, err := spec.Load(data)
	if err != nil {
		t.Fatal(err)
	}
	var opts render.Options
	if templates != "" {
		opts.Templates = os.DirFS(templates)
	}
	ctx := context.Background()
	// The unfenced objects: this test runs the final checks itself.
	r, err := render.NewRenderer(opts)
	if err != nil {
		t.Fatal(err)
	}
	out, err := r.Objects(ctx, env, testkit.GoldenPR)
	if err != nil {
		t.Fatal(err)
	}
	objs := out.Objects
	if chart {
		values, err := os.ReadFile(filepath.Join(root, "examples", example, "app-values.yaml"))
		if err != nil {
			t.Fatal(err)
		}
		app, err := kit.RenderChart(ctx, out.Model, kit.ChartOptions{Dir: filepath.Join(root, "charts", "preview-app"), Values: [][]byte{values}})
		if err != nil {
			t.Fatal(err)
		}
		objs = append(objs, app...)
		manifest.SortObjects(objs)
	}
	if kustomize != "" {
		if objs, err = kit.Kustomize(ctx, kustomize, objs); err != nil {
			t.Fatal(err)
		}
	}
	return env, out.Model, objs
}

// TestCheckObjectsCases runs every case of testdata/final: templates, a
// chart and a kustomization shape an example's objects, and CheckObjects
// must report exactly the case's problems.
func TestCheckObjectsCases(t *testing.T) {
	dirs, err := filepath.Glob(filepath.Join("testdata", "final", "*", "case.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if len(dirs) < 10 {
		t.Fatalf("want at least 10 cases, found %d", len(dirs))
	}
	for _, file := range dirs {
		dir := filepath.Dir(file)
		t.Run(filepath.Base(dir), func(t *testing.T) {
			b, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			var c finalCase
			if err := yaml.UnmarshalStrict(b, &c); err != nil {
				t.Fatal(err)
			}
			if c.Want == nil {
				t.Fatal("case.yaml needs want (an empty list when no problem is expected)")
			}
			templates, kustomize := filepath.Join(dir, "templates"), filepath.Join(dir, "kustomize")
			if _, err := os.Stat(templates); err != nil {
				templates = ""
			}
			if _, err := os.Stat(kustomize); err != nil {
				kustomize = ""
			}
			if templates == "" && kustomize == "" && !c.Chart {
				t.Fatal("the case shapes nothing: give it templates/, kustomize/ or chart: true")
			}
			env, m, objs := finalObjects(t, c.Example, templates, c.Chart, kustomize)
			got := fence.CheckObjects(m, objs, fence.ObjectRules{AppKinds: spec.AppKinds(env)})
			checkProblems(t, got, c.Want)
		})
	}
}

func checkProblems(t *testing.T, got []*fence.ObjectError, want []wantProblem) {
	t.Helper()
	var lines []string
	for _, e := range got {
		lines = append(lines, e.Error())
	}
	if len(got) != len(want) {
		t.Fatalf("got %d problems, want %d:\n%s", len(got), len(want), strings.Join(lines, "\n"))
	}
	for i, w := range want {
		g := got[i]
		if g.Object.String() != w.Object || g.Err.Field != w.Field || string(g.Err.Type) != w.Type {
			t.Errorf("problem %d is %s %s %s, want %s %s %s:\n%s", i, g.Object, g.Err.Field, g.Err.Type, w.Object, w.Field, w.Type, lines[i])
		}
		if len(w.Message) == 0 {
			t.Errorf("problem %d: the case names no message fragment", i)
		}
		for _, frag := range w.Message {
			if !strings.Contains(lines[i], frag) {
				t.Errorf("problem %d does not say %q:\n%s", i, frag, lines[i])
			}
		}
	}
}

// TestCheckObjectsPolicyEdits edits the model's own policy document (so
// that the cases hold whatever names prenv gives) and applies the edit as a
// kustomize patch written to a temporary folder.
func TestCheckObjectsPolicyEdits(t *testing.T) {
	statement := func(doc map[string]any, sid string) map[string]any {
		for _, s := range doc["Statement"].([]any) {
			if s := s.(map[string]any); s["Sid"] == sid {
				return s
			}
		}
		t.Fatalf("no statement %s", sid)
		return nil
	}
	for _, c := range []struct {
		name, example string
		reason        string
		edit          func(doc map[string]any)
		want          []wantProblem
	}{{
		name: "reformatted", example: "web",
		reason: "statements and actions reordered, actions in upper case, Sids dropped, one resource as a string: the same policy",
		edit: func(doc map[string]any) {
			stmts := doc["Statement"].([]any)
			slices.Reverse(stmts)
			for _, s := range stmts {
				s := s.(map[string]any)
				delete(s, "Sid")
				actions := s["Action"].([]any)
				slices.Reverse(actions)
				for i, a := range actions {
					actions[i] = strings.ToUpper(a.(string))
				}
				if r := s["Resource"].([]any); len(r) == 1 {
					s["Resource"] = r[0]
				}
			}
		},
		want: []wantProblem{},
	}, {
		name: "not-action", example: "web",
		reason: "an added Allow with NotAction grants every action but IAM's",
		edit: func(doc map[string]any) {
			doc["Statement"] = append(doc["Statement"].([]any), map[string]any{"Sid": "Everything", "Effect": "Allow", "NotAction": "iam:*", "Resource": "*"})
		},
		want: []wantProblem{
			{Field: "spec.policyDocument", Type: "FieldValueInvalid", Message: []string{`Statement[3] (Sid Everything): not in prenv's document {"Effect":"Allow","NotAction":["iam:*"],"Resource":["*"]}`}},
			{Field: "spec.policyDocument", Type: "FieldValueForbidden", Message: []string{"Statement[3] (Sid Everything) allows with NotAction, which grants every action not listed"}},
			{Field: "spec.policyDocument", Type: "FieldValueForbidden", Message: []string{`Statement[3] (Sid Everything) has the wildcard NotAction "iam:*"`}},
			{Field: "spec.policyDocument", Type: "FieldValueForbidden", Message: []string{`Statement[3] (Sid Everything) has the wildcard Resource "*"`}},
		},
	}, {
		name: "user-wildcards", example: "large",
		reason: `the spec's statements have the resources "*" and ".../*": dropping a condition changes the document, but only "s3:*" is a wildcard no statement of the spec wrote`,
		edit: func(doc map[string]any) {
			statement(doc, "ReadAssets")["Action"] = "s3:*"
			delete(statement(doc, "PublishMetrics"), "Condition")
		},
		want: []wantProblem{
			{Field: "spec.policyDocument", Type: "FieldValueInvalid", Message: []string{
				`(Sid ReadAssets).Action: ["s3:*"] instead of ["s3:getobject","s3:listbucket"]`,
				`(Sid PublishMetrics).Condition: removed`,
			}},
			{Field: "spec.policyDocument", Type: "FieldValueForbidden", Message: []string{`(Sid ReadAssets) has the wildcard Action "s3:*"`}},
		},
	}} {
		t.Run(c.name, func(t *testing.T) {
			env, m, _ := finalObjects(t, c.example, "", false, "")
			pm := m.Policies[0]
			var doc map[string]any
			if err := json.Unmarshal([]byte(pm.Document), &doc); err != nil {
				t.Fatal(err)
			}
			c.edit(doc)
			edited, err := json.MarshalIndent(doc, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			patch, err := json.Marshal([]map[string]any{{"op": "replace", "path": "/spec/policyDocument", "value": string(edited)}})
			if err != nil {
				t.Fatal(err)
			}
			dir := t.TempDir()
			k := "patches:\n- target: {group: iam.services.k8s.aws, kind: Policy, name: " + pm.ObjectName + "}\n  path: patch.json\n"
			if err := os.WriteFile(filepath.Join(dir, "kustomization.yaml"), []byte(k), 0o644); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, "patch.json"), patch, 0o644); err != nil {
				t.Fatal(err)
			}
			_, _, objs := finalObjects(t, c.example, "", false, dir)
			ref := fence.ObjectRef{GroupKind: spec.GroupKind{Group: spec.GroupIAM, Kind: "Policy"}, Namespace: m.Namespace, Name: pm.ObjectName}
			for i := range c.want {
				c.want[i].Object = ref.String()
			}
			checkProblems(t, fence.CheckObjects(m, objs, fence.ObjectRules{AppKinds: spec.AppKinds(env)}), c.want)
		})
	}
}

// TestCheckObjectsExamples: every example, with its app chart where it has
// app-values.yaml, passes as prenv renders it and through a kustomization
// that only adds labels (to every object but the Namespace, whose labels
// are spec.labels alone) and annotations (written to a temporary folder).
func TestCheckObjectsExamples(t *testing.T) {
	root := golden.Root(t)
	neutral := t.TempDir()
	k := "resources: []\nlabels:\n- pairs: {team: platform}\n  fields:\n"
	for _, kind := range []string{"ConfigMap", "Deployment", "Ingress", "Job", "LimitRange", "NetworkPolicy", "Policy", "Queue", "ResourceQuota", "Role", "RoleBinding", "Secret", "Service", "ServiceAccount", "StatefulSet", "Table"} {
		k += "  - {path: metadata/labels, create: true, kind: " + kind + "}\n"
	}
	k += "commonAnnotations:\n  example.com/reviewed: \"true\"\n"
	if err := os.WriteFile(filepath.Join(neutral, "kustomization.yaml"), []byte(k), 0o644); err != nil {
		t.Fatal(err)
	}
	examples := golden.Examples(t)
	if len(examples) < 4 {
		t.Fatalf("want at least 4 examples, found %v", examples)
	}
	for _, name := range examples {
		_, err := os.Stat(filepath.Join(root, "examples", name, "app-values.yaml"))
		chart := err == nil
		for _, kz := range []string{"", neutral} {
			t.Run(name+map[bool]string{false: "", true: "/kustomized"}[kz != ""], func(t *testing.T) {
				env, m, objs := finalObjects(t, name, "", chart, kz)
				for _, e := range fence.CheckObjects(m, objs, fence.ObjectRules{AppKinds: spec.AppKinds(env)}) {
					t.Error(e)
				}
			})
		}
	}
}

// TestCheckObjectsAppKinds: nil AppKinds allow the preview-app chart's
// kinds, an empty list none, and a cluster-scoped kind stays refused even
// when a caller lists it.
func TestCheckObjectsAppKinds(t *testing.T) {
	_, m, objs := finalObjects(t, "web", "", true, "")
	if errs := fence.CheckObjects(m, objs, fence.ObjectRules{}); len(errs) != 0 {
		t.Errorf("nil AppKinds: %v", errs)
	}
	var got []string
	for _, e := range fence.CheckObjects(m, objs, fence.ObjectRules{AppKinds: []spec.GroupKind{}}) {
		got = append(got, e.Object.String()+" "+e.Err.Field+" "+string(e.Err.Type))
	}
	want := []string{
		"Service/test-123-web/web kind FieldValueForbidden",
		"apps/Deployment/test-123-web/web kind FieldValueForbidden",
		"networking.k8s.io/Ingress/test-123-web/web kind FieldValueForbidden",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("empty AppKinds (-want +got):\n%s", diff)
	}

	crb := &unstructured.Unstructured{}
	crb.SetAPIVersion("rbac.authorization.k8s.io/v1")
	crb.SetKind("ClusterRole")
	crb.SetName("reader")
	rules := fence.ObjectRules{AppKinds: append(spec.DefaultAppResources(), spec.GroupKind{Group: "rbac.authorization.k8s.io", Kind: "ClusterRole"})}
	errs := fence.CheckObjects(m, append(slices.Clone(objs), crb), rules)
	if len(errs) != 1 || errs[0].Object.String() != "rbac.authorization.k8s.io/ClusterRole/reader" || !strings.Contains(errs[0].Error(), "cluster-scoped") {
		t.Errorf("a listed cluster-scoped kind: got %v, want one cluster-scoped problem of ClusterRole/reader", errs)
	}
}

// TestEnvKindsMatchRender keeps EnvKinds equal to the kinds the embedded
// kit renders for every example (the Namespace aside).
func TestEnvKindsMatchRender(t *testing.T) {
	for _, name := range golden.Examples(t) {
		t.Run(name, func(t *testing.T) {
			out := testkit.RenderExample(t, name)
			var got []spec.GroupKind
			for _, o := range out.Objects {
				gk := spec.GroupKind{Group: o.GroupVersionKind().Group, Kind: o.GetKind()}
				if gk != (spec.GroupKind{Kind: "Namespace"}) && !slices.Contains(got, gk) {
					got = append(got, gk)
				}
			}
			want := plan.EnvKinds(out.Model)
			slices.SortFunc(got, func(x, y spec.GroupKind) int {
				return strings.Compare(x.Group+"/"+x.Kind, y.Group+"/"+y.Kind)
			})
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("EnvKinds (-want) and the rendered kinds (+got) differ:\n%s", diff)
			}
		})
	}
}

// TestClusterScopedKindsMatchAPI keeps ClusterScopedKinds equal to the
// types that k8s.io/api and k8s.io/apiextensions-apiserver, at the versions
// go.mod requires, mark +genclient:nonNamespaced, plus the aggregator's
// APIService.
func TestClusterScopedKindsMatchAPI(t *testing.T) {
	out, err := exec.Command("go", "list", "-m", "-json", "k8s.io/api", "k8s.io/apiextensions-apiserver").Output()
	if err != nil {
		t.Skipf("cannot locate the k8s.io modules: %v", err)
	}
	dec := json.NewDecoder(strings.NewReader(string(out)))
	want := []spec.GroupKind{{Group: "apiregistration.k8s.io", Kind: "APIService"}}
	modules := 0
	for dec.More() {
		var mod struct{ Path, Dir string }
		if err := dec.Decode(&mod); err != nil {
			t.Fatal(err)
		}
		if mod.Dir == "" {
			t.Skipf("%s is not in the module cache (go mod download)", mod.Path)
		}
		modules++
		want = append(want, nonNamespaced(t, mod.Dir)...)
	}
	if modules != 2 {
		t.Fatalf("go list found %d modules, want 2", modules)
	}
	slices.SortFunc(want, func(x, y spec.GroupKind) int {
		return strings.Compare(x.Group+"/"+x.Kind, y.Group+"/"+y.Kind)
	})
	want = slices.Compact(want)
	if len(want) < 30 {
		t.Fatalf("found only %d cluster-scoped kinds; the scan is broken", len(want))
	}
	got := spec.ClusterScopedKinds()
	slices.SortFunc(got, func(x, y spec.GroupKind) int {
		return strings.Compare(x.Group+"/"+x.Kind, y.Group+"/"+y.Kind)
	})
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("ClusterScopedKinds (+got) differs from the +genclient:nonNamespaced types (-want):\n%s", diff)
	}
	for _, gk := range []spec.GroupKind{{Kind: "ConfigMap"}, {Group: "rbac.authorization.k8s.io", Kind: "Role"}, {Group: "iam.services.k8s.aws", Kind: "Role"}} {
		if spec.IsClusterScoped(gk) {
			t.Errorf("%v is namespaced", gk)
		}
	}
}

var (
	groupNameRE = regexp.MustCompile(`GroupName\s*=\s*"([^"]*)"`)
	typeRE      = regexp.MustCompile(`^type ([A-Z][A-Za-z0-9]*) struct`)
)

// nonNamespaced scans a module's API packages (those with a register.go
// naming their GroupName) for types marked +genclient:nonNamespaced.
func nonNamespaced(t *testing.T, dir string) []spec.GroupKind {
	t.Helper()
	var out []spec.GroupKind
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || d.Name() != "register.go" {
			return err
		}
		reg, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		m := groupNameRE.FindSubmatch(reg)
		if m == nil {
			return nil
		}
		group := string(m[1])
		files, err := filepath.Glob(filepath.Join(filepath.Dir(p), "*.go"))
		if err != nil {
			return err
		}
		for _, f := range files {
			if strings.HasSuffix(f, "_test.go") || strings.HasPrefix(filepath.Base(f), "zz_generated") {
				continue
			}
			fh, err := os.Open(f)
			if err != nil {
				return err
			}
			sc := bufio.NewScanner(fh)
			marked := false
			for sc.Scan() {
				line := strings.TrimSpace(sc.Text())
				if line == "// +genclient:nonNamespaced" {
					marked = true
					continue
				}
				if tm := typeRE.FindStringSubmatch(line); tm != nil {
					if marked {
						out = append(out, spec.GroupKind{Group: group, Kind: tm[1]})
					}
					marked = false
				}
			}
			fh.Close()
			if err := sc.Err(); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestObjectRefString(t *testing.T) {
	for _, c := range []struct {
		ref  fence.ObjectRef
		want string
	}{
		{fence.ObjectRef{GroupKind: spec.GroupKind{Kind: "Namespace"}, Name: "kube-system"}, "Namespace/kube-system"},
		{fence.ObjectRef{GroupKind: spec.GroupKind{Kind: "ConfigMap"}, Namespace: "test-1-web", Name: "web-prenv"}, "ConfigMap/test-1-web/web-prenv"},
		{fence.ObjectRef{GroupKind: spec.GroupKind{Group: "iam.services.k8s.aws", Kind: "Role"}, Namespace: "test-1-web", Name: "web"}, "iam.services.k8s.aws/Role/test-1-web/web"},
	} {
		if got := c.ref.String(); got != c.want {
			t.Errorf("%#v.String() = %q, want %q", c.ref, got, c.want)
		}
	}
}
