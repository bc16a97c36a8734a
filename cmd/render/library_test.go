package main

import (
	"context"
	"errors"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"prenv.dev/prenv/fence"
	"prenv.dev/prenv/internal/golden"
	"prenv.dev/prenv/kit"
	"prenv.dev/prenv/manifest"
	"prenv.dev/prenv/outputdir"
	"prenv.dev/prenv/plan"
	"prenv.dev/prenv/render"
	"prenv.dev/prenv/spec"
	"prenv.dev/prenv/trust"
)

// TestLibraryMatchesRenderEnv drives the library as a user would, through
// render.Render alone, and compares its bytes with what `render env` prints
// for every example, with and without the example's app chart.
func TestLibraryMatchesRenderEnv(t *testing.T) {
	root := golden.Root(t)
	examples := golden.Examples(t)
	if len(examples) < 4 {
		t.Fatalf("want at least 4 examples, found %v", examples)
	}
	withChart := 0
	for _, name := range examples {
		t.Run(name, func(t *testing.T) {
			file := filepath.Join(root, "examples", name, "prenv.yaml")
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			env, err := spec.Load(data)
			if err != nil {
				t.Fatal(err)
			}
			cli := runCLI(t, "", "env", "-f", file, "--pr", "123")
			if cli.code != exitOK {
				t.Fatalf("render env: exit %d: %s", cli.code, cli.stderr)
			}
			out, err := render.Render(context.Background(), env, 123, render.Options{})
			if err != nil {
				t.Fatal(err)
			}
			got, err := out.YAML()
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != cli.stdout {
				t.Errorf("render.Render and render env differ:\n--- render.Render\n%s\n--- render env\n%s", got, cli.stdout)
			}
			// Against the base branch's spec (here the same file), as the
			// CI flow renders a pull request.
			withBase := runCLI(t, "", "env", "-f", file, "--pr", "123", "--base-spec", file)
			out, err = render.Render(context.Background(), env, 123, render.Options{Base: []*trust.Fields{trust.Of(env)}})
			if err != nil {
				t.Fatal(err)
			}
			if got, _ = out.YAML(); withBase.code != exitOK || string(got) != withBase.stdout {
				t.Errorf("with a base, render.Render and render env --base-spec differ (exit %d: %s)", withBase.code, withBase.stderr)
			}
			values := filepath.Join(root, "examples", name, "app-values.yaml")
			vb, err := os.ReadFile(values)
			if os.IsNotExist(err) {
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			withChart++
			chart := filepath.Join(root, "charts", "preview-app")
			cli = runCLI(t, "", "env", "-f", file, "--pr", "123", "--chart", chart, "--values", values)
			if cli.code != exitOK {
				t.Fatalf("render env --chart: exit %d: %s", cli.code, cli.stderr)
			}
			out, err = render.Render(context.Background(), env, 123, render.Options{Chart: &kit.ChartOptions{Dir: chart, Values: [][]byte{vb}}})
			if err != nil {
				t.Fatal(err)
			}
			if got, err = out.YAML(); err != nil {
				t.Fatal(err)
			}
			if string(got) != cli.stdout {
				t.Errorf("with the app chart, render.Render and render env differ:\n--- render.Render\n%s\n--- render env\n%s", got, cli.stdout)
			}
		})
	}
	if withChart < 2 {
		t.Errorf("want at least 2 examples with app-values.yaml, compared %d", withChart)
	}
}

// TestLibraryNilInputs: nil or zero inputs give errors, never panics.
func TestLibraryNilInputs(t *testing.T) {
	ctx := context.Background()
	env, err := spec.Load([]byte(specYAML))
	if err != nil {
		t.Fatal(err)
	}
	var nilRenderer *render.Renderer
	m, err := plan.Plan(env, 1)
	if err != nil {
		t.Fatal(err)
	}
	k, err := kit.LoadEnvKit(nil)
	if err != nil {
		t.Fatal(err)
	}
	for name, call := range map[string]func() error{
		"Render(nil spec)": func() error { _, err := render.Render(ctx, nil, 1, render.Options{}); return err },
		"Render(nil context)": func() error {
			_, err := render.Render(nil, env, 1, render.Options{})
			return err
		},
		"Render(PR 0)":          func() error { _, err := render.Render(ctx, env, 0, render.Options{}); return err },
		"nil Renderer.Render":   func() error { _, err := nilRenderer.Render(ctx, env, 1); return err },
		"nil Renderer.Objects":  func() error { _, err := nilRenderer.Objects(ctx, env, 1); return err },
		"Renderer.Execute(nil)": func() error { _, err := render.Execute(ctx, nil, render.Options{}); return err },
		"plan.Plan(nil)":        func() error { _, err := plan.Plan(nil, 1); return err },
		"fence.CheckObjects(nil)": func() error {
			if errs := fence.CheckObjects(nil, nil, fence.ObjectRules{}); len(errs) > 0 {
				return errs[0]
			}
			return nil
		},
		"nil Renderer.Execute": func() error { _, err := nilRenderer.Execute(ctx, m); return err },
		"Execute(nil context)": func() error {
			_, err := render.Execute(nil, m, render.Options{})
			return err
		},
		"Sync(nil context)": func() error {
			_, err := render.Sync(nil, t.TempDir(), []*spec.PreviewEnvironment{env}, []int{1}, render.SyncOptions{})
			return err
		},
		"SyncFiles(nil context)": func() error {
			_, err := render.SyncFiles(nil, []*spec.PreviewEnvironment{env}, []int{1}, render.SyncOptions{})
			return err
		},
		"nil Output.YAML": func() error { _, err := (*render.Output)(nil).YAML(); return err },
		"Output.YAML(nil object)": func() error {
			_, err := (&render.Output{Objects: []*unstructured.Unstructured{nil}}).YAML()
			return err
		},
		"Render(chart without a Dir)": func() error {
			_, err := render.Render(ctx, env, 1, render.Options{Chart: &kit.ChartOptions{}})
			return err
		},
		"nil Kit.ExecuteModel":         func() error { _, err := (*kit.Kit)(nil).ExecuteModel(ctx, m); return err },
		"Kit.ExecuteModel(nil model)":  func() error { _, err := k.ExecuteModel(ctx, nil); return err },
		"Kit.ExecuteModel(nil ctx)":    func() error { _, err := k.ExecuteModel(nil, m); return err },
		"kit.RenderChart(nil model)":   func() error { _, err := kit.RenderChart(ctx, nil, kit.ChartOptions{Dir: "x"}); return err },
		"kit.HelmValuesYAML(nil)":      func() error { _, err := kit.HelmValuesYAML(nil); return err },
		"kit.Kustomize(nil ctx)":       func() error { _, err := kit.Kustomize(nil, t.TempDir(), nil); return err },
		"kit.Kustomize(nil object)":    func() error { _, err := kit.Kustomize(ctx, t.TempDir(), []*unstructured.Unstructured{nil}); return err },
		"kit.LoadKit(nil base)":        func() error { _, err := kit.LoadKit("x", nil, nil, nil); return err },
		"manifest.Marshal(nil object)": func() error { _, err := manifest.Marshal([]*unstructured.Unstructured{nil}); return err },
		"outputdir.ObjectFiles(nil object)": func() error {
			_, err := outputdir.ObjectFiles([]*unstructured.Unstructured{nil})
			return err
		},
		"outputdir.ReplaceDir(nil ctx)": func() error {
			_, err := outputdir.ReplaceDir(nil, t.TempDir(), nil)
			return err
		},
		"fence.CheckObjects(nil object)": func() error {
			if errs := fence.CheckObjects(m, []*unstructured.Unstructured{nil}, fence.ObjectRules{}); len(errs) > 0 {
				return errs[0]
			}
			return nil
		},
		"zero Kit.ExecuteModel":    func() error { _, err := (&kit.Kit{}).ExecuteModel(ctx, m); return err },
		"spec.ReadAll(nil reader)": func() error { _, err := spec.ReadAll(nil, "stdin", 10); return err },
		"spec.LimitFS(nil).Open":   func() error { _, err := spec.LimitFS(nil, 10).Open("x"); return err },
		"spec.Check(nil)": func() error {
			if errs := spec.Check(nil); len(errs) > 0 {
				return errs.ToAggregate()
			}
			return nil
		},
	} {
		t.Run(name, func(t *testing.T) {
			defer func() {
				if r := recover(); r != nil {
					t.Fatalf("panicked: %v", r)
				}
			}()
			if err := call(); err == nil {
				t.Fatal("no error")
			}
		})
	}
}

// TestLibraryFencesCallerTemplates: templates a library caller passes that
// emit what the final checks refuse give a *render.FenceError naming the
// object, never objects.
func TestLibraryFencesCallerTemplates(t *testing.T) {
	env, err := spec.Load([]byte(specYAML))
	if err != nil {
		t.Fatal(err)
	}
	templates := fstest.MapFS{"admin.yaml": {Data: []byte(`apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata:
  name: {{ .Release.Name }}-admin
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: ClusterRole
  name: cluster-admin
subjects:
- kind: ServiceAccount
  name: default
  namespace: {{ .Release.Namespace }}
`)}}
	out, err := render.Render(context.Background(), env, 7, render.Options{Templates: templates})
	if out != nil {
		t.Errorf("objects returned with the error: %d", len(out.Objects))
	}
	var fe *render.FenceError
	if !errors.As(err, &fe) {
		t.Fatalf("want a *render.FenceError, got %T: %v", err, err)
	}
	const want = "rbac.authorization.k8s.io/ClusterRoleBinding/pr-7-shop-admin: kind: Forbidden: ClusterRoleBinding.rbac.authorization.k8s.io is cluster-scoped: a preview may only create objects in its own namespace pr-7-shop (the Namespace itself aside)"
	if len(fe.Problems) != 1 || fe.Problems[0].Error() != want {
		t.Errorf("problems:\n%v\nwant\n%s", fe.Problems, want)
	}
}

// TestLibraryNilNoPanic: functions without an error result take nil or
// zero inputs without panicking.
func TestLibraryNilNoPanic(t *testing.T) {
	for name, call := range map[string]func(){
		"spec.AppKinds(nil)":              func() { spec.AppKinds(nil) },
		"spec.UnboundedErrors(nil)":       func() { spec.UnboundedErrors(nil) },
		"spec.EffectiveResources(nil)":    func() { spec.EffectiveResources(nil) },
		"plan.EnvKinds(nil)":              func() { plan.EnvKinds(nil) },
		"kit.HelmValues(nil)":             func() { kit.HelmValues(nil) },
		"fence.RefOf(nil)":                func() { fence.RefOf(nil) },
		"fence.APINetworkPolicySpec(nil)": func() { fence.APINetworkPolicySpec(nil) },
		"manifest.SortObjects(nil object)": func() {
			manifest.SortObjects([]*unstructured.Unstructured{nil, {Object: map[string]any{"kind": "ConfigMap"}}, nil})
		},
		"outputdir.FileName(nil)":            func() { outputdir.FileName(nil) },
		"kit.TemplateCalls(nil match)":       func() { kit.TemplateCalls("t", "{{ now }}", nil) },
		"nil render.SyncResult.Count":        func() { (*render.SyncResult)(nil).Count(render.FolderAdded) },
		"fence.ObjectError without an error": func() { _ = (&fence.ObjectError{}).Error() },
	} {
		t.Run(name, func(t *testing.T) {
			defer func() {
				if r := recover(); r != nil {
					t.Fatalf("panicked: %v", r)
				}
			}()
			call()
		})
	}
}

// TestLibraryCanceledFirstRender: a Renderer whose first Render had its
// context canceled still renders for the next caller (the validator it made
// on first use does not keep the first caller's cancellation).
func TestLibraryCanceledFirstRender(t *testing.T) {
	env, err := spec.Load([]byte(specYAML))
	if err != nil {
		t.Fatal(err)
	}
	r, err := render.NewRenderer(render.Options{})
	if err != nil {
		t.Fatal(err)
	}
	canceled, cancel := context.WithCancel(context.Background())
	cancel()
	r.Render(canceled, env, 1) // its error, if any, is the canceled context's
	if _, err := r.Render(context.Background(), env, 1); err != nil {
		t.Fatalf("the second Render: %v", err)
	}
}

// TestLibraryLargestLimit: a size limit of math.MaxInt64 reads everything
// instead of overflowing into a read of nothing.
func TestLibraryLargestLimit(t *testing.T) {
	got, err := spec.ReadAll(strings.NewReader("abc"), "stdin", math.MaxInt64)
	if err != nil || string(got) != "abc" {
		t.Fatalf("ReadAll: %q, %v; want \"abc\"", got, err)
	}
	got, err = fs.ReadFile(spec.LimitFS(fstest.MapFS{"f": {Data: []byte("abc")}}, math.MaxInt64), "f")
	if err != nil || string(got) != "abc" {
		t.Fatalf("LimitFS: %q, %v; want \"abc\"", got, err)
	}
}
