package argocd

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"prenv.dev/prenv/awsrules"
	"prenv.dev/prenv/internal/golden"
	"prenv.dev/prenv/spec"
)

// examplesDir holds the examples (examples/<name>/prenv.yaml).
const examplesDir = "../examples"

// goldenPRs are the pull requests whose Applications are golden files of
// every example with an argocd section: an ordinary one, and a hostile one
// (largest number, a 255-character branch of capitals, slashes, unicode and
// template syntax). Both carry the examples' label and match their filters
// (branches starting with feature/).
var goldenPRs = []PullRequest{
	{
		Number: 123, Branch: "feature/login", TargetBranch: "main",
		HeadSHA: "3f786850e387550fdab836ed7e6dc881de23001b", Labels: []string{"preview"},
		Author: "octocat", Title: "Add the login page",
	},
	{
		Number: spec.MaxPR, Branch: hostileBranch(), TargetBranch: "release/2026.11",
		HeadSHA: "89e6c98d92887913cadf06b2adb97f26cde4849b", Labels: []string{"preview", "needs review"},
		Author: "Zoë-Ünïcode", Title: `"Fix": {{ .number }} & <script>`,
	},
}

// hostileBranch is 255 characters: it starts as the examples' filters
// want (feature/), then capitals, slashes, spaces, unicode, an emoji, Go
// template syntax, "..", then padding.
func hostileBranch() string {
	b := "feature/ÜBER_Långt-名前 🚀/{{ .number }}/..//--"
	for len(b) < 255 {
		b += "X"
	}
	return b[:255]
}

// TestGolden renders every example that has an argocd section and compares
// golden/<example>/appset.yaml and golden/<example>/apps-pr<N>.yaml;
// go test ./argocd -update (or go test ./... -update) rewrites them.
func TestGolden(t *testing.T) {
	found := 0
	for _, example := range golden.Examples(t) {
		env := loadSpec(t, filepath.Join(golden.Root(t), "examples", example, "prenv.yaml"))
		if env.Spec.ArgoCD == nil {
			continue
		}
		found++
		t.Run(example, func(t *testing.T) {
			ctx := context.Background()
			objs, err := AppSet(ctx, env, Options{})
			if err != nil {
				t.Fatal(err)
			}
			validateObjects(t, objs)
			checkGolden(t, example+"/appset.yaml", objs)
			for _, pr := range goldenPRs {
				t.Run("pr"+strconv.Itoa(pr.Number), func(t *testing.T) {
					app, err := Application(ctx, env, pr, Options{})
					if err != nil {
						t.Fatal(err)
					}
					validateObjects(t, []*unstructured.Unstructured{app})
					if want := awsrules.EnvName(env.Spec.Prefix, pr.Number, env.Metadata.Name); app.GetName() != want {
						t.Errorf("Application name %q, want the env name %q", app.GetName(), want)
					}
					checkGolden(t, example+"/apps-pr"+strconv.Itoa(pr.Number)+".yaml", []*unstructured.Unstructured{app})
				})
			}
		})
	}
	if found == 0 {
		t.Fatal("no example has an argocd section")
	}
}

// checkGolden compares objs, marshalled, with golden/<name>.
func checkGolden(t *testing.T, name string, objs []*unstructured.Unstructured) {
	t.Helper()
	got, err := Marshal(objs)
	if err != nil {
		t.Fatal(err)
	}
	golden.Check(t, name, got)
}

// TestHostileBranch generates, through Application, the Application of
// the hostile golden pull request (and variants) for every example with an
// argocd section, with source paths built from every parameter the check
// allows: the name is the env name, the branch reaches spec.info as it is
// and nothing else, and a path that the branch could lead out of its folder
// is refused, at spec-check time ({{branch}}) or after the template ran
// (an empty branch_slug).
func TestHostileBranch(t *testing.T) {
	if b := hostileBranch(); len(b) != 255 || !strings.Contains(b, "{{") || !strings.Contains(b, "..") {
		t.Fatalf("hostileBranch() = %q (%d bytes)", b, len(b))
	}
	ctx := context.Background()
	base := goldenPRs[1]
	with := func(branch string) PullRequest { pr := base; pr.Branch = branch; return pr }
	tests := map[string]struct {
		path    string // spec.argocd.source.path; the example's when empty
		pr      PullRequest
		opts    Options
		wantErr any // nil, or a pointer to the error type wanted
	}{
		"the golden hostile branch": {pr: base},
		"slashes and dots":          {pr: with("feature/../../../../other-team")},
		"branch_slug in the path":   {path: "envs/{{branch_slug}}/pr-{{number}}", pr: with("feature/../../../../other-team")},
		"every allowed parameter":   {path: "envs/{{ .branch_slug }}/{{target_branch_slug}}/{{head_short_sha}}/{{head_short_sha_7}}/{{head_sha}}/pr-{{number}}", pr: base},
		"raw branch refused by the check": {
			path: "envs/{{branch}}/pr-{{number}}", pr: with("feature/../../../../other-team"), wantErr: new(*spec.InvalidError),
		},
		"an empty branch_slug is refused after the template": {
			path: "envs/{{branch_slug}}/pr-{{number}}", pr: with("🚀/___"), opts: Options{IgnoreFilters: true}, wantErr: new(*UnsafePathError),
		},
		"a branch outside the filters is not generated": {
			pr: with("Feature/x"), wantErr: new(*NotGeneratedError),
		},
	}
	for _, example := range golden.Examples(t) {
		env := loadSpec(t, filepath.Join(golden.Root(t), "examples", example, "prenv.yaml"))
		if env.Spec.ArgoCD == nil || env.Spec.ArgoCD.Source.Plugin != nil {
			continue
		}
		for name, tc := range tests {
			t.Run(example+"/"+name, func(t *testing.T) {
				env := loadSpec(t, filepath.Join(golden.Root(t), "examples", example, "prenv.yaml"))
				if tc.path != "" {
					env.Spec.ArgoCD.Source.Path = tc.path
				}
				app, err := Application(ctx, env, tc.pr, tc.opts)
				if tc.wantErr != nil {
					if err == nil || !errors.As(err, tc.wantErr) {
						t.Fatalf("err = %v (%T), want %T", err, err, tc.wantErr)
					}
					return
				}
				if err != nil {
					t.Fatal(err)
				}
				validateObjects(t, []*unstructured.Unstructured{app})
				if want := awsrules.EnvName(env.Spec.Prefix, tc.pr.Number, env.Metadata.Name); app.GetName() != want {
					t.Errorf("name %q, want %q", app.GetName(), want)
				}
				path, _, _ := unstructured.NestedString(app.Object, "spec", "source", "path")
				if why := CheckPath(path); why != "" {
					t.Errorf("source.path %q %s", path, why)
				}
				var where []string
				walkStrings(app.Object, "", func(at, v string) {
					if strings.Contains(v, tc.pr.Branch) {
						where = append(where, at)
					}
				})
				if !slices.Equal(where, []string{"spec.info[1].value"}) {
					t.Errorf("the branch is at %q, want only spec.info[1].value (Branch)", where)
				}
			})
		}
	}
}

// walkStrings calls f with every string of v, map keys included, and its
// path.
func walkStrings(v any, at string, f func(at, v string)) {
	switch v := v.(type) {
	case string:
		f(at, v)
	case []any:
		for i, e := range v {
			walkStrings(e, fmt.Sprintf("%s[%d]", at, i), f)
		}
	case map[string]any:
		for _, k := range slices.Sorted(maps.Keys(v)) {
			p := strings.TrimPrefix(at+"."+k, ".")
			f(p+"<key>", k)
			walkStrings(v[k], p, f)
		}
	}
}
