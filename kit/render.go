package kit

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"
	"sync"
	"text/template"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"prenv.dev/prenv/manifest"
	"prenv.dev/prenv/plan"
	"prenv.dev/prenv/spec"
	"prenv.dev/prenv/templates"
)

// LoadEnvKit reads prenv's own template kit, the embedded templates with
// the files of override (which may be nil) replacing or adding to them.
func LoadEnvKit(override fs.FS) (*Kit, error) {
	if override != nil {
		// Templates a caller supplies are read within the template size
		// limit, whatever file system they come from.
		override = spec.LimitFS(override, MaxTemplateSize)
	}
	return LoadKit(chartName, templates.FS, override, nil)
}

// TemplateError is a template that failed to parse, execute, or produce
// valid YAML objects. With the embedded kit it is a bug in prenv.
type TemplateError struct {
	// Template is the template file, when known.
	Template string
	Err      error
}

func (e *TemplateError) Error() string {
	// text/template's own errors start with "template: " and the
	// position, <chart>/templates/<file>:<line>[:<col>]: said once.
	msg, _ := strings.CutPrefix(e.Err.Error(), "template: ")
	if e.Template == "" {
		return "template: " + msg
	}
	if pos, rest, ok := strings.Cut(msg, ": "); ok && !strings.ContainsAny(pos, " ()") {
		if i := strings.LastIndex(pos, "/"+e.Template); i >= 0 {
			pos = pos[i+1:]
		}
		if after, ok := strings.CutPrefix(pos, e.Template); ok && (after == "" || after[0] == ':') {
			return "template " + pos + ": " + rest
		}
	}
	return "template " + e.Template + ": " + msg
}

func (e *TemplateError) Unwrap() error { return e.Err }

// chartName is the name of the in-memory chart the kit is rendered as; it
// shows in template error positions.
const chartName = "prenv"

// ExecuteModel runs the kit over an env's model, as [render.Renderer.Execute] does.
func (k *Kit) ExecuteModel(ctx context.Context, m *plan.Model) ([]*unstructured.Unstructured, error) {
	if k == nil || k.tmpl == nil {
		return nil, errors.New("kit: nil or zero Kit (make one with LoadKit or LoadEnvKit)")
	}
	if ctx == nil {
		return nil, errors.New("kit: nil context")
	}
	if m == nil {
		return nil, errors.New("kit: nil model")
	}
	// Each run gets values made for it alone, so they need no copy.
	return k.execute(ctx, func() (map[string]any, map[string]any, error) {
		values, err := TemplateValues(m)
		if err != nil {
			return nil, nil, err
		}
		release := map[string]any{"Name": m.EnvName, "Namespace": m.Namespace, "Service": "prenv", "IsInstall": true, "IsUpgrade": false, "Revision": 1}
		return values, release, nil
	})
}

// Kit is a set of Helm-syntax templates, read and parsed once, executed
// with the semantics of Helm's engine; prenv's kit and the Argo CD kit are
// both Kits. It is safe for concurrent use.
type Kit struct {
	name string
	// tmpl holds every file, parsed with funcs; names are the files'
	// template names in Helm's order.
	tmpl  *template.Template
	names []string
	funcs template.FuncMap
	// sets holds *boundSet clones of tmpl that finished runs gave back,
	// so that a run does not clone the templates again.
	sets sync.Pool
	// reason says why the kit lacks a function of Helm's engine, or "".
	reason func(fn string) string
}

// LoadKit reads, as the kit called name (it shows in template error
// positions), the .yaml and .tpl templates of base, then those of
// override, which replace base's by file name or add to them, and parses
// them. The templates have the functions of Helm's engine (sprig's, Helm's
// own, text/template's builtins) except those whose result changes from
// run to run or machine to machine ([Nondeterministic]), with keys,
// values, printf and durationRound in deterministic versions, less the
// functions refuse selects (refuse may be nil; it cannot select a
// builtin). A template that names a function the kit lacks does not
// parse: the [*TemplateError] wraps [ErrRefusedFunction] and names the
// function, file, line and reason.
func LoadKit(name string, base, override fs.FS, refuse func(fn string) bool) (*Kit, error) {
	if base == nil {
		return nil, errors.New("kit: LoadKit needs a base file system")
	}
	byName := map[string][]byte{}
	read := func(fsys fs.FS, what string) error {
		entries, err := fs.ReadDir(fsys, ".")
		if err != nil {
			return fmt.Errorf("reading %s templates: %w", what, err)
		}
		for _, e := range entries {
			n := e.Name()
			if e.IsDir() || !(strings.HasSuffix(n, ".yaml") || strings.HasSuffix(n, ".tpl")) {
				continue
			}
			b, err := fs.ReadFile(fsys, n)
			if err != nil {
				return fmt.Errorf("reading %s template %s: %w", what, n, err)
			}
			byName[n] = b
		}
		return nil
	}
	if err := read(base, "embedded"); err != nil {
		return nil, err
	}
	if override != nil {
		if err := read(override, "override"); err != nil {
			return nil, err
		}
	}
	return newKit(name, byName, refuse)
}

// Execute runs the kit (missing keys are errors), a copy of values as
// .Values and of release as .Release, and parses what it prints into
// objects, sorted into output order.
func (k *Kit) Execute(ctx context.Context, values, release map[string]any) ([]*unstructured.Unstructured, error) {
	if k == nil || k.tmpl == nil {
		return nil, errors.New("kit: nil or zero Kit (make one with LoadKit or LoadEnvKit)")
	}
	if ctx == nil {
		return nil, errors.New("kit: nil context")
	}
	return k.execute(ctx, func() (map[string]any, map[string]any, error) {
		return copyData(values).(map[string]any), copyData(release).(map[string]any), nil
	})
}

// execute is Execute with .Values and .Release from inputs, called once
// per run of the kit (twice when the first run fails): templates can
// change what they are given, so each run needs its own.
func (k *Kit) execute(ctx context.Context, inputs func() (values, release map[string]any, err error)) ([]*unstructured.Unstructured, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	run := func(missingKey string) ([]renderedFile, error) {
		values, release, err := inputs()
		if err != nil {
			return nil, err
		}
		return k.run(ctx, values, release, missingKey)
	}
	rendered, err := run("missingkey=error")
	if err != nil {
		// A missing key stops the strict run before required or fail can
		// give their message; a run with missing keys as zero values gets
		// there. Prefer that message when there is one.
		if !errors.As(err, new(*failError)) && ctx.Err() == nil {
			if _, lax := run("missingkey=zero"); errors.As(lax, new(*failError)) {
				err = lax
			}
		}
		return nil, err
	}
	slices.SortFunc(rendered, func(a, b renderedFile) int { return strings.Compare(a.name, b.name) })
	var objs []*unstructured.Unstructured
	for _, r := range rendered {
		docs, err := manifest.ParseObjects(r.text)
		if err != nil {
			return nil, &TemplateError{Template: path.Base(r.name), Err: err}
		}
		objs = append(objs, docs...)
	}
	manifest.SortObjects(objs)
	return objs, nil
}

// ErrRefusedFunction marks a template that calls a function its kit refuses:
// one whose result changes from run to run, or one the kit forbids.
var ErrRefusedFunction = errors.New("template calls a refused function")
