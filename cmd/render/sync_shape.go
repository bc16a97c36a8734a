package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"strconv"
	"strings"

	"prenv.dev/prenv/kit"
	"prenv.dev/prenv/render"
	"prenv.dev/prenv/spec"
)

// shapeFlags are render sync's app chart and kustomization flags: each
// value is PATH (with one spec) or APP=PATH (the spec whose metadata.name
// is APP), so that every app of a multi-app sync has its own chart,
// values and kustomization, as render env --chart, --values and
// --kustomize give one env.
type shapeFlags struct {
	charts, values, kustomize listFlag
	allowSymlinks             bool
	allowNondeterministic     bool
}

func (f *shapeFlags) register(fs *flag.FlagSet) {
	fs.Var(&f.charts, "chart", "also render the app chart `[APP=]CHART` (a folder or .tgz) into each of the app's envs, as render env --chart does; APP= names the app when there are several specs (repeatable, once per app)")
	fs.Var(&f.values, "values", "a values file `[APP=]FILE` for the app's --chart, merged in order as helm's -f (repeatable)")
	fs.Var(&f.kustomize, "kustomize", "apply the kustomization in `[APP=]DIR` over each of the app's envs, as render env --kustomize does (repeatable, once per app)")
	fs.BoolVar(&f.allowSymlinks, "chart-allow-symlinks", false, "let --chart follow symbolic links that leave the chart folder, as helm template does")
	fs.BoolVar(&f.allowNondeterministic, "chart-allow-nondeterministic", false, "let --chart render a chart that calls functions whose result changes from run to run")
}

// used reports whether any of the flags was given.
func (f *shapeFlags) used() bool {
	return len(f.charts)+len(f.values)+len(f.kustomize) > 0 || f.allowSymlinks || f.allowNondeterministic
}

// appShape is one app's chart, values and kustomization.
type appShape struct {
	chart     string
	values    []string
	kustomize string
}

// byApp splits the flags by app; the error is a usage error's message.
// A value is APP=PATH when APP is one of the specs' apps, and PATH for
// the one spec otherwise.
func (f *shapeFlags) byApp(specs []*spec.PreviewEnvironment) (map[string]*appShape, error) {
	apps := map[string]bool{}
	for _, s := range specs {
		apps[s.Metadata.Name] = true
	}
	out := map[string]*appShape{}
	split := func(flag, v string) (string, string, error) {
		if app, p, ok := strings.Cut(v, "="); ok && apps[app] {
			if p == "" {
				return "", "", fmt.Errorf("--%s %s: the path after %s= is empty", flag, strconv.Quote(v), app)
			}
			return app, p, nil
		}
		if len(specs) != 1 {
			return "", "", fmt.Errorf("--%s %s: with several specs, name the app: --%s APP=PATH (the specs' apps: %s)", flag, strconv.Quote(v), flag, appNames(specs))
		}
		return specs[0].Metadata.Name, v, nil
	}
	get := func(app string) *appShape {
		if out[app] == nil {
			out[app] = &appShape{}
		}
		return out[app]
	}
	// A chart and a kustomization are one per app.
	for _, one := range []struct {
		flag, what string
		list       listFlag
		field      func(*appShape) *string
	}{
		{"chart", "charts", f.charts, func(a *appShape) *string { return &a.chart }},
		{"kustomize", "kustomizations", f.kustomize, func(a *appShape) *string { return &a.kustomize }},
	} {
		for _, v := range one.list {
			app, p, err := split(one.flag, v)
			if err != nil {
				return nil, err
			}
			dst := one.field(get(app))
			if *dst != "" {
				return nil, fmt.Errorf("--%s: the app %q has two %s (%s and %s); give one", one.flag, app, one.what, *dst, p)
			}
			*dst = p
		}
	}
	for _, v := range f.values {
		app, p, err := split("values", v)
		if err != nil {
			return nil, err
		}
		get(app).values = append(out[app].values, p)
	}
	for _, app := range slices.Sorted(maps.Keys(out)) {
		a := out[app]
		if a.chart == "" && len(a.values) > 0 {
			return nil, fmt.Errorf("--values for the app %q needs its --chart", app)
		}
	}
	if (f.allowSymlinks || f.allowNondeterministic) && len(f.charts) == 0 {
		return nil, fmt.Errorf("--chart-allow-symlinks and --chart-allow-nondeterministic need --chart")
	}
	return out, nil
}

// renderers makes one Renderer per app with a chart or kustomization,
// with base's options and the app's; its values files are read now. The
// exit code is exitOK, or the one to return after the message it wrote.
func (f *shapeFlags) renderers(shapes map[string]*appShape, base render.Options, stderr io.Writer) (map[string]*render.Renderer, int) {
	out := map[string]*render.Renderer{}
	for _, app := range slices.Sorted(maps.Keys(shapes)) {
		a := shapes[app]
		for _, p := range []struct{ flag, path string }{{"--chart", a.chart}, {"--kustomize", a.kustomize}} {
			if p.path == "" {
				continue
			}
			if _, err := os.Stat(p.path); err != nil {
				fmt.Fprintf(stderr, "render sync: %s %s for the app %q: %v\n", p.flag, p.path, app, errors.Unwrap(err))
				return nil, exitUsage
			}
		}
		opts := base
		if a.chart != "" {
			c := &kit.ChartOptions{Dir: a.chart, AllowSymlinks: f.allowSymlinks, AllowNondeterministic: f.allowNondeterministic}
			for _, name := range a.values {
				b, err := spec.ReadFile(name, kit.MaxValuesSize)
				if err != nil {
					fmt.Fprintf(stderr, "render sync: --values: %v\n", err)
					if fileRefused(err) {
						return nil, exitInvalid
					}
					return nil, exitUsage
				}
				c.Values = append(c.Values, b)
			}
			opts.Chart = c
		}
		opts.Kustomize = a.kustomize
		r, err := render.NewRenderer(opts)
		if err != nil {
			fmt.Fprintf(stderr, "render sync: %v\n", err)
			return nil, exitInvalid
		}
		out[app] = r
	}
	return out, exitOK
}
