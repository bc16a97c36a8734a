package argocd_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"text/template"

	"github.com/Masterminds/sprig/v3"
	"github.com/gosimple/slug"
	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v3/pkg/engine"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"prenv.dev/prenv/argocd"
	"prenv.dev/prenv/internal/golden"
	"prenv.dev/prenv/manifest"
	"prenv.dev/prenv/render"
	"prenv.dev/prenv/spec"
)

// concurrentBranches are branch names for Slug and for gosimple/slug's
// Make: longer than branch_slug's 50 characters, with '_', '&' and letters
// to transliterate, so that the settings Argo CD uses change the result.
var concurrentBranches = []string{
	"feature/ÜBER_Långt-名前 🚀 & the rest of a long branch name that goes on",
	"dependabot/npm_and_yarn/lodash-4.17.21_and_more_words_to_pass_fifty_chars",
	"Tom_&_Jerry @ home: a_branch_with_underscores_everywhere_and_more_of_them",
	"short",
}

// TestConcurrentUse renders envs, ApplicationSets, Applications and branch
// slugs from many goroutines, beside direct calls of gosimple/slug, Helm's
// engine and sprig with their default settings, and wants every result
// equal to the one computed alone. Run it with -race: prenv must neither
// change those libraries' package state nor keep any of its own.
func TestConcurrentUse(t *testing.T) {
	ctx := context.Background()
	type task struct {
		name string
		run  func() (string, error)
	}
	var tasks []task
	shared, err := render.NewRenderer(render.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range golden.Examples(t) {
		data, err := os.ReadFile(filepath.Join(golden.Root(t), "examples", name, "prenv.yaml"))
		if err != nil {
			t.Fatal(err)
		}
		env, err := spec.Load(data)
		if err != nil {
			t.Fatal(err)
		}
		tasks = append(tasks, task{name + " env", func() (string, error) {
			out, err := render.Render(ctx, env, 123, render.Options{})
			if err != nil {
				return "", err
			}
			y, err := out.YAML()
			return string(y), err
		}})
		tasks = append(tasks, task{name + " env, shared renderer", func() (string, error) {
			out, err := shared.Render(ctx, env, 123)
			if err != nil {
				return "", err
			}
			y, err := out.YAML()
			return string(y), err
		}})
		if env.Spec.ArgoCD == nil {
			continue
		}
		tasks = append(tasks, task{name + " appset", func() (string, error) {
			objs, err := argocd.AppSet(ctx, env, argocd.Options{})
			if err != nil {
				return "", err
			}
			y, err := manifest.Marshal(objs)
			return string(y), err
		}})
		for i, b := range concurrentBranches[:2] {
			pr := argocd.PullRequest{Number: 7 + i, Branch: b, TargetBranch: "main", HeadSHA: "3f786850e387550fdab836ed7e6dc881de23001b", Labels: []string{"preview"}}
			tasks = append(tasks, task{fmt.Sprintf("%s application %d", name, i), func() (string, error) {
				app, err := argocd.Application(ctx, env, pr, argocd.Options{IgnoreFilters: true})
				if err != nil {
					return "", err
				}
				y, err := manifest.Marshal([]*unstructured.Unstructured{app})
				return string(y), err
			}})
		}
	}
	for _, b := range concurrentBranches {
		tasks = append(tasks,
			task{"Slug " + b, func() (string, error) { return argocd.Slug(b), nil }},
			task{"slug.Make " + b, func() (string, error) { return slug.Make(b), nil }},
		)
	}
	// Helm's engine and sprig on their own, with their shared defaults.
	helmChart := &chart.Chart{
		Metadata: &chart.Metadata{APIVersion: chart.APIVersionV2, Name: "direct", Version: "0.1.0"},
		Templates: []*chart.File{{Name: "templates/cm.yaml", Data: []byte(
			`kube: {{ .Capabilities.KubeVersion }} {{ .Capabilities.APIVersions | sortAlpha | first }} {{ .Values.x | upper | sha256sum }}`)}},
	}
	tasks = append(tasks, task{"helm engine", func() (string, error) {
		top, err := chartutil.ToRenderValues(helmChart, map[string]any{"x": "y"}, chartutil.ReleaseOptions{Name: "r", Namespace: "n"}, nil)
		if err != nil {
			return "", err
		}
		out, err := engine.Engine{}.Render(helmChart, top)
		return out["direct/templates/cm.yaml"], err
	}})
	sprigTemplate := template.Must(template.New("s").Funcs(sprig.TxtFuncMap()).Parse(`{{ "a_b" | snakecase }} {{ list 3 1 2 | sortAlpha }} {{ semver "1.2.3" }}`))
	tasks = append(tasks, task{"sprig", func() (string, error) {
		var b bytes.Buffer
		err := sprigTemplate.Execute(&b, nil)
		return b.String(), err
	}})

	want := make([]string, len(tasks))
	for i, tk := range tasks {
		got, err := tk.run()
		if err != nil {
			t.Fatalf("%s: %v", tk.name, err)
		}
		want[i] = got
	}
	// Argo CD's settings would change the slugs: a change of them shows.
	if len(slug.Make(concurrentBranches[0])) <= 50 {
		t.Fatalf("slug.Make(%q) is not longer than Argo CD's 50 characters", concurrentBranches[0])
	}

	const goroutines = 8
	var wg sync.WaitGroup
	errs := make(chan error, goroutines*len(tasks))
	for g := range goroutines {
		wg.Go(func() {
			for n := range len(tasks) {
				i := (n + g*len(tasks)/goroutines) % len(tasks) // each goroutine from its own start
				got, err := tasks[i].run()
				switch {
				case err != nil:
					errs <- fmt.Errorf("%s: %w", tasks[i].name, err)
				case got != want[i]:
					errs <- fmt.Errorf("%s: got\n%s\nwant\n%s", tasks[i].name, got, want[i])
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}
