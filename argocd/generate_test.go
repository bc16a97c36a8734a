package argocd

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"text/template"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"prenv.dev/prenv/awsrules"
	"prenv.dev/prenv/manifest"
	"prenv.dev/prenv/spec"
)

// hostilePRs are pull requests whose free-text fields are as bad as a
// provider can send: the Application must still be valid and named after
// the number only. Their head SHA is GitHub's form; forProvider adapts it.
func hostilePRs() map[string]PullRequest {
	sha := "0123456789abcdef0123456789abcdef01234567"
	long := strings.Repeat("Ab/Ç_-.", 150)
	pr := func(n int, branch string) PullRequest {
		return PullRequest{Number: n, Branch: branch, TargetBranch: "main", HeadSHA: sha, Labels: []string{"preview"}, Author: "dev", Title: "t"}
	}
	out := map[string]PullRequest{
		"plain":                pr(123, "feature/login"),
		"capitals":             pr(124, "FEATURE/Login-PAGE"),
		"255 characters":       pr(125, hostileBranch()),
		"1050 characters":      pr(126, long),
		"unicode":              pr(127, "fix/ünïcödé-名前-🚀-\u200d\u202e"),
		"template syntax":      pr(128, `{{ .number }}{{ index .labels 0 }}{{ template "x" }}{{`),
		"closing braces":       pr(129, "}}"),
		"one character":        pr(130, "-"),
		"only punctuation":     pr(131, "///---___..."),
		"control characters":   pr(132, "a\nb\tc\x00d\x7f\u0085\u009b\ufffe"),
		"quotes":               pr(133, `it's "quoted" \back\`),
		"dot dot":              pr(134, "../../etc/passwd"),
		"largest number":       pr(spec.MaxPR, "main"),
		"smallest number":      pr(1, "x"),
		"sha-256 repository":   {Number: 135, Branch: "b", TargetBranch: "ü/" + long, HeadSHA: strings.Repeat("ab", 32)},
		"hostile title/author": {Number: 136, Branch: "b", HeadSHA: sha, Author: "{{ .branch }}", Title: "</script>{{ .number }}\n", Labels: []string{"{{", "ü", ""}},
	}
	return out
}

// forProvider gives pr the head SHA the spec's provider reports: Bitbucket
// Cloud's 12-digit short hash, the full SHA for the others.
func forProvider(env *spec.PreviewEnvironment, pr PullRequest) PullRequest {
	if env.Spec.ArgoCD.PullRequests.Bitbucket != nil {
		pr.HeadSHA = pr.HeadSHA[:12]
	}
	return pr
}

func loadSpec(t testing.TB, path string) *spec.PreviewEnvironment {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	env, err := spec.Load(b)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return env
}

func corpus(t *testing.T) map[string]*spec.PreviewEnvironment {
	t.Helper()
	out := map[string]*spec.PreviewEnvironment{}
	files, err := filepath.Glob(filepath.Join("testdata", "specs", "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	files = append(files, filepath.Join(examplesDir, "previews", "prenv.yaml"))
	for _, f := range files {
		out[strings.TrimSuffix(filepath.Base(f), ".yaml")+"@"+filepath.Base(filepath.Dir(f))] = loadSpec(t, f)
	}
	return out
}

// TestCorpus renders every spec of the corpus, validates what it renders
// against the upstream CRDs, and generates the Application of every
// hostile pull request: valid, and named after the env name. The
// generator's labels and filters are ignored here (TestMatch and
// TestApplicationNotGenerated cover them): the template must hold for any
// text a provider sends.
func TestCorpus(t *testing.T) {
	ctx := context.Background()
	for name, env := range corpus(t) {
		t.Run(name, func(t *testing.T) {
			objs, err := AppSet(ctx, env, Options{})
			if err != nil {
				t.Fatal(err)
			}
			validateObjects(t, objs)
			again, err := AppSet(ctx, env, Options{})
			if err != nil {
				t.Fatal(err)
			}
			a, _ := manifest.Marshal(objs)
			b, _ := manifest.Marshal(again)
			if string(a) != string(b) {
				t.Error("two renders differ")
			}
			checkProject(t, env, objs)
			for pname, pr := range hostilePRs() {
				pr := forProvider(env, pr)
				t.Run(pname, func(t *testing.T) {
					app, err := Application(ctx, env, pr, Options{IgnoreFilters: true})
					if err != nil {
						t.Fatal(err)
					}
					validateObjects(t, []*unstructured.Unstructured{app})
					if y, err := Marshal([]*unstructured.Unstructured{app}); err != nil {
						t.Error(err)
					} else if back, err := manifest.ParseObjects(y); err != nil || len(back) != 1 {
						t.Errorf("the Application does not read back: %v", err)
					}
					want := awsrules.EnvName(env.Spec.Prefix, pr.Number, env.Metadata.Name)
					ns, _, _ := unstructured.NestedString(app.Object, "spec", "destination", "namespace")
					if app.GetName() != want || ns != want {
						t.Errorf("Application %q in namespace %q, want both %q", app.GetName(), ns, want)
					}
					if got := app.GetLabels()[spec.LabelPR]; got != strconv.Itoa(pr.Number) {
						t.Errorf("label %s = %q", spec.LabelPR, got)
					}
					for k, v := range app.GetLabels() {
						if strings.Contains(v, pr.Branch) && pr.Branch != "" && len(pr.Branch) > 3 {
							t.Errorf("label %s = %q carries the branch", k, v)
						}
					}
					if !slices.Equal(app.GetFinalizers(), []string{ResourcesFinalizer}) {
						t.Errorf("finalizers = %q", app.GetFinalizers())
					}
					info, _, _ := unstructured.NestedSlice(app.Object, "spec", "info")
					found := false
					for _, i := range info {
						m := i.(map[string]any)
						if m["name"] == "Branch" {
							found = true
							if m["value"] != pr.Branch {
								t.Errorf("info Branch = %q, want the branch as it is, %q", m["value"], pr.Branch)
							}
						}
					}
					if !found {
						t.Error("no Branch info")
					}
				})
			}
		})
	}
}

// checkProject checks the AppProject's fence.
func checkProject(t *testing.T, env *spec.PreviewEnvironment, objs []*unstructured.Unstructured) {
	t.Helper()
	var proj *unstructured.Unstructured
	for _, o := range objs {
		if o.GetKind() == "AppProject" {
			proj = o
		}
	}
	if proj == nil {
		t.Fatal("no AppProject")
	}
	if proj.GetName() != ProjectName(env) {
		t.Errorf("AppProject %q, want %q", proj.GetName(), ProjectName(env))
	}
	cluster, _, _ := unstructured.NestedSlice(proj.Object, "spec", "clusterResourceWhitelist")
	pats := NamespacePatterns(env.Spec.Prefix, env.Metadata.Name)
	if len(cluster) != len(pats) {
		t.Errorf("%d cluster-scoped entries, want one Namespace entry per pattern (%d)", len(cluster), len(pats))
	}
	for i, c := range cluster {
		m := c.(map[string]any)
		if m["group"] != "" || m["kind"] != "Namespace" || m["name"] != pats[i] {
			t.Errorf("clusterResourceWhitelist[%d] = %v", i, m)
		}
	}
	dests, _, _ := unstructured.NestedSlice(proj.Object, "spec", "destinations")
	for i, d := range dests {
		m := d.(map[string]any)
		if m["namespace"] != pats[i] {
			t.Errorf("destinations[%d] = %v", i, m)
		}
		if strings.Contains(m["namespace"].(string), "*") {
			t.Errorf("destinations[%d] has a wildcard", i)
		}
	}
	kinds, _, _ := unstructured.NestedSlice(proj.Object, "spec", "namespaceResourceWhitelist")
	for _, k := range kinds {
		m := k.(map[string]any)
		if m["kind"] == "*" || m["group"] == "*" {
			t.Errorf("wildcard kind %v", m)
		}
	}
	repos, _, _ := unstructured.NestedStringSlice(proj.Object, "spec", "sourceRepos")
	if !slices.Equal(repos, []string{env.Spec.ArgoCD.Source.RepoURL}) {
		t.Errorf("sourceRepos = %q", repos)
	}
}

// TestTemplateParsesAsArgoCD parses every string of the emitted template
// with text/template and Argo CD's function set, and executes it.
func TestTemplateParsesAsArgoCD(t *testing.T) {
	for name, env := range corpus(t) {
		t.Run(name, func(t *testing.T) {
			objs, err := AppSet(context.Background(), env, Options{})
			if err != nil {
				t.Fatal(err)
			}
			var tmpl map[string]any
			for _, o := range objs {
				if o.GetKind() == "ApplicationSet" {
					tmpl, _, _ = unstructured.NestedMap(o.Object, "spec", "template")
				}
			}
			params := hostilePRs()["template syntax"].Params()
			n := 0
			var walkStrings func(v any)
			walkStrings = func(v any) {
				switch v := v.(type) {
				case string:
					n++
					if _, err := template.New("").Funcs(FuncMap()).Option("missingkey=error").Parse(v); err != nil {
						t.Errorf("%q does not parse: %v", v, err)
					}
					execArgo(t, v, params)
				case []any:
					for _, e := range v {
						walkStrings(e)
					}
				case map[string]any:
					for k, e := range v {
						walkStrings(k)
						walkStrings(e)
					}
				}
			}
			walkStrings(tmpl)
			if n < 10 {
				t.Errorf("only %d strings in the template", n)
			}
		})
	}
}

func TestGenerate(t *testing.T) {
	appSet := func(spec map[string]any) *unstructured.Unstructured {
		return &unstructured.Unstructured{Object: map[string]any{
			"apiVersion": "argoproj.io/v1alpha1", "kind": "ApplicationSet",
			"metadata": map[string]any{"name": "x", "namespace": "ns"},
			"spec":     spec,
		}}
	}
	params := PullRequest{Number: 7, Branch: "a_b", HeadSHA: "abcdef0123", Labels: []string{"l1"}}.Params()
	tests := map[string]struct {
		spec    map[string]any
		want    map[string]any
		wantErr string
	}{
		"strings, keys and nested values are templates; other values are copied": {
			spec: map[string]any{"goTemplate": true, "goTemplateOptions": []any{"missingkey=error"}, "template": map[string]any{
				"metadata": map[string]any{"name": "app-{{ .number }}", "namespace": "ignored", "labels": map[string]any{"{{ .branch_slug }}": "{{ index .labels 0 }}"}},
				"spec":     map[string]any{"n": float64(3), "b": true, "l": []any{"{{ .head_short_sha_7 }}", "{{ .branch | upper }}"}},
			}},
			want: map[string]any{
				"apiVersion": "argoproj.io/v1alpha1", "kind": "Application",
				"metadata": map[string]any{"name": "app-7", "namespace": "ns", "labels": map[string]any{"a-b": "l1"}, "finalizers": []any{ResourcesFinalizer}},
				"spec":     map[string]any{"n": float64(3), "b": true, "l": []any{"abcdef0", "A_B"}},
			},
		},
		"no finalizer when resources are preserved": {
			spec: map[string]any{"goTemplate": true, "syncPolicy": map[string]any{"preserveResourcesOnDeletion": true}, "template": map[string]any{
				"metadata": map[string]any{"name": "a"}, "spec": map[string]any{},
			}},
			want: map[string]any{
				"apiVersion": "argoproj.io/v1alpha1", "kind": "Application",
				"metadata": map[string]any{"name": "a", "namespace": "ns"}, "spec": map[string]any{},
			},
		},
		"missingkey=error refuses unknown parameters": {
			spec: map[string]any{"goTemplate": true, "goTemplateOptions": []any{"missingkey=error"}, "template": map[string]any{
				"metadata": map[string]any{"name": "{{ .nope }}"}, "spec": map[string]any{},
			}},
			wantErr: "spec.template.metadata.name",
		},
		"the environment functions are gone": {
			spec: map[string]any{"goTemplate": true, "template": map[string]any{
				"metadata": map[string]any{"name": `{{ env "HOME" }}`}, "spec": map[string]any{},
			}},
			wantErr: `function "env" not defined`,
		},
		"goTemplate is required": {
			spec:    map[string]any{"template": map[string]any{}},
			wantErr: "goTemplate",
		},
		"unknown options are errors": {
			spec:    map[string]any{"goTemplate": true, "goTemplateOptions": []any{"missingkey=bogus"}, "template": map[string]any{}},
			wantErr: "unknown option",
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got, err := Generate(appSet(tc.spec), params)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want one containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got.Object); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// TestSlug checks branch_slug against the values Argo CD's own generator
// tests expect.
func TestSlug(t *testing.T) {
	tests := map[string]string{
		"branch1":          "branch1",
		"my_branch":        "my-branch",
		"a-very-short-sha": "a-very-short-sha",
		"feat/areally+long_pull_request_name_to_test_argo_slugification_and_branch_name_shortening_feature":       "feat-areally-long-pull-request-name-to-test-argo",
		"feat/anotherreally+long_pull_request_name_to_test_argo_slugification_and_branch_name_shortening_feature": "feat-anotherreally-long-pull-request-name-to-test",
		"Feature/Ünïcode": "feature-unicode",
		"///":             "",
	}
	for in, want := range tests {
		t.Run(in, func(t *testing.T) {
			if got := Slug(in); got != want {
				t.Errorf("Slug(%q) = %q, want %q", in, got, want)
			}
		})
	}
	if got := slugify(10, false, "Hello_World and more"); got != "hello-worl" {
		t.Errorf("slugify(10, false, ...) = %q", got)
	}
	if got := Slug("my_branch"); got != "my-branch" {
		t.Errorf("slugify changed the branch slug settings: %q", got)
	}
}

func TestFuncMap(t *testing.T) {
	fm := FuncMap()
	for _, gone := range []string{"env", "expandenv", "getHostByName"} {
		if _, ok := fm[gone]; ok {
			t.Errorf("%s is in the function map", gone)
		}
	}
	for _, want := range []string{"normalize", "slugify", "toYaml", "fromYaml", "fromYamlArray", "sha256sum", "trunc", "substr", "trimAll", "sub", "int"} {
		if _, ok := fm[want]; !ok {
			t.Errorf("%s is missing", want)
		}
	}
	if got := normalize("Feature/Login_Page.."); got != "feature-login-page" {
		t.Errorf("normalize = %q", got)
	}
}

func TestPullRequestCheck(t *testing.T) {
	sha := strings.Repeat("a", 40)
	tests := map[string]struct {
		pr   PullRequest
		want []string
	}{
		"ok":                      {PullRequest{Number: 1, Branch: "b", HeadSHA: sha}, nil},
		"zero":                    {PullRequest{Number: 0, Branch: "b", HeadSHA: sha}, []string{"number"}},
		"too big":                 {PullRequest{Number: spec.MaxPR + 1, Branch: "b", HeadSHA: sha}, []string{"number"}},
		"no branch":               {PullRequest{Number: 1, HeadSHA: sha}, []string{"branch"}},
		"no sha":                  {PullRequest{Number: 1, Branch: "b"}, []string{"headSHA"}},
		"bad sha":                 {PullRequest{Number: 1, Branch: "b", HeadSHA: "main"}, []string{"headSHA"}},
		"upper-case sha":          {PullRequest{Number: 1, Branch: "b", HeadSHA: strings.Repeat("A", 40)}, []string{"headSHA"}},
		"7 digits":                {PullRequest{Number: 1, Branch: "b", HeadSHA: "abcdef1"}, []string{"headSHA"}},
		"39 digits":               {PullRequest{Number: 1, Branch: "b", HeadSHA: sha[:39]}, []string{"headSHA"}},
		"bitbucket cloud's short": {PullRequest{Number: 1, Branch: "b", HeadSHA: sha[:12]}, nil},
		"sha256 repo":             {PullRequest{Number: 1, Branch: "b", HeadSHA: strings.Repeat("a", 64)}, nil},
		"not utf-8":               {PullRequest{Number: 1, HeadSHA: sha, Branch: "\xff", Labels: []string{"ok", "\xfe"}}, []string{"branch", "labels[1]"}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			var got []string
			for _, e := range tc.pr.Check() {
				got = append(got, e.Field)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("fields = %q, want %q", got, tc.want)
			}
		})
	}
}
