package kit

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"maps"
	"path"
	"reflect"
	"slices"
	"strings"
	"text/template"

	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chartutil"
)

// A Kit's templates run with the semantics of Helm's engine
// (helm.sh/helm/v3 pkg/engine), executed here rather than by the engine so
// that the function map is the kit's own (see deterministic.go):
//   - every file is parsed into one template set, in Helm's order (deeper
//     paths first, then names in reverse), so that of two defines with one
//     name the same one wins;
//   - files whose name starts with "_" are not rendered;
//   - each file sees .Values, .Release, .Capabilities, .Chart, .Files (a
//     kit has no files besides its templates: always empty), .Subcharts
//     and .Template (Name and BasePath);
//   - include and tpl are Helm's: include executes a named template into a
//     string, tpl parses and executes a string with the kit's templates and
//     functions; nesting deeper than maxNesting is an error;
//   - required and fail stop with their message, reported as Helm reports
//     them: "execution error at (<file>:<line>:<col>): <message>", the
//     place being the action of the file that led to the call.
// Unlike Helm's engine, a nil value prints as "<no value>" rather than
// disappearing, helpers return their errors, and the values given to
// [Kit.Execute] are copied, so that a template's set or sortAlpha cannot
// change the caller's.

// kitRoot names the template that the files of a kit are associated with;
// tpl parses its text under this name, as Helm's engine does.
const kitRoot = "gotpl"

// maxNesting bounds how deep include and tpl calls nest. Helm's engine
// allows 1000 nested includes of each name; this bound is on all names
// together, so that no template can exhaust the stack.
const maxNesting = 1000

// newKit parses the files of a kit called name (file name → text) with a
// new [kitFuncs] map, less the functions refuse selects.
func newKit(name string, files map[string][]byte, refuse func(fn string) bool) (*Kit, error) {
	funcs := kitFuncs()
	reason := func(fn string) string {
		if r, ok := removedFuncs[fn]; ok {
			return r
		}
		return ""
	}
	if refuse != nil {
		for _, b := range builtinFuncs {
			if refuse(b) {
				return nil, fmt.Errorf("kit %s: text/template's builtin %s cannot be refused", name, b)
			}
		}
		maps.DeleteFunc(funcs, func(fn string, _ any) bool { return refuse(fn) })
		reason = func(fn string) string {
			if r, ok := removedFuncs[fn]; ok {
				return r
			}
			if _, ok := funcs[fn]; !ok && refuse(fn) {
				return "refused by this kit"
			}
			return ""
		}
	}
	k := &Kit{name: name, funcs: funcs, reason: reason}
	for n := range files {
		k.names = append(k.names, path.Join(name, "templates", n))
	}
	// Helm's engine parses and renders deeper paths first, then by name in
	// reverse order (pkg/engine sortTemplates).
	slices.SortFunc(k.names, func(a, b string) int {
		if da, db := strings.Count(a, "/"), strings.Count(b, "/"); da != db {
			return db - da
		}
		return strings.Compare(b, a)
	})
	k.tmpl = template.New(kitRoot).Funcs(funcs)
	for _, tn := range k.names {
		text := string(files[path.Base(tn)])
		if _, err := k.tmpl.New(tn).Parse(text); err != nil {
			if refused := refusedCalls(tn, text, reason); refused != nil {
				err = refused
			}
			return nil, &TemplateError{Template: path.Base(tn), Err: err}
		}
	}
	return k, nil
}

// renderedFile is the text a kit's file printed.
type renderedFile struct {
	name string
	text []byte
}

// Buffers a template set keeps from run to run, up to these sizes, so that
// a run does not grow new ones: far more than the embedded kit prints, and
// little enough that a template printing a lot is not kept in memory.
const (
	keptOutput  = 1 << 20
	keptInclude = 64 << 10
	// keptIncludeDepth is how deep include calls nest with kept buffers;
	// deeper ones get a new buffer each time.
	keptIncludeDepth = 8
)

// run executes every file of the kit that is not a partial, with
// missingKey ("missingkey=error" or "missingkey=zero"), values as .Values
// and release as .Release, which templates may change.
func (k *Kit) run(ctx context.Context, values, release map[string]any, missingKey string) (out []renderedFile, err error) {
	defer func() {
		if r := recover(); r != nil {
			out, err = nil, &TemplateError{Err: fmt.Errorf("rendering failed: %v", r)}
		}
	}()
	set, err := k.takeSet()
	if err != nil {
		return nil, &TemplateError{Err: err}
	}
	t := set.tmpl
	t.Option(missingKey)
	top := map[string]any{
		"Values":       values,
		"Release":      release,
		"Capabilities": newKitCapabilities(),
		"Chart": struct {
			chart.Metadata
			IsRoot bool
		}{chart.Metadata{APIVersion: chart.APIVersionV2, Name: k.name, Version: "0.0.0", Type: "application"}, true},
		"Files":     kitFiles{},
		"Subcharts": map[string]any{},
	}
	base := path.Join(k.name, "templates")
	// Every file prints into one buffer, which the set keeps; the files'
	// texts are one copy of it, cut at ends.
	b := &set.out
	b.Reset()
	var ends []int
	for _, name := range k.names {
		if strings.HasPrefix(path.Base(name), "_") {
			continue
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		top["Template"] = map[string]any{"Name": name, "BasePath": base}
		if err := t.ExecuteTemplate(b, name, top); err != nil {
			return nil, &TemplateError{Template: path.Base(name), Err: execError(err)}
		}
		out = append(out, renderedFile{name: name})
		ends = append(ends, b.Len())
	}
	all := bytes.Clone(b.Bytes())
	start := 0
	for i, end := range ends {
		out[i].text = all[start:end:end]
		start = end
	}
	if b.Cap() > keptOutput {
		set.out = bytes.Buffer{}
	}
	// A set whose run failed is dropped: it may have stopped in the
	// middle of an include.
	k.sets.Put(set)
	return out, nil
}

// boundSet is a clone of a kit's template set with include and tpl bound
// to it, for one run at a time.
type boundSet struct {
	tmpl *template.Template
	exec *kitExec
	// out is the buffer a run's files print into.
	out bytes.Buffer
}

// takeSet returns a template set for one run: one a finished run gave
// back (no run changes its templates: tpl parses into a clone of its
// own), or a new clone of the kit's parsed templates.
func (k *Kit) takeSet() (*boundSet, error) {
	if set, ok := k.sets.Get().(*boundSet); ok {
		set.exec.depth = 0
		return set, nil
	}
	t, err := k.tmpl.Clone()
	if err != nil {
		return nil, err
	}
	x := &kitExec{kit: k}
	x.bind(t)
	return &boundSet{tmpl: t, exec: x}, nil
}

// kitExec is one execution of a kit: include and tpl count how deep they
// nest.
type kitExec struct {
	kit   *Kit
	depth int
	// bufs[d-1] is the buffer of include calls at depth d, kept from call
	// to call: an include's text is then one copy out of it, where a new
	// buffer would grow many times.
	bufs [keptIncludeDepth]bytes.Buffer
}

// bind gives t the include and tpl functions, when the kit has them,
// bound to t.
func (x *kitExec) bind(t *template.Template) {
	fm := template.FuncMap{}
	if _, ok := x.kit.funcs["include"]; ok {
		fm["include"] = x.include(t)
	}
	if _, ok := x.kit.funcs["tpl"]; ok {
		fm["tpl"] = x.tpl(t)
	}
	t.Funcs(fm)
}

func (x *kitExec) enter(what string) error {
	if x.depth >= maxNesting {
		return fmt.Errorf("%s nests more than %d include and tpl calls", what, maxNesting)
	}
	x.depth++
	return nil
}

// include is Helm's include: the named template, executed over data, as a
// string.
func (x *kitExec) include(t *template.Template) func(string, any) (string, error) {
	return func(name string, data any) (string, error) {
		if err := x.enter("include " + name); err != nil {
			return "", err
		}
		defer func() { x.depth-- }()
		if x.depth > keptIncludeDepth {
			var b strings.Builder
			err := t.ExecuteTemplate(&b, name, data)
			return b.String(), err
		}
		b := &x.bufs[x.depth-1]
		b.Reset()
		err := t.ExecuteTemplate(b, name, data)
		text := b.String()
		if b.Cap() > keptInclude {
			*b = bytes.Buffer{}
		}
		return text, err
	}
}

// tpl is Helm's tpl: text parsed as a template beside t's templates, with
// t's functions (so a define in text can be included), and executed over
// vals.
func (x *kitExec) tpl(parent *template.Template) func(string, any) (string, error) {
	return func(text string, vals any) (string, error) {
		if err := x.enter("tpl"); err != nil {
			return "", err
		}
		defer func() { x.depth-- }()
		t, err := parent.Clone()
		if err != nil {
			return "", fmt.Errorf("cannot clone template: %w", err)
		}
		x.bind(t)
		t, err = t.New(parent.Name()).Parse(text)
		if err != nil {
			if refused := refusedCalls(parent.Name(), text, x.kit.reason); refused != nil {
				err = refused
			}
			return "", fmt.Errorf("cannot parse template %q: %w", text, err)
		}
		var b strings.Builder
		if err := t.Execute(&b, vals); err != nil {
			return "", fmt.Errorf("error during tpl function execution for %q: %w", text, err)
		}
		return b.String(), nil
	}
}

// execError is the error of a file's execution: for required and fail,
// their message at the place, in the file, of the action that called them
// (directly or through include), as Helm's engine reports it.
func execError(err error) error {
	var fe *failError
	var ee template.ExecError
	if !errors.As(err, &fe) || !errors.As(err, &ee) {
		return err
	}
	// text/template starts the message with "template: <file>:<line>:<col>: ".
	rest, ok := strings.CutPrefix(ee.Err.Error(), "template: ")
	if !ok {
		return fe
	}
	loc, _, _ := strings.Cut(rest, ": ")
	return fmt.Errorf("execution error at (%s): %w", loc, fe)
}

// kitFiles is .Files, with the methods of Helm's (pkg/engine files.go)
// as they behave for a chart without files: a kit has only templates.
type kitFiles map[string][]byte

// Get is the file's content: empty, as there is no file.
func (kitFiles) Get(string) string { return "" }

// GetBytes is the file's content: empty, as there is no file.
func (kitFiles) GetBytes(string) []byte { return []byte{} }

// Glob is the files whose name matches: none.
func (kitFiles) Glob(string) kitFiles { return kitFiles{} }

// Lines is the file's lines: none.
func (kitFiles) Lines(string) []string { return []string{} }

// AsConfig is the files as ConfigMap data: an empty map, in YAML.
func (kitFiles) AsConfig() string { return "{}" }

// AsSecrets is the files as Secret data: an empty map, in YAML.
func (kitFiles) AsSecrets() string { return "{}" }

// kitCapabilities is .Capabilities: Helm's, reached through a pointer (so
// that methods such as .KubeVersion.GitVersion work as in Helm), but
// printed as the value it points to, never as an address.
type kitCapabilities struct{ *chartutil.Capabilities }

// Format prints the capabilities themselves, with the verb and flags given.
func (c kitCapabilities) Format(f fmt.State, verb rune) {
	fmt.Fprintf(f, fmt.FormatString(f, verb), *c.Capabilities)
}

// newKitCapabilities are [HelmCapabilities] of a build-independent Helm:
// the Go version and git commit of the build left out. Each execution has
// its own copy: templates can sort .Capabilities.APIVersions in place.
func newKitCapabilities() kitCapabilities {
	c := HelmCapabilities()
	c.APIVersions = slices.Clone(c.APIVersions)
	c.HelmVersion.GoVersion = ""
	c.HelmVersion.GitCommit = ""
	c.HelmVersion.GitTreeState = ""
	return kitCapabilities{c}
}

// copyData copies the maps and slices of v (of any type), so that
// templates, which can change them, change only the copy.
func copyData(v any) any {
	if v == nil {
		return nil
	}
	return copyValue(reflect.ValueOf(v)).Interface()
}

func copyValue(v reflect.Value) reflect.Value {
	switch v.Kind() {
	case reflect.Interface:
		if v.IsNil() {
			return v
		}
		c := reflect.New(v.Type()).Elem()
		c.Set(copyValue(v.Elem()))
		return c
	case reflect.Map:
		if v.IsNil() {
			return v
		}
		c := reflect.MakeMapWithSize(v.Type(), v.Len())
		for it := v.MapRange(); it.Next(); {
			c.SetMapIndex(it.Key(), copyValue(it.Value()))
		}
		return c
	case reflect.Slice:
		if v.IsNil() {
			return v
		}
		c := reflect.MakeSlice(v.Type(), v.Len(), v.Len())
		for i := range v.Len() {
			c.Index(i).Set(copyValue(v.Index(i)))
		}
		return c
	}
	return v
}
