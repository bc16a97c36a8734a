package argocd

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"prenv.dev/prenv/awsrules"
	"prenv.dev/prenv/spec"
)

// appSetWith returns an ApplicationSet whose one generator is pullRequest.
func appSetWith(pullRequest map[string]any) *unstructured.Unstructured {
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "argoproj.io/v1alpha1", "kind": "ApplicationSet",
		"metadata": map[string]any{"name": "x", "namespace": "argocd"},
		"spec": map[string]any{
			"goTemplate": true,
			"generators": []any{map[string]any{"pullRequest": pullRequest}},
			"template":   map[string]any{"metadata": map[string]any{"name": "x-{{ .number }}"}, "spec": map[string]any{}},
		},
	}}
}

// TestMatch checks Argo CD's selection: every label of the provider must
// be on the pull request (exact names); with filters, at least one filter
// must match, and a filter matches when all the conditions it sets match
// (unanchored Go regexps).
func TestMatch(t *testing.T) {
	filters := func(fs ...map[string]any) []any {
		out := make([]any, len(fs))
		for i, f := range fs {
			out[i] = f
		}
		return out
	}
	github := func(labels ...any) map[string]any {
		m := map[string]any{"owner": "o", "repo": "r"}
		if labels != nil {
			m["labels"] = labels
		}
		return m
	}
	pr := PullRequest{Number: 9, Branch: "feature/login", TargetBranch: "main", Title: "[preview] Add login", Labels: []string{"preview", "team-web"}}
	tests := map[string]struct {
		gen     map[string]any
		pr      PullRequest
		missing []string
		failed  []FilterMismatch
	}{
		"no labels, no filters": {gen: map[string]any{"github": github()}, pr: pr},
		"every label present":   {gen: map[string]any{"github": github("preview", "team-web")}, pr: pr},
		"one label missing": {
			gen: map[string]any{"github": github("preview", "approved")}, pr: pr, missing: []string{"approved"},
		},
		"labels compare exactly": {
			gen: map[string]any{"github": github("Preview")}, pr: pr, missing: []string{"Preview"},
		},
		"no labels on the pull request": {
			gen: map[string]any{"gitlab": map[string]any{"project": "p", "labels": []any{"preview"}}}, pr: PullRequest{Number: 9, Branch: "b"}, missing: []string{"preview"},
		},
		"bitbucket has no labels": {gen: map[string]any{"bitbucket": map[string]any{"owner": "o", "repo": "r"}}, pr: PullRequest{Number: 9, Branch: "b"}},
		"branchMatch, unanchored": {
			gen: map[string]any{"github": github(), "filters": filters(map[string]any{"branchMatch": "login"})}, pr: pr,
		},
		"branchMatch fails": {
			gen: map[string]any{"github": github(), "filters": filters(map[string]any{"branchMatch": "^fix/"})}, pr: pr,
			failed: []FilterMismatch{{Filter: 0, Field: "branchMatch", Regexp: "^fix/", Param: "branch", Value: "feature/login"}},
		},
		"conditions of one filter combine with AND": {
			gen: map[string]any{"github": github(), "filters": filters(map[string]any{"branchMatch": "^feature/", "targetBranchMatch": "^release/", "titleMatch": "WIP"})}, pr: pr,
			failed: []FilterMismatch{
				{Filter: 0, Field: "targetBranchMatch", Regexp: "^release/", Param: "target_branch", Value: "main"},
				{Filter: 0, Field: "titleMatch", Regexp: "WIP", Param: "title", Value: "[preview] Add login"},
			},
		},
		"filters combine with OR": {
			gen: map[string]any{"github": github(), "filters": filters(map[string]any{"branchMatch": "^fix/"}, map[string]any{"titleMatch": `\[preview\]`})}, pr: pr,
		},
		"the first filter matches, the second does not": {
			gen: map[string]any{"github": github(), "filters": filters(map[string]any{"branchMatch": "^feature/"}, map[string]any{"branchMatch": "^fix/"})}, pr: pr,
		},
		"no filter matches: every failure is reported": {
			gen: map[string]any{"github": github(), "filters": filters(map[string]any{"branchMatch": "^fix/"}, map[string]any{"targetBranchMatch": "^release/"})}, pr: pr,
			failed: []FilterMismatch{
				{Filter: 0, Field: "branchMatch", Regexp: "^fix/", Param: "branch", Value: "feature/login"},
				{Filter: 1, Field: "targetBranchMatch", Regexp: "^release/", Param: "target_branch", Value: "main"},
			},
		},
		"labels and filters both fail": {
			gen: map[string]any{"azuredevops": map[string]any{"organization": "o", "project": "p", "repo": "r", "labels": []any{"deploy"}}, "filters": filters(map[string]any{"branchMatch": "^fix/"})}, pr: pr,
			missing: []string{"deploy"},
			failed:  []FilterMismatch{{Filter: 0, Field: "branchMatch", Regexp: "^fix/", Param: "branch", Value: "feature/login"}},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			err := Match(appSetWith(tc.gen), tc.pr)
			if tc.missing == nil && tc.failed == nil {
				if err != nil {
					t.Fatalf("Match = %v, want nil", err)
				}
				return
			}
			var ng *NotGeneratedError
			if !errors.As(err, &ng) {
				t.Fatalf("Match = %v (%T), want a *NotGeneratedError", err, err)
			}
			if !slices.Equal(ng.MissingLabels, tc.missing) {
				t.Errorf("MissingLabels = %q, want %q", ng.MissingLabels, tc.missing)
			}
			if diff := cmp.Diff(tc.failed, ng.Filters); diff != "" {
				t.Errorf("Filters (-want +got):\n%s", diff)
			}
			if ng.Number != tc.pr.Number || len(ng.Reasons()) == 0 || !strings.Contains(ng.Error(), "no Application") {
				t.Errorf("error %+v: %v", ng, ng)
			}
		})
	}
}

// TestMatchRefuses: what render apps cannot evaluate offline is an error,
// not a guess.
func TestMatchRefuses(t *testing.T) {
	gh := map[string]any{"owner": "o", "repo": "r"}
	tests := map[string]struct {
		appSet  *unstructured.Unstructured
		wantErr string
	}{
		"unknown filter condition": {appSetWith(map[string]any{"github": gh, "filters": []any{map[string]any{"fileMatch": ".*"}}}), "filters[0].fileMatch"},
		"generator values":         {appSetWith(map[string]any{"github": gh, "values": map[string]any{"a": "b"}}), "pullRequest.values"},
		"two providers":            {appSetWith(map[string]any{"github": gh, "gitea": gh}), "two providers"},
		"no provider":              {appSetWith(map[string]any{"filters": []any{}}), "no provider"},
		"bad regexp":               {appSetWith(map[string]any{"github": gh, "filters": []any{map[string]any{"branchMatch": "("}}}), "branchMatch"},
		"a post-selector": {func() *unstructured.Unstructured {
			a := appSetWith(map[string]any{"github": gh})
			gens, _, _ := unstructured.NestedSlice(a.Object, "spec", "generators")
			gens[0].(map[string]any)["selector"] = map[string]any{"matchLabels": map[string]any{"a": "b"}}
			_ = unstructured.SetNestedSlice(a.Object, gens, "spec", "generators")
			return a
		}(), "no selector"},
		"two generators": {func() *unstructured.Unstructured {
			a := appSetWith(map[string]any{"github": gh})
			gens, _, _ := unstructured.NestedSlice(a.Object, "spec", "generators")
			_ = unstructured.SetNestedSlice(a.Object, append(gens, gens[0]), "spec", "generators")
			return a
		}(), "exactly one"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			err := Match(tc.appSet, PullRequest{Number: 1, Branch: "b"})
			var ng *NotGeneratedError
			if err == nil || errors.As(err, &ng) || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("Match = %v, want an error about %q", err, tc.wantErr)
			}
		})
	}
}

// TestApplicationNotGenerated runs Application on the examples: a pull
// request the generator does not list gives a *NotGeneratedError (and no
// Application), unless IgnoreFilters.
func TestApplicationNotGenerated(t *testing.T) {
	ctx := context.Background()
	sha := "3f786850e387550fdab836ed7e6dc881de23001b"
	tests := map[string]struct {
		spec    string
		pr      PullRequest
		opts    Options
		missing []string
		fields  []string // FilterMismatch.Field of every failed condition
	}{
		"web: listed": {
			spec: "web", pr: PullRequest{Number: 123, Branch: "feature/x", HeadSHA: sha, Labels: []string{"preview"}},
		},
		"web: no label, branch outside the filter": {
			spec: "web", pr: PullRequest{Number: 123, Branch: "fix/x", HeadSHA: sha},
			missing: []string{"preview"}, fields: []string{"branchMatch"},
		},
		"web: label only": {
			spec: "web", pr: PullRequest{Number: 123, Branch: "feature/x", HeadSHA: sha}, missing: []string{"preview"},
		},
		"web: ignored filters": {
			spec: "web", pr: PullRequest{Number: 123, Branch: "fix/x", HeadSHA: sha}, opts: Options{IgnoreFilters: true},
		},
		"previews: fix/ matches": {
			spec: "previews", pr: PullRequest{Number: 5, Branch: "fix/typo", HeadSHA: sha, Labels: []string{"other", "preview"}},
		},
		"previews: capitals do not match": {
			spec: "previews", pr: PullRequest{Number: 5, Branch: "Feature/typo", HeadSHA: sha, Labels: []string{"preview"}}, fields: []string{"branchMatch"},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			env := loadSpec(t, examplesDir+"/"+tc.spec+"/prenv.yaml")
			app, err := Application(ctx, env, tc.pr, tc.opts)
			if tc.missing == nil && tc.fields == nil {
				if err != nil {
					t.Fatal(err)
				}
				if want := awsrules.EnvName(env.Spec.Prefix, tc.pr.Number, env.Metadata.Name); app.GetName() != want {
					t.Errorf("name %q, want %q", app.GetName(), want)
				}
				return
			}
			var ng *NotGeneratedError
			if !errors.As(err, &ng) || app != nil {
				t.Fatalf("Application = %v, %v; want no Application and a *NotGeneratedError", app, err)
			}
			var fields []string
			for _, f := range ng.Filters {
				fields = append(fields, f.Field)
			}
			if !slices.Equal(ng.MissingLabels, tc.missing) || !slices.Equal(fields, tc.fields) {
				t.Errorf("missing %q and failed %q, want %q and %q", ng.MissingLabels, fields, tc.missing, tc.fields)
			}
		})
	}
}

// TestApplicationHeadSHA: the head SHA must have the form the provider
// reports.
func TestApplicationHeadSHA(t *testing.T) {
	ctx := context.Background()
	full := "3f786850e387550fdab836ed7e6dc881de23001b"
	tests := map[string]struct {
		spec, sha string
		ok        bool
	}{
		"github, full":               {"testdata/specs/manifests-github.yaml", full, true},
		"github, sha-256":            {"testdata/specs/manifests-github.yaml", full + full[:24], true},
		"github, 12 digits":          {"testdata/specs/manifests-github.yaml", full[:12], false},
		"bitbucket cloud, 12 digits": {"testdata/specs/bitbucket-cloud.yaml", full[:12], true},
		"bitbucket cloud, full":      {"testdata/specs/bitbucket-cloud.yaml", full, false},
		"bitbucket server, full":     {"testdata/specs/bitbucket-server.yaml", full, true},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			env := loadSpec(t, tc.spec)
			_, err := Application(ctx, env, PullRequest{Number: 3, Branch: "feature/x", HeadSHA: tc.sha, Labels: []string{"preview"}}, Options{})
			if tc.ok {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			var inv *spec.InvalidError
			if !errors.As(err, &inv) || len(inv.Errs) != 1 || inv.Errs[0].Field != "pullRequest.headSHA" {
				t.Fatalf("err = %v, want an *render.InvalidError for pullRequest.headSHA", err)
			}
		})
	}
}
