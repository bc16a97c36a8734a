package argocd

import (
	"context"
	"errors"
	"strings"
	"testing"
	"testing/fstest"

	"prenv.dev/prenv/kit"
	"prenv.dev/prenv/spec"
)

func TestCheckPath(t *testing.T) {
	tests := map[string]struct {
		path string
		bad  string // part of the reason; "" when the path is safe
	}{
		"plain":                 {"envs/web/pr-7", ""},
		"root of the plugin":    {".", ""},
		"dot segment":           {"envs/./pr-7", ""},
		"dots in a name":        {"envs/a..b/pr-7", ""},
		"unicode":               {"envs/ü/pr-7", ""},
		"empty":                 {"", "empty"},
		"absolute":              {"/envs/pr-7", "absolute"},
		"climbs out":            {"envs/../../../../other-team/pr-7", "'..'"},
		"only dots":             {"..", "'..'"},
		"trailing dots":         {"envs/pr-7/..", "'..'"},
		"empty segment":         {"envs//pr-7", "empty segment"},
		"trailing slash":        {"envs/pr-7/", "empty segment"},
		"newline":               {"envs/a\nb/pr-7", "control"},
		"NUL":                   {"envs/a\x00b", "control"},
		"C1 control":            {"envs/a\u0085b", "control"},
		"DEL":                   {"envs/a\x7fb", "control"},
		"backslash is a letter": {`envs\..\x/pr-7`, ""},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got := CheckPath(tc.path)
			if (got == "") != (tc.bad == "") || !strings.Contains(got, tc.bad) {
				t.Errorf("CheckPath(%q) = %q, want a reason with %q", tc.path, got, tc.bad)
			}
		})
	}
}

// TestApplicationUnsafePath: a source path that the pull request's text
// leads out of its folder is refused, whether the spec (branch_slug empty)
// or an override of the kit (raw branch) built it.
func TestApplicationUnsafePath(t *testing.T) {
	ctx := context.Background()
	sha := "3f786850e387550fdab836ed7e6dc881de23001b"
	appSet := embeddedTemplate(t, "applicationset.yaml")
	rawSource := func(path string) fstest.MapFS {
		return fstest.MapFS{"applicationset.yaml": {Data: []byte(strings.Replace(appSet,
			"      source: {{ .template.source | toJson }}",
			`      source: {"repoURL": "https://github.com/example/manifests.git", "path": `+path+`}`, 1))}}
	}
	tests := map[string]struct {
		path      string // spec.argocd.source.path, when set
		templates fstest.MapFS
		branch    string
		wantErr   any
		errHas    string
	}{
		"branch_slug, ordinary branch": {path: "envs/{{branch_slug}}/pr-{{number}}", branch: "feature/login"},
		"branch_slug of a climbing branch stays put": {
			path: "envs/{{branch_slug}}/pr-{{number}}", branch: "../../../../other-team",
		},
		"branch_slug empty": {
			path: "envs/{{branch_slug}}/pr-{{number}}", branch: "___", wantErr: new(*UnsafePathError), errHas: `"envs//pr-7"`,
		},
		"raw branch in the spec": {
			path: "envs/{{branch}}/pr-{{number}}", branch: "../../../../other-team", wantErr: new(*spec.InvalidError), errHas: "branch_slug",
		},
		"raw branch through an override is caught for every pull request": {
			templates: rawSource(`"envs/{{ "{{" }} .branch {{ "}}" }}/pr-{{ "{{" }} .number {{ "}}" }}"`), branch: "feature/login",
			wantErr: new(*kit.TemplateError), errHas: "free text in raw",
		},
		"raw title through an override": {
			templates: rawSource(`"envs/{{ "{{" }} .title {{ "}}" }}"`), branch: "feature/login",
			wantErr: new(*kit.TemplateError), errHas: "leaves its folder",
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			env := loadSpec(t, "testdata/specs/manifests-github.yaml")
			if tc.path != "" {
				env.Spec.ArgoCD.Source.Path = tc.path
			}
			opts := Options{IgnoreFilters: true}
			if tc.templates != nil {
				opts.Templates = tc.templates
			}
			app, err := Application(ctx, env, PullRequest{Number: 7, Branch: tc.branch, HeadSHA: sha}, opts)
			if tc.wantErr == nil {
				if err != nil {
					t.Fatal(err)
				}
				for f, p := range sourcePaths(app.Object["spec"].(map[string]any)) {
					if why := CheckPath(p); why != "" {
						t.Errorf("%s %q %s", f, p, why)
					}
				}
				return
			}
			if !errors.As(err, tc.wantErr) || !strings.Contains(err.Error(), tc.errHas) {
				t.Fatalf("err = %v (%T), want %T with %q", err, err, tc.wantErr, tc.errHas)
			}
			var pe *UnsafePathError
			if errors.As(err, &pe) && (pe.Field != "spec.source.path" || pe.Template == "" || pe.Number != 7) {
				t.Errorf("UnsafePathError %+v", pe)
			}
		})
	}
}
