package argocd

import (
	"context"
	"testing"
	"unicode/utf8"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"prenv.dev/prenv/awsrules"
	"prenv.dev/prenv/spec"
)

// FuzzGenerate feeds arbitrary pull-request text to the generated
// ApplicationSet's template: whatever the branch, title, author or label,
// the Application is valid, named after the number, and its source path
// stays in its folder; and the generator's labels and filters decide
// without failing.
func FuzzGenerate(f *testing.F) {
	for _, pr := range hostilePRs() {
		label := ""
		if len(pr.Labels) > 0 {
			label = pr.Labels[0]
		}
		f.Add(pr.Number, pr.Branch, pr.TargetBranch, pr.Title, pr.Author, label)
	}
	env := loadSpec(f, "testdata/specs/long-names-gitlab.yaml")
	objs, err := AppSet(context.Background(), env, Options{})
	if err != nil {
		f.Fatal(err)
	}
	appSet := findKind(objs, "ApplicationSet")
	f.Fuzz(func(t *testing.T, n int, branch, target, title, author, label string) {
		pr := PullRequest{Number: n, Branch: branch, TargetBranch: target, Title: title, Author: author, Labels: []string{label}, HeadSHA: "0123456789abcdef0123456789abcdef01234567"}
		if len(pr.Check()) > 0 {
			valid := branch != ""
			for _, s := range []string{branch, target, title, author, label} {
				valid = valid && utf8.ValidString(s)
			}
			if n >= 1 && n <= spec.MaxPR && valid {
				t.Fatalf("Check refused a pull request Argo CD could send: %v", pr.Check())
			}
			return
		}
		switch err := Match(appSet, pr); err.(type) {
		case nil, *NotGeneratedError:
		default:
			t.Fatal(err)
		}
		app, err := Generate(appSet, pr.Params())
		if err != nil {
			t.Fatal(err)
		}
		if pe := checkSourcePaths(appSet, app, pr); pe != nil {
			t.Fatal(pe)
		}
		if want := awsrules.EnvName(env.Spec.Prefix, n, env.Metadata.Name); app.GetName() != want {
			t.Fatalf("name %q, want %q", app.GetName(), want)
		}
		if errs := CheckApplication(app); len(errs) > 0 {
			t.Fatal(errs.ToAggregate())
		}
		if _, err := Marshal([]*unstructured.Unstructured{app}); err != nil {
			t.Fatal(err)
		}
	})
}
