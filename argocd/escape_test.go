package argocd

import (
	"context"
	"errors"
	"io/fs"
	"strings"
	"testing"
	"testing/fstest"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"prenv.dev/prenv/internal/placeholders"
	"prenv.dev/prenv/kit"
)

func embeddedTemplate(t *testing.T, name string) string {
	t.Helper()
	b, err := fs.ReadFile(Templates, "templates/"+name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestKitHasNoArgoPlaceholders: the template files never spell an Argo CD
// placeholder, so Helm has nothing of Argo CD's to evaluate.
func TestKitHasNoArgoPlaceholders(t *testing.T) {
	entries, err := fs.ReadDir(Templates, "templates")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		text := embeddedTemplate(t, e.Name())
		for _, p := range placeholders.PRParams {
			if strings.Contains(text, "."+p+" }}") && p != "labels" {
				t.Errorf("%s spells the Argo CD placeholder .%s", e.Name(), p)
			}
		}
	}
}

// TestOverrides: a user override of a kit file can change the output, but
// cannot break the names Argo CD computes: Helm never evaluates the Argo
// CD placeholders (they are values, and tpl is refused), and the rendered
// ApplicationSet is executed for probe pull requests before it is returned.
func TestOverrides(t *testing.T) {
	env := loadSpec(t, "testdata/specs/manifests-github.yaml")
	appSet := embeddedTemplate(t, "applicationset.yaml")
	tests := map[string]struct {
		spec    string
		files   map[string]string
		wantErr string
		check   func(t *testing.T, objs []*unstructured.Unstructured)
	}{
		"an added annotation keeps the names": {
			files: map[string]string{"applicationset.yaml": strings.Replace(appSet,
				"      finalizers:", "      annotations:\n        \"notifications.argoproj.io/subscribe.on-deployed.slack\": \"previews\"\n      finalizers:", 1)},
			check: func(t *testing.T, objs []*unstructured.Unstructured) {
				app, err := Generate(findKind(objs, "ApplicationSet"), PullRequest{Number: 77, HeadSHA: "abcdef1"}.Params())
				if err != nil {
					t.Fatal(err)
				}
				if app.GetName() != "test-77-web" || app.GetAnnotations()["notifications.argoproj.io/subscribe.on-deployed.slack"] != "previews" {
					t.Errorf("Application %q annotations %v", app.GetName(), app.GetAnnotations())
				}
			},
		},
		"a name of one's own is caught by the self-check": {
			files:   map[string]string{"applicationset.yaml": strings.Replace(appSet, "name: {{ .template.name | toJson }}", `name: "web-{{ "{{" }} .number {{ "}}" }}"`, 1)},
			wantErr: "both must be the env name",
		},
		"tpl is refused": {
			files:   map[string]string{"applicationset.yaml": strings.Replace(appSet, "name: {{ .template.name | toJson }}", "name: {{ tpl .template.name $ | toJson }}", 1)},
			wantErr: "refused function",
		},
		"tpl is refused in helpers too": {
			files:   map[string]string{"_extra.tpl": `{{- define "x" -}}{{ tpl "{{ .number }}" . }}{{- end -}}`},
			wantErr: "refused function",
		},
		"non-deterministic functions are refused": {
			files:   map[string]string{"appproject.yaml": strings.Replace(embeddedTemplate(t, "appproject.yaml"), "description: {{ .description | toJson }}", "description: {{ now | toJson }}", 1)},
			wantErr: "refused function",
		},
		"dropping missingkey=error is caught": {
			files:   map[string]string{"applicationset.yaml": strings.Replace(appSet, "goTemplateOptions: {{ .goTemplateOptions | toJson }}", "goTemplateOptions: []", 1)},
			wantErr: "missingkey=error",
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			fsys := fstest.MapFS{}
			for n, body := range tc.files {
				fsys[n] = &fstest.MapFile{Data: []byte(body)}
			}
			e := env
			if tc.spec != "" {
				e = loadSpec(t, tc.spec)
			}
			objs, err := AppSet(context.Background(), e, Options{Templates: fsys})
			if tc.wantErr != "" {
				var te *kit.TemplateError
				if err == nil || !errors.As(err, &te) || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want a TemplateError containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tc.check(t, objs)
		})
	}
}

// TestValuesAreNotTemplates: a value that looks like a Helm or Argo CD
// template reaches the output as it is.
func TestValuesAreNotTemplates(t *testing.T) {
	env := loadSpec(t, "testdata/specs/manifests-github.yaml")
	env.Spec.ArgoCD.Labels = map[string]string{"team": "web"}
	objs, err := AppSet(context.Background(), env, Options{})
	if err != nil {
		t.Fatal(err)
	}
	as := findKind(objs, "ApplicationSet")
	name, _, _ := unstructured.NestedString(as.Object, "spec", "template", "metadata", "name")
	if name != "test-{{ .number }}-web" {
		t.Errorf("template name %q", name)
	}
	path, _, _ := unstructured.NestedString(as.Object, "spec", "template", "spec", "source", "path")
	if path != "envs/web/pr-{{ .number }}" {
		t.Errorf("source path %q: {{number}} must become {{ .number }}", path)
	}
}

func TestLiteral(t *testing.T) {
	for in, want := range map[string]string{
		"plain":         "plain",
		"a{{b":          `{{ "a{{b" }}`,
		`x}}"y`:         `{{ "x}}\"y" }}`,
		"{{ .number }}": `{{ "{{ .number }}" }}`,
		"ünï{{\n":       `{{ "ünï{{\n" }}`,
	} {
		got := literal(in)
		if got != want {
			t.Errorf("literal(%q) = %q, want %q", in, got, want)
		}
		if out := execArgo(t, got, map[string]any{}); out != in {
			t.Errorf("literal(%q) prints %q", in, out)
		}
	}
}

func findKind(objs []*unstructured.Unstructured, kind string) *unstructured.Unstructured {
	for _, o := range objs {
		if o.GetKind() == kind {
			return o
		}
	}
	return nil
}
