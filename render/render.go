package render

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"path"
	"slices"
	"sort"
	"strings"
	"text/template"

	yaml2 "go.yaml.in/yaml/v2"
	"helm.sh/helm/v3/pkg/releaseutil"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"

	"prenv.dev/prenv/templates"
)

// Options tune [Render]. The zero value renders with the embedded template kit.
type Options struct {
	// Templates, when set, overrides template files of the embedded kit by
	// name; files it has that the kit lacks are added.
	Templates fs.FS
	// AllowUnbounded accepts a spec that turns off the env's ResourceQuota,
	// LimitRange or NetworkPolicies (enabled: false). The spec is what a
	// pull request can change, and these bounds keep one env from taking
	// the cluster or reaching another env, so turning them off is the
	// caller's decision (the CI job's flag), not the spec's alone.
	AllowUnbounded bool
}

// Output is one PR's rendered environment.
type Output struct {
	// Model is what the templates were given.
	Model *Model
	// Objects in output order: by kind (Helm's install order, then prenv's
	// custom kinds), then namespace and name.
	Objects []*unstructured.Unstructured
}

// Render checks the spec and renders every object of PR pr's environment.
// An invalid spec gives an [*InvalidError] listing every problem; a template
// that fails gives a [*TemplateError]. To render many environments, make one
// [Renderer] with [NewRenderer] and reuse it.
func Render(ctx context.Context, env *PreviewEnvironment, pr int, opts Options) (*Output, error) {
	r, err := NewRenderer(opts)
	if err != nil {
		return nil, err
	}
	return r.Render(ctx, env, pr)
}

// Renderer renders environments with one template kit, which it reads and
// checks once. It is safe for concurrent use.
type Renderer struct {
	kit            *Kit
	allowUnbounded bool
}

// NewRenderer reads and parses the template kit (the embedded one, with
// opts.Templates applied). Its templates have no function whose result
// changes from run to run (see [LoadKit]).
func NewRenderer(opts Options) (*Renderer, error) {
	if opts.Templates != nil {
		// Templates a caller supplies are read within the template size
		// limit, whatever file system they come from.
		opts.Templates = LimitFS(opts.Templates, MaxTemplateSize)
	}
	kit, err := LoadKit(chartName, templates.FS, opts.Templates, nil)
	if err != nil {
		return nil, err
	}
	return &Renderer{kit: kit, allowUnbounded: opts.AllowUnbounded}, nil
}

// Render checks the spec and renders every object of PR pr's environment,
// as the function [Render] does.
func (r *Renderer) Render(ctx context.Context, env *PreviewEnvironment, pr int) (*Output, error) {
	return r.render(ctx, env, pr, false)
}

// render is [Renderer.Render]; checked says that [Check] already passed
// env (as [SyncFiles] does once per spec), so [Plan]'s check is skipped.
func (r *Renderer) render(ctx context.Context, env *PreviewEnvironment, pr int, checked bool) (*Output, error) {
	plan := Plan
	if checked {
		plan = planChecked
	}
	m, err := plan(env, pr)
	if err != nil {
		return nil, err
	}
	if !r.allowUnbounded {
		if errs := unboundedErrors(&env.Spec); len(errs) > 0 {
			return nil, &InvalidError{Errs: errs}
		}
	}
	objs, err := r.Execute(ctx, m)
	if err != nil {
		return nil, err
	}
	return &Output{Model: m, Objects: objs}, nil
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

// Execute runs the template kit over a model with Helm's engine and parses
// what it prints into objects, sorted into output order.
func Execute(ctx context.Context, m *Model, opts Options) ([]*unstructured.Unstructured, error) {
	r, err := NewRenderer(opts)
	if err != nil {
		return nil, err
	}
	return r.Execute(ctx, m)
}

// Execute runs the renderer's template kit over a model, as the function
// [Execute] does.
func (r *Renderer) Execute(ctx context.Context, m *Model) ([]*unstructured.Unstructured, error) {
	// Each run gets values made for it alone, so they need no copy.
	return r.kit.execute(ctx, func() (map[string]any, map[string]any, error) {
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
		docs, err := ParseObjects([]byte(r.text))
		if err != nil {
			return nil, &TemplateError{Template: path.Base(r.name), Err: err}
		}
		objs = append(objs, docs...)
	}
	SortObjects(objs)
	return objs, nil
}

// TemplateValues is a Go value as templates see it in .Values: its JSON
// form, so field names are the JSON tags.
func TemplateValues(v any) (map[string]any, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	var out map[string]any
	if err := json.Unmarshal(b, &out); err != nil {
		return nil, err
	}
	return out, nil
}

// ParseObjects parses a multi-document YAML stream into objects. Empty
// documents are skipped; a document that is not an object with apiVersion,
// kind and metadata.name is an error. YAML is read as kubectl reads it (YAML
// 1.1, duplicate keys refused); numbers come back as int64 or float64.
func ParseObjects(data []byte) ([]*unstructured.Unstructured, error) {
	var objs []*unstructured.Unstructured
	for i, doc := range SplitDocuments(data) {
		jv, err := readDocument(doc)
		if err != nil {
			return nil, fmt.Errorf("document %d: %w", i, err)
		}
		if jv == nil {
			continue
		}
		obj, ok := jv.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("document %d: not an object", i)
		}
		u := &unstructured.Unstructured{Object: obj}
		if u.GetAPIVersion() == "" || u.GetKind() == "" || u.GetName() == "" {
			return nil, fmt.Errorf("document %d: an object needs apiVersion, kind and metadata.name", i)
		}
		objs = append(objs, u)
	}
	return objs, nil
}

// readDocument reads one YAML document as [ParseObjects] does, into the
// types of decoded JSON; nil for a document with nothing in it. The kit's
// usual shape is read directly (fastDocument), anything else with the
// general YAML reader.
func readDocument(doc []byte) (any, error) {
	if v, ok := fastDocument(doc); ok {
		return v, nil
	}
	return readDocumentGeneral(doc)
}

// readDocumentGeneral is [readDocument] with the general YAML reader.
func readDocumentGeneral(doc []byte) (any, error) {
	var v any
	if err := yaml2.UnmarshalStrict(doc, &v); err != nil {
		return nil, err
	}
	if v == nil {
		return nil, nil
	}
	if jv, ok := jsonValue(v); ok {
		return jv, nil
	}
	// Keys that are not strings, or values JSON has no form for: let
	// sigs.k8s.io/yaml convert them as kubectl would.
	js, err := yaml.YAMLToJSONStrict(doc)
	if err != nil {
		return nil, err
	}
	var jv any
	if err := json.Unmarshal(js, &jv); err != nil {
		return nil, err
	}
	return jv, nil
}

// jsonValue converts a value decoded by the YAML reader into the types of
// decoded JSON (string keys, int64 and float64 numbers). It reports false
// for anything without a plain JSON form.
func jsonValue(v any) (any, bool) {
	switch v := v.(type) {
	case nil, string, bool, int64:
		return v, true
	case int:
		return int64(v), true
	case float64:
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, false
		}
		return v, true
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			c, ok := jsonValue(e)
			if !ok {
				return nil, false
			}
			out[i] = c
		}
		return out, true
	case map[any]any:
		out := make(map[string]any, len(v))
		for k, e := range v {
			ks, ok := k.(string)
			if !ok {
				return nil, false
			}
			c, ok := jsonValue(e)
			if !ok {
				return nil, false
			}
			out[ks] = c
		}
		return out, true
	}
	return nil, false
}

// SplitDocuments splits a YAML stream at its "---" separator lines.
func SplitDocuments(data []byte) [][]byte {
	var docs [][]byte
	var cur bytes.Buffer
	for _, line := range bytes.SplitAfter(data, []byte("\n")) {
		t := bytes.TrimRight(line, "\r\n")
		if bytes.Equal(t, []byte("---")) || bytes.HasPrefix(t, []byte("--- ")) || bytes.HasPrefix(t, []byte("---\t")) {
			docs = append(docs, bytes.Clone(cur.Bytes()))
			cur.Reset()
			continue
		}
		cur.Write(line)
	}
	docs = append(docs, cur.Bytes())
	return docs
}

// customKindOrder places prenv's custom kinds after Helm's known kinds:
// identity first, then the data stores.
var customKindOrder = []string{"Policy", "Role", "Table", "Queue"}

// SortObjects sorts objects into output order: kinds in Helm's install order
// (Namespace, ServiceAccount, ConfigMap, ... Deployment, Ingress), then
// prenv's custom kinds (Policy, Role, Table, Queue), then any other kind by
// name; within a kind by API group, namespace and name.
func SortObjects(objs []*unstructured.Unstructured) {
	rank := func(u *unstructured.Unstructured) int {
		k := u.GetKind()
		if builtinGroup(u.GroupVersionKind().Group) {
			if i := slices.Index(releaseutil.InstallOrder, k); i >= 0 {
				return i
			}
		}
		if i := slices.Index(customKindOrder, k); i >= 0 {
			return len(releaseutil.InstallOrder) + i
		}
		return len(releaseutil.InstallOrder) + len(customKindOrder)
	}
	sort.SliceStable(objs, func(i, j int) bool {
		a, b := objs[i], objs[j]
		if ra, rb := rank(a), rank(b); ra != rb {
			return ra < rb
		}
		if a.GetKind() != b.GetKind() {
			return a.GetKind() < b.GetKind()
		}
		if a.GetAPIVersion() != b.GetAPIVersion() {
			return a.GetAPIVersion() < b.GetAPIVersion()
		}
		if a.GetNamespace() != b.GetNamespace() {
			return a.GetNamespace() < b.GetNamespace()
		}
		return a.GetName() < b.GetName()
	})
}

// builtinGroup reports the API groups of Kubernetes itself: the core group,
// the unqualified ones (apps, batch, policy, autoscaling) and *.k8s.io. Kinds
// elsewhere that share a built-in kind's name (an ACK IAM Role) are custom.
func builtinGroup(g string) bool {
	return !strings.Contains(g, ".") || strings.HasSuffix(g, ".k8s.io")
}

// ErrRefusedFunction marks a template that calls a function its kit refuses:
// one whose result changes from run to run, or one the kit forbids.
var ErrRefusedFunction = errors.New("template calls a refused function")
