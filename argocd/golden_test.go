package argocd

import (
	"context"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"prenv.dev/prenv/internal/golden"
	"prenv.dev/prenv/render"
)

// examplesDir holds the examples (examples/<name>/prenv.yaml).
const examplesDir = "../examples"

// goldenPRs are the pull requests whose Applications are golden files of
// every example with an argocd section: an ordinary one, and a hostile one
// (largest number, a 255-character branch of capitals, slashes, unicode and
// template syntax).
var goldenPRs = []PullRequest{
	{
		Number: 123, Branch: "feature/login", TargetBranch: "main",
		HeadSHA: "3f786850e387550fdab836ed7e6dc881de23001b", Labels: []string{"preview"},
		Author: "octocat", Title: "Add the login page",
	},
	{
		Number: render.MaxPR, Branch: hostileBranch(), TargetBranch: "release/2026.11",
		HeadSHA: "89e6c98d92887913cadf06b2adb97f26cde4849b", Labels: []string{"preview", "needs review"},
		Author: "Zoë-Ünïcode", Title: `"Fix": {{ .number }} & <script>`,
	},
}

// hostileBranch is 255 characters: capitals, slashes, spaces, unicode,
// an emoji and Go template syntax, then padding.
func hostileBranch() string {
	b := "Feature/ÜBER_Långt-名前 🚀/{{ .number }}/..//--"
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
					if want := render.EnvName(env.Spec.Prefix, pr.Number, env.Metadata.Name); app.GetName() != want {
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

func TestHostileBranch(t *testing.T) {
	b := hostileBranch()
	if len(b) != 255 || !strings.Contains(b, "{{") || !strings.Contains(b, "/") {
		t.Fatalf("hostileBranch() = %q (%d bytes)", b, len(b))
	}
}
