package render

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"strings"
	"sync"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"prenv.dev/prenv/fence"
	"prenv.dev/prenv/kit"
	"prenv.dev/prenv/manifest"
	"prenv.dev/prenv/plan"
	"prenv.dev/prenv/spec"
	"prenv.dev/prenv/trust"
	"prenv.dev/prenv/validate"
)

// Options tune [Render]. The zero value renders prenv's own objects with the
// embedded template kit, fences them with the final checks and validates
// them against the embedded schemas: what `render env -f prenv.yaml --pr N`
// prints.
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
	// Base, when not nil, is what the base branch's specs say in the
	// fields a pull request may not change: trust.Of of each app's
	// spec on the base branch (render env and sync --base-spec), or what
	// the plugin flow's Application carries (--base-values). A spec that
	// differs from its app's base there is refused with a
	// [*trust.Error] listing every such field ([trust.Check]);
	// an empty, non-nil Base refuses every spec (the base branch has no
	// spec of the app: a pull request cannot add one). nil trusts the
	// spec as it is: for local use and for the base branch's own CI.
	Base []*trust.Fields
	// Chart, when set, also renders this app chart with the env's identity
	// injected as values (`render env --chart`, --values); its objects join
	// the env's before the final checks.
	Chart *kit.ChartOptions
	// Kustomize, when set, is a folder whose kustomization is applied over
	// the rendered objects (`render env --kustomize`).
	Kustomize string
	// Validator validates the final objects as the API server would; nil
	// means one made with validate.New and the embedded schemas (`render env
	// --crds` makes one with the given CRDs).
	Validator *validate.Validator
	// Previous, when set, are the objects of the previous render of the same
	// PR (`render env --previous`): the output is also validated as an
	// update of them (immutable fields). SkipValidation skips this too.
	Previous []*unstructured.Unstructured
	// SkipValidation leaves out the API server's validation (not the final
	// checks, which every output passes): for callers that validate later,
	// in bulk, themselves.
	SkipValidation bool
}

// Output is one PR's rendered environment.
type Output struct {
	// Model is what the templates were given.
	Model *plan.Model
	// Objects in output order: by kind (Helm's install order, then prenv's
	// custom kinds), then namespace and name.
	Objects []*unstructured.Unstructured
	// Own are prenv's own objects as the embedded kit renders Model
	// (without Options.Templates), apart from Objects: what the final
	// checks keep the final objects of the same references to
	// ([fence.ObjectRules].Own).
	Own []*unstructured.Unstructured
}

// Render returns what `render env` prints for PR pr of env: the spec is
// checked ([spec.Check]), planned ([plan.Plan]), rendered by the kit (with
// opts.Templates, the app chart and the kustomization of opts), fenced by
// the final checks ([fence.CheckObjects]) and validated with the API
// server's code (package validate) unless opts.SkipValidation. With
// opts.Base, the spec is first compared with the base branch's. Errors:
// [*trust.Error] (the spec changes what only the base branch may),
// [*spec.InvalidError] (the spec, with field paths), [*kit.TemplateError],
// [*kit.ChartError], [*kit.KustomizeError], [*FenceError] (the final
// objects leave the env's identity, permissions or namespace) and
// [*ValidationError] (the API server or AWS would refuse them). A nil
// context or spec is an error, never a panic. To render many environments,
// make one [Renderer] with [NewRenderer] and reuse it.
func Render(ctx context.Context, env *spec.PreviewEnvironment, pr int, opts Options) (*Output, error) {
	r, err := NewRenderer(opts)
	if err != nil {
		return nil, err
	}
	return r.Render(ctx, env, pr)
}

// FenceError is a rendered env whose final objects break what an env's
// objects may be and contain ([fence.CheckObjects]): each problem is a
// [*fence.ObjectError]. Without caller templates, a chart or a
// kustomization it is a bug in prenv.
type FenceError struct {
	Problems []*fence.ObjectError
}

func (e *FenceError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "the output leaves the env's identity, permissions or namespace (%d problem(s)):", len(e.Problems))
	for _, p := range e.Problems {
		b.WriteString("\n  ")
		b.WriteString(p.Error())
	}
	return b.String()
}

// Unwrap returns the problems, for errors.As.
func (e *FenceError) Unwrap() []error {
	errs := make([]error, len(e.Problems))
	for i, p := range e.Problems {
		errs[i] = p
	}
	return errs
}

// ValidationError is a rendered env whose final objects the API server's
// validation (or, with [Options].Previous, its update rules) refuses.
type ValidationError struct {
	// Update says the objects were validated as an update of
	// [Options].Previous.
	Update   bool
	Problems []validate.Problem
}

func (e *ValidationError) Error() string {
	var b strings.Builder
	what := "the output is not valid"
	if e.Update {
		what = "as an update of the previous render, the output changes what the API server or AWS refuses to change"
	}
	fmt.Fprintf(&b, "%s (%d problem(s)):", what, len(e.Problems))
	for _, p := range e.Problems {
		b.WriteString("\n  ")
		b.WriteString(p.String())
	}
	return b.String()
}

// Renderer renders environments with one template kit, which it reads and
// checks once. It is safe for concurrent use.
type Renderer struct {
	kit *kit.Kit
	// ownKit is the embedded kit when opts.Templates overrides it, to
	// render prenv's own objects for the final checks; nil otherwise.
	ownKit *kit.Kit
	opts   Options
	// validator is opts.Validator, or the embedded schemas' one, made on
	// first use.
	validatorOnce sync.Once
	validator     *validate.Validator
	validatorErr  error
}

// NewRenderer reads and parses the template kit (the embedded one, with
// opts.Templates applied). Its templates have no function whose result
// changes from run to run (see [kit.LoadKit]).
func NewRenderer(opts Options) (*Renderer, error) {
	k, err := kit.LoadEnvKit(opts.Templates)
	if err != nil {
		return nil, err
	}
	r := &Renderer{kit: k, opts: opts, validator: opts.Validator}
	if opts.Templates != nil {
		if r.ownKit, err = kit.LoadEnvKit(nil); err != nil {
			return nil, err
		}
	}
	return r, nil
}

// Render returns PR pr's environment as the function [Render] does, with
// the renderer's options.
func (r *Renderer) Render(ctx context.Context, env *spec.PreviewEnvironment, pr int) (*Output, error) {
	// Objects refuses a nil Renderer, context or spec.
	out, err := r.Objects(ctx, env, pr)
	if err != nil {
		return nil, err
	}
	if err := r.shape(ctx, out); err != nil {
		return nil, err
	}
	if problems := fence.CheckObjects(out.Model, out.Objects, out.Rules(env)); len(problems) > 0 {
		return nil, &FenceError{Problems: problems}
	}
	if r.opts.SkipValidation {
		return out, nil
	}
	v, err := r.validatorFor(ctx)
	if err != nil {
		return nil, err
	}
	res, err := v.ValidateObjects(ctx, out.Objects, nil)
	if err != nil {
		return nil, err
	}
	if !res.Valid() {
		return nil, &ValidationError{Problems: res.Problems}
	}
	if r.opts.Previous != nil {
		res, err := v.ValidateObjects(ctx, out.Objects, r.opts.Previous)
		if err != nil {
			return nil, err
		}
		if !res.Valid() {
			return nil, &ValidationError{Update: true, Problems: res.Problems}
		}
	}
	return out, nil
}

// shape adds the objects of the renderer's app chart to out's, applies
// its kustomization over them, and gives namespaced objects without a
// namespace the env's (as kubectl and Argo CD would put them in the
// Application's): the steps between the kit and the final checks, shared
// by [Renderer.Render] and [Sync]. Errors: [*kit.ChartError] and the
// chart's, [*kit.KustomizeError].
func (r *Renderer) shape(ctx context.Context, out *Output) error {
	if c := r.opts.Chart; c != nil {
		app, err := kit.RenderChart(ctx, out.Model, *c)
		if err != nil {
			return err
		}
		out.Objects = append(out.Objects, app...)
		manifest.SortObjects(out.Objects)
	}
	if r.opts.Kustomize != "" {
		objs, err := kit.Kustomize(ctx, r.opts.Kustomize, out.Objects)
		if err != nil {
			return err
		}
		out.Objects = objs
	}
	fence.WriteNamespaces(out.Model, out.Objects)
	return nil
}

// validatorFor is the renderer's validator, made on first use.
func (r *Renderer) validatorFor(ctx context.Context) (*validate.Validator, error) {
	r.validatorOnce.Do(func() {
		if r.validator == nil {
			// The validator outlives this call: the first caller's
			// cancellation must not spoil it for the others.
			r.validator, r.validatorErr = validate.New(context.WithoutCancel(ctx), validate.Options{})
		}
	})
	return r.validator, r.validatorErr
}

// Objects checks the spec, plans it and runs the template kit over the
// model: the first stages of [Renderer.Render], without the app chart, the
// kustomization, the final checks or the validation. It is for callers that
// run and report those stages themselves, as the command line and [Sync]
// do; what it returns is not yet fenced, but every namespaced object has
// a namespace ([fence.WriteNamespaces]) and Output.Own is set.
func (r *Renderer) Objects(ctx context.Context, env *spec.PreviewEnvironment, pr int) (*Output, error) {
	return r.render(ctx, env, pr, false, false)
}

// render is [Renderer.Render]; checked says that [spec.Check] and
// [trust.Check] already passed env (as [SyncFiles] does once per
// spec), so they are skipped. shareOwn says that the caller changes none
// of the objects before the final checks (no kustomization, which can
// patch them): Output.Own then holds the same objects as Output.Objects,
// not copies, when the kit is the embedded one, and the final checks skip
// comparing each with itself.
func (r *Renderer) render(ctx context.Context, env *spec.PreviewEnvironment, pr int, checked, shareOwn bool) (*Output, error) {
	if r == nil {
		return nil, errors.New("render: nil Renderer (make one with NewRenderer)")
	}
	if ctx == nil {
		return nil, errors.New("render: nil context")
	}
	if env == nil {
		return nil, errors.New("render: nil spec")
	}
	if !checked {
		if err := checkTrust(r.opts.Base, env); err != nil {
			return nil, err
		}
	}
	planFn := plan.Plan
	if checked {
		planFn = plan.PlanChecked
	}
	m, err := planFn(env, pr)
	if err != nil {
		return nil, err
	}
	if !r.opts.AllowUnbounded {
		if errs := spec.UnboundedErrors(&env.Spec); len(errs) > 0 {
			return nil, &spec.InvalidError{Errs: errs}
		}
	}
	objs, err := r.Execute(ctx, m)
	if err != nil {
		return nil, err
	}
	fence.WriteNamespaces(m, objs)
	var own []*unstructured.Unstructured
	if r.ownKit != nil {
		if own, err = r.ownKit.ExecuteModel(ctx, m); err != nil {
			return nil, err
		}
	} else if shareOwn {
		own = slices.Clone(objs)
	} else {
		own = make([]*unstructured.Unstructured, len(objs))
		for i, o := range objs {
			own[i] = o.DeepCopy()
		}
	}
	return &Output{Model: m, Objects: objs, Own: own}, nil
}

// Rules are the final checks' rules for o's env: env's app kinds
// ([spec.AppKinds]) and o.Own.
func (o *Output) Rules(env *spec.PreviewEnvironment) fence.ObjectRules {
	return fence.ObjectRules{AppKinds: spec.AppKinds(env), Own: o.Own}
}

// checkTrust compares env with base, when base is set: a
// [*trust.Error] lists every field env may not have.
func checkTrust(base []*trust.Fields, env *spec.PreviewEnvironment) error {
	if base == nil {
		return nil
	}
	if errs := trust.Check(base, env); len(errs) > 0 {
		return &trust.Error{Errs: errs}
	}
	return nil
}

// Execute runs the template kit (the embedded one with opts.Templates; the
// other options do not apply) over a model with Helm's engine and parses
// what it prints into objects, sorted into output order. The objects are
// not fenced or validated: [Render] does that.
func Execute(ctx context.Context, m *plan.Model, opts Options) ([]*unstructured.Unstructured, error) {
	r, err := NewRenderer(opts)
	if err != nil {
		return nil, err
	}
	return r.Execute(ctx, m)
}

// Execute runs the renderer's template kit over a model, as the function
// [Execute] does.
func (r *Renderer) Execute(ctx context.Context, m *plan.Model) ([]*unstructured.Unstructured, error) {
	if r == nil {
		return nil, errors.New("render: nil Renderer (make one with NewRenderer)")
	}
	if m == nil {
		return nil, errors.New("render: nil model")
	}
	return r.kit.ExecuteModel(ctx, m)
}
